"""IR data types: variables, groups of identical nodes, projections between them, and the circuit.

A circuit is flattened (:func:`neurodyn.ir.build_ir`) into *groups* of structurally identical nodes (same
operators, same equations; values may differ per node) and *projections* between group variables (sparse
weights and per-connection delays, as data). Code generation works on the structure only; sizes and values are
data, so a 90- and a 998-region network of the same node share one compiled kernel.

Examples
--------
>>> from neurodyn.lang.templates import OperatorTemplate, NodeTemplate, CircuitTemplate
>>> from neurodyn.ir import build_ir
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
from neurodyn.errors import VariablePathError, close_matches

__all__ = ["SEP", "VarIR", "GroupIR", "ProjectionIR", "CircuitIR"]

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
    # cached IR (neurodyn.ir.cache) loads, and runs, without importing SymPy.
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

    ``copies > 1``: the groups hold ``copies`` independent copies of a circuit, copy-major (node ``i`` of copy
    ``c`` is ``c * n + i``), and ``rows``/``cols``/``weights``/``delays`` describe one copy; every copy is coupled
    the same way (a vectorised sweep). Kernels then apply one set of weights to every copy (for dense weights:
    one column of the matrix for all copies at a time), summing each copy's rows in the same order as a single
    copy's, so a copy computes what the circuit alone computes, bit for bit. :meth:`expanded` gives the
    equivalent block-diagonal arrays.
    """

    source: tuple
    target: tuple
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    delays: np.ndarray | None = None
    copies: int = 1

    @property
    def delayed(self) -> bool:
        return self.delays is not None

    def structure_key(self) -> tuple:
        return (self.source, self.target, self.delayed)

    def expanded(self, n_target: int, n_source: int) -> tuple:
        """(rows, cols, weights, delays) over the whole groups (``n_target``/``n_source`` nodes, all copies)."""
        if self.copies == 1:
            return self.rows, self.cols, self.weights, self.delays
        nt, ns = n_target // self.copies, n_source // self.copies
        c = np.arange(self.copies)
        rows = (self.rows[None, :] + nt * c[:, None]).ravel()
        cols = (self.cols[None, :] + ns * c[:, None]).ravel()
        d = None if self.delays is None else np.tile(self.delays, self.copies)
        return rows, cols, np.tile(self.weights, self.copies), d

    def csr(self, n_target: int):
        """(indptr, indices, weights, delays) of one copy, sorted by target row (``n_target``: nodes of the
        target group, all copies)."""
        n_target = n_target // self.copies
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
