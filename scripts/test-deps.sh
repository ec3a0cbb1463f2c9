#!/usr/bin/env bash
# The system packages the test suite needs (Debian). Tests never install anything: a test that lacks one
# fails and names `make test-deps`, which runs this script (so does .ci/run).
# Idempotent: a tool already on PATH (e.g. rustc from rustup) is not installed again; otherwise one
# `apt-get update`, then one `apt-get install -y` of what is missing. Run as root (or with sudo).
set -euo pipefail
# tool:package — the report (chromium), the shared dedup index (redis-server), the sandbox (bubblewrap) and
# its language runners
TOOLS=(chromium:chromium redis-server:redis-server bwrap:bubblewrap node:nodejs sqlite3:sqlite3 g++:g++
       go:golang-go rustc:rustc javac:default-jdk-headless)
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
