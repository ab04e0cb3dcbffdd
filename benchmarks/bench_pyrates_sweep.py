"""neurodyn vs PyRates: a 1000-point parameter sweep of the Jansen-Rit circuit (JRC) over the extrinsic input
u = pc/rpo_e_in/u in [120, 320], 2 s at dt = 1e-4 with forward Euler, V_pce and V_pci sampled every 1e-3,
float64 on both sides.

neurodyn: ``neurodyn.sweep.sweep`` (all parameter sets as copies inside one compiled model, one run).
PyRates:  ``pyrates.grid_search`` (all parameter sets as sub-circuits of one vectorised network, one run).
Each side runs end to end in a fresh Python process (import, build, compile, simulate, collect the results);
neurodyn with a warm kernel cache (normal case) and a cold one. The simulation phase alone is also reported
(neurodyn ``Model.run`` inside ``sweep``; PyRates ``ComputeGraph.run``). Before timing, a few sweep points are
compared between the two (max abs difference). Issue target: end to end >= 20x.

Run: ``PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_pyrates_sweep.py [--repeat N] [--quick]``
(one PyRates repetition of the full 1000-point sweep takes several minutes: it is the PyRates compile step).
Exit status: 0 ok, 1 results differ, 2 PyRates (or neurodyn) not importable.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

from _common import (CacheDirs, Phases, base_parser, emit, fmt_mb, fmt_wc, machine_note, median,  # noqa: E402
                     peer_version, print_table, ratio, require_peer, run_worker, time_calls)

MODEL = "model_templates.neural_mass_models.jansenrit.JRC"
OUTPUTS = {"V_pce": "pc/rpo_e_in/v", "V_pci": "pc/rpo_i/v"}
SIM = dict(simulation_time=2.0, step_size=1e-4, sampling_step_size=1e-3, solver="euler")
U_RANGE = (120.0, 320.0)
RTOL = 1e-9   # same Euler steps in float64: only rounding-order differences are expected


def u_values(n: int):
    import numpy as np
    return np.linspace(*U_RANGE, n)


def check_points(n: int) -> list[int]:
    return sorted({0, 1, n // 3, n // 2, (2 * n) // 3, n - 1})


# ---------------------------------------------------------------------------------------------------- workers
def worker_neurodyn(args) -> None:
    import numpy as np
    from neurodyn.simulate import Model
    from neurodyn.sweep import sweep
    ph = Phases(T0)
    ph.mark("import")
    record = time_calls(Model, "run")
    u = u_values(args.size)
    ds = sweep(MODEL, {"pc/rpo_e_in/u": u}, outputs=OUTPUTS, progress=False, **SIM)
    ph.mark("run")
    if args.save:
        pts = check_points(args.size)
        np.savez(args.save, points=pts, u=ds["pc/rpo_e_in/u"].to_numpy()[pts], time=ds["time"].to_numpy(),
                 **{k: ds[k].to_numpy()[:, pts] for k in OUTPUTS})
    emit(sim=record, shape=list(ds["V_pce"].shape), **ph.result())


def worker_pyrates(args) -> None:
    import numpy as np
    from pyrates import CircuitTemplate, grid_search
    from pyrates.backend.computegraph import ComputeGraph
    ph = Phases(T0)
    ph.mark("import")
    record = time_calls(ComputeGraph, "run")
    u = u_values(args.size)
    res, pmap = grid_search(CircuitTemplate.from_yaml(MODEL), param_grid={"u": u},
                            param_map={"u": {"vars": ["rpo_e_in/u"], "nodes": ["pc"]}}, outputs=OUTPUTS,
                            backend="default", float_precision="float64", verbose=False, **SIM)
    ph.mark("run")
    if args.save:
        pts = check_points(args.size)
        cols = {}
        for k in OUTPUTS:
            cols[k] = np.stack([res[k][pmap.index[i]].to_numpy().reshape(len(res), -1)[:, 0] for i in pts], axis=1)
        np.savez(args.save, points=pts, u=pmap["u"].to_numpy()[pts], time=res.index.to_numpy(), **cols)
    emit(sim=record, shape=[len(res), len(pmap)], **ph.result())


# ----------------------------------------------------------------------------------------------------- parent
def compare(nd_file: str, pr_file: str) -> tuple[bool, list]:
    import numpy as np
    a, b = np.load(nd_file), np.load(pr_file)
    rows, ok = [], True
    if a["time"].shape != b["time"].shape or np.max(np.abs(a["time"] - b["time"])) > 1e-12:
        print(f"sample times differ: {a['time'].shape} vs {b['time'].shape}")
        return False, rows
    for j, p in enumerate(a["points"]):
        if abs(a["u"][j] - b["u"][j]) > 1e-12:
            print(f"sweep point {p}: u differs ({a['u'][j]} vs {b['u'][j]})")
            return False, rows
        for k in OUTPUTS:
            d = float(np.max(np.abs(a[k][:, j] - b[k][:, j])))
            scale = float(np.max(np.abs(b[k][:, j])))
            good = d <= RTOL * scale
            ok &= good
            rows.append([int(p), f"{a['u'][j]:.3f}", k, f"{d:.3e}", f"{scale:.3e}", "ok" if good else "DIFFER"])
    return ok, rows


def main() -> int:
    args = base_parser(__doc__.split("\n")[0]).parse_args()
    if args.worker:
        (worker_neurodyn if args.worker == "neurodyn" else worker_pyrates)(args)
        return 0
    require_peer("pyrates")
    _common.BLAS_THREADS = args.blas_threads
    n = args.size or (50 if args.quick else 1000)
    reps = 1 if args.quick else args.repeat
    me = Path(__file__)
    caches = CacheDirs()
    print(f"JRC sweep of {n} values of u in {U_RANGE}, 2 s, dt 1e-4, Euler, 2 outputs at 1e-3; PyRates "
          f"{peer_version('pyrates')}; {machine_note()}", flush=True)
    try:
        runs = {"nd_warm": [], "nd_cold": [], "pr": []}
        # an untimed neurodyn run primes the warm cache and saves the check points; PyRates's first timed run
        # saves its own (grid_search of 1000 points is too slow to run once more just for the check)
        nd_file, pr_file = str(caches.root / "nd.npz"), str(caches.root / "pr.npz")
        run_worker(me, "neurodyn", ["--size", n, "--save", nd_file], caches.warm())
        for r in range(reps):
            runs["nd_warm"].append(run_worker(me, "neurodyn", ["--size", n], caches.warm()))
            runs["pr"].append(run_worker(me, "pyrates", ["--size", n] + (["--save", pr_file] if r == 0 else [])))
            runs["nd_cold"].append(run_worker(me, "neurodyn", ["--size", n], caches.cold()))
            print(f"  round {r + 1}/{reps}: wall (cpu) neurodyn warm {runs['nd_warm'][-1]['wall']:.2f} s "
                  f"({runs['nd_warm'][-1]['cpu']:.2f}), PyRates {runs['pr'][-1]['wall']:.2f} s "
                  f"({runs['pr'][-1]['cpu']:.2f}), neurodyn cold {runs['nd_cold'][-1]['wall']:.2f} s "
                  f"({runs['nd_cold'][-1]['cpu']:.2f})", flush=True)
            if r == 0:
                ok, rows = compare(nd_file, pr_file)
                print_table(["point", "u", "output", "max |neurodyn - PyRates|", "max |PyRates|", "verdict"], rows,
                            "Sweep points compared (same model, step, duration, solver, float64)")
                if not ok:
                    print("Results differ: the timings below are not of identical work.")
                    return 1
        med = {}
        for k, xs in runs.items():
            med[k] = dict(wall=median(x["wall"] for x in xs), cpu=median(x["cpu"] for x in xs),
                          rss=median(x["maxrss_mb"] for x in xs),
                          sim_w=median(t[0] for x in xs for t in x["sim"]),
                          sim_c=median(t[1] for x in xs for t in x["sim"]))

        def ph(key, name):
            return fmt_wc(median(x["phases"][name] for x in runs[key]), median(x["cpu_phases"][name] for x in runs[key]))

        def row(label, key):
            m, p = med[key], med["pr"]
            return [label, fmt_wc(m["wall"], m["cpu"]), ph(key, "import"), ph(key, "run"), fmt_wc(m["sim_w"], m["sim_c"]),
                    fmt_mb(m["rss"]), f"{ratio(p['wall'], m['wall'])} ({ratio(p['cpu'], m['cpu'])})",
                    f"{ratio(p['sim_w'], m['sim_w'])} ({ratio(p['sim_c'], m['sim_c'])})"]
        print_table(["fresh process", "wall (cpu)", "import", "sweep call", "simulation phase", "peak RSS",
                     "PyRates/this e2e", "PyRates/this sim"],
                    [row("neurodyn sweep, warm cache", "nd_warm"), row("neurodyn sweep, cold cache", "nd_cold"),
                     row("PyRates grid_search", "pr")],
                    f"{n}-point sweep, median of {reps}; wall (cpu) times and ratios of the whole process and its phases")
        r_w = med["pr"]["wall"] / med["nd_warm"]["wall"]
        r_c = med["pr"]["wall"] / med["nd_cold"]["wall"]
        r_wc = med["pr"]["cpu"] / med["nd_warm"]["cpu"]
        print(f"\nHEADLINE: the whole process with default settings, {n} points, median of {reps}: neurodyn warm "
              f"{fmt_wc(med['nd_warm']['wall'], med['nd_warm']['cpu'])}, first-ever "
              f"{fmt_wc(med['nd_cold']['wall'], med['nd_cold']['cpu'])}, PyRates "
              f"{fmt_wc(med['pr']['wall'], med['pr']['cpu'])}")
        print(f"Target end to end >= 20x: warm cache {r_w:.1f}x wall ({r_wc:.1f}x cpu) -> "
              f"{'MET' if r_w >= 20 else 'NOT MET'}; first-ever {r_c:.1f}x wall -> {'MET' if r_c >= 20 else 'NOT MET'} "
              f"(the 'simulation phase' column is Model.run / ComputeGraph.run inside these same processes)")
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
