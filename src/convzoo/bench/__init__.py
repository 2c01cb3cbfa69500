"""Benchmark suite: convzoo against PyTorch CPU and a textbook NumPy convolution.

``convzoo bench`` (or ``python benchmarks/run.py``) times every layer of :data:`.suite.SUITE`
forward and backward, interleaved with PyTorch at the same thread count, reports medians,
ratios, attained GFLOP/s and GB/s against this machine's measured roofline, and the peak
memory of each call; it writes ``results.md``, ``results.csv`` and ``roofline.png``.
Benchmarks are not tests: nothing here asserts a speed.
"""

from .cli import add_arguments, run_cli

__all__ = ["add_arguments", "run_cli"]
