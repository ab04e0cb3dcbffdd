"""Additive noise: reproducibility by seed, chunk independence, and the stationary variance of an
Ornstein-Uhlenbeck process dx = -theta x dt + sigma dW (analytic: sigma^2 / (2 theta)).

Statistics: many independent OU nodes, sampled every 3 / theta (autocorrelation e^-3 = 5%, which inflates the
variance of the estimator by < 1%). The sample variance of M independent normal samples has relative standard
error sqrt(2/M); every tolerance below is 4 such standard errors (false-failure probability ~6e-5 per check),
plus the scheme's known discretisation bias where stated.
"""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import InputError, SolverError
from ndcore_models import ou_circuit

B = "numba"  # thousands of nodes and steps: the compiled backend (compiled once per session)
THETA, SIGMA = 1.0, 0.5
NODES = 4000


@pytest.fixture(scope="module")
def ou():
    return nd.compile_model(ou_circuit(NODES, THETA), backend=B)


def _samples(ou, solver, dt, seed, T=150.0):
    df = ou.run(T, dt, outputs={"x": "all/ou/x"}, solver=solver, noise={"all/ou/x": SIGMA}, seed=seed,
                sampling_step_size=3.0)
    X = df.to_numpy()
    assert X.shape == (int(round(T / 3.0)), NODES)
    return X[3:], df   # drop t < 9 / theta: start x0 = 0 has relaxed to within e^-18 of stationarity


def _stat_tol(M):
    return 4 * np.sqrt(2.0 / M)


@pytest.mark.parametrize("solver", ["euler", "heun"])
def test_ou_stationary_variance_small_step(ou, solver):
    dt = 0.01
    X, df = _samples(ou, solver, dt, seed=11, T=75.0)
    exact = SIGMA ** 2 / (2 * THETA)
    # discretisation bias of either scheme at theta dt = 0.01 is below 0.5 % (see the large-step test)
    assert abs(X.var() / exact - 1) < _stat_tol(X.size) + 0.005
    assert abs(X.mean()) < 4 * np.sqrt(exact / X.size)
    assert df.attrs["provenance"]["solver"] == {"euler": "euler_maruyama", "heun": "stochastic_heun"}[solver]


def test_ou_discrete_variance_distinguishes_schemes(ou):
    """At theta dt = 0.1 each scheme has its own exact stationary variance (the recursion x' = a x + b sigma dW
    gives var = b^2 sigma^2 dt / (1 - a^2)): Euler-Maruyama a = 1 - theta dt, b = 1 (5.3 % above the SDE's);
    stochastic Heun a = 1 - theta dt + (theta dt)^2/2, b = 1 - theta dt/2 (0.3 % below). They differ by 5.5 %,
    far beyond the 1.2 % statistical tolerance, so each scheme is identified."""
    dt = 0.1
    a_em, b_em = 1 - THETA * dt, 1.0
    a_sh, b_sh = 1 - THETA * dt + (THETA * dt) ** 2 / 2, 1 - THETA * dt / 2
    for solver, a, b in (("euler_maruyama", a_em, b_em), ("stochastic_heun", a_sh, b_sh)):
        X, _ = _samples(ou, solver, dt, seed=5)
        expected = b ** 2 * SIGMA ** 2 * dt / (1 - a ** 2)
        assert abs(X.var() / expected - 1) < _stat_tol(X.size), (solver, X.var(), expected)


def test_same_seed_identical_different_seed_differs(ou):
    kw = dict(outputs={"x": "all/ou/x"}, noise={"all/ou/x": SIGMA}, solver="heun")
    a = ou.run(2.0, 0.01, seed=42, **kw)
    b = ou.run(2.0, 0.01, seed=42, **kw)
    c = ou.run(2.0, 0.01, seed=43, **kw)
    assert a.equals(b)
    assert np.all(a.to_numpy()[1:] != c.to_numpy()[1:])
    assert a.attrs["provenance"]["seed"] == 42


@pytest.mark.parametrize("solver", ["euler", "heun"])
def test_shorter_run_is_prefix_of_longer(ou, solver, monkeypatch):
    # Runs are cut into chunks of ~CHUNK_WORK state updates (4000 states here). Chunks of ~7, ~13 and ~1000 steps
    # are forced below, so the 3-, 100- and 300-step runs are all chunked differently. The noise must not
    # depend on the chunking, so each shorter run is a bit-exact prefix of the longer ones.
    import neurodyn.solvers.fixed as sim
    kw = dict(outputs={"x": "all/ou/x"}, noise={"all/ou/x": SIGMA}, solver=solver, seed=9)
    runs = []
    for T, steps_per_chunk in ((0.03, 1000), (1.0, 7), (3.0, 13)):
        monkeypatch.setattr(sim, "CHUNK_WORK", steps_per_chunk * 4000)
        runs.append(ou.run(T, 0.01, **kw).to_numpy())
    assert [r.shape[0] for r in runs] == [3, 100, 300]
    for short, long in zip(runs[:-1], runs[1:]):
        np.testing.assert_array_equal(long[:short.shape[0]], short)
    assert np.all(runs[0][1:] != 0.0)   # the noise acted from the first step


def test_per_node_sigma_and_zero_sigma(ou):
    sig = np.zeros(NODES)
    sig[0] = SIGMA
    df = ou.run(1.0, 0.01, outputs={"x": "all/ou/x"}, noise={"all/ou/x": sig}, solver="euler", seed=1)
    X = df.to_numpy()
    assert np.all(X[:, 1:] == 0.0) and np.any(X[:, 0] != 0.0)


def test_noise_errors(ou):
    with pytest.raises(InputError, match=">= 0"):
        ou.run(1.0, 0.01, noise={"n0/ou/x": -1.0}, solver="euler")
    with pytest.raises(InputError, match="finite"):
        ou.run(1.0, 0.01, noise={"n0/ou/x": np.nan}, solver="euler")
    with pytest.raises(InputError, match="state"):
        ou.run(1.0, 0.01, noise={"n0/ou/theta": 1.0}, solver="euler")
    with pytest.raises(SolverError, match="stochastic"):
        ou.run(1.0, 0.01, noise={"n0/ou/x": 1.0}, solver="rk4")
    with pytest.raises(SolverError, match="adaptive"):
        ou.run(1.0, 0.01, noise={"n0/ou/x": 1.0}, solver="RK45")
