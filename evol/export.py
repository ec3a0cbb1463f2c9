"""Collect a run's kept records into the WizardCoder training format (a JSON list of instruction/output)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from evol.errors import DataError
from evol.io import atomic_write_json, read_jsonl
from evol.records import Record


def finished_rounds(run_dir: Path) -> list[int]:
    """Round numbers whose stats.json exists (finished rounds), in order."""
    if not run_dir.is_dir():
        raise DataError(f"{run_dir}: not a run directory (no such folder)")
    rounds = sorted(int(p.parent.name.split("-")[1]) for p in run_dir.glob("round-*/stats.json"))
    if not rounds:
        raise DataError(f"{run_dir}: no finished round (no round-NN/stats.json); is the run still going?")
    return rounds


def kept_records(run_dir: Path, *, include_seeds: bool = True, max_round: int | None = None) -> Iterator[Record]:
    """Every kept record that has an output, seeds first, then round by round in pool order.

    `max_round` stops after that round: the data WizardCoder trained on after R rounds.
    """
    for round_no in finished_rounds(run_dir):
        if (round_no == 0 and not include_seeds) or (max_round is not None and round_no > max_round):
            continue
        path = run_dir / f"round-{round_no:02d}" / "kept.jsonl"
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
    atomic_write_json(out or run_dir / "train.json", rows)
    return len(rows)
