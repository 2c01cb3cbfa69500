"""``convzoo animate``: draw a convolution type or a conv_arithmetic configuration."""

from __future__ import annotations

from pathlib import Path

from ._common import UserError, add_json, ints, progress_bar

EXAMPLES = """examples:
  convzoo animate padding_strides_odd --out strides.gif
  convzoo animate padding_strides_odd_transposed --out transposed.gif --fps 3
  convzoo animate depthwise_separable --out dws.gif --frames 30
  convzoo animate conv2d --input 1,2,6,6 --out frames.png     # one PNG per frame
  convzoo animate dilation --out dilation.mp4                 # needs ffmpeg

names: `convzoo types` (layer types) and the conv_arithmetic configurations:
  no_padding_no_strides, arbitrary_padding_no_strides, same_padding_no_strides,
  full_padding_no_strides, no_padding_strides, padding_strides, padding_strides_odd,
  each with a _transposed suffix, and dilation
"""


def run(args) -> dict:
    from ..viz import animate, available

    if args.type not in available():
        raise UserError(f"animate: unknown type {args.type!r}; choose one of {available()}")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UserError(f"animate: directory {str(out.parent)!r} does not exist")
    anim = animate(args.type, args.input, max_frames=args.frames, dpi=args.dpi)
    bar = progress_bar(len(anim), f"animate {args.type}")
    try:
        files = anim.save(out, fps=args.fps, progress=lambda i, n: bar.update(1))
    finally:
        bar.close()
    return {
        "type": args.type,
        "title": anim.scene.title,
        "frames": len(anim),
        "files": [str(f) for f in files],
    }


def show(result: dict) -> None:
    files = result["files"]
    where = files[0] if len(files) == 1 else f"{files[0]} … {files[-1]} ({len(files)} files)"
    print(f"{result['title']}: {result['frames']} frames -> {where}")


def register(sub) -> None:
    parser = sub.add_parser(
        "animate", help="animate a convolution type (.gif/.mp4/.html/.png/.svg)", epilog=EXAMPLES
    )
    parser.add_argument("type", help="a registered type or a conv_arithmetic configuration")
    parser.add_argument("--out", required=True, help="output file; the suffix picks the format")
    parser.add_argument("--input", type=ints, default=None, help="input shape N,C,*spatial")
    parser.add_argument("--frames", type=int, default=48, help="at most this many frames")
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--dpi", type=int, default=72)
    add_json(parser)
    parser.set_defaults(run=run, show=show)
