"""Lyapunov spectra: the cost of k tangent vectors against the cost of the trajectory alone, and against a
straightforward NumPy/SciPy implementation of the same algorithm.

Work (issue target: a spectrum of k vectors costs at most (k + 1) x 1.5 the base simulation with the same solver
and step):
  * single node: the E/I PING node (ei_ping, 6 states) at I_ext_e = 10, RK4, dt 0.01 ms, 2000 ms, k = 6;
  * network: the E/I node on the 90-region AAL connectome (row-normalised, eps = 10, no delays), RK4, dt 0.01 ms,
    200 ms, k = 10 (540 states).
Both sides are compiled/warmed first (the kernels are cached), then timed alternately, medians reported:
  base       ``Model.run`` of the same duration, nothing recorded but the last sample every 10 ms;
  spectrum   ``neurodyn.analysis.lyapunov_spectrum`` (renormalisation every 500 steps, the default);
  numpy      the same RK4 + QR algorithm in NumPy, with f and the Jacobian lambdified by SymPy
             (``SymbolicSystem``): one dense Jacobian-matrix product per stage (single node only; for the
             network it is extrapolated from 5 ms and says so).
Run: ``PYTHONPATH=src python benchmarks/bench_lyapunov.py [--repeat 3] [--quick]``
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def numpy_spectrum(system, x0, k, T, dt, every=500):
    """Benettin's algorithm written plainly: RK4 on (x, V) with NumPy, QR every ``every`` steps."""
    n = x0.size
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    x, V = x0.copy(), Q

    def F(x, V):
        return system.f(x), system.jacobian(x) @ V

    sums = np.zeros(k)
    steps = int(round(T / dt))
    for s in range(steps):
        k1 = F(x, V)
        k2 = F(x + 0.5 * dt * k1[0], V + 0.5 * dt * k1[1])
        k3 = F(x + 0.5 * dt * k2[0], V + 0.5 * dt * k2[1])
        k4 = F(x + dt * k3[0], V + dt * k3[1])
        x = x + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        V = V + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        if (s + 1) % every == 0:
            V, R = np.linalg.qr(V)
            d = np.diag(R)
            V = V * np.sign(d)
            sums += np.log(np.abs(d))
    return sums / T


def case_single(T):
    import neurodyn as nd
    from neurodyn.analysis import SymbolicSystem, lyapunov_spectrum
    params = {"p/ei_ping_op/I_ext_e": 10.0}
    m = nd.compile_model("ei_ping")
    system = SymbolicSystem.from_circuit("ei_ping", params=params)
    x0 = m.run(200.0, 0.01, solver="rk4", params=params, sampling_step_size=200.0).iloc[-1].to_numpy()
    init = dict(zip(system.labels, x0))
    base = lambda: m.run(T, 0.01, solver="rk4", params=params, initial_state=init, sampling_step_size=10.0)  # noqa
    spec = lambda: lyapunov_spectrum("ei_ping", k=6, simulation_time=T, step_size=0.01, params=params,  # noqa
                                     initial_state=init, align=0.0)
    ref = lambda: numpy_spectrum(system, x0, 6, T, 0.01)  # noqa
    return base, spec, ref, 6, 1.0


def ei_network_numpy(W, eps, I_e, p):
    """The E/I network's right-hand side and tangent map written directly in NumPy (vectorised over regions):
    the straightforward implementation a user would write for this model."""
    te, ti, tse, tsi = p["tau_e"], p["tau_i"], p["tau_se"], p["tau_si"]

    def f(x):
        re, ve, se, ri, vi, si = x.reshape(6, -1)
        net = eps * (W @ se)
        return np.concatenate([
            (p["Delta_e"] / (np.pi * te) + 2 * re * ve) / te,
            (ve ** 2 + p["nu_e"] - (np.pi * te * re) ** 2 + I_e + te * (p["J_ee"] * se - p["J_ei"] * si + net)) / te,
            (re - se) / tse,
            (p["Delta_i"] / (np.pi * ti) + 2 * ri * vi) / ti,
            (vi ** 2 + p["nu_i"] - (np.pi * ti * ri) ** 2 + ti * (p["J_ie"] * se - p["J_ii"] * si + net)) / ti,
            (ri - si) / tsi])

    def jv(x, V):
        re, ve, se, ri, vi, si = (c[:, None] for c in x.reshape(6, -1))
        dre, dve, dse, dri, dvi, dsi = V.reshape(6, -1, V.shape[1])
        dnet = eps * (W @ dse)
        return np.concatenate([
            2 * (dre * ve + re * dve) / te,
            (2 * ve * dve - 2 * (np.pi * te) ** 2 * re * dre + te * (p["J_ee"] * dse - p["J_ei"] * dsi + dnet)) / te,
            (dre - dse) / tse,
            2 * (dri * vi + ri * dvi) / ti,
            (2 * vi * dvi - 2 * (np.pi * ti) ** 2 * ri * dri + ti * (p["J_ie"] * dse - p["J_ii"] * dsi + dnet)) / ti,
            (dri - dsi) / tsi])
    return f, jv


def case_network(T):
    from neurodyn.analysis import lyapunov_spectrum
    from neurodyn.network import BrainNetwork, Coupling, load_connectome
    aal = ROOT.parent / "shared" / "data" / "aal90"
    if not aal.is_dir():
        aal = Path("/work/shared/data/aal90")
    C = load_connectome(aal).normalise("rows")
    net = BrainNetwork("ei_ping_pop", C, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    params = {"ei_ping_op/eps": 10.0, "ei_ping_op/I_ext_e": 8.0}
    kw = dict(variables=["ei_ping_op/r_e"], params=params, sampling_step_size=10.0, solver="rk4", store=False)
    base = lambda: net.simulate(T, 0.01, **kw)  # noqa
    spec = lambda: lyapunov_spectrum(net, k=10, simulation_time=T, step_size=0.01, params=params, align=0.0)  # noqa
    x0 = spec().final_state                                # a state on the network's attractor (variable-major)
    consts = {n: float(d.value) for o in net.node.operators for n, d in o.variables.items() if d.kind == "constant"}
    f, jv = ei_network_numpy(np.asarray(C.weights), 10.0, 8.0, consts)

    short = 5.0
    ref = lambda: numpy_spectrum_jv(f, jv, x0, 10, short, 0.01)  # noqa
    return base, spec, ref, 10, T / short


def numpy_spectrum_jv(f, jv, x0, k, T, dt, every=500):
    """numpy_spectrum with a Jacobian-vector product instead of a dense Jacobian."""
    rng = np.random.default_rng(0)
    V, _ = np.linalg.qr(rng.standard_normal((x0.size, k)))
    x = x0.copy()
    sums = np.zeros(k)
    for s in range(int(round(T / dt))):
        k1x, k1v = f(x), jv(x, V)
        x2, V2 = x + 0.5 * dt * k1x, V + 0.5 * dt * k1v
        k2x, k2v = f(x2), jv(x2, V2)
        x3, V3 = x + 0.5 * dt * k2x, V + 0.5 * dt * k2v
        k3x, k3v = f(x3), jv(x3, V3)
        x4, V4 = x + dt * k3x, V + dt * k3v
        k4x, k4v = f(x4), jv(x4, V4)
        x = x + dt / 6 * (k1x + 2 * k2x + 2 * k3x + k4x)
        V = V + dt / 6 * (k1v + 2 * k2v + 2 * k3v + k4v)
        if (s + 1) % every == 0:
            V, R = np.linalg.qr(V)
            d = np.diag(R)
            V = V * np.sign(d)
            sums += np.log(np.abs(d))
    return sums / T


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    reps = 1 if a.quick else a.repeat
    rows = []
    for name, case, T in (("single node (6 states, k=6)", case_single, 200.0 if a.quick else 2000.0),
                          ("AAL90 network (540 states, k=10)", case_network, 20.0 if a.quick else 200.0)):
        base, spec, ref, k, ref_scale = case(T)
        base(), spec()                                         # compile / load kernels
        tb, ts, tr = [], [], []
        for _ in range(reps):
            for fn, acc in ((base, tb), (spec, ts)):
                t0 = time.perf_counter()
                fn()
                acc.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref()
        tr.append((time.perf_counter() - t0) * ref_scale)
        b, s, r = statistics.median(tb), statistics.median(ts), statistics.median(tr)
        rows.append((name, b, s, s / b, (k + 1) * 1.5, r, r / s, ref_scale != 1.0))
    print(f"{'work':<36} {'base':>9} {'spectrum':>9} {'ratio':>7} {'target':>7} {'numpy':>10} {'speed-up':>9}")
    for name, b, s, q, target, r, sp, extrap in rows:
        print(f"{name:<36} {b:8.3f}s {s:8.3f}s {q:6.2f}x {target:6.1f}x {r:9.2f}s{'*' if extrap else ' '} "
              f"{sp:8.1f}x")
    print("* extrapolated from a 5 ms run of the NumPy implementation")
    return 0 if all(q <= target for _, _, _, q, target, *_ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
