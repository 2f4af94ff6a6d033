"""The benchmarks still run (they are not timed here): each one once, on the smallest sizes.

Figures are never asserted — ``python -m benchmarks.run`` prints them beside their same-run
baselines. This only keeps the benchmark code working as the app changes under it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_every_benchmark_runs_once_on_small_sizes(tmp_path):
    # with the test server (./test.sh) the PostgreSQL figures run too
    code = ("import os, benchmarks.run as b; rows = []; notes = []; server = os.environ.get('BAOCAOXA_TEST_PG')\n"
            "for bench in (b.bench_validation, b.bench_docx, b.bench_bundles): bench(rows)\n"
            "b.bench_autosave(rows, server)\n"
            "b.bench_consolidation(rows, notes, server)\n"
            "assert not server or any('PostgreSQL' in r[0] for r in rows), rows\n"
            "assert rows and all(r[1] == r[1] and r[3] == r[3] for r in rows), rows\n"
            "print(len(rows), 'rows')")
    env = {**os.environ, "BENCH_RUNS": "1", "BENCH_UNITS": "2,3", "BENCH_SERVER_UNITS": "3",
           "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rows" in proc.stdout
