"""Sweeps scaled out through Dask.distributed (``sweep(..., client=...)``), and templates that pickle.

Must hold: the distributed sweep equals the single-machine sweep exactly (each parameter set is an independent
copy of the circuit, so splitting the sets into chunks changes nothing without noise), also across real worker
processes (the templates travel pickled); noisy sweeps are reproducible for a given seed, whatever the chunking
(each parameter set draws from its own seed).
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import InputError
from neurodyn.simulate import resolve_circuit
from neurodyn.sweep import sweep

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install neurodyn[dask])")

KW = dict(simulation_time=2.0, step_size=1e-3, outputs={"r": "p/qif_op/r", "v": "p/qif_op/v"},
          sampling_step_size=0.05)
ETA = {"p/qif_op/eta": np.linspace(-6.0, -3.0, 7)}


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as c:
        yield c


def test_distributed_sweep_equals_local(client):
    local = sweep("qif", ETA, **KW)
    for chunk in (None, 3, 1):
        dist = sweep("qif", ETA, client=client, chunk_size=chunk, **KW)
        assert dist.sizes == local.sizes
        for name in ("r", "v"):
            assert np.array_equal(dist[name].values, local[name].values), (name, chunk)
        assert np.array_equal(dist["p/qif_op/eta"].values, ETA["p/qif_op/eta"])
        assert np.array_equal(dist["time"].values, local["time"].values)
    assert np.ptp(local["r"].values[-1]) > 0.03           # the sets really differ (r: 0.07 .. 0.13)


def test_noisy_distributed_sweep_is_reproducible(client):
    kw = dict(KW, noise={"p/qif_op/v": 0.05}, seed=11, solver="heun")
    a = sweep("qif", ETA, client=client, chunk_size=3, **kw)
    b = sweep("qif", ETA, client=client, chunk_size=3, **kw)
    c = sweep("qif", ETA, client=client, chunk_size=3, **dict(kw, seed=12))
    assert np.array_equal(a["v"].values, b["v"].values)
    assert not np.array_equal(a["v"].values, c["v"].values)
    assert a.attrs["seed"] == "11" and "3 chunks" in a.attrs["distributed"]
    # each set draws from its own seed, so neither the chunking nor the cluster changes anything
    local = sweep("qif", ETA, **kw)
    one_chunk = sweep("qif", ETA, client=client, chunk_size=7, **kw)
    assert np.array_equal(a["v"].values, local["v"].values)
    assert np.array_equal(one_chunk["v"].values, local["v"].values)
    assert np.array_equal(a["noise_seed"].values, local["noise_seed"].values)


def test_bad_chunking_is_refused(client):
    with pytest.raises(InputError, match="client"):
        sweep("qif", ETA, chunk_size=2, **KW)
    with pytest.raises(InputError, match="positive integer"):
        sweep("qif", ETA, client=client, chunk_size=0, **KW)


@pytest.mark.parametrize("name", ["model_templates.neural_mass_models.jansenrit.JRC_2delaycoupled", "ei_ping"])
def test_templates_pickle(name):
    circ = resolve_circuit(name)
    again = pickle.loads(pickle.dumps(circ))
    assert again.template_hash() == circ.template_hash()
    a = nd.integrate(circ, 0.05, 1e-4, solver="euler")
    b = nd.integrate(again, 0.05, 1e-4, solver="euler")
    assert np.array_equal(a.to_numpy(), b.to_numpy())
