"""Story (a): a single next-generation population with a synapse, driven by a step of input.

Run: PYTHONPATH=src python examples/story_single_population.py   -> out/single_population.png
NEURODYN_EXAMPLE_QUICK=1: the same protocol, 70 instead of 100 time units.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.studies.single_population import step_response  # noqa: E402

from _paths import QUICK, out_path  # noqa: E402

res = step_response(amplitude=3.0, onset=20.0, offset=50.0, duration=70.0 if QUICK else 100.0)
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
    for fp in fps:
        print(f"fixed point {key} the step (I = {0.0 if key == 'before' else 3.0:g}): r = {fp['p/qif_syn_op/r']:.10g}, "
              f"v = {fp['p/qif_syn_op/v']:.10g}, {'stable' if fp.stable else 'unstable'}")
r = res.traces["r"]
print(f"rate at t = {r.index[-1]:g} (after the step): {r.iloc[-1]:.10g}; peak during the step {r.max():.10g}")
print("wrote", out_path("single_population"))
