"""Run sandboxed programs on a Ray cluster: one worker actor per node, each holding that node's local Sandbox.

    sandbox = RaySandbox(address="auto")   # or "ray://head:10001"; inside ray.init() the running instance is used
    sandbox.run("print(1)")                # the same RunResult the local Sandbox gives

Each actor owns an ordinary `Sandbox` with `slots` worker slots on its node, so isolation, limits and outcomes
(passed / failed / timed_out) are exactly the local sandbox's; only the program text and the RunResult travel.
The driver never sends an actor more programs than it has slots (callers' threads block in `run`, as with the
local Sandbox). A lost worker (its process or node died, or a call outlived the program's timeout by
`hang_margin_s`) is replaced on its node while Ray reports that node alive, else dropped with its slots; the
program is rerun on another slot, up to `max_lost_retries` times. A loss is never reported as a failed program;
after the last retry `WorkerLost` says what happened.
Ray is optional (`pip install 'evol[ray]'`) and imported only when a RaySandbox first runs something.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from dataclasses import dataclass
from typing import Any

from evol.errors import ConfigError, EvolError
from evol.sandbox.policy import Isolation, Limits, RunResult

START_TIMEOUT_S = 300.0  # placing the actors and probing each node's isolation


class WorkerLost(EvolError):
    """A program's Ray worker was lost on every try (the program itself never failed)."""


class SandboxWorker:
    """The actor: a local Sandbox on one node (Ray runs up to `slots` of its `run` calls at once, in threads)."""

    def __init__(self, slots: int, limits: Limits) -> None:
        from evol.sandbox.runner import Sandbox

        self.sandbox = Sandbox(limits=limits, workers=slots)

    def ready(self) -> dict[str, Any]:
        """Where this worker runs and the isolation its sandbox found there (probed now, before any program)."""
        import ray

        return {"pid": os.getpid(), "host": socket.gethostname(), "node": ray.get_runtime_context().get_node_id(),
                "slots": self.sandbox.workers, "isolation": self.sandbox.isolation}

    def supports(self, language: str) -> bool:
        check = getattr(self.sandbox, "supports", None)
        return bool(check(language)) if check is not None else language == "python"

    def run(
        self, program: str, language: str, limits: Limits, exit_ok: bool, results: int | None = None
    ) -> RunResult:
        return self.sandbox.run(program, language=language, limits=limits, exit_ok=exit_ok, results=results)


@dataclass
class _Actor:
    node_id: str
    slots: int
    handle: Any


def plan_slots(nodes: list[tuple[str, int]], wanted: int | None) -> list[tuple[str, int]]:
    """Spread `wanted` slots (None: one per CPU) over (node id, CPUs) pairs, one at a time, capped at the CPUs."""
    room = {node: cpus for node, cpus in nodes if cpus > 0}
    if not room:
        raise EvolError("sandbox: the Ray cluster has no node with a CPU to run programs on")
    left = sum(room.values()) if wanted is None else min(wanted, sum(room.values()))
    slots = dict.fromkeys(room, 0)
    while left:
        for node in room:
            if left and slots[node] < room[node]:
                slots[node] += 1
                left -= 1
    return [(node, n) for node, n in slots.items() if n]


class RaySandbox:
    """The Sandbox's `run` surface over a Ray cluster (see the module docstring)."""

    def __init__(
        self,
        address: str | None = "auto",
        workers: int | None = None,
        limits: Limits | None = None,
        max_lost_retries: int = 2,
        hang_margin_s: float = 120.0,
    ) -> None:
        self.address = address
        self.wanted = workers
        self.limits = limits or Limits()
        self.max_lost_retries = max_lost_retries
        self.hang_margin_s = hang_margin_s
        self.lost = 0  # program runs lost with their worker (each was rerun or ended in WorkerLost)
        self._ray: Any = None
        self._remote: Any = None  # SandboxWorker as a Ray actor class
        self._job: str | None = None  # the Ray session (driver job) the actors belong to
        self._owns_ray = False
        self._actors: list[_Actor | None] = []  # None: dropped with its node
        self._info: list[dict[str, Any]] = []
        self._free: queue.Queue[int] = queue.Queue()  # an actor index per free slot
        self._lock = threading.Lock()

    @property
    def workers(self) -> int:
        """Worker slots over the whole cluster."""
        self.start()
        return sum(a.slots for a in self._actors if a is not None)

    @property
    def isolation(self) -> Isolation:
        """The isolation the first node's sandbox found (every node's is in `describe()`)."""
        self.start()
        return self._info[0]["isolation"]

    def describe(self) -> dict[str, Any]:
        self.start()
        return {"backend": "ray", "address": self.address, "workers": self.workers, "limits": self.limits.__dict__,
                "nodes": [{**info, "isolation": info["isolation"].describe()} for info in self._info]}

    def supports(self, language: str) -> bool:
        """Whether the workers' sandbox has a runner for `language`."""
        self.start()
        actor = next(a for a in self._actors if a is not None)
        return bool(self._ray.get(actor.handle.supports.remote(language)))

    def start(self) -> None:
        """Connect to the cluster (once) and place one worker actor per node that gets slots."""
        with self._lock:
            if self._actors and self._job == _job(self._ray):
                return
            self._actors, self._info, self._free = [], [], queue.Queue()  # none yet, or their Ray session ended
            ray = self._ray = import_ray()
            self._remote = ray.remote(SandboxWorker)
            if not ray.is_initialized():
                try:
                    ray.init(address=self.address, log_to_driver=False, logging_level="WARNING")
                except (ConnectionError, ValueError, RuntimeError) as exc:
                    raise ConfigError(f"sandbox.address = {self.address!r}: cannot connect to a Ray cluster "
                                      f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                                      "start one with `ray start --head`") from None
                self._owns_ray = True
            self._job = _job(ray)
            nodes = [(n["NodeID"], int(n["Resources"].get("CPU", 0))) for n in ray.nodes() if n["Alive"]]
            plan = plan_slots(nodes, self.wanted)
            placed = [_Actor(node, slots, self._spawn(node, slots)) for node, slots in plan]
            self._actors = list(placed)
            try:
                self._info = ray.get([a.handle.ready.remote() for a in placed], timeout=START_TIMEOUT_S)
            except ray.exceptions.GetTimeoutError:
                self._kill_all()
                raise EvolError(f"sandbox: Ray could not place {len(placed)} worker(s) in "
                                f"{START_TIMEOUT_S:g} s (are the cluster's CPUs busy? see `ray status`)") from None
            except ray.exceptions.RayError as exc:
                self._kill_all()
                raise EvolError(f"sandbox: a Ray worker could not start evol's sandbox (is this evol installed "
                                f"on every node?): {str(exc).splitlines()[0]}") from None
            for index, actor in enumerate(placed):
                for _ in range(actor.slots):
                    self._free.put(index)

    def _spawn(self, node_id: str, slots: int) -> Any:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        actor = self._remote.options(
            num_cpus=slots,
            max_concurrency=slots + 1,  # + 1: `ready`/`supports` are answered while every slot is busy
            max_restarts=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=True),  # elsewhere if that node died
        )
        return actor.remote(slots, self.limits)

    def run(
        self,
        program: str,
        *,
        language: str = "python",
        limits: Limits | None = None,
        exit_ok: bool = True,
        results: int | None = None,
    ) -> RunResult:
        """Run one program on a free worker slot (blocks while all are busy); rerun it if its worker is lost."""
        self.start()
        ray, limits = self._ray, limits or self.limits
        lost_errors = (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                       ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError)
        losses: list[str] = []
        for _ in range(self.max_lost_retries + 1):
            index, actor = self._take()
            try:
                ref = actor.handle.run.remote(program, language, limits, exit_ok, results)
                return ray.get(ref, timeout=limits.timeout_s + self.hang_margin_s)
            except lost_errors as exc:
                losses.append(type(exc).__name__)
                self._replace(index, actor)
            except ray.exceptions.GetTimeoutError:
                losses.append(f"no answer {limits.timeout_s + self.hang_margin_s:g} s after the program started")
                self._replace(index, actor)
            finally:
                if self._actors[index] is not None:
                    self._free.put(index)
        raise WorkerLost(f"sandbox: the Ray worker running a program was lost {len(losses)} time(s) "
                         f"({', '.join(losses)}); see `ray status`, or raise sandbox.max_lost_retries")

    def _take(self) -> tuple[int, _Actor]:
        """A free slot (blocks while all are busy); the slots of actors dropped with their node are skipped."""
        while True:
            if not any(self._actors):
                raise WorkerLost("sandbox: every Ray node that ran sandbox workers is gone; see `ray status`")
            try:
                index = self._free.get(timeout=1.0)
            except queue.Empty:
                continue
            actor = self._actors[index]
            if actor is not None:
                return index, actor

    def _replace(self, index: int, seen: _Actor) -> None:
        """Swap a lost actor for a fresh one on the same node, or drop it (and its slots) if the node is gone;
        once, however many of its calls saw the loss."""
        with self._lock:
            self.lost += 1
            if self._actors[index] is not seen:
                return
            try:
                self._ray.kill(seen.handle)
            except Exception:  # already gone
                pass
            alive = {n["NodeID"] for n in self._ray.nodes() if n["Alive"]}
            self._actors[index] = (
                _Actor(seen.node_id, seen.slots, self._spawn(seen.node_id, seen.slots))
                if seen.node_id in alive
                else None
            )

    def worker_pids(self) -> list[int]:
        """The process id of each worker actor (for diagnostics and the worker-loss test)."""
        self.start()
        return [info["pid"] for info in self._ray.get([a.handle.ready.remote() for a in self._actors if a])]

    def close(self) -> None:
        """Stop the worker actors (and the Ray connection, if this object opened it)."""
        with self._lock:
            if self._ray is None:
                return
            self._kill_all()
            if self._owns_ray:
                self._ray.shutdown()
                self._owns_ray = False

    def _kill_all(self) -> None:
        for actor in filter(None, self._actors):
            try:
                self._ray.kill(actor.handle)
            except Exception:  # already gone
                pass
        self._actors, self._info = [], []
        self._free = queue.Queue()

    def __enter__(self) -> RaySandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _job(ray: Any) -> str | None:
    """This driver's Ray job id (a new one after each ray.init), None when not connected."""
    return ray.get_runtime_context().get_job_id() if ray is not None and ray.is_initialized() else None


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("sandbox.backend = 'ray' needs Ray: pip install 'evol[ray]'") from None
    return ray
