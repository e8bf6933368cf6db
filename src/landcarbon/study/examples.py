"""The bundled example studies (``examples/*.toml``), how the demo installs one, and the
warm-up that runs them small so numba's kernel cache is filled before a user's study."""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from landcarbon.errors import ParameterError
from landcarbon.study.schema import did_you_mean


def _folder() -> Path:
    return Path(str(resources.files("landcarbon") / "examples"))


def example_names() -> list[str]:
    """Names of the bundled example studies."""
    return sorted(p.stem for p in _folder().glob("*.toml"))


def example_path(name: str) -> Path:
    """Path of a bundled example study file."""
    path = _folder() / f"{name}.toml"
    if not path.exists():
        names = example_names()
        raise ParameterError(
            f"no example study '{name}'{did_you_mean(name, names)}; examples: {', '.join(names)}"
        )
    return path


def install_example(name: str, dest: Path) -> Path:
    """Copy example ``name`` to ``dest/study.toml`` with its ``tables/`` folder.

    The synthetic region it uses is generated beside it on the first run.
    """
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "study.toml"
    shutil.copyfile(example_path(name), target)
    shutil.copytree(_folder() / "tables", dest / "tables", dirs_exist_ok=True)
    return target


WARM_UP_SHAPE = (256, 256)
"""Rows and columns of the synthetic region the warm-up runs the examples on (cells): small
enough to run fast, large enough that every example runs (at 100 x 100 a class has too few
cells to train on) and that the allocation sweeps its map in parallel (at least
:data:`landcarbon.landuse._kernels.PARALLEL_MIN_CELLS` cells), so that the warm-up compiles
the parallel kernel of a full-size study as well as the serial one of a small map."""

_SYNTHETIC_SHAPE = re.compile(r"(?m)^shape = \[\d+, \d+\]$")


def warm_up(
    names: list[str] | None = None,
    shape: tuple[int, int] = WARM_UP_SHAPE,
    on_example: Callable[[str], None] | None = None,
) -> list[str]:
    """Run bundled examples on a small synthetic region in a temporary folder (deleted
    after), so that numba compiles every kernel a study calls, with the argument types a
    study passes, and caches it (see :mod:`landcarbon._numba` for where). A user's first
    study then loads the kernels instead of compiling them (minutes on a fresh install).

    ``names`` defaults to every example; returns the names run. Nothing is written outside
    the temporary folder but the numba cache.
    """
    from landcarbon.study.run import run_study

    names = example_names() if names is None else names
    for name in names:
        example_path(name)  # unknown names are refused before anything runs
    with tempfile.TemporaryDirectory(prefix="landcarbon-warm-up-") as tmp:
        for name in names:
            if on_example is not None:
                on_example(name)
            study = install_example(name, Path(tmp) / name)
            text, found = _SYNTHETIC_SHAPE.subn(
                f"shape = [{shape[0]}, {shape[1]}]", study.read_text()
            )
            if found != 1:
                raise ParameterError(
                    f"{example_path(name)}: the example needs one [synthetic] 'shape = [rows, "
                    f"cols]' line for the warm-up, found {found}"
                )
            study.write_text(text)
            with warnings.catch_warnings():  # about the throwaway tiny region, not the user's data
                warnings.simplefilter("ignore")
                run_study(study, Path(tmp) / name / "outputs")
    _compile_threaded_breaks()
    return names


def _compile_threaded_breaks() -> None:
    """Compile the natural-breaks rows on threads, as :func:`landcarbon.stats.classify.
    natural_breaks` calls them for 2**16 distinct values or more: the examples' small
    regions stay below that (their rows run on one thread, a kernel apart), and a user's
    large map would otherwise compile the parallel row kernel in its first study (and the
    merge of the two halves it sorts on two threads)."""
    import numpy as np

    from landcarbon.stats._kernels import fisher_jenks_edges, merged_unique_counts

    fisher_jenks_edges(np.arange(8.0), np.ones(8, dtype=np.int64), 3, 2)
    merged_unique_counts(np.arange(4.0), np.arange(2.0, 6.0))
