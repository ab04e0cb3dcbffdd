"""neurodyn vs PyRates: the Jansen-Rit circuit (JRC), 2 s at dt = 1e-4 with forward Euler, outputs V_pce and
V_pci sampled every 1e-3 (float64 on both sides).

Measures
  (a) end to end: a fresh Python process that imports the package, loads the template and runs it (the
      script a user writes), wall time of the whole process and its peak RSS. neurodyn with a warm kernel cache
      (the normal case: kernels are cached on disk per model structure) and with a cold one (first use).
  (b) simulation phase once built: neurodyn ``Model.run`` (kernel already compiled; includes building the data
      arrays and the DataFrame) vs PyRates's own simulation phase (``ComputeGraph.run``, the interval PyRates
      prints as "finished after ...s": the Euler loop over the generated NumPy function).
Before timing, both sides' trajectories are compared (max abs difference). Issue targets: (a) neurodyn >= 3x
less wall time, (b) >= 50x faster.

Run: ``PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_pyrates_jrc.py [--repeat 5] [--quick]``
Exit status: 0 ok, 1 trajectories differ, 2 PyRates (or neurodyn) not importable.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (CacheDirs, base_parser, emit, fmt_mb, fmt_s, machine_note, median, peer_version,  # noqa: E402
                     print_table, ratio, require_peer, run_worker)

MODEL = "model_templates.neural_mass_models.jansenrit.JRC"
OUTPUTS = {"V_pce": "pc/rpo_e_in/v", "V_pci": "pc/rpo_i/v"}
SIM = dict(simulation_time=2.0, step_size=1e-4, sampling_step_size=1e-3, solver="euler")
RTOL = 1e-9   # Euler in float64 on the same equations: only rounding-order differences are expected


# ---------------------------------------------------------------------------------------------------- workers
def worker_neurodyn(args) -> None:
    import numpy as np
    if args.mode == "e2e":
        from neurodyn.frontend import CircuitTemplate
        t_imp = time.perf_counter()
        circ = CircuitTemplate.from_yaml(MODEL)
        t_build = time.perf_counter()
        df = circ.run(outputs=OUTPUTS, **SIM)
        t_run = time.perf_counter()
        if args.save:
            np.savez(args.save, **{k: df[k].to_numpy() for k in OUTPUTS}, time=df.index.to_numpy())
        emit(import_s=t_imp - T0, build_s=t_build - t_imp, run_s=t_run - t_build)
    else:   # simulation phase of an already compiled model
        from neurodyn import compile_model
        m = compile_model(MODEL)
        m.run(outputs=OUTPUTS, **SIM)          # first call: loads / compiles the kernel
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            m.run(outputs=OUTPUTS, **SIM)
            times.append(time.perf_counter() - t)
        emit(sim_s=times)


def _pyrates_sim_timer():
    """Wrap PyRates's ComputeGraph.run (its simulation phase) to record how long each call takes."""
    from pyrates.backend.computegraph import ComputeGraph
    record = []
    orig = ComputeGraph.run

    def timed(self, *a, **k):
        t = time.perf_counter()
        try:
            return orig(self, *a, **k)
        finally:
            record.append(time.perf_counter() - t)

    ComputeGraph.run = timed
    return record


def worker_pyrates(args) -> None:
    import numpy as np
    from pyrates import clear
    from pyrates.frontend import CircuitTemplate
    t_imp = time.perf_counter()
    record = _pyrates_sim_timer()
    kw = dict(backend="default", float_precision="float64", verbose=False)
    if args.mode == "e2e":
        circ = CircuitTemplate.from_yaml(MODEL)
        t_build = time.perf_counter()
        df = circ.run(outputs=OUTPUTS, **SIM, **kw)
        t_run = time.perf_counter()
        if args.save:
            np.savez(args.save, **{k: df[k].to_numpy() for k in OUTPUTS}, time=df.index.to_numpy())
        emit(import_s=t_imp - T0, build_s=t_build - t_imp, run_s=t_run - t_build, sim_s=record)
    else:
        for _ in range(args.repeat):
            circ = CircuitTemplate.from_yaml(MODEL)
            circ.run(outputs=OUTPUTS, **SIM, **kw)
            clear(circ)
        emit(sim_s=record)


# ----------------------------------------------------------------------------------------------------- parent
def compare(nd_file: str, pr_file: str) -> tuple[bool, list]:
    import numpy as np
    a, b = np.load(nd_file), np.load(pr_file)
    ok, rows = True, []
    if a["time"].shape != b["time"].shape or np.max(np.abs(a["time"] - b["time"])) > 1e-12:
        print(f"sample times differ: neurodyn {a['time'][:3]}.. ({a['time'].size}), PyRates {b['time'][:3]}.. "
              f"({b['time'].size})")
        return False, rows
    for k in OUTPUTS:
        d = float(np.max(np.abs(a[k] - b[k])))
        scale = float(np.max(np.abs(b[k])))
        good = d <= RTOL * scale
        ok &= good
        rows.append([k, f"{d:.3e}", f"{scale:.3e}", "ok" if good else f"DIFFER (> {RTOL:g} x scale)"])
    return ok, rows


def main() -> int:
    ap = base_parser(__doc__.split("\n")[0])
    args = ap.parse_args()
    if args.worker:
        (worker_neurodyn if args.worker == "neurodyn" else worker_pyrates)(args)
        return 0
    require_peer("pyrates")
    reps = 1 if args.quick else args.repeat
    me = Path(__file__)
    caches = CacheDirs()
    print(f"JRC 2 s, dt 1e-4, Euler, 2 outputs at 1e-3; PyRates {peer_version('pyrates')}; {machine_note()}")
    try:
        # correctness first (these runs also prime the warm neurodyn cache; not timed)
        nd_file, pr_file = str(caches.root / "nd.npz"), str(caches.root / "pr.npz")
        run_worker(me, "neurodyn", ["--save", nd_file], caches.warm())
        run_worker(me, "pyrates", ["--save", pr_file])
        ok, rows = compare(nd_file, pr_file)
        print_table(["output", "max |neurodyn - PyRates|", "max |PyRates|", "verdict"], rows,
                    "Trajectory check (same model, step, duration, solver, float64)")
        if not ok:
            print("Trajectories differ: not timing different work.")
            return 1

        # (a) end to end, alternating sides
        runs = {"nd_warm": [], "nd_cold": [], "pr": []}
        for r in range(reps):
            runs["nd_warm"].append(run_worker(me, "neurodyn", [], caches.warm()))
            runs["pr"].append(run_worker(me, "pyrates", []))
            runs["nd_cold"].append(run_worker(me, "neurodyn", [], caches.cold()))
            print(f"  round {r + 1}/{reps}: neurodyn warm {runs['nd_warm'][-1]['wall']:.2f} s, PyRates "
                  f"{runs['pr'][-1]['wall']:.2f} s, neurodyn cold {runs['nd_cold'][-1]['wall']:.2f} s", flush=True)
        pr_wall = median(x["wall"] for x in runs["pr"])

        def row(label, key):
            xs = runs[key]
            return [label, fmt_s(median(x["wall"] for x in xs)), fmt_s(median(x["import_s"] for x in xs)),
                    fmt_s(median(x["build_s"] for x in xs)), fmt_s(median(x["run_s"] for x in xs)),
                    fmt_mb(median(x["maxrss_mb"] for x in xs)),
                    ratio(pr_wall, median(x["wall"] for x in xs)) if key != "pr" else "1.0x"]
        print_table(["end to end (fresh process)", "wall", "import", "load template", "run()", "peak RSS",
                     "PyRates / this"],
                    [row("neurodyn, warm kernel cache", "nd_warm"), row("neurodyn, cold cache", "nd_cold"),
                     row("PyRates", "pr")],
                    f"(a) end to end, median of {reps}")
        ratio_a = pr_wall / median(x["wall"] for x in runs["nd_warm"])

        # (b) simulation phase, each side in one process (repetitions inside)
        sim_reps = max(3, reps)
        nd_sim, pr_sim = [], []
        for _ in range(1 if args.quick else 2):
            nd_sim += run_worker(me, "neurodyn", ["--mode", "sim", "--repeat", sim_reps], caches.warm())["sim_s"]
            pr_sim += run_worker(me, "pyrates", ["--mode", "sim", "--repeat", sim_reps])["sim_s"]
        pr_sim += [t for x in runs["pr"] for t in x["sim_s"]]
        nd_m, pr_m = median(nd_sim), median(pr_sim)
        print_table(["simulation phase", "median", "min", "n"],
                    [["neurodyn Model.run (compiled)", fmt_s(nd_m), fmt_s(min(nd_sim)), len(nd_sim)],
                     ["PyRates ComputeGraph.run", fmt_s(pr_m), fmt_s(min(pr_sim)), len(pr_sim)],
                     ["PyRates / neurodyn", ratio(pr_m, nd_m), "", ""]],
                    "(b) simulation phase once built")
        ratio_b = pr_m / nd_m
        print(f"\nTargets: (a) end to end >= 3x: {ratio_a:.1f}x -> {'MET' if ratio_a >= 3 else 'NOT MET'}; "
              f"(b) simulation >= 50x: {ratio_b:.1f}x -> {'MET' if ratio_b >= 50 else 'NOT MET'}")
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
