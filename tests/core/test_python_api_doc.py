"""docs/python_api.md is executed: its ```python blocks run in order in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "python_api.md"


def test_python_api_doc_runs(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"DATA": shared_data}
    for i, block in enumerate(blocks, start=1):
        exec(compile(block, f"{DOC.name}, block {i}", "exec"), namespace)
    assert namespace["dropped"] == {"init": 0, "final": 3}
