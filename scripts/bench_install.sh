#!/usr/bin/env bash
# What installing costs on a fresh clone, written to bench/results/install.json (with its provenance):
#   runs       `make evolve` twice, with the uv cache as this machine has it (warm) and with an empty one (cold:
#              every wheel downloaded): seconds to install (uv bootstrap + the core lock group) and of the demo,
#              and the size of .venv and .uv/
#   dev        then `make install` in the warm clone: the dev group on top (every extra, CPU torch)
#   pip_core   the core lock file installed by pip instead (--no-deps --require-hashes), for comparison
# Usage: bash scripts/bench_install.sh   (clones the committed HEAD; needs PyPI for the cold run)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { printf '%.1f' "$(echo "$2 - $1" | bc)"; }
mib() { du -sm "$1" | cut -f1; }
one() {  # one NAME [VAR=value ...]: a fresh clone, `make evolve` in it, figures as one JSON object
    local name=$1; shift
    git clone -q "$repo" "$work/$name"
    cd "$work/$name"
    local t0 t1 t2 rows
    t0=$(now); env "$@" make -s .uv/bin/uv .venv/.installed-core > "$work/$name.install.log" 2>&1
    t1=$(now); env "$@" make -s evolve OUT="$work/$name-run" > "$work/$name.run.log" 2>&1
    t2=$(now)
    rows=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/$name-run/train.json")
    printf '{"case": "%s", "install_s": %s, "demo_s": %s, "total_s": %s, "venv_mib": %s, "uv_mib": %s, "train_rows": %s}' \
        "$name" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(secs "$t0" "$t2")" "$(mib .venv)" "$(mib .uv)" "$rows"
}
warm=$(one warm)
cold=$(one cold UV_CACHE_DIR="$work/uv-cache" PIP_NO_CACHE_DIR=1)
cd "$work/warm"
t0=$(now); make -s install > "$work/dev.log" 2>&1; t1=$(now)
dev=$(printf '{"install_s": %s, "venv_mib": %s}' "$(secs "$t0" "$t1")" "$(mib .venv)")
python3 -m venv "$work/pip-venv"
t0=$(now); "$work/pip-venv/bin/pip" install -q --no-deps --require-hashes -r requirements/core.txt > "$work/pip.log" 2>&1
t1=$(now)
pip_core=$(printf '{"install_s": %s}' "$(secs "$t0" "$t1")")
cd "$repo"
PYTHONPATH="$repo" python3 - "$warm" "$cold" "$dev" "$pip_core" <<'PY'
import json, sys
from bench.provenance import write_results
warm, cold, dev, pip_core = map(json.loads, sys.argv[1:5])
path = write_results("install.json", {
    "what": "make evolve on a fresh clone: uv bootstrap + requirements/core.txt into .venv, then the demo "
            "(pipelines/demo.toml, built-in simulator); dev: make install after it; pip_core: core.txt by pip",
    "mib": "du -sm (MiB of disk blocks)", "runs": [warm, cold], "dev": dev, "pip_core": pip_core})
print(path.read_text())
PY
