"""Vectorised parameter sweeps equal separate integrate() calls; grid / zip expansion; bad sweeps."""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import InputError
from neurodyn.sweep import parameter_sets, sweep
from ndcore_models import network_circuit, oscillator_circuit


def _same(a, b):
    # rtol 1e-12: each sweep copy runs the same arithmetic as a single run (copies are independent blocks of
    # one vectorised state); only summation order inside the vectorised kernel may differ
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_sweep_equals_separate_runs(backend):
    circ = oscillator_circuit()
    ws = [0.5, 1.0, 2.5, 4.0]
    ds = sweep(circ, {"n/osc/w": ws}, 2.0, 0.01, outputs={"x": "n/osc/x", "z": "n/osc/z"}, solver="rk4",
               backend=backend)
    assert ds["x"].dims == ("time", "sweep") and ds.sizes["sweep"] == len(ws)
    np.testing.assert_array_equal(ds["n/osc/w"].values, ws)
    for i, w in enumerate(ws):
        df = nd.integrate(circ, 2.0, 0.01, outputs={"x": "n/osc/x", "z": "n/osc/z"}, solver="rk4", backend=backend,
                          params={"n/osc/w": w})
        np.testing.assert_array_equal(ds["time"].values, df.index.to_numpy())
        _same(ds["x"].values[:, i], df["x"].to_numpy())
        _same(ds["z"].values[:, i], df["z"].to_numpy())
        # and it is the right answer, not only a consistent one: x = cos(w t); rk4's global error is about
        # T w^5 dt^4 / 120 = 1.7e-7 for w = 4, T = 2, dt = 0.01
        np.testing.assert_allclose(ds["x"].values[:, i], np.cos(w * ds["time"].values), atol=1e-6)


def test_sweep_network_with_delays_equals_separate_runs():
    circ = network_circuit()
    taus = [0.3, 0.6, 1.2]
    outputs = {"r": "l/li/r", "x1": "o1/dosc/x", "x2": "o2/dosc/x"}
    ds = sweep(circ, {"l/li/tau": taus}, 1.5, 0.005, outputs=outputs, solver="heun", backend="numpy")
    runs = [nd.integrate(circ, 1.5, 0.005, outputs=outputs, solver="heun", backend="numpy",
                         params={"l/li/tau": tau}) for tau in taus]
    for i, df in enumerate(runs):
        for k in outputs:
            _same(ds[k].values[:, i], df[k].to_numpy())
    # the copies really differ (the sweep parameter acts)
    assert np.max(np.abs(ds["r"].values[:, 0] - ds["r"].values[:, 2])) > 1e-2


def test_grid_is_cartesian_product():
    circ = oscillator_circuit()
    ws, x0s = [1.0, 2.0], [0.5, 1.0, 2.0]
    ds = sweep(circ, {"n/osc/w": ws, "n/osc/x": x0s}, 1.0, 0.01, outputs={"x": "n/osc/x"}, solver="rk4",
               grid=True, backend="numpy")
    pairs = list(zip(ds["n/osc/w"].values, ds["n/osc/x"].values))
    assert sorted(pairs) == sorted((w, x) for w in ws for x in x0s) and len(pairs) == 6
    t = ds["time"].values
    for i, (w, x0) in enumerate(pairs):
        # x0 cos(w t) (y0 = 0): each copy got its own pair (rk4 error < 1e-7)
        np.testing.assert_allclose(ds["x"].values[:, i], x0 * np.cos(w * t), atol=1e-7)
    sets = parameter_sets({"a": [1, 2], "b": [3, 4, 5]}, grid=True)
    assert list(zip(sets["a"], sets["b"])) == [(1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5)]


def test_bad_sweeps():
    circ = oscillator_circuit()
    with pytest.raises(InputError, match=r"equal lengths.*grid=True"):
        sweep(circ, {"n/osc/w": [1.0, 2.0], "n/osc/x": [0.5, 1.0, 2.0]}, 1.0, 0.1, backend="numpy")
    with pytest.raises(InputError, match="at least one parameter"):
        sweep(circ, {}, 1.0, 0.1, backend="numpy")
    with pytest.raises(InputError, match="non-empty 1-d"):
        sweep(circ, {"n/osc/w": [[1.0, 2.0]]}, 1.0, 0.1, backend="numpy")
    with pytest.raises(InputError, match="non-empty 1-d"):
        sweep(circ, {"n/osc/w": []}, 1.0, 0.1, backend="numpy")
    with pytest.raises(InputError, match="time-series inputs"):
        sweep(circ, {"n/osc/w": [1.0]}, 1.0, 0.1, backend="numpy", inputs={"n/osc/w": np.ones(10)})
    with pytest.raises(InputError, match="must be finite"):
        sweep(circ, {"n/osc/w": [1.0, np.nan]}, 1.0, 0.1, backend="numpy")


def test_sweep_with_initial_state():
    circ = oscillator_circuit()
    ws = [1.0, 2.0]
    ds = sweep(circ, {"n/osc/w": ws}, 1.0, 0.01, outputs={"x": "n/osc/x"}, solver="rk4", backend="numpy",
               initial_state={"n/osc/x": 0.3})
    for i, w in enumerate(ws):
        np.testing.assert_allclose(ds["x"].values[:, i], 0.3 * np.cos(w * ds["time"].values), atol=1e-7)
