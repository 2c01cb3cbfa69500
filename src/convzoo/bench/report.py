"""Benchmark output: a Markdown report, a CSV of every measured column, a roofline PNG."""

from __future__ import annotations

import csv
import io
from math import nan

from .measure import CORE_SKEW_NOTE
from .runner import TARGETS, summary

__all__ = ["to_csv", "to_markdown", "roofline_png", "write_all"]


def to_csv(rows) -> str:
    """All columns of all rows as CSV text (floats with 6 significant digits)."""
    if not rows:
        return ""
    columns = list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"


def to_markdown(rows, roofs, settings=None) -> str:
    """The README table: per layer forward and backward times, ratios, roofline, memory."""
    s = summary(rows)
    lines = [
        "| layer | algorithm (fwd / grad-in / grad-w) | fwd ms convzoo | fwd ms torch | fwd ratio "
        "| bwd ms convzoo | bwd ms torch | bwd ratio | x faster than textbook (fwd/bwd) "
        "| ceiling x (fwd/bwd) | fwd GFLOP/s (torch) | fwd GB/s | % of roof | peak MiB fwd/bwd "
        "| in+out MiB |",
        "|" + "---|" * 15,
    ]
    for r in rows:
        fused = r["layer"] in ("depthwise_separable", "shuffle_pointwise_g3")
        fwd_target = TARGETS["fused"] if fused else TARGETS["fwd_each"]
        peak = max(r.get("fwd_peak_mib", 0), r.get("bwd_peak_mib", 0))
        lines.append(
            f"| {r['layer']} | {r['algorithm']} | {r['fwd_convzoo_ms']:.2f} | "
            f"{r['fwd_torch_ms']:.2f} | "
            f"{r['fwd_ratio']:.2f}{_mark(r['fwd_ratio'] <= fwd_target)} | "
            f"{r['bwd_convzoo_ms']:.2f} | {r['bwd_torch_ms']:.2f} | "
            f"{r['bwd_ratio']:.2f}{_mark(r['bwd_ratio'] <= TARGETS['bwd_each'])} | "
            f"{r['fwd_speedup_vs_numpy']:.3g} / {r['bwd_speedup_vs_numpy']:.3g} | "
            f"{r.get('fwd_ceiling_vs_numpy', nan):.3g} / "
            f"{r.get('bwd_ceiling_vs_numpy', nan):.3g} | "
            f"{r['fwd_gflops']:.1f} ({r['fwd_torch_gflops']:.1f}) | {r['fwd_gbs']:.1f} | "
            f"{100 * r['fwd_gflops'] / r['fwd_roof_gflops']:.0f}% | "
            f"{r.get('fwd_peak_mib', float('nan')):.1f} / {r.get('bwd_peak_mib', float('nan')):.1f}"
            f"{_mark(peak <= r['memory_budget_mib'])} | {r['in_out_mib']:.1f} |"
        )
    gm = (
        f"\n**Geometric means** (convzoo / PyTorch time): forward **{s['fwd_geomean']:.2f}x** "
        f"(target ≤ {TARGETS['fwd_geomean']}), backward **{s['bwd_geomean']:.2f}x** "
        f"(target ≤ {TARGETS['bwd_geomean']}); convzoo is **{s['vs_numpy_geomean']:.0f}x** faster "
        f"than the textbook NumPy im2col + matmul (target ≥ {TARGETS['vs_numpy_geomean']:.0f}x); "
        f"no algorithm could be more than **{s['vs_numpy_ceiling_geomean']:.0f}x** faster on this "
        "machine (the ceiling: each layer's fewest multiply-adds, one per output element per "
        "input channel of its group, at the measured sgemm peak, or its compulsory traffic at "
        "the measured stream bandwidth, whichever takes longer). "
        f"Best-of-repeats ratios (less sensitive to other jobs; CSV columns *_ratio_best): "
        f"forward {s['fwd_geomean_best']:.2f}x, backward {s['bwd_geomean_best']:.2f}x.\n"
    )
    misses = (
        f"Forward misses (> {TARGETS['fwd_each']}x, fused > {TARGETS['fused']}x): "
        f"{_named(rows, s['fwd_misses'] + s['fused_misses'], 'fwd')}. "
        f"Backward misses (> {TARGETS['bwd_each']}x): {_named(rows, s['bwd_misses'], 'bwd')}. "
        f"Memory misses: {', '.join(s['memory_misses']) or 'none'}.\n"
    )
    threads = roofs["threads"]
    machine = (
        f"\nMachine: {roofs['cpu_count']} cores ({roofs['processor']}), threads {threads}; "
        f"measured roofs: sgemm {roofs['peak_gflops']:.1f} GFLOP/s "
        f"({', '.join(f'{k} {v:.1f}' for k, v in roofs['sgemm_gflops'].items())}), stream "
        f"{roofs['peak_gbs']:.1f} GB/s "
        f"({', '.join(f'{k} {v:.1f}' for k, v in roofs['stream_gbs'].items())}); "
        f"numpy {roofs['numpy']}, torch {roofs.get('torch', '-')}, Python {roofs['python']}; "
        f"process: {roofs.get('process', 'not recorded')}. "
        f"1-minute load average {roofs.get('load_before', float('nan')):.1f} before, "
        f"{roofs.get('load_after', float('nan')):.1f} after (on {roofs['cpu_count']} cores).\n"
    )
    how = ""
    if settings is not None:
        how = (
            f"Batch {settings.batch}, float32, {settings.repeats} interleaved repeats (median, "
            f"each timed call {_settle_text(settings)}), "
            f"textbook {settings.numpy_repeats} timed run(s), prepared the same way. "
            "Ratio = convzoo time / PyTorch time "
            "(< 1: convzoo faster). ✗ = misses its target. Backward = input + weight gradients "
            "(PyTorch: its backward pass alone, on a recorded graph). Peak MiB = tracemalloc "
            "high-water mark of one call (output included). Cores apart = the slower core's "
            "time for a single-threaded product over the faster's, probed before and after "
            "each layer's timings (CSV *_core_skew; named next to a miss from "
            f"{CORE_SKEW_NOTE}x).\n"
        )
    return "\n".join(lines) + "\n" + gm + "\n" + misses + machine + "\n" + how


def _named(rows, layers, phase: str) -> str:
    """The missed layers, each with its cores' skew when they ran far apart.

    Examples
    --------
    >>> rows = [{"layer": "a", "fwd_core_skew": 1.6}, {"layer": "b", "fwd_core_skew": 1.0}]
    >>> _named(rows, ["a", "b"], "fwd"), _named(rows, [], "fwd")
    ('a (cores 1.60x apart), b', 'none')
    """
    skews = {r["layer"]: r.get(f"{phase}_core_skew", float("nan")) for r in rows}
    named = [
        f"{layer} (cores {skews[layer]:.2f}x apart)" if skews[layer] >= CORE_SKEW_NOTE else layer
        for layer in layers
    ]
    return ", ".join(named) or "none"


def _settle_text(settings) -> str:
    """How each timed call was prepared (see :func:`.measure.interleaved_samples`)."""
    ms = 1e3 * getattr(settings, "settle", 0.0)
    if getattr(settings, "idle", False):
        return f"after a {ms:g} ms pause and one untimed call (--idle)"
    return f"after {ms:g} ms of untimed calls of the same function"


def roofline_png(rows, roofs, path) -> None:
    """Log-log roofline: the two measured roofs and each layer's attained GFLOP/s."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover
        raise ImportError("the roofline plot needs matplotlib: pip install convzoo[viz]") from error
    fig, ax = plt.subplots(figsize=(9, 6))
    peak, bw = roofs["peak_gflops"], roofs["peak_gbs"]
    intensities = [r[f"{p}_intensity"] for r in rows for p in ("fwd", "bwd")]
    lo, hi = min(intensities + [1.0]) / 2, max(intensities + [peak / bw]) * 2
    xs = [lo * (hi / lo) ** (i / 200) for i in range(201)]
    ax.loglog(xs, [min(peak, x * bw) for x in xs], "k-", lw=2, label="measured roof")
    for phase, marker in (("fwd", "o"), ("bwd", "s")):
        for who, color, key in (
            ("convzoo", "tab:blue", "gflops"),
            ("torch", "tab:orange", "torch_gflops"),
        ):
            ax.scatter(
                [r[f"{phase}_intensity"] for r in rows], [r[f"{phase}_{key}"] for r in rows],
                marker=marker, color=color, alpha=0.8, label=f"{who} {phase}",
            )  # fmt: skip
    for r in rows:
        ax.annotate(r["layer"], (r["fwd_intensity"], r["fwd_gflops"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("arithmetic intensity (FLOP / compulsory byte)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title(f"Roofline: sgemm {peak:.0f} GFLOP/s, stream {bw:.1f} GB/s")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_ylim(bottom=max(0.01, min(r["fwd_gflops"] for r in rows) / 3), top=peak * 2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_all(rows, roofs, directory, settings=None) -> dict:
    """Write results.md, results.csv and roofline.png into ``directory``; return the paths."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "markdown": directory / "results.md",
        "csv": directory / "results.csv",
        "png": directory / "roofline.png",
    }
    paths["markdown"].write_text(to_markdown(rows, roofs, settings), encoding="utf-8")
    paths["csv"].write_text(to_csv(rows), encoding="utf-8")
    roofline_png(rows, roofs, paths["png"])
    return {k: str(v) for k, v in paths.items()}
