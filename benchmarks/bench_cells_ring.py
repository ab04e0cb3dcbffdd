"""Benchmark: a ring of N three-compartment-type cells in neurodyn.cells and in NEURON, same work.

Each cell is the task's soma (hh) + dendrite (pas, nseg 101 or 11). Soma i drives an ExpSyn at the middle of
cell (i+1) % N's dendrite through a NetCon (threshold 10 mV, delay 1 ms, weight 0.04 uS); cell 0 is kicked
by a NetStim (one spike at 5 ms, delay 1, weight 0.04). tstop 100 ms, dt 0.025 ms, backward Euler, soma
voltages of cells 0 and N-1 recorded, spikes of all cells recorded.

Every measurement runs in its own subprocess (fair peak memory: ru_maxrss of that process). Reported per
configuration: construction time, finitialize time, simulation time (continuerun; wall clock and the
process's CPU time, which is less sensitive to other load on the machine), spike count and whether
the spike trains are identical, peak RSS and the memory added by the model (RSS after the run minus RSS after
imports). neurodyn is measured "first run" (empty Numba caches: includes compilation), "warm" (caches
filled) and "AOT" (``NEURODYN_AOT=1`` with the ahead-of-time kernel library built once beforehand: the
process loads the kernel without importing Numba); NEURON and the two neurodyn variants are alternated
``--repeats`` times and medians are reported.

Usage::

    PYTHONPATH=src python benchmarks/bench_cells_ring.py [--repeats 3] [--sizes 100 1000] [--nseg 101 11]

Exits with status 2 when NEURON is not installed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r'''
import json, os, resource, sys, time
import numpy as np
sim, N, nseg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
if sim == "neuron":
    from neuron import h
    h.load_file("stdrun.hoc")
else:
    from neurodyn.cells import h
rss0 = rss_mb()
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
spk_t, spk_id = [], []
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
rss1 = rss_mb()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT" + json.dumps({"build": t_build, "init": t_init, "run": t_run, "cpu_run": cpu_run,
                             "nspikes": sum(map(len, spikes)),
                             "spikes": spikes, "peak_rss_mb": peak, "model_mb": rss1 - rss0,
                             "v0_end": float(np.array(v0)[-1]), "vN_max": float(np.max(np.array(vN)))}))
'''


def measure(sim: str, n: int, nseg: int, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, sim, str(n), str(nseg)], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[6:])
    raise RuntimeError(f"{sim} N={n} nseg={nseg} failed:\n{out.stderr[-3000:]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--nseg", type=int, nargs="+", default=[101, 11])
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    try:
        import neuron  # noqa: F401
    except ImportError:
        print("NEURON is not installed (pip install neuron): cannot run the comparison", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    results = []
    with tempfile.TemporaryDirectory() as cache:
        cold_env = dict(env, NUMBA_CACHE_DIR=cache, NEURODYN_CACHE_DIR=cache)
        first = measure("neurodyn", 10, 11, cold_env)  # first run: empty caches, includes compilation
        print(f"neurodyn first run (empty Numba cache, N=10): init {first['init']:.2f} s "
              f"(compilation), run {first['run']:.3f} s")
        # NEURODYN_AOT=1: the first process builds the ahead-of-time library (in finitialize), later ones load
        # it without Numba (neurodyn.backends.numba.aot)
        aot_env = dict(cold_env, NEURODYN_AOT="1")
        build = measure("neurodyn", 10, 11, aot_env)
        print(f"neurodyn NEURODYN_AOT=1 first process (builds the AOT library once): init {build['init']:.1f} s")
        variants = (("neuron", "neuron", env), ("neurodyn", "neurodyn", cold_env), ("aot", "neurodyn", aot_env))
        for n in args.sizes:
            for nseg in args.nseg:
                runs = {label: [] for label, _, _ in variants}
                for _ in range(args.repeats):  # alternate the simulators
                    for label, sim, e in variants:
                        runs[label].append(measure(sim, n, nseg, e))
                nr = runs["neuron"]
                same = all(a["spikes"] == nr[0]["spikes"] for lab in ("neurodyn", "aot") for a in runs[lab])
                row = {"N": n, "nseg": nseg, "same_spikes": same, "nspikes": runs["neurodyn"][0]["nspikes"],
                       "nspikes_neuron": nr[0]["nspikes"]}
                for key in ("build", "init", "run", "cpu_run", "peak_rss_mb", "model_mb"):
                    for label, _, _ in variants:
                        row[f"{label}_{key}"] = statistics.median(a[key] for a in runs[label])
                for label in ("neurodyn", "aot"):
                    pre = "" if label == "neurodyn" else "aot_"
                    row[f"{pre}run_ratio"] = row[f"{label}_run"] / row["neuron_run"]
                    row[f"{pre}cpu_run_ratio"] = row[f"{label}_cpu_run"] / row["neuron_cpu_run"]
                    row[f"{pre}init_plus_run_ratio"] = ((row[f"{label}_init"] + row[f"{label}_run"])
                                                        / (row["neuron_init"] + row["neuron_run"]))
                    row[f"{pre}peak_rss_ratio"] = row[f"{label}_peak_rss_mb"] / row["neuron_peak_rss_mb"]
                    row[f"{pre}model_mem_ratio"] = row[f"{label}_model_mb"] / max(row["neuron_model_mb"], 1e-9)
                results.append(row)
                print(f"N={n:5d} nseg={nseg:3d}: run neurodyn {row['neurodyn_run']:.3f} s (AOT "
                      f"{row['aot_run']:.3f}) / NEURON {row['neuron_run']:.3f} s = {row['run_ratio']:.2f} (AOT "
                      f"{row['aot_run_ratio']:.2f}; CPU time ratio {row['cpu_run_ratio']:.2f}); "
                      f"init {row['neurodyn_init']:.2f} (AOT {row['aot_init']:.2f}) / "
                      f"{row['neuron_init']:.2f} s; build {row['neurodyn_build']:.2f} / {row['neuron_build']:.2f}"
                      f" s; peak RSS {row['neurodyn_peak_rss_mb']:.0f} (AOT {row['aot_peak_rss_mb']:.0f}) / "
                      f"{row['neuron_peak_rss_mb']:.0f} MB = {row['peak_rss_ratio']:.2f}x (AOT "
                      f"{row['aot_peak_rss_ratio']:.2f}x); model memory {row['neurodyn_model_mb']:.1f} / "
                      f"{row['neuron_model_mb']:.1f} MB; spikes {row['nspikes']} / {row['nspikes_neuron']} "
                      f"identical={same}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"first_run": {k: first[k] for k in ("init", "run")},
                                         "rows": results}, indent=1))
    return 0 if all(r["same_spikes"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
