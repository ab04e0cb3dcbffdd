"""Balloon-Windkessel BOLD: equilibrium, analytic steady state, transient against scipy's solve_ivp.

The reference solutions here are written independently of neurodyn.observables.bold: the steady state is
derived by hand below, the transient is a DOP853 solve of the equations of REFERENCE.md section 6.
"""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.errors import InputError, SimulationError
from neurodyn.observables import (
    BALLOON_PARAMETER_SETS,
    BalloonWindkessel,
    balloon_parameters,
    balloon_steady_state,
    bold_from_activity,
)


def test_named_parameter_sets():
    spm = balloon_parameters("spm")
    assert (spm.kappa, spm.gamma, spm.tau, spm.alpha, spm.rho, spm.V0) == (0.65, 0.41, 0.98, 0.32, 0.34, 0.02)
    assert spm.k1 == pytest.approx(7 * 0.34) and spm.k2 == 2.0 and spm.k3 == pytest.approx(2 * 0.34 - 0.2)
    inv = balloon_parameters("inverse_rates")
    assert inv.kappa == pytest.approx(1 / 0.65) and inv.gamma == pytest.approx(1 / 0.41)
    st = balloon_parameters("stephan2007")
    # revised coefficients, 1.5 T constants: 4.3 * 40.3 * 0.4 * 0.04, 1 * 25 * 0.4 * 0.04, 1 - 1
    assert st.k1 == pytest.approx(2.77264) and st.k2 == pytest.approx(0.4) and st.k3 == 0.0
    assert set(BALLOON_PARAMETER_SETS) >= {"spm", "stephan2007", "inverse_rates", "tvb"}
    assert balloon_parameters("spm", tau=1.5).tau == 1.5
    with pytest.raises(InputError, match="unknown parameter set"):
        balloon_parameters("friston")
    with pytest.raises(InputError, match="unknown parameter"):
        balloon_parameters("spm", taus=1.0)
    with pytest.raises(InputError, match="rho"):
        balloon_parameters("spm", rho=1.5)


@pytest.mark.parametrize("name", sorted(BALLOON_PARAMETER_SETS))
def test_rest_is_equilibrium(name):
    bw = BalloonWindkessel(4, tr=0.5, time_unit="ms", params=name)
    bw.update(np.zeros((30_000, 4)), dt=0.1)   # 3 s at rest
    st = bw.state
    # exactly at rest: s stays 0 and f = v = q = 1 in floating point (1**a = 1, E(1) = rho)
    np.testing.assert_allclose(st["s"], 0.0, atol=1e-15)
    for k in "fvq":
        np.testing.assert_allclose(st[k], 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(bw.samples(), 0.0, atol=1e-15)   # BOLD = 0 to round-off
    assert bw.samples().shape == (6, 4)


def _hand_steady_state(x0, p):
    # ds/dt = 0 and df/dt = s = 0  ->  s = 0, f = 1 + x0 / gamma
    # tau dv/dt = 0                ->  v = f**alpha
    # tau dq/dt = 0                ->  f E / rho = v**(1/alpha) q / v = f q / v  ->  q = v E(f) / rho
    f = 1 + x0 / p.gamma
    v = f ** p.alpha
    E = 1 - (1 - p.rho) ** (1 / f)
    q = v * E / p.rho
    return f, v, q, p.V0 * (p.k1 * (1 - q) + p.k2 * (1 - q / v) + p.k3 * (1 - v))


@pytest.mark.parametrize("name", ["spm", "stephan2007", "inverse_rates"])
def test_constant_drive_reaches_analytic_steady_state(name):
    p = balloon_parameters(name)
    x0 = np.array([0.05, 0.2, 0.5])
    f, v, q, bold = _hand_steady_state(x0, p)
    ss = balloon_steady_state(x0, name)
    np.testing.assert_allclose(ss["bold"], bold, rtol=1e-14)
    # integrate 120 s of constant drive at dt = 1 ms (slowest decay ~ 1/(kappa/2) ~ 3 s and tau/alpha ~ 3 s:
    # 120 s is ~40 time constants, so transients are far below 1e-10)
    bw = BalloonWindkessel(3, tr=10.0, time_unit="s", params=name, substep=1e-3)
    for _ in range(12):
        bw.update(np.tile(x0, (10_000, 1)), dt=1e-3)
    st = bw.state
    np.testing.assert_allclose(st["s"], 0.0, atol=1e-10)
    np.testing.assert_allclose(st["f"], f, rtol=1e-10)
    np.testing.assert_allclose(st["v"], v, rtol=1e-10)
    np.testing.assert_allclose(st["q"], q, rtol=1e-10)
    np.testing.assert_allclose(bw.samples()[-1], bold, rtol=1e-8)
    assert np.all(bold > 0) if name == "spm" else True   # positive BOLD response for activation (classic set)


def _scipy_bold(p, drive, t_samples, t_end):
    def rhs(t, y):
        s, f, v, q = y
        E = 1 - (1 - p.rho) ** (1 / f)
        fout = v ** (1 / p.alpha)
        return [drive(t) - p.kappa * s - p.gamma * (f - 1), s, (f - fout) / p.tau, (f * E / p.rho - fout * q / v) / p.tau]

    sol = solve_ivp(rhs, (0, t_end), [0, 1, 1, 1], method="DOP853", rtol=1e-12, atol=1e-12, dense_output=True)
    s, f, v, q = sol.sol(t_samples)
    return p.V0 * (p.k1 * (1 - q) + p.k2 * (1 - q / v) + p.k3 * (1 - v))


def _drive(t):
    return 0.5 * np.exp(-((t - 2.0) / 0.5) ** 2) + 0.3 * np.sin(2 * np.pi * 0.3 * t) ** 2


@pytest.mark.parametrize("name", ["spm", "tvb"])
def test_transient_matches_solve_ivp(name):
    p = balloon_parameters(name)
    dt_ms, T = 0.1, 20.0
    n = int(round(T * 1000 / dt_ms))
    t_mid = (np.arange(n) + 0.5) * dt_ms * 1e-3          # neural samples at step midpoints
    x = _drive(t_mid)[:, None]
    errors = {}
    for h in (1e-3, 1e-4):
        ts, b = bold_from_activity(x, dt_ms, time_unit="ms", tr=0.5, params=name, substep=h, chunk=7777)
        ref = _scipy_bold(p, _drive, ts, T)
        errors[h] = np.max(np.abs(b[:, 0] - ref)) / np.max(np.abs(ref))
    # RK4 for the haemodynamics + block-averaged input: O(h^2) from the input averaging; measured 2.5e-8 at
    # h = 1 ms. Tolerance 1e-6 (40x margin), and the error must shrink ~h^2 (>= 50x for a 10x smaller h).
    assert errors[1e-3] < 1e-6
    assert errors[1e-4] < errors[1e-3] / 50


def test_chunking_does_not_change_result():
    rng = np.random.default_rng(1)
    x = 0.2 + 0.1 * rng.standard_normal((50_000, 3))
    ref = bold_from_activity(x, 0.1, time_unit="ms", tr=0.2, chunk=50_000)[1]
    bw = BalloonWindkessel(3, tr=0.2, time_unit="ms")
    start = 0
    for size in rng.integers(1, 4000, size=1000):
        bw.update(x[start:start + size], 0.1)
        start += size
        if start >= len(x):
            break
    assert start >= len(x)
    np.testing.assert_array_equal(bw.samples(), ref)   # identical arithmetic whatever the chunking


def test_time_unit_scaling():
    # the same physical input given in ms or in s steps yields the same BOLD
    x_ms = np.full((40_000, 1), 0.3)           # 4 s at 0.1 ms
    b_ms = bold_from_activity(x_ms, 0.1, time_unit="ms", tr=1.0)[1]
    x_s = np.full((4_000, 1), 0.3)             # 4 s at 1 ms
    b_s = bold_from_activity(x_s, 1e-3, time_unit="s", tr=1.0)[1]
    np.testing.assert_allclose(b_ms, b_s, rtol=1e-12)
    b_num = bold_from_activity(x_ms, 0.1, time_unit=1e-3, tr=1.0)[1]
    np.testing.assert_array_equal(b_ms, b_num)


def test_input_scale():
    x = np.full((20_000, 1), 0.3)
    a = bold_from_activity(x, 0.1, time_unit="ms", tr=1.0, input_scale=2.0)[1]
    b = bold_from_activity(2.0 * x, 0.1, time_unit="ms", tr=1.0)[1]
    np.testing.assert_allclose(a, b, rtol=1e-14)


def test_pop_samples_and_xarray():
    bw = BalloonWindkessel(2, tr=0.5, time_unit="ms")
    bw.update(np.full((10_000, 2), 0.1), 0.1)
    t, d = bw.pop_samples()
    np.testing.assert_allclose(t, [0.5, 1.0])
    assert d.shape == (2, 2) and bw.samples().shape == (0, 2)
    bw.update(np.full((10_000, 2), 0.1), 0.1)
    da = bw.to_xarray(labels=["a", "b"])
    np.testing.assert_allclose(da.time.values, [1.5, 2.0])
    assert da.dims == ("time", "region") and list(da.region.values) == ["a", "b"]
    assert "regions" in repr(bw) and "spm" in repr(bw)


def test_bad_input():
    with pytest.raises(InputError, match="time unit .minutes. unknown"):
        BalloonWindkessel(2, time_unit="minutes")
    with pytest.raises(TypeError):
        BalloonWindkessel(2)                      # time_unit is required
    bw = BalloonWindkessel(2, tr=0.5, time_unit="ms")
    with pytest.raises(InputError, match=r"\(n_steps, 2\)"):
        bw.update(np.zeros((10, 3)), 0.1)
    with pytest.raises(InputError, match="dt must be > 0"):
        bw.update(np.zeros((10, 2)), 0.0)
    bw.update(np.zeros((10, 2)), 0.1)
    with pytest.raises(InputError, match="dt changed"):
        bw.update(np.zeros((10, 2)), 0.2)
    with pytest.raises(InputError, match="whole multiple"):
        BalloonWindkessel(1, tr=0.0015, time_unit="ms").update(np.zeros((10, 1)), 1.0)
    with pytest.raises(InputError, match="too coarse"):
        BalloonWindkessel(1, tr=1.0, time_unit="s").update(np.zeros((10, 1)), 0.5)
    with pytest.raises(SimulationError, match="region 1"):
        BalloonWindkessel(2, time_unit="s").update(np.tile([0.0, -50.0], (20_000, 1)), 1e-3)


def test_tvb_parameter_set_matches_tvb_balloon_analyser():
    """Side by side with TVB's own BalloonModel analyser (percent BOLD, revised coefficients, eps = 0.5)."""
    pytest.importorskip("tvb.analyzers.fmri_balloon", reason="TVB (tvb-library, extra neurodyn[peers]) not installed")
    from tvb.analyzers.fmri_balloon import BalloonModel
    from tvb.datatypes.connectivity import Connectivity
    from tvb.datatypes.time_series import TimeSeriesRegion

    dt_ms = 1.0
    t = np.arange(0, 20_000.0, dt_ms)
    x = _drive(t * 1e-3)
    act = np.column_stack([x, 2 * x])
    conn = Connectivity(weights=np.zeros((2, 2)), tract_lengths=np.zeros((2, 2)), centres=np.zeros((2, 3)),
                        region_labels=np.array(["a", "b"]))
    conn.configure()
    ts = TimeSeriesRegion(data=act[:, None, :, None], time=t, sample_period=dt_ms, sample_period_unit="ms",
                          connectivity=conn)
    ts.configure()
    tvb_bold = BalloonModel(time_series=ts).evaluate().data[:, 0, :, 0]   # state at t[k], k = 0..n-1
    # TVB's Heun step from t[k-1] to t[k] holds the input sample x[k] (end of the step): feed x[1:] so that
    # our block k (one sample per 1 ms block) sees the same number
    ts_s, ours = bold_from_activity(act[1:], dt_ms, time_unit="ms", tr=0.5, params="tvb")
    idx = np.rint(ts_s * 1000 / dt_ms).astype(int)
    ok = idx < tvb_bold.shape[0]
    ref = tvb_bold[idx[ok]]
    # TVB integrates with Heun (O(h^2), h = 1 ms), we with RK4: measured difference 1.4e-7 relative
    np.testing.assert_allclose(ours[ok], ref, rtol=0, atol=1e-6 * np.abs(ref).max())
    assert np.abs(ref).max() > 1.0     # percent units (V0 = 4), as in TVB
