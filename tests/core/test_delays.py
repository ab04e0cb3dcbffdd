"""Edge delays: a delay d reads the source at t - d; gamma-distributed delays (``spread``) are the gamma law.

References are analytic: a ramp source x = t, a sinusoidal source driven through an input array, and
scipy.stats.gamma for distributed delays. Models are small, so the numpy backend is used (the numba backend
runs the same IR and is compared with numpy, delays included, in test_backends.py).
"""
import numpy as np
import pytest
from scipy import stats

import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.errors import InputError
from ndcore_models import delay_line_circuit, relay_circuit

B = "numpy"


# ------------------------------------------------------------------------------------------- (a) ramp source
@pytest.mark.parametrize("solver", ["euler", "heun", "midpoint", "rk4"])
def test_ramp_delay_exact(solver):
    dt, d, T = 0.01, 0.3, 1.0  # d = 30 dt
    df = nd.integrate(delay_line_circuit(d), T + dt, dt, outputs={"y": "tgt/integ/y", "u": "tgt/integ/u"},
                      solver=solver, backend=B)
    t = df.index.to_numpy()
    # the delayed input is exactly max(t - d, 0) (history before t = 0 is the initial value x(0) = 0);
    # interpolating a linear function is exact, so only round-off remains (1e-12)
    np.testing.assert_allclose(df["u"], np.maximum(t - d, 0.0), rtol=0, atol=1e-12)
    yT = df["y"].iloc[-1]
    if solver == "euler":
        # left Riemann sum of max(t - d, 0) on the grid: (T - d)(T - d - dt)/2
        expected = (T - d) * (T - d - dt) / 2
    else:
        # heun / midpoint / rk4 integrate a piecewise-linear integrand with its kink on the grid exactly
        expected = (T - d) ** 2 / 2
    assert yT == pytest.approx(expected, rel=1e-12, abs=1e-14)


# ------------------------------------------------------------------------------- (b) sinusoid via an input
T_S, DT_S, F_S = 2.0, 0.01, 2.0
W_S = 2 * np.pi * F_S


def _relay_run(d, solver, delay_mode="cubic"):
    n = int(round(T_S / DT_S))
    t = np.arange(n) * DT_S
    df = nd.integrate(relay_circuit(d), T_S, DT_S, outputs={"v": "tgt/integ/v", "y": "tgt/integ/y",
                                                            "s": "src/relay/s"},
                      inputs={"src/relay/u": np.sin(W_S * t)}, solver=solver, backend=B, delay_mode=delay_mode)
    assert np.allclose(df["s"], np.sin(W_S * t), atol=1e-14)  # the relay reproduces the input samples
    return t, df


def _cubic_bound(frac):
    """Lagrange remainder of cubic interpolation of sin(w t) through 4 equispaced points, evaluated at the
    fraction ``frac`` of the central interval: w^4 h^4 / 4! * |s (s-1)(s-2)(s-3)| with s = 1 + frac."""
    s = 1 + frac
    return (W_S * DT_S) ** 4 / 24 * abs(s * (s - 1) * (s - 2) * (s - 3))


@pytest.mark.parametrize("solver", ["heun", "rk4"])
@pytest.mark.parametrize("d", [0.3, 0.333])
def test_sinusoid_shifted_by_delay(solver, d):
    t, df = _relay_run(d, solver)
    v = df["v"].to_numpy()
    ref = np.where(t >= d - 1e-12, np.sin(W_S * (t - d)), 0.0)  # before t = 0 the source is s(0) = 0
    frac = d / DT_S - np.floor(d / DT_S + 1e-9)
    # d a multiple of dt: the stored samples are read back, round-off only; otherwise the cubic Lagrange
    # remainder bounds the error (the bound is tight: measured 4.8e-6 against 4.8e-6 at d = 0.333)
    tol = 1e-12 if frac < 1e-6 else 1.001 * _cubic_bound(1 - frac) + 1e-12
    assert np.max(np.abs(v - ref)) <= tol
    # the lag maximising the cross-correlation of target input and source is d (to the nearest step)
    s = np.sin(W_S * t)
    lags = np.arange(0, 60)
    cc = [np.dot(v[k:], s[:len(s) - k]) / (len(s) - k) for k in lags]
    assert lags[int(np.argmax(cc))] == int(round(d / DT_S))


def test_integrated_delayed_sinusoid():
    """The stage reads between grid points are delayed too: the integral of the delayed input matches the
    trapezoid rule (heun, d on the grid) to round-off and the exact integral (rk4) within its error bound."""
    d = 0.3
    t, df = _relay_run(d, "heun")
    ref = np.where(t >= d - 1e-12, np.sin(W_S * (t - d)), 0.0)
    trap = np.concatenate([[0.0], np.cumsum((ref[1:] + ref[:-1]) / 2 * DT_S)])
    # heun: y_{n+1} = y_n + h/2 (v_n + v_{n+1}) with exact samples: the cumulative trapezoid (round-off)
    np.testing.assert_allclose(df["y"], trap, rtol=0, atol=1e-12)
    t, df = _relay_run(d, "rk4")
    exact = np.where(t >= d, (1 - np.cos(W_S * (t - d))) / W_S, 0.0)
    # rk4 reads the delayed input at half steps through cubic interpolation (error <= _cubic_bound(1/2) per
    # read, weight 4/6 per step) plus Simpson's rule error h^4 w^4/2880 per unit time: bound x T
    bound = T_S * (2 / 3 * _cubic_bound(0.5) + (W_S * DT_S) ** 4 / 2880)
    assert np.max(np.abs(df["y"] - exact)) <= bound


# ---------------------------------------------------------------------------------------------- (c) step mode
@pytest.mark.parametrize("d", [0.024, 0.026, 0.3, 0.006])
def test_step_mode_uses_nearest_step(d):
    t, df = _relay_run(d, "rk4", delay_mode="step")
    k = int(round(d / DT_S))
    ref = np.concatenate([np.zeros(k), np.sin(W_S * t[:len(t) - k])])
    # the stored sample round(d/dt) steps back is read as is: round-off only
    np.testing.assert_allclose(df["v"], ref, rtol=0, atol=1e-13)


def test_step_mode_state_source():
    dt = 0.01
    for d, k in [(0.024, 2), (0.026, 3)]:
        df = nd.integrate(delay_line_circuit(d), 0.5, dt, outputs={"u": "tgt/integ/u"}, solver="heun", backend=B,
                          delay_mode="step")
        t = df.index.to_numpy()
        np.testing.assert_allclose(df["u"], np.maximum(t - k * dt, 0.0), rtol=0, atol=1e-13)


# -------------------------------------------------------------------------------------- (d) delay below dt
def test_delay_shorter_than_step_raises():
    with pytest.raises(InputError, match=r"shorter than the step") as exc:
        nd.integrate(delay_line_circuit(0.007), 1.0, 0.01, backend=B)
    assert "0.007" in str(exc.value) and "0.01" in str(exc.value)
    with pytest.raises(InputError):
        nd.integrate(relay_circuit(0.007), 1.0, 0.01, inputs={"src/relay/u": np.zeros(100)}, backend=B)


def test_unknown_delay_mode():
    with pytest.raises(InputError, match="delay_mode"):
        nd.integrate(delay_line_circuit(0.3), 1.0, 0.01, backend=B, delay_mode="quadratic")


def test_adaptive_solver_refuses_delays():
    with pytest.raises(nd.errors.SolverError, match="delay"):
        nd.integrate(delay_line_circuit(0.3), 1.0, 0.01, backend=B, solver="RK45")


# ------------------------------------------------------------------------------ gamma-distributed delays
def _step_into_integrator(d, spread, name):
    const = OperatorTemplate(f"{name}_const", ["x' = 0"], {"x": "output(1.0)"})
    integ = OperatorTemplate(f"{name}_integ", ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    return CircuitTemplate(name, nodes={"src": NodeTemplate(f"{name}_src", [const]),
                                        "tgt": NodeTemplate(f"{name}_tgt", [integ])},
                           edges=[(f"src/{name}_const/x", f"tgt/{name}_integ/u", None,
                                   {"weight": 1.0, "delay": d, "spread": spread})])


@pytest.mark.parametrize("d, spread", [(2.0, 1.0), (3.0, 1.0)])
def test_gamma_delay_step_response(d, spread):
    """Step response of the chain = gamma CDF with mean d and std spread; its integral checks the mean:
    int_0^t F = t F_n(t) - d F_{n+1}(t)."""
    n = round((d / spread) ** 2)   # 4 and 9: (d/spread)^2 is an integer, so the std is exactly spread
    name = f"gstep{n}"
    df = nd.integrate(_step_into_integrator(d, spread, name), 10.0, 0.05,
                      outputs={"u": f"tgt/{name}_integ/u", "y": f"tgt/{name}_integ/y"}, solver="DOP853",
                      rtol=1e-11, atol=1e-13, backend=B)
    t = df.index.to_numpy()
    law = stats.gamma(a=n, scale=d / n)
    assert law.mean() == pytest.approx(d) and law.std() == pytest.approx(spread)
    # DOP853 at rtol 1e-11: measured errors ~1e-10; 1e-8 leaves margin yet would catch a wrong rate or order
    np.testing.assert_allclose(df["u"], law.cdf(t), rtol=0, atol=1e-8)
    np.testing.assert_allclose(df["y"], t * law.cdf(t) - d * stats.gamma(a=n + 1, scale=d / n).cdf(t),
                               rtol=0, atol=1e-8)


def test_gamma_delay_ramp_response():
    """Ramp through the chain: t F(t) - d F_{n+1}(t), i.e. lag d once the transient has passed."""
    d, spread = 2.0, 1.0
    df = nd.integrate(delay_line_circuit(d, spread=spread), 12.0, 0.05, outputs={"u": "tgt/integ/u"},
                      solver="RK45", rtol=1e-11, atol=1e-13, backend=B)
    t = df.index.to_numpy()
    law, law1 = stats.gamma(a=4, scale=0.5), stats.gamma(a=5, scale=0.5)
    np.testing.assert_allclose(df["u"], t * law.cdf(t) - d * law1.cdf(t), rtol=0, atol=1e-8)
    assert df["u"].iloc[-1] == pytest.approx(t[-1] - d, abs=1e-3)


def test_gamma_delay_with_fixed_step_impulse_shape():
    """The chain's response to a step, differentiated, is the gamma PDF. rk4 at dt = 2e-3 is accurate to
    ~1e-10; the central difference over 2 x 0.01 errs by h^2 |f(3)|/6 ~ 2e-5 (peak pdf ~0.45): tolerance 1e-4."""
    d, spread = 2.0, 1.0
    name = "gpdf"
    df = nd.integrate(_step_into_integrator(d, spread, name), 6.0, 2e-3, outputs={"u": f"tgt/{name}_integ/u"},
                      solver="rk4", backend=B, sampling_step_size=1e-2)
    t = df.index.to_numpy()
    u = df["u"].to_numpy()
    pdf_fd = (u[2:] - u[:-2]) / (t[2:] - t[:-2])
    pdf = stats.gamma(a=4, scale=0.5).pdf(t[1:-1])
    assert np.max(np.abs(pdf_fd - pdf)) < 1e-4


def test_two_gamma_delays_of_equal_order():
    # (d, spread) = (3, 1) and (1.5, 0.5): both chains have order 9, rates 3 and 6
    const = OperatorTemplate("g2_const", ["x' = 0"], {"x": "output(1.0)"})
    integ = OperatorTemplate("g2_integ", ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    tgt = NodeTemplate("g2_tgt", [integ])
    circ = CircuitTemplate("g2", nodes={"src": NodeTemplate("g2_src", [const]), "a": tgt, "b": tgt},
                           edges=[("src/g2_const/x", "a/g2_integ/u", None, {"delay": 3.0, "spread": 1.0}),
                                  ("src/g2_const/x", "b/g2_integ/u", None, {"delay": 1.5, "spread": 0.5})])
    df = nd.integrate(circ, 8.0, 0.05, outputs={"u": "all/g2_integ/u"}, solver="DOP853", rtol=1e-11,
                      atol=1e-13, backend=B)
    t = df.index.to_numpy()
    np.testing.assert_allclose(df[("u", "a")], stats.gamma(a=9, scale=3.0 / 9).cdf(t), atol=1e-8)
    np.testing.assert_allclose(df[("u", "b")], stats.gamma(a=9, scale=1.5 / 9).cdf(t), atol=1e-8)


# --------------------------------------------------------------------------- per-connection delays, ring buffer
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_per_connection_delays_in_one_projection(backend):
    """One source, four targets of one group (one projection) with different delays, some longer than the
    run itself: each target sees the source shifted by its own delay."""
    relay = OperatorTemplate("pc_relay", ["s = u"], {"s": "output(0.0)", "u": "input(0.0)"})
    recv = OperatorTemplate("pc_recv", ["y' = v"], {"y": "output(0.0)", "v": "input(0.0)"})
    delays = {"a": 0.05, "b": 0.25, "c": 0.333, "d": 2.5}
    tgt = NodeTemplate("pc_recv_node", [recv])
    circ = CircuitTemplate("pc", nodes={"src": NodeTemplate("pc_relay_node", [relay]), **{k: tgt for k in delays}},
                           edges=[("src/pc_relay/s", f"{k}/pc_recv/v", None, {"delay": d}) for k, d in delays.items()])
    model = nd.compile_model(circ, driven=("src/pc_relay/u",), backend=backend, step_size=DT_S)
    assert len(model.ir.projections) == 1 and model.ir.projections[0].delayed
    n = int(round(T_S / DT_S))
    t = np.arange(n) * DT_S
    df = model.run(T_S, DT_S, outputs={"v": "all/pc_recv/v"}, inputs={"src/pc_relay/u": np.sin(W_S * t)},
                   solver="heun")
    for k, d in delays.items():
        ref = np.where(t >= d - 1e-12, np.sin(W_S * (t - d)), 0.0)
        frac = d / DT_S - np.floor(d / DT_S + 1e-9)
        tol = 1e-12 if frac < 1e-6 else 1.001 * _cubic_bound(1 - frac) + 1e-12   # as in the sinusoid test
        assert np.max(np.abs(df[("v", k)].to_numpy() - ref)) <= tol, k


def test_long_run_wraps_history_ring():
    """The history is a ring of ~d/dt + 8 entries; a run 50x longer than the delay must keep the exact lag."""
    dt, d = 0.01, 0.05
    df = nd.integrate(delay_line_circuit(d), 10.0, dt, outputs={"u": "tgt/integ/u"}, solver="rk4", backend=B)
    t = df.index.to_numpy()
    np.testing.assert_allclose(df["u"], np.maximum(t - d, 0.0), rtol=0, atol=1e-11)


def test_complex_source_delayed():
    """A complex state delayed: z = exp(i w t) read d later (history stored as complex, never cast)."""
    rot = OperatorTemplate("dl_rot", ["z' = i*w*z"], {"z": "output(1.0+0.0j)", "i": 1j, "w": 3.0})
    recv = OperatorTemplate("dl_crecv", ["q' = v"], {"q": "output(0.0+0.0j)", "v": "input(0.0+0.0j)"})
    circ = CircuitTemplate("dl_c", nodes={"s": NodeTemplate("dl_rot_node", [rot]),
                                          "r": NodeTemplate("dl_crecv_node", [recv])},
                           edges=[("s/dl_rot/z", "r/dl_crecv/v", None, {"delay": 0.2})])
    df = nd.integrate(circ, 2.0, 0.001, outputs={"v": "r/dl_crecv/v"}, solver="rk4", backend=B)
    t = df.index.to_numpy()
    assert df["v"].dtype == np.complex128
    ref = np.where(t >= 0.2 - 1e-12, np.exp(3j * (t - 0.2)), 1.0)   # before t = 0: the initial value z(0) = 1
    # rk4 at dt 1e-3 (error ~1e-12) and d on the grid: round-off level
    np.testing.assert_allclose(df["v"].to_numpy(), ref, atol=1e-9)
