"""Items a round could not finish because the endpoint failed: what stops the run, and how it says so.

An item whose call failed for the endpoint's sake past its retries is journaled with status `pending`
(evol.stages.item); the round is then not done, and the run stops with ItemsPending (exit code 4).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from evol.errors import EndpointError
from evol.records import Record
from evol.stages.item import PENDING

PENDING_STREAK = 20  # items in a row left pending, none finished between: the endpoint is down, stop the round
SHOWN_IDS = 5  # pending item ids named in the message


class ItemsPending(EndpointError):
    """A round ended with items still waiting for the endpoint: it is not done, and the run stops (exit 4).

    `stats` holds the finished rounds' stats and, last, the unfinished round's counts with its `pending`.
    """

    def __init__(self, round_no: int, pending: list[str], pool: int, cause: str, stats: list[dict[str, Any]]):
        more = len(pending) - SHOWN_IDS
        shown = ", ".join(pending[:SHOWN_IDS]) + (f" and {more} more" if more > 0 else "")
        super().__init__(f"round {round_no}: {len(pending)} of {pool} items pending (ids {shown}): the endpoint "
                         f"failed past the retries ({cause}); work done is kept: once the endpoint answers, "
                         "rerun the same command to retry them")
        self.round_no, self.pending, self.stats = round_no, pending, stats


class EndpointDown(EndpointError):
    """PENDING_STREAK items in a row failed for the endpoint: the round stops early (see ItemsPending)."""


class Streak:
    """Counts items left pending in a row; enough of them, with none finished between, stop the round."""

    def __init__(self, limit: int = PENDING_STREAK) -> None:
        self.limit, self.count = limit, 0

    def see(self, record: Record) -> None:
        self.count = self.count + 1 if record.get("status") == PENDING else 0
        if self.count >= self.limit:
            raise EndpointDown(f"{self.count} items in a row failed for the endpoint past the retries")


def pending_cause(journal: list[Record]) -> str:
    """The endpoint failures of the items a journal (every line, in order) leaves pending, e.g.
    `llm_error:server_error x3: HTTP 500: internal error`."""
    last = {r["id"]: r for r in journal}
    pending = [r for r in last.values() if r.get("status") == PENDING]
    if not pending:
        return "items not tried"
    kinds = Counter(r["reason"] for r in pending)
    return "; ".join(f"{k} x{n}" for k, n in kinds.most_common()) + f": {pending[-1].get('error', '')}"
