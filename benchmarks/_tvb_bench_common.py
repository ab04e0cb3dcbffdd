"""Small helpers shared by the TVB/network benchmark scripts (bench_tvb_mpr76.py, bench_tvb_mpr998.py,
bench_ngnmm_aal90.py): run each measurement in a fresh subprocess (so peak memory, ru_maxrss, is per run and
nothing is shared between neurodyn and the peer), alternate the contenders, report medians and ratios.

Protocol: a benchmark script called with ``--worker NAME --out FILE.npz [options]`` does one run and prints
one JSON line ``{"sim_time": ..., "setup_time": ..., "maxrss_mb": ...}`` as its last line of output; the
parent measures the subprocess's wall-clock time (end to end: interpreter start, imports, set-up, kernel
load or compilation, run, saving the outputs).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: TVB's MontbrioPazoRoxin as a neurodyn operator (equations of tvb/simulator/models/infinite_theta.py; the
#: network input c_r enters tau dV/dt as cr * c_r, without a factor tau). cv = 0, so c_V is left out.
MPR_EQUATIONS = [
    "d/dt * r = (Delta/(pi*tau) + 2.0*V*r)/tau",
    "d/dt * V = (V^2 - (pi*tau*r)^2 + eta + J*tau*r + I + cr*c_r)/tau",
]
MPR_VARIABLES = {"r": "output(0.1)", "V": "variable(-2.0)", "tau": 1.0, "Delta": 1.0, "eta": -5.0, "J": 15.0,
                 "I": 0.0, "cr": 1.0, "c_r": "input(0.0)"}


def mpr_node():
    """The TVB-equivalent MPR node template (``mpr_op/r``, ``mpr_op/V``, input ``mpr_op/c_r``)."""
    from neurodyn.lang.templates import NodeTemplate, OperatorTemplate

    return NodeTemplate("tvb_mpr", [OperatorTemplate("mpr_op", MPR_EQUATIONS, MPR_VARIABLES)])


def random_initial_state(n_regions: int, seed: int = 2024):
    """(r0, V0) uniform in TVB's state-variable ranges, rounded to float32-representable values (TVB's
    history buffer is float32, so both sides start from exactly the same numbers)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    r0 = rng.uniform(0.0, 2.0, n_regions).astype(np.float32).astype(np.float64)
    V0 = rng.uniform(-2.0, 1.5, n_regions).astype(np.float32).astype(np.float64)
    return r0, V0


def require_tvb_or_exit(numba_backend: bool = True) -> None:
    """Exit with status 2 and a message when TVB (or what its numba backend needs) is missing."""
    missing = []
    for mod in ("tvb.simulator.lab",) + (("mako", "autopep8") if numba_backend else ()):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        print(f"ERROR: the peer is missing ({', '.join(missing)}); install tvb-library and tvb-data "
              f"(`pip install neurodyn[peers]`) to run this benchmark", file=sys.stderr)
        sys.exit(2)


def worker_done(**info) -> None:
    """Print the worker's JSON result line, adding this process's peak resident memory."""
    info["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB
    print(json.dumps(info), flush=True)


def run_worker(script: str | Path, name: str, out: str | Path, extra: list[str] | None = None,
               timeout: float | None = None) -> dict:
    """Run ``script --worker name --out out [extra]`` in a fresh interpreter; return its JSON line plus
    ``end_to_end`` (wall-clock of the whole subprocess) and ``name``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(HERE)] + ([env["PYTHONPATH"]]
                                                                         if env.get("PYTHONPATH") else []))
    cmd = [sys.executable, str(script), "--worker", name, "--out", str(out)] + list(extra or [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-5000:])
        raise RuntimeError(f"worker {name!r} failed with status {proc.returncode}")
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
    info = json.loads(lines[-1])
    info["end_to_end"] = wall
    info["name"] = name
    return info


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return (f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores "
            f"(the machine is shared: other processes compete for the CPUs)")


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def table(results: dict[str, list[dict]], keys=("sim_time", "end_to_end", "maxrss_mb"),
          scale: dict[str, float] | None = None) -> str:
    """Medians per contender; ``scale`` multiplies a contender's times (extrapolation), flagged with '*'."""
    scale = scale or {}
    lines = [f"{'contender':<28}" + "".join(f"{k:>16}" for k in keys) + f"{'runs':>6}"]
    for name, rs in results.items():
        row = f"{name + (' *' if name in scale else ''):<28}"
        for k in keys:
            v = median(rs, k)
            if k != "maxrss_mb" and name in scale:
                v *= scale[name]
            row += f"{v:16.3f}"
        lines.append(row + f"{len(rs):6d}")
    return "\n".join(lines)


#: tolerances against each TVB contender: the numba backend is float64 (round-off only); TVB's Python
#: simulator keeps its history in float32 (about 1e-6 relative over these runs)
AGREEMENT_TOLERANCES = (("tvb_numba", 1e-10), ("tvb_python", 3e-5))


def check_agreement(files: dict) -> bool:
    """Compare neurodyn's saved r and V with each TVB contender's; print one line each; True if all agree."""
    import numpy as np
    d = {k: np.load(v) for k, v in files.items()}
    ok = True
    nd = d["neurodyn"]
    for other, tol in AGREEMENT_TOLERANCES:
        if other not in d:
            continue
        good = nd["r"].shape == d[other]["r"].shape
        err = max(np.abs(nd["r"] - d[other]["r"]).max(), np.abs(nd["V"] - d[other]["V"]).max()) if good else np.inf
        good = good and err <= tol
        ok &= bool(good)
        print(f"  neurodyn vs {other:<11}: max |difference| over r and V = {err:.2e} (tolerance {tol:g}) "
              f"{'OK' if good else 'MISMATCH'}")
    return ok
