"""neurodyn.spiking vs Brian2: the all-to-all QIF network of MPR 2015, N = 1e4, 10 tau at dt = 1e-4 with the
population rate recorded, and neurodyn alone at N = 1e5 and 1e6 (1 tau) for the scaling.

Both sides run the same discrete scheme (forward Euler, V_p = -V_r = 100, refractory 2 tau/V_p with the spike in
its middle, deterministic Lorentzian eta_bar = -5, Delta = 1, J = 15; benchmarks/_brian2_qif.py), so their
per-step spike counts are compared first and must be identical. Brian2's all-to-all coupling is written in its
O(N) form (every neuron projects to one counter neuron whose count is applied to the group each step: the same
work as neurodyn's population-rate coupling; N^2 Synapses would need 1e8 synapses). Brian2 runs in its two
compiled targets: 'cython' (runtime mode) and 'cpp_standalone' (a C++ project built and run per process).

Measures, in fresh processes alternating the sides: wall and CPU time of the whole process, its phases
(import, build, run; for cpp_standalone the run includes generating and compiling the C++ project, and Brian2's
own timing of the compiled loop is reported separately) and peak resident memory. neurodyn uses a warm kernel
cache (the first, untimed run compiles it); Brian2's Cython extensions are cached too after the first run.
Issue targets: >= 10x faster than Brian2's fastest target, memory no more than Brian2's; N = 1e6 time and memory
growing linearly in N.

Run: ``PYTHONPATH=src python benchmarks/bench_brian2_qif.py [--repeat 3] [--quick] [--no-standalone]``
Exit status: 0 ok, 1 spike counts differ, 2 Brian2 (or neurodyn) not importable.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
from _common import (CacheDirs, Phases, emit, fmt_mb, fmt_s, fmt_wc, machine_note, median, peer_version,  # noqa: E402
                     print_table, ratio, require_peer, run_worker)

TAU, ETA, DELTA, J, VP = 1.0, -5.0, 1.0, 15.0, 100.0
DT = 1e-4
M1 = M2 = 100                     # tau/V_p in steps of 1e-4


def _etas(n: int):
    from neurodyn.spiking import lorentzian_quantiles
    return lorentzian_quantiles(n, ETA, DELTA)


# ---------------------------------------------------------------------------------------------------- workers
def worker_neurodyn(args) -> None:
    import numpy as np
    ph = Phases(T0)
    from neurodyn.spiking import Population, SpikingNetwork
    ph.mark("import")
    net = SpikingNetwork([Population("p", args.size, eta=ETA, delta=DELTA, r0=0.0, v0=-2.0)],
                         coupling={("p", "p"): J})
    ph.mark("build")
    w, c = time.perf_counter(), time.process_time()
    ds = net.run(args.duration, DT, spikes=False, sampling_step_size=0.01)
    sim = (time.perf_counter() - w, time.process_time() - c)
    ph.mark("run")
    if args.save:
        np.savez(args.save, counts=ds["spike_count"].values[:, 0])
    # the time loop: the kernel calls alone (as Brian2's cpp_standalone times its compiled loop)
    emit(sim=sim, loop=float(ds.attrs["kernel_time_s"]), setup=float(ds.attrs["wall_time_s"]) - float(
        ds.attrs["kernel_time_s"]), spikes=int(ds.attrs["spikes_total"]), **ph.result())


def worker_brian2(args) -> None:
    import numpy as np
    ph = Phases(T0)
    import _brian2_qif as b2qif
    b2qif.import_brian2()
    ph.mark("import")
    n_steps = int(round(args.duration / DT))
    out = b2qif.run_brian2_qif(_etas(args.size), np.full(args.size, -2.0), n_steps, DT, tau=TAU, J=J, v_peak=VP,
                               v_reset=-VP, m1=M1, m2=M2, coupling="population", target=args.mode,
                               directory=args.directory, record_spikes=False)
    ph.mark("run")
    if args.save:
        np.savez(args.save, counts=out["counts"])
    emit(sim=(out["seconds"], None), loop=out["loop_seconds"], build=out["build_seconds"],
         spikes=int(out["counts"].sum()), **ph.result())


# ----------------------------------------------------------------------------------------------------- parent
def counts_agree(nd_file: str, b2_file: str, n_steps: int) -> tuple[bool, str]:
    """neurodyn counts emissions (m1 steps after Brian2's threshold crossings): shift and compare exactly."""
    import numpy as np
    a = np.load(nd_file)["counts"]
    b = np.load(b2_file)["counts"]
    shifted = np.zeros(n_steps, dtype=np.int64)
    shifted[M1:] = b[:n_steps - M1]
    bad = np.flatnonzero(a != shifted)
    if bad.size:
        return False, f"{bad.size} steps differ (first at step {bad[0]}: {a[bad[0]]} vs {shifted[bad[0]]})"
    return True, f"identical at all {n_steps} steps ({int(a.sum())} spikes)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per side (default 3); medians reported")
    ap.add_argument("--quick", action="store_true", help="smaller problem and one repetition (smoke test)")
    ap.add_argument("--no-standalone", action="store_true", help="skip Brian2's cpp_standalone target")
    ap.add_argument("--blas-threads", type=int, default=1, help="thread count of BLAS/OpenMP in the workers")
    ap.add_argument("--worker", choices=("neurodyn", "brian2"), help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="cython", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, default=10_000, help=argparse.SUPPRESS)
    ap.add_argument("--duration", type=float, default=10.0, help=argparse.SUPPRESS)
    ap.add_argument("--save", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--directory", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        (worker_neurodyn if args.worker == "neurodyn" else worker_brian2)(args)
        return 0
    require_peer("brian2")
    _common.BLAS_THREADS = args.blas_threads
    reps = 1 if args.quick else args.repeat
    N, T = (2000, 1.0) if args.quick else (10_000, 10.0)
    n_steps = int(round(T / DT))
    big = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    me = Path(__file__)
    caches = CacheDirs()
    targets = ["cython"] + ([] if args.no_standalone else ["cpp_standalone"])
    print(f"QIF all-to-all, N = {N}, {T:g} tau at dt = {DT:g} ({n_steps} steps), population rate only; "
          f"Brian2 {peer_version('brian2')}; {machine_note()}")
    common = ["--size", N, "--duration", T]
    sa_dir = str(caches.root / "standalone")
    try:
        # correctness first (also primes neurodyn's kernel cache and Brian2's Cython cache; not timed)
        nd_file = str(caches.root / "nd.npz")
        run_worker(me, "neurodyn", common + ["--save", nd_file], caches.warm())
        rows, ok = [], True
        for tg in targets:
            f = str(caches.root / f"b2_{tg}.npz")
            run_worker(me, "brian2", common + ["--mode", tg, "--save", f, "--directory", sa_dir])
            same, msg = counts_agree(nd_file, f, n_steps)
            ok &= same
            rows.append([f"Brian2 {tg}", msg])
        print_table(["peer", "spike counts per step vs neurodyn"], rows, "Check (same network, input and step)")
        if not ok:
            print("Spike counts differ: not timing different work.")
            return 1

        runs = {"nd": [], **{tg: [] for tg in targets}}
        for r in range(reps):
            runs["nd"].append(run_worker(me, "neurodyn", common, caches.warm()))
            for tg in targets:
                runs[tg].append(run_worker(me, "brian2", common + ["--mode", tg, "--directory", sa_dir]))
            print(f"  round {r + 1}/{reps}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s" for k, v in runs.items()),
                  flush=True)
        med = {k: {q: median(x[q] for x in v) for q in ("wall", "cpu", "maxrss_mb")} for k, v in runs.items()}
        sim = {k: median(x["sim"][0] for x in v) for k, v in runs.items()}
        loop = {k: median(x.get("loop", x["sim"][0]) for x in v) for k, v in runs.items()}
        label = {"nd": "neurodyn.spiking (warm cache)", "cython": "Brian2 cython (runtime)",
                 "cpp_standalone": "Brian2 cpp_standalone"}
        table = []
        for k in runs:
            m = med[k]
            imp = median(x["phases"]["import"] for x in runs[k])
            table.append([label[k], fmt_wc(m["wall"], m["cpu"]), fmt_s(imp), fmt_s(sim[k]), fmt_s(loop[k]),
                          fmt_mb(m["maxrss_mb"])])
        print_table(["fresh process (median)", "wall (cpu)", "import", "run() incl. build", "time loop",
                     "peak RSS"], table, f"N = {N}, {T:g} tau, median of {reps} (time loop: neurodyn's kernel calls; "
                    f"Brian2 cython: its run(); cpp_standalone: Brian2's timing of the compiled loop)")
        fastest = min(targets, key=lambda k: loop[k])
        fastest_e2e = min(targets, key=lambda k: med[k]["wall"])
        r_loop = loop[fastest] / loop["nd"]
        r_e2e = med[fastest_e2e]["wall"] / med["nd"]["wall"]
        mem_ok = med["nd"]["maxrss_mb"] <= min(med[k]["maxrss_mb"] for k in targets)
        print(f"\nfastest Brian2 time loop: {fastest} ({fmt_s(loop[fastest])}); neurodyn's loop "
              f"{fmt_s(loop['nd'])}: {ratio(loop[fastest], loop['nd'])}; end to end vs the fastest Brian2 process "
              f"({fastest_e2e}): {ratio(med[fastest_e2e]['wall'], med['nd']['wall'])}; peak RSS neurodyn "
              f"{fmt_mb(med['nd']['maxrss_mb'])} vs Brian2 "
              + ", ".join(f"{k} {fmt_mb(med[k]['maxrss_mb'])}" for k in targets))

        # scaling: neurodyn alone, 1 tau
        rows, per = [], []
        for n in big:
            res = [run_worker(me, "neurodyn", ["--size", n, "--duration", 1.0], caches.warm())
                   for _ in range(1 if args.quick or n >= 1_000_000 else reps)]
            w = median(x["loop"] for x in res)
            ns = w / (n * 1e4) * 1e9
            per.append(ns)
            rows.append([f"{n:.0e}", fmt_s(w), f"{ns:.3f} ns", fmt_s(median(x["sim"][0] for x in res)),
                         fmt_mb(median(x["maxrss_mb"] for x in res)), fmt_s(median(x["wall"] for x in res))])
        print_table(["N", "time loop (1 tau, 1e4 steps)", "per neuron and step", "run() total", "peak RSS",
                     "process wall"], rows, "neurodyn scaling, all-to-all, population rate only")
        print(f"\nTargets: >= 10x faster than Brian2's fastest target: time loop {r_loop:.1f}x, end to end "
              f"{r_e2e:.1f}x -> {'MET' if min(r_loop, r_e2e) >= 10 else 'NOT MET'}; memory no more than Brian2's: "
              f"{'MET' if mem_ok else 'NOT MET'}; cost per neuron and step from N = {big[0]:.0e} to {big[-1]:.0e}: "
              f"{per[0]:.2f} -> {per[-1]:.2f} ns ({per[-1] / per[0]:.1f}x; linear in N means constant)")
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
