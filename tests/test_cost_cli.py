"""convzoo summary / compare on the command line."""

import json

from convzoo.cli import main


def test_summary_prints_the_table(capsys):
    assert main(["summary", "mobilenet_v1", "--option", "width=0.25"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MobileNet v1 0.25-224  input (1, 3, 224, 224)")
    assert "| block13.pointwise | Pointwise |" in out and "**total**" in out


def test_summary_json_with_options(capsys):
    argv = ["summary", "resnet", "--option", "depth=18", "--option", "variant=v1", "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "ResNet-18 v1" and result["total"]["params"] == 11_689_512
    assert result["layers"][0] == {"name": "conv1", "type": "Conv",
                                   "output_shape": [1, 64, 112, 112], "params": 9408,
                                   "macs": 118_013_952}  # fmt: skip


def test_summary_unknown_option(capsys):
    assert main(["summary", "resnet", "--option", "foo=1"]) == 2
    assert "summary: resnet has no option ['foo']; valid options: ['depth'" in (
        capsys.readouterr().err
    )


def test_compare_prints_the_seed_numbers(capsys):
    assert main(["compare", "--input", "1,3,7,7", "--out", "128", "--kernel", "3"]) == 0
    out = capsys.readouterr().out
    assert "| standard | 3x3 conv 3->128 | 86,400 |" in out
    assert "| depthwise separable | 3x3 depthwise, 1x1 3->128 | 10,275 |" in out
