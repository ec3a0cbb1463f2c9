#!/usr/bin/env bash
# One-call GPU check (make gpu-check): DeepSpeed ZeRO-3 bf16 training of a ~300M-parameter GPTBigCode
# (StarCoder's architecture) built locally - random init, local tokenizer, nothing from the hub - through the
# real trainer (deepspeed launcher -> python -m evol.train), reporting tokens/s, MFU and peak memory; then it
# reloads the saved checkpoint and generates. A few minutes on one H100.
#
#   GPU_CHECK_TINY=1     the same path on CPU with a tiny model and no launcher (a smoke test of this script)
#   GPU_CHECK_DIR=DIR    work directory (default: a fresh temp dir); GPU_CHECK_STEPS / GPU_CHECK_BATCH size the run
#   GPU_CHECK_SHAPE=H,L,N another model shape (width, layers, heads), e.g. 1024,24,16; default 2048,5,16 (317M)
#   GPU_CHECK_REPORT_DIR also copy report.json there (defaults to $OUT when that is set)
#   GPU_CHECK_STRICT=1   exit non-zero when MFU is under the 35% target
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY="${PY:-.venv/bin/python}"
DEEPSPEED="${DEEPSPEED:-.venv/bin/deepspeed}"
[ -x "$PY" ] || PY=python3
[ -x "$DEEPSPEED" ] || DEEPSPEED=deepspeed
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

WORK="${GPU_CHECK_DIR:-$(mktemp -d -t evol-gpu-check.XXXXXX)}"
TINY="${GPU_CHECK_TINY:-0}"
PORT="${MASTER_PORT:-$((29500 + RANDOM % 1000))}"
mode=()
[ "$TINY" = 1 ] && mode=(--tiny)
echo "gpu-check: work dir $WORK"

"$PY" scripts/gpu_check.py prepare --work "$WORK" ${mode[@]+"${mode[@]}"}
if [ "$TINY" = 1 ]; then
  # CPU, one rank, no launcher: DeepSpeed needs only these variables (see tests/train/test_train_deepspeed.py).
  DS_ACCELERATOR=cpu RANK=0 LOCAL_RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT="$PORT" \
    "$PY" -m evol.train --config "$WORK/train.toml"
else
  "$DEEPSPEED" --num_gpus 1 --master_port "$PORT" --module evol.train --config "$WORK/train.toml"
fi
"$PY" scripts/gpu_check.py report --work "$WORK" ${mode[@]+"${mode[@]}"}
