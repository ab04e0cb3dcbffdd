"""Guards of BrainNetwork.simulate and Model.run that must act before any work or memory is spent: time grids
that do not fit (the nearest valid values are named, nothing is shortened), and outputs that would not fit in
memory (MemoryBudgetError before the arrays exist). The allocation is measured with tracemalloc (NumPy reports
its buffers to it): a refused run must not have allocated more than a few MB, where the run asked for would need
~10^2-10^4 GB."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import InputError, MemoryBudgetError
from neurodyn.network import BrainNetwork, Connectome, Coupling


@pytest.fixture(scope="module")
def net90():
    """The E/I node on a 90-region random connectome (the size of AAL90; no data files needed)."""
    rng = np.random.default_rng(2)
    W = rng.random((90, 90))
    np.fill_diagonal(W, 0.0)
    net = BrainNetwork("ei_ping_pop", Connectome(W).normalise("rows"), Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    net.simulate(0.1, 0.01)                       # compiled once, outside the measurements
    return net


def _peak_mb(call) -> float:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20


@pytest.mark.parametrize("T", [1e7, 1e8])
def test_network_output_too_large_is_refused_before_allocating(net90, T):
    """The issue's case: simulate(1e7, 0.01) on 90 regions (1e9 steps; every 0.01 ms stored: 8.0 TB of the six
    states) used to reach 15.7 GB before its error, and 1e8 gave NumPy's own MemoryError."""
    caught = {}

    def run():
        with pytest.raises(MemoryBudgetError, match=r"(TiB|GiB)") as exc:
            net90.simulate(T, 0.01)
        caught["msg"] = str(exc.value)
    assert _peak_mb(run) < 20.0
    assert "sampling_step_size" in caught["msg"] or "observables" in caught["msg"]     # says how to fix it


def test_circuit_output_too_large_is_refused_before_allocating():
    nd.integrate("qif", 1.0, 1e-3)                # compiled once, outside the measurement

    def run():
        with pytest.raises(MemoryBudgetError):
            nd.integrate("qif", 1e9, 1e-3, sampling_step_size=1e-3)     # 1e12 samples: 8 TB
    assert _peak_mb(run) < 20.0


@pytest.mark.parametrize("T,dt,ds,message", [
    (10.05, 0.1, None, r"simulation_time \(10.05\) is not a whole number of steps of step_size \(0.1\): use "
                       r"simulation_time=10 or 10.1"),
    (0.05, 0.1, None, r"step_size \(0.1\) is longer than simulation_time \(0.05\)"),
    (9.9, 0.02, 0.15, r"sampling_step_size \(0.15\) is not a whole number of steps of step_size \(0.02\)"),
    (10.0, 0.01, 3.0, r"simulation_time \(10\) is not a whole number of steps of sampling_step_size \(3\): use "
                      r"simulation_time=9 or 12"),
])
def test_network_time_grids_that_do_not_fit_name_the_nearest_valid_values(net90, T, dt, ds, message):
    with pytest.raises(InputError, match=message):
        net90.simulate(T, dt, sampling_step_size=ds)


def test_network_time_grid_that_fits_covers_the_interval_exactly(net90):
    ds = net90.simulate(1.0, 0.01, sampling_step_size=0.1, variables=["ei_ping_op/r_e"])
    np.testing.assert_allclose(ds.time.values, np.arange(10) * 0.1, rtol=0, atol=1e-12)
