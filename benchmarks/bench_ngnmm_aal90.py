"""Benchmark: the E/I next-generation neural mass (library 'ei_ping_pop') on the 90-region AAL connectome.

Work: Delicado, Huguet & Clusella (2025)'s node (REFERENCE section 3) in each of the 90 AAL regions, row-
normalised structural connectivity ($NEURODYN_DATA/aal90 or ../shared/data/aal90), long-range coupling
s_e -> s_net with eps = 10, I_ext_e = 10 (PING regime), no delays, 1 s simulated at dt = 0.01 ms (100 000
steps), Euler and Heun, r_e and v_e of every region recorded every 0.1 ms. Target: under 0.5 s of simulation
time per simulated second (the seed document quotes 12 s and 200 MB for this workload), peak memory reported.

There is no peer simulator for this model (TVB has no such node); the seed document's numbers are the only
reference. Headline: the whole process (interpreter start, imports, connectome, network, kernel load, the run),
with a warm kernel cache and, once per solver, first-ever (empty caches). Below it the phases, and the
simulation phase of a second simulate() after a warm-up call in the same process (``--worker <solver>_sim``: not
what a script pays), on which the target is stated. Each run is a fresh subprocess (peak RSS per run); Euler and
Heun alternate; medians are reported. Exit status 2 when the AAL90 data are missing.

Run:  PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_ngnmm_aal90.py [--repeats 3] [--duration 1000]
      [--quick]  (100 ms, one round)
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

#: $NEURODYN_DATA/aal90 when that variable is set, else ../shared/data/aal90 next to the checkout
AAL90 = common.data_dir() / "aal90"
DT = 0.01
SAMPLE = 0.1
EPS = 10.0
I_EXT_E = 10.0
TARGET = 0.5


def worker(name: str, out: str, duration: float) -> None:
    import numpy as np

    ph = Phases(T0)
    from neurodyn.network import BrainNetwork, Connectome, Coupling
    ph.mark("import")
    solver, phase_only = name.split("_")[0], name.endswith("_sim")
    conn = Connectome.from_aal90(AAL90).normalise("rows")
    net = BrainNetwork("ei_ping_pop", conn, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    kw = dict(solver=solver, variables=["ei_ping_op/r_e", "ei_ping_op/v_e"],
              params={"ei_ping_op/eps": EPS, "ei_ping_op/I_ext_e": I_EXT_E}, initial="random", seed=1,
              progress=False)
    ph.mark("build")
    if phase_only:      # phase measurement only: load the kernel first (not what a script does)
        net.simulate(2 * SAMPLE, DT, sampling_step_size=SAMPLE, **kw)
        ph.mark("warm-up")
    t0 = time.perf_counter()
    ds = net.simulate(duration, DT, sampling_step_size=SAMPLE, **kw)
    sim = time.perf_counter() - t0
    ph.mark("simulate")
    r = ds["r_e"].values
    np.savez(out, r_e=r)
    ph.mark("save")
    common.worker_done(sim_time=sim, setup_time=time.perf_counter() - T0 - sim, mean_r_e=float(r.mean()),
                       ptp=float(np.ptp(r[-min(1000, len(r)):])), **ph.result())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker")
    ap.add_argument("--out")
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100 ms, one round (smoke test)")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.repeats = 100.0, 1
    if args.worker:
        worker(args.worker, args.out, args.duration)
        return 0
    import numpy as np
    if not (AAL90 / "sc2017.dat").is_file():
        print(f"ERROR: AAL90 data not found at {AAL90.resolve()} (set NEURODYN_DATA)", file=sys.stderr)
        return 2
    print(f"ei_ping_pop x 90 AAL regions (row-normalised), eps = {EPS}, I_ext_e = {I_EXT_E}, dt = {DT} ms, "
          f"{args.duration:g} ms ({int(round(args.duration / DT))} steps), r_e and v_e every {SAMPLE} ms")
    print(common.load_average())
    extra = ["--duration", str(args.duration)]
    solvers = ("euler", "heun")
    results = {n: [] for n in solvers}
    sims = {n: [] for n in solvers}
    cold = {}
    caches = CacheDirs()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            for n in solvers:
                cold[n] = common.run_worker(__file__, n, tmp / "cold.npz", extra, env=caches.cold())
                common.run_worker(__file__, n, tmp / "warm.npz", ["--duration", "1"], env=caches.warm())
                print(f"first-ever {n}: end-to-end {cold[n]['end_to_end']:.2f} s", flush=True)
            last = {}
            for rep in range(args.repeats):
                for n in (solvers if rep % 2 == 0 else solvers[::-1]):
                    f = tmp / f"{n}.npz"
                    info = common.run_worker(__file__, n, f, extra, env=caches.warm())
                    results[n].append(info)
                    sims[n].append(common.run_worker(__file__, f"{n}_sim", tmp / "sim.npz", extra,
                                                     env=caches.warm())["sim_time"])
                    last[n] = np.load(f)["r_e"]
                    print(f"  round {rep}: {n:<6} end-to-end {info['end_to_end']:7.3f} s   simulate() "
                          f"{info['sim_time']:7.3f} s   peak RSS {info['maxrss_mb']:7.1f} MB   (oscillation amplitude "
                          f"of r_e {info['ptp']:.3f})", flush=True)
            d = np.abs(last["euler"] - last["heun"]).max()
            print(f"max |r_e(Euler) - r_e(Heun)| = {d:.3g} (not an error measure: the two schemes drift in "
                  "oscillation phase over 1 s)")
    finally:
        caches.cleanup()
    print(f"\nHEADLINE: the whole process, median of {args.repeats} (seconds)")
    for n in solvers:
        print(f"  {n:<6}: warm kernel cache {common.median(results[n], 'end_to_end'):7.3f} s, first-ever "
              f"{cold[n]['end_to_end']:7.3f} s, peak RSS {common.median(results[n], 'maxrss_mb'):.0f} MB")
    print("\nPhases (medians, seconds; simulate() includes loading the kernel from the cache):")
    print(f"{'solver':<8}{'import':>9}{'build':>9}{'simulate':>10}{'save':>8}")
    for n in solvers:
        ph = {k: median([r["phases"][k] for r in results[n]]) for k in ("import", "build", "simulate", "save")}
        print(f"{n:<8}{ph['import']:9.2f}{ph['build']:9.2f}{ph['simulate']:10.3f}{ph['save']:8.2f}")
    print("\nSimulation phase (a second simulate() after a warm-up call in the same process):")
    for n in solvers:
        s = median(sims[n])
        per_second = s * 1000.0 / args.duration
        print(f"  {n}: {s:.3f} s for {args.duration:g} ms = {per_second:.3f} s per simulated second -> target < "
              f"{TARGET} s {'met' if per_second < TARGET else 'MISSED'}; {s / (args.duration / DT) * 1e6:.1f} us per step")
    print(common.load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
