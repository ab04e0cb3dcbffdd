"""Surrogate statistics: uniform p-values without coupling, significance with it, seeded reproducibility and
the rearrangements themselves."""
import numpy as np
import pytest
from scipy import stats

from neurodyn.observables import pac_surrogate_test, phase_amplitude, surrogate_plan

FS = 1000.0


@pytest.fixture(scope="module")
def noise_pa():
    """60 independent white-noise regions, 4 s at 1 kHz, theta phase and gamma amplitude."""
    x = np.random.default_rng(10).standard_normal((4000, 60))
    return phase_amplitude(x, (4, 8), (50, 110), sample_period=1 / FS, time_unit="s", edges=500)


@pytest.mark.parametrize("method,kind", [("tort", "time_shift"), ("mvl", "block_resampling"), ("ndpac", "time_shift")])
def test_null_p_values_are_uniform(noise_pa, method, kind):
    """Without coupling the 60 p-values are uniform on (0, 1]. Kolmogorov-Smirnov at 1e-3: the seeds are fixed,
    so the test is deterministic; under a valid null a random seed would fail 0.1 % of the time."""
    st = noise_pa.surrogate_test(method, n_surrogates=99, kind=kind, seed=3)
    p = st["p_value"].values
    assert p.shape == (60,) and p.min() >= 0.01
    assert stats.kstest(p, "uniform").pvalue > 1e-3
    assert abs(np.mean(st["z"].values)) < 0.5           # z of the null is centred (sd of the mean ~ 1/sqrt(60))


def test_coupling_is_significant():
    t = np.arange(4000) / FS
    rng = np.random.default_rng(11)
    theta = 2 * np.pi * 6 * t + np.cumsum(0.1 * rng.standard_normal(t.size))   # theta, 0.8 Hz wide
    x = np.cos(theta) + 0.4 * (1 + 0.5 * np.cos(theta)) * np.cos(2 * np.pi * 80 * t) + 0.5 * rng.standard_normal(t.size)
    pa = phase_amplitude(x, [(4, 8), (30, 40)], [(50, 110)], sample_period=1 / FS, time_unit="s", edges=500)
    st = pa.surrogate_test("tort", n_surrogates=49, seed=0)
    coupled = st.sel(f_phase=6.0).squeeze()
    assert float(coupled["p_value"]) == 1 / 50 and float(coupled["p_value_max"]) == 1 / 50
    assert float(coupled["z"]) > 5                                   # measured 9
    assert float(st.sel(f_phase=35.0).squeeze()["p_value"]) > 0.05    # no coupling to a 35 Hz phase


def test_seeded_and_reproducible(noise_pa):
    a = noise_pa.surrogate_test("mvl", n_surrogates=20, seed=5)
    b = noise_pa.surrogate_test("mvl", n_surrogates=20, seed=5)
    c = noise_pa.surrogate_test("mvl", n_surrogates=20, seed=6)
    assert a.identical(b)
    assert a.attrs["lags"] != c.attrs["lags"]
    swap = noise_pa.surrogate_test("mvl", n_surrogates=20, seed=5, kind="swap_blocks")   # the same operation
    np.testing.assert_array_equal(swap["p_value"].values, a["p_value"].values)


def test_plans():
    n = 1000
    plan = surrogate_plan("time_shift", n, 500, seed=1, min_shift=100)
    assert plan.lags.min() >= 100 and plan.lags.max() <= n - 100
    x = np.arange(n, dtype=float)
    np.testing.assert_array_equal(plan.apply(0, x), np.roll(x, plan.lags[0]))
    blocks = surrogate_plan("block_resampling", n, 50, seed=2, n_blocks=4)
    for k in range(len(blocks)):
        y = blocks.apply(k, x)
        assert sorted(blocks.orders[k]) == [0, 1, 2, 3] and not np.array_equal(y, x)
        np.testing.assert_array_equal(np.sort(y), x)                    # a rearrangement of the same samples
    explicit = surrogate_plan("time_shift", n, lags=[3, -7])
    assert len(explicit) == 2


def test_dataset_contents():
    rng = np.random.default_rng(12)
    phase = rng.uniform(-np.pi, np.pi, (2, 3000, 3))
    amp = rng.gamma(2.0, 1.0, (2, 3000, 3))
    st = pac_surrogate_test(phase, amp, "tort", n_surrogates=30, seed=0, keep_surrogates=True,
                            f_phase=[[4, 8], [8, 12]], f_amplitude=[60, 80])
    assert st["pac"].dims == ("f_amplitude", "f_phase", "region")
    assert st["surrogates"].dims == ("f_amplitude", "f_phase", "region", "surrogate")
    assert list(st["f_phase"].values) == [6.0, 10.0] and list(st["f_amplitude"].values) == [60.0, 80.0]
    s = st["surrogates"].values
    obs = st["pac"].values[..., None]
    # the documented formulas, recounted from the kept surrogates
    np.testing.assert_allclose(st["p_value"].values, (1 + (s >= obs).sum(-1)) / 31)
    np.testing.assert_allclose(st["z"].values, (obs[..., 0] - s.mean(-1)) / s.std(-1))
    assert (st["p_value_max"].values >= st["p_value"].values).all()
    assert st.attrs["surrogate_kind"] == "time_shift" and st.attrs["n_surrogates"] == 30
