"""Story (b): the E/I PING node: rates, fixed points and stability, Hopf bifurcations, gamma spectrum.

Run: PYTHONPATH=src python examples/story_ei_node.py   -> out/ei_node.png
NEURODYN_EXAMPLE_QUICK=1: a shorter run and a coarser amplitude scan.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurodyn.studies.ei_node import ei_node_story  # noqa: E402

from _paths import QUICK, out_path  # noqa: E402

duration = 600.0 if QUICK else 2000.0
scan = np.arange(0.0, 81.0, 20.0) if QUICK else np.arange(0.0, 81.0, 5.0)
res = ei_node_story(I_ext_e=10.0, duration=duration, scan=scan)
print("fixed points at I_ext_e = 10:", res.fixed_points)
fp = res.fixed_points[0]
print("fixed point at I_ext_e = 10: " + ", ".join(f"{k} = {fp[f'p/ei_ping_op/{k}']:.10g}"
                                                    for k in ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")))
print("Hopf points:\n", res.branch.bifurcations[["type", "p/ei_ping_op/I_ext_e", "frequency_hz"]])
for _, h in res.branch.bifurcations.iterrows():
    print(f"{h['type']} at I_ext_e = {h['p/ei_ping_op/I_ext_e']:.10g}, frequency {h['frequency_hz']:.10g} Hz")
df = float(res.spectrum["frequency"].values[1] - res.spectrum["frequency"].values[0])
print(f"dominant frequency of r_e: {res.dominant_frequency:.4f} Hz (spectral resolution {df:.4f} Hz)")
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
res.plot(axes)
fig.suptitle("Next-generation E/I node (Delicado et al. 2025 parameters, eps = 0)", fontsize=10)
fig.tight_layout()
fig.savefig(out_path("ei_node"), dpi=110)
print("wrote", out_path("ei_node"))
