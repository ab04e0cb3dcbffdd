"""Map the E/I next-generation network on AAL90 over (eps, I_ext_e): dominant frequency, synchrony and FC-SC
similarity per point, from one network sweep written to a Zarr store (a rerun resumes it).

Model: one ``ei_ping_pop`` node per AAL90 region (self-connections removed, rows normalised to 1), long-range
input ``s_net = sum_m W_nm s_e,m`` entering both populations with the global coupling ``eps`` (a node parameter),
weak white noise on v_e and a random initial state per point (+-10 % around the defaults, from the point's own
seed); each point is summarised while it runs (no trajectory is kept):

* dominant frequency of r_e (Welch, mean over regions);
* synchrony of r_e across regions (Golomb's chi, 1 = identical regions);
* FC-SC similarity: correlation of the upper triangles of the FC of r_e and of the structural weights.

Stability boundaries of the homogeneous state (Hopf and saddle-node curves from continuation) belong to the
analysis work, which has not landed on this branch: :func:`stability_boundaries` is the hook that will return
them; the maps are drawn with whatever it returns (nothing today).

Run: ``PYTHONPATH=src python examples/sweep_ei_aal90.py`` -> out/sweep_ei_aal90.png (and out/sweep_ei_aal90.zarr)
``NEURODYN_EXAMPLE_QUICK=1`` runs a 3 x 3 grid of 100 ms runs in this process (about a minute); the full map
(12 x 12 points, 1 s each) runs on a LocalCluster of worker processes (about 10-20 minutes on 2 cores).
Needs ../shared/data/aal90 next to the checkout (or $NEURODYN_SHARED_DIR; skips with a message otherwise).
"""
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurodyn.network import BrainNetwork, Connectome, Coupling  # noqa: E402
from neurodyn.observables import FCSimilarity, Spectrum, Synchrony  # noqa: E402
from neurodyn.sweep import NetworkSweep, grid_view, plot_map  # noqa: E402

from _paths import aal90_dir, out_path  # noqa: E402

QUICK = os.environ.get("NEURODYN_EXAMPLE_QUICK") == "1"
RE, VE = "ei_ping_op/r_e", "ei_ping_op/v_e"


def stability_boundaries():
    """Curves to overlay on the maps: the Hopf curve of the network's homogeneous state in the (eps, I_ext_e)
    plane, as a list of (eps values, I_ext_e values, label).

    With row-normalised weights the homogeneous state is invariant and reduces to one self-coupled node
    (``neurodyn.analysis.homogeneous_node``); its Hopf points in I_ext_e at eps = 0 are followed in two
    parameters (``hopf_curve``). Inside the curve the homogeneous state oscillates (PING gamma).
    """
    from neurodyn.analysis import SymbolicSystem, continuation, find_fixed_points, homogeneous_node, hopf_curve
    node = homogeneous_node("ei_ping_pop", Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    system = SymbolicSystem.from_circuit(node, params={"node/ei_ping_op/eps": 0.0, "node/ei_ping_op/I_ext_e": 0.0})
    rates = {f"node/ei_ping_op/{r}": (1e-6, 5.0) for r in ("r_e", "r_i")}    # the physical state: rates > 0
    x0 = find_fixed_points(system, bounds=rates)[0]
    branch = continuation(system, "node/ei_ping_op/I_ext_e", x0, 0.0, 100.0)
    curves = []
    for k, h in enumerate(branch.special("hopf")[:1]):
        c = hopf_curve(h, "node/ei_ping_op/eps", bounds={"node/ei_ping_op/eps": (0.0, 20.0),
                                                          "node/ei_ping_op/I_ext_e": (0.0, 100.0)})
        pts = c.points
        curves.append((pts["node/ei_ping_op/eps"].to_numpy(), pts["node/ei_ping_op/I_ext_e"].to_numpy(),
                       "Hopf curve of the homogeneous state"))
    return curves


_CURVES = None


def overlay(ax):
    global _CURVES
    if _CURVES is None:
        _CURVES = stability_boundaries()
    for eps, current, label in _CURVES:
        ax.plot(eps, current, "w-", lw=1.5, label=label)
    if _CURVES:
        ax.legend(fontsize=7, loc="upper left")


def main():
    d = aal90_dir()
    if d is None:
        print("AAL90 data not found (expected ../shared/data/aal90 next to the checkout); skipping this example.")
        return 0
    conn = Connectome.from_aal90(d).without_self_connections().normalise("rows")
    net = BrainNetwork("ei_ping_pop", conn, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    if QUICK:
        eps, current, T, discard, nperseg, client = np.linspace(0, 20, 3), np.linspace(0, 12, 3), 100.0, 20.0, 400, \
            "serial"
    else:
        eps, current, T, discard, nperseg, client = np.linspace(0, 20, 12), np.linspace(0, 12, 12), 1000.0, 200.0, \
            2000, None
    sw = NetworkSweep(net, {"ei_ping_op/eps": eps, "ei_ping_op/I_ext_e": current}, grid=True, simulation_time=T,
                      step_size=0.01, sampling_step_size=0.1, noise={VE: 0.01}, discard=discard, seed=2025,
                      initial="random",
                      observables=[Spectrum(RE, nperseg=nperseg, band=(2.0, 200.0)), Synchrony(RE),
                                   FCSimilarity(RE, np.asarray(conn.weights), constant="nan")])
    print(sw)
    store = out_path("sweep_ei_aal90").with_suffix(".quick.zarr" if QUICK else ".zarr")
    t0 = time.perf_counter()
    ds = sw.run(store=store, client=client, resume=store.exists(), progress=not QUICK)
    wall = time.perf_counter() - t0
    print(sw.report, f"in {wall:.1f} s ({wall / max(1, sw.n_points):.2f} s per point)")
    print(f"frequency resolution: {1000.0 / (0.1 * nperseg):.3g} Hz")
    g = grid_view(ds)
    for name in ("dominant_frequency", "synchrony", "fc_similarity"):
        v = g[name].where(g["status"] == 1)
        if "region" in v.dims:
            v = v.mean("region")
        print(f"{name}: " + "; ".join(f"eps={e:g}: " + " ".join(f"{x:.3g}" for x in v.sel(eps=e).values)
                                      for e in g["eps"].values))
    failed = int((ds["status"] == 2).sum())
    if failed:
        print(f"{failed} point(s) failed, e.g.: {next(str(e) for e in ds['error'].values if str(e))}")
    curves = stability_boundaries()
    for eps_c, cur_c, label in curves:
        print(f"{label}: I_ext_e = {cur_c[np.argmin(np.abs(eps_c))]:.4g} at eps = 0, "
              f"{np.interp(10.0, np.sort(eps_c), cur_c[np.argsort(eps_c)]):.4g} at eps = 10")
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    for ax, (name, title) in zip(axes, (("dominant_frequency", "dominant frequency of r_e (Hz, mean over regions)"),
                                        ("synchrony", "synchrony of r_e (chi)"),
                                        ("fc_similarity", "FC-SC similarity"))):
        plot_map(ds, name, "eps", "I_ext_e", ax=ax, overlay=overlay, title=title)
    fig.suptitle(f"E/I network on AAL90 (row-normalised), {sw.n_points} points of {T:g} ms, noise 0.01 on v_e",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out_path("sweep_ei_aal90"), dpi=100)
    print("wrote", out_path("sweep_ei_aal90"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
