"""Build the tiny model, then serve it with `transformers serve` (its Serve class, as the CLI runs it).

    python -m tests.servers.serve_tiny FOLDER PORT_FILE SEED_FILE

One process for both saves a second torch import (about 10 s on a loaded 2-core machine). The server binds
a free loopback port and writes it to PORT_FILE once it accepts connections.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tests.servers.tiny_model import build, seed_corpus


def main(folder: str, port_file: str, seed_file: str) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    path = build(Path(folder), seed_corpus(Path(seed_file)))
    from transformers.cli.serve import Serve

    serve = Serve(str(path), host="127.0.0.1", port=0, device="cpu", dtype="float32", log_level="warning",
                  default_seed=0, non_blocking=True)
    while not serve.server.started:
        time.sleep(0.05)
    port = serve.server.servers[0].sockets[0].getsockname()[1]
    tmp = Path(port_file + ".tmp")
    tmp.write_text(str(port))
    tmp.replace(port_file)
    serve._thread.join()


if __name__ == "__main__":
    main(*sys.argv[1:4])
