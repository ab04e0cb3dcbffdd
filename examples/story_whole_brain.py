"""Story (c): whole-brain E/I network on the AAL90 connectome: regional traces and functional connectivity.

Run: PYTHONPATH=src python examples/story_whole_brain.py   -> out/whole_brain.png  (NEURODYN_EXAMPLES_QUICK=1: 2 s)
Needs ../shared/data/aal90 next to the checkout (skips with a message otherwise).
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.network import Connectome  # noqa: E402
from neurodyn.studies.whole_brain import whole_brain  # noqa: E402

from _paths import QUICK, out_path, aal90_dir  # noqa: E402

d = aal90_dir()
if d is None:
    print("AAL90 data not found (expected ../shared/data/aal90 next to the checkout); skipping this example.")
    sys.exit(0)
conn = Connectome.from_aal90(d)
res = whole_brain(conn, duration=2000.0 if QUICK else 20000.0, eps=20.0, I_ext_e=2.2, sigma=0.05)
print(res.fixed_point)
print(f"FC-SC correlation {res.fc_sc_correlation:.3f}; simulated vs linear-noise FC {res.fc_linear_correlation:.3f}")
fig, axes = plt.subplots(1, 4, figsize=(19, 4.4), layout="constrained")
res.plot(axes)
fig.suptitle("AAL90, E/I next-generation nodes, eps = 20, I_ext_e = 2.2 (below the homogeneous Hopf point), "
             f"noise sigma = 0.05 on v_e, v_i, {2 if QUICK else 20} s", fontsize=10)
fig.savefig(out_path("whole_brain"), dpi=100)
print("wrote", out_path("whole_brain"))
