"""The project's error hierarchy. Only the CLI turns these into a message and an exit code."""


class EvolError(Exception):
    """Base of every error evol raises on purpose."""

    exit_code = 1


class ConfigError(EvolError):
    """A bad config file, flag or template."""

    exit_code = 2


class DataError(EvolError):
    """Malformed input data (seeds, datasets, benchmark files, run directories)."""

    exit_code = 3


class EndpointError(EvolError):
    """The LLM endpoint failed in a way retries cannot fix (bad key, no quota, unreachable)."""

    exit_code = 4


class RunBusy(DataError):
    """The run folder's run is still going: another process holds its lock (see evol.rundir.RunDir.locked)."""

    def __init__(self, path: object, pid: int | None, doing: str) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"{path}: a run is still going in this folder ({who} holds its lock); {doing}")
        self.pid = pid
