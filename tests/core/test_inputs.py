"""External inputs: sample k at t = k dt, linear interpolation in between (checked against np.interp) or held
for the step ('step'),
adding to edges, replacing driven constants, and typed errors for bad arrays or paths."""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.errors import InputError, NeurodynError, VariablePathError

B = "numpy"
T, DT = 1.0, 0.01
N = int(round(T / DT))


def _integrator(name="inp"):
    op = OperatorTemplate(name, ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    return CircuitTemplate(name, nodes={"n": NodeTemplate(f"{name}_node", [op])})


@pytest.fixture(scope="module")
def drive():
    rng = np.random.default_rng(3)
    return rng.standard_normal(N)  # rough on purpose: interpolation errors would show


def test_samples_on_grid(drive):
    df = nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": drive}, outputs={"u": "n/inp/u"}, solver="euler",
                      backend=B)
    # sample k is the value at t = k dt; k dt / dt is not always exactly k in floating point, so the
    # interpolation weight can be ~1e-15 off: round-off tolerance
    np.testing.assert_allclose(df["u"].to_numpy(), drive, rtol=0, atol=1e-12)


def test_midpoint_reads_linear_interpolation(drive):
    """midpoint: y_{n+1} - y_n = h u(t_n + h/2), so the increments expose the interpolated input, which must
    equal np.interp on the sample grid (round-off tolerance)."""
    df = nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": drive}, outputs={"y": "n/inp/y"},
                      solver="midpoint", backend=B)
    grid = np.arange(N) * DT
    mid = grid[:-1] + DT / 2
    inc = np.diff(df["y"].to_numpy()) / DT
    np.testing.assert_allclose(inc, np.interp(mid, grid, drive), rtol=0, atol=1e-12)
    # and at an off-centre stage time: rk4 reads t_n + h/2 twice and t_n + h once -> Simpson weights
    df = nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": drive}, outputs={"y": "n/inp/y"}, solver="rk4",
                      backend=B)
    simpson = (drive[:-1] + 4 * np.interp(mid, grid, drive) + drive[1:]) / 6
    np.testing.assert_allclose(np.diff(df["y"].to_numpy()) / DT, simpson, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("solver", ["euler", "heun", "midpoint", "rk4"])
def test_step_interpolation_holds_each_sample_for_its_step(drive, solver, backend):
    """input_interpolation='step': every stage of the step from t_k reads sample k, so y' = u gives
    y_{k+1} - y_k = h u_k with any explicit Runge-Kutta scheme (its weights sum to 1); round-off tolerance."""
    df = nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": drive}, outputs={"y": "n/inp/y"}, solver=solver,
                      backend=backend, input_interpolation="step")
    np.testing.assert_allclose(np.diff(df["y"].to_numpy()) / DT, drive[:-1], rtol=0, atol=1e-12)
    assert df.attrs["provenance"]["input_interpolation"] == "step"


def test_step_interpolation_makes_a_grid_pulse_exact_with_heun():
    """A pulse on [a, b) with a, b on the grid: with 'step' the integral is exactly A (b - a) after the pulse
    and exactly 0 before it; 'linear' smears each edge over one step (Heun then gives half weight to the step
    before a and the last step of the pulse), which is the difference the network's Stimulus avoids."""
    grid = np.arange(N) * DT
    a, b, A = 0.2, 0.5, 3.0
    pulse = A * ((grid >= a - 1e-9) & (grid < b - 1e-9))
    out = {"y": "n/inp/y"}
    step = nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": pulse}, outputs=out, solver="heun",
                        backend=B, input_interpolation="step")["y"].to_numpy()
    ka, kb = int(round(a / DT)), int(round(b / DT))
    assert np.all(step[:ka + 1] == 0.0)
    np.testing.assert_allclose(step[ka:kb + 1], A * DT * np.arange(kb - ka + 1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(step[kb:], A * (b - a), rtol=0, atol=1e-12)
    lin = nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": pulse}, outputs=out, solver="heun",
                       backend=B)["y"].to_numpy()
    assert lin[ka] == pytest.approx(A * DT / 2, abs=1e-12)    # half weight on the step before the pulse


def test_step_interpolation_with_an_adaptive_solver_is_a_sample_and_hold():
    # y' = u with u held on [t_k, t_k + dt): y(T) is the exact integral of the staircase, sum(u_k) dt; RK45
    # at rtol 1e-10 meets it to ~1e-9 (it steps across the jumps with small steps)
    grid = np.arange(N) * DT
    u = np.sin(7 * grid) + (grid > 0.4)
    df = nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": u}, outputs={"y": "n/inp/y"}, solver="RK45",
                      backend=B, input_interpolation="step", rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(df["y"].to_numpy()[1:], np.cumsum(u)[:-1] * DT, rtol=0, atol=1e-7)


def test_unknown_input_interpolation_is_an_input_error(drive):
    with pytest.raises(InputError, match=r"input_interpolation must be one of \['linear', 'step'\]"):
        nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": drive}, backend=B, input_interpolation="cubic")


def test_input_adds_to_edge_and_replaces_constant():
    ramp = OperatorTemplate("inp_ramp", ["x' = rate"], {"x": "output(0.0)", "rate": 1.0})
    integ = OperatorTemplate("inp_integ", ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    circ = CircuitTemplate("inp_sum", nodes={"s": NodeTemplate("inp_ramp_node", [ramp]),
                                             "t": NodeTemplate("inp_integ_node", [integ])},
                           edges=[("s/inp_ramp/x", "t/inp_integ/u", None, {"weight": 2.0})])
    grid = np.arange(N) * DT
    extra = np.cos(3 * grid)
    rate = 0.5 + grid  # driving the constant 'rate' replaces it: x = 0.5 t + t^2/2
    df = nd.integrate(circ, T, DT, inputs={"t/inp_integ/u": extra, "s/inp_ramp/rate": rate},
                      outputs={"u": "t/inp_integ/u", "x": "s/inp_ramp/x"}, solver="heun", backend=B)
    x = 0.5 * grid + grid ** 2 / 2   # heun integrates the linear-in-t rate exactly
    np.testing.assert_allclose(df["x"], x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(df["u"], 2 * x + extra, rtol=0, atol=1e-12)


def test_all_path_with_one_column_per_node():
    op = OperatorTemplate("inp_multi", ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    node = NodeTemplate("inp_multi_node", [op])
    circ = CircuitTemplate("inp_multi", nodes={"a": node, "b": node})
    arr = np.stack([np.ones(N), 2 * np.ones(N)], axis=1)
    df = nd.integrate(circ, T, DT, inputs={"all/inp_multi/u": arr}, outputs={"y": "all/inp_multi/y"},
                      solver="euler", backend=B)
    t = df.index.to_numpy()
    np.testing.assert_allclose(df[("y", "a")], t, atol=1e-12)
    np.testing.assert_allclose(df[("y", "b")], 2 * t, atol=1e-12)
    with pytest.raises(InputError, match=r"\(100, 2\)"):
        nd.integrate(circ, T, DT, inputs={"all/inp_multi/u": np.ones((N, 3))}, backend=B)


# -------------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("arr, match", [
    (np.zeros(N - 1), r"shape \(99,\); expected \(100,\)"),
    (np.zeros(N + 1), r"expected \(100,\)"),
    (np.zeros((N, 2)), r"shape \(100, 2\)"),
    (np.zeros((N, 1, 1)), r"shape"),
    (np.r_[np.zeros(N - 3), np.nan, 0.0, 0.0], r"non-finite value at step 97"),
    (np.r_[np.inf, np.zeros(N - 1)], r"non-finite value at step 0"),
    (np.zeros(N) + 1j, r"complex but the model is real"),
    (np.array(["a"] * N), r"numeric"),
])
def test_bad_input_arrays(arr, match):
    with pytest.raises(InputError, match=match) as exc:
        nd.integrate(_integrator(), T, DT, inputs={"n/inp/u": arr}, backend=B)
    assert "n/inp/u" in str(exc.value)     # says which input
    assert isinstance(exc.value, NeurodynError)


def test_unknown_input_path_suggests_close_matches():
    with pytest.raises(VariablePathError, match=r"did you mean 'n/inp/u'"):
        nd.integrate(_integrator(), T, DT, inputs={"n/inp/uu": np.zeros(N)}, backend=B)
    with pytest.raises(VariablePathError, match=r"unknown node 'm'"):
        nd.integrate(_integrator(), T, DT, inputs={"m/inp/u": np.zeros(N)}, backend=B)
    with pytest.raises(VariablePathError, match=r"state"):
        nd.integrate(_integrator(), T, DT, inputs={"n/inp/y": np.zeros(N)}, backend=B)


def test_model_compiled_for_other_inputs():
    m = nd.compile_model(_integrator(), backend=B)
    with pytest.raises(InputError, match=r"compiled for inputs"):
        m.run(T, DT, inputs={"n/inp/u": np.zeros(N)})


def test_driving_part_of_a_group():
    """Three nodes of one template; two are driven (with different series), the third only through edges, one
    of them delayed. Reference: solve_ivp with the analytic a(t) = 0.5 (1 - e^-t) for the delayed term."""
    from scipy.integrate import solve_ivp
    op = OperatorTemplate("inp_part", ["y' = u - y"], {"y": "output(0.0)", "u": "input(0.0)"})
    node = NodeTemplate("inp_part_node", [op])
    circ = CircuitTemplate("inp_part", nodes={"a": node, "b": node, "c": node},
                           edges=[("b/inp_part/y", "c/inp_part/u", None, {"weight": 2.0}),
                                  ("a/inp_part/y", "b/inp_part/u", None, {"weight": 1.0, "delay": 0.1})])
    n = 200
    df = nd.integrate(circ, 2.0, 0.01, inputs={"b/inp_part/u": np.ones(n), "a/inp_part/u": np.full(n, 0.5)},
                      outputs={"y": "all/inp_part/y"}, solver="rk4", backend=B)
    t = df.index.to_numpy()
    a = lambda s: np.where(s > 0, 0.5 * (1 - np.exp(-np.maximum(s, 0))), 0.0)  # noqa: E731
    ref = solve_ivp(lambda s, z: [1 + a(s - 0.1) - z[0], 2 * z[0] - z[1]], (0, t[-1]), [0.0, 0.0], t_eval=t,
                    method="DOP853", rtol=1e-12, atol=1e-14, max_step=0.01)
    # rk4 at dt 0.01 with d = 10 dt: errors measured <= 2e-10 (rk4 truncation plus the history stencil crossing
    # the kink of a(t - 0.1) at t = 0.1); 1e-8 leaves margin and still catches a wrong lag (~1e-3 per step)
    np.testing.assert_allclose(df[("y", "a")], a(t), atol=1e-9)
    np.testing.assert_allclose(df[("y", "b")], ref.y[0], atol=1e-8)
    np.testing.assert_allclose(df[("y", "c")], ref.y[1], atol=1e-8)
