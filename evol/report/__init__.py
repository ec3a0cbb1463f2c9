"""See the data: load a finished run, measure it, and show it (HTML report, terminal tables, lineage, export)."""

from evol.report.rundata import RoundData, RunData, load_run

__all__ = ["RoundData", "RunData", "load_run"]
