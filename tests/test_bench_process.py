"""The benchmark process's settings: OpenBLAS's idle workers sleep, freed memory stays mapped,
and ``convzoo bench`` restarts itself to get the BLAS setting before NumPy loads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from convzoo.bench import process

ROOT = Path(__file__).resolve().parents[1]
LINUX_PROC = Path("/proc/self/task").is_dir()


def _env_without_timeout():
    env = dict(os.environ)
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    return env


def _python(code: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    return done.stdout


def test_environment_adds_the_blas_setting_and_keeps_the_users():
    assert process.environment({})["OPENBLAS_THREAD_TIMEOUT"] == process.BLAS_THREAD_TIMEOUT
    assert process.environment({"OPENBLAS_THREAD_TIMEOUT": "12"})["OPENBLAS_THREAD_TIMEOUT"] == "12"


def test_restart_argv_only_when_the_setting_is_missing(monkeypatch):
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    command = process.restart_argv(["bench", "--quick"])
    assert command == [sys.executable, "-m", "convzoo.cli", "bench", "--quick"]
    assert process.restart_argv(["bench", "--help"]) is None
    assert process.restart_argv(["bench", "--list"]) is None
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "4")
    assert process.restart_argv(["bench", "--quick"]) is None


def test_benchmark_script_sets_the_same_value():
    script = (ROOT / "benchmarks" / "run.py").read_text()
    found = re.search(r'setdefault\("OPENBLAS_THREAD_TIMEOUT", "(\d+)"\)', script)
    assert found and found.group(1) == process.BLAS_THREAD_TIMEOUT


_WORKER_CPU = """
import os, time
import numpy as np
a = np.ones((1500, 1500), np.float32)
def ticks():
    out = {}
    for t in os.listdir('/proc/self/task'):
        stat = open(f'/proc/self/task/{t}/stat').read()
        fields = stat[stat.rindex(')') + 2:].split()
        out[t] = int(fields[11]) + int(fields[12])
    return out
for _ in range(3):
    a @ a
before = ticks()
time.sleep(0.4)  # OpenBLAS's default polling would keep a worker busy for ~0.1 s of this
after = ticks()
main = str(os.getpid())
print(sum(after[t] - before.get(t, 0) for t in after if t != main))
"""


@pytest.mark.skipif(not LINUX_PROC or (os.cpu_count() or 1) < 2, reason="needs /proc, 2 cores")
def test_blas_workers_sleep_right_after_a_product_with_the_setting():
    env = _env_without_timeout()
    env["OPENBLAS_THREAD_TIMEOUT"] = process.BLAS_THREAD_TIMEOUT
    env.pop("OPENBLAS_NUM_THREADS", None)
    busy = int(_python(_WORKER_CPU, env))  # clock ticks (1/100 s) of every other thread
    assert busy <= 2, f"BLAS workers used {busy} ticks while the process slept"


_FAULTS = """
import resource, sys
import numpy as np
from convzoo.bench import process
if sys.argv[1] == "keep":
    assert process.keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
counts = []
for _ in range(6):
    start = faults()
    a = np.ones(48 * 2**20 // 4, np.float32)  # 48 MiB: above glibc's largest mmap threshold
    del a
    counts.append(faults() - start)
print(min(counts[2:]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_keep_freed_memory_stops_page_faults_on_reallocation():
    env = _env_without_timeout()
    kept = int(_python(_FAULTS.replace("sys.argv[1]", "'keep'"), env))
    default = int(_python(_FAULTS.replace("sys.argv[1]", "'default'"), env))
    assert kept <= 4 < default, (kept, default)
    assert "freed memory kept mapped" in _python(
        "from convzoo.bench import process; process.keep_freed_memory(); print(process.describe())",
        env,
    )


def test_convzoo_bench_restarts_with_the_setting_and_reports_it(tmp_path):
    env = _env_without_timeout()
    command = [sys.executable, "-m", "convzoo.cli", "bench", "--quick", "--repeats", "1",
               "--no-memory", "--layers", "quick_3x3", "--out", str(tmp_path)]  # fmt: skip
    subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=True)
    text = (tmp_path / "results.md").read_text()
    assert f"OPENBLAS_THREAD_TIMEOUT={process.BLAS_THREAD_TIMEOUT}" in text
    assert "freed memory kept mapped" in text
