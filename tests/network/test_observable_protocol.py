"""The observables protocol (update/finish/describe): every observable computed during a run equals the batch
computation on the stored trajectory with NumPy/SciPy/our batch functions, whatever the chunking; their described
shapes are their results' shapes; the keyword shorthands are these objects; bad requests are refused before a run.

Tolerances: streaming and batch reductions differ by summation order only (rtol 1e-10); the Balloon-Windkessel
observables run the very same integrator as ``bold_from_activity`` on the same samples in other chunks, which
carries partial blocks over exactly (rtol 1e-12).
"""
import numpy as np
import pytest
from scipy import signal

from neurodyn import compile_model
from neurodyn.errors import InputError, UnrecordedVariableError
from neurodyn.network import BrainNetwork, Connectome, Coupling
from neurodyn.observables import (BOLD, FC, FCD, FCSimilarity, Means, ObservableSet, RunContext, Spectrum, Synchrony,
                                  Trajectory, bold_from_activity, fc_similarity, fcd)

PING = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")
RE, VE = "ei_ping_op/r_e", "ei_ping_op/v_e"


@pytest.fixture(scope="module")
def net():
    rng = np.random.default_rng(3)
    W = rng.uniform(0.2, 1.0, (5, 5))
    np.fill_diagonal(W, 0.0)
    return BrainNetwork("ei_ping_pop", Connectome(W).normalise("rows"), PING)


@pytest.fixture(scope="module")
def run(net):
    obs = [FC(VE, name="fc_v"), FCSimilarity(RE, np.asarray(net.connectome.weights)),
           Spectrum(VE, nperseg=256, band=(5.0, 200.0), name="spec"), Synchrony(RE), Synchrony(RE, kind="spread",
                                                                                          name="spread"),
           Trajectory(VE, every=3, name="v_tr")]
    ds = net.simulate(150.0, 0.01, variables=[RE, VE], sampling_step_size=0.1, params={"ei_ping_op/eps": 4.0},
                      noise={VE: 0.05}, seed=11, discard=30.0, observables=obs, progress=False)
    return ds, obs


def test_streamed_observables_equal_batch_computations(run):
    ds, obs = run
    t = ds.time.values
    late = t >= 30.0 - 1e-9
    r, v = ds["r_e"].values[late], ds["v_e"].values[late]
    np.testing.assert_allclose(ds["fc_v"].values, np.corrcoef(v.T), rtol=1e-10, atol=1e-12)
    assert ds["fc_v"].dims == ("region", "region_2")
    np.testing.assert_allclose(float(ds["fc_similarity"]), fc_similarity(np.corrcoef(r.T), obs[1].reference),
                               rtol=1e-10)
    f, P = signal.welch(v, fs=1.0 / 0.1e-3, nperseg=256, axis=0)
    np.testing.assert_allclose(ds["spec_frequency"].values, f, rtol=1e-14)
    np.testing.assert_allclose(ds["spec"].values, P, rtol=1e-10, atol=1e-14 * P.max())
    assert np.all((ds["spec_dominant_frequency"].values >= 5.0) & (ds["spec_dominant_frequency"].values <= 200.0))
    chi = np.sqrt(np.var(r.mean(axis=1)) / np.mean(np.var(r, axis=0)))
    np.testing.assert_allclose(float(ds["synchrony"]), chi, rtol=1e-10)
    np.testing.assert_allclose(float(ds["spread"]), np.mean(np.std(r, axis=1)), rtol=1e-10)
    # the trajectory observable keeps every 3rd sample of the whole run (transient included)
    np.testing.assert_array_equal(ds["v_tr"].values, ds["v_e"].values[::3])
    np.testing.assert_array_equal(ds["v_tr_time"].values, t[::3])


def test_trajectory_keeps_the_samples(net):
    ds = net.simulate(20.0, 0.01, variables=[RE], sampling_step_size=0.1, observables=[Trajectory(RE, every=7,
                                                                                                 name="tr")],
                      progress=False)
    np.testing.assert_array_equal(ds["tr"].values, ds["r_e"].values[::7])


def test_bold_and_fcd_equal_the_batch_balloon(net):
    obs = [BOLD(RE, tr=0.5), FCD(RE, tr=0.5, window=2.0, step=0.5, bold_discard=1.0, bins=10)]
    ds = net.simulate(6000.0, 0.1, variables=[RE], sampling_step_size=1.0, params={"ei_ping_op/eps": 4.0},
                      noise={VE: 0.1}, seed=2, observables=obs, progress=False)
    t, b = bold_from_activity(ds["r_e"].values, 1.0, time_unit="ms", tr=0.5)
    np.testing.assert_allclose(ds["bold"].values, b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ds["bold_time"].values, t)
    keep = t > 1.0
    m = fcd(b[keep], window=4, step=1)
    np.testing.assert_allclose(ds["fcd"].values, m, rtol=1e-10, atol=1e-12)
    hist, _ = np.histogram(m[np.triu_indices(m.shape[0], 1)], bins=np.linspace(-1, 1, 11), density=True)
    np.testing.assert_allclose(ds["fcd_histogram"].values, hist)
    assert ds["fcd_histogram"].sizes["fcd_bin"] == 10


def test_describe_gives_the_result_shapes(net):
    obs = [Means(), FC(RE), Spectrum(RE, nperseg=100), Synchrony(RE, kind="spread"), Trajectory(RE, every=4),
           BOLD(RE, tr=0.5), FCD(RE, tr=0.5, window=1.5, step=0.5)]
    T, dt, ds_ = 3000.0, 0.1, 0.5
    ds = net.simulate(T, dt, variables=[RE], sampling_step_size=ds_, observables=obs, store=False, progress=False,
                      noise={VE: 0.1}, seed=5, params={"ei_ping_op/eps": 4.0})
    ctx = RunContext(sample_period=ds_, n_samples=int(T / ds_), channels={RE: 5}, names={RE: "r_e"})
    specs = {}
    for o in obs:
        specs.update(o.describe(ctx))
    for name, spec in specs.items():
        assert ds[name].shape == spec.shape, name
        assert ds[name].dims == spec.dims, name
        for dim, (values, attrs) in spec.coords.items():
            np.testing.assert_allclose(ds[dim].values, values, rtol=1e-14)


def test_shorthands_are_the_observables(net):
    kw = dict(variables=[RE, VE], sampling_step_size=0.1, params={"ei_ping_op/eps": 4.0}, noise={VE: 0.05}, seed=1,
              progress=False, store=False)
    a = net.simulate(100.0, 0.01, fc=RE, psd={"variable": VE, "nperseg": 200}, **kw)
    b = net.simulate(100.0, 0.01, observables=[FC(RE), Spectrum(VE, nperseg=200)], **kw)
    for name in ("fc", "psd", "dominant_frequency", "mean_r_e", "mean_v_e"):
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_circuit_run_observables_equal_batch():
    m = compile_model("JRC")
    df = m.run(2.0, 1e-4, outputs={"v": "pc/rpo_e_in/v", "w": "pc/rpo_i/v"}, sampling_step_size=1e-3,
               solver="euler", observables=[Means(), Spectrum("v", time_unit="s", nperseg=400)], cutoff=0.5)
    obs = df.attrs["observables"]
    np.testing.assert_allclose(obs["mean_v"].values[0], df["v"].mean(), rtol=1e-12)
    f, P = signal.welch(df["v"].to_numpy(), fs=1e3, nperseg=400)
    np.testing.assert_allclose(obs["psd"].values[:, 0], P, rtol=1e-10, atol=1e-14 * P.max())
    assert obs["psd"].dims == ("frequency", "node")


def test_kuramoto_order_parameter():
    # phases theta_j = w t + phi_j with fixed offsets: R = |mean exp(i phi)| at every time (exactly)
    phi = np.array([0.0, 0.5, 1.0, 2.0])
    t = np.arange(1000) * 0.01
    x = 3.0 * t[:, None] + phi
    ctx = RunContext(sample_period=0.01, n_samples=1000, channels={"theta": 4})
    obs = ObservableSet([Synchrony("theta", kind="kuramoto")], ctx, {"theta": slice(0, 4)})
    for chunk in np.array_split(np.arange(1000), 7):
        obs.update(t[chunk], x[chunk])
    res = obs.finish()
    np.testing.assert_allclose(float(res["synchrony"]), abs(np.exp(1j * phi).mean()), rtol=1e-12)
    assert float(res["synchrony_metastability"]) < 1e-12


def test_bad_observable_requests(net):
    with pytest.raises(UnrecordedVariableError, match=r"does not record.*variables=\["):
        net.simulate(10.0, 0.01, variables=[RE], observables=[FC(VE)], progress=False)
    with pytest.raises(InputError, match="two observables give a result named 'fc'"):
        net.simulate(10.0, 0.01, variables=[RE], observables=[FC(RE)], fc=RE, progress=False)
    with pytest.raises(InputError, match="same name as the recorded variable"):
        net.simulate(10.0, 0.01, variables=[RE], observables=[Trajectory(RE)], progress=False)
    with pytest.raises(InputError, match="fewer samples than one segment"):
        net.simulate(10.0, 0.01, variables=[RE], observables=[Spectrum(RE, nperseg=5000)], progress=False)
    with pytest.raises(InputError, match="fewer than one window"):
        net.simulate(3000.0, 0.1, variables=[RE], observables=[FCD(RE, tr=0.5, window=10.0)], progress=False)
    with pytest.raises(InputError, match="reference is 3 x 3"):
        net.simulate(10.0, 0.01, variables=[RE], observables=[FCSimilarity(RE, np.eye(3))], progress=False)
    with pytest.raises(InputError, match="kind must be one of"):
        Synchrony(RE, kind="plv")
    with pytest.raises(InputError, match="whole multiple of tr"):
        FCD(RE, tr=2.0, window=3.0)
