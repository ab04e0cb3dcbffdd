"""Benchmark: Montbrió-Pazó-Roxin network on TVB's 76-region connectome with delays, neurodyn vs TVB.

Same work for every contender: tvb-data's 76-region connectome, delays = tract length / 3 mm/ms rounded to
whole steps (TVB's convention; neurodyn ``delay_mode='step'``), Linear coupling a = 2**-8 on r, TVB's MPR
defaults, deterministic Heun with r clipped at 0 after each stage, dt = 0.01 ms, 1 s simulated (100 000 steps),
r and V of every region recorded at every step, the same random constant initial history.

Contenders (each run in a fresh subprocess, alternated, ``--repeats`` times):

* ``neurodyn``: BrainNetwork(..., delay_mode='step').simulate(...) (compiled kernel loaded from the disk cache;
  a warm-up run fills the cache first and its compile time is reported separately);
* ``tvb_python``: TVB's Simulator with HeunDeterministic and a Raw monitor;
* ``tvb_numba``: TVB's NbMPRBackend (compatibility_mode=True; HeunStochastic with nsig = 0). It renders and
  compiles its kernel on every run: its ``sim_time`` is the integration loop alone, ``end_to_end`` includes it.

Before timing, the trajectories of the first round are compared (neurodyn vs numba backend: round-off;
vs Python simulator: its float32 history, see tests/network/test_network_tvb.py). Exit status: 0 on success,
2 when TVB is missing, 1 when the trajectories disagree.

Run:  PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_tvb_mpr76.py [--duration 1000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _tvb_bench_common as common  # noqa: E402

DT = 0.01
SPEED = 3.0
A = 0.00390625
TARGETS = {"tvb_python": 20.0, "tvb_numba": 8.0}


def worker(name: str, out: str, duration: float) -> None:
    t_start = time.perf_counter()
    r0, V0 = common.random_initial_state(76)
    if name == "neurodyn":
        from neurodyn.network import BrainNetwork, Coupling, load_connectome

        conn = load_connectome("tvb76")
        net = BrainNetwork(common.mpr_node(), conn, Coupling("mpr_op/r", "mpr_op/c_r", gain=A), speed=SPEED,
                           delay_mode="step")
        # load (or compile) the kernel and make Numba load its machine code (first call): set-up, not simulation
        net.simulate(2 * DT, DT, variables=["mpr_op/r"], progress=False)
        setup = time.perf_counter() - t_start
        t0 = time.perf_counter()
        ds = net.simulate(duration, DT, variables=["mpr_op/r", "mpr_op/V"], solver="heun",
                          initial={"mpr_op/r": r0, "mpr_op/V": V0}, bounds={"mpr_op/r": (0.0, None)},
                          progress=False)
        sim = time.perf_counter() - t0
        # align with TVB: neurodyn row k = state at k dt (k = 0..n-1); TVB row k-1 = state after step k
        np.savez(out, r=ds["r"].values[1:], V=ds["V"].values[1:])
    else:
        import _tvb_reference as tvbref
        from neurodyn.network import load_connectome

        backend = name.split("_")[1]
        conn = load_connectome("tvb76")
        res = tvbref.run_tvb_mpr(conn, duration, dt=DT, speed=SPEED, coupling_a=A, initial_history=(r0, V0),
                                 backend=backend, compatibility_mode=True)
        sim = res.settings["integrate_time"]
        setup = time.perf_counter() - t_start - res.wall_time
        np.savez(out, r=res.r[:-1], V=res.V[:-1])
    common.worker_done(sim_time=sim, setup_time=setup)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker")
    ap.add_argument("--out")
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip", default="", help="comma-separated contenders to leave out")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.out, args.duration)
        return 0
    common.require_tvb_or_exit(numba_backend=True)
    names = [n for n in ("neurodyn", "tvb_python", "tvb_numba") if n not in args.skip.split(",")]
    print(f"MPR, TVB 76-region connectome, delays at {SPEED} mm/ms, Heun dt = {DT} ms, {args.duration:g} ms "
          f"({int(round(args.duration / DT))} steps), r and V recorded every step")
    print(common.load_average())
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        warm = common.run_worker(__file__, "neurodyn", Path(tmp) / "warm.npz", ["--duration", "1"])
        print(f"neurodyn warm-up (fills the kernel cache if empty): {time.perf_counter() - t0:.2f} s end to end")
        results = {n: [] for n in names}
        files = {}
        for rep in range(args.repeats):
            for n in (names if rep % 2 == 0 else names[::-1]):     # alternate the order
                f = Path(tmp) / f"{n}_{rep}.npz"
                info = common.run_worker(__file__, n, f, ["--duration", str(args.duration)])
                results[n].append(info)
                print(f"  round {rep}: {n:<11} sim {info['sim_time']:8.3f} s   end-to-end {info['end_to_end']:8.3f} s"
                      f"   peak RSS {info['maxrss_mb']:7.1f} MB", flush=True)
                if rep == 0:
                    files[n] = f
            if rep == 0:
                print("Trajectory agreement (first round):")
                if not common.check_agreement(files):
                    print("ERROR: trajectories disagree; timings would not compare the same work", file=sys.stderr)
                    return 1
    print("\nMedians (seconds; peak RSS in MB):")
    print(common.table(results))
    nd_sim = common.median(results["neurodyn"], "sim_time")
    nd_e2e = common.median(results["neurodyn"], "end_to_end")
    for n, target in TARGETS.items():
        if n in results:
            rs = common.median(results[n], "sim_time") / nd_sim
            re = common.median(results[n], "end_to_end") / nd_e2e
            print(f"speed-up of neurodyn over {n}: simulation {rs:.1f}x, end to end {re:.1f}x "
                  f"(target >= {target:g}x on simulation time: {'met' if rs >= target else 'MISSED'})")
    print(common.load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
