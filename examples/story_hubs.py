"""Story (f): hub identification by virtual lesions on the AAL90 connectome.

Run: PYTHONPATH=src python examples/story_hubs.py   -> out/hubs.png
Needs the AAL90 data (see examples/_paths.py; skips with a message otherwise).
NEURODYN_EXAMPLE_QUICK=1: lesion every ninth region (10 of 90) instead of all.
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.network import Connectome  # noqa: E402
from neurodyn.studies.hubs import virtual_lesions  # noqa: E402

from _paths import QUICK, aal90_dir, out_path  # noqa: E402

d = aal90_dir()
if d is None:
    print("AAL90 data not found (set NEURODYN_DATA or put ../shared/data/aal90 next to the checkout); "
          "skipping this example.")
    sys.exit(0)
res = virtual_lesions(Connectome.from_aal90(d), eps=20.0, I_ext_e=2.2, sigma=0.05,
                      regions=list(range(0, 90, 9)) if QUICK else None)
print(res.top(10))
for region, row in res.top(10).iterrows():
    print(f"lesion of region {region} ({row['label']}): strength {row['strength']:.10g}, "
          f"mean |change of FC| {row['delta_fc']:.10g}")
print(f"Spearman(strength, lesion effect) = {res.spearman:.2f}")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
res.plot(axes)
fig.suptitle("Virtual lesions, AAL90, E/I network (eps = 20, I_ext_e = 2.2, linear-noise FC of r_e)", fontsize=10)
fig.tight_layout()
fig.savefig(out_path("hubs"), dpi=110)
print("wrote", out_path("hubs"))
