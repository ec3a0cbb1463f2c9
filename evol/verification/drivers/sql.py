"""SQL (sqlite3 -safe): a case's call is SQL run after the answer's script — setup statements, then one query
whose rows are the value (a list of rows, each a list). Each case runs inside a savepoint rolled back after it.

`-safe` refuses `.output`, so sqlite3 cannot reach $EVOL_RESULTS_FD: the driver prints each case's rows in JSON
mode between two marker lines on stdout, and `records` (on the trusted side) turns that stdout into the
standard record lines. Lines outside markers (the answer's own output) are ignored; markers the answer prints
itself only add duplicate records, which the judge rejects. A failing statement ends the run (-bail): the
remaining cases get no record.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

from evol.verification.drivers import CallCase, calls

START, END = "@evol-case-", "@evol-end-"
RESET = ".echo off\n.changes off\n.timer off\n.eqp off\n.stats off\n.headers off"  # what the answer may have set
MARK = re.compile(r"^@evol-(case|end)-(\d+)$")


def program(code: str, cases: Sequence[CallCase]) -> str:
    """The answer's script, then each case between markers, its query in JSON mode."""
    parts = [code.rstrip() + "\n;", RESET]
    for i, call in enumerate(calls(cases)):
        body = call.rstrip().rstrip(";")
        parts.append(
            f".mode json\nSAVEPOINT evol_case;\n.print {START}{i}\n{body}\n;\n.print {END}{i}\n"
            "ROLLBACK TO evol_case;\nRELEASE evol_case;"
        )
    return "\n".join(parts) + "\n"


def records(stdout: bytes) -> bytes:
    """The record lines (JUDGE_SPEC.md) for the marked blocks of a run's stdout, in the order they appear."""
    out: list[str] = []
    block: list[str] | None = None
    index = -1
    for line in stdout.decode("utf-8", errors="replace").splitlines():
        mark = MARK.match(line.strip())
        if mark and mark.group(1) == "case":
            block, index = [], int(mark.group(2))
        elif mark and block is not None and int(mark.group(2)) == index:
            out.append(_record(index, "\n".join(block)))
            block = None
        elif block is not None:
            block.append(line)
    return "".join(line + "\n" for line in out).encode()


def _record(index: int, text: str) -> str:
    try:
        rows = json.loads(text, object_pairs_hook=lambda pairs: [v for _, v in pairs]) if text.strip() else []
    except ValueError:
        return json.dumps({"i": index, "ok": False, "error": "undecodable", "where": "answer"})
    return json.dumps({"i": index, "ok": True, "v": _tagged(rows)}, allow_nan=False)


def _tagged(value: Any) -> Any:
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"$t": "float", "v": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    return value
