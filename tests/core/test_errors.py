"""Bad input gets a typed error (neurodyn.errors) that says where the problem is and how to fix it."""
import re
import textwrap

import numpy as np
import pytest

import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.errors import (EquationError, InputError, NeurodynError, SimulationError, SolverError,
                             TemplateError, TemplateNotFoundError, VariablePathError)

B = "numpy"


def _single(name, equations, variables):
    op = OperatorTemplate(name, equations, variables)
    return CircuitTemplate(name, nodes={"a": NodeTemplate(f"{name}_node", [op])})


@pytest.fixture(scope="module")
def leak():
    return _single("err_leak", ["x' = -x/tau"], {"x": "output(1.0)", "tau": 2.0})


def test_hierarchy():
    for cls, builtin in [(TemplateError, ValueError), (EquationError, ValueError), (InputError, ValueError),
                         (SolverError, ValueError), (SimulationError, RuntimeError),
                         (VariablePathError, KeyError), (TemplateNotFoundError, LookupError)]:
        assert issubclass(cls, NeurodynError) and issubclass(cls, builtin)


# -------------------------------------------------------------------------------------------------- YAML
def test_yaml_syntax_error_has_file_and_line(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text(textwrap.dedent("""\
        ok_op:
          base: OperatorTemplate
          equations: ["x' = -x"]
          variables:
            x: output(1.0): 3
    """))
    with pytest.raises(TemplateError, match="YAML syntax error") as exc:
        nd.template_from_yaml(f"{f}/ok_op")
    assert f"{f}:5:" in str(exc.value)          # the offending line


def test_undefined_template_name_suggests(tmp_path):
    f = tmp_path / "names.yaml"
    f.write_text(textwrap.dedent("""\
        nm_op:
          base: OperatorTemplate
          equations: ["x' = -x"]
          variables: {x: output(1.0)}
        nm_node:
          base: NodeTemplate
          operators: [nm_op]
        nm_circ:
          base: CircuitTemplate
          nodes: {p: nm_nod}
    """))
    with pytest.raises(TemplateNotFoundError, match=r"'nm_nod'.*did you mean 'nm_node'") as exc:
        nd.template_from_yaml(f"{f}/nm_circ")
    assert str(f) in str(exc.value)
    with pytest.raises(TemplateNotFoundError, match=r"did you mean 'nm_circ'"):
        nd.template_from_yaml(f"{f}/nm_cicr")
    with pytest.raises(TemplateNotFoundError, match=r"did you mean 'qif'"):
        nd.integrate("qiff", 1.0, 0.1, backend=B)


def test_undefined_symbol(tmp_path):
    f = tmp_path / "sym.yaml"
    f.write_text(textwrap.dedent("""\
        sym_op:
          base: OperatorTemplate
          equations:
            - "x' = -x/tau + y"
          variables:
            x: output(1.0)
            tau: 1.0
            yy: 0.5
        sym_node:
          base: NodeTemplate
          operators: [sym_op]
    """))
    with pytest.raises(EquationError) as exc:
        nd.integrate(f"{f}/sym_node", 1.0, 0.1, backend=B)
    msg = str(exc.value)
    # where (file:line and template), which equation, which symbol, and the valid names
    assert f"{f}:1" in msg and "sym_op" in msg and "x' = -x/tau + y" in msg and "'y'" in msg
    assert "did you mean 'yy'" in msg


def test_unknown_function_named():
    circ = _single("fn_op", ["x' = -expp(x)"], {"x": "output(1.0)"})
    with pytest.raises(EquationError, match=r"unknown function 'expp'.*'exp'"):
        nd.integrate(circ, 1.0, 0.1, backend=B)


def test_unknown_function_is_a_typed_error():
    circ = _single("fn2_op", ["x' = -expp(x)"], {"x": "output(1.0)"})
    with pytest.raises(EquationError, match=r"fn2_op.*x' = -expp\(x\)"):
        nd.integrate(circ, 1.0, 0.1, backend=B)


def test_equation_defining_input_or_constant():
    circ = _single("definp", ["x' = -x", "u = 2*x"], {"x": "output(1.0)", "u": "input(0.0)"})
    with pytest.raises(EquationError, match=r"'u = 2\*x' defines 'u', which is declared as an input"):
        nd.integrate(circ, 1.0, 0.1, backend=B)
    circ = _single("defconst", ["x' = -x", "k = 2*x"], {"x": "output(1.0)", "k": 3.0})
    with pytest.raises(EquationError, match=r"declared as a constant"):
        nd.integrate(circ, 1.0, 0.1, backend=B)


def test_unparsable_and_undeclared_lhs():
    with pytest.raises(EquationError, match="cannot parse"):
        nd.integrate(_single("synt", ["x' = -x +"], {"x": "output(1.0)"}), 1.0, 0.1, backend=B)
    with pytest.raises(EquationError, match=r"defines 'q', which is not a declared variable"):
        nd.integrate(_single("undecl", ["x' = -x", "q = x"], {"x": "output(1.0)"}), 1.0, 0.1, backend=B)
    with pytest.raises(EquationError, match=r"no '='"):
        nd.integrate(_single("noeq", ["x' -x"], {"x": "output(1.0)"}), 1.0, 0.1, backend=B)


def test_algebraic_loop():
    circ = _single("loop", ["x' = -x + a", "a = b + 1", "b = 2*a"],
                   {"x": "output(1.0)", "a": "variable(0.0)", "b": "variable(0.0)"})
    with pytest.raises(EquationError, match=r"algebraic loop.*a/loop/a.*a/loop/b"):
        nd.integrate(circ, 1.0, 0.1, backend=B)
    # a loop through instantaneous edges
    op = OperatorTemplate("eloop", ["x' = -x", "m = 2*r"], {"x": "output(1.0)", "m": "variable(0.0)",
                                                           "r": "input(0.0)"})
    node = NodeTemplate("eloop_node", [op])
    circ = CircuitTemplate("eloop", nodes={"p": node, "q": node},
                           edges=[("p/eloop/m", "q/eloop/r", None, {}), ("q/eloop/m", "p/eloop/r", None, {})])
    # the message names the nodes on the cycle, not just the group's variables
    with pytest.raises(EquationError,
                       match=r"algebraic loop.*p/eloop/r -> p/eloop/m -> q/eloop/r -> q/eloop/m -> p/eloop/r"):
        nd.integrate(circ, 1.0, 0.1, backend=B)


def test_no_false_loop_between_nodes_of_one_group():
    # m = f(x, r) of p feeds r of q: a loop m <-> r between the group's variables, but none between nodes
    op = OperatorTemplate("fchain", ["x' = -x + r", "m = 2*x + r"],
                          {"x": "output(1.0)", "m": "variable(0.0)", "r": "input(0.0)"})
    node = NodeTemplate("fchain_node", [op])
    circ = CircuitTemplate("fchain", nodes={"p": node, "q": node}, edges=[("p/fchain/m", "q/fchain/r", None, {})])
    df = nd.integrate(circ, 2.0, 0.01, solver="rk4", backend=B, outputs={"xp": "p/fchain/x", "xq": "q/fchain/x"})
    t = df.index.to_numpy()
    # x_p = e^-t, x_q' = -x_q + 2 x_p: x_q = (1 + 2t) e^-t; rk4 at dt 0.01: error ~1e-10
    np.testing.assert_allclose(df["xp"], np.exp(-t), atol=1e-8)
    np.testing.assert_allclose(df["xq"], (1 + 2 * t) * np.exp(-t), atol=1e-8)


def test_edge_delay_breaks_loop():
    op = OperatorTemplate("eloop2", ["x' = -x", "m = 2*r"], {"x": "output(1.0)", "m": "variable(0.0)",
                                                            "r": "input(0.0)"})
    node = NodeTemplate("eloop2_node", [op])
    circ = CircuitTemplate("eloop2", nodes={"p": node, "q": node},
                           edges=[("p/eloop2/m", "q/eloop2/r", None, {"delay": 0.2}),
                                  ("q/eloop2/m", "p/eloop2/r", None, {})])
    df = nd.integrate(circ, 1.0, 0.1, backend=B, outputs={"m": "p/eloop2/m"})
    assert np.all(df["m"] == 0.0)   # nothing ever drives the loop: it stays at zero


# ------------------------------------------------------------------------------------------- run arguments
def test_unknown_output_path(leak):
    with pytest.raises(VariablePathError, match=r"did you mean 'a/err_leak/x'"):
        nd.integrate(leak, 1.0, 0.1, outputs={"x": "a/err_leak/xx"}, backend=B)
    with pytest.raises(VariablePathError, match=r"unknown node 'b'.*'a'"):
        nd.integrate(leak, 1.0, 0.1, outputs={"x": "b/err_leak/x"}, backend=B)
    with pytest.raises(VariablePathError, match=r"node/operator/variable"):
        nd.integrate(leak, 1.0, 0.1, outputs={"x": "x"}, backend=B)
    with pytest.raises(VariablePathError, match=r"no node has variable"):
        nd.integrate(leak, 1.0, 0.1, outputs={"x": "all/err_leak/y"}, backend=B)


@pytest.mark.parametrize("T, dt, what", [
    (1.0, 0.0, "step_size"), (1.0, -0.1, "step_size"), (1.0, np.nan, "step_size"), (1.0, np.inf, "step_size"),
    (0.0, 0.1, "simulation_time"), (-1.0, 0.1, "simulation_time"), (np.inf, 0.1, "simulation_time"),
    (np.nan, 0.1, "simulation_time"), (1.0, "a", "step_size"), (0.01, 0.1, r"step_size \(0.1\) is longer than"),
])
def test_bad_times(leak, T, dt, what):
    with pytest.raises(InputError, match=what):
        nd.integrate(leak, T, dt, backend=B)


def test_sampling_step_not_multiple(leak):
    with pytest.raises(InputError, match=r"sampling_step_size \(0.15\) is not a whole number of steps of "
                                         r"step_size \(0.1\): use sampling_step_size=0.1 or 0.2"):
        nd.integrate(leak, 1.0, 0.1, sampling_step_size=0.15, backend=B)
    with pytest.raises(InputError, match="sampling_step_size"):
        nd.integrate(leak, 1.0, 0.1, sampling_step_size=0.05, backend=B)
    with pytest.raises(InputError, match="sampling_step_size"):
        nd.integrate(leak, 1.0, 0.1, sampling_step_size=-0.2, backend=B)


def test_unknown_solver_and_backend(leak):
    with pytest.raises(SolverError, match="unknown solver 'rk5'") as exc:
        nd.integrate(leak, 1.0, 0.1, solver="rk5", backend=B)
    for valid in ("euler", "heun", "midpoint", "rk4", "euler_maruyama", "stochastic_heun", "RK45", "LSODA"):
        assert valid in str(exc.value)
    with pytest.raises(SolverError, match="unknown backend 'cuda'"):
        nd.integrate(leak, 1.0, 0.1, backend="cuda")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_parameter(leak, value):
    with pytest.raises(InputError, match=r"parameter 'a/err_leak/tau' must be finite"):
        nd.integrate(leak, 1.0, 0.1, params={"a/err_leak/tau": value}, backend=B)
    with pytest.raises(InputError, match="a/err_leak/x"):
        nd.integrate(leak, 1.0, 0.1, initial_state={"a/err_leak/x": value}, backend=B)


@pytest.mark.parametrize("value,message", [
    (None, r"must be a number .* got None \(None is not a value: leave the entry out"),
    ("fast", r"must be a number or an array of numbers, got 'fast'"),
    (True, r"must be a number or an array of numbers, got True"),
    ([1.0, 2.0], r"has shape \(2,\); 'a/err_leak/tau' matches 1 node\(s\)"),
])
def test_parameter_that_is_not_one_number_per_node(leak, value, message):
    with pytest.raises(InputError, match=message):
        nd.integrate(leak, 1.0, 0.1, params={"a/err_leak/tau": value}, backend=B)


def test_noise_amplitude_that_is_not_a_number(leak):
    with pytest.raises(InputError, match=r"noise amplitude 'a/err_leak/x' must be a number"):
        nd.integrate(leak, 1.0, 0.1, noise={"a/err_leak/x": None}, solver="euler_maruyama", backend=B)
    with pytest.raises(InputError, match=r"noise amplitude for 'a/err_leak/x' must be real"):
        nd.integrate(leak, 1.0, 0.1, noise={"a/err_leak/x": 0.1j}, solver="euler_maruyama", backend=B)


def test_unknown_parameter_path(leak):
    with pytest.raises(VariablePathError, match=r"did you mean 'a/err_leak/tau'"):
        nd.integrate(leak, 1.0, 0.1, params={"a/err_leak/tauu": 1.0}, backend=B)


# --------------------------------------------------------------------------------------------- blow-ups
def _euler_blowup_step(x0, h):
    """Independent reference: the Euler recursion x <- x + h x^2 in plain Python floats."""
    x, n = x0, 0
    with np.errstate(over="ignore"):
        while np.isfinite(x):
            x = np.float64(x) + h * np.float64(x) ** 2
            n += 1
    return n


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_blow_up_names_variable_node_time(backend):
    circ = _single("blow", ["x' = x^2"], {"x": "output(1.0)"})
    h = 0.01
    n = _euler_blowup_step(1.0, h)
    with pytest.raises(SimulationError) as exc, np.errstate(over="ignore", invalid="ignore"):
        nd.integrate(circ, 2.0, h, solver="euler", backend=backend)
    msg = str(exc.value)
    assert "a/blow/x" in msg                                  # node and variable
    t = float(re.search(r"t = ([0-9.eE+-]+)", msg).group(1))
    assert t == pytest.approx(n * h)                          # when: the step the Euler recursion overflows
    assert "smaller step_size" in msg                         # how to fix


def test_adaptive_blow_up_names_variable():
    circ = _single("blow", ["x' = x^2"], {"x": "output(1.0)"})
    with pytest.raises(SimulationError, match="a/blow/x"), np.errstate(over="ignore", invalid="ignore"):
        nd.integrate(circ, 2.0, 0.01, solver="RK45", backend=B)


def test_adaptive_blow_up_is_a_simulation_error():
    circ = _single("blow", ["x' = x^2"], {"x": "output(1.0)"})
    with pytest.raises(SimulationError, match=r"RK45.*t = 1") as exc, np.errstate(over="ignore", invalid="ignore"):
        nd.integrate(circ, 2.0, 0.01, solver="RK45", backend=B)
    # x = 1/(1 - t) diverges at t = 1: the reported time is the blow-up time to the printed precision
    assert float(re.search(r"t = ([0-9.]+)", str(exc.value)).group(1)) == pytest.approx(1.0, abs=0.02)


def test_lsoda_blow_up_stops_with_the_time_of_divergence():
    # x' = x^2, x(0) = 1: x = 1/(1 - t). LSODA retried with ever smaller steps once x^2 overflowed and never
    # returned; the right-hand side now stops it at the first non-finite derivative, just before t = 1
    circ = _single("blow", ["x' = x^2"], {"x": "output(1.0)"})
    with pytest.raises(SimulationError, match=r"a/blow/x.*non-finite at t = ([0-9.]+).*LSODA") as exc, \
            np.errstate(over="ignore", invalid="ignore"):
        nd.integrate(circ, 2.0, 0.01, solver="LSODA", backend=B)
    t = float(re.search(r"t = ([0-9.]+)", str(exc.value)).group(1))
    # the exact solution diverges at t = 1; LSODA's numerical one (rtol 1e-6) overflows within 1e-4 of it
    assert t == pytest.approx(1.0, abs=1e-4)


def test_adaptive_failure_on_first_step_is_simulation_error():
    circ = _single("blow", ["x' = x^2"], {"x": "output(1.0)"})
    with pytest.raises(SimulationError), np.errstate(over="ignore", invalid="ignore"):
        nd.integrate(circ, 2.0, 0.01, solver="RK45", backend=B, initial_state={"a/blow/x": 1e200})


def _nan_circuit():
    # x = 0.55 - t turns negative at t = 0.55, where z' = sqrt(x) becomes NaN
    return _single("nanop", ["x' = -1", "z' = sqrt(x)"], {"x": "output(0.55)", "z": "variable(0.0)"})


@pytest.mark.parametrize("method", ["RK45", "Radau"])
def test_adaptive_nan_is_simulation_error(method):
    with pytest.raises(SimulationError, match=method), np.errstate(invalid="ignore"):
        nd.integrate(_nan_circuit(), 1.0, 0.1, solver=method, backend=B)


def test_adaptive_nan_bdf_is_simulation_error():
    with pytest.raises(SimulationError), np.errstate(invalid="ignore"):
        nd.integrate(_nan_circuit(), 1.0, 0.1, solver="BDF", backend=B)


def test_fixed_step_nan_names_state():
    # Euler: x_6 = 0.55 - 0.6 < 0, so the step from t = 0.6 gives z_7 = NaN: the first non-finite state is at 0.7
    with pytest.raises(SimulationError, match=r"a/nanop/z.*t = 0\.7 \(step 7") as exc, np.errstate(invalid="ignore"):
        nd.integrate(_nan_circuit(), 1.0, 0.1, solver="euler", backend=B)
    assert "nan" in str(exc.value)


def test_time_grids_are_never_shortened_in_silence(leak):
    """A run covers exactly the requested interval or says which values would (issue: 1.05 / 0.1 used to run
    10 steps, i.e. 1.0 time units, without a word)."""
    with pytest.raises(InputError, match=r"simulation_time \(1.05\) is not a whole number of steps of step_size "
                                         r"\(0.1\): use simulation_time=1 or 1.1"):
        nd.integrate(leak, 1.05, 0.1, backend=B)
    with pytest.raises(InputError, match=r"simulation_time \(1\) is not a whole number of steps of "
                                         r"sampling_step_size \(0.3\): use simulation_time=0.9 or 1.2"):
        nd.integrate(leak, 1.0, 0.1, sampling_step_size=0.3, backend=B)
    with pytest.raises(InputError, match=r"sampling_step_size \(2\) is longer than simulation_time"):
        nd.integrate(leak, 1.0, 0.1, sampling_step_size=2.0, backend=B)
    # decimal inputs that are whole multiples up to rounding run, over exactly the asked interval
    df = nd.integrate(leak, 0.3, 0.1, backend=B)
    assert len(df) == 3 and np.allclose(df.index, [0.0, 0.1, 0.2])
    df = nd.integrate(leak, 1.0, 0.1, sampling_step_size=0.2, backend=B)
    assert len(df) == 5 and df.index[-1] == pytest.approx(0.8)
