"""Collect a run's kept records into the WizardCoder training format (a JSON list of instruction/output)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from evol.errors import DataError
from evol.io import atomic_write_json, read_jsonl
from evol.records import Record
from evol.rundir import RunDir


def finished_rounds(run_dir: Path) -> list[int]:
    """Round numbers whose stats.json exists (finished rounds), in order."""
    return RunDir(run_dir).finished_rounds()


def kept_records(run_dir: Path, *, include_seeds: bool = True, max_round: int | None = None) -> Iterator[Record]:
    """Every kept record that has an output, seeds first, then round by round in pool order.

    `max_round` stops after that round: the data WizardCoder trained on after R rounds.
    """
    for round_no in finished_rounds(run_dir):
        if (round_no == 0 and not include_seeds) or (max_round is not None and round_no > max_round):
            continue
        path = RunDir(run_dir).kept(round_no)
        if not path.exists():
            raise DataError(f"{path}: missing although the round's stats.json exists")
        for record in read_jsonl(path):
            if record.get("output"):
                yield record


def training_rows(run_dir: Path, *, include_seeds: bool = True, max_round: int | None = None) -> list[dict[str, str]]:
    """The 78k-style rows: `{"instruction", "output"}`."""
    return [{"instruction": r["instruction"], "output": r["output"]}
            for r in kept_records(run_dir, include_seeds=include_seeds, max_round=max_round)]


def write_train_json(run_dir: Path, out: Path | None = None, *, include_seeds: bool = True,
                     max_round: int | None = None) -> int:
    rows = training_rows(run_dir, include_seeds=include_seeds, max_round=max_round)
    atomic_write_json(out or RunDir(run_dir).train, rows)
    return len(rows)
