"""A made-up stage that calls the LLM, as a user would write one: the teacher reviews each answer.

One module (this) plus one entry (`review`, in the table or in a recipe's `[stages] extra`), and its prompt.
"""

from __future__ import annotations

from pathlib import Path

from evol.prompts import Prompt
from evol.stages.context import Item, ItemContext, Reject, ask
from evol.stages.requires import tool
from evol.stages.table import Stage

PROMPT = Prompt("review", frozenset({"instruction", "output"}), Path(__file__).parent / "prompts")


def applies(ctx: ItemContext, item: Item) -> bool:
    return "answer" in item.record.get("passed", ())


async def run(ctx: ItemContext, item: Item) -> Reject | None:
    reply = await ask(ctx, item, "review", "review", instruction=item.record["instruction"],
                      output=item.record["output"] or "")
    if isinstance(reply, Reject):
        return reply
    return Reject("review_rejected") if reply.text.lstrip().upper().startswith("REJECT") else None


review = Stage("review", "review_rejected", "review failed", True, run, applies,
               ("reviewed", "reviewed", "rev"), "rev err", (PROMPT,))

# The same stage, needing a tool no machine has: preflight must refuse the run.
needs_missing_tool = Stage("lint", "lint_rejected", "lint failed", True, run, applies,
                           requires=lambda cfg: (tool("evol-no-such-linter", "pip install evol-no-such-linter"),))
