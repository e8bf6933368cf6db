"""Screenshots of each example study's report for a reviewer (``make report-shots``).

Runs every bundled example on a small synthetic region (the arid one on 200 x 200 cells,
the others on 60 x 70), loads its ``report/index.html`` in headless Chromium through
:class:`landcarbon.report.browser.Page` and writes ``SHOTS/<example>.png`` (the whole page)
and ``SHOTS/<example>_viewer.png`` (the scenario viewer with a hovered cell). The run folders
are kept under ``SHOTS/runs``. Nothing here is committed: ``report_shots/`` is ignored.

    python tests/report/report_shots.py [SHOTS] [--language zh]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from pathlib import Path

SHAPES = {"arid_budget_scenarios": "200, 200"}
"""Regions the shots shrink less (the arid example needs room for its changes)."""


def main() -> int:
    from landcarbon.errors import LandcarbonWarning
    from landcarbon.report.browser import Page, find_chromium
    from landcarbon.study.examples import example_names, install_example
    from landcarbon.study.run import run_study

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shots", nargs="?", default="report_shots", type=Path)
    parser.add_argument("--language", choices=("en", "zh"), default="en")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("chromium is not installed (make chromium installs it)", file=sys.stderr)
        return 1
    warnings.simplefilter("ignore", LandcarbonWarning)  # small regions: classes without gains
    args.shots.mkdir(parents=True, exist_ok=True)
    for name in example_names():
        folder = args.shots / "runs" / name
        study = install_example(name, folder)
        text = re.sub(
            r"shape = \[\d+, \d+\]", f"shape = [{SHAPES.get(name, '60, 70')}]", study.read_text()
        )
        study.write_text(text + f'\n[report]\nlanguage = "{args.language}"\n')
        index = run_study(study, folder / "out").report
        assert index is not None
        with Page(chromium, folder / "profile") as page:
            page.open(index.resolve().as_uri())
            page.screenshot(args.shots / f"{name}.png")
            viewer = "document.getElementById('viewer')"
            for _ in range(100):
                if page.evaluate(f"{viewer} && {viewer}.dataset.ready") == "true":
                    break
                time.sleep(0.1)
            box = page.evaluate(
                f"(() => {{ const v = {viewer}; v.scrollIntoView();"
                " const r = v.querySelector('canvas').getBoundingClientRect();"
                " return [r.left, r.top, r.width, r.height]; })()"
            )
            page.mouse("mouseMoved", box[0] + box[2] * 0.4, box[1] + box[3] * 0.5)
            page.screenshot(args.shots / f"{name}_viewer.png", whole=False)
            print(f"{name}: {args.shots / name}.png, errors: {page.errors or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
