"""neurodyn vs tensorpac: a phase-amplitude coupling comodulogram of 90 regions.

Work: 90 regions x 10 s at 1 kHz (10 000 samples, float64) of synthetic signals (white noise plus a theta
rhythm that modulates 80 Hz activity with a depth varying over regions; numpy seed 0), 20 phase bands (centres
2-20 Hz, f +- f/4) x 20 amplitude bands (centres 60-160 Hz, f +- f/8), FIR band-pass filters of 3 (phase) and
6 (amplitude) cycles (tensorpac's defaults), analytic signals, then the modulation index (Tort) or the mean
vector length over all 400 band pairs of every region.

  tensorpac: ``Pac(idpac=(m, 0, 0), f_pha, f_amp, dcomplex='hilbert', cycle=(3, 6))``: ``filter`` for phases and
             amplitudes, then ``fit`` (what ``filterfit`` does), one job, its default (tensor) implementation.
  neurodyn:  ``comodulogram(x, f_pha, f_amp, method, hilbert='record')``: the same filters, filtering and
             Hilbert transform (tensorpac's order: filter, then Hilbert transform of the record), so the same
             numbers; and the default ``hilbert='extended'`` (the analytic band-pass of the odd-extended
             record, one FFT product per band: fewer edge effects, less work), reported as a second row.

Before timing, the results are compared: the mean vector length must agree to 1e-9 relative; tensorpac's
tensor modulation index pools its bin counts over phase bands and regions (docs/analysis.md), so ours is
compared with tensorpac's own Numba modulation index on tensorpac's phases (computed in the worker, untimed),
to 1e-9, and the difference from the pooled version is printed. Each side runs in a fresh process (one
warm-up first: Numba caches); wall and CPU time of the whole process and of the computation, peak RSS.

Run: ``PYTHONPATH=src python benchmarks/bench_pac.py [--repeat N] [--quick] [--methods tort,mvl]``
(``--quick``: 8 regions, 6 x 6 bands, one repetition). Exit status: 0 ok, 1 results differ, 2 tensorpac missing.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common  # noqa: E402
from _common import (CacheDirs, Phases, base_parser, emit, fmt_mb, fmt_wc, machine_note, median,  # noqa: E402
                     peer_version, print_table, ratio, require_peer, run_worker)

FS, N_TIMES, SEED = 1000.0, 10_000, 0
IDPAC = {"mvl": 1, "tort": 2}
RTOL = 1e-9   # same filters and Hilbert transform in float64; sums accumulated in different orders


def bands(n_pha: int, n_amp: int):
    import numpy as np
    fp = np.linspace(2.0, 20.0, n_pha)
    fa = np.linspace(60.0, 160.0, n_amp)
    return np.c_[fp - fp / 4, fp + fp / 4], np.c_[fa - fa / 8, fa + fa / 8]


def make_data(path: str, n_regions: int) -> None:
    import numpy as np
    rng = np.random.default_rng(SEED)
    t = np.arange(N_TIMES) / FS
    theta = 2 * np.pi * 6 * t + np.cumsum(0.05 * rng.standard_normal(N_TIMES))
    depth = np.linspace(0.0, 0.8, n_regions)[:, None]
    x = (np.cos(theta) + 0.3 * (1 + depth * np.cos(theta)) * np.cos(2 * np.pi * 80 * t)
         + rng.standard_normal((n_regions, N_TIMES)))
    np.save(path, x)                                                # (region, time), tensorpac's layout


# ---------------------------------------------------------------------------------------------------- workers
def worker_neurodyn(args) -> None:
    # tensorpac imports these at import time; import them here too, so that the compute phases of both sides
    # time the computation, not first imports
    import numba  # noqa: F401
    import numpy as np
    import scipy.fft  # noqa: F401
    import scipy.signal  # noqa: F401
    import xarray
    from neurodyn.observables import comodulogram
    xarray.DataArray(np.zeros(1))        # xarray's first DataArray imports dask.array (~0.6 s) when installed
    ph = Phases(T0)
    ph.mark("import")
    x = np.load(args.data).T                                       # (time, region)
    fp, fa = bands(*args.bands)
    ph.mark("load")
    como = comodulogram(x, fp, fa, args.method, sample_period=1.0 / FS, time_unit="s", hilbert=args.mode)
    ph.mark("compute")
    if args.save:
        np.save(args.save, como.transpose("f_amplitude", "f_phase", "region").values)
    emit(**ph.result())


def worker_tensorpac(args) -> None:
    import logging
    import warnings

    import numpy as np
    warnings.filterwarnings("ignore")
    from tensorpac import Pac
    logging.getLogger("tensorpac").setLevel(logging.ERROR)
    ph = Phases(T0)
    ph.mark("import")
    x = np.load(args.data)
    fp, fa = bands(*args.bands)
    ph.mark("load")
    p = Pac(idpac=(IDPAC[args.method], 0, 0), f_pha=fp, f_amp=fa, dcomplex="hilbert", cycle=(3, 6), verbose=False)
    pha = p.filter(FS, x, "phase", n_jobs=1)
    amp = p.filter(FS, x, "amplitude", n_jobs=1)
    res = p.fit(pha, amp, n_perm=None, n_jobs=1)
    ph.mark("compute")
    if args.save:
        out = {"pac": res}
        if args.method == "tort":                                  # untimed: per-series normalisation (Numba)
            from tensorpac.methods.meth_pac_nb import modulation_index_nb
            out["numba"] = modulation_index_nb(pha, amp, 18)
        np.savez(args.save, **out)
    emit(**ph.result())


# ------------------------------------------------------------------------------------------------------- main
def compare(method: str, nd_file: str, tp_file: str):
    import numpy as np
    ours = np.load(nd_file)
    tp = np.load(tp_file)
    ref = tp["numba"] if method == "tort" else tp["pac"]
    err = float(np.abs(ours - ref).max() / np.abs(ref).max())
    rows = [[f"{method}: neurodyn (hilbert='record') vs tensorpac{' Numba MI' if method == 'tort' else ''}",
             f"{err:.2e}", "ok" if err <= RTOL else "DIFFER"]]
    if method == "tort":
        pooled = float(np.abs(ours - tp["pac"]).max() / np.abs(tp["pac"]).max())
        rows.append(["tort: vs tensorpac's tensor MI (pooled bin counts)", f"{pooled:.2e}", "expected"])
    return err <= RTOL, rows


def main() -> int:
    ap = base_parser(__doc__.split("\n")[0], sides=("neurodyn", "tensorpac"))
    ap.add_argument("--methods", default="tort,mvl", help="comma-separated: tort, mvl (default both)")
    ap.add_argument("--method", default="tort", help=argparse_suppress())
    ap.add_argument("--data", default=None, help=argparse_suppress())
    ap.add_argument("--bands", type=int, nargs=2, default=(20, 20), help=argparse_suppress())
    args = ap.parse_args()
    if args.worker:
        if args.mode == "e2e":
            args.mode = "record"
        (worker_neurodyn if args.worker == "neurodyn" else worker_tensorpac)(args)
        return 0
    require_peer("tensorpac")
    _common.BLAS_THREADS = args.blas_threads
    n_reg = args.size or (8 if args.quick else 90)
    n_bands = (6, 6) if args.quick else (20, 20)
    reps = 1 if args.quick else args.repeat
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in IDPAC:
            print(f"ERROR: unknown method {m!r}; choose from {sorted(IDPAC)}", file=sys.stderr)
            return 2
    me = Path(__file__)
    caches = CacheDirs()
    print(f"PAC comodulogram: {n_reg} regions x {N_TIMES / FS:g} s at {FS:g} Hz, {n_bands[0]} phase x {n_bands[1]} "
          f"amplitude bands, FIR 3/6 cycles; tensorpac {peer_version('tensorpac')}; {machine_note()}; load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    try:
        data = str(caches.root / "x.npy")
        make_data(data, n_reg)
        common = ["--data", data, "--bands", *n_bands]
        env = caches.warm()
        run_worker(me, "neurodyn", common + ["--method", methods[0], "--mode", "record"], env)   # warm-up (Numba)
        summary = []
        for method in methods:
            a = common + ["--method", method]
            nd_file, tp_file = str(caches.root / f"nd_{method}.npy"), str(caches.root / f"tp_{method}.npz")
            runs = {"record": [], "extended": [], "tensorpac": []}
            for r in range(reps):
                first = ["--save"] if r == 0 else []
                runs["tensorpac"].append(run_worker(me, "tensorpac", a + (first + [tp_file] if first else [])))
                runs["record"].append(run_worker(me, "neurodyn", a + ["--mode", "record"]
                                                 + (first + [nd_file] if first else []), env))
                runs["extended"].append(run_worker(me, "neurodyn", a + ["--mode", "extended"], env))
                if r == 0:
                    ok, rows = compare(method, nd_file, tp_file)
                    print_table(["comparison", "max relative difference", "verdict"], rows,
                                "Agreement check (same filters, same Hilbert transform)")
                    if not ok:
                        print("Results differ: not timing different work.")
                        return 1
                print(f"  {method} round {r + 1}/{reps}: compute wall tensorpac "
                      f"{runs['tensorpac'][-1]['phases']['compute']:.2f} s, neurodyn record "
                      f"{runs['record'][-1]['phases']['compute']:.2f} s, extended "
                      f"{runs['extended'][-1]['phases']['compute']:.2f} s", flush=True)

            def med(key, field, runs=runs):
                return median(x[field] for x in runs[key])

            def comp(key, kind, runs=runs):
                return median(x["phases" if kind == "wall" else "cpu_phases"]["compute"] for x in runs[key])

            rows = []
            for key, label in (("tensorpac", "tensorpac filter + fit"), ("record", "neurodyn, hilbert='record'"),
                               ("extended", "neurodyn, hilbert='extended' (default)")):
                rows.append([label, fmt_wc(comp(key, "wall"), comp(key, "cpu")),
                             fmt_wc(med(key, "wall"), med(key, "cpu")),
                             fmt_mb(med(key, "maxrss_mb")),
                             f"{ratio(comp('tensorpac', 'wall'), comp(key, 'wall'))} "
                             f"({ratio(comp('tensorpac', 'cpu'), comp(key, 'cpu'))})",
                             f"{ratio(med('tensorpac', 'wall'), med(key, 'wall'))} "
                             f"({ratio(med('tensorpac', 'cpu'), med(key, 'cpu'))})"])
            print_table(["side", "compute wall (cpu)", "process wall (cpu)", "peak RSS", "tensorpac/this compute",
                         "tensorpac/this process"], rows, f"{method}: median of {reps}; wall (cpu)")
            times = [comp(k, kind) for k in ("tensorpac", "record", "extended") for kind in ("wall", "cpu")]
            summary.append((method, times,
                            med("tensorpac", "maxrss_mb"), med("record", "maxrss_mb")))
        print(f"\nload average {os.getloadavg()[0]:.2f}; compute phase, wall (cpu):")
        for method, (tp, tpc, rec, recc, ext, extc), m_tp, m_nd in summary:
            print(f"{method}: tensorpac {tp:.2f} s ({tpc:.2f}), neurodyn {rec:.2f} s ({recc:.2f}) on identical work: "
                  f"{tp / rec:.1f}x ({tpc / recc:.1f}x); {ext:.2f} s ({extc:.2f}) with the default hilbert='extended': "
                  f"{tp / ext:.1f}x ({tpc / extc:.1f}x); peak RSS {m_tp:.0f} vs {m_nd:.0f} MB")
    finally:
        caches.cleanup()
    return 0


def argparse_suppress():
    import argparse
    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
