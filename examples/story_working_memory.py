"""Story (e): a bistable population as a working memory (cue, persistence, erasure).

Run: PYTHONPATH=src python examples/story_working_memory.py   -> out/working_memory.png
NEURODYN_EXAMPLE_QUICK=1: a coarser output grid (the protocol itself is already short).
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.studies.working_memory import working_memory_trial  # noqa: E402

from _paths import QUICK, out_path  # noqa: E402

trial = working_memory_trial(eta=-5.0, J=15.0, sampling_step_size=0.1 if QUICK else 0.01)
print(trial.range, trial.states, trial.params)
print(f"bistable range: I_low = {trial.range.I_low:.10g}, I_high = {trial.range.I_high:.10g}")
print(f"background input I_bias = {trial.params['I_bias']:.10g}: low {trial.states['low']:.10g}, "
      f"saddle {trial.states['saddle']:.10g}, high {trial.states['high']:.10g}")
print("memory at t = 19, 40, 59, 99:", [trial.memory_at(t) for t in (19, 40, 59, 99)])
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
trial.plot(axes)
fig.suptitle("QIF population with synapse (eta = -5, J = 15) as a working memory", fontsize=10)
fig.tight_layout()
fig.savefig(out_path("working_memory"), dpi=110)
print("wrote", out_path("working_memory"))
