"""The Python API: run a recipe from a notebook or a script, then look at its records or get a Dataset.

    import evol
    run = evol.run("pipelines/demo.toml", rounds=2, out="data/runs/nb", base_url="http://localhost:8000/v1")
    run.rounds[1].kept, run.rounds[1].rejected    # records, each with its lineage (and stage/reason)
    ds = run.to_dataset()                         # datasets.Dataset: the rows of train.json

Keyword arguments mirror `evol run`'s flags; a rerun with the same arguments resumes, as the CLI does.
`evol.open_run(path)` reads a run made earlier (by either).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evol.records import Record
from evol.report.rundata import RoundData, RunData, load_run

if TYPE_CHECKING:
    import datasets


@dataclass
class Run:
    """A run folder, loaded: per-round kept and rejected records, stats, and the training rows."""

    data: RunData

    @property
    def path(self) -> Path:
        return self.data.path

    @property
    def rounds(self) -> list[RoundData]:
        """Finished rounds by number (0 = the answered seeds): `.kept`, `.rejected`, `.stats`."""
        return self.data.rounds

    @property
    def stats(self) -> list[dict[str, Any]]:
        return self.data.stats

    @property
    def simulated(self) -> bool:
        """True when the built-in simulator answered: the data is synthetic."""
        return self.data.simulated

    @property
    def kept(self) -> list[Record]:
        """Every kept record of every round, in round order."""
        return [r for rnd in self.rounds for r in rnd.kept]

    @property
    def rejected(self) -> list[Record]:
        """Every rejected record of every round, each with its `stage` and `reason`."""
        return [r for rnd in self.rounds for r in rnd.rejected]

    @cached_property
    def train_rows(self) -> list[dict[str, str]]:
        """The rows of the run's train.json (instruction, output), as written by the run."""
        from evol.io import parse_json
        from evol.rundir import RunDir

        path = RunDir(self.path).train
        return parse_json(path.read_text(encoding="utf-8"), path)

    def to_dataset(self) -> datasets.Dataset:
        """The training rows as a `datasets.Dataset`."""
        import datasets

        return datasets.Dataset.from_list(self.train_rows)


def open_run(path: str | Path) -> Run:
    """A run folder made earlier; a DataError names what is missing or broken."""
    return Run(load_run(path))


def run(config: str | Path = "pipelines/demo.toml", *, base_url: str | list[str] | None = None,
        model: str | None = None, api_key_env: str | None = None, rounds: int | None = None,
        seeds: str | list[str] | None = None, out: str | Path | None = None, concurrency: int | None = None,
        limit: int | None = None, seed: int | None = None, no_cache: bool = False, quiet: bool = False) -> Run:
    """Run (or resume) the recipe `config` (a TOML path or a shipped recipe's name, e.g. "demo").

    The keyword arguments are `evol run`'s flags; `quiet` hides the progress display. Errors are raised as
    evol.errors.EvolError subclasses (ConfigError, DataError, EndpointError).
    """
    from rich.console import Console

    from evol.pipeline import run as run_pipeline
    from evol.progress import RichView
    from evol.recipes import flag_overrides, load_recipe

    overrides = flag_overrides(base_url=base_url, model=model, api_key_env=api_key_env, rounds=rounds, seeds=seeds,
                               out=out, concurrency=concurrency, limit=limit, seed=seed, no_cache=no_cache)
    result = run_pipeline(load_recipe(config, overrides), console=Console(stderr=True, quiet=quiet),
                          view=RichView())
    return open_run(result.run_dir)
