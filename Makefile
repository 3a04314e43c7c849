# wikirel: the user-facing entry points. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
# Python packages used by tests and benchmarks (readers independent of our Rust code).
PY_PKGS := duckdb==2.0.1 pyarrow==26.0.1 tokenizers==0.22.2
CARGO ?= cargo

.PHONY: help torch venv model build test test-ref lint dataset pretrain bench bench-wikidata bench-wikipedia bench-ner bench-train bench-finetune bench-scale fewshot-check finetune-check cuda gpu-check extract-demo bench-extract clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

torch: ## install libtorch 2.11.0 from PyPI once (~/.cache/wikirel) and link .libtorch
	@./scripts/install-torch.sh

$(VENV)/.stamp: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check $(PY_PKGS)
	touch $@

venv: $(VENV)/.stamp ## Python virtualenv with DuckDB/pyarrow for the tests

model: ## place all-MiniLM-L6-v2 under artifacts/models (sha256-checked)
	@./scripts/fetch-model.sh

build: torch ## build every crate (release)
	$(CARGO) build --workspace --release

test: torch venv model ## build and run every test (unit, integration, end-to-end)
	mkdir -p target
	$(CARGO) test --workspace --no-fail-fast 2>&1 | tee target/test.log
	@echo "== cargo test summary =="; grep -E '^test result:' target/test.log | sort | uniq -c

lint: torch ## rustfmt check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

PIPELINE := target/release/pipeline

# Every stage on the bundled sample (tests/fixtures/e2e_wiki80: a consistent Wikipedia
# multistream + Wikidata dump pair) as configured in configs/sample.toml; stages that are
# complete and up to date are skipped, so a second run is instant.
dataset: venv ## build the relation dataset from the bundled sample dumps into artifacts/dataset
	$(CARGO) build --release -p pipeline
	$(PIPELINE) run --config configs/sample.toml
	@echo
	@echo "Dataset: artifacts/dataset/ (card: artifacts/dataset/README.md). See the relation bags with DuckDB:"
	@echo "  $(VPY) scripts/show_bags.py artifacts/dataset"

TRAINER := target/release/trainer
PRETRAIN_RUN := artifacts/runs/cp-sample

# CP pre-training of MiniLM on the dataset `make dataset` built, as configured in
# configs/pretrain-sample.toml. --resume makes it restartable: an interrupted run (Ctrl-C
# saves a checkpoint) continues, a finished one is left as it is.
pretrain: torch model ## CP pre-training of MiniLM on artifacts/dataset (a few minutes on CPU) into artifacts/runs/cp-sample
	@test -f artifacts/dataset/relations.parquet || { echo "make pretrain: no artifacts/dataset; run 'make dataset' first" >&2; exit 2; }
	$(CARGO) build --release -p trainer
	$(TRAINER) --threads $$(nproc) pretrain --data artifacts/dataset --model artifacts/models/all-MiniLM-L6-v2 \
	  --config configs/pretrain-sample.toml --out $(PRETRAIN_RUN) --resume
	@echo
	@echo "Run directory: $(PRETRAIN_RUN) (metrics.jsonl, checkpoints/; the latest checkpoint is a Hugging Face BERT directory)"

# The small-scale check of the paper's FewRel claim (issue 9): plain vs CP vs MTB MiniLM,
# pre-trained on Wiki80 (64 relations) and on ChemProt, with MLM-only controls; about 2 hours
# on 2 cores; the table goes to artifacts/fewshot-check/table.md.
fewshot-check: torch model ## plain vs CP vs MTB MiniLM on FewRel val_wiki (needs ../shared/data; ~2 h on CPU)
	$(CARGO) build --release -p trainer -p pipeline
	./scripts/fewshot-check.sh

bench: bench-wikidata bench-wikipedia bench-ner bench-train bench-finetune ## every benchmark (ratios against baselines timed in the same run)

# Every stage on generated dumps with the real dumps' shape at fraction F of today's full size
# (bench/scale/gen.py), under /usr/bin/time -v; two or more fractions are fitted and extrapolated to
# the full dumps. LINE_KB: generated Wikidata line size (16 = real; one value or one per fraction);
# KB_FULL=1: also the full-size (7.1M items) link knowledge base. Table: docs/SCALE.md.
F ?= 0.001
LINE_KB ?= 16
KB_FULL ?= 0
bench-scale: torch venv model ## every stage at fraction F of the full dumps (F=0.001,0.01 extrapolates; KB_FULL=1 full-size KB)
	$(CARGO) build --release -p pipeline -p trainer
	F=$(F) LINE_KB=$(LINE_KB) KB_FULL=$(KB_FULL) ./bench/scale/bench.sh

bench-wikidata: ## wikidata stage vs gzip -dc and a Python json baseline on a generated 500 MB dump
	$(CARGO) build --release -p pipeline
	./bench/bench-wikidata.sh

bench-wikipedia: ## wikipedia stage vs wikrs 0.4.0 and lbzip2 on the real 206-page dump x20 (BENCH_RATE_COPIES=80: and the per-MB rate between x20 and x80)
	$(CARGO) build --release -p pipeline
	./bench/bench-wikipedia.sh

bench-ner: ## the mention detector vs spaCy en_core_web_sm on the real 206-page dump
	$(CARGO) build --release -p pipeline
	./bench/bench-ner.sh

bench-train: torch model ## one CP training step (MiniLM, 32 pairs) vs the same step in PyTorch + transformers
	$(CARGO) build --release -p trainer
	./bench/bench-train.sh

bench-finetune: torch model ## fine-tuning training throughput vs the PyTorch + transformers reference on identical inputs
	$(CARGO) build --release -p trainer
	./bench/bench-finetune.sh

# The fine-tuning results table of issue 8 (MiniLM on CPU: Wiki80 1% in the five input modes,
# Wiki80 10%, SemEval 10%, 3 seeds each) with the PyTorch reference on the first two cells;
# about 2.5 hours on 2 cores. Stop and rerun at will: finished cells are kept. The table goes to
# artifacts/finetune-check/table.md (+ table.png).
finetune-check: torch model ## fine-tuning results vs the paper and a PyTorch reference (needs ../shared/data; ~2.5 h on CPU)
	$(CARGO) build --release -p trainer
	@$(REF_PY) -c "import torch, transformers" 2>/dev/null || { $(PYTHON) -m venv $(REF_VENV) && \
	  $(REF_VENV)/bin/pip install --quiet --disable-pip-version-check torch==2.11.0 transformers==4.57.1; }
	REF_PY=$(abspath $(REF_PY)) ./scripts/finetune-check.sh

# Checks against a live PyTorch + transformers (checkpoints load in transformers.BertModel and
# give the same states). Needs torch with its CUDA wheels (~4 GB), so it is not part of
# `make test`, which checks the same checkpoints against names and shapes recorded from
# transformers. REF_PY: an existing Python with torch==2.11.0 + transformers==4.57.1.
REF_VENV := artifacts/ref-venv
REF_PY ?= $(REF_VENV)/bin/python
test-ref: torch model ## the tests that need a live PyTorch + transformers (downloads torch unless REF_PY is given)
	@$(REF_PY) -c "import torch, transformers" 2>/dev/null || { $(PYTHON) -m venv $(REF_VENV) && \
	  $(REF_VENV)/bin/pip install --quiet --disable-pip-version-check torch==2.11.0 transformers==4.57.1; }
	WIKIREL_REF_PYTHON=$(abspath $(REF_PY)) WIKIREL_REQUIRE_REF=1 $(CARGO) test -p trainer --test checkpoint_hf --test finetune

# A separate target dir: the CUDA build links another LIBTORCH, so sharing target/ would make
# CPU and CUDA builds rebuild torch-sys in turn. The stripped binary is what travels to a GPU
# machine (run it there with LD_LIBRARY_PATH set to torch/lib).
CUDA_TARGET := target/cuda

cuda: ## release trainer with CUDA kept linked (for a GPU machine): target/cuda/trainer-cuda
	@./scripts/install-torch.sh
	LIBTORCH=$(CURDIR)/.libtorch-full $(CARGO) build --release -p trainer --features cuda --target-dir $(CUDA_TARGET)
	objcopy --strip-debug $(CUDA_TARGET)/release/trainer $(CUDA_TARGET)/trainer-cuda
	@readelf -d $(CUDA_TARGET)/trainer-cuda | grep -q 'libtorch_cuda.so' && echo "$(CUDA_TARGET)/trainer-cuda links libtorch_cuda.so ($$(du -h $(CUDA_TARGET)/trainer-cuda | cut -f1))"

extract-demo: torch model dataset ## fine-tune MiniLM on Wiki80 10% (~4 min on 2 cores, kept), calibrate, and extract facts from a paragraph of the sample
	$(CARGO) build --release -p trainer
	PYTHON=$(PYTHON) scripts/extract-demo.sh

bench-extract: extract-demo ## extract vs trainer predict on the same marked pairs: sentences/s per core (README)
	PYTHON=$(PYTHON) scripts/bench-extract.sh

# What travels to a GPU machine for scripts/gpu-check.sh (issue 21): the stripped CUDA trainer,
# the device-parametrised test binary (trainer/tests/device.rs) built with --features cuda,
# MiniLM's tokenizer files, the sample dataset and Wiki80 10% (from ../shared when present);
# ~40 MiB.
# The device tool carries at most 64 MiB: the MiniLM and bert-base weights stay here and the
# script builds random-initialised models of their shapes there (`trainer init-model`).
GPU_BUNDLE := target/gpu-check
WIKI80_DIR ?= ../shared/data/wiki80
gpu-check: cuda model dataset ## build target/gpu-check: what scripts/gpu-check.sh needs on a GPU machine (README: GPU check)
	LIBTORCH=$(CURDIR)/.libtorch-full $(CARGO) test --release -p trainer --features cuda --test device \
	  --no-run --target-dir $(CUDA_TARGET) 2>&1 | tee $(CUDA_TARGET)/device-tests.log
	rm -rf $(GPU_BUNDLE) && mkdir -p $(GPU_BUNDLE)/tokenizer $(GPU_BUNDLE)/dataset
	cp $(CUDA_TARGET)/trainer-cuda $(GPU_BUNDLE)/trainer
	@# The test binary links pipeline (and polars) for its dataset fixture: 76 MB stripped, 15 MB as .xz.
	strip --strip-all -o $(CUDA_TARGET)/device-tests "$$(sed -n 's/.*Executable tests\/device.rs (\(.*\))/\1/p' $(CUDA_TARGET)/device-tests.log | tail -1)"
	$(PYTHON) -c "import lzma, shutil, sys; shutil.copyfileobj(open(sys.argv[1], 'rb'), lzma.open(sys.argv[2], 'wb', preset=6))" \
	  $(CUDA_TARGET)/device-tests $(GPU_BUNDLE)/device-tests.xz
	cp artifacts/models/all-MiniLM-L6-v2/{tokenizer.json,vocab.txt,tokenizer_config.json,special_tokens_map.json} $(GPU_BUNDLE)/tokenizer/
	cp artifacts/dataset/*.parquet artifacts/dataset/manifest.json $(GPU_BUNDLE)/dataset/
	if [ -f $(WIKI80_DIR)/cp_train_0.1.txt ]; then mkdir -p $(GPU_BUNDLE)/wiki80 && \
	  cp $(WIKI80_DIR)/cp_train_0.1.txt $(GPU_BUNDLE)/wiki80/train_0.1.txt && \
	  awk 'NR % 10 == 1' $(WIKI80_DIR)/cp_dev.txt > $(GPU_BUNDLE)/wiki80/dev_head.txt; \
	else echo "no $(WIKI80_DIR): the fine-tuning check will use the vendored Wiki80 slice"; fi
	@size=$$(du -sm $(GPU_BUNDLE) | cut -f1); echo "$(GPU_BUNDLE): $$size MiB (a device run carries at most 64 MiB)"; \
	  [ $$size -lt 52 ] || { echo "$(GPU_BUNDLE) is too large to travel (with the ~8 MiB tree)" >&2; exit 1; }
	@echo "On the GPU machine (device tool, carry [\"$(GPU_BUNDLE)\"]):"
	@echo "  LD_LIBRARY_PATH=/opt/torch/.venv/lib/python3.12/site-packages/torch/lib scripts/gpu-check.sh"

clean: ## remove build outputs (keeps the torch cache and artifacts)
	$(CARGO) clean
