"""Small helpers shared by the TVB/network benchmark scripts (bench_tvb_mpr76.py, bench_tvb_mpr998.py,
bench_ngnmm_aal90.py): run each measurement in a fresh subprocess (so peak memory, ru_maxrss, is per run and
nothing is shared between neurodyn and the peer), alternate the contenders, report medians and ratios.

Protocol: a benchmark script called with ``--worker NAME --out FILE.npz [options]`` does one run and prints
its result line (``sim_time``, ``setup_time``, ...) with :func:`_common.emit`; the parent runs it through
:func:`_common.run_worker` (fresh interpreter, empty working directory, one BLAS thread, peak RSS of the child
from ``os.wait4``) and reports its wall-clock time as ``end_to_end`` (interpreter start, imports, set-up,
kernel load or compilation, run, saving the outputs).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import _common  # noqa: E402

#: TVB's MontbrioPazoRoxin as a neurodyn operator (equations of tvb/simulator/models/infinite_theta.py; the
#: network input c_r enters tau dV/dt as cr * c_r, without a factor tau). cv = 0, so c_V is left out.
MPR_EQUATIONS = [
    "d/dt * r = (Delta/(pi*tau) + 2.0*V*r)/tau",
    "d/dt * V = (V^2 - (pi*tau*r)^2 + eta + J*tau*r + I + cr*c_r)/tau",
]
MPR_VARIABLES = {"r": "output(0.1)", "V": "variable(-2.0)", "tau": 1.0, "Delta": 1.0, "eta": -5.0, "J": 15.0,
                 "I": 0.0, "cr": 1.0, "c_r": "input(0.0)"}


def data_dir() -> Path:
    """The folder holding the reference data sets (aal90/, tvb998/): ``$NEURODYN_DATA`` if set, else
    ``../shared/data`` next to the checkout (as examples/_paths.py)."""
    env = os.environ.get("NEURODYN_DATA", "").strip()
    return Path(env) if env else ROOT / ".." / "shared" / "data"


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
    """Print the worker's result line (peak memory is added by the parent, from ``os.wait4``)."""
    _common.emit(**info)


def run_worker(script: str | Path, name: str, out: str | Path, extra: list[str] | None = None,
               timeout: float | None = None, env: dict | None = None) -> dict:
    """Run ``script --worker name --out out [extra]`` in a fresh interpreter (:func:`_common.run_worker`, with the
    extra environment ``env``, e.g. a kernel-cache directory from :class:`_common.CacheDirs`); return its result
    plus ``end_to_end`` (wall-clock of the whole subprocess), ``maxrss_mb`` and ``name``."""
    info = _common.run_worker(script, name, ["--out", str(Path(out).resolve()), *(extra or [])], env=env,
                              timeout=timeout)
    info["end_to_end"] = info.pop("wall")
    info["name"] = name
    return info


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return (f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores "
            f"(the machine is shared: other processes compete for the CPUs)")


def median(results: list[dict], key: str) -> float:
    return _common.median([r[key] for r in results])


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
