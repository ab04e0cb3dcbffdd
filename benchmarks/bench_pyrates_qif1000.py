"""neurodyn vs PyRates: 1000 QIF mean-field nodes (qif_op, Montbrio-Pazo-Roxin) with dense random coupling
W[i, j] = J/N * U(0, 1) (J = 15, numpy seed 42), r_j -> r_in_i, 10 time units at dt = 1e-3 with forward Euler,
recording r of every node every 1e-2 (float64 on both sides).

How each side expresses the network (the best way each tool offers):
  neurodyn: 1000 nodes of one NodeTemplate and N*N edges as a Python list (neurodyn groups the nodes into one
            vectorised group and the edges into one sparse projection); the construction of the list, of the
            CircuitTemplate and the compile are timed separately.
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

from _common import (CacheDirs, base_parser, emit, fmt_mb, fmt_s, machine_note, median, peer_version,  # noqa: E402
                     print_table, ratio, require_peer, run_worker)

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
    from neurodyn.lang.templates import template_from_yaml
    t_imp = time.perf_counter()
    n = args.size
    W = weights(n)
    node = NodeTemplate("p", operators=[template_from_yaml(OP)])
    names = [f"p{i}" for i in range(n)]
    src = [f"{s}/qif_op/r" for s in names]
    edges = [(src[j], f"{names[i]}/qif_op/r_in", None, {"weight": float(W[i, j])})
             for i in range(n) for j in range(n)]
    t_edges = time.perf_counter()
    circ = CircuitTemplate("qif_net", nodes={k: node for k in names}, edges=edges)
    t_circ = time.perf_counter()
    model = compile_model(circ)
    t_comp = time.perf_counter()
    out = {"r": "all/qif_op/r"}
    if args.mode == "e2e":
        df = model.run(outputs=out, progress=False, **SIM)
        t_run = time.perf_counter()
        if args.save:
            cols = [c[1] for c in df.columns]       # (name, node) MultiIndex: order by node number
            order = np.argsort([int(c[1:]) for c in cols])
            np.savez(args.save, r=df.to_numpy()[:, order], time=df.index.to_numpy())
        emit(import_s=t_imp - T0, edges_s=t_edges - t_imp, circuit_s=t_circ - t_edges, compile_s=t_comp - t_circ,
             run_s=t_run - t_comp)
    else:
        model.run(outputs=out, progress=False, **dict(SIM, simulation_time=0.1))   # load / JIT the kernel
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            model.run(outputs=out, progress=False, **SIM)
            times.append(time.perf_counter() - t)
        emit(sim_s=times)


def worker_pyrates(args) -> None:
    import numpy as np
    from pyrates import CircuitTemplate, NodeTemplate, OperatorTemplate
    from pyrates.backend.computegraph import ComputeGraph
    from pyrates.frontend.template.population import Connectivity, PopulationTemplate
    t_imp = time.perf_counter()
    record = []
    orig = ComputeGraph.run

    def timed(self, *a, **k):
        t = time.perf_counter()
        try:
            return orig(self, *a, **k)
        finally:
            record.append(time.perf_counter() - t)
    ComputeGraph.run = timed
    n = args.size
    W = weights(n)
    node = NodeTemplate(name="p", operators=[OperatorTemplate.from_yaml(OP)])
    circ = CircuitTemplate(name="qif_net", populations={"p": PopulationTemplate("p", node, n)},
                           connections=[Connectivity("p/qif_op/r", "p/qif_op/r_in", W)])
    t_circ = time.perf_counter()
    df = circ.run(outputs={"r": "p/qif_op/r"}, backend="default", float_precision="float64", verbose=False, **SIM)
    t_run = time.perf_counter()
    if args.save:
        np.savez(args.save, r=df.to_numpy(), time=df.index.to_numpy())
    emit(import_s=t_imp - T0, circuit_s=t_circ - t_imp, run_s=t_run - t_circ, sim_s=record)


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
    n = args.size or (100 if args.quick else 1000)
    reps = 1 if args.quick else args.repeat
    me = Path(__file__)
    caches = CacheDirs()
    print(f"{n} QIF nodes, dense random coupling (J={J}, seed {SEED}), 10 time units, dt 1e-3, Euler, r of all "
          f"nodes at 1e-2; PyRates {peer_version('pyrates')}; {machine_note()}", flush=True)
    try:
        nd_file, pr_file = str(caches.root / "nd.npz"), str(caches.root / "pr.npz")
        runs = {"nd_warm": [], "nd_cold": [], "pr": []}
        # the first neurodyn run (untimed) primes the warm cache; the first timed runs save the trajectories
        runs["nd_cold"].append(run_worker(me, "neurodyn", ["--size", n, "--save", nd_file], caches.cold()))
        for r in range(reps):
            runs["pr"].append(run_worker(me, "pyrates", ["--size", n] + (["--save", pr_file] if r == 0 else [])))
            if r == 0:
                ok, rows = compare(nd_file, pr_file)
                print_table(["output", "max |neurodyn - PyRates|", "max |PyRates|", "verdict"], rows,
                            "Trajectory check (same model, weights, step, duration, solver, float64)")
                if not ok:
                    print("Results differ: not timing different work.")
                    return 1
                # warm cache: the cold run above wrote its kernels into its own directory; prime the warm one
                run_worker(me, "neurodyn", ["--size", n, "--mode", "sim", "--repeat", 0], caches.warm())
            runs["nd_warm"].append(run_worker(me, "neurodyn", ["--size", n], caches.warm()))
            if r > 0:
                runs["nd_cold"].append(run_worker(me, "neurodyn", ["--size", n], caches.cold()))
            print(f"  round {r + 1}/{reps}: PyRates {runs['pr'][-1]['wall']:.2f} s, neurodyn warm "
                  f"{runs['nd_warm'][-1]['wall']:.2f} s, neurodyn cold {runs['nd_cold'][-1]['wall']:.2f} s",
                  flush=True)
        nd_sim = run_worker(me, "neurodyn", ["--size", n, "--mode", "sim", "--repeat", max(1, min(reps, 3))],
                            caches.warm())["sim_s"]
        pr_sim = [t for x in runs["pr"] for t in x["sim_s"]]
        pr_wall = median(x["wall"] for x in runs["pr"])

        def row(label, key):
            xs = runs[key]
            w = median(x["wall"] for x in xs)
            g = lambda k: fmt_s(median(x.get(k, float("nan")) for x in xs))  # noqa: E731
            return [label, fmt_s(w), g("import_s"), g("edges_s"), g("circuit_s"), g("compile_s"), g("run_s"),
                    fmt_mb(median(x["maxrss_mb"] for x in xs)), "1.0x" if key == "pr" else ratio(pr_wall, w)]
        print_table(["fresh process", "wall", "import", "edge list", "CircuitTemplate", "compile", "run",
                     "peak RSS", "PyRates / this"],
                    [row("neurodyn, warm kernel cache", "nd_warm"), row("neurodyn, cold cache", "nd_cold"),
                     row("PyRates (Population+Connectivity)", "pr")],
                    f"end to end, median of {reps} ({len(runs['nd_cold'])} cold)")
        nd_m, pr_m = median(nd_sim), median(pr_sim)
        print_table(["simulation phase", "median", "n"],
                    [["neurodyn Model.run (compiled)", fmt_s(nd_m), len(nd_sim)],
                     ["PyRates ComputeGraph.run", fmt_s(pr_m), len(pr_sim)],
                     ["PyRates / neurodyn", ratio(pr_m, nd_m), ""]], "simulation phase once built")
        r_e = pr_wall / median(x["wall"] for x in runs["nd_warm"])
        r_s = pr_m / nd_m
        print(f"\nTargets >= 3x: end to end {r_e:.2f}x -> {'MET' if r_e >= 3 else 'NOT MET'}; simulation "
              f"{r_s:.2f}x -> {'MET' if r_s >= 3 else 'NOT MET'}")
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
