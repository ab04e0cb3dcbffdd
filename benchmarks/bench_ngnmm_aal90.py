"""Benchmark: the E/I next-generation neural mass (library 'ei_ping_pop') on the 90-region AAL connectome.

Work: Delicado, Huguet & Clusella (2025)'s node (REFERENCE section 3) in each of the 90 AAL regions, row-
normalised structural connectivity (../shared/data/aal90), long-range coupling s_e -> s_net with eps = 10,
I_ext_e = 10 (PING regime), no delays, 1 s simulated at dt = 0.01 ms (100 000 steps), Euler and Heun,
r_e and v_e of every region recorded every 0.1 ms. Targets: under 0.5 s of simulation time (the seed
document quotes 12 s and 200 MB for this workload), peak memory reported.

There is no peer simulator for this model (TVB has no such node); the seed document's numbers are the only
reference. Each run is a fresh subprocess (peak RSS per run); Euler and Heun alternate; medians are reported.
Exit status 2 when the AAL90 data are missing.

Run:  PYTHONPATH=src /tmp/peers/bin/python benchmarks/bench_ngnmm_aal90.py [--repeats 3] [--duration 1000]
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

AAL90 = HERE.parent / ".." / "shared" / "data" / "aal90"
DT = 0.01
SAMPLE = 0.1
EPS = 10.0
I_EXT_E = 10.0
TARGET = 0.5


def worker(name: str, out: str, duration: float) -> None:
    t_start = time.perf_counter()
    from neurodyn.network import BrainNetwork, Connectome, Coupling

    conn = Connectome.from_aal90(AAL90).normalise("rows")
    net = BrainNetwork("ei_ping_pop", conn, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    kw = dict(solver=name, variables=["ei_ping_op/r_e", "ei_ping_op/v_e"],
              params={"ei_ping_op/eps": EPS, "ei_ping_op/I_ext_e": I_EXT_E}, initial="random", seed=1,
              progress=False)
    net.simulate(2 * SAMPLE, DT, sampling_step_size=SAMPLE, **kw)   # load the kernel (first call): set-up
    setup = time.perf_counter() - t_start
    t0 = time.perf_counter()
    ds = net.simulate(duration, DT, sampling_step_size=SAMPLE, **kw)
    sim = time.perf_counter() - t0
    r = ds["r_e"].values
    np.savez(out, r_e=r)
    common.worker_done(sim_time=sim, setup_time=setup, mean_r_e=float(r.mean()), ptp=float(np.ptp(r[-1000:])))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worker")
    ap.add_argument("--out")
    ap.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.out, args.duration)
        return 0
    if not (AAL90 / "sc2017.dat").is_file():
        print(f"ERROR: AAL90 data not found at {AAL90.resolve()}", file=sys.stderr)
        return 2
    print(f"ei_ping_pop x 90 AAL regions (row-normalised), eps = {EPS}, I_ext_e = {I_EXT_E}, dt = {DT} ms, "
          f"{args.duration:g} ms ({int(round(args.duration / DT))} steps), r_e and v_e every {SAMPLE} ms")
    print(common.load_average())
    results = {"euler": [], "heun": []}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        common.run_worker(__file__, "heun", Path(tmp) / "warm.npz", ["--duration", "1"])
        common.run_worker(__file__, "euler", Path(tmp) / "warm.npz", ["--duration", "1"])
        print(f"warm-up (fills the kernel cache if empty): {time.perf_counter() - t0:.2f} s")
        last = {}
        for rep in range(args.repeats):
            for n in (("euler", "heun") if rep % 2 == 0 else ("heun", "euler")):
                f = Path(tmp) / f"{n}.npz"
                info = common.run_worker(__file__, n, f, ["--duration", str(args.duration)])
                results[n].append(info)
                last[n] = np.load(f)["r_e"]
                print(f"  round {rep}: {n:<6} sim {info['sim_time']:7.3f} s   end-to-end {info['end_to_end']:7.3f} s"
                      f"   peak RSS {info['maxrss_mb']:7.1f} MB   (oscillation amplitude of r_e {info['ptp']:.3f})",
                      flush=True)
        d = np.abs(last["euler"] - last["heun"]).max()
        print(f"max |r_e(Euler) - r_e(Heun)| = {d:.3g} (not an error measure: the two schemes drift in oscillation phase over 1 s)")
    print("\nMedians (seconds; peak RSS in MB):")
    print(common.table(results))
    for n in results:
        s = common.median(results[n], "sim_time")
        per_second = s * 1000.0 / args.duration
        print(f"{n}: {s:.3f} s of simulation for {args.duration:g} ms = {per_second:.3f} s per simulated second "
              f"-> target < {TARGET} s {'met' if per_second < TARGET else 'MISSED'}; "
              f"{s / (args.duration / DT) * 1e6:.1f} us per step")
    print(common.load_average())
    return 0


if __name__ == "__main__":
    sys.exit(main())
