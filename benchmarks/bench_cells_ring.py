"""Benchmark: a ring of N three-compartment-type cells in neurodyn.cells and in NEURON, same work.

Each cell is the task's soma (hh) + dendrite (pas, nseg 101 or 11). Soma i drives an ExpSyn at the middle of
cell (i+1) % N's dendrite through a NetCon (threshold 10 mV, delay 1 ms, weight 0.04 uS); cell 0 is kicked
by a NetStim (one spike at 5 ms, delay 1, weight 0.04). tstop 100 ms, dt 0.025 ms, backward Euler, soma
voltages of cells 0 and N-1 recorded, spikes of all cells recorded.

The headline is the ``h.run()``-equivalent total: ``h.finitialize(-65)`` (init: neurodyn compiles the model
into arrays and loads its kernel there) + ``h.continuerun(100)`` (run), which is the work ``h.run()`` does.
Init and run are also printed apart, with the whole process's wall time (interpreter start, imports, build,
init, run, exit) and peak resident memory (ru_maxrss of the process). Speed ratios are NEURON time / neurodyn
time (> 1: neurodyn is faster); memory ratios are neurodyn / NEURON.

Variants, each measurement in its own subprocess, alternated ``--repeats`` times (medians reported):

- ``neuron``: NEURON;
- ``default``: neurodyn with default settings (no environment variable): the generated C kernel, its library
  already built (a warm cache, as in every run after the first);
- ``jit``: ``NEURODYN_CELLS_KERNEL=jit``, the Numba kernel with a warm Numba cache;
- ``aot`` (with ``--aot``): ``NEURODYN_CELLS_KERNEL=aot``, the numba.pycc library built once beforehand.

Also printed once: the first run ever with default settings (empty cache: init includes compiling the C
library) and with the JIT (includes Numba's compilation).

Usage::

    PYTHONPATH=src python benchmarks/bench_cells_ring.py [--repeats 3] [--sizes 100 1000] [--nseg 101 11]
    PYTHONPATH=src python benchmarks/bench_cells_ring.py --quick     # N = 100, nseg 11, one repeat

Exits with status 2 when NEURON is not installed, 1 when the spike trains differ.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r'''
import json, os, resource, sys, time
import numpy as np
sim, N, nseg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if sim == "neuron":
    from neuron import h
    h.load_file("stdrun.hoc")
else:
    from neurodyn.cells import h
t0 = time.perf_counter()
cells = []
for i in range(N):
    soma = h.Section(name="soma"); soma.L = soma.diam = 12.6157; soma.Ra = 100; soma.cm = 1
    soma.insert("hh"); soma.gnabar_hh = 0.12; soma.gkbar_hh = 0.036; soma.gl_hh = 0.0003; soma.el_hh = -54.3
    dend = h.Section(name="dend"); dend.L = 200; dend.nseg = nseg; dend.Ra = 100; dend.cm = 1; dend.diam = 1
    dend.insert("pas"); dend.g_pas = 0.001; dend.e_pas = -65
    dend.connect(soma(1))
    syn = h.ExpSyn(dend(0.5))
    cells.append((soma, dend, syn))
ncs = []
spk_t = []
for i in range(N):
    nc = h.NetCon(cells[i][0](0.5)._ref_v, cells[(i + 1) % N][2], sec=cells[i][0])
    nc.weight[0] = 0.04; nc.delay = 1
    vec = h.Vector(); nc.record(vec); spk_t.append(vec)
    ncs.append(nc)
stim = h.NetStim(); stim.number = 1; stim.start = 5
ncstim = h.NetCon(stim, cells[0][2]); ncstim.delay = 1; ncstim.weight[0] = 0.04
v0 = h.Vector().record(cells[0][0](0.5)._ref_v)
vN = h.Vector().record(cells[N - 1][0](0.5)._ref_v)
t_build = time.perf_counter() - t0
h.dt = 0.025; h.tstop = 100
t0 = time.perf_counter(); h.finitialize(-65); t_init = time.perf_counter() - t0
t0 = time.perf_counter(); c0 = time.process_time()
h.continuerun(100.0)
t_run = time.perf_counter() - t0; cpu_run = time.process_time() - c0
spikes = [list(np.round(np.array(v), 9)) for v in spk_t]
tier = "neuron" if sim == "neuron" else h.model.kernel_tier
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT" + json.dumps({"build": t_build, "init": t_init, "run": t_run, "cpu_run": cpu_run,
                             "total": t_init + t_run, "nspikes": sum(map(len, spikes)), "tier": tier,
                             "numba": "numba" in sys.modules, "spikes": spikes, "peak_rss_mb": peak,
                             "v0_end": float(np.array(v0)[-1]), "vN_max": float(np.max(np.array(vN)))}))
'''


def measure(sim: str, n: int, nseg: int, env: dict) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, sim, str(n), str(nseg)], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    for line in out.stdout.splitlines():
        if line.startswith("RESULT"):
            res = json.loads(line[6:])
            res["process"] = wall
            return res
    raise RuntimeError(f"{sim} N={n} nseg={nseg} failed:\n{out.stderr[-3000:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--nseg", type=int, nargs="+", default=[101, 11])
    ap.add_argument("--aot", action="store_true", help="also measure the numba.pycc tier (builds it once, ~20 s)")
    ap.add_argument("--quick", action="store_true", help="N = 100, nseg 11, one repeat (a smoke test)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.nseg, args.repeats = [100], [11], 1
    try:
        import neuron  # noqa: F401
    except ImportError:
        print("NEURON is not installed (pip install neuron): cannot run the comparison", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEURODYN_")}   # default settings
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env.setdefault(var, "1")
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared with other jobs: wall times are noisy)")
    results = []
    with tempfile.TemporaryDirectory() as cache:
        def cache_env(name: str, **extra) -> dict:
            d = Path(cache) / name
            return dict(env, NUMBA_CACHE_DIR=str(d / "numba"), NEURODYN_CACHE_DIR=str(d / "nd"), **extra)
        default_env, jit_env = cache_env("default"), cache_env("jit", NEURODYN_CELLS_KERNEL="jit")
        first = measure("neurodyn", 10, 11, default_env)      # empty cache: init compiles the C library
        print(f"first run ever, default settings (N=10; tier {first['tier']}): init {first['init']:.2f} s "
              f"(includes compiling the kernel), run {first['run']:.3f} s, whole process {first['process']:.2f} s")
        first_jit = measure("neurodyn", 10, 11, jit_env)
        print(f"first run ever, NEURODYN_CELLS_KERNEL=jit (N=10): init {first_jit['init']:.2f} s (Numba "
              f"compilation), whole process {first_jit['process']:.2f} s")
        variants = [("neuron", "neuron", env), ("default", "neurodyn", default_env), ("jit", "neurodyn", jit_env)]
        if args.aot:
            aot_env = cache_env("aot", NEURODYN_CELLS_KERNEL="aot")
            built = measure("neurodyn", 10, 11, aot_env)
            print(f"NEURODYN_CELLS_KERNEL=aot first process (builds the numba.pycc library): init "
                  f"{built['init']:.1f} s")
            variants.append(("aot", "neurodyn", aot_env))
        for n in args.sizes:
            for nseg in args.nseg:
                runs = {label: [] for label, _, _ in variants}
                for _ in range(args.repeats):  # alternate the simulators
                    for label, sim, e in variants:
                        runs[label].append(measure(sim, n, nseg, e))
                ref = runs["neuron"][0]["spikes"]
                same = all(r["spikes"] == ref for lab in runs for r in runs[lab])
                row = {"N": n, "nseg": nseg, "same_spikes": same, "nspikes": ref and sum(map(len, ref))}
                for label in runs:
                    for key in ("build", "init", "run", "total", "cpu_run", "process", "peak_rss_mb"):
                        row[f"{label}_{key}"] = statistics.median(r[key] for r in runs[label])
                    row[f"{label}_tier"] = runs[label][0]["tier"]
                    row[f"{label}_numba"] = runs[label][0]["numba"]
                results.append(row)
                print(f"\nN={n} nseg={nseg}: spikes {row['nspikes']} identical={same}")
                print(f"  {'':8s} {'h.run() total':>13s} {'speed':>6s} {'init':>7s} {'run':>7s} {'speed':>6s} "
                      f"{'process':>8s} {'peak RSS':>9s} {'memory':>7s}  tier")
                for label in runs:
                    tot, run = row[f"{label}_total"], row[f"{label}_run"]
                    sp_tot, sp_run = row["neuron_total"] / tot, row["neuron_run"] / run
                    mem = row[f"{label}_peak_rss_mb"] / row["neuron_peak_rss_mb"]
                    print(f"  {label:8s} {tot:12.3f}s {sp_tot:5.2f}x {row[f'{label}_init']:6.3f}s {run:6.3f}s "
                          f"{sp_run:5.2f}x {row[f'{label}_process']:7.2f}s {row[f'{label}_peak_rss_mb']:7.0f}MB "
                          f"{mem:6.2f}x  {row[f'{label}_tier']}{' (imports Numba)' if row[f'{label}_numba'] else ''}",
                          flush=True)
    print("\nspeed = NEURON time / neurodyn time (>= 1: neurodyn at least as fast); memory = neurodyn / NEURON peak "
          "RSS; h.run() total = finitialize + continuerun")
    if args.json:
        args.json.write_text(json.dumps({"first_run": first, "first_run_jit": first_jit, "rows": results},
                                        indent=1))
    return 0 if all(r["same_spikes"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
