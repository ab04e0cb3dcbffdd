"""Story (a): a single next-generation population with a synapse, driven by a step of input.

Run: PYTHONPATH=src python examples/story_single_population.py   -> out/single_population.png
"""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.studies.single_population import step_response  # noqa: E402

from _paths import out_path  # noqa: E402




res = step_response(amplitude=3.0, onset=20.0, offset=50.0, duration=100.0)
fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
res.plot(axes[0])
axes[0].set_title("QIF population with first-order synapse (eta = -5, J = 15): step input switches it to the "
                  "high state", fontsize=9)
axes[1].plot(res.traces.index, res.traces["v"], color="tab:purple")
axes[1].set_ylabel("mean voltage v")
axes[1].set_xlabel("time (units of tau)")
fig.tight_layout()
fig.savefig(out_path("single_population"), dpi=120)
for key, fps in res.fixed_points.items():
    print(key, fps)
print("wrote", out_path("single_population"))
