"""Flatten a circuit template into the IR: parse operators, expand edge templates and gamma-distributed
delays into hidden nodes, group identical nodes, and collect projections.

Examples
--------
>>> from neurodyn.lang.templates import CircuitTemplate
>>> build_ir(CircuitTemplate.from_yaml("qif"))
<CircuitIR: 1 groups (1 nodes), 2 states, 1 projections>
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from neurodyn._lazy import sympy as sp
from neurodyn.errors import EquationError, TemplateError, VariablePathError, close_matches
from neurodyn.ir.passes import assemble_ir
from neurodyn.ir.types import SEP, CircuitIR, GroupIR, ProjectionIR, VarIR
from neurodyn.lang.templates import CircuitTemplate, EdgeSpec, NodeTemplate, OperatorTemplate

__all__ = ["build_ir"]

@dataclass
class _OpParsed:
    states: dict
    algebraic: dict
    inputs: dict
    constants: dict
    outputs: list
    decls: dict


_PARSE_CACHE: dict = {}


def _parse_operator(op: OperatorTemplate) -> _OpParsed:
    key = op.structure_key()
    if key in _PARSE_CACHE:
        return _PARSE_CACHE[key]
    from neurodyn.ir.parsing import parse_equation   # SymPy: only when an operator is parsed
    known = set(op.variables)
    where = op.path or f"operator {op.name!r}"
    states, algebraic = {}, {}
    for text in op.equations:
        eq = parse_equation(text, known, where=f"{where}: operator {op.name!r}")
        decl = op.variables[eq.lhs]
        if decl.kind == "input":
            raise EquationError(f"{where}: operator {op.name!r}: equation {text!r} defines {eq.lhs!r}, which is "
                                f"declared as an input; declare it 'output' or 'variable'")
        if decl.kind == "constant":
            raise EquationError(f"{where}: operator {op.name!r}: equation {text!r} defines {eq.lhs!r}, which is "
                                f"declared as a constant ({decl.value!r}); declare it 'variable({decl.value})'")
        target = states if eq.kind == "ode" else algebraic
        if eq.lhs in states or eq.lhs in algebraic:
            raise EquationError(f"{where}: operator {op.name!r}: {eq.lhs!r} is defined by more than one equation")
        target[eq.lhs] = eq.rhs
    inputs, constants, outputs = {}, {}, []
    for name, d in op.variables.items():
        if d.kind == "output":
            outputs.append(name)
        if name in states or name in algebraic:
            continue
        if d.kind == "input":
            inputs[name] = d
        elif d.kind == "constant":
            constants[name] = d
        else:  # declared variable/output without an equation: a constant with that initial value
            constants[name] = d
    parsed = _OpParsed(states, algebraic, inputs, constants, outputs, dict(op.variables))
    _PARSE_CACHE[key] = parsed
    return parsed


def _sym(op: str, var: str) -> str:
    return f"{op}{SEP}{var}"


class _NodeSpec:
    """The variables of one node template, in code-symbol form."""

    def __init__(self, node: NodeTemplate):
        self.template = node
        self.vars: dict[str, dict] = {}   # sym -> dict(kind, dtype, expr, links, path, value)
        ops = {op.name: _parse_operator(op) for op in node.operators}
        outputs = {}  # var name -> [op syms providing it]
        for op in node.operators:
            p = ops[op.name]
            for o in p.outputs:
                outputs.setdefault(o, []).append(_sym(op.name, o))
        for op in node.operators:
            p = ops[op.name]
            decls = op.variables  # values from this template (the parse cache is shared by structure only)
            sub = {sp.Symbol(n): sp.Symbol(_sym(op.name, n)) for n in p.decls}
            for n, e in p.states.items():
                d = decls[n]
                self.vars[_sym(op.name, n)] = dict(kind="state", dtype=d.dtype, expr=e.xreplace(sub), links=(),
                                                   path=f"{op.name}/{n}", value=d.value)
            for n, e in p.algebraic.items():
                d = decls[n]
                self.vars[_sym(op.name, n)] = dict(kind="algebraic", dtype=d.dtype, expr=e.xreplace(sub),
                                                   links=(), path=f"{op.name}/{n}", value=d.value)
            for n in p.constants:
                d = decls[n]
                self.vars[_sym(op.name, n)] = dict(kind="constant", dtype=d.dtype, expr=None, links=(),
                                                   path=f"{op.name}/{n}", value=d.value)
            for n in p.inputs:
                d = decls[n]
                links = tuple(s for s in outputs.get(n, []) if not s.startswith(op.name + SEP))
                self.vars[_sym(op.name, n)] = dict(kind="input", dtype=d.dtype, expr=None, links=links,
                                                   path=f"{op.name}/{n}", value=d.value)

    def key(self) -> tuple:
        return (self.template.name, self.template.structure_key())


def _as_complex_aware(values: list) -> np.ndarray:
    if any(isinstance(v, complex) for v in values):
        return np.asarray(values, dtype=np.complex128)
    return np.asarray(values, dtype=np.float64)


def _gamma_chain_node(order: int, rate: float) -> NodeTemplate:
    eqs = ["x1' = a*(u - x1)"] + [f"x{k}' = a*(x{k - 1} - x{k})" for k in range(2, order + 1)]
    variables = {f"x{k}": "variable(0.0)" for k in range(1, order + 1)}
    variables[f"x{order}"] = "output(0.0)"
    variables.update(a=float(rate), u="input(0.0)")
    op = OperatorTemplate("gamma_delay", eqs, variables, path="(gamma-distributed edge delay)")
    return NodeTemplate(f"gamma_delay_{order}", [op])


def build_ir(circuit: CircuitTemplate, driven: Mapping[str, object] | None = None,
             step_size: float | None = None, zero_delays: str = "instant") -> CircuitIR:
    """Flatten ``circuit`` into groups and projections.

    Parameters
    ----------
    circuit : CircuitTemplate
    driven : collection of str, optional
        Variable paths that receive an external time series (inputs, or constants turned into inputs).
    step_size : float, optional
        Delays shorter than half a step are treated as instantaneous (as PyRates does); others must be at
        least one step (checked by the simulator).
    zero_delays : {'instant', 'history'}
        For matrix edges with delays: connections with (near-)zero delay become an instantaneous projection
        ('instant', default) or stay in the delayed one and read the state at the start of the step
        ('history', TVB's convention, with ``delay_mode='step'``).
    """
    nodes = dict(circuit.flat_nodes())
    edges = list(circuit.flat_edges())
    if not nodes:
        raise TemplateError(f"circuit {circuit.name!r} has no nodes")
    # ---- expand edge templates and gamma-distributed delays into hidden nodes ----------------------------
    plain_edges: list[tuple] = []  # (src node, src opvar, tgt node, tgt opvar, weight, delay)
    node_values: dict[str, dict] = {}

    def split(path: str, what: str, e: EdgeSpec) -> tuple[str, str]:
        parts = path.split("/")
        if len(parts) < 3:
            raise VariablePathError(f"edge {e.source} -> {e.target}: {what} {path!r} must be "
                                    f"'node/operator/variable'")
        n, ov = "/".join(parts[:-2]), "/".join(parts[-2:])
        if n not in nodes:
            raise VariablePathError(f"edge {e.source} -> {e.target}: unknown node {n!r}; "
                                    f"{close_matches(n, nodes)}")
        op, var = parts[-2:]
        o = nodes[n].operator(op)
        if var not in o.variables:
            raise VariablePathError(f"edge {e.source} -> {e.target}: node {n!r} operator {op!r} has no variable "
                                    f"{var!r}; {close_matches(var, o.variables)}")
        return n, ov

    for k, e in enumerate(edges):
        sn, sv = split(e.source, "source", e)
        if e.template is not None:
            ename = f"{e.template.name}@{k}"
            et = e.template
            nodes[ename] = NodeTemplate(et.name, list(et.operators), path=et.path)
            mapped = {}
            for key, val in e.extra.items():
                parts = str(key).split("/")
                if parts[0] == et.name and len(parts) == 3:
                    if isinstance(val, str):
                        mapped[f"{parts[1]}/{parts[2]}"] = val
                    else:
                        node_values.setdefault(ename, {})[f"{parts[1]}/{parts[2]}"] = val
                else:
                    raise TemplateError(f"edge {e.source} -> {e.target}: unknown edge attribute {key!r}")
            ins = [f"{o.name}/{v}" for o in et.operators for v, d in o.variables.items() if d.kind == "input"]
            outs = [f"{o.name}/{v}" for o in et.operators for v, d in o.variables.items() if d.kind == "output"]
            if len(outs) != 1:
                raise TemplateError(f"edge template {et.name!r} must declare exactly one output (has {outs})")
            src_in = [i for i, v in mapped.items() if v == "source"] or [i for i in ins if i not in mapped][:1]
            if not src_in:
                raise TemplateError(f"edge template {et.name!r}: cannot tell which input receives the source")
            # as PyRates composes an edge with a template: the source reaches the edge operator undelayed, and the
            # operator's output reaches the target with the edge's weight, delay and spread
            for i in src_in:
                plain_edges.append((sn, sv, ename, i, 1.0, None, None))
            for i, v in mapped.items():
                if v != "source":
                    n2, v2 = split(v, "edge input", e)
                    plain_edges.append((n2, v2, ename, i, 1.0, None, None))
            tn, tv = split(e.target, "target", e)
            plain_edges.append((ename, outs[0], tn, tv, e.weight, e.delay, e.spread))
        else:
            tn, tv = split(e.target, "target", e)
            plain_edges.append((sn, sv, tn, tv, e.weight, e.delay, e.spread))
    final_edges = []
    for k, (sn, sv, tn, tv, w, d, s) in enumerate(plain_edges):
        if d is not None and s is not None and s > 0 and d > 0:
            order = max(1, int(round((d / s) ** 2)))
            cname = f"gamma_delay@{k}"
            nodes[cname] = _gamma_chain_node(order, order / d)
            final_edges.append((sn, sv, cname, "gamma_delay/u", 1.0, None))
            final_edges.append((cname, f"gamma_delay/x{order}", tn, tv, w, None))
        else:
            if d is not None and step_size is not None and d < 0.5 * step_size:
                d = None
            if d == 0:
                d = None
            final_edges.append((sn, sv, tn, tv, w, d))
    for n, vals in node_values.items():
        nodes[n] = nodes[n].with_values(vals)

    # ---- group nodes by structure ------------------------------------------------------------------------
    spec_cache: dict[int, _NodeSpec] = {}
    specs = {}
    for n, t in nodes.items():
        if id(t) not in spec_cache:
            spec_cache[id(t)] = _NodeSpec(t)
        specs[n] = spec_cache[id(t)]
    group_of: dict[tuple, list[str]] = {}
    for n, s in specs.items():
        group_of.setdefault(s.key(), []).append(n)
    driven = set(driven or ())
    driven_syms: dict[str, set] = {}  # node -> syms driven
    for path in driven:
        parts = str(path).split("/")
        if len(parts) < 3:
            raise VariablePathError(f"input path {path!r} must be 'node/operator/variable'")
        n, op, var = "/".join(parts[:-2]), parts[-2], parts[-1]
        targets = [m for m in nodes if n == "all" or m == n]
        if not targets:
            raise VariablePathError(f"input {path!r}: unknown node {n!r}; {close_matches(n, nodes)}")
        hit = False
        for m in targets:
            if _sym(op, var) in specs[m].vars:
                driven_syms.setdefault(m, set()).add(_sym(op, var))
                hit = True
        if not hit:
            allp = [f"{n}/{v['path']}" for m in targets for v in specs[m].vars.values()]
            raise VariablePathError(f"input {path!r}: no such variable; {close_matches(path, allp)}")
        for m in targets:
            sym = _sym(op, var)
            if sym in specs[m].vars and specs[m].vars[sym]["kind"] in ("state", "algebraic"):
                raise VariablePathError(f"input {path!r} targets a {specs[m].vars[sym]['kind']} variable; only "
                                        f"inputs and constants can be driven by a time series")
    # all nodes of a group must agree on which syms are driven (structure) -> split groups if needed
    groups_nodes: list[list[str]] = []
    for key, members in group_of.items():
        sub: dict[tuple, list[str]] = {}
        for m in members:
            sub.setdefault(tuple(sorted(driven_syms.get(m, ()))), []).append(m)
        groups_nodes += list(sub.values())
    # incoming projections per (node, sym) decide whether input defaults are used
    edge_targets = {(tn, _sym(*tv.split("/"))) for (_, _, tn, tv, _, _) in final_edges}
    matrix_edges = circuit.flat_matrix_edges()
    for m in matrix_edges:
        tsym = _sym(*m.target.split("/"))
        hit_rows = np.flatnonzero((m.weights != 0).any(axis=1))
        edge_targets |= {(m.targets[i], tsym) for i in hit_rows}

    groups = []
    node_index = {}
    for gi, members in enumerate(groups_nodes):
        spec = specs[members[0]]
        dsyms = driven_syms.get(members[0], set())
        variables, values = [], {}
        for sym, v in spec.vars.items():
            kind = v["kind"]
            is_driven = sym in dsyms
            if kind == "constant" and is_driven:
                kind = "input"  # a driven constant becomes a time-varying input (the series replaces it)
            uses_default = (kind == "input" and not v["links"] and not is_driven
                            and not any((m, sym) in edge_targets for m in members))
            variables.append(VarIR(v["path"], sym, kind, v["dtype"], v["expr"], v["links"],
                                   uses_default, is_driven))
            vals = [specs[m].vars[sym]["value"] for m in members]
            if kind == "input" and not uses_default:
                vals = [0.0 * x for x in vals]
            values[sym] = _as_complex_aware(vals)
        name = spec.template.name
        groups.append(GroupIR(name, tuple(members), tuple(variables), values))
        for i, m in enumerate(members):
            node_index[m] = (gi, i)

    # ---- projections -------------------------------------------------------------------------------------
    proj: dict[tuple, dict] = {}
    for sn, sv, tn, tv, w, d in final_edges:
        sg, si = node_index[sn]
        tg, ti = node_index[tn]
        ssym, tsym = _sym(*sv.split("/")), _sym(*tv.split("/"))
        tvar = groups[tg].var(tsym)
        if tvar.kind != "input":
            raise VariablePathError(f"edge {sn}/{sv} -> {tn}/{tv}: the target must be an input variable, but "
                                    f"{tv!r} is a {tvar.kind}; declare it 'input' in its operator")
        key = (sg, ssym, tg, tsym, d is not None)
        p = proj.setdefault(key, dict(rows=[], cols=[], w=[], d=[]))
        p["rows"].append(ti)
        p["cols"].append(si)
        p["w"].append(w)
        p["d"].append(0.0 if d is None else d)
    for m in matrix_edges:
        _matrix_projections(m, nodes, node_index, groups, proj, step_size, zero_delays)
    projections = []
    for (sg, ssym, tg, tsym, delayed), p in proj.items():
        projections.append(ProjectionIR((sg, ssym), (tg, tsym), _concat(p["rows"], np.int64),
                                        _concat(p["cols"], np.int64), _concat(p["w"], float),
                                        _concat(p["d"], float) if delayed else None))
    return assemble_ir(groups, projections, name=circuit.name, template_hash=circuit.template_hash(),
                       node_index=node_index)


def _concat(items: list, dtype) -> np.ndarray:
    """One array from a projection's entries: scalars (one per edge of the edge list) and arrays (one per
    block of matrix edges), kept in order.

    >>> _concat([1, 2, np.array([3, 4]), 5], np.int64).tolist()
    [1, 2, 3, 4, 5]
    """
    if not any(isinstance(x, np.ndarray) for x in items):
        return np.asarray(items, dtype=dtype)
    parts, run = [], []
    for x in items:
        if isinstance(x, np.ndarray):
            if run:
                parts.append(np.asarray(run, dtype=dtype))
                run = []
            parts.append(x.astype(dtype, copy=False))
        else:
            run.append(x)
    if run:
        parts.append(np.asarray(run, dtype=dtype))
    return np.concatenate(parts)


def _matrix_projections(m, nodes, node_index, groups, proj, step_size, zero_delays) -> None:
    """Add a MatrixEdges block to the projection table, vectorised (no Python loop over connections)."""
    ssym, tsym = _sym(*m.source.split("/")), _sym(*m.target.split("/"))
    for names, what in ((m.sources, "source"), (m.targets, "target")):
        missing = [n for n in names if n not in node_index]
        if missing:
            raise VariablePathError(f"{m!r}: unknown {what} node {missing[0]!r}; {close_matches(missing[0], nodes)}")
    ti, si = np.nonzero(m.weights)
    w = m.weights[ti, si]
    sgi = np.array([node_index[n] for n in m.sources], dtype=np.int64).reshape(-1, 2)
    tgi = np.array([node_index[n] for n in m.targets], dtype=np.int64).reshape(-1, 2)
    sg, sidx = sgi[si, 0], sgi[si, 1]
    tg, tidx = tgi[ti, 0], tgi[ti, 1]
    d = m.delays[ti, si] if m.delays is not None else None
    for g in set(tg.tolist()):
        v = groups[g].var(tsym) if any(x.sym == tsym for x in groups[g].variables) else None
        if v is None or v.kind != "input":
            kind = v.kind if v is not None else "missing"
            raise VariablePathError(f"{m!r}: target {m.target!r} must be an input variable of the target nodes "
                                    f"(it is {kind}); declare it 'input' in its operator")
    for g in set(sg.tolist()):
        if not any(x.sym == ssym for x in groups[g].variables):
            raise VariablePathError(f"{m!r}: source nodes have no variable {m.source!r}")
    if d is None:
        delayed_mask = np.zeros(len(w), dtype=bool)
    elif zero_delays == "history":
        delayed_mask = np.ones(len(w), dtype=bool)
    else:
        delayed_mask = d > 0  # exact zeros are instantaneous; positive delays below one step are refused later
    G = len(groups)
    code = (sg * G + tg) * 2 + delayed_mask.astype(np.int64)     # (source group, target group, delayed)
    for c in (np.unique(code).tolist() if len(w) else ()):
        sel = code == c
        key = (c // 2 // G, c // 2 % G, c % 2)
        p = proj.setdefault((key[0], ssym, key[1], tsym, bool(key[2])), dict(rows=[], cols=[], w=[], d=[]))
        # whole arrays, not Python lists of 10^6 floats (see _concat)
        p["rows"].append(tidx[sel])
        p["cols"].append(sidx[sel])
        p["w"].append(w[sel])
        p["d"].append(d[sel] if (d is not None and key[2]) else np.zeros(int(sel.sum())))
