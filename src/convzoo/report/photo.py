"""Convolution types applied to a real photograph (the tour's image section).

The photograph is Grace Hopper's public-domain U.S. Navy portrait, shipped in
``convzoo/data`` (see its README). Every result is computed with :func:`convzoo.conv` /
:func:`convzoo.conv_transpose`; this module only prepares inputs and pixels.

References
----------
I. Sobel and G. Feldman, "A 3x3 isotropic gradient operator for image processing" (1968).
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .. import conv, conv_transpose

__all__ = ["load_photo", "to_pixels", "sobel_demo", "type_demos", "SOBEL_X"]

#: The horizontal Sobel kernel (cross-correlation orientation: responds to dark -> bright).
SOBEL_X = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])


def load_photo() -> np.ndarray:
    """The photograph as float64 RGB in [0, 1], shape (3, 200, 160)."""
    from PIL import Image

    with resources.files("convzoo.data").joinpath("grace_hopper.png").open("rb") as f:
        image = np.asarray(Image.open(f).convert("RGB"), dtype=float) / 255.0
    return np.moveaxis(image, -1, 0)  # (H, W, 3) -> (3, H, W)


def to_pixels(array, signed=False) -> np.ndarray:
    """(H, W) or (3, H, W) floats -> uint8 pixels; ``signed`` maps 0 to mid-grey."""
    a = np.asarray(array, dtype=float)
    if signed:
        scale = max(float(np.abs(a).max()), 1e-12)
        a = 0.5 + 0.5 * a / scale
    else:
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    a = np.clip(np.round(a * 255), 0, 255).astype(np.uint8)
    return np.moveaxis(a, 0, -1) if a.ndim == 3 else a


def sobel_demo(gray, column, row) -> dict:
    """Sobel x by one 3x3 convolution and by two passes (column ``(3, 1)``, row ``(1, 3)``).

    Parameters
    ----------
    gray : ndarray, shape (H, W)
    column, row : ndarray, shapes (3,) and (3,)
        The factors, ``outer(column, row) == SOBEL_X`` (from :func:`convzoo.separate`).

    Returns
    -------
    dict
        ``full``, ``separable`` (H-2, W-2), ``max_difference``, and the multiplication
        counts of both ways (9 vs 3 + 3 per output pixel, plus the column pass's extra
        rows).
    """
    x = gray[None, None]
    full = conv(x, SOBEL_X[None, None])[0, 0]
    first = conv(x, np.asarray(column, float).reshape(1, 1, 3, 1))  # (1, 1, H-2, W)
    separable = conv(first, np.asarray(row, float).reshape(1, 1, 1, 3))[0, 0]
    mults_full = full.size * 9
    mults_separable = first.size * 3 + separable.size * 3
    return {
        "full": full,
        "separable": separable,
        "max_difference": float(np.abs(full - separable).max()),
        "mults_full": mults_full,
        "mults_separable": mults_separable,
        "first_pass": first[0, 0],
    }


def type_demos(rgb) -> dict:
    """Other types on the photo: 1x1 (luminance), depthwise blur, edge magnitude, transposed.

    Returns a dict name -> (image array, signed flag, caption).
    """
    x = rgb[None]  # (1, 3, H, W)
    luminance = np.array([0.299, 0.587, 0.114]).reshape(1, 3, 1, 1)  # one 1x1 filter
    gray = conv(x, luminance)  # (1, 1, H, W)
    blur = np.full((3, 1, 5, 5), 1 / 25)  # one 5x5 kernel per channel: depthwise
    blurred = conv(x, blur, groups=3, padding="same", padding_mode="replicate")
    gx = conv(gray, SOBEL_X[None, None], padding=1, padding_mode="replicate")
    gy = conv(gray, SOBEL_X.T[None, None], padding=1, padding_mode="replicate")
    magnitude = np.hypot(gx, gy)[0, 0]
    small = gray[..., ::2, ::2]  # (1, 1, H/2, W/2)
    bilinear = np.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25])[None, None]
    upsampled = conv_transpose(small, bilinear, stride=2, padding=1)
    checker = conv_transpose(np.ones_like(small), np.ones((1, 1, 3, 3)), stride=2, padding=1)
    return {
        "pointwise": (gray[0, 0], False, "1×1 convolution, 3 → 1 channel: luminance "
                      "0.299 R + 0.587 G + 0.114 B"),
        "depthwise": (blurred[0], False, "depthwise 5×5 box blur, one kernel per colour "
                      "channel (groups = 3), replicate padding"),
        "magnitude": (magnitude, False, "edge magnitude √(Gx² + Gy²) of two Sobel "
                      "convolutions"),
        "downsampled": (small[0, 0], False, f"every second pixel: {small.shape[-2]}×"
                        f"{small.shape[-1]}"),
        "upsampled": (upsampled[0, 0], False, "transposed convolution, stride 2, bilinear "
                      f"4×4 kernel: back to {upsampled.shape[-2]}×{upsampled.shape[-1]}"),
        "checkerboard": (checker[0, 0], False, "transposed convolution, stride 2, 3×3 "
                         "kernel of ones on a constant image: the checkerboard"),
    }  # fmt: skip
