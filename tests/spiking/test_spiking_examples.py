"""The two spiking examples run in their quick setting, write their figures and print the numbers they show."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(name: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg", NEURODYN_EXAMPLE_QUICK="1")
    out = subprocess.run([sys.executable, str(ROOT / "examples" / name)], cwd=ROOT / "examples", env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_mpr_step_example():
    text = _run("spiking_mpr_step.py")
    png = ROOT / "out" / "spiking_mpr_step.png"
    assert png.exists() and png.stat().st_size > 30_000
    # the network follows the FRE: worst relative rate error in the steady windows, N = 2000 (finite size ~ 9 %)
    worst = float(re.search(r"worst relative error of the rate in the steady windows: ([0-9.]+)", text).group(1))
    assert worst < 0.12
    assert "N^-1/2 = 0.0224" in text and "high after" in text


def test_ping_example():
    text = _run("spiking_ping.py")
    png = ROOT / "out" / "spiking_ping.png"
    assert png.exists() and png.stat().st_size > 30_000
    net, mf = (float(x) for x in re.search(r"gamma frequency: network ([0-9.]+) Hz, mean field ([0-9.]+) Hz",
                                           text).groups())
    assert 30 < mf < 80 and abs(net - mf) < 0.03 * mf       # gamma band; the network at the mean field's frequency
    for var in ("r_e", "r_i"):
        err = float(re.search(rf"mean {var} .*relative error ([0-9.]+)", text).group(1))
        assert err < 0.03
