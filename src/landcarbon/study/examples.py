"""The bundled example studies (``examples/*.toml``) and how the demo installs one."""

from __future__ import annotations

import shutil
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
