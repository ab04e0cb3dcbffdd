"""Outputs: rates from per-step counts, spike streaming (callback, HDF5), large N, saving, the template API."""
import numpy as np
import pytest

from neurodyn.io import load, save
from neurodyn.spiking import (Population, SpikingNetwork, binned_rate, gaussian_rate, read_spikes,
                              spiking_counterpart)


def _net(N=1000, **kw):
    return SpikingNetwork([Population("p", N, eta=-2.0, delta=1.0, **kw)], coupling={("p", "p"): 10.0})


def test_binned_rate_is_spikes_per_neuron_and_time():
    ds = _net().run(2.0, 1e-3, sampling_step_size=0.1)
    counts = ds["spike_count"].values[:, 0]
    r = ds["rate"].values[:, 0]
    # sample k (t = 0.1 k) counts the spikes with times in (t - 0.05, t + 0.05]: recomputed here by hand
    times = np.arange(1, counts.size + 1) * 1e-3
    for k in (3, 10, 19):
        t = 0.1 * k
        sel = (times > t - 0.05 + 1e-12) & (times <= t + 0.05 + 1e-12)
        width = 0.1 if k < 19 else times[sel][-1] - (t - 0.05)
        assert r[k] == pytest.approx(counts[sel].sum() / (1000 * width), rel=1e-12)
    # total spikes agree with the recorded trains
    assert int(counts.sum()) == ds["spike_time"].size == ds.attrs["spikes_total"]


def test_gaussian_rate_conserves_spikes():
    counts = np.zeros((2000, 1), dtype=np.int32)
    counts[1000, 0] = 50
    r = gaussian_rate(counts, np.array([10]), 1e-3, 1, 2000, sigma=0.02)
    # the integral of the smoothed rate is the number of spikes per neuron (5), its peak at t = 1001 dt
    assert r[:, 0].sum() * 1e-3 == pytest.approx(5.0, rel=1e-6)
    assert np.argmax(r[:, 0]) == 1001
    assert binned_rate(counts, np.array([10]), 1e-3, 100, 20, 100)[10, 0] == pytest.approx(50 / (10 * 0.1))


def test_spikes_stream_to_a_callback_and_a_file(tmp_path):
    held = _net().run(2.0, 1e-3)
    got = []
    streamed = _net().run(2.0, 1e-3, spike_sink=lambda t, i: got.append((t.copy(), i.copy())))
    assert "spike_time" not in streamed and streamed.attrs["spike_sink"] == "callback"
    t = np.concatenate([g[0] for g in got])
    i = np.concatenate([g[1] for g in got])
    np.testing.assert_array_equal(t, held["spike_time"].values)
    np.testing.assert_array_equal(i, held["spike_neuron"].values)
    path = tmp_path / "spikes.h5"
    filed = _net().run(2.0, 1e-3, spike_sink=path)
    t2, i2, attrs = read_spikes(path)
    np.testing.assert_array_equal(t2, held["spike_time"].values)
    np.testing.assert_array_equal(i2, held["spike_neuron"].values)
    assert attrs["step_size"] == 1e-3 and filed.attrs["spike_file"] == str(path)
    np.testing.assert_array_equal(filed["rate"].values, held["rate"].values)


def test_subset_of_spikes_for_a_raster():
    ds = _net().run(2.0, 1e-3, spikes=10)
    ids = np.unique(ds["spike_neuron"].values)
    assert ids.size <= 10 and set(ids) <= set(np.linspace(0, 999, 10).round().astype(int))
    ds = _net().run(2.0, 1e-3, spikes=np.array([5, 999]))
    assert set(np.unique(ds["spike_neuron"].values)) <= {5, 999}


def test_hundred_thousand_neurons_streamed(tmp_path):
    # N = 1e5 for 1 tau at MPR's step: spikes go to a file as the run proceeds, the Dataset holds rates only
    net = spiking_counterpart("qif", N=100_000)
    ds = net.run(1.0, 1e-4, inputs={"p/qif_op/I_ext": 3.0}, spike_sink=tmp_path / "s.h5")
    t, i, _ = read_spikes(tmp_path / "s.h5")
    assert t.size == int(ds["spike_count"].sum()) > 5_000
    assert i.max() < 100_000 and np.all(np.diff(t) >= 0)
    assert "spike_time" not in ds


def test_dataset_saves_and_loads(tmp_path):
    ds = spiking_counterpart("kmo_theta", N=200).run(1.0, 1e-3, sampling_step_size=0.01)
    assert np.iscomplexobj(ds["z"].values)
    path = save(ds, tmp_path / "net.nc")
    back = load(path)
    np.testing.assert_array_equal(back["z"].values, ds["z"].values)
    np.testing.assert_array_equal(back["spike_time"].values, ds["spike_time"].values)
    assert back.attrs["method"] == "euler" and back.attrs["kind"] == "spiking network"


def test_counterpart_uses_the_template_parameters_and_paths():
    net = spiking_counterpart("ei_ping", N={"e": 300, "i": 200}, params={"p/ei_ping_op/eps": 2.0,
                                                                         "p/ei_ping_op/J_ei": 12.0})
    e, i = net.populations
    assert (e.n, i.n, e.tau, e.synapse_tau, i.synapse_tau) == (300, 200, 8.0, 1.0, 5.0)
    np.testing.assert_allclose(net.J, [[5.0 + 2.0, -12.0], [13.0 + 2.0, -5.0]])
    assert net.counterpart.default_inputs == {"e": 10.0, "i": 0.0}
    syn = spiking_counterpart("qif_syn", N=10, params={"p/qif_syn_op/tau_s": 2.0})
    assert syn.populations[0].synapse_tau == 2.0 and syn.populations[0].synapse_gain == 15.0
    th = spiking_counterpart("kmo_theta", N=10)
    assert th.populations[0].model == "theta" and th.populations[0].v0 == pytest.approx(-2.0)
    sfa = spiking_counterpart("qif_sfa", N=10)
    assert sfa.populations[0].adaptation == (0.5, 10.0)
    assert repr(net).startswith("<SpikingNetwork") and "ei_ping_op" in repr(net.counterpart)


def test_validation_report_figure(tmp_path):
    from neurodyn.spiking import mpr_step_protocol, validate_mean_field
    rep = validate_mean_field("qif", 1000, protocol=mpr_step_protocol(short=True, step_size=1e-3))
    fig = rep.plot(tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 20_000 and len(fig.axes) == 3
    assert "ValidationReport" in repr(rep) and rep.worst("r") < 0.2
