"""Helpers shared by the public convolution functions (bias and gradient checks)."""

from __future__ import annotations

import functools

import numpy as np


def passes_non_finite(function):
    """Run ``function`` with NumPy's 'invalid value' warning off.

    NaN and inf in the inputs propagate to exactly the outputs that use them, as in PyTorch;
    ``inf - inf`` inside a window is NaN by IEEE arithmetic, not an event to warn about.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with np.errstate(invalid="ignore"):
            return function(*args, **kwargs)

    return wrapper


def check_bias(func: str, bias, out_channels: int) -> None:
    """Raise unless ``bias`` is ``None`` or has shape ``(out_channels,)``."""
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(
            f"{func}: bias must have shape (out_channels,) = ({out_channels},); "
            f"got shape {bias.shape}"
        )


def check_grad_output(func: str, grad_output, expected) -> None:
    """Raise unless the output gradient has the convolution's output shape."""
    if grad_output.shape != tuple(expected):
        raise ValueError(
            f"{func}: grad_output must have the output shape {tuple(expected)} of this "
            f"convolution; got shape {grad_output.shape}"
        )


def add_bias(y: np.ndarray, bias) -> np.ndarray:
    """Add a per-channel bias to ``(N, C, *spatial)`` in place and return ``y``."""
    if bias is not None:
        y += bias.reshape(1, -1, *([1] * (y.ndim - 2)))
    return y


def bias_grad(grad_output: np.ndarray) -> np.ndarray:
    """Gradient of a per-channel bias: the output gradient summed over batch and space."""
    return grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
