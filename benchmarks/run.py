"""Run the convzoo benchmark suite; write benchmarks/results/results.{md,csv} and roofline.png.

python benchmarks/run.py                 # full suite (takes several minutes)
python benchmarks/run.py --quick         # smoke test
python benchmarks/run.py --layers resnet3x3_64 conv1d_k9
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
if "--threads" in sys.argv[:-1]:  # BLAS reads its thread count once, when NumPy loads
    count = sys.argv[sys.argv.index("--threads") + 1]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", count)
    os.environ.setdefault("OMP_NUM_THREADS", count)

# OpenBLAS's idle workers sleep at once (read when NumPy loads; convzoo.bench.process says why)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

from convzoo.bench import add_arguments, run_cli  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.set_defaults(out=str(HERE / "results"))
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
