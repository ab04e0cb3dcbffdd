"""Network sweeps: a swept point against a single BrainNetwork.simulate run of the same point, and points per
second against Dask workers.

Work:
  ei   the E/I model (ei_ping_pop, coupling ei_ping_op/s_e -> ei_ping_op/s_net, eps the coupling) on AAL90
       (self-connections removed, rows normalised), 8 x 8 points over (eps, I_ext_e), 500 ms each at dt 0.01 ms,
       Heun with noise 0.01 on v_e, samples every 0.1 ms, FC and dominant frequency of r_e after 100 ms;
  mpr  the TVB-equivalent MPR node on TVB's 998-region connectome, delays at 3 mm/ms (delay_mode 'step'), 16
       values of a global coupling factor on a = 2^-8 in [0.5, 2], deterministic Heun, r >= 0, dt 0.01 ms,
       ``--mpr-duration`` ms each (default 100), mean and FC of r;
  scale the E/I sweep (16 points, 200 ms) on a LocalCluster of 1 and 2 worker processes: points per second of
       the sweep call (cluster started beforehand).

Each side runs in a fresh process (warm kernel caches, primed by an untimed run): the sweep (``NetworkSweep.run``,
serial) and one single run of its first point (``BrainNetwork.simulate`` of ``sweep.point_arguments(0)``; its
first call, and a second call in the same process). Before timing, the first point of the sweep is compared with
the single run. Targets (issue 13): E/I per point >= 5x cheaper than a single run; MPR per point >= 3x cheaper
than single runs, peak memory < 2 GB.

Run: ``PYTHONPATH=src python benchmarks/bench_sweep_network.py [--repeat N] [--quick] [--only ei,mpr,scale]``
Exit status: 0 ok, 1 results differ, 2 data missing.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402
from _common import (CacheDirs, Phases, base_parser, emit, fmt_mb, fmt_wc, machine_note, median,  # noqa: E402
                     print_table, run_worker)

#: ../shared/data next to the checkout, or $NEURODYN_SHARED_DIR/data
SHARED = Path(__import__("os").environ.get("NEURODYN_SHARED_DIR") or HERE.parent / ".." / "shared") / "data"
AAL90 = SHARED / "aal90"
TVB998 = SHARED / "tvb998" / "connectivity_998.zip"


# ----------------------------------------------------------------------------------------------------- work
def ei_sweep(n_side: int, duration: float):
    import numpy as np
    from neurodyn.network import BrainNetwork, Connectome, Coupling
    from neurodyn.observables import FC, Spectrum
    from neurodyn.sweep import NetworkSweep
    conn = Connectome.from_aal90(AAL90).without_self_connections().normalise("rows")
    net = BrainNetwork("ei_ping_pop", conn, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    re = "ei_ping_op/r_e"
    discard = min(100.0, duration / 5)
    nperseg = int(min(2000, (duration - discard) / 0.1))
    return NetworkSweep(net, {"ei_ping_op/eps": np.linspace(1, 20, n_side), "ei_ping_op/I_ext_e":
                              np.linspace(1, 12, n_side)}, grid=True, simulation_time=duration, step_size=0.01,
                        sampling_step_size=0.1, noise={"ei_ping_op/v_e": 0.01}, discard=discard, seed=1,
                        observables=[FC(re), Spectrum(re, nperseg=nperseg, band=(2.0, 200.0))])


def mpr_sweep(n_points: int, duration: float):
    import numpy as np
    import _tvb_bench_common as tvbc
    from neurodyn.network import BrainNetwork, Coupling, load_connectome
    from neurodyn.observables import FC, Means
    from neurodyn.sweep import NetworkSweep
    conn = load_connectome(TVB998)
    r0, V0 = tvbc.random_initial_state(conn.n_regions)
    net = BrainNetwork(tvbc.mpr_node(), conn, Coupling("mpr_op/r", "mpr_op/c_r", gain=2.0 ** -8), speed=3.0,
                       delay_mode="step")
    return NetworkSweep(net, {"global_coupling": np.linspace(0.5, 2.0, n_points)}, simulation_time=duration,
                        step_size=0.01, sampling_step_size=0.1, initial={"mpr_op/r": r0, "mpr_op/V": V0},
                        bounds={"mpr_op/r": (0.0, None)}, seed=1, observables=[Means("mpr_op/r"), FC("mpr_op/r")])


def make(args):
    if args.mode == "ei":
        return ei_sweep(args.size, args.duration)
    return mpr_sweep(args.size, args.duration)


# ---------------------------------------------------------------------------------------------------- workers
def worker(args) -> None:
    import numpy as np
    ph = Phases(T0)
    sw = make(args)
    ph.mark("build")
    if args.side == "sweep":
        w = time.perf_counter()
        ds = sw.run(client="serial", progress=False)
        call = time.perf_counter() - w
        ph.mark("run")
        if args.save:
            np.savez(args.save, **{k: ds[k].values[0] for k in ds.data_vars if "point" in ds[k].dims
                                   and ds[k].dtype.kind == "f"})
        emit(call=call, points=sw.n_points, vectorise=sw.vectorise, block=sw.block_size, **ph.result())
    elif args.side == "single":
        net, kw = sw.point_arguments(0)
        w = time.perf_counter()
        one = net.simulate(progress=False, **kw)
        first = time.perf_counter() - w
        w = time.perf_counter()
        net.simulate(progress=False, **kw)
        second = time.perf_counter() - w
        ph.mark("run")
        if args.save:
            np.savez(args.save, **{k: one[k].values for k in one.data_vars})
        emit(call=first, second=second, points=1, **ph.result())
    else:                                            # scale: workers
        from distributed import Client, LocalCluster
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cl, Client(cl) as c:
            sw.run(client=c, progress=False)         # warm the workers (imports, kernels)
            w = time.perf_counter()
            sw.run(client=c, progress=False)
            call = time.perf_counter() - w
        ph.mark("run")
        emit(call=call, points=sw.n_points, **ph.result())


# ----------------------------------------------------------------------------------------------------- parent
def compare(sweep_file: str, single_file: str) -> tuple[bool, list]:
    import numpy as np
    a, b = np.load(sweep_file), np.load(single_file)
    rows, ok = [], True
    for k in a.files:
        d = float(np.nanmax(np.abs(a[k] - b[k])))
        scale = float(np.nanmax(np.abs(b[k])))
        good = d <= 1e-8 * max(scale, 1e-300) + 1e-12
        ok &= good
        rows.append([k, f"{d:.3e}", f"{scale:.3e}", "ok" if good else "DIFFER"])
    return ok, rows


def bench_points(me, mode: str, size: int, duration: float, reps: int, caches) -> bool:
    args = ["--mode", mode, "--size", size, "--duration", duration]
    f_sw, f_one = str(caches.root / f"{mode}_sweep.npz"), str(caches.root / f"{mode}_single.npz")
    sw0 = run_worker(me, "neurodyn", args + ["--side", "sweep", "--save", f_sw], caches.warm())
    run_worker(me, "neurodyn", args + ["--side", "single", "--save", f_one], caches.warm())
    ok, rows = compare(f_sw, f_one)
    print_table(["result of point 0", "max |sweep - single run|", "max |single run|", "verdict"], rows,
                f"{mode}: the first swept point against its single run")
    if not ok:
        print("Results differ: the timings below are not of identical work.")
        return False
    res = {"sweep": [], "single": []}
    for r in range(reps):
        for side in ("sweep", "single"):
            res[side].append(run_worker(me, "neurodyn", args + ["--side", side], caches.warm()))
    n = sw0["points"]
    s, o = res["sweep"], res["single"]
    per_point = median(x["call"] for x in s) / n
    per_point_e2e = median(x["wall"] for x in s) / n
    first, second = median(x["call"] for x in o), median(x["second"] for x in o)
    rows = [["sweep (serial), per point", fmt_wc(per_point, median(x["cpu_phases"]["run"] for x in s) / n),
             fmt_wc(per_point_e2e, median(x["cpu"] for x in s) / n), fmt_mb(median(x["maxrss_mb"] for x in s)),
             f"{n} points, blocks of {sw0['block']}, {'vectorised' if sw0['vectorise'] else 'one by one'}"],
            ["single simulate, first call", fmt_wc(first, median(x["cpu_phases"]["run"] for x in o)),
             fmt_wc(median(x["wall"] for x in o), median(x["cpu"] for x in o)),
             fmt_mb(median(x["maxrss_mb"] for x in o)), f"second call in the process: {second:.3f} s"]]
    print_table(["", "run (wall (cpu))", "whole process", "peak RSS", "note"], rows,
                f"{mode}: {n} points of {duration:g} ms, median of {reps}")
    target = 5.0 if mode == "ei" else 3.0
    print(f"per point vs a single run: {first / per_point:.2f}x the first call, {second / per_point:.2f}x a "
          f"second call, {median(x['wall'] for x in o) / per_point_e2e:.2f}x whole process "
          f"(target >= {target:g}x) -> {'MET' if second / per_point >= target else 'NOT MET'}")
    if mode == "mpr":
        peak = median(x["maxrss_mb"] for x in s)
        print(f"MPR sweep peak memory {peak:.0f} MB (target < 2048 MB) -> {'MET' if peak < 2048 else 'NOT MET'}")
    return True


def bench_scale(me, size: int, duration: float, reps: int, caches) -> None:
    rows = []
    base = None
    for nw in (1, 2):
        res = [run_worker(me, "neurodyn", ["--mode", "ei", "--size", size, "--duration", duration, "--side", "scale",
                                           "--workers", nw], caches.warm()) for _ in range(reps)]
        call = median(x["call"] for x in res)
        pps = res[0]["points"] / call
        base = base or pps
        rows.append([nw, f"{call:.2f} s", f"{pps:.2f}", f"{pps / base:.2f}x"])
    print_table(["workers", "sweep call", "points / s", "vs 1 worker"], rows,
                f"E/I sweep of {size * size} points of {duration:g} ms on a LocalCluster, median of {reps}")


def main() -> int:
    ap = base_parser(__doc__.split("\n")[0], sides=("neurodyn",))
    ap.add_argument("--side", default="sweep", help=__import__("argparse").SUPPRESS)
    ap.add_argument("--duration", type=float, default=None, help=__import__("argparse").SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=__import__("argparse").SUPPRESS)
    ap.add_argument("--only", default="ei,mpr,scale", help="which parts to run (comma-separated)")
    ap.add_argument("--mpr-duration", type=float, default=100.0, help="ms simulated per MPR point (default 100)")
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return 0
    parts = set(args.only.split(","))
    for need, path in (("ei", AAL90 / "sc2017.dat"), ("mpr", TVB998)):
        if need in parts and not path.is_file():
            print(f"ERROR: {path} is missing (../shared/data next to the checkout)", file=sys.stderr)
            return 2
    _common.BLAS_THREADS = args.blas_threads
    reps = 1 if args.quick else args.repeat
    me = Path(__file__)
    caches = CacheDirs()
    import os
    print(f"network sweeps; {machine_note()}; load {os.getloadavg()[0]:.2f}", flush=True)
    try:
        if "ei" in parts:
            n, T = (3, 100.0) if args.quick else (8, 500.0)
            if not bench_points(me, "ei", n, T, reps, caches):
                return 1
        if "mpr" in parts:
            n, T = (4, 5.0) if args.quick else (16, args.mpr_duration)
            if not bench_points(me, "mpr", n, T, reps, caches):
                return 1
        if "scale" in parts:
            n, T = (3, 50.0) if args.quick else (4, 200.0)
            bench_scale(me, n, T, reps, caches)
    finally:
        caches.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
