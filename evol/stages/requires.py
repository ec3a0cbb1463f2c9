"""What a stage needs from the machine: a system tool, a sandbox language runner, a Python extra, the sandbox.

A stage declares its requirements (`Stage.requires(cfg)`); preflight (evol/preflight.py) fails a run whose
stages miss one, in one line, before anything is spent, and `evol sandbox doctor` lists them all.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["tool", "runner", "extra", "sandbox"]


@dataclass(frozen=True)
class Requirement:
    """One thing a stage needs. `install` says how to get it (for a tool or an extra)."""

    kind: Kind
    name: str
    install: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"

    def missing(self) -> str | None:
        """None when this machine has it, else why not and how to install it."""
        how = f" (install: {self.install})" if self.install else ""
        if self.kind == "tool":
            return None if shutil.which(self.name) is not None else f"{self.name} not on PATH{how}"
        if self.kind == "extra":
            found = importlib.util.find_spec(self.name) is not None
            return None if found else f"Python module {self.name} not installed{how}"
        if self.kind == "runner":
            from evol.sandbox.languages import RUNNERS

            runner = RUNNERS.get(self.name)
            return f"no sandbox runner named {self.name!r}" if runner is None else runner.missing()
        return _sandbox_missing()


def _sandbox_missing() -> str | None:
    """Why the local sandbox cannot run programs here (its isolation probe), or None."""
    from evol.sandbox import Limits, Sandbox, SandboxUnavailable

    try:
        Sandbox(Limits(timeout_s=10.0), workers=1).isolation  # noqa: B018 (probes, then caches for the process)
    except SandboxUnavailable as exc:
        return str(exc)
    return None


def tool(name: str, install: str = "") -> Requirement:
    return Requirement("tool", name, install)


def runner(language: str) -> Requirement:
    return Requirement("runner", language)


def extra(module: str, install: str = "") -> Requirement:
    return Requirement("extra", module, install)


def sandbox(cfg: Any) -> tuple[Requirement, ...]:
    """What running programs needs under the config's `[sandbox]`: Ray for its backend, else the local sandbox."""
    if cfg.sandbox.backend == "ray":
        return (extra("ray", "pip install 'evol[ray]'"),)
    return (Requirement("sandbox", "local"), runner("python"))


def unmet(named: list[tuple[str, Requirement]]) -> list[str]:
    """'stage: needs kind name: why' for each (stage name, requirement) this machine lacks, in order."""
    out = []
    for stage, req in named:
        why = req.missing()
        if why is not None:
            out.append(f"stage {stage!r} needs {req}: {why}")
    return out
