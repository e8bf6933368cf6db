"""Study chapters: each module registers a section schema and the steps it adds.

A chapter module defines a frozen dataclass decorated with
``@config.chapter("name")`` (the ``[name]`` section of the study file) and a
function decorated with ``@steps_for("name")`` that turns the validated section into
pipeline steps. Modules here are imported automatically.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from landcarbon.study.pipeline import Step

StepsBuilder = Callable[[Any, Any], list[Step]]
BUILDERS: dict[str, StepsBuilder] = {}


def steps_for(name: str) -> Callable[[StepsBuilder], StepsBuilder]:
    """Register the function building the steps of chapter ``name`` from (study, section)."""

    def register(func: StepsBuilder) -> StepsBuilder:
        BUILDERS[name] = func
        return func

    return register


def load_all() -> None:
    """Import every chapter module (idempotent)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
