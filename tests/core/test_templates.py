"""Templates: immutability, updates, YAML inheritance ('base', 'replace', 'add'), 'all/' outputs, complex states.

References: scipy.integrate.solve_ivp (DOP853, tight tolerances) of the equations written out by hand in the
test, and closed-form solutions.
"""
import dataclasses
import textwrap

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.errors import InputError
from ndcore_models import oscillator_circuit

B = "numpy"


def _leak(name, tau):
    op = OperatorTemplate(name, ["x' = -x/tau"], {"x": "output(1.0)", "tau": tau})
    return CircuitTemplate(name, nodes={"a": NodeTemplate(f"{name}_node", [op])})


# ------------------------------------------------------------------------------------------ immutability
def test_running_twice_is_identical_and_leaves_template_unchanged():
    circ = oscillator_circuit()
    h0 = circ.template_hash()
    a = nd.integrate(circ, 2.0, 0.01, solver="rk4", backend=B, params={"n/osc/w": 3.0},
                     initial_state={"n/osc/x": 0.2})
    b = nd.integrate(circ, 2.0, 0.01, solver="rk4", backend=B)
    c = nd.integrate(circ, 2.0, 0.01, solver="rk4", backend=B)
    assert circ.template_hash() == h0
    assert circ.nodes["n"].operators[0].variables["w"].value == 1.0
    assert c.equals(b) and not a.equals(b)
    # the run-only overrides were honoured: x = 0.2 cos(3t)
    t = a.index.to_numpy()
    assert np.max(np.abs(a["n/osc/x"] - 0.2 * np.cos(3 * t))) < 1e-7  # rk4, dt 0.01, w 3: error ~1e-9


def test_templates_are_frozen():
    circ = oscillator_circuit()
    with pytest.raises(dataclasses.FrozenInstanceError):
        circ.name = "other"
    with pytest.raises(TypeError):
        circ.nodes["m"] = circ.nodes["n"]
    op = circ.nodes["n"].operators[0]
    with pytest.raises(TypeError):
        op.variables["w"] = 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.equations = ()


def test_update_var_returns_new_template():
    circ = oscillator_circuit()
    h0 = circ.template_hash()
    new = circ.update_var(node_vars={"n/osc/w": 2.5})
    assert new is not circ
    assert circ.nodes["n"].operators[0].variables["w"].value == 1.0
    assert new.nodes["n"].operators[0].variables["w"].value == 2.5
    assert circ.template_hash() == h0 != new.template_hash()
    # kinds are kept
    assert new.nodes["n"].operators[0].variables["w"].kind == "constant"


def test_update_var_changes_results():
    circ = _leak("upd_leak", 1.0)
    a = nd.integrate(circ, 1.1, 0.1, solver="rk4", backend=B)
    b = nd.integrate(circ.update_var(node_vars={"a/upd_leak/tau": 2.0}), 1.1, 0.1, solver="rk4", backend=B)
    # rk4 at dt 0.1 on x' = -x/tau: relative error ~1e-6
    assert a["a/upd_leak/x"].iloc[-1] == pytest.approx(np.exp(-1.0), rel=1e-5)
    assert b["a/upd_leak/x"].iloc[-1] == pytest.approx(np.exp(-0.5), rel=1e-5)


def test_nodes_with_different_values_in_one_circuit():
    op = OperatorTemplate("twoval_leak", ["x' = -x/tau"], {"x": "output(1.0)", "tau": 1.0})
    node = NodeTemplate("twoval_node", [op])
    circ = CircuitTemplate("twoval", nodes={"a": node, "b": node.with_values({"twoval_leak/tau": 4.0,
                                                                               "twoval_leak/x": 2.0})})
    df = nd.integrate(circ, 1.1, 0.1, solver="rk4", backend=B, outputs={"x": "all/twoval_leak/x"})
    assert df[("x", "a")].iloc[-1] == pytest.approx(np.exp(-1.0), rel=1e-5)
    assert df[("x", "b")].iloc[-1] == pytest.approx(2 * np.exp(-0.25), rel=1e-5)


def test_params_override_gives_correct_values():
    """The per-run route (params=) sets values correctly (it bypasses the template values)."""
    circ = _leak("par_leak", 1.0)
    b = nd.integrate(circ, 1.1, 0.1, solver="rk4", backend=B, params={"a/par_leak/tau": 2.0},
                     initial_state={"a/par_leak/x": 3.0})
    assert b["a/par_leak/x"].iloc[-1] == pytest.approx(3 * np.exp(-0.5), rel=1e-5)


# ------------------------------------------------------------------------------------------------- YAML
YAML = textwrap.dedent("""
    yml_base_op:
      base: OperatorTemplate
      equations:
        - "d/dt * x = -x/tau + I"
      variables:
        x: output(1.0)
        tau: 2.0
        I: input(0.0)

    yml_child_op:
      base: yml_base_op
      equations:
        replace:
          I: (I - a)
        add:
          - "d/dt * a = (x - a)/tau_a"
      variables:
        a: variable(0.5)
        tau_a: 5.0

    yml_node:
      base: NodeTemplate
      operators:
        - yml_child_op

    yml_node_slow:
      base: yml_node
      variables:
        yml_child_op/tau: 4.0

    yml_circ:
      base: CircuitTemplate
      nodes:
        p: yml_node_slow
""")


def test_yaml_inheritance_replace_add(tmp_path):
    f = tmp_path / "models.yaml"
    f.write_text(YAML)
    op = nd.template_from_yaml(f"{f}/yml_child_op")
    assert op.equations == ("d/dt * x = -x/tau + (I - a)", "d/dt * a = (x - a)/tau_a")
    base = nd.template_from_yaml(f"{f}/yml_base_op")
    assert base.equations == ("d/dt * x = -x/tau + I",)        # the parent is untouched
    node = nd.template_from_yaml(f"{f}/yml_node_slow")
    assert node.operators[0].variables["tau"].value == 4.0
    assert nd.template_from_yaml(f"{f}/yml_node").operators[0].variables["tau"].value == 2.0
    circ = CircuitTemplate.from_yaml(f"{f}/yml_circ")
    df = nd.integrate(circ, 5.0, 0.01, solver="rk4", backend=B,
                      outputs={"x": "p/yml_child_op/x", "a": "p/yml_child_op/a"})
    t = df.index.to_numpy()
    # independent reference: the inherited-and-edited equations written out by hand, tau = 4, tau_a = 5
    ref = solve_ivp(lambda _, s: [-s[0] / 4.0 + (0.0 - s[1]), (s[0] - s[1]) / 5.0], (0, t[-1]), [1.0, 0.5],
                    t_eval=t, method="DOP853", rtol=1e-12, atol=1e-14)
    # rk4 at dt 0.01 on a slow linear system: global error ~1e-10
    np.testing.assert_allclose(df["x"], ref.y[0], atol=1e-8)
    np.testing.assert_allclose(df["a"], ref.y[1], atol=1e-8)


def test_yaml_complex_literal_and_circuit_by_path(tmp_path):
    f = tmp_path / "cplx.yaml"
    f.write_text(textwrap.dedent("""
        rot_op:
          base: OperatorTemplate
          equations: ["d/dt * z = i*w*z"]
          variables:
            z: output(1.0+0.0j)
            i: 0.0+1.0j
            w: 2.0
        rot_node:
          base: NodeTemplate
          operators: [rot_op]
        rot:
          base: CircuitTemplate
          nodes: {c: rot_node}
    """))
    df = nd.integrate(f"{f}/rot", 1.0, 0.01, outputs={"z": "c/rot_op/z"}, solver="rk4", backend=B)
    assert df["z"].dtype == np.complex128
    t = df.index.to_numpy()
    np.testing.assert_allclose(df["z"], np.exp(2j * t), atol=1e-9)  # rk4, dt 0.01, w 2: error ~1e-10


# --------------------------------------------------------------------------------------------- all/ paths
def test_all_outputs_one_column_per_node():
    op = OperatorTemplate("allp_leak", ["x' = -x/tau"], {"x": "output(1.0)", "tau": 1.0})
    node = NodeTemplate("allp_node", [op])
    circ = CircuitTemplate("allp", nodes={k: node for k in ("u", "v", "w")})
    df = nd.integrate(circ, 1.0, 0.1, outputs={"x": "all/allp_leak/x"}, solver="rk4", backend=B,
                      initial_state={"all/allp_leak/x": [1.0, 2.0, 3.0]})
    assert list(df.columns) == [("x", "u"), ("x", "v"), ("x", "w")]
    t = df.index.to_numpy()
    for k, x0 in zip("uvw", (1.0, 2.0, 3.0)):
        np.testing.assert_allclose(df[("x", k)], x0 * np.exp(-t), rtol=1e-5)


# ------------------------------------------------------------------------------------------ complex states
def _rotor(name):
    op = OperatorTemplate(name, ["z' = (i*w - g)*z + c", "r = real(z*conj(z))"],
                          {"z": "output(0.6-0.8j)", "r": "variable(0.0)", "i": 1j, "w": 3.0, "g": 0.5,
                           "c": 0.25})
    return CircuitTemplate(name, nodes={"n": NodeTemplate(f"{name}_node", [op])})


def _rotor_exact(t):
    lam = 3j - 0.5
    z0, c = 0.6 - 0.8j, 0.25
    return (z0 + c / lam) * np.exp(lam * t) - c / lam


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("solver", ["rk4", "RK45"])
def test_complex_state_stays_complex(backend, solver):
    df = nd.integrate(_rotor("cplx_rot"), 2.0, 0.01, outputs={"z": "n/cplx_rot/z", "r": "n/cplx_rot/r"},
                      solver=solver, backend=backend, rtol=1e-10, atol=1e-12)
    assert df["z"].dtype == np.complex128
    t = df.index.to_numpy()
    z = _rotor_exact(t)
    assert np.max(np.abs(np.imag(df["z"]))) > 0.5       # the imaginary part is really carried
    # rk4 at dt 0.01 with |lambda| ~3: error ~1e-9; RK45 at rtol 1e-10: ~1e-9
    np.testing.assert_allclose(df["z"].to_numpy(), z, atol=1e-7)
    np.testing.assert_allclose(np.real(df["r"].to_numpy()), np.abs(z) ** 2, atol=1e-7)


def test_complex_values_never_cast_into_real_model():
    circ = _leak("cast_leak", 1.0)
    with pytest.raises(InputError, match="complex"):
        nd.integrate(circ, 1.0, 0.1, backend=B, params={"a/cast_leak/tau": 1.0 + 0.5j})
    with pytest.raises(InputError, match="complex"):
        nd.integrate(circ, 1.0, 0.1, backend=B, initial_state={"a/cast_leak/x": 1.0 + 0.5j})


# ------------------------------------------------------------------------------------ edge templates, nesting
@pytest.mark.parametrize("gain, delay", [(3.0, None), (None, 0.2)])
def test_edge_template_transforms_signal(gain, delay):
    """An EdgeTemplate's operator sits on the edge: target input = weight * g * tanh(source(t - d)).
    Each case uses its own operator name, so the two cases build independent IRs."""
    tag = "g" if gain is not None else "d"
    ramp = OperatorTemplate(f"et_ramp_{tag}", ["x' = 1"], {"x": "output(0.0)"})
    integ = OperatorTemplate(f"et_integ_{tag}", ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    eop = OperatorTemplate(f"et_tanh_{tag}", ["m = g*tanh(inp)"], {"m": "output(0.0)", "inp": "input(0.0)",
                                                                   "g": 1.0})
    et = nd.EdgeTemplate(f"et_edge_{tag}", [eop])
    attrs = {"weight": 2.0}
    if gain is not None:
        attrs[f"et_edge_{tag}/et_tanh_{tag}/g"] = gain
    if delay is not None:
        attrs["delay"] = delay
    circ = CircuitTemplate(f"et_{tag}", nodes={"s": NodeTemplate(f"et_s_{tag}", [ramp]),
                                               "t": NodeTemplate(f"et_t_{tag}", [integ])},
                           edges=[(f"s/et_ramp_{tag}/x", f"t/et_integ_{tag}/u", et, attrs)])
    df = nd.integrate(circ, 1.0, 0.01, outputs={"u": f"t/et_integ_{tag}/u"}, solver="rk4", backend=B)
    t = df.index.to_numpy()
    g = gain if gain is not None else 1.0
    d = delay if delay is not None else 0.0
    # the ramp x = t is exact for every scheme; delay on the grid: round-off only
    np.testing.assert_allclose(df["u"], 2.0 * g * np.tanh(np.maximum(t - d, 0.0)), atol=1e-12)


def test_sub_circuits_are_prefixed():
    inner = oscillator_circuit()
    outer = CircuitTemplate("outer", circuits={"s1": inner, "s2": inner})
    df = nd.integrate(outer, 1.0, 0.1, solver="rk4", backend=B, params={"s2/n/osc/w": 2.0},
                      outputs={"a": "s1/n/osc/x", "b": "s2/n/osc/x"})
    t = df.index.to_numpy()
    np.testing.assert_allclose(df["a"], np.cos(t), atol=1e-5)       # rk4 at dt 0.1: error ~1e-6
    np.testing.assert_allclose(df["b"], np.cos(2 * t), atol=1e-4)   # w = 2: error ~3e-5
