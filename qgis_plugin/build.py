"""Build ``dist/landcarbon_processing.zip``, the plugin as QGIS installs it
(Plugins > Manage and Install Plugins > Install from ZIP), after rewriting its
``cli_spec.json`` from the landcarbon this Python has (``make qgis-plugin``).

Usage: ``python qgis_plugin/build.py [ZIP]``.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN = HERE / "landcarbon_processing"


def zip_plugin(target: Path) -> list[str]:
    """The plugin folder as a zip (one top folder, no caches), written atomically; returns
    its members."""
    members = sorted(p for p in PLUGIN.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in members:
            archive.write(path, str(path.relative_to(HERE)))
    partial.replace(target)  # never a half-written zip under the final name
    return [str(p.relative_to(HERE)) for p in members]


if __name__ == "__main__":
    from cli_spec import SPEC, spec_text  # beside this script, on its sys.path

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/landcarbon_processing.zip")
    SPEC.write_text(spec_text(), encoding="utf-8")
    print("\n".join(zip_plugin(out)))
    print(f"wrote {out}")
