"""Inputs the model language used to misread in silence: misspelt edge keys, repeated YAML keys, reserved
names declared as variables; units on declarations; PyRates's update_var idioms (in place, per-node arrays);
YAML files named directly.

References: closed-form solutions (a linear leak, x' = e) and PyRates itself running the same update_var idiom.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import textwrap
import warnings

import numpy as np
import pytest

import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.errors import TemplateError, TemplateNotFoundError, VariablePathError
from neurodyn.lang.templates import template_from_yaml


def _write(tmp_path, text: str, name: str = "m.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


LEAK = """
    leak_op:
      base: OperatorTemplate
      equations: "x' = -x/tau + I"
      variables:
        x: {default: output(1.0), unit: mV}
        tau: {default: 2.0, unit: ms}
        I: input(0.0)
    leak_pop:
      base: NodeTemplate
      operators: [leak_op]
"""


# ------------------------------------------------------------------------------------------ edge keys
@pytest.mark.parametrize("key", ["weigth", "dealy", "sprd", "Weight"])
def test_misspelt_edge_key_in_yaml_is_an_error(tmp_path, key):
    path = _write(tmp_path, LEAK + f"""
    two:
      base: CircuitTemplate
      nodes: {{a: leak_pop, b: leak_pop}}
      edges:
        - [a/leak_op/x, b/leak_op/I, null, {{{key}: 2.0}}]
    """)
    with pytest.raises(TemplateError, match=f"unknown edge key '{key}'.*weight, delay, spread") as exc:
        template_from_yaml(f"{path}/two")
    assert str(path) in str(exc.value)


def test_misspelt_edge_key_in_python_is_an_error():
    op = OperatorTemplate("o", ["x' = -x + u"], {"x": "output(0.0)", "u": "input(0.0)"})
    nodes = {"a": NodeTemplate("n", [op]), "b": NodeTemplate("n", [op])}
    with pytest.raises(TemplateError, match="unknown edge key 'dealy'.*did you mean 'delay'"):
        CircuitTemplate("c", nodes=nodes, edges=[("a/o/x", "b/o/u", None, {"weight": 1.0, "dealy": 0.1})])


def test_edge_template_variables_are_checked_too():
    from neurodyn.lang.templates import EdgeTemplate
    lib = template_from_yaml("model_templates.oscillators.kuramoto.sin_edge")
    assert isinstance(lib, EdgeTemplate)
    pop = template_from_yaml("model_templates.oscillators.kuramoto.phase_pop")
    with pytest.raises(TemplateError, match="has no variable 'sin_edge/coupling_op/theta_x'"):
        CircuitTemplate("c", nodes={"a": pop, "b": pop}, edges=[
            ("a/phase_op/theta", "b/phase_op/s_in", lib, {"sin_edge/coupling_op/theta_x": "source"})])


# ------------------------------------------------------------------------------------ duplicate keys
def test_duplicate_yaml_keys_are_errors_with_file_and_line(tmp_path):
    path = _write(tmp_path, """
    op:
      base: OperatorTemplate
      equations: "x' = -x/tau"
      variables:
        x: output(1.0)
        tau: 1.0
        tau: 2.0
    """)
    with pytest.raises(TemplateError, match=r"m\.yaml:8:\d+: duplicate key 'tau' \(first at line 7\)"):
        template_from_yaml(f"{path}/op")
    path = _write(tmp_path, LEAK + """
    leak_op:
      base: leak_op
    """, "top.yaml")
    with pytest.raises(TemplateError, match="duplicate key 'leak_op'"):
        template_from_yaml(f"{path}/leak_pop")


# ------------------------------------------------------------------------------------ reserved names
@pytest.mark.parametrize("name", ["t", "pi", "e", "exp", "sigmoid", "max", "heaviside"])
def test_reserved_names_cannot_be_declared(name, tmp_path):
    with pytest.raises(TemplateError, match=f"'{name}'.*cannot be declared"):
        OperatorTemplate("o", [f"x' = -x + {name}"], {"x": "output(1.0)", name: 2.0})
    path = _write(tmp_path, f"""
    o:
      base: OperatorTemplate
      equations: "x' = -x"
      variables:
        x: output(1.0)
        {name}: 2.0
    """)
    with pytest.raises(TemplateError, match=f"m.yaml.*'{name}'.*cannot be declared"):
        template_from_yaml(f"{path}/o")


def test_e_and_pi_are_the_constants():
    """x' = e, y' = pi from 0: x(1) = e, y(1) = pi (Euler integrates constants exactly)."""
    op = OperatorTemplate("o", ["x' = e", "y' = pi"], {"x": "output(0.0)", "y": "output(0.0)"})
    df = nd.integrate(CircuitTemplate("c", nodes={"p": NodeTemplate("n", [op])}), 1.01, 0.01, solver="euler",
                      backend="numpy")
    row = df.loc[np.isclose(df.index, 1.0)].iloc[0]
    assert row["p/o/x"] == pytest.approx(math.e, rel=1e-13) and row["p/o/y"] == pytest.approx(math.pi, rel=1e-13)


def test_reserved_list_is_the_parsers():
    from neurodyn.ir.parsing import CONSTANTS, FUNCTIONS, RESERVED
    from neurodyn.lang.names import RESERVED_NAMES
    assert set(FUNCTIONS) | set(CONSTANTS) | {"t"} == RESERVED_NAMES == RESERVED


# -------------------------------------------------------------------------------------------- units
def test_units_are_read_and_kept(tmp_path):
    path = _write(tmp_path, LEAK)
    pop = template_from_yaml(f"{path}/leak_pop")
    decl = pop.operator("leak_op").variables
    assert decl["x"].unit == "mV" and decl["tau"].unit == "ms" and decl["I"].unit is None
    circ = CircuitTemplate("c", nodes={"p": pop}).update_var(node_vars={"p/leak_op/tau": 3.0})
    kept = circ.flat_nodes()["p"].operator("leak_op").variables["tau"]
    assert (kept.value, kept.unit) == (3.0, "ms")
    with pytest.raises(TemplateError, match="unknown key.*'uint'.*valid keys: default, unit"):
        OperatorTemplate("o", ["x' = -x"], {"x": {"default": "output(1.0)", "uint": "mV"}})
    with pytest.raises(TemplateError, match="needs a 'default' key"):
        OperatorTemplate("o", ["x' = -x"], {"x": {"unit": "mV"}})


def test_bundled_templates_declare_units_of_their_states():
    from neurodyn.lang.yaml_io import library_index
    missing = []
    for short, info in library_index().items():
        if info.get("reference") == "generic":     # unit-agnostic building blocks (time_unit 'a.u.')
            continue
        t = template_from_yaml(info["path"])
        nodes = t.flat_nodes().values() if isinstance(t, CircuitTemplate) else [t]
        for node in nodes:
            for op in node.operators:
                for v, d in op.variables.items():
                    if d.kind in ("output", "variable") and d.unit is None:
                        missing.append(f"{short}: {op.name}/{v}")
    assert not missing, f"state variables without a unit: {sorted(set(missing))}"
    assert all("time_unit" in info for info in library_index().values())


# -------------------------------------------------------------------------------------- update_var
def _leak_circuit(frontend: bool):
    from neurodyn import frontend as fe
    op = OperatorTemplate("leak", ["x' = -x/tau + I"], {"x": "output(1.0)", "tau": 1.0, "I": 0.5})
    cls = fe.CircuitTemplate if frontend else CircuitTemplate
    core = CircuitTemplate("leaks", nodes={"a": NodeTemplate("n", [op]), "b": NodeTemplate("n", [op])})
    return cls.from_core(core) if frontend else core


def _leak_exact(t, tau, I, x0=1.0):
    return I * tau + (x0 - I * tau) * np.exp(-t / tau)


def test_update_var_in_place_then_run_uses_new_values():
    """The frontend circuit changes in place (PyRates); per-node arrays on 'all/...' give each node its value.
    Reference: the closed form of x' = -x/tau + I; RK4 at dt 1e-3 is accurate to ~1e-13 here."""
    c = _leak_circuit(frontend=True)
    out = c.update_var(node_vars={"all/leak/tau": np.array([0.5, 2.0]), "b/leak/I": 1.5})
    assert out is c
    df = c.run(2.0, 1e-3, outputs={"a": "a/leak/x", "b": "b/leak/x"}, solver="rk4")
    t = df.index.to_numpy()
    np.testing.assert_allclose(df["a"], _leak_exact(t, 0.5, 0.5), rtol=0, atol=1e-11)
    np.testing.assert_allclose(df["b"], _leak_exact(t, 2.0, 1.5), rtol=0, atol=1e-11)
    # lists work as arrays do; the core template stays immutable
    core = _leak_circuit(frontend=False)
    new = core.update_var(node_vars={"all/leak/I": [0.1, 0.2]})
    assert [n.operator("leak").variables["I"].value for n in new.flat_nodes().values()] == [0.1, 0.2]
    assert [n.operator("leak").variables["I"].value for n in core.flat_nodes().values()] == [0.5, 0.5]


def test_update_var_array_of_the_wrong_length_is_an_error():
    c = _leak_circuit(frontend=False)
    with pytest.raises(VariablePathError, match="matches 2 node.*array of 2.*shape \\(3,\\)"):
        c.update_var(node_vars={"all/leak/tau": np.array([1.0, 2.0, 3.0])})
    with pytest.raises(VariablePathError, match="'a/leak/tau' matches 1 node"):
        c.update_var(node_vars={"a/leak/tau": np.array([1.0, 2.0])})
    with pytest.raises(TemplateError, match="takes one number.*shape \\(2,\\)"):
        c.flat_nodes()["a"].operator("leak").with_values({"tau": np.array([1.0, 2.0])})
    with pytest.raises(TemplateError, match="cannot read 'slow' as a number"):
        c.update_var(node_vars={"a/leak/tau": "slow"})


@pytest.mark.peer
def test_update_var_idiom_matches_pyrates():
    """The same script in PyRates and in neurodyn's frontend: update_var in place (one node, and an array over
    'all/...'), then run with Euler; equal to round-off (1e-12 relative: same scheme, same float64 steps)."""
    pytest.importorskip("pyrates", reason="PyRates (test peer) not installed")
    import model_templates
    from pyrates import clear, clear_frontend_caches
    from pyrates.frontend import CircuitTemplate as PC, NodeTemplate as PN
    from neurodyn import frontend as fe
    from neurodyn.lang.yaml_io import set_model_templates_root
    pop = "model_templates.neural_mass_models.qif.qif_pop"
    edges = [("a/qif_op/r", "b/qif_op/r_in", None, {"weight": 5.0}),
             ("b/qif_op/r", "a/qif_op/r_in", None, {"weight": 8.0})]
    changes = {"all/qif_op/eta": np.array([-3.0, -6.0]), "a/qif_op/Delta": 2.0}
    outputs = {"ra": "a/qif_op/r", "rb": "b/qif_op/r", "va": "a/qif_op/v"}
    clear_frontend_caches()
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pc = PC(name="two", nodes={"a": PN.from_yaml(pop), "b": PN.from_yaml(pop)}, edges=edges)
        pc.update_var(node_vars=changes)
        ref = pc.run(simulation_time=5.0, step_size=1e-3, solver="euler", outputs=outputs, float_precision="float64")
        clear(pc)
    set_model_templates_root(os.path.dirname(model_templates.__file__))
    try:
        node = fe.template_from_yaml(pop)
        ours = fe.CircuitTemplate.from_core(CircuitTemplate("two", nodes={"a": node, "b": node}, edges=edges))
        ours.update_var(node_vars=changes)
        res = ours.run(5.0, 1e-3, solver="euler", outputs=outputs)
    finally:
        set_model_templates_root(None)
    for k in outputs:
        np.testing.assert_allclose(res[k].to_numpy(), ref[k].to_numpy(), rtol=1e-12, atol=1e-12)
    assert abs(res["ra"].iloc[-1] - res["rb"].iloc[-1]) > 0.05     # the per-node values made a difference


# ------------------------------------------------------------------------------------- files by name
def test_a_yaml_file_with_one_circuit_or_node_runs_by_its_path(tmp_path, monkeypatch):
    path = _write(tmp_path, LEAK)
    node = template_from_yaml(str(path))
    assert isinstance(node, NodeTemplate) and node.name == "leak_pop"
    _write(tmp_path, LEAK + """
    one:
      base: CircuitTemplate
      nodes: {p: leak_pop}
    """, "c.yaml")
    monkeypatch.chdir(tmp_path)
    df = nd.integrate("c.yaml", 1.0, 1e-3, solver="rk4", backend="numpy")
    np.testing.assert_allclose(df["p/leak_op/x"], _leak_exact(df.index.to_numpy(), 2.0, 0.0), atol=1e-12)
    df2 = nd.integrate("./c", 1.0, 1e-3, solver="rk4", backend="numpy")      # ./c -> ./c.yaml
    assert df2.equals(df)


def test_ambiguous_or_empty_files_say_what_to_write(tmp_path, monkeypatch):
    path = _write(tmp_path, LEAK + """
    one:
      base: CircuitTemplate
      nodes: {p: leak_pop}
    two:
      base: CircuitTemplate
      nodes: {p: leak_pop, q: leak_pop}
    """)
    with pytest.raises(TemplateNotFoundError, match=r"several circuits \(one, two\).*m\.yaml/one' or .*m\.yaml/two'"):
        template_from_yaml(str(path))
    ops = _write(tmp_path, """
    op:
      base: OperatorTemplate
      equations: "x' = -x"
      variables: {x: output(1.0)}
    """, "ops.yaml")
    with pytest.raises(TemplateNotFoundError, match="(?s)no circuit or node.*op \\(OperatorTemplate\\).*base: NodeTemplate"):
        template_from_yaml(str(ops))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TemplateNotFoundError, match="bundled template is written 'JRC', without a path"):
        template_from_yaml("./JRC")
