"""Story (c): whole-brain E/I network on the AAL90 connectome: regional traces and functional connectivity.

Run: PYTHONPATH=src python examples/story_whole_brain.py   -> out/whole_brain.png
Needs the AAL90 data (see examples/_paths.py; skips with a message otherwise).
NEURODYN_EXAMPLE_QUICK=1: 5 s of simulated activity instead of 20 s.
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from neurodyn.network import Connectome  # noqa: E402
from neurodyn.observables import upper_triangle  # noqa: E402
from neurodyn.studies.whole_brain import whole_brain  # noqa: E402

from _paths import QUICK, aal90_dir, out_path  # noqa: E402

d = aal90_dir()
if d is None:
    print("AAL90 data not found (set NEURODYN_DATA or put ../shared/data/aal90 next to the checkout); "
          "skipping this example.")
    sys.exit(0)
conn = Connectome.from_aal90(d)
duration = 5000.0 if QUICK else 20000.0
res = whole_brain(conn, duration=duration, eps=20.0, I_ext_e=2.2, sigma=0.05)
fp = res.fixed_point
print(fp)
print("homogeneous fixed point: " + ", ".join(f"{k} = {fp[f'node/ei_ping_op/{k}']:.10g}"
                                              for k in ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")))
lead = fp.eigenvalues[np.argmax(fp.eigenvalues.real)]
print(f"leading eigenvalue of the node: {lead.real:.10g} {lead.imag:+.10g}j ({'stable' if fp.stable else 'unstable'})")
print(f"linear-noise FC: mean of the upper triangle {upper_triangle(res.fc_linear).mean():.10g}")
print(f"simulated FC ({duration:g} ms): mean of the upper triangle {upper_triangle(res.fc.values).mean():.6g}")
print(f"FC-SC correlation {res.fc_sc_correlation:.3f}; simulated vs linear-noise FC {res.fc_linear_correlation:.3f}")
fig, axes = plt.subplots(1, 4, figsize=(19, 4.4), layout="constrained")
res.plot(axes)
fig.suptitle("AAL90, E/I next-generation nodes, eps = 20, I_ext_e = 2.2 (below the homogeneous Hopf point), "
             f"noise sigma = 0.05 on v_e, v_i, {duration / 1000:g} s", fontsize=10)
fig.savefig(out_path("whole_brain"), dpi=100)
print("wrote", out_path("whole_brain"))
