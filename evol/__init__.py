"""evol: grow code instruction-tuning data with Evol-Instruct and fine-tune StarCoder-family models.

`evol.run(...)`, `evol.open_run(path)` and `evol.Run` are the Python API (evol/api.py); they are imported on
first use, so `import evol` stays cheap.
"""

from __future__ import annotations

from typing import Any

from evol.version import __version__

__all__ = ["Run", "__version__", "open_run", "run"]
API = ("Run", "open_run", "run")


def __getattr__(name: str) -> Any:
    if name in API:
        from evol import api

        return getattr(api, name)
    raise AttributeError(f"module 'evol' has no attribute {name!r}")
