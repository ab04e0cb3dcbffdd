"""Benchmark: continuation of the bundled Jansen-Rit circuit (template JRC) in its input p over [-60, 400]
with default settings: the whole S-shaped curve (three branches), both folds and the three Hopf points.

No continuation package on PyPI runs neurodyn's templates, so the comparison is with what a user would write
with SciPy alone: the same model as a NumPy right-hand side, a grid of p (step 1/s, 461 values), at each p
``scipy.optimize.root`` (hybr, finite-difference Jacobian) from the roots of the previous p and a fixed set
of 12 starting points spread over the S-curve, duplicates merged, eigenvalues of a finite-difference Jacobian
at every root, folds and Hopf points detected as changes of the number of roots / of unstable eigenvalues
between grid points (so located to +-0.5 in p only; neurodyn locates them to ~1e-9 relative).

neurodyn's time is reported in phases: set-up (importing neurodyn, building the SymbolicSystem from the
template with SymPy, building the exact second/third derivatives), the starting equilibrium
(``find_fixed_points``) and the continuation itself (median of repeated calls in the process). Each side runs
in fresh subprocesses, alternating; medians and peak memory are printed. Timings taken on a machine shared
with other jobs are noisy.

Run:  PYTHONPATH=src python benchmarks/bench_continuation.py [--repeat 3] [--quick]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _common as common  # noqa: E402

U = "pc/rpo_e_in/u"
P_RANGE = (-60.0, 400.0)
TARGET = 2.0          # s, the continuation itself


def neurodyn_worker(inner: int) -> None:
    t0 = time.perf_counter()
    ph = common.Phases(t0)
    import numpy as np
    from neurodyn.analysis import SymbolicSystem, continuation, find_fixed_points
    from neurodyn.analysis.derivatives import derivatives
    ph.mark("import")
    s = SymbolicSystem.from_circuit("JRC")
    ph.mark("system")
    derivatives(s).prepare([U])
    ph.mark("derivatives")
    start = find_fixed_points(s, params={U: P_RANGE[0]})
    ph.mark("start")
    times = []
    for _ in range(inner):
        t = time.perf_counter()
        b = continuation(s, U, start[0], *P_RANGE)
        times.append(time.perf_counter() - t)
    ph.mark("continuation_all")
    folds = [round(p[U], 6) for p in b.special("fold")]
    hopf = [round(p[U], 6) for p in b.special("hopf")]
    common.emit(**ph.result(), continuation=float(np.median(times)), continuation_min=min(times),
                points=len(b.points), folds=folds, hopf=hopf, stop=b.stop.reason,
                l1=[p["l1"] for p in b.special("hopf")])


def scipy_worker(inner: int) -> None:
    t0 = time.perf_counter()
    ph = common.Phases(t0)
    import numpy as np
    from scipy.optimize import approx_fprime, root
    ph.mark("import")
    he, te, hi, ti = 3.25e-3, 1e-2, -22e-3, 2e-2
    C1, C2, C3, C4 = 135.0, 108.0, 33.75, 33.75

    def S(v):
        return 5.0 / (1.0 + np.exp(560.0 * (6e-3 - v)))

    def rhs(x, u):
        vpe, xpe, vpi, xpi, ve, vi, xe, xi = x
        vpc = vpe + vpi

        def a(v, dv, h, tau, m):
            return h * m / tau - 2 * dv / tau - v / tau ** 2
        return np.array([xpe, a(vpe, xpe, he, te, C2 * S(ve) + u), xpi, a(vpi, xpi, hi, ti, C4 * S(vi)),
                         xe, xi, a(ve, xe, he, te, C1 * S(vpc)), a(vi, xi, he, te, C3 * S(vpc))])

    # 12 starting points along the S (pc voltage from -2 to 30 mV), a user's guess of where roots may be
    seeds = []
    for y in np.linspace(-0.002, 0.03, 12):
        ve, vi = he * te * C1 * S(y), he * te * C3 * S(y)
        vpi = hi * ti * C4 * S(vi)
        seeds.append(np.array([y - vpi, 0, vpi, 0, ve, vi, 0, 0]))
    grid = np.arange(P_RANGE[0], P_RANGE[1] + 0.5, 1.0)
    times = []
    for _ in range(inner):
        t = time.perf_counter()
        prev, counts, unstable = [], [], []
        for u in grid:
            found = []
            for g in prev + seeds:
                sol = root(rhs, g, args=(u,), method="hybr")
                if sol.success and np.max(np.abs(rhs(sol.x, u))) < 1e-8 and not any(
                        np.allclose(sol.x, f, rtol=1e-6, atol=1e-9) for f in found):
                    found.append(sol.x)
            prev = found
            counts.append(len(found))
            unstable.append(sorted(int(np.sum(np.linalg.eigvals(
                np.column_stack([approx_fprime(x, lambda z, k=k: rhs(z, u)[k], 1e-9) for k in range(8)]).T
            ).real > 0)) for x in found))
        times.append(time.perf_counter() - t)
    ph.mark("grid_all")
    counts = np.array(counts)
    folds = [float(0.5 * (grid[i] + grid[i + 1])) for i in np.flatnonzero(np.diff(counts))]
    common.emit(**ph.result(), continuation=float(np.median(times)), continuation_min=min(times),
                points=int(counts.sum()), folds=folds, max_roots=int(counts.max()))


def main() -> int:
    ap = common.base_parser(__doc__.splitlines()[0])
    ap.add_argument("--inner", type=int, default=None, help="continuation calls per process (default 5)")
    args = ap.parse_args()
    common.BLAS_THREADS = args.blas_threads
    inner = args.inner or (2 if args.quick else 5)
    if args.worker == "neurodyn":
        neurodyn_worker(inner)
        return 0
    if args.worker == "pyrates":        # the SciPy side (the worker switch names the peer slot)
        scipy_worker(1 if args.quick else 2)
        return 0
    common.require_peer("scipy")
    repeat = 1 if args.quick else args.repeat
    print(f"continuation of JRC in {U} over {P_RANGE}, default settings; {common.machine_note()}")
    import os
    print(f"load average {os.getloadavg()}")
    nd, sp = [], []
    for _ in range(repeat):
        nd.append(common.run_worker(__file__, "neurodyn", ["--inner", inner]))
        sp.append(common.run_worker(__file__, "pyrates", ["--quick"] if args.quick else []))
    med = lambda rs, k: common.median([r["phases"].get(k, r.get(k)) if k in r["phases"] else r.get(k)  # noqa: E731
                                       for r in rs])
    setup = common.median([r["phases"]["system"] + r["phases"]["derivatives"] for r in nd])
    rows = [
        ["neurodyn: import", common.fmt_s(med(nd, "import")), ""],
        ["neurodyn: SymbolicSystem + derivatives (SymPy set-up)", common.fmt_s(setup), ""],
        ["neurodyn: starting equilibrium (find_fixed_points)", common.fmt_s(med(nd, "start")), ""],
        ["neurodyn: continuation (median of calls)", common.fmt_s(med(nd, "continuation")),
         f"target < {TARGET:g} s: {'met' if med(nd, 'continuation') < TARGET else 'NOT met'}"],
        ["SciPy grid + multi-start root + eigenvalues", common.fmt_s(med(sp, "continuation")),
         common.ratio(med(sp, "continuation"), med(nd, "continuation")) + " neurodyn's time"],
        ["neurodyn process (wall, peak RSS)", common.fmt_s(common.median([r["wall"] for r in nd])),
         common.fmt_mb(common.median([r["maxrss_mb"] for r in nd]))],
        ["SciPy process (wall, peak RSS)", common.fmt_s(common.median([r["wall"] for r in sp])),
         common.fmt_mb(common.median([r["maxrss_mb"] for r in sp]))],
    ]
    common.print_table(["phase", "time", "note"], rows, title=f"medians of {repeat} process(es)")
    r = nd[-1]
    print(f"neurodyn: {r['points']} points, stop '{r['stop']}', folds at {r['folds']}, Hopf at {r['hopf']} "
          f"(l1 {[round(v, 4) for v in r['l1']]})")
    print(f"SciPy grid: {sp[-1]['points']} roots over the grid (at most {sp[-1]['max_roots']} per p), folds "
          f"bracketed at {sp[-1]['folds']} (+-0.5)")
    ok = r["stop"] == "end" and len(r["folds"]) == 2 and len(r["hopf"]) == 3
    if not ok:
        print("ERROR: the continuation did not find the whole S-curve", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
