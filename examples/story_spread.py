"""Story (d): focal stimulation of one region and the spread of activity over the AAL90 connectome.

Run: PYTHONPATH=src python examples/story_spread.py   -> out/spread.png
Needs the AAL90 data (see examples/_paths.py; skips with a message otherwise).
NEURODYN_EXAMPLE_QUICK=1: 40 instead of 60 time units, and the coupling scan at G = 4, 7, 9 only.
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.network import Connectome  # noqa: E402
from neurodyn.studies.spread import focal_stimulation  # noqa: E402

from _paths import QUICK, aal90_dir, out_path  # noqa: E402

d = aal90_dir()
if d is None:
    print("AAL90 data not found (set NEURODYN_DATA or put ../shared/data/aal90 next to the checkout); "
          "skipping this example.")
    sys.exit(0)
conn = Connectome.from_aal90(d)
seed = "PreCG.L"
duration = 40.0 if QUICK else 60.0
res = focal_stimulation(conn, seed, G=9.0, duration=duration)
print(res.states)
print(f"homogeneous states (J + G = 24): low {res.states['low']:.10g}, saddle {res.states['saddle']:.10g}, "
      f"high {res.states['high']:.10g}")
print(res.onsets.sort_values("onset").head(8))
rec = res.onsets[res.onsets["recruited"] & (res.onsets.index != res.params["seed_region"])]
rho = rec[["onset", "weight_from_seed"]].corr(method="spearman").iloc[0, 1]
print(f"{res.n_recruited} regions recruited; Spearman(onset, weight from seed) = {rho:.2f}")
print(f"last onset at t = {res.onsets['onset'].max():.1f}")
# which couplings let activity spread: number of recruited regions against G
Gs = [4.0, 7.0, 9.0] if QUICK else [2.0, 4.0, 6.0, 7.0, 8.0, 9.0, 10.0]
counts = [focal_stimulation(conn, seed, G=G, duration=duration, step_size=0.01).n_recruited for G in Gs]
fig, axes = plt.subplots(1, 3, figsize=(17, 4.4), layout="constrained")
res.plot(axes[:2])
axes[1].set_title(f"{res.n_recruited}/90 recruited; Spearman rho = {rho:.2f}", fontsize=9)
axes[2].plot(Gs, counts, "o-")
axes[2].set_xlabel("long-range coupling G")
axes[2].set_ylabel("regions recruited (of 90)")
axes[2].set_title("spread needs G >~ 8 (eta = -5, J = 15)", fontsize=9)
fig.suptitle("Focal stimulation of PreCG.L: bistable QIF populations with synapses, AAL90, G = 9", fontsize=10)
fig.savefig(out_path("spread"), dpi=110)
print(dict(zip(Gs, counts)))
print("wrote", out_path("spread"))
