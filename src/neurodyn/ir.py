"""The intermediate representation: a compiled-once, hashable description of a circuit.

A circuit is flattened into *groups* of structurally identical nodes (same operators, same equations; values
may differ per node) and *projections* between group variables (sparse weights and per-connection delays, as
data). Code generation works on the structure only; sizes and values are data, so a 90- and a 998-region
network of the same node share one compiled kernel.

Examples
--------
>>> from neurodyn.lang.templates import OperatorTemplate, NodeTemplate, CircuitTemplate
>>> op = OperatorTemplate("li", ["x' = -x/tau + u"], {"x": "output(1.0)", "tau": 2.0, "u": "input(0.0)"})
>>> ir = build_ir(CircuitTemplate("c", nodes={"a": NodeTemplate("n", [op]), "b": NodeTemplate("n", [op])}))
>>> ir
<CircuitIR: 1 groups (2 nodes), 2 states, 0 projections>
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from neurodyn._lazy import sympy as sp

from neurodyn.errors import EquationError, TemplateError, VariablePathError, close_matches
from neurodyn.lang.templates import CircuitTemplate, EdgeSpec, NodeTemplate, OperatorTemplate

__all__ = ["VarIR", "GroupIR", "ProjectionIR", "CircuitIR", "build_ir"]

SEP = "__"  # operator/variable separator in generated symbol names


@dataclass(frozen=True)
class VarIR:
    """One variable of a group.

    kind: 'state' (expr = time derivative), 'algebraic' (expr = value), 'input' (sum of ``links`` of the
    same node, incoming projections and external drive; ``default`` value when nothing drives it), or
    'constant' (a parameter). ``path`` is 'op/var'; ``sym`` the generated-code name.
    """

    path: str
    sym: str
    kind: str
    dtype: str
    expr: sp.Expr | None = None
    links: tuple = ()
    uses_default: bool = False
    driven: bool = False   # has an external time series

    def key(self) -> tuple:
        return (self.sym, self.kind, self.dtype, sp.srepr(self.expr) if self.expr is not None else None,
                self.links, self.uses_default, self.driven)

    # A pickled VarIR keeps its expression as SymPy's own pickle and unpickles it on first access, so that a
    # cached IR (neurodyn.compiler.ir_cache) loads, and runs, without importing SymPy.
    def __getattribute__(self, name: str):
        value = object.__getattribute__(self, name)
        if name == "expr" and type(value) is _PickledExpr:
            value = pickle.loads(value.data)
            object.__setattr__(self, "expr", value)
        return value

    def __reduce__(self):
        expr = object.__getattribute__(self, "expr")
        if expr is not None and type(expr) is not _PickledExpr:
            expr = _PickledExpr(pickle.dumps(expr, protocol=pickle.HIGHEST_PROTOCOL))
        return (VarIR, (self.path, self.sym, self.kind, self.dtype, expr, self.links, self.uses_default,
                        self.driven))


class _PickledExpr:
    """A SymPy expression as bytes until first used (see ``VarIR.__getattribute__``)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def __reduce__(self):
        return (_PickledExpr, (self.data,))


@dataclass(frozen=True, eq=False)
class GroupIR:
    """Structurally identical nodes computed as one vectorised block."""

    name: str
    nodes: tuple
    variables: tuple
    values: Mapping  # sym -> np.ndarray of length len(nodes): initial value, parameter or input default

    @property
    def n(self) -> int:
        return len(self.nodes)

    def var(self, sym: str) -> VarIR:
        for v in self.variables:
            if v.sym == sym:
                return v
        raise KeyError(sym)

    def by_path(self, path: str) -> VarIR:
        for v in self.variables:
            if v.path == path:
                return v
        raise VariablePathError(f"group {self.name!r} has no variable {path!r}; "
                                f"{close_matches(path, [v.path for v in self.variables])}")

    def structure_key(self) -> tuple:
        return (self.name, tuple(v.key() for v in self.variables))


@dataclass(frozen=True, eq=False)
class ProjectionIR:
    """Weighted (optionally delayed) sum from ``source`` (group, sym) into ``target`` (group, sym).

    ``rows``/``cols`` index target and source nodes within their groups; ``delays`` are in model time units
    (None for instantaneous projections).
    """

    source: tuple
    target: tuple
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    delays: np.ndarray | None = None

    @property
    def delayed(self) -> bool:
        return self.delays is not None

    def structure_key(self) -> tuple:
        return (self.source, self.target, self.delayed)

    def csr(self, n_target: int):
        """(indptr, indices, weights, delays) sorted by target row."""
        order = np.lexsort((self.cols, self.rows))
        rows = self.rows[order]
        indptr = np.zeros(n_target + 1, dtype=np.int64)
        np.add.at(indptr, rows + 1, 1)
        indptr = np.cumsum(indptr)
        d = self.delays[order] if self.delays is not None else np.zeros(len(rows))
        return indptr, self.cols[order].astype(np.int64), self.weights[order].astype(np.float64), d


@dataclass(frozen=True, eq=False)
class CircuitIR:
    """Groups, projections and the evaluation order of derived quantities.

    ``order`` lists the algebraic and input computations in dependency order. An entry is either
    ``(group index, sym)``, computed once, or ``("repeat", K, ((group index, sym), ...))``: a loop at group
    level (e.g. an instantaneous edge from a derived variable of node p into an input of node q of the same
    group) that has no cycle between nodes. All its members are then recomputed from scratch, in the order
    given, K times; K is the number of vertices on the longest node-level dependency chain inside the block,
    so the last pass gives the exact values. K depends on the connectivity inside the block, and is part of
    the structure (hash).
    """

    groups: tuple
    projections: tuple
    order: tuple          # see the class docstring
    complex_system: bool
    name: str = "circuit"
    template_hash: str = ""
    node_index: Mapping = field(default_factory=dict)  # node name -> (group index, index in group)

    def structure_hash(self) -> str:
        """Hash of what the generated code depends on (not sizes, values or connectivity); computed once."""
        cached = self.__dict__.get("_structure_hash")
        if cached is not None:
            return cached
        h = hashlib.sha256()
        h.update(repr(self.complex_system).encode())
        for g in self.groups:
            h.update(repr(g.structure_key()).encode())
        for p in self.projections:
            h.update(repr(p.structure_key()).encode())
        h.update(repr(self.order).encode())
        digest = h.hexdigest()[:20]
        object.__setattr__(self, "_structure_hash", digest)
        return digest

    @property
    def n_states(self) -> int:
        return sum(g.n for g in self.groups for v in g.variables if v.kind == "state")

    @property
    def has_delays(self) -> bool:
        return any(p.delayed for p in self.projections)

    def find(self, path: str) -> list[tuple[int, int, VarIR, str]]:
        """Resolve ``node/op/var`` (or ``all/op/var``) into [(group, index, var, node name)]."""
        parts = str(path).split("/")
        if len(parts) < 3:
            raise VariablePathError(f"variable path {path!r} must be 'node/operator/variable'")
        node, opvar = "/".join(parts[:-2]), "/".join(parts[-2:])
        hits = []
        if node == "all":
            for gi, g in enumerate(self.groups):
                for v in g.variables:
                    if v.path == opvar:
                        hits += [(gi, i, v, nn) for i, nn in enumerate(g.nodes)]
            if not hits:
                raise VariablePathError(f"no node has variable {opvar!r} (from {path!r}); "
                                        f"{close_matches(opvar, {v.path for g in self.groups for v in g.variables})}")
            return hits
        if node not in self.node_index:
            raise VariablePathError(f"unknown node {node!r} in {path!r}; {close_matches(node, self.node_index)}")
        gi, i = self.node_index[node]
        g = self.groups[gi]
        for v in g.variables:
            if v.path == opvar:
                return [(gi, i, v, node)]
        raise VariablePathError(f"unknown variable {opvar!r} in {path!r}; "
                                f"{close_matches(f'{node}/{opvar}', [f'{node}/{v.path}' for v in g.variables])}")

    def __repr__(self) -> str:
        nn = sum(g.n for g in self.groups)
        return (f"<CircuitIR: {len(self.groups)} groups ({nn} nodes), {self.n_states} states, "
                f"{len(self.projections)} projections>")


# ------------------------------------------------------------------------------------------------ building
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
    from neurodyn.lang.equations import parse_equation   # SymPy: only when an operator is parsed
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
    eqs = [f"x1' = a*(u - x1)"] + [f"x{k}' = a*(x{k - 1} - x{k})" for k in range(2, order + 1)]
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
            for i in src_in:
                plain_edges.append((sn, sv, ename, i, 1.0, e.delay, e.spread))
            for i, v in mapped.items():
                if v != "source":
                    n2, v2 = split(v, "edge input", e)
                    plain_edges.append((n2, v2, ename, i, 1.0, None, None))
            tn, tv = split(e.target, "target", e)
            plain_edges.append((ename, outs[0], tn, tv, e.weight, None, None))
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


def _propagate_dtypes(groups: list[GroupIR], projections: list[ProjectionIR]) -> list[GroupIR]:
    cplx = {(gi, v.sym) for gi, g in enumerate(groups) for v in g.variables
            if v.dtype == "complex" or (v.sym in g.values and np.iscomplexobj(g.values[v.sym])
                                        and np.any(np.imag(g.values[v.sym]) != 0))}
    changed = True
    while changed:
        changed = False
        for gi, g in enumerate(groups):
            for v in g.variables:
                if (gi, v.sym) in cplx:
                    continue
                is_c = False
                if v.expr is not None:
                    syms = {str(s) for s in v.expr.free_symbols}
                    is_c = bool(v.expr.has(sp.I)) or any((gi, s) in cplx for s in syms)
                if v.kind == "input":
                    is_c = any((gi, s) in cplx for s in v.links) or any(
                        (p.source[0], p.source[1]) in cplx for p in projections if p.target == (gi, v.sym))
                if is_c:
                    cplx.add((gi, v.sym))
                    changed = True
    out = []
    for gi, g in enumerate(groups):
        vs = tuple(VarIR(v.path, v.sym, v.kind, "complex" if (gi, v.sym) in cplx else "float", v.expr, v.links,
                         v.uses_default, v.driven) for v in g.variables)
        out.append(GroupIR(g.name, g.nodes, vs, g.values))
    return out


def _local_deps(groups: list[GroupIR]) -> dict:
    """(group, sym) -> derived syms of the same node it needs (within-node dependencies)."""
    comps = [(gi, v.sym) for gi, g in enumerate(groups) for v in g.variables if v.kind in ("algebraic", "input")]
    deps: dict[tuple, set] = {c: set() for c in comps}
    for gi, g in enumerate(groups):
        kinds = {v.sym: v.kind for v in g.variables}
        for v in g.variables:
            if v.kind == "algebraic":
                deps[(gi, v.sym)] |= {(gi, str(s)) for s in v.expr.free_symbols
                                      if kinds.get(str(s)) in ("algebraic", "input")}
            elif v.kind == "input":
                deps[(gi, v.sym)] |= {(gi, s) for s in v.links if kinds.get(s) in ("algebraic", "input")}
    return deps


def _group_deps(groups: list[GroupIR], projections: list[ProjectionIR]) -> dict:
    """(group, sym) -> set of derived (group, sym) it needs in the same evaluation (group-level graph)."""
    deps = {c: set(d) for c, d in _local_deps(groups).items()}
    for p in projections:
        sg, ss = p.source
        if not p.delayed and groups[sg].var(ss).kind in ("algebraic", "input"):
            deps[p.target].add(p.source)
    return deps


def _strong_components(vertices: list, deps: Mapping) -> list[list]:
    """Tarjan's strongly connected components of the graph ``v -> deps[v]`` (iterative, no recursion limit).

    Components come out dependencies first (a component after every component it depends on).
    """
    pos = {v: k for k, v in enumerate(vertices)}
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    out: list[list] = []
    counter = 0
    for root in vertices:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(deps[root], key=pos.__getitem__)))]
        while work:
            v, it = work[-1]
            advanced = False
            for u in it:
                if u not in index:
                    index[u] = low[u] = counter
                    counter += 1
                    stack.append(u)
                    on_stack.add(u)
                    work.append((u, iter(sorted(deps[u], key=pos.__getitem__))))
                    advanced = True
                    break
                if u in on_stack:
                    low[v] = min(low[v], index[u])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    u = stack.pop()
                    on_stack.discard(u)
                    comp.append(u)
                    if u == v:
                        break
                out.append(sorted(comp, key=pos.__getitem__))
    return out


def _node_level_passes(groups: list[GroupIR], projections: list[ProjectionIR], members: list, local: Mapping) -> int:
    """Passes needed to evaluate a group-level loop ``members`` exactly, or EquationError for a real loop.

    The node-level graph has a vertex (group, sym, node index) per member and node; a within-node dependency
    links the same node, an instantaneous projection links its source node to its target node. When that graph
    has no cycle, evaluating all members in the order given, K times, gives exact values. K is computed along
    that graph: a vertex is final in the pass after its dependencies are, or in the same pass when they come
    earlier in the order (at most the number of vertices on its longest path).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    mset = set(members)
    base, nv = {}, 0
    for c in members:
        base[c] = nv
        nv += groups[c[0]].n
    src, dst = [], []
    for c in members:
        n = groups[c[0]].n
        for d in local[c]:
            if d in mset:  # within-node dependency: same node index
                src.append(base[d] + np.arange(n))
                dst.append(base[c] + np.arange(n))
    for p in projections:
        if not p.delayed and p.source in mset and p.target in mset:
            src.append(base[p.source] + p.cols)
            dst.append(base[p.target] + p.rows)
    src_a = np.concatenate(src).astype(np.int64) if src else np.zeros(0, dtype=np.int64)
    dst_a = np.concatenate(dst).astype(np.int64) if dst else np.zeros(0, dtype=np.int64)
    A = csr_matrix((np.ones(len(src_a), dtype=np.int64), (src_a, dst_a)), shape=(nv, nv))
    A.sum_duplicates()

    def name(v: int) -> str:
        for c in reversed(members):
            if v >= base[c]:
                g = groups[c[0]]
                return f"{g.nodes[v - base[c]]}/{g.var(c[1]).path}"
        raise AssertionError(v)

    cycle = None
    selfloops = np.flatnonzero(A.diagonal())
    if len(selfloops):
        cycle = [int(selfloops[0])] * 2
    else:
        ncomp, labels = connected_components(A, directed=True, connection="strong")
        sizes = np.bincount(labels, minlength=ncomp)
        if sizes.max(initial=0) > 1:
            lab = int(np.flatnonzero(sizes > 1)[0])
            inside = labels == lab
            s = int(np.flatnonzero(inside)[0])
            sub = A.multiply(inside[:, None]).multiply(inside[None, :]).tocsr()
            # a shortest way back to s: breadth-first from s, then up the predecessors from an edge u -> s
            _, pred = breadth_first_order(sub, s, directed=True, return_predecessors=True)
            v = int(np.flatnonzero(sub[:, [s]].toarray().ravel())[0])
            path = [v]
            while v != s:
                v = int(pred[v])
                path.append(v)
            cycle = path[::-1] + [s]
    if cycle is not None:
        raise EquationError(f"algebraic loop between derived variables: {' -> '.join(name(v) for v in cycle)} "
                            f"(through instantaneous edges and derived variables). Break it with a state "
                            f"variable (e.g. a synaptic filter) or an edge delay.")
    # pass in which each vertex is final: a dependency evaluated earlier in a pass is read in the same pass,
    # one evaluated later (or the same member, read from a snapshot) in the next; sources level by level
    vpos = np.concatenate([np.full(groups[c[0]].n, k, dtype=np.int64) for k, c in enumerate(members)])
    coo = A.tocoo()
    es, ed = coo.row.astype(np.int64), coo.col.astype(np.int64)
    later = (vpos[es] >= vpos[ed]).astype(np.int64)
    final = np.zeros(nv, dtype=np.int64)
    indeg = np.asarray(A.sum(axis=0)).ravel()
    remaining = np.ones(nv, dtype=bool)
    AT = A.T.tocsr()
    while remaining.any():
        frontier = remaining & (indeg == 0)
        sel = frontier[ed]
        np.maximum.at(final, ed[sel], final[es[sel]] + later[sel])
        final[frontier] = np.maximum(final[frontier], 1)
        remaining &= ~frontier
        indeg = indeg - AT @ frontier.astype(np.int64)
    return int(final.max(initial=1))


def _local_first(members: list, local: Mapping, pos: Mapping) -> list:
    """``members`` in an order where within-node dependencies come first (fewer passes), else as in ``pos``."""
    out, left = [], sorted(members, key=pos.__getitem__)
    while left:
        ready = [c for c in left if not (local[c] & set(left))] or left[:1]  # a cycle is reported later
        out.append(ready[0])
        left.remove(ready[0])
    return out


def _order(groups: list[GroupIR], projections: list[ProjectionIR]) -> tuple:
    """Evaluation order of derived quantities (see :class:`CircuitIR`).

    Group-level strongly connected components become ``("repeat", K, members)`` blocks when the node-level
    graph inside them is acyclic; a node-level cycle is an EquationError naming the nodes on it.
    """
    deps = _group_deps(groups, projections)
    local = _local_deps(groups)
    comps = list(deps)
    pos = {c: k for k, c in enumerate(comps)}
    units = []  # a plain (group, sym), or a list of the members of a group-level loop in evaluation order
    for scc in _strong_components(comps, deps):
        loop = len(scc) > 1 or scc[0] in deps[scc[0]]
        units.append(_local_first(scc, local, pos) if loop else scc[0])
    unit_of: dict = {}
    for u in units:
        for c in (u if isinstance(u, list) else [u]):
            unit_of[c] = id(u)
    udeps = {id(u): {unit_of[d] for c in (u if isinstance(u, list) else [u]) for d in deps[c]} - {id(u)}
             for u in units}
    # same sweep as for plain variables (keeps the order of loop-free models), over the condensed graph
    units.sort(key=lambda u: min(pos[c] for c in u) if isinstance(u, list) else pos[u])
    order, done = [], set()
    pending = list(units)
    while pending:
        progressed = False
        for u in list(pending):
            if udeps[id(u)] <= done:
                if isinstance(u, list):
                    order.append(("repeat", _node_level_passes(groups, projections, u, local), tuple(u)))
                else:
                    order.append(u)
                done.add(id(u))
                pending.remove(u)
                progressed = True
        assert progressed, "the condensed dependency graph is acyclic"
    return tuple(order)


def assemble_ir(groups, projections, name="circuit", template_hash="", node_index=None) -> CircuitIR:
    """Finish an IR from groups and projections: dtype propagation and evaluation order."""
    groups = _propagate_dtypes(list(groups), list(projections))
    order = _order(groups, list(projections))
    cplx = any(v.dtype == "complex" for g in groups for v in g.variables)
    if node_index is None:
        node_index = {n: (gi, i) for gi, g in enumerate(groups) for i, n in enumerate(g.nodes)}
    return CircuitIR(tuple(groups), tuple(projections), order, cplx, name, template_hash, dict(node_index))


def replicate_ir(ir: CircuitIR, copies: int) -> CircuitIR:
    """``copies`` independent copies of ``ir`` in one IR (for vectorised parameter sweeps).

    Node ``name`` of copy ``r`` is called ``name#r``; each group grows ``copies``-fold (copy-major), and each
    projection becomes block-diagonal. The structure, hence the compiled kernel, is unchanged.
    """
    if copies < 1:
        raise TemplateError(f"copies must be >= 1, got {copies}")
    groups = []
    for g in ir.groups:
        nodes = tuple(f"{n}#{r}" for r in range(copies) for n in g.nodes)
        values = {k: np.tile(v, copies) for k, v in g.values.items()}
        groups.append(GroupIR(g.name, nodes, g.variables, values))
    projections = []
    for p in ir.projections:
        ns, nt = ir.groups[p.source[0]].n, ir.groups[p.target[0]].n
        rows = np.concatenate([p.rows + r * nt for r in range(copies)])
        cols = np.concatenate([p.cols + r * ns for r in range(copies)])
        projections.append(ProjectionIR(p.source, p.target, rows, cols, np.tile(p.weights, copies),
                                        None if p.delays is None else np.tile(p.delays, copies)))
    node_index = {n: (gi, i) for gi, g in enumerate(groups) for i, n in enumerate(g.nodes)}
    return CircuitIR(tuple(groups), tuple(projections), ir.order, ir.complex_system, ir.name, ir.template_hash,
                     node_index)
