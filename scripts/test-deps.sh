#!/usr/bin/env bash
# The Debian packages the test suite needs (tests never install anything: a test that lacks one fails and
# names this script). Idempotent: installs only what is missing, with one `apt-get update` first.
# Used by .ci/run and `make test-deps`; run as root (or with sudo).
set -euo pipefail
PACKAGES=(chromium redis-server)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "test-deps: all present (${PACKAGES[*]})"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# another apt run may hold the dpkg lock: wait for it instead of failing
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
