"""convzoo.viz: frame data equals the engine's output; animations render and save."""

import shutil

import numpy as np
import pytest
from PIL import Image

import convzoo
from convzoo.viz import CONFIGURATIONS, animate, arithmetic_scene, conv_scene, transposed_scene
from convzoo.viz.frames import INSERTED, PAD, REAL


def check_frames(scene, engine_output):
    """Every frame's value is the engine's value at its index, and the sum of its products."""
    assert scene.frames, "a scene without frames"
    np.testing.assert_array_equal(scene.output, engine_output)
    seen = set()
    for frame in scene.frames:
        assert frame.value == engine_output[frame.index]
        total = sum(a * b for a, b in frame.terms) + frame.bias
        assert total == pytest.approx(frame.value, abs=1e-9)
        key, r, c = frame.target
        assert scene.grids[key].values[r, c] == frame.value
        seen.add(frame.index)
    return seen


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_arithmetic_configuration_matches_engine(name):
    config = CONFIGURATIONS[name]
    scene = arithmetic_scene(name)
    x = scene.grids[("in", 0)]
    assert scene.output.shape == (1, 1, config.o, config.o)
    if config.transposed:
        # the input of the transposed convolution, read back from the zero-inserted view
        real = x.values[x.kind == REAL].reshape(config.i, config.i)
        w = scene.extra["weight"][..., ::-1, ::-1]
        expected = convzoo.conv_transpose(
            real[None, None], w, stride=config.s, padding=config.p,
            output_padding=config.output_padding, algorithm="reference",
        )  # fmt: skip
    else:
        p = config.p
        real = x.values[p : p + config.i, p : p + config.i]
        assert (x.kind == PAD).sum() == x.kind.size - config.i**2
        expected = convzoo.conv(
            real[None, None], scene.extra["weight"], stride=config.s, padding=p,
            dilation=config.d, algorithm="reference",
        )  # fmt: skip
    seen = check_frames(scene, expected)
    assert len(seen) == config.o**2  # every output cell is computed once
    assert "input" in scene.column_titles[0] and "output" in scene.column_titles[1]
    assert f"input {config.i}×{config.i}" in scene.title
    assert f"output {config.o}×{config.o}" in scene.title


def test_conv_arithmetic_output_sizes():
    sizes = {name: (c.i, c.o) for name, c in CONFIGURATIONS.items()}
    assert sizes["no_padding_no_strides"] == (4, 2)
    assert sizes["arbitrary_padding_no_strides"] == (5, 6)
    assert sizes["same_padding_no_strides"] == (5, 5)
    assert sizes["full_padding_no_strides"] == (5, 7)
    assert sizes["no_padding_strides"] == (5, 2)
    assert sizes["padding_strides"] == (5, 3)
    assert sizes["padding_strides_odd"] == (6, 3)
    assert sizes["padding_strides_odd_transposed"] == (3, 6)
    assert sizes["dilation"] == (7, 3)
    assert len(CONFIGURATIONS) == 15


def test_transposed_overlap_counts_are_the_checkerboard():
    scene = arithmetic_scene("no_padding_strides_transposed")  # 2x2 -> 5x5, k=3, s=2
    counts = scene.extra["overlaps"].astype(int)
    assert counts.tolist()[2] == [2, 2, 4, 2, 2]
    assert counts.tolist()[0] == [1, 1, 2, 1, 1]
    kind = scene.grids[("in", 0)].kind
    assert (kind == INSERTED).sum() == 5  # 3x3 zero-inserted view has 5 inserted zeros


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(padding=1, padding_mode="constant", padding_value=1.0),
        dict(padding=2, padding_mode="reflect"),
        dict(padding="same", stride=2, dilation=2),
        dict(padding=((0, 1), (2, 0))),
    ],
    ids=["constant-1", "reflect", "same-s2-d2", "asymmetric"],
)
def test_conv_scene_padding_forms(kwargs):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    scene = conv_scene(x, w, b, **kwargs)
    check_frames(scene, convzoo.conv(x, w, b, algorithm="reference", **kwargs))
    grid = scene.grids[("in", 0)]
    if kwargs.get("padding_mode") == "constant":
        assert np.all(grid.values[grid.kind == PAD] == 1.0)
        assert "padding value 1" in scene.subtitle


@pytest.mark.parametrize(
    "x_shape, w_shape, groups",
    [
        ((1, 2, 9), (4, 2, 3), 1),
        ((1, 4, 5, 5), (4, 2, 3, 3), 2),
        ((1, 2, 4, 4, 4), (1, 2, 2, 2, 2), 1),
    ],
    ids=["1d", "grouped", "3d"],
)
def test_conv_scene_nd_and_groups(x_shape, w_shape, groups):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    scene = conv_scene(x, w, groups=groups)
    check_frames(scene, convzoo.conv(x, w, groups=groups, algorithm="reference"))
    if groups > 1:
        assert {g.group for g in scene.grids.values()} == {0, 1}
    if len(x_shape) == 5:
        assert ("in", 1, 3) in scene.grids  # channel 1, depth slice 3


def test_transposed_scene_groups_and_dilation():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 2, 3, 3))
    kw = dict(stride=2, padding=1, dilation=2, groups=2, output_padding=1)
    scene = transposed_scene(x, w, **kw)
    check_frames(scene, convzoo.conv_transpose(x, w, algorithm="reference", **kw))


def test_animate_saves_gif_png_svg(tmp_path):
    anim = animate("padding_strides", max_frames=3)
    assert len(anim) == 3 and anim.frame_indices[-1] == 8  # the finished output is last
    [gif] = anim.save(tmp_path / "a.gif")
    with Image.open(gif) as image:
        assert image.n_frames == 3
        assert np.asarray(image.convert("L")).std() > 0
    pngs = anim.save(tmp_path / "f.png")
    assert [p.name for p in pngs] == ["f_000.png", "f_001.png", "f_002.png"]
    svgs = anim.save(tmp_path / "f.svg")
    assert svgs[0].read_text().lstrip().startswith("<?xml")


def test_animate_mp4_needs_ffmpeg(tmp_path):
    anim = animate("no_padding_no_strides", max_frames=2)
    if shutil.which("ffmpeg"):
        anim.save(tmp_path / "a.mp4")
        assert (tmp_path / "a.mp4").stat().st_size > 0
    else:
        with pytest.raises(ValueError, match=r"animate: saving a.mp4 needs ffmpeg on PATH"):
            anim.save(tmp_path / "a.mp4")


def test_animate_jupyter_html():
    html = animate("no_padding_no_strides", max_frames=2)._repr_html_()
    assert "<script" in html and "anim" in html


def test_animate_bad_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"animate: cannot save to 'a.txt': the suffix must be"):
        animate("dilation", max_frames=1).save(tmp_path / "a.txt")


def test_animate_unknown_name():
    with pytest.raises(ValueError, match=r"animate: unknown type 'nope'; choose one of \["):
        animate("nope")


def test_animate_configuration_has_fixed_sizes():
    with pytest.raises(ValueError, match=r"animate: 'dilation' is a conv_arithmetic configuration"):
        animate("dilation", (1, 1, 5, 5))


def test_animate_max_frames():
    with pytest.raises(ValueError, match=r"animate: max_frames must be >= 1; got 0"):
        animate("dilation", max_frames=0)


def test_arithmetic_unknown_name():
    with pytest.raises(ValueError, match=r"arithmetic_scene: name='x' is not a configuration"):
        arithmetic_scene("x")


# --- every registered type -------------------------------------------------------------

from convzoo.nn import registry  # noqa: E402
from convzoo.viz.layers import layer_scene  # noqa: E402
from convzoo.viz.pipeline import chain_scenes, shuffle_scene, widths_scene  # noqa: E402


def check_layer_scene(scene):
    """Frame values equal the engine's output of their step; the picture ends at forward(x)."""
    layer_output = scene.extra["layer_output"]
    if "means" in scene.extra:  # channel widths: one frame per stage, values = channel means
        for frame in scene.frames:
            stage, channel = frame.index
            assert frame.value == scene.extra["means"][stage][channel]
        final = layer_output[0].reshape(layer_output.shape[1], -1).mean(axis=1)
        np.testing.assert_allclose(scene.extra["means"][-1], final)
        return
    outputs = scene.extra.get("outputs")
    for frame in scene.frames:
        if outputs is None:
            assert frame.value == scene.output[frame.index]
        else:
            step, *index = frame.index
            assert frame.value == outputs[step][tuple(index)]
        if frame.terms:  # products of the window (a shuffle copies: one term, weight 1)
            assert sum(a * b for a, b in frame.terms) + frame.bias == pytest.approx(frame.value)
    np.testing.assert_allclose(scene.output, layer_output, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(registry()))
def test_every_type_frames_match_the_engine_and_animate(name, tmp_path):
    layer, shape = registry()[name].example()
    scene = layer_scene(layer, shape)
    check_layer_scene(scene)
    anim = animate(name, max_frames=3)
    assert len(anim) == min(3, len(anim.scene.frames))
    images = [np.asarray(anim.frame_image(i)) for i in range(len(anim))]
    assert all(im.std() > 0 for im in images)
    assert not np.array_equal(images[0], images[-1])  # something moves


def test_chained_types_show_every_step():
    scene = layer_scene(*registry()["flattened"].example())
    assert len(scene.extra["outputs"]) == 3
    assert {key[0] for key in scene.grids} == {"s0", "s1", "s2", "s3"}
    steps = [frame.index[0] for frame in scene.frames]
    assert steps == sorted(steps) and set(steps) == {0, 1, 2}


def test_shuffle_scene_is_the_permutation():
    x = np.arange(12.0).reshape(1, 6, 1, 2)
    scene = shuffle_scene(x, 2)
    assert scene.extra["source"].tolist() == [0, 3, 1, 4, 2, 5]
    np.testing.assert_array_equal(scene.output, convzoo.channel_shuffle(x, 2))
    assert [scene.grids[("out", j)].group for j in range(6)] == [0, 1, 0, 1, 0, 1]
    assert (("in", 3), ("out", 1)) in scene.extra["links"] and len(scene.extra["links"]) == 6


def test_shuffled_grouped_links_its_shuffle_step():
    scene = layer_scene(*registry()["shuffled_grouped"].example())
    links = scene.extra["links"]
    assert len(links) == 6 and all(a[0] == "s1" and b[0] == "s2" for a, b in links)
    anim = animate(scene, max_frames=2)
    ends, current = anim.links
    anim._draw_frame(1)  # the last frame: a shuffle step, its link drawn dark
    assert len(current.get_segments()) == 1


def test_widths_scene_of_the_bottleneck():
    scene = layer_scene(*registry()["bottleneck"].example())
    widths = [scene.grids[(f"s{i}",)].values.shape[0] for i in range(len(scene.column_titles))]
    assert widths[0] == 4 and widths[-1] == 8 and 2 in widths
    assert "channel widths 4 → 2 → 2 → 8" in scene.subtitle


def test_widths_scene_frames():
    scene = widths_scene([("in", np.ones((1, 3, 2))), ("out", np.full((1, 5, 2), 2.0))], title="t")
    [frame] = scene.frames
    assert frame.value == 2.0 and len(frame.fills) == 4 and len(frame.window) == 3


def test_chain_scenes_needs_matching_steps():
    first = conv_scene(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)))
    second = conv_scene(np.zeros((1, 1, 3, 3)), np.ones((1, 1, 1, 1)))
    with pytest.raises(ValueError, match=r"chain_scenes: the next step does not read output"):
        chain_scenes([first, second], title="x")


def test_chain_scenes_shapes_must_fit():
    first = conv_scene(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)))
    second = conv_scene(np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 1)))
    with pytest.raises(ValueError, match=r"chain_scenes: step output grid \('out', 0\) \(3, 3\)"):
        chain_scenes([first, second], title="x")


def test_animate_a_layer_instance_with_its_own_shape():
    from convzoo.nn import Conv

    layer = Conv(2, 1, 3, padding=1, rng=0)
    anim = animate(layer, (1, 2, 3, 3), max_frames=2)
    assert anim.scene.output.shape == (1, 1, 3, 3)


def test_animate_rejects_other_objects():
    with pytest.raises(TypeError, match=r"animate: expected a name, a Scene or a convzoo.nn"):
        animate(3.0)


def test_static_figures():
    from convzoo.models import mobilenet_v1
    from convzoo.viz.figures import comparison_bars, layer_bars

    bars = comparison_bars(convzoo.compare((1, 8, 6, 6), 8, 3, groups=2))
    labels = [t.get_text() for t in bars.axes[0].texts]
    assert any("(50.0%)" in label for label in labels)  # grouped, g=2: exactly half
    layers = layer_bars(convzoo.summary(mobilenet_v1(width=0.25, resolution=128)))
    assert len(layers.axes[0].patches) == 28  # 27 convolutions + the classifier


def test_roofline_from_a_bench_csv(tmp_path):
    from convzoo.viz.figures import roofline

    columns = "layer,fwd_intensity,fwd_gflops,fwd_torch_gflops,fwd_roof_gflops,bwd_intensity,"
    columns += "bwd_gflops,bwd_torch_gflops,bwd_roof_gflops\n"
    rows = "a,2.0,10.0,12.0,50.0,4.0,20.0,25.0,60.0\nb,100.0,40.0,30.0,60.0,,,,\n"
    (tmp_path / "results.csv").write_text(columns + rows)
    fig = roofline(tmp_path / "results.csv")
    ax = fig.axes[0]
    assert ax.get_title() == "Roofline: 60.0 GFLOP/s, 25.0 GB/s"  # peak, 50 / 2.0
    assert [t.get_text() for t in ax.texts] == ["a", "b"]


def test_roofline_needs_bench_columns(tmp_path):
    from convzoo.viz.figures import roofline

    (tmp_path / "x.csv").write_text("name,value\na,1\n")
    with pytest.raises(ValueError, match=r"roofline: .*x.csv needs the columns \['fwd_gflops'"):
        roofline(tmp_path / "x.csv")
