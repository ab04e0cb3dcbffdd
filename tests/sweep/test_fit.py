"""Fitting recovers known parameters: a target (FC and power spectrum) is made by one run of a network of noisy
damped oscillators with known coupling G and natural frequency w, and the fit, started from the whole box, finds
them again.

Setup: x'' + 2 zeta w x' + w^2 x = c + noise, c = G sum_j W_ij x_j; FC depends on G (and weakly on w), the
spectrum on w. The target is made with the fit's own noise realisation (common random numbers,
``common_noise=True``), so the loss is a deterministic function of (G, w) with its minimum, 0, at the true values;
what is tested is that the optimiser (optuna's CMA-ES) reaches it. Tolerance: 1 % on each parameter after 120
trials (20 generations; a scan of the loss shows a single valley along w^2 - G, and an uninterrupted fit reaches
0.02 %), with the study stopped after 30 trials and resumed from its SQLite file, keeping its trials (the resumed
sampler draws anew, so its path differs from an uninterrupted fit's).
"""
import pytest

from neurodyn.errors import SweepDefinitionError
from neurodyn.lang.templates import NodeTemplate, OperatorTemplate
from neurodyn.network import BrainNetwork, Coupling
from neurodyn.observables import FC, Spectrum
from neurodyn.solvers import seed_from_sequence
from neurodyn.sweep.fitting import FCTarget, SpectrumTarget, fit

from sweep_nets import small_connectome

optuna = pytest.importorskip("optuna", reason="optuna is not installed (pip install neurodyn[sweep])")

OSC = NodeTemplate("osc", [OperatorTemplate("osc_op", ["d/dt * x = y", "d/dt * y = c - w^2 * x - 2 * zeta * w * y"],
                                            {"x": "output(0.0)", "y": "variable(0.0)", "w": 60.0, "zeta": 0.15,
                                             "c": "input(0.0)"})])
TRUE = {"global_coupling": 1500.0, "osc_op/w": 70.0}
BOX = {"global_coupling": (300.0, 3000.0), "osc_op/w": (40.0, 110.0)}
RUN = dict(simulation_time=20.0, step_size=1e-3, sampling_step_size=2e-3, noise={"osc_op/y": 30.0}, discard=2.0)
SPEC = dict(nperseg=500, time_unit="s")


def make_problem():
    """The network and the targets made by one run of it at the true parameters."""
    net = BrainNetwork(OSC, small_connectome(6, seed=8), Coupling("osc_op/x", "osc_op/c"))
    target_net = net.variant(global_coupling=TRUE["global_coupling"])
    ds = target_net.simulate(seed=seed_from_sequence(5, 0), params={"osc_op/w": TRUE["osc_op/w"]},
                             variables=["osc_op/x"], store=False, progress=False,
                             observables=[FC("osc_op/x"), Spectrum("osc_op/x", **SPEC)], **RUN)
    targets = [FCTarget(ds["fc"].values, "osc_op/x", metric="rmse"),
               (SpectrumTarget("osc_op/x", psd=ds["psd"].values.mean(axis=1), frequencies=ds["frequency"].values,
                               band=(2.0, 40.0), **SPEC), 0.5)]
    return net, targets


@pytest.fixture(scope="module")
def problem():
    return make_problem()


def test_fit_recovers_known_parameters(problem, tmp_path):
    net, targets = problem
    storage = tmp_path / "study.db"
    kw = dict(simulation_time=RUN["simulation_time"], step_size=RUN["step_size"], seed=5, storage=storage,
              client="serial", **{k: v for k, v in RUN.items() if k not in ("simulation_time", "step_size")})
    first = fit(net, BOX, targets, n_trials=30, **kw)
    assert first.n_trials == 30
    res = fit(net, BOX, targets, n_trials=120, **kw)        # resumes the stored study: 90 more trials
    assert res.n_trials == 120
    assert [t.params for t in res.study.trials[:30]] == [t.params for t in first.study.trials[:30]]
    for k, v in TRUE.items():
        assert res.best_params[k] == pytest.approx(v, rel=0.01), (k, res.best_params)
    assert res.best_value < 1e-3
    with pytest.raises(SweepDefinitionError, match="made by another fit"):
        fit(net, BOX, targets[:1], n_trials=121, **kw)
