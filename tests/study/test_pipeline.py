"""Pipeline: ordering by declared names, caching, resume after interruption."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from landcarbon.errors import ConfigError
from landcarbon.study.pipeline import Context, Output, Step, plan, run_steps


def _copy_step(name: str, src: str, dst: str, calls: list[str], fail: bool = False) -> Step:
    def run(ctx: Context) -> None:
        calls.append(name)
        if fail:
            raise KeyboardInterrupt  # a kill in the middle of the step
        ctx.outputs[dst].write_text(ctx.inputs[src].read_text() + name)

    return Step(name, "test", (src,), (Output(dst, f"{dst}.txt", "table"),), run)


def test_plan_orders_by_names_and_selects_what_is_needed():
    calls: list[str] = []
    b = _copy_step("b", "a_out", "b_out", calls)
    a = _copy_step("a", "input", "a_out", calls)
    c = _copy_step("c", "input", "c_out", calls)
    assert [s.name for s in plan([b, a, c], {"input"})] == ["a", "c", "b"]
    assert [s.name for s in plan([b, a, c], {"input"}, ["b"])] == ["a", "b"]
    with pytest.raises(ConfigError, match="step 'b' needs 'a_out', which no input"):
        plan([b], {"input"})
    with pytest.raises(ConfigError, match=r"unknown step\(s\) \['z'\]"):
        plan([a], {"input"}, ["z"])


def test_a_missing_name_is_answered_with_the_names_it_may_have_meant():
    """A study file's reference to a map that no step makes (a user's "simulation" for
    the trend's "simulation.trend"): the error names the close names, else the inputs."""
    calls: list[str] = []
    sim = _copy_step("sim", "landuse_2020", "simulation.trend", calls)
    carbon = _copy_step("carbon_2030", "simulation", "carbon_2030_out", calls)
    with pytest.raises(
        ConfigError, match=r"needs 'simulation', .*did you mean 'simulation.trend'\?"
    ):
        plan([sim, carbon], {"landuse_2020"})
    far = _copy_step("carbon_x", "zzz", "x_out", calls)
    with pytest.raises(
        ConfigError, match=r"needs 'zzz', .*\(the study's inputs: dem, landuse_2020\)"
    ):
        plan([far], {"landuse_2020", "dem"})


def test_rerun_is_cached_and_input_change_reruns(tmp_path: Path):
    src = tmp_path / "in.txt"
    src.write_text("x")
    calls: list[str] = []
    steps = [_copy_step("a", "input", "a_out", calls), _copy_step("b", "a_out", "b_out", calls)]
    out = tmp_path / "out"
    run_steps(steps, {"input": src}, out, seed=1)
    records = run_steps(steps, {"input": src}, out, seed=1)
    assert calls == ["a", "b"] and [r.status for r in records] == ["cached", "cached"]
    src.write_text("y")
    run_steps(steps, {"input": src}, out, seed=1)
    assert calls == ["a", "b", "a", "b"]
    assert (out / "b_out.txt").read_text() == "yab"


def test_runner_is_entered_only_when_a_step_runs(tmp_path: Path):
    # the study's dask scheduler: entered before the first step that runs, left after the
    # last; a run whose steps are all reused never enters it (a cached run loads no dask)
    src = tmp_path / "in.txt"
    src.write_text("x")
    calls: list[str] = []

    @contextlib.contextmanager
    def runner() -> Iterator[None]:
        calls.append("enter")
        yield
        calls.append("exit")

    steps = [_copy_step("a", "input", "a_out", calls), _copy_step("b", "a_out", "b_out", calls)]
    out = tmp_path / "out"
    run_steps(steps, {"input": src}, out, seed=1, runner=runner())
    assert calls == ["enter", "a", "b", "exit"]
    records = run_steps(steps, {"input": src}, out, seed=1, runner=runner())
    assert calls == ["enter", "a", "b", "exit"]  # all cached: not entered
    assert [r.status for r in records] == ["cached", "cached"]
    (out / "b_out.txt").unlink()
    run_steps(steps, {"input": src}, out, seed=1, runner=runner())
    assert calls == ["enter", "a", "b", "exit", "enter", "b", "exit"]


def test_interrupted_run_resumes_after_last_finished_step(tmp_path: Path):
    src = tmp_path / "in.txt"
    src.write_text("x")
    calls: list[str] = []
    out = tmp_path / "out"
    broken = [
        _copy_step("a", "input", "a_out", calls),
        _copy_step("b", "a_out", "b_out", calls, fail=True),
    ]
    with pytest.raises(KeyboardInterrupt):
        run_steps(broken, {"input": src}, out, seed=1)
    assert not (out / "b_out.txt").exists()
    fixed = [_copy_step("a", "input", "a_out", calls), _copy_step("b", "a_out", "b_out", calls)]
    records = run_steps(fixed, {"input": src}, out, seed=1)
    assert [r.status for r in records] == ["cached", "ran"]
    assert (out / "b_out.txt").read_text() == "xab"


def test_step_seeds_are_derived_and_stable(tmp_path: Path):
    seen: list[int] = []

    def run(ctx: Context) -> None:
        seen.append(ctx.seed)
        ctx.outputs["o"].write_text("")

    step = Step("s", "t", (), (Output("o", "o.txt", "table"),), run)
    run_steps([step], {}, tmp_path / "1", seed=7)
    run_steps([step], {}, tmp_path / "2", seed=7)
    run_steps([step], {}, tmp_path / "3", seed=8)
    assert seen[0] == seen[1] != seen[2]


def test_a_steps_cyclic_garbage_is_freed_before_the_next_step(tmp_path: Path):
    """A map a step leaves in a reference cycle (as a DataArray with a cached ``.rio``
    accessor is) is freed before the next step runs, not when the collector next happens
    to: the scenario steps' 48 bytes per cell of suitability stack piled up otherwise."""
    import gc
    import weakref

    import numpy as np

    src = tmp_path / "in.txt"
    src.write_text("x")
    left: list[weakref.ref[object]] = []

    class Holder:
        pass

    def first(ctx: Context) -> None:
        held = Holder()
        held.values = np.zeros(1000)  # type: ignore[attr-defined]
        held.cycle = held  # type: ignore[attr-defined]
        left.append(weakref.ref(held))
        ctx.outputs["a_out"].write_text("a")

    alive: list[bool] = []

    def second(ctx: Context) -> None:
        alive.append(left[0]() is not None)
        ctx.outputs["b_out"].write_text("b")

    steps = [
        Step("a", "test", ("input",), (Output("a_out", "a_out.txt", "table"),), first),
        Step("b", "test", ("a_out",), (Output("b_out", "b_out.txt", "table"),), second),
    ]
    gc.disable()  # the collector would run only when its thresholds say
    try:
        run_steps(steps, {"input": src}, tmp_path / "out", seed=1)
    finally:
        gc.enable()
    assert alive == [False]
