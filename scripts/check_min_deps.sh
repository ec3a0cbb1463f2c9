#!/usr/bin/env bash
# Check the declared lower bounds: install evol with every core dependency pinned to its `>=` minimum in a
# throwaway venv, then run the demo offline (built-in simulator) through the CLI and the Python API from an
# empty folder. Needs PyPI; takes a few minutes. Usage: bash scripts/check_min_deps.sh   (PY=python3.11 ...)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
py=${PY:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" - "$repo/pyproject.toml" > "$work/minimums.txt" <<'PY'
import re, sys, tomllib
with open(sys.argv[1], "rb") as fh:
    deps = tomllib.load(fh)["project"]["dependencies"]
for dep in deps:
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?>=([^,;\s]+)", dep.strip())
    if m is None:
        sys.exit(f"not a plain lower bound: {dep!r}")
    print(f"{m[1]}=={m[3]}")
PY
echo "== minimums"; cat "$work/minimums.txt"

mkdir -p "$work/src"  # build from a copy: nothing is written into the repository
for name in pyproject.toml setup.py MANIFEST.in README.md evol prompts pipelines data/seeds; do
  mkdir -p "$work/src/$(dirname "$name")"; cp -r "$repo/$name" "$work/src/$name"
done
"$py" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check -c "$work/minimums.txt" "$work/src"
"$work/venv/bin/pip" check
echo "== installed"; "$work/venv/bin/pip" freeze | grep -iE "^($(cut -d= -f1 "$work/minimums.txt" | paste -sd'|'))=="

mkdir "$work/run" && cd "$work/run"
env -u PYTHONPATH -u OPENAI_BASE_URL "$work/venv/bin/evol" run --config demo --rounds 1 --limit 8 --out runs/cli
env -u PYTHONPATH -u OPENAI_BASE_URL "$work/venv/bin/python" - <<'PY'
import json
import evol

run = evol.run("demo", rounds=1, limit=8, out="runs/api")
rows = json.load(open("runs/api/train.json"))
assert run.to_dataset().to_list() == rows and rows, "API dataset differs from train.json"
print(f"== API: {len(rows)} rows, rounds {[len(r.kept) for r in run.rounds]} kept")
PY
echo "== minimums OK"
