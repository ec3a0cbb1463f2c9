#!/usr/bin/env bash
# What `make evolve` costs on a fresh clone: seconds to install (uv bootstrap + the core lock group) and to run
# the demo, and the size of .venv and .uv/. Twice: with the uv cache as this machine has it (warm) and with an
# empty one (cold: every wheel downloaded). Writes bench/results/install.json.
# Usage: bash scripts/bench_install.sh   (clones the committed HEAD; needs PyPI for the cold run)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
one() {  # one NAME [VAR=value ...]: a fresh clone, `make evolve` in it, figures as one JSON object
    local name=$1; shift
    git clone -q "$repo" "$work/$name"
    ( cd "$work/$name"
      t0=$(date +%s.%N)
      env "$@" make -s .uv/bin/uv .venv/.installed-core > "$work/$name.install.log" 2>&1
      t1=$(date +%s.%N)
      env "$@" make -s evolve OUT="$work/$name-run" > "$work/$name.run.log" 2>&1
      t2=$(date +%s.%N)
      rows=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/$name-run/train.json")
      printf '{"case": "%s", "install_s": %.1f, "demo_s": %.1f, "total_s": %.1f, "venv_mib": %s, "uv_mib": %s, "train_rows": %s}\n' \
        "$name" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t2 - $t0" | bc)" \
        "$(du -sm .venv | cut -f1)" "$(du -sm .uv | cut -f1)" "$rows" )
}
warm=$(one warm)
cold=$(one cold UV_CACHE_DIR="$work/uv-cache" PIP_NO_CACHE_DIR=1)
python3 - "$repo/bench/results/install.json" "$warm" "$cold" "$(git -C "$repo" rev-parse --short HEAD)" <<'PY'
import json, os, sys, time
out, warm, cold, commit = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
doc = {"what": "make evolve on a fresh clone: uv bootstrap + requirements/core.txt into .venv, then the demo "
               "(pipelines/demo.toml, built-in simulator)",
       "date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": commit, "cpus": os.cpu_count(),
       "load_1min": round(os.getloadavg()[0], 2), "mib": "du -sm (MiB of disk blocks)", "runs": [warm, cold]}
with open(out, "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")
print(json.dumps(doc, indent=2))
PY
