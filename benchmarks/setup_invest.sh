#!/usr/bin/env bash
# Build .venv-invest: landcarbon (editable) plus natcap.invest, for benchmarks/carbon.py only.
#
# natcap.invest is a benchmark reference, never a landcarbon dependency. It has no Linux
# wheels: it builds against the system GDAL (libgdal-dev, installed with apt-get when run as
# root) and its build needs Cython >= 3 but < 3.3 (3.3 breaks pygeoprocessing's build), so
# it is installed without build isolation, after its build requirements (setuptools_scm,
# babel, numpy, GDAL's Python bindings) and pygeoprocessing, whose headers it compiles against.
#
# Usage: make bench-invest   (or: bash benchmarks/setup_invest.sh [VENV_DIR])
# Then:  .venv-invest/bin/python benchmarks/carbon.py
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-invest}"
PYTHON="${PYTHON:-python3}"

if ! command -v gdal-config >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgdal-dev >/dev/null
  else
    echo "natcap.invest builds against the system GDAL: run 'sudo apt-get install -y libgdal-dev' first" >&2
    exit 1
  fi
fi

"$PYTHON" -m venv "$VENV"
VENV="$(cd "$VENV" && pwd)"
PIP="$VENV/bin/pip"
"$PIP" install -q --upgrade pip
"$PIP" install -q -e .
"$PIP" install -q --upgrade setuptools wheel setuptools_scm babel "cython>=3,<3.3"
"$PIP" install -q --no-build-isolation "gdal==$(gdal-config --version)"
"$PIP" install -q --no-build-isolation pygeoprocessing
PATH="$VENV/bin:$PATH" "$PIP" install -q --no-build-isolation natcap.invest  # runs pybabel
"$VENV/bin/python" -c "import natcap.invest; print('natcap.invest', natcap.invest.__version__, 'in $VENV')"
