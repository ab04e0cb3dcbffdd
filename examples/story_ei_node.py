"""Story (b): the E/I PING node: rates, fixed points and stability, Hopf bifurcations, gamma spectrum.

Run: PYTHONPATH=src python examples/story_ei_node.py   -> out/ei_node.png
"""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurodyn.studies.ei_node import ei_node_story  # noqa: E402

from _paths import out_path  # noqa: E402




res = ei_node_story(I_ext_e=10.0, duration=2000.0, scan=np.arange(0.0, 81.0, 5.0))
print("fixed points at I_ext_e = 10:", res.fixed_points)
print("Hopf points:\n", res.branch.bifurcations[["type", "p/ei_ping_op/I_ext_e", "frequency_hz"]])
print(f"dominant frequency of r_e: {res.dominant_frequency:.1f} Hz")
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
res.plot(axes)
fig.suptitle("Next-generation E/I node (Delicado et al. 2025 parameters, eps = 0)", fontsize=10)
fig.tight_layout()
fig.savefig(out_path("ei_node"), dpi=110)
print("wrote", out_path("ei_node"))
