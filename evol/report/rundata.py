"""Load a run directory for reading: manifest, resolved config and every finished round, with clear errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from evol.errors import DataError
from evol.io import read_jsonl
from evol.records import Record
from evol.rundir import RunDir

STATS_KEYS = ("round", "pool", "kept")


@dataclass
class RoundData:
    """One finished round: its stats.json and the outcome of every pool item."""

    number: int
    stats: dict[str, Any]
    kept: list[Record]
    rejected: list[Record]

    @property
    def records(self) -> list[Record]:
        return self.kept + self.rejected


@dataclass
class RunData:
    """What a run directory holds, loaded and checked."""

    path: Path
    manifest: dict[str, Any]
    config: dict[str, Any]
    rounds: list[RoundData]
    planned_rounds: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.config.get("name") or self.path.name)

    @property
    def status(self) -> str:
        return str(self.manifest.get("status", "unknown"))

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def simulated(self) -> bool:
        return bool(self.manifest.get("synthetic") or self.manifest.get("simulated"))

    @property
    def model(self) -> str:
        """The model name the endpoint answered as (the teacher)."""
        return str(self.manifest.get("model") or self.config.get("endpoint", {}).get("model") or "unknown")

    @property
    def configured_model(self) -> str:
        """The model name in the config (differs from `model` when the simulator stood in)."""
        return str(self.config.get("endpoint", {}).get("model") or self.model)

    @property
    def stats(self) -> list[dict[str, Any]]:
        return [r.stats for r in self.rounds]

    @cached_property
    def by_id(self) -> dict[str, Record]:
        """Every record of every finished round (kept or rejected) by id; the first wins on a repeat."""
        out: dict[str, Record] = {}
        for rnd in self.rounds:
            for record in rnd.records:
                out.setdefault(str(record.get("id")), record)
        return out


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: missing ({what})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); the file looks half-written") from None


def _load_round(files: RunDir, number: int) -> RoundData:
    stats = _read_json(files.stats(number), "round stats")
    if not isinstance(stats, dict) or any(k not in stats for k in STATS_KEYS):
        raise DataError(f"{files.stats(number)}: not a round's stats (needs {', '.join(STATS_KEYS)})")
    lists = {}
    for name, path in (("kept", files.kept(number)), ("rejected", files.rejected(number))):
        if not path.exists():
            raise DataError(f"{path}: missing although the round's stats.json exists (half-written run?)")
        lists[name] = list(read_jsonl(path))
    return RoundData(number, stats, lists["kept"], lists["rejected"])


def load_run(run_dir: str | Path) -> RunData:
    """Load and check a run directory; a DataError says what is missing or broken."""
    path = Path(run_dir)
    if not path.exists():
        raise DataError(f"{path}: no such run directory")
    if not path.is_dir():
        raise DataError(f"{path}: not a directory (give the run folder, e.g. data/runs/demo)")
    files = RunDir(path)
    files.check_not_running()
    manifest = files.read_manifest()
    if manifest is None and files.lock.exists():  # a run took the folder, then stopped before its first write
        raise DataError(f"{path}: the run stopped before it wrote anything (no manifest.json); rerun `evol run` "
                        "with this --out to start it")
    if manifest is None:
        raise DataError(f"{path}: not an evol run directory (no manifest.json); was `evol run` pointed here?")
    config = files.read_resolved_config()
    finished, unfinished = files.round_numbers()
    if not finished:
        started = f" (started: {', '.join(files.round(n).name for n in unfinished)})" if unfinished else ""
        raise DataError(f"{path}: no finished round (no round-NN/stats.json){started}; "
                        "is the run still going, or did it stop early? Rerun `evol run` to resume it.")
    if finished != list(range(len(finished))):
        raise DataError(f"{path}: finished rounds {finished} are not 0..{len(finished) - 1}; the run folder is damaged")
    planned = config.get("rounds")
    run = RunData(path, manifest, config, [_load_round(files, n) for n in finished],
                  planned + 1 if isinstance(planned, int) else None)
    if manifest.get("status") != "finished" or (run.planned_rounds and len(finished) < run.planned_rounds):
        total = f" of {run.planned_rounds}" if run.planned_rounds else ""
        run.warnings.append(f"run not finished (status: {manifest.get('status', 'unknown')}): "
                            f"showing {len(finished)}{total} rounds (0..{finished[-1]})")
    if manifest.get("pending"):
        run.warnings.append(f"{manifest['pending']} items pending after endpoint failures; rerun `evol run` "
                            "to retry them")
    return run
