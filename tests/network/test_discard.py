"""Observables computed during a network run can leave out an initial transient (``discard=``), and a BOLD
request that could give no sample is refused before the run.

References are computed independently from the stored trajectory with NumPy/SciPy (np.corrcoef, scipy.signal.
welch, np.mean); streaming and batch differ by summation order only, hence rtol 1e-10.
"""
import numpy as np
import pytest
from scipy import signal

from neurodyn.errors import InputError
from neurodyn.network import BrainNetwork, Connectome, Coupling


@pytest.fixture(scope="module")
def net():
    W = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.3, 0.7, 0.0]])
    W = W / W.sum(axis=1, keepdims=True)
    return BrainNetwork("ei_ping_pop", Connectome(W), Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))


def test_discard_leaves_the_transient_out_of_fc_means_and_psd(net):
    ds = net.simulate(200.0, 0.01, variables=["ei_ping_op/r_e"], params={"ei_ping_op/eps": 5.0}, sampling_step_size=0.1,
                      noise={"ei_ping_op/v_e": 0.05}, seed=3, fc="ei_ping_op/r_e",
                      psd={"variable": "ei_ping_op/r_e", "nperseg": 256}, discard=50.0)
    t = ds.time.values
    x = ds["r_e"].values[t >= 50.0 - 1e-9]
    assert x.shape[0] == 1500                        # t = 50.0, 50.1, ..., 199.9
    np.testing.assert_allclose(ds["fc"].values, np.corrcoef(x.T), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ds["mean_r_e"].values, x.mean(axis=0), rtol=1e-10)
    f, P = signal.welch(x, fs=1.0 / 0.1e-3, nperseg=256, axis=0)
    np.testing.assert_allclose(ds["psd"].values, P, rtol=1e-10, atol=1e-14)
    # the transient matters here: without discard the FC is a different matrix
    whole = np.corrcoef(ds["r_e"].values.T)
    assert np.max(np.abs(whole - ds["fc"].values)) > 1e-3
    assert ds.attrs["discard"] == 50.0


def test_discard_must_lie_inside_the_run(net):
    for bad in (-1.0, 10.0, 25.0, np.nan):
        with pytest.raises(InputError, match="discard"):
            net.simulate(10.0, 0.01, variables=["ei_ping_op/r_e"], fc="ei_ping_op/r_e", discard=bad)


def test_bold_shorter_than_one_tr_is_refused_before_running(net):
    # 500 ms of model time (ms units) < tr = 2 s: no BOLD sample could come out
    with pytest.raises(InputError, match="shorter than one repetition time"):
        net.simulate(500.0, 0.01, variables=["ei_ping_op/r_e"], bold=True)
    ds = net.simulate(2500.0, 0.1, variables=["ei_ping_op/r_e"], bold={"tr": 1.0}, store=False, solver="euler")
    assert ds.sizes["bold_time"] == 2
