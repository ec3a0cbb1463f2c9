# evol — every target installs what it needs into .venv first, so a fresh clone needs no other step.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CONFIG  ?= pipelines/demo.toml
NGPUS   ?= 1
TRAIN_CONFIG ?= pipelines/train_starcoder.toml
# Optional overrides, passed through only when set.
EVOLVE_FLAGS := $(if $(BASE_URL),--base-url $(BASE_URL)) $(if $(MODEL),--model $(MODEL)) \
                $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(SEEDS),--seeds $(SEEDS)) $(if $(OUT),--out $(OUT)) \
                $(if $(LIMIT),--limit $(LIMIT)) $(if $(CONCURRENCY),--concurrency $(CONCURRENCY))
TRAIN_FLAGS  := $(if $(MODEL),--model $(MODEL)) $(if $(DATA),--data $(DATA)) $(if $(OUT),--out $(OUT)) \
                $(if $(RESUME),--resume)

LITELLM_VENV := .venv-litellm
LITELLM_VERSION ?= 1.108.7

.PHONY: help install test-deps litellm-venv sandbox-tools evolve test test-fast lint train gpu-check serve eval bench soak report clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | expand -t 14

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[train,eval,report,dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install evol with every extra (CPU torch)

# The LiteLLM proxy of tests/servers: its own venv, as its pins clash with evol's (rich, huggingface_hub).
$(LITELLM_VENV)/.installed:
	$(PY) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/pip install -q 'litellm[proxy]==$(LITELLM_VERSION)'
	touch $@

litellm-venv: $(LITELLM_VENV)/.installed  ## the LiteLLM proxy's own venv (tests/servers)

test-deps: litellm-venv  ## what the tests need beyond .venv: Debian packages (chromium, redis, bubblewrap, runners), LiteLLM
	bash scripts/test-deps.sh

sandbox-tools:  ## bubblewrap, the sandbox's isolation (verified recipes run code): installed when missing, as root
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq bubblewrap; } || \
		echo "note: bubblewrap is missing; recipes that run code need it (apt-get install -y bubblewrap)"

evolve: $(STAMP) sandbox-tools  ## grow a dataset (offline simulator unless BASE_URL / OPENAI_BASE_URL is set)
	$(BIN)/evol run --config $(CONFIG) $(EVOLVE_FLAGS)

test: $(STAMP) test-deps  ## the whole test suite, offline (installs what it lacks first: make test-deps)
	$(BIN)/pytest -q

test-fast: $(STAMP)  ## the suite without the tests marked slow
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check evol tests bench

train: $(STAMP)  ## fine-tune with DeepSpeed: make train MODEL=bigcode/starcoderbase-1b DATA=data/runs/demo/train.json
	$(BIN)/deepspeed $(if $(HOSTFILE),--hostfile $(HOSTFILE),--num_gpus $(NGPUS)) --module evol.train --config $(TRAIN_CONFIG) $(TRAIN_FLAGS)

gpu-check: $(STAMP)  ## one short GPU check (ZeRO-3 bf16, ~300M GPTBigCode built locally)
	bash scripts/gpu_check.sh

serve: $(STAMP)  ## serve a checkpoint with vLLM: make serve CKPT=out/starcoder-evol
	$(BIN)/pip install -q vllm
	$(BIN)/vllm serve $(CKPT) --port $(or $(PORT),8000)

eval: $(STAMP)  ## HumanEval pass@k against an endpoint: make eval BASE_URL=http://localhost:8000/v1 MODEL=...
	$(BIN)/evol eval humaneval --base-url $(or $(BASE_URL),http://localhost:8000/v1) --model $(or $(MODEL),$(CKPT)) \
		$(if $(SAMPLES),--samples $(SAMPLES)) $(if $(OUT),--out $(OUT)) $(if $(RESUME),--resume)

bench: $(STAMP)  ## benchmarks and the soak; writes bench/results/*.json and bench/results/README.md
	$(BIN)/python -m bench
	$(BIN)/python -m bench.soak

soak: $(STAMP)  ## 50,000 items through the sim with 10% faults: bench/results/soak.json
	$(BIN)/python -m bench.soak $(N)

report: $(STAMP)  ## the run report: make report RUN=data/runs/demo
	$(BIN)/evol report $(or $(RUN),data/runs/demo)

clean:  ## remove the demo run
	rm -rf data/runs/demo
