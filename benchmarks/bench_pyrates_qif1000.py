"""neurodyn vs PyRates: 1000 QIF mean-field nodes (qif_op, Montbrio-Pazo-Roxin) with dense random coupling
W[i, j] = J/N * U(0, 1) (J = 15, numpy seed 42), r_j -> r_in_i, 10 time units at dt = 1e-3 with forward Euler,
recording r of every node every 1e-2 (float64 on both sides).

How each side expresses the network (the best way each tool offers):
  neurodyn: 1000 nodes of one NodeTemplate and the N*N coupling as one MatrixEdges block (weights as data;
            neurodyn groups the nodes into one vectorised group and stores the nearly full matrix densely); the
            construction of the block, of the CircuitTemplate and the compile are timed separately.
  PyRates:  its matrix-native API, ``PopulationTemplate`` (N units) + ``Connectivity`` (the N x N matrix,
            compiled to one dense matrix-vector product). The legacy ``add_edges_from_matrix`` path creates
            N*N edge objects and is far slower; it is not timed here.
Each side runs end to end in a fresh process (neurodyn: warm kernel cache; cold also reported), and the
simulation phase alone (neurodyn ``Model.run`` of a compiled model; PyRates ``ComputeGraph.run``). Before
timing, all N trajectories are compared (max abs difference). Issue target: >= 3x faster (end to end and
simulation phase).

Run: ``PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_pyrates_qif1000.py [--repeat N] [--quick]``
(``--quick``: 100 nodes, one repetition). Exit status: 0 ok, 1 results differ, 2 PyRates/neurodyn missing.
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

OP = "model_templates.neural_mass_models.qif.qif_op"
J, SEED = 15.0, 42
SIM = dict(simulation_time=10.0, step_size=1e-3, sampling_step_size=1e-2, solver="euler")
RTOL = 1e-9   # same Euler steps in float64; the coupling sums are accumulated in different orders


def weights(n: int):
    import numpy as np
    return J / n * np.random.default_rng(SEED).uniform(size=(n, n))


# ---------------------------------------------------------------------------------------------------- workers
def worker_neurodyn(args) -> None:
    import numpy as np
    from neurodyn import compile_model
    from neurodyn.frontend import CircuitTemplate, NodeTemplate
    from neurodyn.lang.templates import MatrixEdges, template_from_yaml
    ph = Phases(T0)
    ph.mark("import")
    n = args.size
    W = weights(n)
    node = NodeTemplate("p", operators=[template_from_yaml(OP)])
    names = [f"p{i}" for i in range(n)]
    edges = MatrixEdges("qif_op/r", "qif_op/r_in", names, names, W)
    ph.mark("edges")
    circ = CircuitTemplate("qif_net", nodes={k: node for k in names}, matrix_edges=[edges])
    ph.mark("circuit")
    model = compile_model(circ)
    ph.mark("compile")
    out = {"r": "all/qif_op/r"}
    if args.mode == "e2e":
        df = model.run(outputs=out, progress=False, **SIM)
        ph.mark("run")
        if args.save:
            cols = [c[1] for c in df.columns]       # (name, node) MultiIndex: order by node number
            order = np.argsort([int(c[1:]) for c in cols])
            np.savez(args.save, r=df.to_numpy()[:, order], time=df.index.to_numpy())
        emit(**ph.result())
    else:
        model.run(outputs=out, progress=False, **dict(SIM, simulation_time=0.1))   # load / JIT the kernel
        times = []
        for _ in range(args.repeat):
            w, c = time.perf_counter(), time.process_time()
            model.run(outputs=out, progress=False, **SIM)
            times.append((time.perf_counter() - w, time.process_time() - c))
        emit(sim=times)


def worker_pyrates(args) -> None:
    import numpy as np
    from pyrates import CircuitTemplate, NodeTemplate, OperatorTemplate
    from pyrates.backend.computegraph import ComputeGraph
    from pyrates.frontend.template.population import Connectivity, PopulationTemplate
    ph = Phases(T0)
    ph.mark("import")
    record = time_calls(ComputeGraph, "run")
    n = args.size
    W = weights(n)
    node = NodeTemplate(name="p", operators=[OperatorTemplate.from_yaml(OP)])
    circ = CircuitTemplate(name="qif_net", populations={"p": PopulationTemplate("p", node, n)},
                           connections=[Connectivity("p/qif_op/r", "p/qif_op/r_in", W)])
    ph.mark("circuit")
    df = circ.run(outputs={"r": "p/qif_op/r"}, backend="default", float_precision="float64", verbose=False, **SIM)
    ph.mark("run")
    if args.save:
        np.savez(args.save, r=df.to_numpy(), time=df.index.to_numpy())
    emit(sim=record, **ph.result())


# ----------------------------------------------------------------------------------------------------- parent
def compare(nd_file: str, pr_file: str) -> tuple[bool, list]:
    import numpy as np
    a, b = np.load(nd_file), np.load(pr_file)
    if a["r"].shape != b["r"].shape or np.max(np.abs(a["time"] - b["time"])) > 1e-12:
        print(f"shapes/times differ: neurodyn {a['r'].shape}, PyRates {b['r'].shape}")
        return False, []
    d = np.abs(a["r"] - b["r"])
    scale = float(np.max(np.abs(b["r"])))
    ok = float(d.max()) <= RTOL * scale
    return ok, [[f"r (all {a['r'].shape[1]} nodes, {a['r'].shape[0]} samples)", f"{d.max():.3e}",
                 f"{scale:.3e}", "ok" if ok else "DIFFER"]]


def main() -> int:
    args = base_parser(__doc__.split("\n")[0]).parse_args()
    if args.worker:
        (worker_neurodyn if args.worker == "neurodyn" else worker_pyrates)(args)
        return 0
    require_peer("pyrates")
    _common.BLAS_THREADS = args.blas_threads
    n = args.size or (100 if args.quick else 1000)
    reps = 1 if args.quick else args.repeat
    me = Path(__file__)
    caches = CacheDirs()
    print(f"{n} QIF nodes, dense random coupling (J={J}, seed {SEED}), 10 time units, dt 1e-3, Euler, r of all "
          f"nodes at 1e-2; PyRates {peer_version('pyrates')}; {machine_note()}", flush=True)
    try:
        nd_file, pr_file = str(caches.root / "nd.npz"), str(caches.root / "pr.npz")
        runs = {"nd_warm": [], "nd_cold": [], "pr": []}
        nd_sim = []
        for r in range(reps):
            runs["nd_cold"].append(run_worker(me, "neurodyn", ["--size", n] + (["--save", nd_file] if r == 0 else []),
                                              caches.cold()))
            runs["pr"].append(run_worker(me, "pyrates", ["--size", n] + (["--save", pr_file] if r == 0 else [])))
            if r == 0:
                ok, rows = compare(nd_file, pr_file)
                print_table(["output", "max |neurodyn - PyRates|", "max |PyRates|", "verdict"], rows,
                            "Trajectory check (same model, weights, step, duration, solver, float64)")
                if not ok:
                    print("Results differ: not timing different work.")
                    return 1
                # simulation phase of a compiled model (this also fills the warm cache; compile is not timed)
                nd_sim += run_worker(me, "neurodyn", ["--size", n, "--mode", "sim", "--repeat", 1 if args.quick else 2],
                                     caches.warm())["sim"]
            runs["nd_warm"].append(run_worker(me, "neurodyn", ["--size", n], caches.warm()))
            print(f"  round {r + 1}/{reps}: wall (cpu) PyRates {runs['pr'][-1]['wall']:.2f} s "
                  f"({runs['pr'][-1]['cpu']:.2f}), neurodyn warm {runs['nd_warm'][-1]['wall']:.2f} s "
                  f"({runs['nd_warm'][-1]['cpu']:.2f}), neurodyn cold {runs['nd_cold'][-1]['wall']:.2f} s "
                  f"({runs['nd_cold'][-1]['cpu']:.2f})", flush=True)
        pr_sim = [t for x in runs["pr"] for t in x["sim"]]
        med = {k: dict(wall=median(x["wall"] for x in xs), cpu=median(x["cpu"] for x in xs),
                       rss=median(x["maxrss_mb"] for x in xs)) for k, xs in runs.items()}

        def ph(key, name):
            xs = [x for x in runs[key] if name in x["phases"]]
            if not xs:
                return "-"
            return fmt_wc(median(x["phases"][name] for x in xs), median(x["cpu_phases"][name] for x in xs))

        def row(label, key):
            m, p = med[key], med["pr"]
            return [label, fmt_wc(m["wall"], m["cpu"]), ph(key, "import"), ph(key, "edges"), ph(key, "circuit"),
                    ph(key, "compile"), ph(key, "run"), fmt_mb(m["rss"]),
                    f"{ratio(p['wall'], m['wall'])} ({ratio(p['cpu'], m['cpu'])})"]
        print_table(["fresh process", "wall (cpu)", "import", "edge list", "CircuitTemplate", "compile", "run",
                     "peak RSS", "PyRates/this"],
                    [row("neurodyn, warm kernel cache", "nd_warm"), row("neurodyn, cold cache", "nd_cold"),
                     row("PyRates (Population+Connectivity)", "pr")],
                    f"end to end, median of {reps}; wall (cpu)")
        nd_w, nd_c = median(t[0] for t in nd_sim), median(t[1] for t in nd_sim)
        pr_w, pr_c = median(t[0] for t in pr_sim), median(t[1] for t in pr_sim)
        print_table(["simulation phase", "median wall (cpu)", "n"],
                    [["neurodyn Model.run (compiled)", fmt_wc(nd_w, nd_c), len(nd_sim)],
                     ["PyRates ComputeGraph.run", fmt_wc(pr_w, pr_c), len(pr_sim)],
                     ["PyRates / neurodyn", f"{ratio(pr_w, nd_w)} ({ratio(pr_c, nd_c)})", ""]],
                    "simulation phase once built (neurodyn: after an untimed first run in the same process)")
        r_e, r_ec = med["pr"]["wall"] / med["nd_warm"]["wall"], med["pr"]["cpu"] / med["nd_warm"]["cpu"]
        r_cold = med["pr"]["wall"] / med["nd_cold"]["wall"]
        r_s, r_sc = pr_w / nd_w, pr_c / nd_c
        print(f"\nHEADLINE: the whole process with default settings, median of {reps}: neurodyn warm "
              f"{fmt_wc(med['nd_warm']['wall'], med['nd_warm']['cpu'])} ({r_e:.2f}x), first-ever "
              f"{fmt_wc(med['nd_cold']['wall'], med['nd_cold']['cpu'])} ({r_cold:.2f}x), PyRates "
              f"{fmt_wc(med['pr']['wall'], med['pr']['cpu'])}")
        print(f"Targets >= 3x (wall; cpu in brackets): end to end {r_e:.2f}x ({r_ec:.2f}x) -> "
              f"{'MET' if r_e >= 3 else 'NOT MET'}; simulation phase (neurodyn after compile_model and an untimed "
              f"first run) {r_s:.2f}x ({r_sc:.2f}x) -> {'MET' if r_s >= 3 else 'NOT MET'}")
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
