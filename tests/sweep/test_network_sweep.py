"""Network sweeps: every swept point equals the single BrainNetwork.simulate run it stands for (same parameters,
same seed), for any block size and with or without vectorised copies; failed points are recorded, not fatal; bad
sweeps get typed errors before any work.

The reference is an independent single run of :meth:`BrainNetwork.simulate` of the point's own network
(``sweep.point_arguments(i)``): a network built with the point's coupling gain and speed, compiled on its own.
Tolerances: a point run alone (``vectorise=False`` or ``block_size=1``) runs the very same arithmetic as the single
run, so it is equal bit for bit; copies in one model sum their block-diagonal coupling in another order than a
single (dense, SIMD) network, a difference of ~1e-16 per step that the stable noisy E/I dynamics keep at ~1e-12
over these runs, hence rtol 1e-8 for vectorised blocks.
"""
import numpy as np
import pytest

from neurodyn.errors import (DiskBudgetError, InputError, MemoryBudgetError, UnrecordedVariableError,
                             VariablePathError)
from neurodyn.lang.templates import NodeTemplate, OperatorTemplate
from neurodyn.network import BrainNetwork, Coupling
from neurodyn.observables import FC, Means, Spectrum, Synchrony, Trajectory
from neurodyn.solvers import seed_from_sequence
from neurodyn.sweep import STATUS, NetworkSweep, sweep

from sweep_nets import PING, RE, VE, small_connectome

OBS = [FC(RE), Spectrum(VE, nperseg=200, band=(5.0, 300.0)), Synchrony(RE)]
NAMES = ("fc", "psd", "dominant_frequency", "synchrony")
RUN = dict(simulation_time=60.0, step_size=0.01, sampling_step_size=0.1, noise={VE: 0.05}, discard=10.0)


@pytest.fixture(scope="session")
def ei_net():
    return BrainNetwork("ei_ping_pop", small_connectome(), PING)


@pytest.fixture(scope="session")
def ei_delay_net():
    return BrainNetwork("ei_ping_pop", small_connectome(lengths=True), PING, speed=5.0)


def assert_points_equal_single_runs(sw, ds, exact, names=NAMES, points=None):
    for i in (range(sw.n_points) if points is None else points):
        net, kw = sw.point_arguments(i)
        one = net.simulate(progress=False, **kw)
        for name in names:
            a, b = ds[name].values[i], one[name].values
            if exact:
                np.testing.assert_array_equal(a, b, err_msg=f"{name} of point {i}")
            else:
                np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12 * np.max(np.abs(b)),
                                           err_msg=f"{name} of point {i}")


@pytest.mark.parametrize("vectorise,block_size", [(True, None), (True, 4), (True, 1), (False, 4)])
def test_swept_points_equal_single_runs(ei_net, vectorise, block_size):
    sw = NetworkSweep(ei_net, {"ei_ping_op/eps": [2.0, 4.0, 6.0], "ei_ping_op/I_ext_e": [3.0, 5.0]}, grid=True,
                      observables=OBS, seed=21, block_size=block_size, vectorise=vectorise, **RUN)
    ds = sw.run(client="serial")
    assert ds["fc"].dims == ("point", "region", "region_2") and ds.sizes["point"] == 6
    assert ds["eps"].values.tolist() == [2.0, 2.0, 4.0, 4.0, 6.0, 6.0]
    assert ds["I_ext_e"].values.tolist() == [3.0, 5.0] * 3
    assert ds["seed"].values.tolist() == [seed_from_sequence(21, i) for i in range(6)]
    assert np.all(ds["status"].values == STATUS["done"])
    assert_points_equal_single_runs(sw, ds, exact=(not vectorise or block_size == 1))
    # the points really differ (the axes act)
    assert np.ptp(ds["synchrony"].values) > 0.05


def test_delays_speed_and_global_coupling(ei_delay_net):
    sw = NetworkSweep(ei_delay_net, {"speed": [3.0, 8.0], "global_coupling": [0.5, 2.0]}, grid=True,
                      observables=OBS, seed=4, params={"ei_ping_op/eps": 5.0}, **RUN)
    assert sw.vectorise                                   # 5 regions: small enough to vectorise
    ds = sw.run(client="serial")
    assert_points_equal_single_runs(sw, ds, exact=False)
    net, kw = sw.point_arguments(3)
    assert net.speed == 8.0 and net.couplings[0].gain == 2.0
    assert np.max(np.abs(ds["fc"].values[0] - ds["fc"].values[3])) > 1e-3


def test_points_per_region_values_single_regions_noise_and_seeds(ei_net):
    rng = np.random.default_rng(0)
    points = [{"ei_ping_op/I_ext_e": rng.uniform(2, 6, 5), "r1/ei_ping_op/eps": eps, "noise:ei_ping_op/v_e": s,
               "seed": seed} for eps, s, seed in ((1.0, 0.02, 7), (6.0, 0.08, 8), (3.0, 0.0, 9))]
    sw = NetworkSweep(ei_net, points=points, observables=OBS, params={"ei_ping_op/eps": 4.0},
                      **{k: v for k, v in RUN.items() if k != "noise"})
    ds = sw.run(client="serial")
    assert ds["I_ext_e"].dims == ("point", "region") and ds["seed"].values.tolist() == [7, 8, 9]
    assert ds["eps_r1"].values.tolist() == [1.0, 6.0, 3.0]
    net, kw = sw.point_arguments(1)
    assert kw["params"]["ei_ping_op/eps"].tolist() == [4.0, 6.0, 4.0, 4.0, 4.0] and kw["seed"] == 8
    assert_points_equal_single_runs(sw, ds, exact=False)


def test_the_network_sweep_through_sweep(ei_net):
    ds = sweep(ei_net, {"ei_ping_op/eps": [2.0, 4.0]}, 30.0, 0.01, observables=[Synchrony(RE)],
               noise={VE: 0.05}, seed=3, client="serial")
    assert ds["synchrony"].dims == ("point",) and ds.sizes["point"] == 2


#: tau dx/dt = c - x with c the network input: tau < 0 makes x grow as exp(t/|tau|) until it overflows
LIN = NodeTemplate("lin", [OperatorTemplate("lin_op", ["d/dt * x = (c - x)/tau"],
                                            {"x": "output(0.1)", "tau": 1.0, "c": "input(0.0)"})])


@pytest.mark.parametrize("vectorise", [True, False])
def test_a_point_that_blows_up_is_recorded_as_failed(vectorise):
    net = BrainNetwork(LIN, small_connectome(4), Coupling("lin_op/x", "lin_op/c", 0.5))
    sw = NetworkSweep(net, {"lin_op/tau": [1.0, 2.0, -0.005, 3.0, 0.5]}, observables=[Means()], simulation_time=5.0,
                      step_size=0.01, vectorise=vectorise, block_size=5, seed=0)
    ds = sw.run(client="serial")
    assert ds["status"].values.tolist() == [1, 1, 2, 1, 1]
    err = ds["error"].values[2]
    assert "SimulationError" in err and "non-finite" in err and "#" not in err     # named as in a single run
    assert np.all(np.isnan(ds["mean_x"].values[2]))
    assert_points_equal_single_runs(sw, ds, exact=not vectorise, names=("mean_x",), points=[0, 1, 3, 4])
    assert sw.report.failed_points == 1


def test_bad_sweeps_get_typed_errors(ei_net, tmp_path):
    kw = dict(observables=[FC(RE)], simulation_time=10.0, step_size=0.01)
    with pytest.raises(VariablePathError, match=r"did you mean 'ei_ping_op/eps'"):
        NetworkSweep(ei_net, {"ei_ping_op/epss": [1.0]}, **kw)
    with pytest.raises(VariablePathError, match=r"unknown region 'r9'"):
        NetworkSweep(ei_net, {"r9/ei_ping_op/eps": [1.0]}, **kw)
    with pytest.raises(VariablePathError, match=r"noise:ei_ping_op/v_ee.*did you mean 'ei_ping_op/v_e'"):
        NetworkSweep(ei_net, {"noise:ei_ping_op/v_ee": [1.0]}, **kw)
    with pytest.raises(InputError, match=r"equal lengths.*grid=True"):
        NetworkSweep(ei_net, {"ei_ping_op/eps": [1.0, 2.0], "ei_ping_op/I_ext_e": [1.0, 2.0, 3.0]}, **kw)
    with pytest.raises(InputError, match=r"equal lengths"):
        NetworkSweep(ei_net, {"ei_ping_op/eps": [1.0, 2.0], "ei_ping_op/I_ext_e": [1.0, 2.0, 3.0],
                              "global_coupling": [1.0]}, grid=True, zip=[("ei_ping_op/eps", "ei_ping_op/I_ext_e")],
                     **kw)
    with pytest.raises(UnrecordedVariableError, match=r"reads 'ei_ping_op/v_e', which this run does not record"):
        NetworkSweep(ei_net, {"ei_ping_op/eps": [1.0]}, variables=[RE], observables=[FC(VE)], simulation_time=10.0,
                     step_size=0.01)
    with pytest.raises(InputError, match="keeps only observables"):
        NetworkSweep(ei_net, {"ei_ping_op/eps": [1.0]}, simulation_time=10.0, step_size=0.01)
    with pytest.raises(InputError, match="'speed' axis needs a connectome with tract lengths"):
        NetworkSweep(ei_net, {"speed": [1.0]}, **kw)
    # summaries too large: memory (no store) and disk (a store), refused before any run, with the sizes
    sw = NetworkSweep(ei_net, {"ei_ping_op/eps": np.linspace(1, 2, 50)}, **kw)
    with pytest.raises(MemoryBudgetError, match=r"50 points take 9\.8 KiB \(200 B per point\), more than 5\.9 KiB"):
        sw.run(client="serial", memory_limit=6000)
    with pytest.raises(MemoryBudgetError, match=r"one block of 25 points holds 4\.9 KiB"):
        sw.run(client="serial", memory_limit=1000)
    big = NetworkSweep(ei_net, {"ei_ping_op/eps": np.linspace(1, 2, 100_000)}, simulation_time=1e5, step_size=0.01,
                       observables=[Trajectory(RE)], block_size=1)
    with pytest.raises(DiskBudgetError, match=r"take up to 3\.6 PiB|take up to [0-9.]+ TiB"):
        big.run(store=tmp_path / "big.zarr", client="serial")
    assert not (tmp_path / "big.zarr").exists()


@pytest.mark.parametrize("vectorise", [True, False])
def test_stimuli_are_given_to_every_point(vectorise):
    # a pulse into region 0 of a linear network: each copy gets it (its own input columns, driven groups apart)
    from neurodyn.network import Stimulus
    lin = NodeTemplate("lin", [OperatorTemplate("lin_op", ["d/dt * x = (u + c - x)/tau"],
                                                {"x": "output(0.0)", "tau": 1.0, "u": "input(0.0)",
                                                 "c": "input(0.0)"})])
    net = BrainNetwork(lin, small_connectome(4, lengths=True), Coupling("lin_op/x", "lin_op/c"), speed=20.0)
    sw = NetworkSweep(net, {"lin_op/tau": [0.5, 1.0, 2.0], "global_coupling": [0.5, 1.0, 1.5]},
                      stimuli=[Stimulus("lin_op/u", [0, "r2"], 2.0, 1.0, 3.0)], observables=[Means()],
                      simulation_time=8.0, step_size=0.01, vectorise=vectorise, seed=0)
    ds = sw.run(client="serial")
    assert_points_equal_single_runs(sw, ds, exact=not vectorise, names=("mean_x",))
    assert np.ptp(ds["mean_x"].values[:, 1]) > 1e-3          # the points differ, and the pulse spread to r1
