# evol — every target installs what it needs into .venv first, from the lock files in requirements/ (exact
# pins with hashes, one file per install group), so a fresh clone needs no other step and gets the same
# versions every day. `make evolve` installs only the core group: torch & co. come with train/eval/test.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
LOCK    := requirements
CONFIG  ?= pipelines/demo.toml
NGPUS   ?= 1
TRAIN_CONFIG ?= pipelines/train_starcoder.toml
# Optional overrides, passed through only when set.
EVOLVE_FLAGS := $(if $(BASE_URL),--base-url $(BASE_URL)) $(if $(MODEL),--model $(MODEL)) \
                $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(SEEDS),--seeds $(SEEDS)) $(if $(OUT),--out $(OUT)) \
                $(if $(LIMIT),--limit $(LIMIT)) $(if $(CONCURRENCY),--concurrency $(CONCURRENCY))
TRAIN_FLAGS  := $(if $(MODEL),--model $(MODEL)) $(if $(DATA),--data $(DATA)) $(if $(OUT),--out $(OUT)) \
                $(if $(RESUME),--resume)

# uv installs the lock files (pinned itself in requirements/uv.txt; pip puts it in .uv/, outside any venv).
UVENV   := .uv
UV      := $(UVENV)/bin/uv
# The folder with the CPU torch wheel the lock names (torch==2.13.0+cpu); used when it exists.
TORCH_WHEELS ?= /opt/wheels
FIND_LINKS   := $(if $(wildcard $(TORCH_WHEELS)),--find-links $(TORCH_WHEELS))
# Exact pins, hashes checked: nothing is resolved at install time.
VLLM         ?= 0.34.0# the vLLM `make serve` installs: one version, every day (it brings its own CUDA torch)
UV_INSTALL   := $(UV) pip install -q --require-hashes $(FIND_LINKS)
# One stamp per install group (requirements/GROUP.txt): a target depends on the group it needs.
CORE    := $(VENV)/.installed-core
EVAL    := $(VENV)/.installed-$(if $(filter hf,$(BACKEND)),eval,core)
TRAIN   := $(VENV)/.installed-train
REPORT  := $(VENV)/.installed-report
DEV     := $(VENV)/.installed-dev
LATEST  := .venv-latest

LITELLM_VENV := .venv-litellm

.PHONY: help install lock test-latest test-deps litellm-venv sandbox-tools evolve test test-fast lint train gpu-check serve eval bench soak report clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | expand -t 14

$(UV): $(LOCK)/uv.txt
	rm -rf $(UVENV)
	$(PY) -m pip install -q --disable-pip-version-check --root-user-action=ignore --require-hashes \
		--target $(UVENV) -r $(LOCK)/uv.txt
	touch $@

$(BIN)/python: | $(UV)
	$(UV) venv -q --python $(PY) $(VENV)

$(VENV)/.installed-%: $(LOCK)/%.txt pyproject.toml | $(BIN)/python
	$(UV_INSTALL) --python $(BIN)/python -r $<
	$(UV) pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

install: $(DEV)  ## create .venv and install evol with every extra (the dev lock: CPU torch, tests, lint)

lock: | $(UV)  ## re-resolve requirements/*.txt from pyproject's ranges (UPGRADE=1: newest allowed versions)
	UV=$(UV) TORCH_WHEELS=$(TORCH_WHEELS) UPGRADE=$(UPGRADE) bash scripts/lock.sh

test-latest: test-deps | $(UV)  ## the suite against the newest versions pyproject allows, in .venv-latest (drift, on purpose)
	$(UV) venv -q --clear --python $(PY) $(LATEST)
	$(UV) pip install -q --python $(LATEST)/bin/python --upgrade --refresh $(FIND_LINKS) \
		--overrides $(LOCK)/in/torch-cpu.txt -e '.[train,eval,report,dev]'
	$(UV) pip freeze --python $(LATEST)/bin/python > $(LATEST)/freeze.txt
	$(LATEST)/bin/pytest -q $(PYTEST_ARGS)

# The LiteLLM proxy of tests/servers: its own venv, as its pins clash with evol's (rich, huggingface_hub).
$(LITELLM_VENV)/.installed: $(LOCK)/litellm.txt | $(UV)
	$(UV) venv -q --clear --python $(PY) $(LITELLM_VENV)
	$(UV_INSTALL) --python $(LITELLM_VENV)/bin/python -r $<
	touch $@

litellm-venv: $(LITELLM_VENV)/.installed  ## the LiteLLM proxy's own venv (tests/servers)

test-deps: litellm-venv  ## what the tests need beyond .venv: Debian packages (chromium, redis, bubblewrap, runners), LiteLLM
	bash scripts/test-deps.sh

sandbox-tools:  ## bubblewrap, the sandbox's isolation (verified recipes run code): installed when missing, as root
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq bubblewrap; } || \
		echo "note: bubblewrap is missing; recipes that run code need it (apt-get install -y bubblewrap)"

evolve: $(CORE) sandbox-tools  ## grow a dataset (offline simulator unless BASE_URL / OPENAI_BASE_URL is set)
	$(BIN)/evol run --config $(CONFIG) $(EVOLVE_FLAGS)

test: $(DEV) test-deps  ## the whole test suite, offline (installs what it lacks first: make test-deps)
	$(BIN)/pytest -q

test-fast: $(DEV)  ## the suite without the tests marked slow
	$(BIN)/pytest -q -m "not slow"

lint: $(DEV)  ## ruff
	$(BIN)/ruff check evol tests bench

train: $(TRAIN)  ## fine-tune with DeepSpeed: make train MODEL=bigcode/starcoderbase-1b DATA=data/runs/demo/train.json
	$(BIN)/deepspeed $(if $(HOSTFILE),--hostfile $(HOSTFILE),--num_gpus $(NGPUS)) --module evol.train --config $(TRAIN_CONFIG) $(TRAIN_FLAGS)

gpu-check: $(TRAIN)  ## one short GPU check (ZeRO-3 bf16, ~300M GPTBigCode built locally)
	bash scripts/gpu_check.sh

serve: $(CORE)  ## serve a checkpoint with vLLM: make serve CKPT=out/starcoder-evol (GPU machines; VLLM=0.34.0)
	$(UV) pip install -q --python $(BIN)/python vllm==$(VLLM)
	$(BIN)/vllm serve $(CKPT) --port $(or $(PORT),8000)

eval: $(EVAL)  ## HumanEval pass@k against an endpoint: make eval BASE_URL=http://localhost:8000/v1 MODEL=... (BACKEND=hf: local transformers, installs the eval group)
	$(BIN)/evol eval humaneval --base-url $(or $(BASE_URL),http://localhost:8000/v1) --model $(or $(MODEL),$(CKPT)) \
		$(if $(BACKEND),--backend $(BACKEND)) $(if $(SAMPLES),--samples $(SAMPLES)) $(if $(OUT),--out $(OUT)) $(if $(RESUME),--resume)

bench: $(DEV)  ## benchmarks and the soak; writes bench/results/*.json and bench/results/README.md
	$(BIN)/python -m bench
	$(BIN)/python -m bench.soak

soak: $(DEV)  ## 50,000 items through the sim with 10% faults: bench/results/soak.json
	$(BIN)/python -m bench.soak $(N)

report: $(REPORT)  ## the run report: make report RUN=data/runs/demo
	$(BIN)/evol report $(or $(RUN),data/runs/demo)

clean:  ## remove the demo run
	rm -rf data/runs/demo
