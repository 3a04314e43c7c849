# wikirel: the user-facing entry points. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
# Python packages used by tests and benchmarks (readers independent of our Rust code).
PY_PKGS := duckdb==2.0.1 pyarrow==26.0.1
CARGO ?= cargo

.PHONY: help torch venv model build test lint dataset pretrain bench bench-wikidata bench-wikipedia bench-ner cuda clean

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

pretrain: ## CP pre-training of MiniLM on artifacts/dataset (not built yet)
	@echo "make pretrain: the pre-training stage is not built yet; see the open issues" >&2; exit 2

bench: bench-wikidata bench-wikipedia bench-ner ## every benchmark (ratios against baselines timed in the same run)

bench-wikidata: ## wikidata stage vs gzip -dc and a Python json baseline on a generated 500 MB dump
	$(CARGO) build --release -p pipeline
	./bench/bench-wikidata.sh

bench-wikipedia: ## wikipedia stage vs lbzip2 and WikiExtractor 3.1.0 on the real 206-page dump
	$(CARGO) build --release -p pipeline
	./bench/bench-wikipedia.sh

bench-ner: ## the mention detector vs spaCy en_core_web_sm on the real 206-page dump
	$(CARGO) build --release -p pipeline
	./bench/bench-ner.sh

# A separate target dir: the CUDA build links another LIBTORCH, so sharing target/ would make
# CPU and CUDA builds rebuild torch-sys in turn. The stripped binary is what travels to a GPU
# machine (run it there with LD_LIBRARY_PATH set to torch/lib).
CUDA_TARGET := target/cuda

cuda: ## release trainer with CUDA kept linked (for a GPU machine): target/cuda/trainer-cuda
	@./scripts/install-torch.sh
	LIBTORCH=$(CURDIR)/.libtorch-full $(CARGO) build --release -p trainer --features cuda --target-dir $(CUDA_TARGET)
	objcopy --strip-debug $(CUDA_TARGET)/release/trainer $(CUDA_TARGET)/trainer-cuda
	@readelf -d $(CUDA_TARGET)/trainer-cuda | grep -q 'libtorch_cuda.so' && echo "$(CUDA_TARGET)/trainer-cuda links libtorch_cuda.so ($$(du -h $(CUDA_TARGET)/trainer-cuda | cut -f1))"

clean: ## remove build outputs (keeps the torch cache and artifacts)
	$(CARGO) clean
