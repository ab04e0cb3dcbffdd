"""Constant subexpressions hoisted out of the time loop (neurodyn.ir.hoist): the rewritten equations equal
the originals symbolically for every bundled template, the kernel's right-hand side equals a direct evaluation
of the original (unhoisted) IR expressions, and hoisted values follow parameter changes and per-node values."""
import numpy as np
import pytest
import sympy as sp

import neurodyn as nd
from neurodyn import NodeTemplate, OperatorTemplate
from neurodyn.backends.data import build_data
from neurodyn.ir.hoist import HOIST, Hoisting, group_hoisting
from neurodyn.lang.yaml_io import library_index
from neurodyn.network import BrainNetwork, Connectome, Coupling
from neurodyn.simulate import compile_model
from neurodyn.simulate.binding import set_values

CIRCUITS = [n for n in library_index() if not n.endswith("_pop") and n not in ("theta_pop", "li_node")]


@pytest.mark.parametrize("name", CIRCUITS)
def test_rewritten_equations_equal_the_originals(name):
    model = compile_model(name, backend="numpy")
    for g in model.ir.groups:
        h = group_hoisting(g)
        back = {sp.Symbol(k): e for k, e in h.hoisted.items()}
        for v in g.variables:
            if v.kind in ("algebraic", "state"):
                assert sp.simplify(h.rewritten[v.sym].xreplace(back) - v.expr) == 0, (name, v.path)
        consts = {v.sym for v in g.variables if v.kind == "constant"}
        for e in h.hoisted.values():      # hoisted values depend on constants only
            assert {str(s) for s in e.free_symbols} <= consts


def test_hoisting_rules():
    x, y, a, b = sp.symbols("x y a b")
    h = Hoisting.of_expressions({"f": x / a + 2 * a * b * y - a * x, "g": -a * x + (a + b) ** 2},
                                constants={"a", "b"})
    assert h.hoisted == {f"{HOIST}0": 1 / a, f"{HOIST}1": 2 * a * b, f"{HOIST}2": (a + b) ** 2}
    k0, k1, k2 = (sp.Symbol(f"{HOIST}{i}") for i in range(3))
    assert h.rewritten["f"] == k0 * x + k1 * y - a * x       # -a*x: a lone parameter times -1 stays
    assert h.rewritten["g"] == -a * x + k2
    # functions the kernels evaluate with neurodyn's own helpers (Heaviside, Max) stay in the loop; their
    # constant arguments may still be hoisted
    h = Hoisting.of_expressions({"f": sp.Heaviside(a - b) * x + sp.Max(a, b) * y + sp.exp(-a) * x},
                                constants={"a", "b"})
    assert list(h.hoisted.values()) == [a - b, sp.exp(-a)]
    assert h.rewritten["f"].has(sp.Heaviside(k0), sp.Max(a, b))


def _direct_rhs(model, data, y):
    """The original IR expressions evaluated with SymPy at state ``y`` (independent of the generated code)."""
    ir = model.ir
    dy = np.zeros_like(y)
    for gi, g in enumerate(ir.groups):
        for v in g.variables:
            if v.kind != "state":
                continue
            for i in range(g.n):
                env = {}
                for w in g.variables:
                    st, q = data.position(gi, w.sym, i) if w.kind in ("state", "constant") else (None, None)
                    if st == "y":
                        env[sp.Symbol(w.sym)] = y[q]
                    elif st == "p":
                        env[sp.Symbol(w.sym)] = data.p[q]
                env.update({sp.Symbol(w.sym): 0.0 for w in g.variables if w.kind == "input"})
                dy[data.position(gi, v.sym, i)[1]] = float(v.expr.xreplace(env).evalf(30))
    return dy


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_kernel_rhs_equals_original_expressions_after_parameter_change(backend):
    # three uncoupled nodes, heterogeneous time constants set through params=
    op = OperatorTemplate("hoist_op", ["x' = (a*y - x/(pi*tau) + b/tau**2 + c) / tau", "y' = -x*tau*b - y/tau2"],
                          {"x": "output(0.3)", "y": "variable(-0.2)", "tau": 2.0, "tau2": 5.0, "a": 1.5,
                           "b": 0.7, "c": "input(0.0)"})
    # no connections: the coupled input c is 0, as _direct_rhs assumes
    net = BrainNetwork(NodeTemplate("hoist_node", [op]), Connectome(np.zeros((3, 3))),
                       Coupling("hoist_op/x", "hoist_op/c"))
    model = net.model((), 0.01, backend)
    data = build_data(model.ir, 0.01)
    set_values(model.ir, data, {"r0/hoist_op/tau": 3.0, "r2/hoist_op/tau": 0.25, "all/hoist_op/b": -1.2})
    rng = np.random.default_rng(0)
    y = rng.standard_normal(data.y0.size)
    dy = np.zeros_like(y)
    a = np.zeros(max(data.n_a, 1), dtype=data.dtype)
    model.kernel.rhs(0.0, 0.0, y, dy, a, data.p, data.M)
    # reciprocals instead of divisions: a few ulps of difference at most
    np.testing.assert_allclose(dy, _direct_rhs(model, data, y), rtol=1e-13, atol=1e-14)
    assert len(group_hoisting(model.ir.groups[0]).hoisted) >= 3    # 1/tau, b/tau^2, 1/(pi tau), ...


def test_run_with_changed_time_constant_matches_analytic():
    # x' = -x / tau: the hoisted 1/tau must follow params= (a stale value would decay at the default rate)
    op = OperatorTemplate("hoist_decay", ["x' = -x/tau"], {"x": "output(1.0)", "tau": 1.0})
    circ = nd.CircuitTemplate("hoist_decay_c", nodes={"n": NodeTemplate("hoist_decay_node", [op])})
    df = nd.integrate(circ, 2.0, 1e-3, solver="rk4", params={"n/hoist_decay/tau": 0.5}, sampling_step_size=0.5)
    np.testing.assert_allclose(df.iloc[:, 0].to_numpy(), np.exp(-np.arange(4) * 0.5 / 0.5), rtol=1e-11)
