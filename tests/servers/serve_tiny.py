"""Build the tiny model, then serve it with the `transformers serve` command line (its public interface).

    python -m tests.servers.serve_tiny FOLDER SEED_FILE

The model is made here from the seed file (nothing from a hub); this process then becomes the server
(`exec`), so the caller's process handle stops the server itself. It binds a free loopback port (`--port 0`)
and uvicorn logs that port ("Uvicorn running on http://127.0.0.1:PORT"), with one line per request.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tests.servers.tiny_model import build, seed_corpus


def serve_command(model: Path) -> list[str]:
    """The `transformers serve` command line for `model`: CPU, float32, seeded, a free loopback port."""
    cli = Path(sys.executable).parent / "transformers"
    exe = str(cli) if cli.exists() else shutil.which("transformers") or "transformers"
    return [exe, "serve", "--host", "127.0.0.1", "--port", "0", "--device", "cpu", "--dtype", "float32",
            "--default-seed", "0", "--log-level", "info", str(model)]


def main(folder: str, seed_file: str) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    path = build(Path(folder), seed_corpus(Path(seed_file)))
    cmd = serve_command(path)
    sys.stdout.flush()
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(*sys.argv[1:3])
