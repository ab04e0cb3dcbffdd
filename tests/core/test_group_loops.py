"""Loops between the derived variables of one group that are not loops between nodes.

Nodes of one template form one group, so an instantaneous edge p.m -> q.r from a derived variable m = f(x, r)
into the input r of the same template is a loop m <-> r at group level, although no node depends on itself.
The IR evaluates such a block K times (K = vertices on the longest node-level chain, see CircuitIR), which
must give the exact values; a real cycle between nodes stays an error that names the nodes.
"""
import numpy as np
import pytest
from scipy.linalg import expm

import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.errors import EquationError
from neurodyn.ir import build_ir

BACKENDS = ("numba", "numpy")
# chain of 5 nodes of one template, wired against the order of the nodes in the group (n4 -> n3 -> ... -> n0)
NAMES = [f"n{k}" for k in range(5)]
W = 0.5


def _chain_op(name="gl_chain"):
    # r is the weighted sum of the upstream node's m = x + r: r_k = W * (x_{k+1} + r_{k+1})
    return OperatorTemplate(name, ["x' = -x + r", "m = x + r"],
                            {"x": "output(1.0)", "m": "variable(0.0)", "r": "input(0.0)"})


def _chain_circuit():
    node = NodeTemplate("gl_chain_node", [_chain_op()])
    edges = [(f"n{k + 1}/gl_chain/m", f"n{k}/gl_chain/r", None, {"weight": W}) for k in range(4)]
    return CircuitTemplate("gl_chain", nodes={n: node for n in NAMES}, edges=edges)


def _chain_exact(t):
    """x(t) = expm(A t) x(0) for the linear system x_k' = -x_k + r_k with r_k = sum_{j>k} W^(j-k) x_j."""
    n = len(NAMES)
    A = -np.eye(n)
    for k in range(n):
        for j in range(k + 1, n):
            A[k, j] = W ** (j - k)
    return np.array([expm(A * s) @ np.ones(n) for s in t])


def test_chain_is_one_repeated_block():
    ir = build_ir(_chain_circuit())
    assert len(ir.groups) == 1
    # evaluated r before m (m needs r of its own node); node-level chain r(n4) -> m(n4) -> r(n3) -> m(n3) ->
    # ... -> r(n0) -> m(n0): each pass finalises m(n_k) -> r(n_(k-1)) -> m(n_(k-1)) only in the next pass
    # (r comes before m), so n4 is final in pass 1, n3 in pass 2, ..., n0 in pass 5
    assert ir.order == (("repeat", 5, ((0, "gl_chain__r"), (0, "gl_chain__m"))),)


@pytest.mark.parametrize("backend", BACKENDS)
def test_chain_matches_exact_solution(backend):
    df = nd.integrate(_chain_circuit(), 3.0, 0.01, solver="rk4", backend=backend,
                      outputs={n: f"{n}/gl_chain/x" for n in NAMES})
    exact = _chain_exact(df.index.to_numpy())
    # rk4 at dt 0.01 on a system with rates ~1: global error ~dt^4 * T * |x'''''| ~ 1e-8 at most; 1e-7 leaves
    # room, while a single wrong (stale) input would be off by O(0.1)
    np.testing.assert_allclose(df[NAMES].to_numpy(), exact, atol=1e-7, rtol=0)
    # m of the first node in the chain (n4) and the input of the last (n0) are consistent with the states
    df2 = nd.integrate(_chain_circuit(), 1.0, 0.01, solver="rk4", backend=backend,
                       outputs={"r0": "n0/gl_chain/r", **{n: f"{n}/gl_chain/x" for n in NAMES}})
    x = df2[NAMES].to_numpy()
    r0 = sum(W ** j * x[:, j] for j in range(1, 5))
    np.testing.assert_allclose(df2["r0"], r0, rtol=1e-12, atol=1e-14)  # round-off: same arithmetic


def test_backends_agree_to_round_off():
    out = {n: f"{n}/gl_chain/x" for n in NAMES}
    a, b = (nd.integrate(_chain_circuit(), 3.0, 0.01, solver="rk4", backend=bk, outputs=out) for bk in BACKENDS)
    # both evaluate the same expressions in double precision; only summation order can differ
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-15)


def test_input_into_input_of_the_same_group():
    # r(p) = x(p) (own edge from a state), r(q) = W r(p), r(s) = W r(q): projections from the input r into
    # the same input r, which the repeated block must read from the previous pass
    op = OperatorTemplate("gl_in", ["x' = -2*x + r"], {"x": "output(1.0)", "r": "input(0.0)"})
    node = NodeTemplate("gl_in_node", [op])
    circ = CircuitTemplate("gl_in", nodes={"s": node, "q": node, "p": node},
                           edges=[("p/gl_in/x", "p/gl_in/r", None, {}),
                                  ("p/gl_in/r", "q/gl_in/r", None, {"weight": W}),
                                  ("q/gl_in/r", "s/gl_in/r", None, {"weight": W})])
    ir = build_ir(circ)
    # r(p) -> r(q) -> r(s), each read from the previous pass: 3 passes
    assert ir.order == (("repeat", 3, ((0, "gl_in__r"),)),)
    A = np.array([[-1.0, 0, 0], [W, -2, 0], [W * W, 0, -2]])   # (x_p, x_q, x_s)
    for backend in BACKENDS:
        df = nd.integrate(circ, 2.0, 0.01, solver="rk4", backend=backend,
                          outputs={"p": "p/gl_in/x", "q": "q/gl_in/x", "s": "s/gl_in/x"})
        exact = np.array([expm(A * s) @ np.ones(3) for s in df.index.to_numpy()])
        np.testing.assert_allclose(df[["p", "q", "s"]].to_numpy(), exact, atol=1e-8, rtol=0)  # rk4, dt 0.01


def test_delayed_edge_into_a_repeated_block_matches_separate_groups():
    # p -> q instantaneous through m, q -> p delayed: with one template a repeated block (the delayed sum is
    # read again in every pass); with two templates of the same equations the plain order of separate groups,
    # an independent code path that must give the same numbers
    def circuit(two_templates):
        na = NodeTemplate("gl_da", [_chain_op("gl_d")])
        nb = NodeTemplate("gl_db", [_chain_op("gl_d")]) if two_templates else na
        return CircuitTemplate("gl_d", nodes={"p": na, "q": nb},
                               edges=[("p/gl_d/m", "q/gl_d/r", None, {"weight": 0.8}),
                                      ("q/gl_d/m", "p/gl_d/r", None, {"weight": -0.6, "delay": 0.3})])
    one, two = build_ir(circuit(False)), build_ir(circuit(True))
    assert len(one.groups) == 1 and one.order[0][0] == "repeat"
    assert len(two.groups) == 2 and all(e[0] != "repeat" for e in two.order)
    out = {"xp": "p/gl_d/x", "xq": "q/gl_d/x", "mq": "q/gl_d/m"}
    for backend in BACKENDS:
        a = nd.integrate(circuit(False), 3.0, 0.01, solver="rk4", backend=backend, outputs=out)
        b = nd.integrate(circuit(True), 3.0, 0.01, solver="rk4", backend=backend, outputs=out)
        assert np.abs(a["xq"]).max() > 0.1          # the coupling does something
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-14)  # same arithmetic


def test_node_level_loop_is_an_error_naming_the_nodes():
    # p -> q -> s -> p, all instantaneous through m = 2 r: a real cycle between three nodes
    op = OperatorTemplate("gl_loop", ["x' = -x", "m = 2*r"],
                          {"x": "output(1.0)", "m": "variable(0.0)", "r": "input(0.0)"})
    node = NodeTemplate("gl_loop_node", [op])
    circ = CircuitTemplate("gl_loop", nodes={"p": node, "q": node, "s": node, "free": node},
                           edges=[("p/gl_loop/m", "q/gl_loop/r", None, {}),
                                  ("q/gl_loop/m", "s/gl_loop/r", None, {}),
                                  ("s/gl_loop/m", "p/gl_loop/r", None, {})])
    with pytest.raises(EquationError, match="algebraic loop") as err:
        build_ir(circ)
    msg = str(err.value)
    for n in ("p", "q", "s"):
        assert f"{n}/gl_loop/m" in msg and f"{n}/gl_loop/r" in msg
    assert "free/" not in msg     # a node off the cycle is not blamed
    assert "edge delay" in msg    # and the message says how to fix it


def test_self_loop_through_one_node_is_an_error():
    # q.m -> q.r with m = 2 r: a cycle within one node through its own edge
    op = OperatorTemplate("gl_self", ["x' = -x", "m = 2*r"],
                          {"x": "output(1.0)", "m": "variable(0.0)", "r": "input(0.0)"})
    node = NodeTemplate("gl_self_node", [op])
    circ = CircuitTemplate("gl_self", nodes={"p": node, "q": node}, edges=[("q/gl_self/m", "q/gl_self/r", None, {})])
    with pytest.raises(EquationError, match=r"algebraic loop.*q/gl_self/r -> q/gl_self/m -> q/gl_self/r"):
        build_ir(circ)


def test_structure_hash_covers_the_passes():
    # a chain one node shorter needs fewer passes: different generated code, so a different structure hash
    node = NodeTemplate("gl_chain_node", [_chain_op()])
    short = CircuitTemplate("gl_chain", nodes={n: node for n in NAMES},
                            edges=[(f"n{k + 1}/gl_chain/m", f"n{k}/gl_chain/r", None, {"weight": W})
                                   for k in range(3)])
    a, b = build_ir(_chain_circuit()), build_ir(short)
    assert a.order[0][1] == 5 and b.order[0][1] == 4
    assert a.structure_hash() != b.structure_hash()


def test_loop_across_two_groups_matches_separate_groups():
    # a1 -> b1 -> a2 with a1, a2 of template A and b1 of B: a loop A <-> B at group level (both groups in one
    # repeated block), none between nodes; giving a2 its own template C removes the group-level loop
    def circuit(separate):
        a, b = NodeTemplate("gl_A", [_chain_op("gl_x")]), NodeTemplate("gl_B", [_chain_op("gl_x")])
        c = NodeTemplate("gl_C", [_chain_op("gl_x")]) if separate else a
        return CircuitTemplate("gl_x", nodes={"a1": a, "b1": b, "a2": c},
                               edges=[("a1/gl_x/m", "b1/gl_x/r", None, {"weight": 0.7}),
                                      ("b1/gl_x/m", "a2/gl_x/r", None, {"weight": 0.9})])
    joint = build_ir(circuit(False))
    assert len(joint.order) == 1 and joint.order[0][0] == "repeat" and {g for g, _ in joint.order[0][2]} == {0, 1}
    out = {"a2": "a2/gl_x/x", "b1": "b1/gl_x/x"}
    for backend in BACKENDS:
        a = nd.integrate(circuit(False), 2.0, 0.01, backend=backend, outputs=out)
        b = nd.integrate(circuit(True), 2.0, 0.01, backend=backend, outputs=out)
        assert np.abs(a["a2"]).max() > 1.0    # driven through the chain (x(0) = 1 would decay alone)
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=1e-14)  # same arithmetic


def test_input_into_itself_in_one_node_is_an_error():
    op = OperatorTemplate("gl_rr", ["x' = -x + r"], {"x": "output(1.0)", "r": "input(0.0)"})
    node = NodeTemplate("gl_rr_node", [op])
    circ = CircuitTemplate("gl_rr", nodes={"p": node, "q": node}, edges=[("q/gl_rr/r", "q/gl_rr/r", None, {})])
    with pytest.raises(EquationError, match=r"algebraic loop.*q/gl_rr/r -> q/gl_rr/r"):
        build_ir(circ)
