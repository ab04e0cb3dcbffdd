"""The TVB harness (benchmarks/_tvb_reference.py) runs, TVB follows the conventions we document, and neurodyn
follows them too.

The conventions (integer delays by rint, coupling evaluated once per Heun step from the state at
step n - 1 - d, r clipped at 0 after each stage, history layout) are re-implemented in plain NumPy in
``reference_heun_delayed_mpr``. Most tests here are **checks of that reference and of the harness (no
neurodyn simulation runs)**: agreement with TVB is the evidence that docs/network_data.md is right. What it
implies for neurodyn is asserted in ``test_neurodyn_step_mode_follows_the_documented_scheme``: neurodyn's
``delay_mode='step'`` on the same settings equals the NumPy scheme to round-off (tests/network/test_network_tvb.py
compares neurodyn with TVB itself at length).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tvb.simulator.lab", reason="TVB (tvb-library, extra neurodyn[peers]) not installed")
pytest.importorskip("tvb_data", reason="tvb-data (extra neurodyn[peers]) not installed: no 76-region connectome")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import _tvb_bench_common as bench_common  # noqa: E402
import _tvb_reference as tvbref  # noqa: E402

from neurodyn.network import BrainNetwork, Coupling, load_connectome  # noqa: E402


@pytest.fixture(scope="module")
def run76():
    return tvbref.mpr_tvb76(0.5)    # 50 steps of dt = 0.01 ms


def test_reference_check_harness_outputs_and_settings(run76):
    res = run76
    s = res.settings
    assert res.r.shape == res.V.shape == (50, 76)
    np.testing.assert_allclose(res.time, 0.01 * np.arange(1, 51), rtol=1e-12)
    # integer delays: rint(tract_length / speed / dt), computed here from our own connectome loader
    c = load_connectome("tvb76")
    expected = np.rint(c.delays(3.0) / 0.01).astype(int)
    np.testing.assert_array_equal(s["idelays"], expected)
    assert s["horizon"] == expected.max() + 1
    assert s["initial_history"].shape == (s["horizon"], 2, 76)
    np.testing.assert_array_equal(s["initial_state"], s["initial_history"][-1])
    # history values are float32-representable (TVB stores history in float32)
    h = s["initial_history"]
    np.testing.assert_array_equal(h, h.astype(np.float32).astype(np.float64))
    assert s["model_params"]["eta"] == -5.0 and s["coupling_a"] == 0.00390625
    assert np.all(res.r >= 0) and np.all(np.isfinite(res.V))
    assert "76 regions" in repr(res)


def test_reference_check_uncoupled_tvb_matches_numpy_heun_exactly():
    res = tvbref.mpr_tvb76(0.2, coupling_a=0.0)
    r, V = tvbref.reference_heun_delayed_mpr(res.settings)
    # no coupling: identical arithmetic up to operation order -> round-off only
    np.testing.assert_allclose(res.r, r, rtol=0, atol=1e-13)
    np.testing.assert_allclose(res.V, V, rtol=0, atol=1e-13)


def test_reference_check_coupled_tvb_python_matches_documented_scheme(run76):
    r, V = tvbref.reference_heun_delayed_mpr(run76.settings)
    # TVB's Python simulator keeps history and weights in float32, so its coupling carries ~1e-7 relative
    # error; over 50 steps this gives ~1e-9 in r and V (measured 1.3e-9). A wrong convention (e.g. the
    # delayed state one step off, or coupling re-evaluated at the corrector) gives errors >= 1e-4.
    np.testing.assert_allclose(run76.r, r, rtol=0, atol=1e-8)
    np.testing.assert_allclose(run76.V, V, rtol=0, atol=1e-8)


def test_reference_check_wrong_convention_would_be_detected(run76):
    # guard that the tolerance above discriminates: shift every delay by one step and compare
    s = dict(run76.settings)
    s["idelays"] = np.maximum(s["idelays"] - 1, 0)
    r, _ = tvbref.reference_heun_delayed_mpr(s)
    assert np.abs(run76.r - r).max() > 1e-6


def test_reference_check_numba_backend_matches_documented_scheme():
    pytest.importorskip("mako", reason="TVB's numba backend needs mako")
    pytest.importorskip("autopep8", reason="TVB's numba backend needs autopep8")
    res = tvbref.mpr_tvb76(0.3, backend="numba")     # compatibility_mode=True
    r, V = tvbref.reference_heun_delayed_mpr(res.settings)
    # float64 throughout: agreement to round-off (measured 1.5e-14 after 500 steps)
    np.testing.assert_allclose(res.r, r, rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.V, V, rtol=0, atol=1e-12)


def test_reference_check_tvb998_harness_runs(tvb998_zip):
    res = tvbref.mpr_tvb998(0.03, path=tvb998_zip)   # 3 steps: checks set-up on the big connectome
    assert res.r.shape == (3, 998)
    r, V = tvbref.reference_heun_delayed_mpr(res.settings)
    np.testing.assert_allclose(res.r, r, rtol=0, atol=1e-8)   # float32 coupling in TVB, as above


def test_neurodyn_step_mode_follows_the_documented_scheme():
    """The neurodyn assertion the checks above imply: on the same connectome, delays, coupling and (constant)
    initial history, BrainNetwork(delay_mode='step') gives the NumPy scheme's trajectory, and hence TVB's."""
    init = bench_common.random_initial_state(76)
    res = tvbref.mpr_tvb76(0.5, initial_history=init)            # 50 Heun steps, TVB's Python simulator
    r_ref, V_ref = tvbref.reference_heun_delayed_mpr(res.settings)
    s = res.settings
    net = BrainNetwork(bench_common.mpr_node(), load_connectome("tvb76"),
                       Coupling("mpr_op/r", "mpr_op/c_r", gain=s["coupling_a"]), speed=s["speed"], delay_mode="step")
    ds = net.simulate(s["duration"] + s["dt"], s["dt"], variables=["mpr_op/r", "mpr_op/V"], solver="heun",
                      initial={"mpr_op/r": init[0], "mpr_op/V": init[1]}, bounds={"mpr_op/r": (0.0, None)},
                      progress=False)
    # neurodyn's row k is the state at k dt (row 0 = initial); the reference's row k - 1 the state after step k
    r, V = ds["r"].values[1:], ds["V"].values[1:]
    assert r.shape == r_ref.shape == (s["n_steps"], 76)
    # both float64, the same discrete scheme: round-off only (operation order), measured ~1e-15 over 50 steps
    np.testing.assert_allclose(r, r_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(V, V_ref, rtol=0, atol=1e-12)
    # and TVB's Python simulator, to the level of its float32 history and weights (relative error ~6e-8 in each
    # coupling value; measured 1.3e-8 in V over these 50 steps from this start): 5e-8 asserted
    np.testing.assert_allclose(r, res.r, rtol=0, atol=5e-8)
    np.testing.assert_allclose(V, res.V, rtol=0, atol=5e-8)


def test_reference_check_sub_sampled_recording_is_the_raw_trajectory():
    """record_every=10 (TVB's SubSample monitor; the numba backend sub-sampled afterwards) gives rows of the
    every-step trajectory, at the times the harness reports."""
    init = (0.5, -1.0)
    raw = tvbref.mpr_tvb76(1.0, initial_history=init)
    for backend in ("python", "numba"):
        if backend == "numba":
            pytest.importorskip("mako", reason="TVB's numba backend needs mako")
            pytest.importorskip("autopep8", reason="TVB's numba backend needs autopep8")
        sub = tvbref.mpr_tvb76(1.0, initial_history=init, record_every=10, backend=backend)
        assert sub.r.shape == (10, 76)
        rows = np.rint(sub.time / 0.01).astype(int) - 1
        np.testing.assert_allclose(sub.time, 0.01 * (rows + 1), rtol=0, atol=1e-15)
        tol = 0.0 if backend == "python" else 1e-6      # numba: float64 history vs the Python simulator's float32
        np.testing.assert_allclose(sub.V, raw.V[rows], rtol=0, atol=tol)
        np.testing.assert_allclose(sub.r, raw.r[rows], rtol=0, atol=tol)
