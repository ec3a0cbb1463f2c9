"""Fault and capacity knobs of the sim (all off by default)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from evol.sim.dialect import SimDialect


@dataclass
class SimOptions:
    host: str = "127.0.0.1"
    port: int = 0
    model: str = "evol-sim"
    latency: float = 0.0  # seconds per request
    jitter: float = 0.0  # extra uniform random seconds
    p429: float = 0.0
    retry_after: float | None = None  # seconds, sent with 429s
    p500: float = 0.0
    p503: float = 0.0
    pdrop: float = 0.0  # close the connection without a reply
    pslow: float = 0.0  # 10x latency
    pmalformed: float = 0.0  # 200 with a body that is not JSON
    ptruncate: float = 0.0  # finish_reason "length", text cut in half
    capacity: int = 0  # 0 = unlimited in flight
    overload: Literal["queue", "429", "503"] = "queue"
    quota_after: int | None = None  # after this many successes, answer 429 insufficient_quota
    api_key: str | None = None  # when set, any other bearer key gets 401
    seed: int = 0
    log_path: str | None = None  # one line per request: the hash of its body
    dialect: SimDialect = field(default_factory=SimDialect)  # the teacher it plays (evol.sim.dialect)
