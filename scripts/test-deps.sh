#!/usr/bin/env bash
# The system packages the test suite needs (Debian). Tests never install anything: a test that lacks one
# fails and names `make test-deps`, which runs this script (so does .ci/run).
# Idempotent: a tool already on PATH (e.g. rustc from rustup) is not installed again; otherwise one
# `apt-get update`, then one `apt-get install -y` of what is missing. Run as root (or with sudo).
set -euo pipefail
# tool:package — the report (chromium), the shared dedup index (redis-server), the sandbox (bubblewrap), and
# its language runners as the runner table lists them (evol/sandbox/runners.py: standard library only, so it
# runs before anything is installed). `--list` prints the pairs and installs nothing.
cd "$(dirname "$0")/.."
runner_tools=$(python3 evol/sandbox/runners.py --packages)
# shellcheck disable=SC2206  # one tool:package a line, no spaces
TOOLS=(chromium:chromium redis-server:redis-server bwrap:bubblewrap $runner_tools)
if [ "${1:-}" = "--list" ]; then
    printf '%s\n' "${TOOLS[@]}"
    exit 0
fi
missing=()
for pair in "${TOOLS[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "test-deps: all present"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# another apt run may hold the dpkg lock: wait for it instead of failing
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
