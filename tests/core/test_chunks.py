"""Fixed-step runs are cut into chunks: the progress bar, and results that do not depend on how or when."""
import numpy as np

import neurodyn as nd
import neurodyn.solvers.fixed as sim
from ndcore_models import oscillator_circuit
from neurodyn.network import BrainNetwork, Connectome, Coupling

B = "numba"


def test_progress_bar_when_asked_and_silent_otherwise(capsys, monkeypatch):
    model = nd.compile_model(oscillator_circuit(), backend=B)
    monkeypatch.setattr(sim, "CHUNK_WORK", 50)           # a few steps per chunk: many chunks
    a = model.run(1.0, 0.01, solver="rk4", progress=True)
    err = capsys.readouterr().err
    assert "neurodyn" in err and "100/100" in err       # tqdm's bar, run to completion
    b = model.run(1.0, 0.01, solver="rk4", progress=False)
    assert capsys.readouterr().err == ""
    assert a.equals(b)                                   # the bar changes nothing


def test_chunk_length_depends_on_the_problem_only(monkeypatch):
    """Streamed observables (mean, FC, BOLD) are merged chunk by chunk; chunk boundaries used to follow the
    measured wall time, so identical runs differed by an ulp. Now two identical runs are bit-identical."""
    rng = np.random.default_rng(4)
    W = rng.uniform(0, 1, (12, 12)) * (rng.uniform(size=(12, 12)) < 0.5)
    np.fill_diagonal(W, 0)
    net = BrainNetwork("ei_ping_pop", Connectome(W).normalise("rows"), Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    kw = dict(variables=["ei_ping_op/r_e"], fc="ei_ping_op/r_e", bold=dict(variable="ei_ping_op/r_e", tr=0.05),
              params={"ei_ping_op/eps": 5.0}, initial="random", seed=3, store=False, progress=False)
    monkeypatch.setattr(sim, "CHUNK_WORK", 200_000)      # ~1000 steps per chunk: 30 chunks per run
    runs = [net.simulate(300.0, 0.01, **kw) for _ in range(2)]
    for v in ("mean_r_e", "fc", "bold"):
        np.testing.assert_array_equal(runs[0][v].values, runs[1][v].values)
    assert np.ptp(runs[0]["fc"].values) > 1e-4 and np.ptp(runs[0]["bold"].values) > 0
