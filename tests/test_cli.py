"""The ``convzoo`` command line: every subcommand's happy path, --json, one-line user errors."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from convzoo.cli import main

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_types(capsys):
    code, out, _ = run(capsys, "types")
    assert code == 0
    assert "depthwise_separable  DepthwiseSeparable" in out
    rows = run_json(capsys, "types")
    names = [row["name"] for row in rows]
    assert names[:4] == ["conv2d_single", "conv2d", "conv1d", "conv3d"] and len(names) == 17
    assert all(row["summary"] and row["paper"] for row in rows)


def test_shape_table_and_json(capsys):
    argv = ["shape", "--input", "1,3,224,224", "--kernel", "64,3,7,7", "--stride", "2"]
    code, out, _ = run(capsys, *argv, "--padding", "3")
    assert code == 0
    assert "output (1, 64, 112, 112)" in out
    assert "(224 + 3 + 3 - 1*(7-1) - 1)//2 + 1 = 112" in out
    result = run_json(capsys, "shape", "--input", "1,3,7,7", "--kernel", "128,3,3,3")
    assert result["output_shape"] == [1, 128, 5, 5]
    assert [d["out"] for d in result["dims"]] == [5, 5]


def test_shape_transposed(capsys):
    argv = ["shape", "--input", "1,16,3,3", "--kernel", "16,8,3,3", "--stride", "2"]
    result = run_json(capsys, *argv, "--padding", "1", "--transposed", "--output-padding", "1")
    assert result["output_shape"] == [1, 8, 6, 6]


def test_cost_of_a_convolution_type_and_model(capsys):
    result = run_json(capsys, "cost", "--input", "1,3,7,7", "--kernel", "128,3,3,3")
    assert result["mults"] == 86_400 and result["output_shape"] == [1, 128, 5, 5]
    code, out, _ = run(capsys, "cost", "depthwise_separable")
    assert code == 0 and "multiplications" in out and "FLOPs per byte" in out
    result = run_json(capsys, "cost", "mobilenet_v1")
    assert result["macs"] == 568_740_352 and result["input_shape"] == [1, 3, 224, 224]


def test_compare(capsys):
    result = run_json(capsys, "compare", "--input", "1,3,7,7", "--out", "128", "--kernel", "3")
    mults = {v["name"]: v["mults"] for v in result["variants"]}
    assert mults["standard"] == 86_400 and mults["depthwise separable"] == 10_275


def test_summary(capsys):
    result = run_json(capsys, "summary", "shufflenet_v1", "--option", "groups=8")
    assert result["layers"] and result["total"]["macs"] > 0
    code, out, _ = run(capsys, "summary", "mobilenet_v1", "--option", "width=0.25")
    assert code == 0 and "**total**" in out


def test_animate_gif_png_and_json(capsys, tmp_path):
    gif = tmp_path / "t.gif"
    code, out, _ = run(capsys, "animate", "padding_strides_odd_transposed", "--out", str(gif),
                       "--frames", "3")  # fmt: skip
    assert code == 0 and "3 frames" in out and str(gif) in out
    with Image.open(gif) as image:
        assert image.n_frames == 3
    result = run_json(capsys, "animate", "conv2d", "--input", "1,3,4,4", "--out",
                      str(tmp_path / "c.gif"), "--frames", "2")  # fmt: skip
    assert result["frames"] == 2
    result = run_json(capsys, "animate", "depthwise_separable", "--out",
                      str(tmp_path / "f.png"), "--frames", "2")  # fmt: skip
    assert result["frames"] == 2 and all(Path(f).exists() for f in result["files"])


def test_conv(capsys):
    result = run_json(capsys, "conv", "--input", "1,4,8,8", "--kernel", "4,1,3,3",
                      "--groups", "4", "--padding", "same", "--repeat", "1")  # fmt: skip
    assert result["output_shape"] == [1, 4, 8, 8] and result["spec"]["groups"] == 4


def test_bench(capsys):
    if importlib.util.find_spec("convzoo.bench") is None:
        code, _, err = run(capsys, "bench")
        assert code == 2
        assert err == "convzoo: error: bench: this convzoo build has no convzoo.bench " \
                      "(convzoo.bench missing)\n"  # fmt: skip
    else:
        with pytest.raises(SystemExit) as exit_info:
            main(["bench", "--help"])
        assert exit_info.value.code == 0
        assert "bench" in capsys.readouterr().out


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "convzoo tour" in out
    for command in ("types", "shape", "cost", "animate", "tour", "conv"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "examples:\n  convzoo " + command in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "convzoo: error: convzoo: the following arguments are required: command"),
        (["nope"], "convzoo: error: convzoo: argument command: invalid choice: 'nope'"),
        (["shape", "--input", "1,3,x", "--kernel", "4,3,3,3"],
         "convzoo: error: convzoo shape: argument --input: expected comma-separated ints"),
        (["shape", "--input", "1,3,5,5", "--kernel", "4,2,3,3"],
         "convzoo: error: shape: input has 3 channels but weight"),
        (["shape", "--input", "1,3,2,2", "--kernel", "4,3,3,3"], "convzoo: error: shape:"),
        (["cost", "nope"], "convzoo: error: cost: unknown type or model 'nope'; types: ["),
        (["cost"], "convzoo: error: cost: name a type or a model, or give --input and --kernel"),
        (["animate", "nope", "--out", "x.gif"], "convzoo: error: animate: unknown type 'nope'"),
        (["animate", "dilation", "--out", "x.txt"],
         "convzoo: error: animate: cannot save to 'x.txt': the suffix must be"),
        (["animate", "dilation", "--out", "/no/such/dir/x.gif"],
         "convzoo: error: animate: directory '/no/such/dir' does not exist"),
        (["animate", "conv2d", "--input", "1,5,6,6", "--out", "x.gif"],
         "convzoo: error: Conv: input has 5 channels but weight"),
        (["summary", "shufflenet_v1", "--option", "groups=5"],
         "convzoo: error: shufflenet_v1: groups=5 is not one of [1, 2, 3, 4, 8]"),
        (["compare", "--input", "1,3,7,7", "--out", "128", "--kernel", "3", "--groups", "2"],
         "convzoo: error: compare: groups=2 must divide in_channels=3"),
        (["conv", "--input", "1,3,5,5", "--kernel", "4,3,3,3", "--repeat", "0"],
         "convzoo: error: conv: --repeat must be >= 1; got 0"),
        (["conv", "--input", "1,3,5,5", "--kernel", "4,3,3,3", "--padding", "bogus"],
         "convzoo: error: convzoo conv: argument --padding: expected comma-separated ints"),
    ],
    ids=["no-command", "bad-command", "bad-ints", "channels", "too-small", "cost-name",
         "cost-nothing", "animate-name", "animate-suffix", "animate-dir", "animate-shape",
         "model-option",
         "compare-groups", "conv-repeat", "bad-padding"],
)  # fmt: skip
def test_user_errors_are_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own errors
        code = exit_info.code
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith(message), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unwritable_output_is_a_user_error(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = run(capsys, "tour", "--out", str(blocker / "tour"))
    assert code == 2
    assert err.startswith("convzoo: error: tour: [Errno 20] Not a directory:")
    assert err.count("\n") == 1


def test_entry_point_prints_no_traceback():
    env = {**os.environ, "PYTHONPATH": SRC}
    result = subprocess.run(
        [sys.executable, "-m", "convzoo.cli", "shape", "--input", "1,3,2,2", "--kernel",
         "4,3,3,3"], capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("convzoo: error: shape:") and result.stderr.count("\n") == 1
