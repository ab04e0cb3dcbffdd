"""neurodyn vs PyRates: the Jansen-Rit circuit (JRC), 2 s at dt = 1e-4 with forward Euler, outputs V_pce and
V_pci sampled every 1e-3 (float64 on both sides).

Measures
  (a) HEADLINE, end to end with default settings: a fresh Python process that imports the package, loads the
      template and runs it (the script a user writes), wall time of the whole process and its peak RSS.
      neurodyn with its defaults, warm (kernel cache filled by an earlier process: the normal case, kernels are
      cached on disk per model structure) and first-ever (empty kernel, IR and Numba caches). Reported below the
      headline: the phases of each process (import, load template, run()).
  (c) a new user model, first-ever: the README's FitzHugh-Nagumo file (fhn.yaml), 1e4 RK4 steps through
      ``neurodyn.integrate`` in a fresh process with empty caches (parse, IR, C compilation, run, DataFrame);
      no peer. Target: whole process <= 1.2 s.
  (b) simulation phase once built: neurodyn ``Model.run`` after an untimed first call in the same process (the
      kernel already loaded; includes building the data arrays and the DataFrame) vs PyRates's own simulation
      phase (``ComputeGraph.run``, the interval PyRates prints as "finished after ...s": the Euler loop over the
      generated NumPy function). Not what a script pays: a script pays (a).
Before timing, both sides' trajectories are compared (max abs difference). Issue targets: (a) neurodyn >= 3x
less wall time warm and >= 1x first-ever, (b) >= 50x faster, (c) <= 1.2 s.

Run: ``PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_pyrates_jrc.py [--repeat 5] [--quick]``
Exit status: 0 ok, 1 trajectories differ, 2 PyRates (or neurodyn) not importable.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402

from _common import (CacheDirs, Phases, base_parser, emit, fmt_mb, fmt_s, fmt_wc, machine_note, median,  # noqa: E402
                     peer_version, print_table, ratio, require_peer, run_worker, time_calls)

MODEL = "model_templates.neural_mass_models.jansenrit.JRC"
OUTPUTS = {"V_pce": "pc/rpo_e_in/v", "V_pci": "pc/rpo_i/v"}
SIM = dict(simulation_time=2.0, step_size=1e-4, sampling_step_size=1e-3, solver="euler")
RTOL = 1e-9   # Euler in float64 on the same equations: only rounding-order differences are expected


# ---------------------------------------------------------------------------------------------------- workers
def worker_neurodyn(args) -> None:
    import numpy as np
    ph = Phases(T0)
    if args.mode == "e2e":
        from neurodyn.frontend import CircuitTemplate
        ph.mark("import")
        circ = CircuitTemplate.from_yaml(MODEL)
        ph.mark("build")
        df = circ.run(outputs=OUTPUTS, **SIM)
        ph.mark("run")
        if args.save:
            np.savez(args.save, **{k: df[k].to_numpy() for k in OUTPUTS}, time=df.index.to_numpy())
        emit(**ph.result())
    elif args.mode == "fhn":    # a new user model: the README's fhn.yaml, 1e4 RK4 steps
        import neurodyn as nd
        ph.mark("import")
        df = nd.integrate(args.save, simulation_time=100.0, step_size=0.01, solver="rk4", sampling_step_size=0.1)
        ph.mark("run")
        assert df.shape == (1000, 2) and np.isfinite(df.to_numpy()).all()
        emit(**ph.result())
    else:   # simulation phase of an already compiled model
        from neurodyn import compile_model
        m = compile_model(MODEL)
        m.run(outputs=OUTPUTS, **SIM)          # first call: loads / compiles the kernel
        times = []
        for _ in range(args.repeat):
            w, c = time.perf_counter(), time.process_time()
            m.run(outputs=OUTPUTS, **SIM)
            times.append((time.perf_counter() - w, time.process_time() - c))
        emit(sim=times)


def worker_pyrates(args) -> None:
    import numpy as np
    from pyrates import clear
    from pyrates.backend.computegraph import ComputeGraph
    from pyrates.frontend import CircuitTemplate
    ph = Phases(T0)
    ph.mark("import")
    record = time_calls(ComputeGraph, "run")   # PyRates's simulation phase (what it prints as "finished after")
    kw = dict(backend="default", float_precision="float64", verbose=False)
    if args.mode == "e2e":
        circ = CircuitTemplate.from_yaml(MODEL)
        ph.mark("build")
        df = circ.run(outputs=OUTPUTS, **SIM, **kw)
        ph.mark("run")
        if args.save:
            np.savez(args.save, **{k: df[k].to_numpy() for k in OUTPUTS}, time=df.index.to_numpy())
        emit(sim=record, **ph.result())
    else:
        for _ in range(args.repeat):
            circ = CircuitTemplate.from_yaml(MODEL)
            circ.run(outputs=OUTPUTS, **SIM, **kw)
            clear(circ)
        emit(sim=record)


# ----------------------------------------------------------------------------------------------------- parent
def _readme_fhn() -> str:
    """The README's own model file (its ``yaml file=fhn.yaml`` block): what a new user writes first."""
    text = (_common.ROOT / "README.md").read_text()
    block = text.split("```yaml file=fhn.yaml\n", 1)[1].split("```", 1)[0]
    return block


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
    args = base_parser(__doc__.split("\n")[0]).parse_args()
    if args.worker:
        (worker_neurodyn if args.worker == "neurodyn" else worker_pyrates)(args)
        return 0
    require_peer("pyrates")
    _common.BLAS_THREADS = args.blas_threads
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
            print(f"  round {r + 1}/{reps}: wall (cpu) neurodyn warm {runs['nd_warm'][-1]['wall']:.2f} s "
                  f"({runs['nd_warm'][-1]['cpu']:.2f}), PyRates {runs['pr'][-1]['wall']:.2f} s "
                  f"({runs['pr'][-1]['cpu']:.2f}), neurodyn first-ever {runs['nd_cold'][-1]['wall']:.2f} s "
                  f"({runs['nd_cold'][-1]['cpu']:.2f})", flush=True)
        med = {k: {q: median(x[q] for x in v) for q in ("wall", "cpu", "maxrss_mb")} for k, v in runs.items()}

        def ph(key, name):
            return fmt_wc(median(x["phases"][name] for x in runs[key]), median(x["cpu_phases"][name] for x in runs[key]))

        def row(label, key):
            m = med[key]
            return [label, fmt_wc(m["wall"], m["cpu"]), ph(key, "import"), ph(key, "build"), ph(key, "run"),
                    fmt_mb(m["maxrss_mb"]), ratio(med["pr"]["wall"], m["wall"]), ratio(med["pr"]["cpu"], m["cpu"])]
        ratio_a = med["pr"]["wall"] / med["nd_warm"]["wall"]
        ratio_a_cpu = med["pr"]["cpu"] / med["nd_warm"]["cpu"]
        ratio_cold = med["pr"]["wall"] / med["nd_cold"]["wall"]
        print(f"\nHEADLINE (a): the whole process with default settings, median of {reps} (PyRates / neurodyn, wall; "
              f"cpu in brackets)")
        print(f"  neurodyn warm kernel cache: {fmt_wc(med['nd_warm']['wall'], med['nd_warm']['cpu'])} -> "
              f"{ratio_a:.2f}x ({ratio_a_cpu:.2f}x)")
        print(f"  neurodyn first-ever       : {fmt_wc(med['nd_cold']['wall'], med['nd_cold']['cpu'])} -> "
              f"{ratio_cold:.2f}x ({med['pr']['cpu'] / med['nd_cold']['cpu']:.2f}x)")
        print(f"  PyRates                   : {fmt_wc(med['pr']['wall'], med['pr']['cpu'])}")
        print_table(["end to end (fresh process)", "wall (cpu)", "import", "load template", "run()", "peak RSS",
                     "PyRates/this wall", "PyRates/this cpu"],
                    [row("neurodyn, warm kernel cache (default)", "nd_warm"),
                     row("neurodyn, first-ever (default)", "nd_cold"),
                     row("PyRates", "pr")],
                    f"(a) end to end, median of {reps}: phases of each process")

        # (b) simulation phase, each side in one process (repetitions inside)
        sim_reps = max(3, reps)
        nd_sim, pr_sim = [], []
        for _ in range(1 if args.quick else 2):
            nd_sim += run_worker(me, "neurodyn", ["--mode", "sim", "--repeat", sim_reps], caches.warm())["sim"]
            pr_sim += run_worker(me, "pyrates", ["--mode", "sim", "--repeat", sim_reps])["sim"]
        pr_sim += [t for x in runs["pr"] for t in x["sim"]]
        nd_w, nd_c = median(t[0] for t in nd_sim), median(t[1] for t in nd_sim)
        pr_w, pr_c = median(t[0] for t in pr_sim), median(t[1] for t in pr_sim)
        print_table(["simulation phase", "median wall (cpu)", "min wall", "n"],
                    [["neurodyn Model.run (compiled)", fmt_wc(nd_w, nd_c), fmt_s(min(t[0] for t in nd_sim)),
                      len(nd_sim)],
                     ["PyRates ComputeGraph.run", fmt_wc(pr_w, pr_c), fmt_s(min(t[0] for t in pr_sim)), len(pr_sim)],
                     ["PyRates / neurodyn", f"{ratio(pr_w, nd_w)} ({ratio(pr_c, nd_c)})", "", ""]],
                    "(b) simulation phase once built (neurodyn: after an untimed first call in the same process)")
        ratio_b, ratio_b_cpu = pr_w / nd_w, pr_c / nd_c

        # (c) a new user model, first-ever (empty caches per run), no peer
        fhn_file = caches.root / "fhn.yaml"
        fhn_file.write_text(_readme_fhn())
        fhn = [run_worker(me, "neurodyn", ["--mode", "fhn", "--save", str(fhn_file)], caches.cold())
               for _ in range(max(3, reps))]
        fhn_w, fhn_c = median(x["wall"] for x in fhn), median(x["cpu"] for x in fhn)
        print_table(["new model, first-ever (fresh process, empty caches)", "wall (cpu)", "import", "integrate()",
                     "peak RSS", "n"],
                    [["README fhn.yaml, 1e4 RK4 steps", fmt_wc(fhn_w, fhn_c),
                      fmt_wc(median(x["phases"]["import"] for x in fhn), median(x["cpu_phases"]["import"] for x in fhn)),
                      fmt_wc(median(x["phases"]["run"] for x in fhn), median(x["cpu_phases"]["run"] for x in fhn)),
                      fmt_mb(median(x["maxrss_mb"] for x in fhn)), len(fhn)]],
                    "(c) a new user model (parse, IR, C compilation, run, DataFrame)")
        print(f"\nTargets (wall; cpu in brackets): (a) end to end with default settings: warm {ratio_a:.2f}x "
              f"({ratio_a_cpu:.2f}x) -> {'MET' if ratio_a >= 3 else 'NOT MET'} (>= 3x); first-ever {ratio_cold:.2f}x "
              f"-> {'MET' if ratio_cold >= 1 else 'NOT MET'} (>= 1x); (b) simulation phase >= 50x: {ratio_b:.1f}x "
              f"({ratio_b_cpu:.1f}x) -> {'MET' if ratio_b >= 50 else 'NOT MET'}; (c) new model first-ever "
              f"{fhn_w:.2f} s -> {'MET' if fhn_w <= 1.2 else 'NOT MET'} (<= 1.2 s)")
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
