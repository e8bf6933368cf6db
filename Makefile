# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean chromium cjk-fonts fuzz warm-up

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(MAKE) warm-up
	touch $(STAMP)

# Compile and cache every numba kernel a study uses (the bundled examples run on a tiny
# region), so the first study after install does not spend minutes compiling.
warm-up:
	$(BIN)/landcarbon warm-up || echo "warm-up failed: the first study will compile the kernels"

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
