"""The report's fixed text in English and Chinese: headings, labels, units, method names.

One message table per language (``[report] language`` in the study file). Class, scenario
and study names are never translated: they are shown as the user wrote them. A column or
summary key (``storage_t_c``) becomes a label with its unit (``storage (t C)``,
``碳储量 (t C)``) through :func:`label`; a key without a translation keeps its words.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")

MESSAGES: dict[Language, dict[str, str]] = {
    "en": {
        "summary": "summary",
        "data": "data",
        "csv": "CSV",
        "show_all": "show all {n} rows",
        "show_fewer": "show the first {n} rows",
        "rows_shown": "{shown} of {n} rows shown",
        "workbook": "all tables (Excel)",
        "footer": "Made by landcarbon. Inputs, parameters, seeds, versions and citations:",
        "legend": "legend",
        "key": "key",
        "text": "text",
        "item": "item",
        "value": "value",
        "code": "code",
        "class": "class",
        "observed": "observed land use {year}",
        "viewer": "Map viewer",
        "viewer_help": "Drag to pan, wheel or +/- to zoom, drag the slider to swipe between "
        "the two maps, hover a cell to read its class or its value.",
        "map_a": "left map",
        "map_b": "right map",
        "swap": "swap maps",
        "reset": "reset view",
        "nodata": "no data",
        "sheet": "sheet",
        "title": "title",
        "file": "file",
        "units": "units",
        "method_notes": "Method notes:",
        "note_colon": ": ",
        "note_separator": "; ",
        "note_list": ", ",
        "note.singletons": "singleton strata",
        "note.p_value": "p-value",
        "note.ecological_rule": "ecological detector",
        "note.discretization_search": "discretisation search space",
        "note.methods": "methods",
        "note.k": "class counts k",
        "chapter.landuse": "Land use",
        "chapter.simulation": "Land-use simulation",
        "chapter.carbon": "Carbon storage and emissions",
        "chapter.drivers": "Drivers (GeoDetector)",
        "chapter.sinks": "Carbon sinks and restoration zoning",
        "chapter.erosion": "Soil erosion (CSLE)",
        "chapter.validation": "Validation",
        # figure text (landcarbon.report.figures.text)
        "fig.area_ha": "area (ha)",
        "fig.change_vs": "difference from {base} ({units})",
        "fig.probability": "development probability (0-1)",
        "fig.probability_title": "Development probability by class ({method})",
        "fig.scenario_maps": "Land use {year}: {base} and scenarios",
        "fig.observed": "observed",
        "fig.observed_maps": "Land use {years} (observed)",
        "fig.transfers": "Land-use transfers {a} → {b} (area, ha)",
        "fig.storage": "carbon storage CS",
        "fig.emissions": "land-use emissions CE",
        "fig.balance": "balance index CS/CE",
        "fig.storage_by_class": "Carbon storage by land-use class, {map}",
        "fig.comparison_storage": "Carbon storage by map, as differences from {base} "
        "(one panel each)",
        "fig.comparison_balance": "Carbon storage, emissions and carbon balance index CS/CE "
        "by map, as differences from {base} (one panel each)",
        "fig.kt_c": "10^3 t C",
        "fig.t_c_yr": "t C/yr",
        "fig.years": "years",
        "fig.x_m": "x ({unit})",
        "fig.y_m": "y ({unit})",
        "fig.crs_units": "CRS units",
        "fig.lon": "longitude (°)",
        "fig.lat": "latitude (°)",
        "fig.column": "column (cells)",
        "fig.row": "row (cells)",
        "fig.no_crs": "no CRS: axes and scale in cells, north unknown",
        "fig.north": "N",
        "fig.cells": "{n:g} cells",
        "fig.q_axis": "q (share of the variance of y explained)",
        "fig.q_title": "GeoDetector factor q (dark: p < {alpha:g})",
        "fig.interaction_title": "Interaction detector q(X1 ∩ X2)",
        "fig.soil_loss_title": "Soil loss by land-use and climate scenario",
        "fig.soil_loss_axis": "soil loss (t/yr)",
        "fig.soil_layers": "Soil carbon density by layer (t C/ha per m of depth)",
        "fig.grades_title": "Erosion grade areas by land-use scenario and year (SL 190-2007)",
    },
    "zh": {
        "summary": "摘要",
        "data": "数据",
        "csv": "CSV",
        "show_all": "显示全部 {n} 行",
        "show_fewer": "只显示前 {n} 行",
        "rows_shown": "显示 {shown} / {n} 行",
        "workbook": "全部表格 (Excel)",
        "footer": "由 landcarbon 生成。输入、参数、随机种子、版本与引用：",
        "legend": "图例",
        "key": "编号",
        "text": "内容",
        "item": "项目",
        "value": "数值",
        "code": "代码",
        "class": "地类",
        "observed": "{year}年土地利用现状",
        "viewer": "地图浏览",
        "viewer_help": "拖动平移，滚轮或 +/- 缩放，拖动滑块在两幅地图之间对比，"
        "鼠标悬停读取像元地类或数值。",
        "map_a": "左图",
        "map_b": "右图",
        "swap": "交换地图",
        "reset": "复位",
        "nodata": "无数据",
        "sheet": "工作表",
        "title": "标题",
        "file": "文件",
        "units": "单位",
        "method_notes": "方法说明：",
        "note_colon": "：",
        "note_separator": "；",
        "note_list": "、",
        "note.singletons": "单像元分层",
        "note.p_value": "p 值",
        "note.ecological_rule": "生态探测",
        "note.discretization_search": "离散化搜索空间",
        "note.methods": "离散化方法",
        "note.k": "分级数 k",
        "chapter.landuse": "土地利用",
        "chapter.simulation": "土地利用模拟",
        "chapter.carbon": "碳储量与碳排放",
        "chapter.drivers": "驱动因素（地理探测器）",
        "chapter.sinks": "碳汇与修复分区",
        "chapter.erosion": "土壤侵蚀（CSLE）",
        "chapter.validation": "精度验证",
        "fig.area_ha": "面积 (hm²)",
        "fig.change_vs": "与 {base} 之差 ({units})",
        "fig.probability": "发展概率 (0-1)",
        "fig.probability_title": "各地类发展概率（{method}）",
        "fig.scenario_maps": "{year}年土地利用：{base}与各情景",
        "fig.observed": "现状",
        "fig.observed_maps": "{years}年土地利用现状",
        "fig.transfers": "土地利用转移 {a} → {b}（面积，hm²）",
        "fig.storage": "碳储量 CS",
        "fig.emissions": "土地利用碳排放 CE",
        "fig.balance": "碳平衡指数 CS/CE",
        "fig.storage_by_class": "{map} 各地类碳储量",
        "fig.comparison_storage": "各期碳储量与 {base} 之差（每项一幅）",
        "fig.comparison_balance": "各期碳储量、碳排放与碳平衡指数 CS/CE 与 {base} 之差（每项一幅）",
        "fig.kt_c": "10^3 t C",
        "fig.t_c_yr": "t C/a",
        "fig.years": "年",
        "fig.x_m": "x ({unit})",
        "fig.y_m": "y ({unit})",
        "fig.crs_units": "坐标系单位",
        "fig.lon": "经度 (°)",
        "fig.lat": "纬度 (°)",
        "fig.column": "列（像元）",
        "fig.row": "行（像元）",
        "fig.no_crs": "无坐标系：坐标轴与比例尺以像元计，方向未知",
        "fig.north": "北",
        "fig.cells": "{n:g} 像元",
        "fig.q_axis": "q（y 方差被解释的比例）",
        "fig.q_title": "地理探测器因子 q（深色：p < {alpha:g}）",
        "fig.interaction_title": "交互探测 q(X1 ∩ X2)",
        "fig.soil_loss_title": "各土地利用与气候情景的土壤侵蚀量",
        "fig.soil_loss_axis": "土壤侵蚀量 (t/a)",
        "fig.soil_layers": "分层土壤碳密度（t C/hm²，每米深度）",
        "fig.grades_title": "各土地利用情景与年份的土壤侵蚀强度分级面积（SL 190-2007）",
    },
}

UNITS: tuple[tuple[str, str, str], ...] = (
    # key suffix, unit in English, unit in Chinese (longest suffixes first)
    ("_g_c_per_m2_yr", "g C/m²/yr", "g C/(m²·a)"),
    ("_t_c_per_ha_yr", "t C/ha/yr", "t C/(hm²·a)"),
    ("_t_c_per_tce", "t C/tce", "t C/tce"),
    ("_tce_per_unit", "tce/unit", "tce/单位"),
    ("_t_c_per_ha", "t C/ha", "t C/hm²"),
    ("_pct_per_yr", "%/yr", "%/a"),
    ("_t_per_ha", "t/ha", "t/hm²"),
    ("_t_c_yr", "t C/yr", "t C/a"),
    ("_percent", "%", "%"),
    ("_cells", "cells", "像元"),
    ("_share", "share", "比例"),
    ("_t_c", "t C", "t C"),
    ("_km2", "km²", "km²"),
    ("_ha", "ha", "hm²"),
    ("_t", "t", "t"),
)
"""Unit of a key by its suffix: ``area_ha`` is an area in hectares."""

WORDS: dict[str, str] = {
    # key (without its unit suffix) -> Chinese label; English labels are the key's words
    "area": "面积",
    # soil erosion intensity grades (SL 190-2007), as the grade-area columns name them
    "slight": "微度",
    "light": "轻度",
    "moderate": "中度",
    "intense": "强烈",
    "very_intense": "极强烈",
    "severe": "剧烈",
    "area_t0": "期初面积",
    "area_t1": "期末面积",
    "persistence": "未变化面积",
    "gain": "增加",
    "loss": "减少",
    "net": "净变化",
    "swap": "交换变化",
    "total_change": "总变化",
    "dynamic_degree": "单一动态度",
    "comprehensive_dynamic_degree": "综合动态度",
    "changed_area": "变化面积",
    "changed": "变化",
    "cells": "像元数",
    "name": "名称",
    "storage": "碳储量",
    "total": "总碳储量",
    "c_above": "地上碳",
    "c_below": "地下碳",
    "c_soil": "土壤碳",
    "c_dead": "死亡有机质碳",
    "future_area": "未来面积",
    "future_total": "未来碳储量",
    "baseline_area": "基准年面积",
    "baseline_total": "基准年碳储量",
    "change": "变化",
    "sequestration": "固碳量",
    "emissions": "碳排放",
    "emissions_energy": "能源碳排放",
    "emissions_land_use": "土地利用碳排放",
    "emissions_total": "碳排放总量",
    "factor": "系数",
    "sources": "碳源",
    "sinks": "碳汇",
    "cs": "碳储量",
    "ce": "碳排放",
    "net_emissions": "净碳排放",
    "balance_index": "碳平衡指数",
    "zone": "分区",
    "zone_name": "分区名称",
    "map": "地图",
    "year": "年份",
    "target_year": "目标年份",
    "scenario": "情景",
    "converged": "是否收敛",
    "iterations": "迭代次数",
    "demand": "需求",
    "residual": "剩余需求",
    "allocated": "已分配",
    "source": "来源",
    "q": "q 值",
    "p": "p 值",
    "n": "样本数",
    "strata": "分层数",
    "type": "交互类型",
    "patch": "斑块",
    "patches": "斑块数",
    "land_use": "土地利用",
    "strategy": "修复策略",
    "pattern": "模式",
    "weight": "权重",
    "density": "碳密度",
    "mean_nep": "平均 NEP",
    "mean_soil_carbon": "平均土壤碳密度",
    "mean": "平均",
    "climate": "气候情景",
    "land_use_scenario": "土地利用情景",
    "conservation": "土壤保持量",
    "potential": "潜在侵蚀量",
    "displaced": "侵蚀迁移碳",
    "carbon_source": "侵蚀碳源",
    "carbon_sink": "侵蚀碳汇",
    "net_carbon_flux": "净碳通量",
    "conserved_carbon": "保持碳量",
    "soil_loss": "土壤侵蚀量",
    "by_grade": "侵蚀强度分级面积",
    "nodata_cells_dropped": "剔除的无数据像元",
    "importance_breaks": "重要性分级断点",
    "resistance_weights": "阻力因子权重",
    "strategies": "修复策略",
    "fuel": "燃料",
    "consumption": "消费量",
}
"""Chinese labels of the keys the chapters write (summary keys and table columns)."""


TITLES: dict[str, str] = {
    # the opening words of an output's title (its doc) -> Chinese; what follows them (a
    # year, a scenario name as the user wrote it) is kept
    "Markov demand and allocated cells": "Markov 需求与已分配像元",
    "carbon change": "碳储量变化",
    "carbon storage by land-use class": "各地类碳储量",
    "carbon storage by map": "各期碳储量",
    "carbon storage, emissions and carbon balance index CS/CE by map": (
        "各期碳储量、碳排放与碳平衡指数 CS/CE"
    ),
    "carbon storage": "碳储量",
    "carbon balance index CS/CE per cell": "逐像元碳平衡指数 CS/CE",
    "carbon-sink importance index": "碳汇重要性指数",
    "carbon-sink importance level": "碳汇重要性等级",
    "climate-corrected pools": "气候校正后的碳密度",
    "development probability by class": "各地类发展概率",
    "driver contribution to each class's expansion (Gini)": "各驱动因子对地类扩张的贡献（Gini）",
    "emissions by land-use class": "各地类碳排放",
    "energy emissions by population": "按人口分配的能源碳排放",
    "entropy weights of resistance factors": "阻力因子熵权",
    "erosion intensity grade": "土壤侵蚀强度等级",
    "erosion, conservation and erosion carbon by climate x land-use scenario": (
        "各气候 x 土地利用情景的侵蚀量、保持量与侵蚀碳"
    ),
    "explanatory power q": "解释力 q",
    "factor detector: q and p of each driver": "因子探测：各驱动因子的 q 与 p",
    "gains, losses, net, swap and dynamic degree": "增加、减少、净变化、交换变化与动态度",
    "interaction detector: q of each pair and its type": "交互探测：各因子对的 q 与交互类型",
    "interaction q of every pair": "各因子对的交互 q",
    "land use": "土地利用",
    "land-use composition of each zone": "各分区土地利用构成",
    "land-use emissions": "土地利用碳排放",
    "land-use emissions (negative = sink)": "土地利用碳排放（负值为碳汇）",
    "land-use transfers": "土地利用转移",
    "minimum cumulative resistance from sinks": "源地最小累积阻力",
    "net ecosystem production NEP = NPP − Rh": "净生态系统生产力 NEP = NPP − Rh",
    "net erosion-induced carbon flux": "侵蚀引起的净碳通量",
    "pearson correlation of y and the drivers": "y 与驱动因子的 Pearson 相关系数",
    "potential soil loss": "潜在土壤侵蚀量",
    "primary, secondary and potential sinks": "一级、二级与潜在碳汇",
    "resistance surface": "阻力面",
    "restoration strategy": "修复策略",
    "simulated land use": "模拟土地利用",
    "slope length and steepness LS": "坡长坡度因子 LS",
    "soil carbon within 100 cm": "100 cm 内土壤碳",
    "soil conservation": "土壤保持量",
    "soil erodibility K": "土壤可蚀性因子 K",
    "soil heterotrophic respiration": "土壤异养呼吸",
    "soil loss A = R K LS B E T": "土壤侵蚀量 A = R K LS B E T",
    "soil loss by climate and land-use scenario": "各气候与土地利用情景的土壤侵蚀量",
    "soil loss, conservation and carbon by land-use class": "各地类土壤侵蚀量、保持量与碳",
    "spearman correlation of y and the drivers": "y 与驱动因子的 Spearman 相关系数",
    "storage of every map": "各期碳储量",
    "storage, emissions and carbon balance index CS/CE of every map": (
        "各期碳储量、碳排放与碳平衡指数 CS/CE"
    ),
    "strategy and area of each sink patch": "各碳汇斑块的策略与面积",
    "transfer matrix": "土地利用转移矩阵",
    "transfers as (from, to) rows, Sankey-ready": "转移明细（from, to），可用于桑基图",
    "two-sided p-values of the pearson correlations": "Pearson 相关的双侧 p 值",
    "two-sided p-values of the spearman correlations": "Spearman 相关的双侧 p 值",
    "vegetation carbon density": "植被碳密度",
    "vegetation carbon storage by type": "各植被类型碳储量",
    "Soil carbon density by layer": "分层土壤碳密度",
}
"""Chinese titles of the chapters' outputs, by the title's opening words."""


def title(text: str, language: Language) -> str:
    """An output's title in ``language``: in Chinese the longest known opening of
    :data:`TITLES` is translated and the rest (years, scenario names) kept as written;
    a title that opens with none stays as it is."""
    if language == "en":
        return text
    openings = [o for o in TITLES if text.startswith(o)]
    if not openings:
        return text
    opening = max(openings, key=len)
    return TITLES[opening] + text[len(opening) :]


NOTES: dict[str, str] = {
    # a convention's words as a chapter's summary names it -> Chinese (the GeoDetector
    # conventions of landcarbon.stats.geodetector.describe_conventions and the
    # discretisation methods of the optimal-parameter search)
    "kept (one-row strata add 0 to SSW; classic geodetector R)": (
        "保留（单像元分层对 SSW 的贡献为 0；经典 geodetector R）"
    ),
    "dropped (one-row strata left out of q; gdverse)": "剔除（单像元分层不参与 q 的计算；gdverse）",
    "noncentral F, lambda over the sample variance of y (geodetector R 1.0-5)": (
        "非中心 F 检验，λ 以 y 的样本方差计算（geodetector R 1.0-5）"
    ),
    "noncentral F, lambda over the population variance of y (GD, gdverse)": (
        "非中心 F 检验，λ 以 y 的总体方差计算（GD、gdverse）"
    ),
    "ssw_ratio: F = SSW_a/SSW_b, df (N-1, N-1), both orders (Wang et al. 2010; gdverse)": (
        "ssw_ratio：F = SSW_a/SSW_b，自由度 (N-1, N-1)，双向检验（Wang et al. 2010；gdverse）"
    ),
    "q_ratio: q_b/q_a against qf(0.9, N-1, N-1) (geodetector R)": (
        "q_ratio：q_b/q_a 与 qf(0.9, N-1, N-1) 比较（geodetector R）"
    ),
    "sd": "标准差",
    "equal": "等间距",
    "geometric": "几何间隔",
    "quantile": "分位数",
    "natural": "自然断点",
    "every valid cell": "全部有效像元",
    "every valid cell (chunked: exact map-reduce sums)": "全部有效像元（分块计算：精确的分块求和）",
}
"""Chinese words of the conventions a method-notes line names."""

_SAMPLE_NOTE = re.compile(r"a (random|regular) sample of (\d+) valid cells \(seed (\S+)\)")
_SAMPLE_WORDS = {"random": "随机", "regular": "规则"}


def note(text: str, language: Language) -> str:
    """A convention's words (:data:`NOTES`) in ``language``; words without a translation
    stay as they are."""
    if language != "zh":
        return text
    sample = _SAMPLE_NOTE.fullmatch(text)
    if sample:  # the drivers chapter's sample: how, how many cells, seed
        how, cells, seed = sample.groups()
        return f"{_SAMPLE_WORDS[how]}抽样的 {cells} 个有效像元（种子 {seed}）"
    return NOTES.get(text, text)


def note_label(key: str, language: Language) -> str:
    """The label of a method note's key (``singletons`` -> ``singleton strata``); a key
    without one is shown by :func:`label`."""
    return MESSAGES[language].get(f"note.{key}") or label(key, language)


def message(key: str, language: Language, **values: object) -> str:
    """The fixed text ``key`` in ``language``, with ``{name}`` fields filled from ``values``."""
    return MESSAGES[language][key].format(**values)


def chapter_title(name: str, language: Language) -> str:
    """The heading of chapter ``name`` (a chapter without a title keeps its name)."""
    return MESSAGES[language].get(f"chapter.{name}", name)


def split_unit(key: str) -> tuple[str, str]:
    """``("storage", "_t_c")`` for ``"storage_t_c"``; the suffix is ``""`` without a unit."""
    for suffix, _, _ in UNITS:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)], suffix
    return key, ""


def label(key: str, language: Language) -> str:
    """A readable label with its unit: ``"area (ha)"`` for ``area_ha`` in English,
    ``"面积 (hm²)"`` in Chinese; keys the tables do not know keep their words."""
    base, suffix = split_unit(str(key))
    words = WORDS.get(base, base) if language == "zh" else base
    words = words.replace("_", " ")
    if not suffix:
        return words
    unit = next(u[1 if language == "en" else 2] for u in UNITS if u[0] == suffix)
    return f"{words} ({unit})"
