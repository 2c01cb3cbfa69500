"""``convzoo tour``: the report is complete, self-contained, and loads in headless Chromium."""

import contextlib
import io
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convzoo.cli import main
from convzoo.report import section_builders

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

SEED_SECTIONS = [
    "overview", "single", "padding", "stride", "multichannel", "conv3d", "pointwise", "cost",
    "spatially-separable", "depthwise-separable", "grouped", "shuffled-grouped",
    "pointwise-grouped", "arithmetic", "types", "models", "benchmark",
]  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tour, written once by the CLI (the way users run it), and the CLI's JSON."""
    out = tmp_path_factory.mktemp("tour")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["tour", "--out", str(out), "--json"])
    assert code == 0
    return out / "index.html", json.loads(printed.getvalue())


@pytest.fixture(scope="module")
def tour(built):
    return built[0]


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("chromium is not installed: run tests/setup.sh")
    return path


def browse(chromium, *args, timeout=90):
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    return result


def test_every_section_is_present(tour):
    html = tour.read_text(encoding="utf-8")
    anchors = re.findall(r'<section id="([^"]+)">', html)
    assert anchors == SEED_SECTIONS
    assert len(section_builders()) == len(SEED_SECTIONS)
    for anchor in anchors:
        assert f'href="#{anchor}"' in html  # reachable from the navigation


def test_live_numbers(tour):
    html = tour.read_text(encoding="utf-8")
    assert "86,400 vs 10,275" in html
    assert "1/128 + 1/9 = 137/1152" in html  # the 1/Nc + 1/h^2 ratio, exact
    assert "<b>81</b> multiplications and\n<b>72</b> additions" in html
    assert "full 3×3 kernel <b>81</b> multiplications, two passes\n<b>72</b>" in html
    assert "568,740,352" in html  # MobileNet v1 1.0-224 MACs from the cost model
    assert "Check: 9,216 / g = 4,608, 2,304, 1,152." in html  # grouped: 1/g


def test_links_are_relative_and_every_asset_exists(tour):
    html = tour.read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) > 40
    for src in sources:
        assert not re.match(r"^(/|[a-z]+:)", src), src
        assert (tour.parent / src).is_file(), src
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html


def test_animations_are_animated(tour):
    gifs = sorted((tour.parent / "assets").glob("*.gif"))
    assert len(gifs) >= 15 + 17  # the conv_arithmetic gallery and every registered type
    for gif in gifs:
        with Image.open(gif) as image:
            assert image.n_frames > 1, gif.name


def test_chromium_loads_every_image(tour, chromium):
    result = browse(chromium, "--virtual-time-budget=15000", "--dump-dom", tour.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", result.stdout)
    assert body, result.stdout[:500]
    attributes = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', body.group(1)))
    images = len(re.findall(r"<img ", tour.read_text(encoding="utf-8")))
    assert attributes["data-images"] == str(images)
    assert attributes["data-broken"] == "0", attributes["data-broken-src"]
    assert attributes["data-sections"] == str(len(SEED_SECTIONS))


def test_chromium_screenshot_is_not_blank(tour, chromium, tmp_path):
    shot = tmp_path / "tour.png"
    result = browse(chromium, "--window-size=1280,2000", "--hide-scrollbars",
                    f"--screenshot={shot}", tour.as_uri())  # fmt: skip
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (2000, 1280)
    assert pixels.var() > 100  # text, figures and tables, not an empty page
    assert (pixels < 100).mean() > 0.01  # dark pixels: the header and the text
    shutil.copy(shot, Path(tempfile.gettempdir()) / "convzoo-tour-screenshot.png")


def test_tour_json_report(built):
    index, result = built
    assert result["index"] == str(index)
    files = [p for p in index.parent.rglob("*") if p.is_file()]
    assert result["files"] == len(files)
    assert result["bytes"] == sum(p.stat().st_size for p in files)
    html = index.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<title>convzoo" in html
    assert len(files) == len(set(re.findall(r'src="([^"]+)"', html))) + 1  # + index.html


def test_benchmark_section_reads_a_bench_run(tmp_path):
    from convzoo.report.assets import Assets
    from convzoo.report.sections_more import benchmark

    results = tmp_path / "results"
    results.mkdir()
    (results / "results.csv").write_text("layer,fwd_ratio\nresnet3x3_64,0.91\n")
    (results / "results.md").write_text(
        "| layer | fwd ratio |\n|---|--:|\n| resnet3x3_64 | 0.91 |\n\n**Geometric means** 0.91x\n"
    )
    Image.new("RGB", (4, 4), "white").save(results / "roofline.png")
    assets = Assets(tmp_path / "tour")
    assets.benchmarks = results
    anchor, title, html = benchmark(assets)
    assert anchor == "benchmark"
    assert "<td>resnet3x3_64</td><td>0.91</td>" in html and "<b>Geometric means</b>" in html
    assert 'src="assets/roofline.png"' in html
    assert (tmp_path / "tour" / "assets" / "roofline.png").is_file()


def test_benchmark_section_without_results(tmp_path, monkeypatch):
    from convzoo.report.assets import Assets
    from convzoo.report.sections_more import benchmark, find_benchmarks

    monkeypatch.chdir(tmp_path)
    if find_benchmarks() is None:  # no results in the checkout either
        html = benchmark(Assets(tmp_path / "tour"))[2]
        assert "No benchmark results were found" in html and "convzoo bench" in html
    else:
        assert find_benchmarks().name == "results"


def test_benchmark_section_draws_the_roofline(tmp_path):
    from convzoo.report.assets import Assets
    from convzoo.report.sections_more import benchmark

    results = tmp_path / "results"
    results.mkdir()
    (results / "results.csv").write_text(
        "layer,fwd_intensity,fwd_gflops,fwd_torch_gflops,fwd_roof_gflops\n"
        "resnet3x3_64,20.0,30.0,28.0,50.0\n"
    )
    assets = Assets(tmp_path / "tour")
    assets.benchmarks = results
    html = benchmark(assets)[2]
    assert 'src="assets/roofline.png"' in html and "<td>resnet3x3_64</td>" in html
    with Image.open(tmp_path / "tour" / "assets" / "roofline.png") as image:
        assert np.asarray(image.convert("L")).std() > 0
