"""Benchmark: dispersion relation of the AAL90 network at one limit cycle (all 90 eigenmodes).

Work: the E/I node of Delicado, Huguet & Clusella (2025) ('ei_ping_pop', REFERENCE section 3) on the row-
normalised AAL90 connectome ($NEURODYN_DATA/aal90, else ../shared/data/aal90), coupling s_e -> s_net with
eps = 5, I_ext_e = 10: the homogeneous state is a stable PING cycle (period ~18.7 ms). For every eigenvalue
Lambda of W, the Floquet exponents of d xi/dt = (DF(x(t)) + Lambda B(x(t))) xi over one period.

* neurodyn: ``dispersion_relation(net, orbit, params)`` (mode matrices along the orbit, then the collocation
  monodromy of all 90 modes in batched solves); also ``msf(eigenvalues)`` alone (the 90 modes) and the
  continuous curve over 201 real Lambda (``DispersionRelation.curve``, computed on first use).
* scipy (a straightforward implementation): for each mode, ``solve_ivp`` (DOP853, rtol 1e-9) of the orbit
  together with the mode's variational equation (6 + 36 states), DF and B from the same SymbolicSystem, then
  the eigenvalues of the monodromy matrix.

Both start from the same cycle (found in the untimed set-up of each worker). The script checks that the two
agree (largest difference of the growth rates) before reporting times. Target: under 2 s for the 90 modes.
Each side runs in fresh subprocesses, alternating; medians, ratio and peak RSS are printed. Exit status 2 when
the AAL90 data are missing.

Run:  PYTHONPATH=src python benchmarks/bench_master_stability.py [--repeat 3] [--quick]
      (--quick: one round, and the scipy side integrates every 10th mode only and extrapolates to 90, saying so)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _common as common  # noqa: E402

AAL90 = common.data_dir() / "aal90"


PARAMS = {"ei_ping_op/eps": 5.0, "ei_ping_op/I_ext_e": 10.0}
TARGET = 2.0


def setup():
    from neurodyn.analysis import find_cycle, homogeneous_system
    from neurodyn.network import BrainNetwork, Coupling, load_connectome
    coupling = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")
    conn = load_connectome(AAL90).normalise("rows")
    net = BrainNetwork("ei_ping_pop", conn, coupling)
    hom = homogeneous_system("ei_ping_pop", coupling, PARAMS)
    orbit = find_cycle(hom, hom.x0, period=20.0, transient=300.0)
    return net, hom, orbit, conn


def worker_neurodyn(repeat: int) -> None:
    t0 = time.perf_counter()
    ph = common.Phases(t0)
    from neurodyn.analysis import dispersion_relation
    net, hom, orbit, conn = setup()
    ph.mark("setup (imports, connectome, cycle)")
    times, modes_only, curve = [], [], []
    for _ in range(repeat):
        a = time.perf_counter()
        dr = dispersion_relation(net, orbit, PARAMS)
        times.append(time.perf_counter() - a)
        a = time.perf_counter()
        g = dr.msf(dr.eigenvalues)
        modes_only.append(time.perf_counter() - a)
        a = time.perf_counter()
        dr.curve
        curve.append(time.perf_counter() - a)
    ph.mark("dispersion relation")
    order = np.argsort(np.real(dr.eigenvalues))
    common.emit(dispersion=float(np.median(times)), modes=float(np.median(modes_only)),
                curve=float(np.median(curve)),
                eigenvalues=np.real(dr.eigenvalues[order]).tolist(), growth=g[order].tolist(),
                period=orbit.period, n_unstable=dr.n_unstable, **ph.result())


def worker_scipy(stride: int) -> None:
    t0 = time.perf_counter()
    ph = common.Phases(t0)
    from scipy.integrate import solve_ivp
    net, hom, orbit, conn = setup()
    from neurodyn.analysis import network_linearisation
    x0, T = orbit.nodes[0], orbit.period
    lin = network_linearisation("ei_ping_pop", net.couplings, x0, params={"node/" + k: v for k, v in PARAMS.items()})
    B = lin.B                              # constant for this template (the coupling enters linearly)
    ev = np.linalg.eigvals(np.asarray(conn.weights))
    ev = np.real(ev) if np.max(np.abs(ev.imag)) < 1e-10 else ev
    ev = np.sort(ev)
    ev[np.argmin(np.abs(ev - 1.0))] = 1.0
    n = 6
    ph.mark("setup (imports, connectome, cycle)")
    a = time.perf_counter()
    growth = []
    sel = list(range(0, len(ev), stride))
    for i in sel:
        L = ev[i]

        def rhs(t, y, L=L):
            x = y[:n]
            A = hom.jacobian(x) - B + L * B
            return np.concatenate([hom.f(x), (A @ y[n:].reshape(n, n)).ravel()])
        y = solve_ivp(rhs, (0.0, T), np.concatenate([x0, np.eye(n).ravel()]), method="DOP853", rtol=1e-9,
                      atol=1e-12).y[:, -1]
        M = y[n:].reshape(n, n)
        mu = np.linalg.eigvals(M)
        if L == 1.0:                        # drop the trivial multiplier (closest to 1)
            mu = np.delete(mu, np.argmin(np.abs(mu - 1.0)))
        growth.append(float(np.log(np.abs(mu)).max() / T))
    elapsed = time.perf_counter() - a
    ph.mark("dispersion relation")
    common.emit(dispersion=elapsed * len(ev) / len(sel), measured=elapsed, modes_integrated=len(sel),
                eigenvalues=[float(ev[i]) for i in sel], growth=growth, **ph.result())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="rounds (fresh processes per side; default 3)")
    ap.add_argument("--quick", action="store_true", help="one round; scipy integrates every 10th mode and "
                                                         "extrapolates")
    ap.add_argument("--worker", choices=("neurodyn", "scipy"), help=argparse.SUPPRESS)
    ap.add_argument("--stride", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker == "neurodyn":
        worker_neurodyn(5)
        return 0
    if args.worker == "scipy":
        worker_scipy(args.stride)
        return 0
    if not (AAL90 / "sc2017.dat").is_file():
        print(f"ERROR: AAL90 data not found at {AAL90.resolve()} (set NEURODYN_DATA to the folder holding "
              f"aal90/)", file=sys.stderr)
        return 2
    rounds = 1 if args.quick else args.repeat
    stride = 10 if args.quick else 1
    print(f"dispersion relation, ei_ping_pop x 90 AAL regions (row-normalised), {PARAMS}, one PING cycle, "
          f"all 90 modes; {common.machine_note()}")
    print(f"load average {os.getloadavg()}: timings on a shared machine are noisy")
    res = {"neurodyn": [], "scipy": []}
    for r in range(rounds):
        for side in (("neurodyn", "scipy") if r % 2 == 0 else ("scipy", "neurodyn")):
            info = common.run_worker(__file__, side, ["--stride", stride])
            res[side].append(info)
            print(f"  round {r}: {side:<8} {common.fmt_s(info['dispersion'])} for 90 modes"
                  f"{'' if side == 'neurodyn' or stride == 1 else ' (extrapolated from ' + str(info['modes_integrated']) + ' modes)'}"
                  f", process {common.fmt_s(info['wall'])}, peak RSS {common.fmt_mb(info['maxrss_mb'])}", flush=True)
    nd, sp = res["neurodyn"][-1], res["scipy"][-1]
    ours = np.interp(sp["eigenvalues"], nd["eigenvalues"], nd["growth"])
    err = float(np.max(np.abs(ours - np.array(sp["growth"]))))
    print(f"agreement: max |growth(neurodyn) - growth(scipy)| = {err:.2e} per ms over {len(sp['growth'])} modes "
          f"(period {nd['period']:.6f} ms, {nd['n_unstable']} unstable modes)")
    if err > 1e-6:
        print("ERROR: the two computations disagree; timings not reported", file=sys.stderr)
        return 1
    t_nd = common.median([i["dispersion"] for i in res["neurodyn"]])
    t_modes = common.median([i["modes"] for i in res["neurodyn"]])
    t_sp = common.median([i["dispersion"] for i in res["scipy"]])
    t_curve = common.median([i["curve"] for i in res["neurodyn"]])
    rows = [["neurodyn dispersion_relation (90 modes, with its set-up)", common.fmt_s(t_nd), "",
             common.fmt_mb(common.median([i["maxrss_mb"] for i in res["neurodyn"]]))],
            ["neurodyn msf(eigenvalues) (the 90 modes alone)", common.fmt_s(t_modes), "", ""],
            ["neurodyn DispersionRelation.curve (201 real Lambda)", common.fmt_s(t_curve), "", ""],
            ["scipy solve_ivp per mode (90 modes)" + (" extrapolated" if stride > 1 else ""), common.fmt_s(t_sp),
             common.ratio(t_sp, t_nd), common.fmt_mb(common.median([i["maxrss_mb"] for i in res["scipy"]]))]]
    common.print_table(["work", "median time", "scipy / neurodyn", "peak RSS"], rows,
                       title=f"Medians of {rounds} round(s)")
    print(f"target: dispersion relation at one cycle, all 90 modes, under {TARGET} s -> "
          f"{'met' if t_nd < TARGET else 'MISSED'} ({common.fmt_s(t_nd)})")
    print(f"load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
