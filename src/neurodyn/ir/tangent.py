"""The tangent (variational) system of an IR: the model together with ``k`` tangent vectors, as another IR.

For ``dx/dt = f(x)`` the tangent system is ``dx/dt = f(x)``, ``dV/dt = Df(x) V`` for ``V`` with ``k`` columns.
Built on the IR it is ordinary equations, so every backend compiles it and every solver integrates it: the
Jacobian-vector products of Lyapunov spectra and Floquet analysis run in the same compiled loop, with the same
scheme and step, as the simulation itself.

Per group, the non-zero partial derivatives of each state derivative and algebraic variable with respect to
the group's states, algebraic variables and inputs become algebraic variables of their own (``<sym>__J__<s>``,
computed once per node and evaluation), and each tangent copy ``m`` adds, for every such variable ``v``, a
variable ``<v>__T<m>``: a state ``sum_s J_vs * s__T<m>`` for a state, an algebraic variable for an algebraic
one, and for an input the sum of its links' and projections' tangents (constants, input defaults and external
drives are constant, so their tangents are zero). Every projection is repeated for each copy, with the same
weights and delays. Derivatives of Heaviside and sign (Dirac deltas) are zero, as everywhere in neurodyn's
analysis.

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> base = build_ir(CircuitTemplate.from_yaml("qif"))
>>> tan = tangent_ir(base, 2)
>>> tan.n_states, [v.sym for v in tan.groups[0].variables if v.kind == "state"]
(6, ['qif_op__r', 'qif_op__v', 'qif_op__r__T0', 'qif_op__v__T0', 'qif_op__r__T1', 'qif_op__v__T1'])
"""
from __future__ import annotations

import numpy as np

from neurodyn._lazy import sympy as sp
from neurodyn.errors import AnalysisError
from neurodyn.ir.passes import assemble_ir
from neurodyn.ir.types import CircuitIR, GroupIR, ProjectionIR, VarIR

__all__ = ["tangent_ir", "tangent_symbol", "jacobian_symbol"]


def tangent_symbol(sym: str, m: int) -> str:
    """Name of the ``m``-th tangent copy of variable ``sym``."""
    return f"{sym}__T{m}"


def jacobian_symbol(sym: str, wrt: str) -> str:
    """Name of the partial derivative of variable ``sym`` with respect to ``wrt``."""
    return f"{sym}__J__{wrt}"


def _derivative(expr, s):
    d = sp.diff(expr, sp.Symbol(s))
    return d.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))


_VARIABLES_CACHE: dict = {}


def _tangent_variables(g: GroupIR, k: int) -> tuple:
    """The variables a group gains (Jacobian entries, tangent copies): they depend on its structure only, so
    they are derived once per structure and process (SymPy differentiation is the expensive part)."""
    key = (g.structure_key(), k)
    hit = _VARIABLES_CACHE.get(key)
    if hit is not None:
        return hit
    kinds = {v.sym: v.kind for v in g.variables}
    dynamic = {s for s, kind in kinds.items() if kind in ("state", "algebraic", "input")}
    added = []
    partials: dict[str, list[tuple[str, str]]] = {}      # variable -> [(wrt, jacobian symbol)]
    for v in g.variables:
        if v.kind not in ("state", "algebraic"):
            continue
        entries = []
        for s in sorted(str(x) for x in v.expr.free_symbols if str(x) in dynamic):
            d = _derivative(v.expr, s)
            if d == 0:
                continue
            name = jacobian_symbol(v.sym, s)
            added.append(VarIR(f"{v.path}/d_{s}", name, "algebraic", "float", d))
            entries.append((s, name))
        partials[v.sym] = entries
    for m in range(k):
        for v in g.variables:
            if v.kind == "constant":
                continue
            t = tangent_symbol(v.sym, m)
            path = f"{v.path}'{m}"
            if v.kind in ("state", "algebraic"):
                terms = [sp.Symbol(j) * sp.Symbol(tangent_symbol(s, m)) for s, j in partials[v.sym]]
                added.append(VarIR(path, t, v.kind, "float", sp.Add(*terms) if terms else sp.Float(0.0)))
            else:
                links = tuple(tangent_symbol(lk, m) for lk in v.links)
                added.append(VarIR(path, t, "input", "float", None, links, False, False))
    out = tuple(added)
    if len(_VARIABLES_CACHE) > 64:
        _VARIABLES_CACHE.clear()
    _VARIABLES_CACHE[key] = out
    return out


def _tangent_group(g: GroupIR, k: int) -> GroupIR:
    added = _tangent_variables(g, k)
    values = dict(g.values)
    zeros = np.zeros(g.n)
    values.update({v.sym: zeros for v in added})
    return GroupIR(g.name + f"__tangent{k}", g.nodes, tuple(g.variables) + added, values)


def tangent_ir(ir: CircuitIR, k: int) -> CircuitIR:
    """``ir`` with ``k`` tangent copies of every variable (see the module docstring).

    Raises
    ------
    AnalysisError
        For complex-valued models (write them in real coordinates) or ``k < 1``.
    """
    if int(k) != k or k < 1:
        raise AnalysisError(f"the number of tangent vectors must be a positive integer, got {k!r}")
    if ir.complex_system:
        raise AnalysisError(f"{ir.name!r} has complex states; tangent dynamics need real coordinates (write the "
                            f"model in real and imaginary parts)")
    k = int(k)
    groups = [_tangent_group(g, k) for g in ir.groups]
    projections = list(ir.projections)
    for p in ir.projections:
        for m in range(k):
            projections.append(ProjectionIR((p.source[0], tangent_symbol(p.source[1], m)),
                                            (p.target[0], tangent_symbol(p.target[1], m)),
                                            p.rows, p.cols, p.weights, p.delays))
    return assemble_ir(groups, projections, name=f"{ir.name}__tangent{k}", template_hash=ir.template_hash,
                       node_index=dict(ir.node_index))
