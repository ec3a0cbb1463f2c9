"""Answer a batch input file with the simulator, without a server: a stand-in for `vllm run-batch`."""

from __future__ import annotations

from pathlib import Path

from evol.sim.batch import answer_text
from evol.sim.faults import SimOptions
from evol.sim.server import Sim


def run_batch(input_path: Path, output_path: Path) -> int:
    """Answer a batch input file like `vllm run-batch -i IN -o OUT`; returns the number of lines."""
    out = answer_text(Sim(SimOptions()), input_path.read_text(encoding="utf-8"))
    output_path.write_text(out, encoding="utf-8")
    return out.count("\n")
