"""The benchmark package: CLI entry points on the quick suite, textbook oracle, measurements."""

from __future__ import annotations

import argparse
import csv
import os
import re

import numpy as np
import pytest

from convzoo import conv, conv_backward, make_spec
from convzoo.bench import add_arguments, measure, report, run_cli, suite, textbook
from convzoo.bench.ceiling import fewest_macs, floor_seconds
from convzoo.bench.runner import summary
from convzoo.engine import winograd
from convzoo.engine.select import Problem, choose_transpose

pytest.importorskip("torch")


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_run_cli_quick_writes_markdown_csv_and_png(tmp_path, capsys):
    code = run_cli(_args("--quick", "--repeats", "1", "--layers", "quick_3x3", "quick_depthwise",
                         "--out", str(tmp_path)))  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "| quick_3x3 |" in printed and "Geometric means" in printed
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [r["layer"] for r in rows] == ["quick_3x3", "quick_depthwise"]
    for r in rows:
        assert float(r["fwd_convzoo_ms"]) > 0 and float(r["bwd_torch_ms"]) > 0
        assert float(r["fwd_ratio"]) == pytest.approx(
            float(r["fwd_convzoo_ms"]) / float(r["fwd_torch_ms"]), rel=1e-4
        )
    assert (tmp_path / "roofline.png").read_bytes()[:4] == b"\x89PNG"
    assert "| quick_depthwise |" in (tmp_path / "results.md").read_text()


def test_run_cli_rejects_unknown_layer(capsys):
    assert run_cli(_args("--quick", "--layers", "nope")) == 2
    assert "bench: unknown layer(s) ['nope']" in capsys.readouterr().err


def test_run_cli_lists_the_full_suite(capsys):
    assert run_cli(_args("--list")) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names[:2] == ["resnet3x3_64", "resnet3x3_256"] and len(names) == 14


@pytest.mark.parametrize(
    ("xs", "ws", "kw"),
    [
        ((2, 4, 9, 8), (6, 2, 3, 3), dict(stride=2, padding=1, dilation=(1, 2), groups=2)),
        ((1, 3, 10), (2, 3, 5), dict(padding=((1, 3),))),
    ],
    ids=["2d-grouped-strided", "1d-asymmetric"],
)
def test_textbook_matches_convzoo(xs, ws, kw):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    spec = make_spec("conv", xs, ws, **kw)
    args = (spec.stride, spec.padding, spec.dilation, spec.groups)
    y = conv(x, w, **kw)
    np.testing.assert_allclose(textbook.forward(x, w, *args), y, atol=1e-10)
    gy = rng.standard_normal(y.shape)
    gx, gw, _ = conv_backward(gy, x, w, **kw)
    tgx, tgw = textbook.backward(gy, x, w, *args)
    np.testing.assert_allclose(tgx, gx, atol=1e-10)
    np.testing.assert_allclose(tgw, gw, atol=1e-10)


def test_roofs_are_positive():
    assert min(measure.peak_sgemm_gflops(size=128, repeats=1).values()) > 0
    assert min(measure.stream_gbs(megabytes=4, repeats=1).values()) > 0


def test_summary_lists_misses():
    rows = [
        {"layer": "a", "fwd_ratio": 1.3, "bwd_ratio": 1.0, "fwd_speedup_vs_numpy": 60.0,
         "bwd_speedup_vs_numpy": 60.0, "fwd_peak_mib": 70.0, "memory_budget_mib": 64.0},
        {"layer": "depthwise_separable", "fwd_ratio": 0.9, "bwd_ratio": 2.5,
         "fwd_speedup_vs_numpy": 60.0, "bwd_speedup_vs_numpy": 60.0},
    ]  # fmt: skip
    s = summary(rows)
    assert s["fwd_misses"] == ["a"] and s["bwd_misses"] == ["depthwise_separable"]
    assert s["fused_misses"] == ["depthwise_separable"] and s["memory_misses"] == ["a"]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="threads pinned on Linux")
def test_core_times_probe_every_core_and_give_the_cores_back():
    cores = os.sched_getaffinity(0)
    times = measure.core_times(size=32, repeats=1)
    assert os.sched_getaffinity(0) == cores
    if len(cores) < 2:
        assert times is None
    else:
        assert sorted(times) == sorted(cores) and min(times.values()) > 0
        assert measure.core_skew(times) >= 1.0


def test_a_miss_names_the_cores_skew_when_they_ran_apart(tmp_path, capsys):
    argv = ("--quick", "--no-memory", "--repeats", "1", "--layers", "quick_3x3")
    assert run_cli(_args(*argv, "--out", str(tmp_path))) == 0
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    for row in rows:  # probed around both phases (nan on a one-core machine)
        assert float(row["fwd_core_skew"]) >= 1.0 or np.isnan(float(row["fwd_core_skew"]))
    row = {k: v if k in ("layer", "description", "algorithm") else float(v)
           for k, v in rows[0].items()}  # fmt: skip
    row.update(fwd_ratio=1.4, bwd_ratio=2.5, fwd_core_skew=1.6, bwd_core_skew=1.1)
    text = report.to_markdown([row], _ROOFS)
    misses = next(line for line in text.splitlines() if line.startswith("Forward misses"))
    name = row["layer"]
    assert f"Forward misses (> 1.25x, fused > 0.8x): {name} (cores 1.60x apart)." in misses
    assert f"Backward misses (> 2.0x): {name}." in misses


_ROOFS = {"threads": {}, "cpu_count": 2, "processor": "x", "peak_gflops": 100.0,
          "sgemm_gflops": {}, "peak_gbs": 10.0, "stream_gbs": {}, "numpy": "-",
          "python": "-"}  # fmt: skip


def test_run_cli_rejects_negative_settle(capsys):
    assert run_cli(_args("--quick", "--settle", "-1")) == 2
    assert "convzoo bench: --settle must be >= 0 seconds; got -1.0" in capsys.readouterr().err


def test_interleaved_samples_settle_runs_the_same_function_back_to_back(monkeypatch):
    clock = {"now": 0.0}
    events = []
    monkeypatch.setattr(measure.time, "perf_counter", lambda: clock["now"])
    monkeypatch.setattr(measure.time, "sleep", lambda s: events.append(("sleep", s)))

    def call(name, seconds):
        def fn():
            events.append(name)
            clock["now"] += seconds

        return fn

    fns = {"a": call("a", 0.125), "b": call("b", 0.375)}
    samples = measure.interleaved_samples(fns, 2, warmup=0, settle=0.5)
    assert samples == {"a": [0.125, 0.125], "b": [0.375, 0.375]}
    # each timed call follows untimed calls of the same function for 0.5 s (a: 4 calls,
    # b: 2), never a pause; rounds rotate the order
    assert events == ["a"] * 5 + ["b"] * 3 + ["b"] * 3 + ["a"] * 5
    events.clear()
    measure.interleaved_samples(fns, 1, warmup=0)
    assert events == ["a", "b"]  # settle defaults to neither pause nor extra call


def test_interleaved_samples_idle_pauses_then_makes_one_untimed_call(monkeypatch):
    events = []
    monkeypatch.setattr(measure.time, "sleep", lambda s: events.append(("sleep", s)))
    fns = {"a": lambda: events.append("a"), "b": lambda: events.append("b")}
    samples = measure.interleaved_samples(fns, 2, warmup=0, settle=0.5, idle=True)
    assert len(samples["a"]) == len(samples["b"]) == 2
    assert events == [("sleep", 0.5), "a", "a", ("sleep", 0.5), "b", "b",
                      ("sleep", 0.5), "b", "b", ("sleep", 0.5), "a", "a"]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "text"),
    [((), "after 0 ms of untimed calls of the same function"),
     (("--idle",), "after a 0 ms pause and one untimed call (--idle)")],
)  # fmt: skip
def test_report_says_how_each_timed_call_was_prepared(tmp_path, capsys, argv, text):
    code = run_cli(_args("--quick", "--repeats", "1", "--settle", "0", "--no-memory", "--layers",
                         "quick_3x3", "--out", str(tmp_path), *argv))  # fmt: skip
    assert code == 0
    assert f"each timed call {text})" in (tmp_path / "results.md").read_text()


def test_algorithm_column_names_what_auto_runs_on_real_data():
    """The label's input gradient is chosen on a finite gradient (not uninitialised memory,
    whose NaNs would send it to GEMM)."""
    x = np.zeros((8, 64, 56, 56), np.float32)
    w = np.ones((64, 64, 3, 3), np.float32)
    spec = make_spec("conv", x.shape, w.shape, padding=1)
    g = np.ones(spec.output_shape, np.float32)
    chosen, _ = choose_transpose(g, w, spec.stride, spec.dilation, 1, spec.padded_spatial)
    assert suite._algorithms(x, w, spec).split(" / ")[1].startswith(chosen.name)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "groups", "taps"),
    [
        ((8, 64, 58, 58), (64, 64, 3, 3), (1, 1), 1, 9),
        ((8, 128, 58, 58), (128, 1, 3, 3), (2, 2), 128, 9),
        ((8, 3, 230, 230), (64, 3, 7, 7), (2, 2), 1, 49),
        ((2, 160, 17, 23), (160, 160, 1, 7), (1, 1), 1, 7),
        ((2, 8, 5, 5, 5), (8, 4, 1, 1, 1), (1, 1, 1), 2, 1),
    ],
    ids=["3x3", "depthwise-s2", "stem", "1x7", "3d-pointwise-grouped"],
)
def test_fewest_macs_is_one_per_output_per_input_channel(x_shape, w_shape, stride, groups, taps):
    p = Problem(x_shape, w_shape, stride, (1,) * len(stride), groups, np.dtype("float32"))
    c_out, c_per_group = w_shape[:2]
    outputs = x_shape[0] * c_out * np.prod(p.output_spatial)
    assert fewest_macs(p) == outputs * c_per_group == p.macs // taps


@pytest.mark.parametrize("m", [2, 4])
def test_winograd_needs_more_products_than_the_fewest(m):
    """The ceiling's bound sits below what a real fast algorithm does."""
    p = Problem((8, 256, 16, 16), (256, 256, 3, 3), (1, 1), (1, 1), 1, np.dtype("float32"))
    assert fewest_macs(p) < winograd.multiplications(p, m)["elementwise"] < p.macs


def test_transposed_case_counts_one_product_per_output_per_input_channel():
    case = next(layer for layer in suite.QUICK if layer.name == "quick_transposed").build(
        np.random.default_rng(0), 1
    )
    assert case.fewest_flops == 2.0 * (64 * 32 * 32) * 128  # outputs x input channels
    assert case.flops / case.fewest_flops == 4  # 4x4 taps, stride 2: 2x2 per output


def test_floor_is_the_slower_of_compute_and_traffic():
    roofs = {"peak_gflops": 100.0, "peak_gbs": 10.0}
    assert floor_seconds(1e9, 1e6, roofs) == pytest.approx(0.01)  # compute-bound
    assert floor_seconds(1e6, 1e9, roofs) == pytest.approx(0.1)  # memory-bound


def test_report_gives_the_ceiling_over_the_textbook(tmp_path):
    argv = ("--quick", "--no-memory", "--repeats", "1", "--layers", "quick_depthwise")
    assert run_cli(_args(*argv, "--out", str(tmp_path))) == 0
    row = next(csv.DictReader(open(tmp_path / "results.csv")))
    for phase in ("fwd", "bwd"):
        floor = float(row[f"{phase}_floor_ms"])
        assert floor > 0
        assert float(row[f"{phase}_ceiling_vs_numpy"]) == pytest.approx(
            float(row[f"{phase}_numpy_ms"]) / floor, rel=1e-4
        )
    text = (tmp_path / "results.md").read_text()
    s = summary([{k: float(v) for k, v in row.items() if k.endswith(("ratio", "numpy"))}
                 | {"layer": row["layer"]}])  # fmt: skip
    printed = re.search(r"no algorithm could be more than \*\*(\d+)x\*\* faster", text)
    assert printed is not None  # the CSV's 6 digits may round the other way: compare to 1
    assert abs(int(printed.group(1)) - s["vs_numpy_ceiling_geomean"]) <= 1
