"""The studies of Delicado, Huguet & Clusella (2025) on the AAL90 connectome: (a) bifurcation diagram of the
homogeneous E/I node, (b) dispersion relations, (c) Lyapunov exponents of the network, (d) the spatiotemporal
pattern that grows out of a transversally unstable synchronous state, (e) gamma-theta PAC.

Run: PYTHONPATH=src python examples/ngnmm_paper.py   -> out/ngnmm_paper_{bifurcations,dispersion,lyapunov,
pattern,pac}.png. NEURODYN_EXAMPLE_QUICK=1: fewer couplings, coarser scans, shorter runs (~1 min).
Needs the AAL90 data ($NEURODYN_DATA/aal90 or ../shared/data/aal90; skips with a message otherwise).
"""
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurodyn.network import Connectome  # noqa: E402
from neurodyn.studies import (ei_bifurcation_diagram, network_dispersion, network_lyapunov,  # noqa: E402
                              theta_gamma_pac, transverse_pattern)

from _paths import QUICK, aal90_dir, out_path  # noqa: E402

d = aal90_dir()
if d is None:
    print("AAL90 data not found (set NEURODYN_DATA or put ../shared/data next to the checkout); skipping this "
          "example.")
    sys.exit(0)
conn = Connectome.from_aal90(d)
clock = time.time()

# (a) bifurcation diagram of the homogeneous node ------------------------------------------------------------
eps_list = (0.0, 12.0) if QUICK else (0.0, 5.0, 12.0, 20.0)
diagram = ei_bifurcation_diagram(eps=eps_list, I_range=(0.0, 20.0) if QUICK else (-5.0, 80.0),
                                 doubling_depth=1 if QUICK else 2)
print(diagram)
for _, h in diagram.hopf_points.iterrows():
    print(f"Hopf point: eps = {h['eps']:g}, I_ext_e = {h['I_ext_e']:.8f}, frequency {h['frequency_hz']:.6f} Hz, "
          f"l1 = {h['l1']:.4g} ({h['criticality']})")
for _, b in diagram.cycle_bifurcations.iterrows():
    print(f"cycle bifurcation: eps = {b['eps']:g}, generation {int(b['generation'])}, {b['type']} at I_ext_e = "
          f"{b['I_ext_e']:.8f}, period {b['period']:.6f} ms")
fig = diagram.plot()
fig.savefig(out_path("ngnmm_paper_bifurcations"), dpi=90)
plt.close(fig)

# (b) dispersion relations: a synchronised cycle, a transversally unstable cycle and fixed point ----------------
cases = [(5.0, 10.0), (10.0, 8.0), (10.0, 14.0)]
disp = {}
fig, axes = plt.subplots(len(cases), 3, figsize=(15, 3.9 * len(cases)))
for row, (eps, I) in zip(axes, cases):
    nd = network_dispersion(conn, eps=eps, I_ext_e=I)
    disp[(eps, I)] = nd
    m = nd.most_unstable
    period = f", period {nd.state.period:.6f} ms" if nd.kind == "cycle" else ""
    print(f"dispersion at eps = {eps:g}, I_ext_e = {I:g}: {nd.kind}{period}; {nd.n_unstable} unstable modes of 90; "
          f"most unstable Lambda = {np.real(m['Lambda']):.8f}, growth rate {m['growth_rate']:.8f} /ms")
    nd.plot(axes=row)
fig.tight_layout()
fig.savefig(out_path("ngnmm_paper_dispersion"), dpi=80)
plt.close(fig)

# (d) the pattern growing from the transversally unstable cycle and fixed point ---------------------------------
fig, axes = plt.subplots(2, 3, figsize=(16, 8.4), gridspec_kw={"width_ratios": [1.1, 1.6, 0.9]})
for row, key in zip(axes, [(10.0, 8.0), (10.0, 14.0)]):
    nd = disp[key]
    tp = transverse_pattern(nd, duration=(300.0 if nd.kind == "cycle" else 700.0) if QUICK else None)
    print(f"pattern at eps = {key[0]:g}, I_ext_e = {key[1]:g} ({nd.kind}): growth rate measured "
          f"{tp.measured_growth_rate:.8f} /ms, predicted {tp.predicted_growth_rate:.8f} /ms (relative difference "
          f"{tp.relative_error:.2e}); pattern correlation {tp.pattern_correlation:.6f}")
    tp.plot(axes=row, window=150.0)
fig.tight_layout()
fig.savefig(out_path("ngnmm_paper_pattern"), dpi=80)
plt.close(fig)

# (c) the largest Lyapunov exponents of the network against the drive -------------------------------------------
I_values = [2.0, 8.0, 10.0] if QUICK else list(np.arange(2.0, 16.1, 1.0))
scan = network_lyapunov(conn, eps=10.0, I_values=I_values, k=2 if QUICK else 3,
                        simulation_time=300.0 if QUICK else 2000.0, transient=200.0 if QUICK else 1000.0)
print(scan)
for _, r in scan.table.iterrows():
    print(f"Lyapunov at eps = 10, I_ext_e = {r['I_ext_e']:g}: lambda_1 = {r['lambda_1']:.6f} /ms (spread "
          f"{r['spread']:.2e}), lambda_2 = {r['lambda_2']:.6f}; homogeneous node lambda_1 = {r['hom_lambda_1']:.6f}")
fig, ax = plt.subplots(figsize=(7, 4))
scan.plot(ax)
fig.tight_layout()
fig.savefig(out_path("ngnmm_paper_lyapunov"), dpi=90)
plt.close(fig)

# (e) gamma-theta PAC: theta-paced drive, and the network's own dynamics -----------------------------------------
n_s = 19 if QUICK else 199
T = 3000.0 if QUICK else 20000.0
paced = theta_gamma_pac(conn, eps=5.0, I_ext_e=8.0, theta_hz=6.0, theta_depth=2.0, duration=T, n_surrogates=n_s)
own = theta_gamma_pac(conn, eps=10.0, I_ext_e=10.0, theta_depth=0.0, duration=T, n_surrogates=n_s)
for name, res in (("theta-paced drive (eps = 5, I_ext_e = 8)", paced), ("own dynamics (eps = 10, I_ext_e = 10)", own)):
    print(f"PAC, {name}: theta {res.phase_band[0]:.2f}-{res.phase_band[1]:.2f} Hz, gamma {res.amplitude_band[0]:.1f}-"
          f"{res.amplitude_band[1]:.1f} Hz; median z = {np.median(res.z):.3f}, min z = {res.z.min():.3f}, "
          f"{res.fraction_significant:.3f} of regions with p <= 0.05")
print(f"PAC, theta-paced drive: pacemaker-phase median z = {np.median(np.asarray(paced.pacemaker_test['z'])):.3f}")
fig, axes = plt.subplots(2, 3, figsize=(16, 8), gridspec_kw={"width_ratios": [1.6, 1, 1]})
paced.plot(axes=axes[0])
own.plot(axes=axes[1])
axes[0, 0].set_title("theta-paced drive, eps = 5, I_ext_e = 8: " + axes[0, 0].get_title(), fontsize=9)
axes[1, 0].set_title("no pacemaker, eps = 10, I_ext_e = 10: " + axes[1, 0].get_title(), fontsize=9)
fig.tight_layout()
fig.savefig(out_path("ngnmm_paper_pac"), dpi=80)
plt.close(fig)
print(f"wrote {out_path('ngnmm_paper_bifurcations').parent}/ngnmm_paper_*.png in {time.time() - clock:.0f} s")
