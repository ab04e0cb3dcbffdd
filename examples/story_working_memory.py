"""Story (e): a bistable population as a working memory (cue, persistence, erasure).

Run: PYTHONPATH=src python examples/story_working_memory.py   -> out/working_memory.png
"""


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.studies.working_memory import working_memory_trial  # noqa: E402

from _paths import out_path  # noqa: E402




trial = working_memory_trial(eta=-5.0, J=15.0)
print(trial.range, trial.states, trial.params)
print("memory at t = 19, 40, 59, 99:", [trial.memory_at(t) for t in (19, 40, 59, 99)])
fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
trial.plot(axes)
fig.suptitle("QIF population with synapse (eta = -5, J = 15) as a working memory", fontsize=10)
fig.tight_layout()
fig.savefig(out_path("working_memory"), dpi=110)
print("wrote", out_path("working_memory"))
