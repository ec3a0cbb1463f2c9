"""Where sandboxed programs run: the `[sandbox]` config section and the factory that builds the backend.

    [sandbox]
    backend = "ray"           # "local" (default): this machine's cores; "ray": a Ray cluster
    address = "auto"          # the cluster: "auto" (RAY_ADDRESS or the one `ray start` left here) or ray://host:10001
    workers = 8               # worker slots in all (default: every core, of this machine or of the cluster)
    timeout_s = 5.0           # per-program defaults (used by verification)
    memory_mb = 1024
    max_lost_retries = 2      # reruns of a program whose Ray worker was lost, before giving up
"""

from __future__ import annotations

import threading
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from evol.datafields import NotData
from evol.sandbox.policy import Isolation, Limits, RunResult


class SandboxSettings(BaseModel):
    """The `[sandbox]` section: which backend runs programs, how many at once, and their default limits."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    backend: NotData[Literal["local", "ray"]] = "local"  # where programs run never changes how they end
    address: NotData[str] = "auto"
    workers: NotData[int | None] = Field(None, ge=1)
    timeout_s: float = Field(5.0, gt=0, le=3600)
    memory_mb: int = Field(1024, ge=32)
    max_lost_retries: NotData[int] = Field(2, ge=0, le=100)

    def limits(self) -> Limits:
        """The default per-program limits these settings give."""
        return Limits(timeout_s=self.timeout_s, memory_mb=self.memory_mb)


class SandboxLike(Protocol):
    """What callers (run_many, the execution filter, verification) need from a backend."""

    @property
    def workers(self) -> int: ...

    @property
    def isolation(self) -> Isolation: ...

    def run(self, program: str, *, language: str = "python", limits: Limits | None = None,
            exit_ok: bool = True, results: int | None = None) -> RunResult: ...

    def supports(self, language: str) -> bool: ...


_shared: dict[str, SandboxLike] = {}
_lock = threading.Lock()


def build_sandbox(settings: SandboxSettings) -> SandboxLike:
    """The backend for `settings`: one per distinct settings in this process, shared by every caller (the
    execution filter, verification), as `default_sandbox()` is; two Ray backends would each claim the
    cluster's CPUs. The local `Sandbox` (the process-wide one under default settings), or a `RaySandbox`,
    which connects to its cluster on first use."""
    key = settings.model_dump_json()
    with _lock:
        if key not in _shared:
            _shared[key] = _make(settings)
        return _shared[key]


def close_shared() -> None:
    """Stop the Ray workers of every backend `build_sandbox` made, and forget them all."""
    from evol.sandbox.ray_backend import RaySandbox

    with _lock:
        backends = list(_shared.values())
        _shared.clear()
    for backend in backends:
        if isinstance(backend, RaySandbox):
            backend.close()


def _make(settings: SandboxSettings) -> SandboxLike:
    if settings.backend == "ray":
        from evol.sandbox.ray_backend import RaySandbox

        return RaySandbox(
            address=settings.address,
            workers=settings.workers,
            limits=settings.limits(),
            max_lost_retries=settings.max_lost_retries,
        )
    from evol.sandbox import default_sandbox
    from evol.sandbox.runner import Sandbox

    if settings.workers is None and settings.limits() == Limits():
        return default_sandbox()
    return Sandbox(limits=settings.limits(), workers=settings.workers)
