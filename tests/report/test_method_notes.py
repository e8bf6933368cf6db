"""The report's method notes: the [drivers] chapter's GeoDetector conventions named in one
line of the page, in English and Chinese (issue 15 item 7)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from landcarbon.report.i18n import NOTES, note
from landcarbon.study.run import run_study

STUDY = """
[study]
name = "method notes"

[synthetic]
shape = [30, 40]
seed = 3

[inputs]
categorical = ["landuse"]

[rasters]
npp = "synthetic_data/npp.tif"
landuse = "synthetic_data/landuse_2020.tif"
slope = "synthetic_data/slope.tif"

[report]
language = "{language}"

[drivers]
y = "npp"
x = ["landuse", "slope"]
sample = 0
correlation = ""
singletons = "drop"
noncentrality = "population"
ecological_rule = "q_ratio"
discretize_methods = ["equal", "quantile"]
discretize_k = [4, 7]
"""

EXPECTED = {
    "en": (
        "Method notes: singleton strata: dropped (one-row strata left out of q; gdverse); "
        "p-value: noncentral F, lambda over the population variance of y (GD, gdverse); "
        "ecological detector: q_ratio: q_b/q_a against qf(0.9, N-1, N-1) (geodetector R); "
        "discretisation search space: methods: equal, quantile; class counts k: 4-7; "
        "cells: every valid cell"
    ),
    "zh": (
        "方法说明： 单像元分层：剔除（单像元分层不参与 q 的计算；gdverse）；"
        "p 值：非中心 F 检验，λ 以 y 的总体方差计算（GD、gdverse）；"
        "生态探测：q_ratio：q_b/q_a 与 qf(0.9, N-1, N-1) 比较（geodetector R）；"
        "离散化搜索空间：离散化方法：等间距、分位数；分级数 k：4-7；"
        "像元数：全部有效像元"
    ),
}


def _notes(html: str) -> list[str]:
    """The text of every method-notes paragraph, tags dropped and spaces collapsed."""
    found = re.findall(r'<p class="method-notes">(.*?)</p>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", p).split()) for p in found]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_drivers_conventions_are_named_in_the_method_notes(tmp_path: Path, language: str):
    # every convention set away from its default, so the line can only come from the study
    (tmp_path / "study.toml").write_text(STUDY.format(language=language))
    run_study(tmp_path / "study.toml", tmp_path / "out")
    html = (tmp_path / "out/report/index.html").read_text()
    drivers = html[html.index('<section id="drivers">') :]
    drivers = drivers[: drivers.index("</section>")]
    assert _notes(drivers) == [" ".join(EXPECTED[language].split())]
    # named once, as the notes line, not also as a one-row table of the summary
    assert "conventions" not in html
    assert html.count('class="method-notes"') == 1


def test_every_geodetector_convention_has_chinese_words():
    from landcarbon.stats.geodetector import describe_conventions

    texts = {
        text
        for options in itertools.product(
            ("sample", "population"), ("ssw_ratio", "q_ratio"), (True, False)
        )
        for text in describe_conventions(*options).values()  # type: ignore[arg-type]
    }
    assert len(texts) == 6
    for text in texts:
        assert note(text, "en") == text
        assert text in NOTES and note(text, "zh") == NOTES[text] != text
    from landcarbon.stats.classify import METHODS

    for method in METHODS:
        assert note(method, "zh") != method, method


def test_the_cells_a_geodetector_used_are_named_in_chinese():
    assert note("a regular sample of 5000 valid cells (seed 7)", "zh") == (
        "规则抽样的 5000 个有效像元（种子 7）"
    )
    assert note("every valid cell (chunked: exact map-reduce sums)", "zh").startswith(
        "全部有效像元"
    )
    assert note("a regular sample of 5000 valid cells (seed 7)", "en") == (
        "a regular sample of 5000 valid cells (seed 7)"
    )
