"""The lock files in requirements/ agree with pyproject.toml's ranges and with each other.

`make` installs from them (scripts/lock.sh writes them with `uv pip compile`); a range changed in pyproject
without `make lock` would install a version the range no longer allows: these checks catch it.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.helpers import REPO

LOCKS = REPO / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)")
GROUPS = {"core": (), "eval": ("eval",), "train": ("train", "eval"), "report": ("report",),
          "dev": ("train", "eval", "report", "dev", "redis", "ray")}
HEAVY = ("torch", "transformers", "deepspeed", "ray", "accelerate")  # never in what `make evolve` installs


def pins(name: str) -> dict[str, Version]:
    """Package -> pinned version, from one lock file (every pin must carry a hash)."""
    text = (LOCKS / f"{name}.txt").read_text()
    entries = re.split(r"\n(?=\S)", text)
    out = {}
    for entry in entries:
        found = PIN.match(entry)
        if found:
            assert "--hash=sha256:" in entry, f"{name}.txt: {found[1]} has no hash"
            out[canonicalize_name(found[1])] = Version(found[2])
    return out


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    """pyproject's core dependencies and those of `extras` (evol[...] self-references left out)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return [r for r in map(Requirement, reqs) if canonicalize_name(r.name) != "evol"]


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_pins_what_pyproject_declares_within_its_range(group: str) -> None:
    locked = pins(group)
    for req in declared(GROUPS[group]):
        name = canonicalize_name(req.name)
        assert name in locked, f"{group}.txt lacks {req.name}: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), \
            f"{group}.txt pins {req.name}=={locked[name]}, outside {req} in pyproject.toml: run `make lock`"


def test_groups_agree_and_the_first_run_stays_light() -> None:
    dev = pins("dev")
    for group in GROUPS:
        for name, version in pins(group).items():
            assert dev.get(name) == version, f"{group}.txt pins {name}=={version}, dev.txt {dev.get(name)}"
    assert not set(HEAVY) & set(pins("core")), "make evolve would install a heavy package"
    assert str(dev["torch"]).endswith("+cpu")  # the CPU build: no CUDA wheels on a CPU machine


def test_every_install_the_makefile_runs_is_pinned() -> None:
    """A fresh clone installs the same versions every day: from a lock file (with hashes), the project itself,
    the drift check's newest-allowed on purpose, or an exact version (vLLM for `make serve`)."""
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        pinned = ("--require-hashes" in line or "--no-deps -e ." in line or "--upgrade --refresh" in line
                  or re.search(r"\s[A-Za-z0-9_.\-]+==\$\([A-Z_]+\)|\s[A-Za-z0-9_.\-]+==[0-9]", line))
        assert pinned, f"Makefile installs without a pin: {line.strip()}"
