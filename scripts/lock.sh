#!/usr/bin/env bash
# Re-resolve the lock files in requirements/ from pyproject.toml's ranges (`make lock`), with uv.
# One file per install group, each complete (the core dependencies included) and fully pinned with hashes;
# every group is resolved under dev.txt's pins, so a package has one version in all of them.
#   core.txt    `make evolve`: evol's own dependencies (no torch, transformers, deepspeed, ray)
#   eval.txt    `make eval BACKEND=hf`: + torch (CPU build), transformers
#   train.txt   `make train`, `make gpu-check`: + deepspeed, accelerate
#   report.txt  `make report`: + plotly
#   dev.txt     `make test`, `make install`: every extra, the test tools
#   litellm.txt `make litellm-venv`: the LiteLLM proxy of tests/servers (requirements/in/litellm.in)
#   uv.txt      uv itself (requirements/in/uv.in), bootstrapped into .uv/ with pip
# torch is locked to its CPU build (requirements/in/torch-cpu.txt; TORCH_WHEELS is the folder with its wheel).
# UPGRADE=1 moves every pin to the newest version the ranges allow; without it, pins already here are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-.uv/bin/uv}
wheels=${TORCH_WHEELS:-/opt/wheels}
common=(--quiet --python-version 3.11 --generate-hashes --no-strip-extras --custom-compile-command "make lock"
        --find-links "$wheels" --overrides requirements/in/torch-cpu.txt)
[ -z "${UPGRADE:-}" ] || common+=(--upgrade)
lock() {  # lock NAME SOURCE... [uv options]
    local name=$1; shift
    "$uv" pip compile "${common[@]}" "$@" -o "requirements/$name.txt"
    sed -i "/^--find-links /d" "requirements/$name.txt"  # the folder is this machine's: the Makefile passes it
}
lock dev pyproject.toml --extra train --extra eval --extra report --extra dev
lock core pyproject.toml -c requirements/dev.txt
lock eval pyproject.toml --extra eval -c requirements/dev.txt
lock train pyproject.toml --extra train -c requirements/dev.txt
lock report pyproject.toml --extra report -c requirements/dev.txt
lock litellm requirements/in/litellm.in
lock uv requirements/in/uv.in
grep -c '==' requirements/*.txt
