"""Story (f): hub identification by virtual lesions on the AAL90 connectome.

Run: PYTHONPATH=src python examples/story_hubs.py   -> out/hubs.png
Needs ../shared/data/aal90 next to the checkout (skips with a message otherwise).
"""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.network import Connectome  # noqa: E402
from neurodyn.studies.hubs import virtual_lesions  # noqa: E402

from _paths import out_path, aal90_dir  # noqa: E402






d = aal90_dir()
if d is None:
    print("AAL90 data not found (expected ../shared/data/aal90 next to the checkout); skipping this example.")
    sys.exit(0)
res = virtual_lesions(Connectome.from_aal90(d), eps=20.0, I_ext_e=2.2, sigma=0.05)
print(res.top(10))
print(f"Spearman(strength, lesion effect) = {res.spearman:.2f}")
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
res.plot(axes)
fig.suptitle("Virtual lesions, AAL90, E/I network (eps = 20, I_ext_e = 2.2, linear-noise FC of r_e)", fontsize=10)
fig.tight_layout()
fig.savefig(out_path("hubs"), dpi=110)
print("wrote", out_path("hubs"))
