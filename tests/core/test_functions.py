"""Every function of the equation language evaluates to its NumPy definition, in both backends.

A ramp x = t - 1.5 sweeps negative and positive values; each derived quantity is recorded and compared with
the NumPy expression evaluated on the exact x (round-off tolerance: the ramp is exact for euler).
"""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate

CASES = {
    "f_exp": ("exp(x)", np.exp),
    "f_log": ("log(2 + x)", lambda x: np.log(2 + x)),
    "f_sqrt": ("sqrt(2 + x)", lambda x: np.sqrt(2 + x)),
    "f_sin": ("sin(x)", np.sin), "f_cos": ("cos(x)", np.cos), "f_tan": ("tan(x)", np.tan),
    "f_sinh": ("sinh(x)", np.sinh), "f_cosh": ("cosh(x)", np.cosh), "f_tanh": ("tanh(x)", np.tanh),
    "f_asin": ("arcsin(x/2)", lambda x: np.arcsin(x / 2)), "f_acos": ("arccos(x/2)", lambda x: np.arccos(x / 2)),
    "f_atan": ("arctan(x)", np.arctan),
    "f_abs": ("abs(x)", np.abs), "f_absv": ("absv(x)", np.abs), "f_sign": ("sign(x)", np.sign),
    "f_sigmoid": ("sigmoid(x)", lambda x: 1 / (1 + np.exp(-x))),
    "f_heav": ("heaviside(x)", lambda x: np.heaviside(x, 0.5)),
    "f_max": ("max(x, 0.2)", lambda x: np.maximum(x, 0.2)), "f_min": ("min(x, 0.2)", lambda x: np.minimum(x, 0.2)),
    "f_pow": ("x^2 + 2^x", lambda x: x ** 2 + 2 ** x),
    "f_pi": ("pi*x", lambda x: np.pi * x),
    "f_time": ("t*x", None),   # t is time: t * (t - 1.5)
}


def _circuit():
    eqs = ["x' = 1"] + [f"{k} = {expr}" for k, (expr, _) in CASES.items()]
    variables = {"x": "output(-1.5)", **{k: "variable(0.0)" for k in CASES}}
    op = OperatorTemplate("fn_all", eqs, variables)
    return CircuitTemplate("fn_all", nodes={"n": NodeTemplate("fn_all_node", [op])})


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_functions(backend):
    # dt = 0.25 puts x = 0 exactly on the grid (sign, heaviside at 0)
    df = nd.integrate(_circuit(), 3.0, 0.25, outputs={k: f"n/fn_all/{k}" for k in ["x", *CASES]}, solver="euler",
                      backend=backend)
    t = df.index.to_numpy()
    x = t - 1.5
    np.testing.assert_array_equal(df["x"].to_numpy(), x)
    assert 0.0 in x
    for k, (expr, f) in CASES.items():
        expected = t * x if f is None else f(x)
        np.testing.assert_allclose(df[k].to_numpy(), expected, rtol=1e-14, atol=1e-15, err_msg=f"{k} = {expr}")


def test_conj_real_imag_angle():
    op = OperatorTemplate("fn_cplx", ["z' = i*z", "re = real(z)", "im = imag(z)", "ang = angle(z)",
                                      "c = conj(z)", "m = abs(z)"],
                          {"z": "output(1.0+0.0j)", "i": 1j, "re": "variable(0.0)", "im": "variable(0.0)",
                           "ang": "variable(0.0)", "c": "variable(0.0)", "m": "variable(0.0)"})
    circ = CircuitTemplate("fn_cplx", nodes={"n": NodeTemplate("fn_cplx_node", [op])})
    df = nd.integrate(circ, 2.0, 0.01, outputs={k: f"n/fn_cplx/{k}" for k in ("z", "re", "im", "ang", "c", "m")},
                      solver="rk4", backend="numpy")
    z = df["z"].to_numpy()
    np.testing.assert_allclose(df["re"].to_numpy(), z.real, rtol=0, atol=1e-15)
    np.testing.assert_allclose(df["im"].to_numpy(), z.imag, rtol=0, atol=1e-15)
    np.testing.assert_allclose(df["ang"].to_numpy(), np.angle(z), rtol=0, atol=1e-15)
    np.testing.assert_allclose(df["c"].to_numpy(), np.conj(z), rtol=0, atol=1e-15)
    np.testing.assert_allclose(df["m"].to_numpy(), np.abs(z), rtol=0, atol=1e-15)
    # and z itself is exp(i t): rk4 at dt 0.01, error ~1e-10
    np.testing.assert_allclose(z, np.exp(1j * df.index.to_numpy()), atol=1e-9)
