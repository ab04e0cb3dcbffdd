"""Story (a): the step response of the QIF population with synapse, against a separate scipy solution of the
Devalle et al. equations written here, and the fixed points of the analysis module."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.studies.single_population import qif_syn_fixed_points, step_response


def reference(t_eval, y0, amp, onset, offset, eta=-5.0, J=15.0, Delta=1.0, tau=1.0, tau_s=1.0):
    def f(t, y):
        r, v, s = y
        I = amp if onset <= t < offset else 0.0
        return [(Delta / (np.pi * tau) + 2 * r * v) / tau,
                (v ** 2 + eta + I + tau * s - (np.pi * tau * r) ** 2) / tau,
                (J * r - s) / tau_s]
    segs = [(0.0, onset), (onset, offset), (offset, t_eval[-1] + 1e-9)]
    out, y = [], y0
    for a, b in segs:  # integrate piecewise so that the discontinuities of I are hit exactly
        te = t_eval[(t_eval >= a) & (t_eval < b)]
        sol = solve_ivp(f, (a, b), y, method="DOP853", t_eval=te, rtol=1e-11, atol=1e-12)
        out.append(sol.y.T)
        y = solve_ivp(f, (a, b), y, method="DOP853", rtol=1e-11, atol=1e-12).y[:, -1]
    return np.concatenate(out)


def test_step_response_matches_scipy_and_fixed_points():
    res = step_response(amplitude=3.0, onset=10.0, offset=30.0, duration=60.0, step_size=1e-3,
                        sampling_step_size=0.05)
    df = res.traces
    t = df.index.to_numpy()
    before, during = res.fixed_points["before"], res.fixed_points["during"]
    assert [fp.stable for fp in before] == [True, False, True]   # bistable without input
    assert len(during) == 1 and during[0].stable                 # monostable (high) with I = 3
    y0 = [before[0]["p/qif_syn_op/r"], before[0]["p/qif_syn_op/v"], before[0]["p/qif_syn_op/s"]]
    ref = reference(t, y0, 3.0, 10.0, 30.0)
    # RK4 with dt = 1e-3 vs DOP853 at 1e-11; the input switches at grid points but the kernel interpolates the
    # input linearly between samples, which blurs each edge over one step: errors O(dt) ~ 1e-3 at the edges
    np.testing.assert_allclose(df[["r", "v", "s"]].to_numpy(), ref, rtol=5e-3, atol=5e-3)
    r = df["r"].to_numpy()
    assert r[t < 10].std() < 1e-9 and r[0] == pytest.approx(before[0]["p/qif_syn_op/r"], rel=1e-9)
    assert r[np.searchsorted(t, 29.9)] == pytest.approx(during[0]["p/qif_syn_op/r"], rel=1e-3)
    assert r[-1] == pytest.approx(before[2]["p/qif_syn_op/r"], rel=1e-3)   # stays high: bistability


def test_fixed_points_match_mpr_formula():
    """At a fixed point s = J r, so the rates solve the MPR relation with J tau r (REFERENCE section 1)."""
    for I in (0.0, 1.0, 3.0):
        fps = qif_syn_fixed_points(I_ext=I)
        roots = np.roots([np.pi ** 2, -15.0, -(-5.0 + I), 0.0, -1 / (4 * np.pi ** 2)])
        exact = np.sort(roots[(abs(roots.imag) < 1e-9) & (roots.real > 0)].real)
        np.testing.assert_allclose([fp["p/qif_syn_op/r"] for fp in fps], exact, rtol=1e-8)
