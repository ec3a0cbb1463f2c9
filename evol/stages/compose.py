"""A run's stages: the table's, plus those a recipe adds by dotted path (`[stages] extra`), each where it says.

    [stages]
    extra = ["mypkg.stages:lint", { path = "mypkg.stages:review", after = "filter" }]

A path names a `Stage` (evol/stages/table.py), or anything with the built-ins' interface (a module, say:
`pkg.module` without a colon names the module itself): an async `run(ctx, item) -> Reject | None` and,
optionally, `applies(ctx, item)`, `requires(cfg)`, `prompts` and `retry`; its name is the path's last
part. Without `after`/`before` a stage goes just before `decontam`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evol.errors import ConfigError
from evol.prompts import DEFAULT_PROMPTS_DIR, PromptSet, verification_extras
from evol.stages import table
from evol.stages.custom import resolve
from evol.stages.requires import Requirement
from evol.stages.table import Stage

DEFAULT_BEFORE = "decontam"


def load_stage(spec: str, key: str = "stages.extra") -> Stage:
    """The stage a dotted path names (`pkg.module:name`, or `pkg.module` for a module with a `run`)."""
    obj = resolve(spec, key) if ":" in spec else _module(spec, key)
    if isinstance(obj, Stage):
        return obj
    run = getattr(obj, "run", None)
    if not callable(run):
        raise ConfigError(f"{key}: {spec!r} is a {type(obj).__name__}, not a Stage nor anything with a run(ctx, item)")
    name = spec.rpartition(":")[2].rpartition(".")[2]
    fields = {f: getattr(obj, f) for f in ("applies", "requires", "prompts", "retry") if hasattr(obj, f)}
    return Stage(name, f"{name}_rejected", name, fields.pop("retry", True), run, **fields)


def _module(name: str, key: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(f"{key}: cannot import {name!r} ({exc})") from None


def run_stages(cfg: Any) -> list[Stage]:
    """The table's stages with the recipe's extra ones inserted where each says."""
    stages = list(table.STAGES)
    for entry in cfg.stages.extra:
        path, after, before = (entry, None, None) if isinstance(entry, str) else (entry.path, entry.after,
                                                                                  entry.before)
        stage = load_stage(path)
        names = [s.name for s in stages]
        if stage.name in names:
            raise ConfigError(f"stages.extra: {path!r}: a stage named {stage.name!r} is already in the run")
        anchor = after or before or DEFAULT_BEFORE
        if anchor not in names:
            raise ConfigError(f"stages.extra: {path!r}: no stage {anchor!r} to go next to; stages: {names}")
        stages.insert(names.index(anchor) + (after is not None), stage)
    llm = {s.name for s in stages if s.calls_llm}
    unknown = sorted(set(cfg.endpoint.stage_api) - llm)
    if unknown:
        raise ConfigError(f"endpoint.stage_api: {unknown} call(s) no LLM; the stages that do: {sorted(llm)}")
    return stages


def prompt_set(cfg: Any, stages: Sequence[Stage]) -> PromptSet:
    """The run's templates: the shipped ones it needs, and those its other stages bring (validated now)."""
    folder = Path(cfg.prompts_dir) if cfg.prompts_dir else DEFAULT_PROMPTS_DIR
    extra = tuple(p for s in stages if s.active(cfg) for p in s.prompts)
    return PromptSet(list(cfg.evolve.methods), folder, verify=cfg.verify.mode if cfg.verify.enabled else None,
                     extra=extra, also=verification_extras(cfg.verify))


def requirements(cfg: Any, stages: Sequence[Stage]) -> list[tuple[str, Requirement]]:
    """(stage name, requirement) of every stage the config uses."""
    return [(s.name, req) for s in stages if s.active(cfg) for req in s.requires(cfg)]

