"""A throwaway Ray cluster on this machine, for tests and benchmarks of the Ray sandbox backend."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from evol.sandbox.ray_backend import import_ray


@contextlib.contextmanager
def local_instance(num_cpus: int, extra_nodes: Sequence[int] = ()) -> Iterator[Any]:
    """A throwaway Ray cluster on this machine, bound to 127.0.0.1, every file of it in one temp dir; this
    process is connected to it. Yields the `ray.cluster_utils.Cluster` (its `worker_nodes` can be removed).

    A head node with `num_cpus` CPUs and one more node per entry of `extra_nodes`. For tests and benchmarks:
    a fresh auth token in the environment (Ray would write one to ~/.ray), the workers' TMPDIR inside the temp
    dir (the run dirs of a worker killed mid-run go with it), and a fast health check, so a removed node is
    declared dead within about a second.
    """
    ray = import_ray()
    from ray.cluster_utils import Cluster

    temp = Path(tempfile.mkdtemp(prefix="evray", dir="/tmp"))  # short: Ray's unix socket paths have a length limit
    (temp / "tmp" / "ray").mkdir(parents=True)
    for folder in (temp, temp / "tmp"):
        folder.chmod(0o711)  # the sandbox uid must reach its work dir, as under /tmp
    env = {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Ray's switch for "bind to loopback, not the LAN"
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "TMPDIR": str(temp / "tmp"),  # inherited by the workers; Ray's address file goes there too
    }
    saved = {key: os.environ.get(key) for key in env}
    tempfile.gettempdir()  # this process keeps the temp dir it had
    os.environ.update(env)
    cluster = None
    try:
        cluster = Cluster(initialize_head=True, connect=True, head_node_args={
            "num_cpus": num_cpus, "include_dashboard": False, "temp_dir": str(temp),
            "_system_config": {"health_check_period_ms": 200, "health_check_failure_threshold": 3}})
        for cpus in extra_nodes:
            cluster.add_node(num_cpus=cpus)
        yield cluster
    finally:
        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(temp, ignore_errors=True)
