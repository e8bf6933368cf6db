# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean chromium cjk-fonts fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/landcarbon demo --out demo_output --overwrite

test: $(STAMP) chromium cjk-fonts
	$(BIN)/python -m pytest -n 2 -q

# Thousands of seeded fuzz cases through the CLI (tests/fuzz); failures grouped by cause.
# FUZZ_CASES=5000 FUZZ_SEED=10000 make fuzz; the CI suite runs the first 300 seeds.
FUZZ_CASES ?= 2000
FUZZ_SEED ?= 0
fuzz: $(STAMP)
	$(BIN)/python tests/fuzz/fuzzer.py --cases $(FUZZ_CASES) --seed $(FUZZ_SEED)

# The report test renders index.html in headless Chromium; install it when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium could not be installed: the report rendering test will be skipped"

# Class names in Chinese, Japanese or Korean need a CJK font in the maps and charts; without
# one the report warns once and the names render as boxes (the tests pass either way).
cjk-fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; } || \
	  echo "fonts-noto-cjk could not be installed: CJK class names will render as boxes"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo_output .pytest_cache .mypy_cache .ruff_cache

# natcap.invest for benchmarks/carbon.py only (never a landcarbon dependency): a separate
# .venv-invest with landcarbon and natcap.invest built against the system GDAL (minutes).
.PHONY: bench-invest
bench-invest:
	PYTHON=$(PYTHON) bash benchmarks/setup_invest.sh .venv-invest

# Every benchmark, whole work timed, peers interleaved, paired ratios and the load:
# writes benchmarks/results.md (the figures the README quotes). About 20 minutes at the
# default sizes on 2 cores at low load; InVEST is compared when .venv-invest exists
# (`make bench-invest`). Sizes: make bench BENCH_CARBON_SIZE=20000 BENCH_PAIRS=3
BENCH_CARBON_SIZE ?= 4000
BENCH_ALLOCATION_SIDE ?= 3162
BENCH_EROSION_SIDE ?= 2000
BENCH_SCALE_SIZE ?= 10000
BENCH_PAIRS ?= 5
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --python $(BIN)/python \
	  --carbon-size $(BENCH_CARBON_SIZE) --allocation-side $(BENCH_ALLOCATION_SIDE) \
	  --erosion-side $(BENCH_EROSION_SIDE) --scale-size $(BENCH_SCALE_SIZE) --pairs $(BENCH_PAIRS)
