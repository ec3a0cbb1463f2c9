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

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from evol.sandbox.policy import Isolation, Limits, RunResult


class SandboxSettings(BaseModel):
    """The `[sandbox]` section: which backend runs programs, how many at once, and their default limits."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    backend: Literal["local", "ray"] = "local"
    address: str = "auto"
    workers: int | None = Field(None, ge=1)
    timeout_s: float = Field(5.0, gt=0, le=3600)
    memory_mb: int = Field(1024, ge=32)
    max_lost_retries: int = Field(2, ge=0, le=100)

    def limits(self) -> Limits:
        """The default per-program limits these settings give."""
        return Limits(timeout_s=self.timeout_s, memory_mb=self.memory_mb)


class SandboxLike(Protocol):
    """What callers (run_many, the execution filter, verification) need from a backend."""

    @property
    def workers(self) -> int: ...

    @property
    def isolation(self) -> Isolation: ...

    def run(self, program: str, *, limits: Limits | None = None, exit_ok: bool = True) -> RunResult: ...


def build_sandbox(settings: SandboxSettings) -> SandboxLike:
    """The local `Sandbox`, or a `RaySandbox` (which connects to its cluster on first use)."""
    if settings.backend == "ray":
        from evol.sandbox.ray_backend import RaySandbox

        return RaySandbox(
            address=settings.address,
            workers=settings.workers,
            limits=settings.limits(),
            max_lost_retries=settings.max_lost_retries,
        )
    from evol.sandbox.runner import Sandbox

    return Sandbox(limits=settings.limits(), workers=settings.workers)
