"""Deterministic quantile placement gives identical results in every run; random draws with one seed too."""
import numpy as np
import pytest

from neurodyn.spiking import ErdosRenyi, FixedInDegree, Population, SpikingNetwork, lorentzian_quantiles


def _net(placement="quantile", seed=None, connectivity=None, noise=0.0, N=500):
    pop = Population("p", N, eta=-5.0, delta=1.0, r0=0.1, v0=-2.0, placement=placement, noise=noise)
    return SpikingNetwork([pop], coupling={("p", "p"): 15.0}, connectivity=connectivity, seed=seed)


def _same(a, b):
    for v in ("rate", "v", "z", "spike_count", "spike_time", "spike_neuron", "eta"):
        np.testing.assert_array_equal(a[v].values, b[v].values)


def test_quantiles_are_the_mpr_formula():
    N = 7
    j = np.arange(1, N + 1)
    np.testing.assert_allclose(lorentzian_quantiles(N, -5.0, 1.0),
                               -5.0 + np.tan(np.pi / 2 * (2 * j - N - 1) / (N + 1)), rtol=0, atol=1e-14)
    # quantiles j/(N+1) of the Lorentzian: its CDF 1/2 + atan((x - x0)/Delta)/pi at them
    x = lorentzian_quantiles(N, -5.0, 1.0)
    np.testing.assert_allclose(0.5 + np.arctan(x + 5.0) / np.pi, j / (N + 1), atol=1e-14)


def test_quantile_placement_is_identical_in_every_run():
    a = _net().run(2.0, 1e-3, inputs={"p": 4.0})
    b = _net().run(2.0, 1e-3, inputs={"p": 4.0})
    assert a["spike_time"].size > 100
    _same(a, b)
    assert a.attrs["seed"] == "none"          # nothing random was drawn


@pytest.mark.parametrize("kw", [dict(placement="random"), dict(connectivity=FixedInDegree(20)),
                                dict(connectivity=ErdosRenyi(0.05)), dict(noise=0.5)])
def test_random_parts_repeat_with_the_same_seed(kw):
    a = _net(seed=11, **kw).run(2.0, 1e-3, inputs={"p": 4.0})
    b = _net(seed=11, **kw).run(2.0, 1e-3, inputs={"p": 4.0})
    c = _net(seed=12, **kw).run(2.0, 1e-3, inputs={"p": 4.0})
    _same(a, b)
    assert not np.array_equal(a["spike_count"].values, c["spike_count"].values)
    assert a.attrs["seed"] == 11


def test_seed_is_drawn_and_recorded_when_needed():
    net = _net(placement="random")
    a = net.run(1.0, 1e-3)
    seed = a.attrs["seed"]
    assert isinstance(seed, int)
    b = _net(placement="random", seed=seed).run(1.0, 1e-3)
    _same(a, b)


def test_fixed_in_degree_and_erdos_renyi_connections():
    N, K = 400, 25
    net = _net(connectivity=FixedInDegree(K), seed=3, N=N)
    indptr, targets, w = net.connections()
    pre = np.repeat(np.arange(N), np.diff(indptr))
    np.testing.assert_array_equal(np.bincount(targets, minlength=N), np.full(N, K))   # in-degree exactly K
    assert not np.any(pre == targets)                                                # no self-connections
    assert len(set(zip(pre.tolist(), targets.tolist()))) == pre.size                  # no repeated pair
    np.testing.assert_allclose(w, 15.0 / K)
    net = _net(connectivity=ErdosRenyi(0.1), seed=3, N=N)
    indptr, targets, w = net.connections()
    deg = np.bincount(targets, minlength=N)
    # mean in-degree p (N - 1) = 39.9; the mean of 400 binomial(399, 0.1) has sd 0.3: 5 sd
    assert abs(deg.mean() - 39.9) < 1.5
    np.testing.assert_allclose(w, 15.0 / (0.1 * N))


def test_gaussian_excitabilities():
    from scipy.stats import norm
    pop = Population("p", 9, eta=-2.0, delta=0.5, distribution="gaussian")
    np.testing.assert_allclose(pop.excitabilities(), norm.ppf(np.arange(1, 10) / 10, loc=-2.0, scale=0.5),
                               rtol=0, atol=1e-12)
    drawn = Population("p", 200_000, eta=-2.0, delta=0.5, distribution="gaussian", placement="random")
    x = drawn.excitabilities(np.random.default_rng(0))
    # mean and sd of 2e5 normal draws: standard errors 1.1e-3 and 8e-4; 5 of them
    assert abs(x.mean() + 2.0) < 6e-3 and abs(x.std() - 0.5) < 4e-3
