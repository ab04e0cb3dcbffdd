"""Benchmark: Montbrió-Pazó-Roxin network on TVB's 76-region connectome with delays, neurodyn vs TVB.

Same work for every contender: tvb-data's 76-region connectome, delays = tract length / 3 mm/ms rounded to
whole steps (TVB's convention; neurodyn ``delay_mode='step'``), Linear coupling a = 2**-8 on r, TVB's MPR
defaults, deterministic Heun with r clipped at 0 after each stage, dt = 0.01 ms, 1 s simulated (100 000 steps),
r and V of every region recorded at every step, the same random constant initial history.

Contenders (each run in a fresh subprocess, alternated, ``--repeats`` times):

* ``neurodyn``: the script a user writes: import, connectome, BrainNetwork(..., delay_mode='step'),
  simulate(...), save; with a warm kernel cache (the normal case) and, once, first-ever (empty caches);
* ``tvb_python``: TVB's Simulator with HeunDeterministic and a Raw monitor;
* ``tvb_numba``: TVB's NbMPRBackend (compatibility_mode=True; HeunStochastic with nsig = 0). It renders and
  compiles its kernel on every run.

Headline: the whole process (interpreter start to exit). Below it, the phases, and the simulation phase: for
neurodyn a second simulate() after a warm-up call in the same process (``--worker neurodyn_sim``; not what a
script pays, the kernel being loaded already), for TVB its time loop (numba: without rendering and compiling).
The historical targets (>= 20x TVB Python, >= 8x TVB numba) are stated on that phase.

Before timing, the trajectories of the first round are compared (neurodyn vs numba backend: round-off;
vs Python simulator: its float32 history, see tests/network/test_network_tvb.py). Exit status: 0 on success,
2 when TVB is missing, 1 when the trajectories disagree.

Run:  PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_tvb_mpr76.py [--duration 1000] [--repeats 3] [--quick]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _tvb_bench_common as common  # noqa: E402
from _common import CacheDirs, Phases, median  # noqa: E402

DT = 0.01
SPEED = 3.0
A = 0.00390625
TARGETS = {"tvb_python": 20.0, "tvb_numba": 8.0}


def worker(name: str, out: str, duration: float) -> None:
    import numpy as np

    ph = Phases(T0)
    from neurodyn.network import load_connectome
    if name.startswith("neurodyn"):
        from neurodyn.network import BrainNetwork, Coupling
    else:
        import _tvb_reference as tvbref
    ph.mark("import")
    r0, V0 = common.random_initial_state(76)
    conn = load_connectome("tvb76")
    if name.startswith("neurodyn"):
        net = BrainNetwork(common.mpr_node(), conn, Coupling("mpr_op/r", "mpr_op/c_r", gain=A), speed=SPEED,
                           delay_mode="step")
        ph.mark("build")
        if name == "neurodyn_sim":     # phase measurement only: load the kernel first (not what a script does)
            net.simulate(2 * DT, DT, variables=["mpr_op/r"], progress=False)
            ph.mark("warm-up")
        t0 = time.perf_counter()
        ds = net.simulate(duration, DT, variables=["mpr_op/r", "mpr_op/V"], solver="heun",
                          initial={"mpr_op/r": r0, "mpr_op/V": V0}, bounds={"mpr_op/r": (0.0, None)},
                          progress=False)
        sim = time.perf_counter() - t0
        ph.mark("simulate")
        # align with TVB: neurodyn row k = state at k dt (k = 0..n-1); TVB row k-1 = state after step k
        np.savez(out, r=ds["r"].values[1:], V=ds["V"].values[1:])
    else:
        ph.mark("build")
        res = tvbref.run_tvb_mpr(conn, duration, dt=DT, speed=SPEED, coupling_a=A, initial_history=(r0, V0),
                                 backend=name.split("_")[1], compatibility_mode=True)
        sim = res.settings["integrate_time"]
        ph.mark("simulate")
        np.savez(out, r=res.r[:-1], V=res.V[:-1])
    ph.mark("save")
    common.worker_done(sim_time=sim, setup_time=time.perf_counter() - T0 - sim, **ph.result())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker")
    ap.add_argument("--out")
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip", default="", help="comma-separated contenders to leave out")
    ap.add_argument("--quick", action="store_true", help="50 ms, one round (smoke test)")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.repeats = 50.0, 1
    if args.worker:
        worker(args.worker, args.out, args.duration)
        return 0
    common.require_tvb_or_exit(numba_backend=True)
    names = [n for n in ("neurodyn", "tvb_python", "tvb_numba") if n not in args.skip.split(",")]
    print(f"MPR, TVB 76-region connectome, delays at {SPEED} mm/ms, Heun dt = {DT} ms, {args.duration:g} ms "
          f"({int(round(args.duration / DT))} steps), r and V recorded every step")
    print(common.load_average())
    extra = ["--duration", str(args.duration)]
    caches = CacheDirs()
    results = {n: [] for n in names}
    nd_sim = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            cold = common.run_worker(__file__, "neurodyn", tmp / "cold.npz", extra, env=caches.cold())
            print(f"first-ever neurodyn (empty caches): end-to-end {cold['end_to_end']:.2f} s, peak RSS "
                  f"{cold['maxrss_mb']:.0f} MB")
            common.run_worker(__file__, "neurodyn", tmp / "warm.npz", ["--duration", "1"], env=caches.warm())
            files = {}
            for rep in range(args.repeats):
                for n in (names if rep % 2 == 0 else names[::-1]):     # alternate the order
                    f = tmp / f"{n}_{rep}.npz"
                    info = common.run_worker(__file__, n, f, extra, env=caches.warm() if n == "neurodyn" else None)
                    results[n].append(info)
                    print(f"  round {rep}: {n:<11} end-to-end {info['end_to_end']:8.3f} s   sim {info['sim_time']:8.3f} s"
                          f"   peak RSS {info['maxrss_mb']:7.1f} MB", flush=True)
                    if rep == 0:
                        files[n] = f
                if "neurodyn" in names:
                    nd_sim.append(common.run_worker(__file__, "neurodyn_sim", tmp / "sim.npz", extra,
                                                    env=caches.warm())["sim_time"])
                if rep == 0:
                    print("Trajectory agreement (first round):")
                    if not common.check_agreement(files):
                        print("ERROR: trajectories disagree; timings would not compare the same work", file=sys.stderr)
                        return 1
    finally:
        caches.cleanup()
    e2e = {n: common.median(rs, "end_to_end") for n, rs in results.items()}
    print(f"\nHEADLINE: the whole process, median of {args.repeats} (seconds; ratio = peer / neurodyn)")
    if "neurodyn" in e2e:
        print(f"  neurodyn, warm kernel cache : {e2e['neurodyn']:8.3f} s")
        print(f"  neurodyn, first-ever        : {cold['end_to_end']:8.3f} s (one run, empty caches)")
    for n in names:
        if n != "neurodyn" and "neurodyn" in e2e:
            print(f"  {n:<28}: {e2e[n]:8.3f} s -> {e2e[n] / e2e['neurodyn']:.1f}x (warm), "
                  f"{e2e[n] / cold['end_to_end']:.1f}x (first-ever)")
    print("\nPhases (medians, seconds; neurodyn's simulate() includes loading its kernel from the cache):")
    print(f"{'contender':<14}{'import':>9}{'build':>9}{'simulate':>10}{'save':>8}{'peak RSS':>10}")
    for n, rs in results.items():
        ph = {k: median([r["phases"][k] for r in rs]) for k in ("import", "build", "simulate", "save")}
        print(f"{n:<14}{ph['import']:9.2f}{ph['build']:9.2f}{ph['simulate']:10.3f}{ph['save']:8.2f}"
              f"{common.median(rs, 'maxrss_mb'):10.0f}")
    if nd_sim:
        s = median(nd_sim)
        print(f"\nSimulation phase (neurodyn: simulate() after a warm-up call in the same process, median of "
              f"{len(nd_sim)}: {s:.3f} s; TVB: its time loop):")
        for n, target in TARGETS.items():
            if n in results:
                rs = common.median(results[n], "sim_time") / s
                print(f"  speed-up over {n}: {rs:.1f}x (historical target >= {target:g}x on this phase: "
                      f"{'met' if rs >= target else 'MISSED'})")
    print(common.load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
