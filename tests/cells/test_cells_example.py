"""The example script runs (teaching chain through the facade) and writes its figure."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_three_cell_chain_example_writes_figure(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "cells_three_cell_chain.py")], cwd=tmp_path,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    png = tmp_path / "out" / "cells_chain.png"
    assert png.exists() and png.stat().st_size > 10_000
    # the three somas fire (the chain propagates at NEURON's default dt)
    peaks = [float(x) for x in out.stdout.split("soma peaks (mV):")[1].strip(" []\n").split(",")]
    assert len(peaks) == 3 and all(p > 20 for p in peaks)
