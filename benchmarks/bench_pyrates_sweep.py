"""neurodyn vs PyRates: a 1000-point parameter sweep of the Jansen-Rit circuit (JRC) over the extrinsic input
u = pc/rpo_e_in/u in [120, 320], 2 s at dt = 1e-4 with forward Euler, V_pce and V_pci sampled every 1e-3,
float64 on both sides.

neurodyn: ``neurodyn.sweep.sweep`` (all parameter sets as copies inside one compiled model, one run).
PyRates:  ``pyrates.grid_search`` (all parameter sets as sub-circuits of one vectorised network, one run).
NumPy:    the same model written by hand with NumPy arrays, one array element per parameter set (the second
          reference: what a vectorised sweep must beat; issue target >= 5x).
Each side runs end to end in a fresh Python process (import, build, compile, simulate, collect the results);
neurodyn with a warm kernel cache (normal case) and a cold one. The simulation phase alone is also reported
(neurodyn ``Model.run`` inside ``sweep``; PyRates ``ComputeGraph.run``). Before timing, a few sweep points are
compared between the three (max abs difference). Issue targets: end to end >= 20x PyRates, >= 5x NumPy.

Run: ``PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_pyrates_sweep.py [--repeat N] [--quick]``
(one PyRates repetition of the full 1000-point sweep takes several minutes: it is the PyRates compile step).
Exit status: 0 ok, 1 results differ, 2 PyRates (or neurodyn) not importable.
``--no-pyrates`` runs neurodyn and NumPy only (PyRates's compile of 1000 sub-circuits takes minutes).
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


def jrc_numpy(u, simulation_time: float = 2.0, dt: float = 1e-4, every: int = 10):
    """The JRC circuit of the template (pc: rpo_e_in + rpo_i + pro; ein, iin: rpo_e + pro; edge weights C1..C4)
    by hand, one array element per value of u, forward Euler; V_pce, V_pci sampled every ``every`` steps from
    t = 0 (as neurodyn's sampling: row k is the state at t = k * every * dt)."""
    import numpy as np
    n = u.size
    he, te, hi, ti = 3.25e-3, 10e-3, -22e-3, 20e-3       # rpo_e / rpo_e_in and rpo_i: gains h and time constants
    c1, c2, c3, c4 = 135.0, 108.0, 33.75, 33.75

    def S(v):                                            # pro: m = m_max / (1 + exp(s (v_thr - v)))
        return 5.0 / (1.0 + np.exp(560.0 * (6e-3 - v)))

    v1, x1, v2, x2, v3, x3, v4, x4 = (np.zeros(n) for _ in range(8))
    n_steps = int(round(simulation_time / dt))
    n_samples = n_steps // every
    out_e, out_i = np.empty((n_samples, n)), np.empty((n_samples, n))
    for k in range(n_steps):
        if k % every == 0:
            out_e[k // every] = v1
            out_i[k // every] = v2
        m_pc, m_ein, m_iin = S(v1 + v2), S(v3), S(v4)
        d1 = he * (c2 * m_ein + u) / te - 2.0 * x1 / te - v1 / te ** 2
        d2 = hi * (c4 * m_iin) / ti - 2.0 * x2 / ti - v2 / ti ** 2
        d3 = he * (c1 * m_pc) / te - 2.0 * x3 / te - v3 / te ** 2
        d4 = he * (c3 * m_pc) / te - 2.0 * x4 / te - v4 / te ** 2
        v1, x1 = v1 + dt * x1, x1 + dt * d1
        v2, x2 = v2 + dt * x2, x2 + dt * d2
        v3, x3 = v3 + dt * x3, x3 + dt * d3
        v4, x4 = v4 + dt * x4, x4 + dt * d4
    return np.arange(n_samples) * every * dt, out_e, out_i


def worker_numpy(args) -> None:
    import numpy as np
    ph = Phases(T0)
    ph.mark("import")
    u = u_values(args.size)
    w, c = time.perf_counter(), time.process_time()
    t, ve, vi = jrc_numpy(u, SIM["simulation_time"], SIM["step_size"],
                          int(round(SIM["sampling_step_size"] / SIM["step_size"])))
    sim = [(time.perf_counter() - w, time.process_time() - c)]
    ph.mark("run")
    if args.save:
        pts = check_points(args.size)
        np.savez(args.save, points=pts, u=u[pts], time=t, V_pce=ve[:, pts], V_pci=vi[:, pts])
    emit(sim=sim, shape=list(ve.shape), **ph.result())


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
    ap = base_parser(__doc__.split("\n")[0], sides=("neurodyn", "pyrates", "numpy"))
    ap.add_argument("--no-pyrates", action="store_true", help="compare neurodyn with the NumPy reference only")
    args = ap.parse_args()
    if args.worker:
        {"neurodyn": worker_neurodyn, "pyrates": worker_pyrates, "numpy": worker_numpy}[args.worker](args)
        return 0
    with_pyrates = not args.no_pyrates
    if with_pyrates:
        require_peer("pyrates")
    _common.BLAS_THREADS = args.blas_threads
    n = args.size or (50 if args.quick else 1000)
    reps = 1 if args.quick else args.repeat
    me = Path(__file__)
    caches = CacheDirs()
    print(f"JRC sweep of {n} values of u in {U_RANGE}, 2 s, dt 1e-4, Euler, 2 outputs at 1e-3; PyRates "
          f"{peer_version('pyrates') if with_pyrates else '(not run)'}; {machine_note()}", flush=True)
    try:
        runs = {"nd_warm": [], "nd_cold": [], "np": []} | ({"pr": []} if with_pyrates else {})
        # an untimed neurodyn run primes the warm cache and saves the check points; PyRates's first timed run
        # saves its own (grid_search of 1000 points is too slow to run once more just for the check)
        nd_file, pr_file = str(caches.root / "nd.npz"), str(caches.root / "pr.npz")
        np_file = str(caches.root / "np.npz")
        run_worker(me, "neurodyn", ["--size", n, "--save", nd_file], caches.warm())
        for r in range(reps):
            runs["nd_warm"].append(run_worker(me, "neurodyn", ["--size", n], caches.warm()))
            if with_pyrates:
                runs["pr"].append(run_worker(me, "pyrates", ["--size", n] + (["--save", pr_file] if r == 0 else [])))
            runs["np"].append(run_worker(me, "numpy", ["--size", n] + (["--save", np_file] if r == 0 else [])))
            runs["nd_cold"].append(run_worker(me, "neurodyn", ["--size", n], caches.cold()))
            print(f"  round {r + 1}/{reps}: wall (cpu) neurodyn warm {runs['nd_warm'][-1]['wall']:.2f} s "
                  f"({runs['nd_warm'][-1]['cpu']:.2f}), "
                  + (f"PyRates {runs['pr'][-1]['wall']:.2f} s ({runs['pr'][-1]['cpu']:.2f}), " if with_pyrates
                     else "")
                  + f"NumPy {runs['np'][-1]['wall']:.2f} s ({runs['np'][-1]['cpu']:.2f}), neurodyn cold "
                  f"{runs['nd_cold'][-1]['wall']:.2f} s ({runs['nd_cold'][-1]['cpu']:.2f})", flush=True)
            if r == 0:
                for peer, f in (("PyRates", pr_file), ("NumPy", np_file)):
                    if peer == "PyRates" and not with_pyrates:
                        continue
                    ok, rows = compare(nd_file, f)
                    print_table(["point", "u", "output", f"max |neurodyn - {peer}|", f"max |{peer}|", "verdict"],
                                rows, f"Sweep points compared with {peer} (same model, step, duration, solver, "
                                      f"float64)")
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
            m = med[key]
            cells = [label, fmt_wc(m["wall"], m["cpu"]), ph(key, "import"), ph(key, "run"),
                     fmt_wc(m["sim_w"], m["sim_c"]), fmt_mb(m["rss"])]
            for peer in (["pr"] if with_pyrates else []) + ["np"]:
                p = med[peer]
                cells += [f"{ratio(p['wall'], m['wall'])} ({ratio(p['cpu'], m['cpu'])})",
                          f"{ratio(p['sim_w'], m['sim_w'])} ({ratio(p['sim_c'], m['sim_c'])})"]
            return cells
        heads = ["fresh process", "wall (cpu)", "import", "sweep call", "simulation phase", "peak RSS"]
        heads += (["PyRates/this e2e", "PyRates/this sim"] if with_pyrates else []) + ["NumPy/this e2e",
                                                                                       "NumPy/this sim"]
        rows = [row("neurodyn sweep, warm cache", "nd_warm"), row("neurodyn sweep, cold cache", "nd_cold")]
        rows += ([row("PyRates grid_search", "pr")] if with_pyrates else []) + [row("NumPy by hand", "np")]
        print_table(heads, rows, f"{n}-point sweep, median of {reps}; wall (cpu) times and ratios")
        print(f"\nHEADLINE: the whole process with default settings, {n} points, median of {reps}: neurodyn warm "
              f"{fmt_wc(med['nd_warm']['wall'], med['nd_warm']['cpu'])}, first-ever "
              f"{fmt_wc(med['nd_cold']['wall'], med['nd_cold']['cpu'])}"
              + (f", PyRates {fmt_wc(med['pr']['wall'], med['pr']['cpu'])}" if with_pyrates else "")
              + f", NumPy by hand {fmt_wc(med['np']['wall'], med['np']['cpu'])}")
        if with_pyrates:
            r_w = med["pr"]["wall"] / med["nd_warm"]["wall"]
            r_c = med["pr"]["wall"] / med["nd_cold"]["wall"]
            r_wc = med["pr"]["cpu"] / med["nd_warm"]["cpu"]
            print(f"\nTarget end to end >= 20x PyRates: warm cache {r_w:.1f}x wall ({r_wc:.1f}x cpu) -> "
                  f"{'MET' if r_w >= 20 else 'NOT MET'}; cold cache {r_c:.1f}x wall -> "
                  f"{'MET' if r_c >= 20 else 'NOT MET'}")
        r_n = med["np"]["sim_w"] / med["nd_warm"]["sim_w"]
        r_ne = med["np"]["wall"] / med["nd_warm"]["wall"]
        print(f"Target >= 5x the NumPy sweep written by hand: simulation phase {r_n:.1f}x, end to end {r_ne:.1f}x "
              f"-> {'MET' if r_n >= 5 else 'NOT MET'}")
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
