"""Regenerate tests/cells/data/neuron_reference.npz by running NEURON (needs ``neuron`` installed).

Usage: ``PYTHONPATH=src python tests/cells/make_reference.py``. Each configuration runs in its own
subprocess so that NEURON's global state starts clean. Traces are stored as float64, compressed; the
dt = 0.005 run is stored every 5th sample (the test compares at those samples).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "data" / "neuron_reference.npz"
#: name -> (builder, tstop, dt, secondorder, stride of stored samples)
CONFIGS = {
    "chain_be": ("build_chain", 40.0, 0.025, 0, 4),
    "chain_cn": ("build_chain", 40.0, 0.025, 2, 4),
    "chain_dt005": ("build_chain", 40.0, 0.005, 0, 20),
    "branched_be": ("build_branched", 60.0, 0.025, 0, 4),
    "branched_cn": ("build_branched", 60.0, 0.025, 2, 4),
}
#: runs away from hh's 6.3 degC, where its Q10 factor 3^((celsius - 6.3)/10) is 1 (compared live with NEURON
#: only): name -> (builder, tstop, dt, secondorder, celsius)
TEMPERATURE_CONFIGS = {
    "chain_be_16C": ("build_chain", 40.0, 0.025, 0, 16.0),
    "branched_be_16C": ("build_branched", 60.0, 0.025, 0, 16.0),
    "branched_cn_37C": ("build_branched", 60.0, 0.025, 2, 37.0),
    "chain_be_37C": ("build_chain", 40.0, 0.025, 0, 37.0),
}
#: NEURON CVODE runs: name -> (builder, tstop, atol = rtol, recording interval Dt)
CVODE_CONFIGS = {
    "branched_cvode": ("build_branched", 60.0, 1e-10, 0.1),
}

_CHILD = """
import sys, json
import numpy as np
sys.path.insert(0, {here!r})
import cells_models as cm
h = cm.neuron_h()
if {cvode!r}:
    keep, out = cm.run_cvode_neuron(h, getattr(cm, {builder!r}), {tstop!r}, {dt!r}, {so!r})
else:
    keep, out = cm.run(h, getattr(cm, {builder!r}), {tstop!r}, {dt!r}, {so!r}, {celsius!r})
np.savez({path!r}, **out)
"""


def run_neuron(name: str, tmpdir: Path) -> dict:
    cvode = name in CVODE_CONFIGS
    celsius = 6.3
    if cvode:
        builder, tstop, dt, so = CVODE_CONFIGS[name]   # dt, so = tolerance, recording interval
    elif name in TEMPERATURE_CONFIGS:
        builder, tstop, dt, so, celsius = TEMPERATURE_CONFIGS[name]
    else:
        builder, tstop, dt, so, _ = CONFIGS[name]
    path = str(tmpdir / f"{name}.npz")
    code = _CHILD.format(here=str(HERE), builder=builder, tstop=tstop, dt=dt, so=so, path=path, cvode=cvode,
                         celsius=celsius)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def main() -> None:
    import tempfile
    import neuron  # noqa: F401  (fail early with a clear ImportError)
    store = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (_, _, _, _, stride) in CONFIGS.items():
            out = run_neuron(name, Path(tmp))
            for k, v in out.items():
                store[f"{name}/{k}"] = v if k.startswith("spikes_") else v[::stride]
        for name in CVODE_CONFIGS:
            for k, v in run_neuron(name, Path(tmp)).items():
                store[f"{name}/{k}"] = v
    store["meta"] = np.array(json.dumps({"neuron": neuron.__version__, "configs": CONFIGS, "cvode": CVODE_CONFIGS}))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **store)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
