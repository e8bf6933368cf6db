# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean chromium cjk-fonts fuzz report-shots qgis qgis-plugin qgis-shots warm-up

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

test: $(STAMP) chromium cjk-fonts qgis
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

# Screenshots of each example's report (whole page and the scenario viewer) under
# report_shots/ for a reviewer; not committed. REPORT_LANGUAGE=zh for the Chinese page.
REPORT_LANGUAGE ?= en
report-shots: $(STAMP) chromium cjk-fonts
	$(BIN)/python tests/report/report_shots.py report_shots --language $(REPORT_LANGUAGE)

# The QGIS plugin's tests (tests/qgis) run QGIS 3.22+ headless (Debian's qgis_process.bin);
# install it when missing. Without it those tests are skipped, the rest does not need it.
QGIS_PACKAGES := qgis python3-qgis qgis-providers
qgis:
	@command -v qgis_process.bin >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	  $(QGIS_PACKAGES) >/dev/null; } || \
	  echo "QGIS could not be installed: the QGIS plugin tests will be skipped"

# dist/landcarbon_processing.zip, for QGIS's Plugins > Install from ZIP (docs/qgis.md);
# its cli_spec.json is rewritten from this CLI first (commit it when it changed).
qgis-plugin: $(STAMP)
	$(BIN)/python qgis_plugin/build.py dist/landcarbon_processing.zip

# Screenshots of the toolbox and an algorithm dialog, under Xvfb, into dist/qgis_shots/
# (not committed; docs/qgis.md shows them from there).
qgis-shots: $(STAMP) qgis
	@command -v xvfb-run >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xauth >/dev/null; }
	LANDCARBON=$(abspath $(BIN))/landcarbon xvfb-run -a -s "-screen 0 1600x1000x24" \
	  /usr/bin/python3 qgis_plugin/screenshots.py dist/qgis_shots

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks qgis_plugin
	$(BIN)/ruff format --check src tests benchmarks qgis_plugin
	$(BIN)/mypy

clean:
	rm -rf $(VENV) demo_output report_shots .pytest_cache .mypy_cache .ruff_cache

# natcap.invest for benchmarks/carbon.py only (never a landcarbon dependency): a separate
# .venv-invest with landcarbon and natcap.invest built against the system GDAL (minutes).
.PHONY: bench-invest
bench-invest:
	PYTHON=$(PYTHON) bash benchmarks/setup_invest.sh .venv-invest

# Every benchmark, whole work timed, peers interleaved, paired ratios and the load:
# writes benchmarks/results.md in full (date, git commit, machine, load, sizes, and the
# seconds each benchmark took: the figures the README quotes; never edit it by hand).
# Aimed at about 20 minutes at the default sizes on 2 cores at low load (3 pairs: at load
# 5, geodetector 10^6 rows takes ~100 s a round, 76 s of it geodetector 0.2.0; erosion
# 2000^2 ~40 s a round with its inputs; suitability 1000^2 ~40 s; startup ~1 min for its
# study's first run, then 3 x BENCH_PAIRS rounds of ~2 s; the whole pass at small
# sizes, 2 pairs, load 7-13: 13 min). InVEST is compared when BENCH_INVEST_PYTHON exists
# (`make bench-invest`), the PyPI GeoDetectors when /tmp/venv_pygd and /tmp/venv_gd020
# exist (benchmarks/geodetector.py says how). Sizes: make bench BENCH_CARBON_SIZE=20000
BENCH_CARBON_SIZE ?= 4000
BENCH_ALLOCATION_SIDE ?= 3162
BENCH_EROSION_SIDE ?= 2000
BENCH_GEODETECTOR_ROWS ?= 1000000
BENCH_SUITABILITY_SIDE ?= 1000
BENCH_SCALE_SIZE ?= 10000
BENCH_PAIRS ?= 3
BENCH_INVEST_PYTHON ?= .venv-invest/bin/python
# The peers the benchmarks compare against (the `bench` extra: ckwrap, jenkspy, mapclassify,
# xarray-spatial, psutil), installed into the venv once, and again when pyproject.toml changes;
# `make test` does not need them.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[bench]'
	touch $(BENCH_STAMP)

# the whole arid study (benchmarks/study_scale.py) only when sides are given: 10 min to hours
BENCH_STUDY_SIZES ?=
.PHONY: bench
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run_all.py --python $(BIN)/python --invest-python $(BENCH_INVEST_PYTHON) \
	  --carbon-size $(BENCH_CARBON_SIZE) --allocation-side $(BENCH_ALLOCATION_SIDE) \
	  --erosion-side $(BENCH_EROSION_SIDE) --geodetector-rows $(BENCH_GEODETECTOR_ROWS) \
	  --suitability-side $(BENCH_SUITABILITY_SIDE) --scale-size $(BENCH_SCALE_SIZE) \
	  --pairs $(BENCH_PAIRS) --study-sizes $(BENCH_STUDY_SIZES)
