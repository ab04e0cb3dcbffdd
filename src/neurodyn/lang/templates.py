"""Operator, node, edge and circuit templates: the model language's building blocks.

Templates are immutable: every update returns a new template, so one template can be run any number of times
with identical results. They are written in YAML (PyRates's format, read unchanged) or in Python:

>>> op = OperatorTemplate("qif_op", equations=["r' = (Delta/(pi*tau) + 2*r*v)/tau",
...                       "v' = (v^2 + eta + I_ext + tau*r_in - (pi*tau*r)^2)/tau"],
...                       variables={"r": "output(0.01)", "v": "variable(-2.0)", "Delta": 1.0, "tau": 1.0,
...                                  "eta": -5.0, "I_ext": "input(0.0)", "r_in": "input(0.0)"})
>>> node = NodeTemplate("qif_pop", operators=[op])
>>> circ = CircuitTemplate("qif", nodes={"p": node}, edges=[("p/qif_op/r", "p/qif_op/r_in", None, {"weight": 15.0})])
>>> circ
<CircuitTemplate 'qif': 1 nodes, 1 edges>
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace as dc_replace
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from neurodyn.errors import TemplateError, VariablePathError, close_matches
from neurodyn.lang.terms import replace_term
from neurodyn.lang.variables import Declaration, parse_declaration, parse_number
from neurodyn.lang.yaml_io import BASE_KINDS, TemplateSource, file_reference, resolve

__all__ = ["OperatorTemplate", "NodeTemplate", "EdgeTemplate", "EdgeSpec", "MatrixEdges", "CircuitTemplate",
           "template_from_yaml"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _freeze(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


class _Picklable:
    """Pickling for the frozen template classes: their read-only mappings (``MappingProxyType``, which the
    standard pickle refuses) travel as dicts and are frozen again on load, so templates can be sent to worker
    processes (multiprocessing, Dask) and stored."""

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        proxies = [k for k, v in state.items() if isinstance(v, MappingProxyType)]
        for k in proxies:
            state[k] = dict(state[k])
        state["__frozen_mappings__"] = proxies
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        proxies = set(state.pop("__frozen_mappings__", ()))
        for k, v in state.items():
            object.__setattr__(self, k, MappingProxyType(v) if k in proxies else v)


def _scalar_value(v, old: Declaration, where: str) -> tuple:
    """(value, dtype) of a new value for ``old``: a real or complex number, never silently cast."""
    import numpy as np
    if isinstance(v, str):
        v, dtype = parse_number(v, f"{where}: variable {old.name!r}")
        return (complex(v), "complex") if dtype == "complex" or old.dtype == "complex" else (v, old.dtype)
    arr = np.asarray(v)
    if arr.ndim != 0:
        raise TemplateError(f"{where}: variable {old.name!r} takes one number, got an array of shape {arr.shape}; "
                            f"for one value per node pass it to CircuitTemplate.update_var with an 'all/...' or "
                            f"node path")
    if isinstance(v, (bool, np.bool_)) or arr.dtype.kind not in "iufc":
        raise TemplateError(f"{where}: variable {old.name!r} takes a number, got {v!r}")
    if arr.dtype.kind == "c" or old.dtype == "complex":
        return complex(arr.item()), "complex"
    return float(arr.item()), old.dtype


# ----------------------------------------------------------------------------------------------------- operator
@dataclass(frozen=True, eq=False)
class OperatorTemplate(_Picklable):
    """Equations and their variable declarations.

    Parameters
    ----------
    name : str
        Operator name; variables are addressed as ``node/<name>/variable``.
    equations : list of str or str
    variables : dict
        Name -> declaration (see :mod:`neurodyn.lang.variables`).
    path : str, optional
        Where it was defined (file:line), for error messages.
    """

    name: str
    equations: tuple
    variables: Mapping
    path: str = ""

    def __init__(self, name: str, equations, variables: Mapping, path: str = "", description: str = ""):
        if isinstance(equations, str):
            equations = [equations]
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "equations", tuple(str(e) for e in equations))
        decls = {}
        for vname, raw in dict(variables).items():
            decls[str(vname)] = parse_declaration(str(vname), raw, path or f"operator {name!r}")
        object.__setattr__(self, "variables", MappingProxyType(decls))
        object.__setattr__(self, "path", path)

    @property
    def declarations(self) -> Mapping[str, Declaration]:
        return self.variables

    def update(self, equations=None, variables: Mapping | None = None, name: str | None = None,
               path: str | None = None) -> "OperatorTemplate":
        """Return a new operator with equations replaced/extended and variables updated (PyRates rules).

        ``equations`` may be a list (replaces all), or a dict with ``replace: {old: new}``, ``add: [...]``,
        ``remove: [...]``, ``append: str``, ``prepend: str``.
        """
        where = path or self.path or f"operator {self.name!r}"
        eqs = list(self.equations)
        if equations is not None:
            if isinstance(equations, str):
                eqs = [equations]
            elif isinstance(equations, (list, tuple)):
                eqs = [str(e) for e in equations]
            elif isinstance(equations, Mapping):
                unknown = set(equations) - {"replace", "add", "remove", "append", "prepend"}
                if unknown:
                    raise TemplateError(f"{where}: unknown key(s) {sorted(unknown)} under 'equations'; valid: "
                                        f"replace, add, remove, append, prepend")
                for old, new in dict(equations.get("replace") or {}).items():
                    eqs = [replace_term(e, str(old), str(new)) for e in eqs]
                rem = equations.get("remove") or []
                for old in ([rem] if isinstance(rem, str) else rem):
                    eqs = [replace_term(e, str(old), "") for e in eqs]
                if equations.get("append"):
                    eqs = [f"{e} {equations['append']}" for e in eqs]
                if equations.get("prepend"):
                    eqs = [f"{equations['prepend']} {e}" for e in eqs]
                add = equations.get("add") or []
                eqs += [add] if isinstance(add, str) else [str(a) for a in add]
            else:
                raise TemplateError(f"{where}: 'equations' must be a string, a list or a mapping")
        decls = dict(self.variables)
        for vname, raw in dict(variables or {}).items():
            decls[str(vname)] = parse_declaration(str(vname), raw, where)
        # drop declarations no equation uses any more (as PyRates does after 'replace')
        used = set()
        for e in eqs:
            used.update(_IDENT.findall(e))
        decls = {k: v for k, v in decls.items() if k in used}
        return OperatorTemplate(name or self.name, eqs, decls, path=path if path is not None else self.path)

    def with_values(self, values: Mapping[str, Any]) -> "OperatorTemplate":
        """Return a copy with new default values (keeping each variable's kind)."""
        decls = dict(self.variables)
        for k, v in values.items():
            if k not in decls:
                raise VariablePathError(f"operator {self.name!r} has no variable {k!r}; "
                                        f"{close_matches(k, decls)}")
            old = decls[k]
            decls[k] = Declaration(k, old.kind, *_scalar_value(v, old, f"operator {self.name!r}"), old.unit)
        return OperatorTemplate(self.name, self.equations, decls, path=self.path)

    def structure_key(self) -> tuple:
        """What makes two operators compile to the same code (values excluded)."""
        return (self.name, self.equations,
                tuple(sorted((k, d.kind, d.dtype) for k, d in self.variables.items())))

    def __repr__(self) -> str:
        return f"<OperatorTemplate {self.name!r}: {len(self.equations)} equations, {len(self.variables)} variables>"


# --------------------------------------------------------------------------------------------------------- node
@dataclass(frozen=True, eq=False)
class NodeTemplate(_Picklable):
    """A population: operators whose inputs and outputs connect by variable name.

    An operator's input variable ``x`` receives the sum of the outputs named ``x`` of the node's other
    operators (e.g. a sigmoid operator's input ``v`` sums the ``v`` of two synaptic operators).
    """

    name: str
    operators: tuple
    path: str = ""

    def __init__(self, name: str, operators, path: str = "", description: str = ""):
        ops = []
        if isinstance(operators, Mapping):
            operators = [(k, v) for k, v in operators.items()]
        for op in operators:
            if isinstance(op, tuple):
                op, values = op
                op = op.with_values(values or {}) if values else op
            if not isinstance(op, OperatorTemplate):
                raise TemplateError(f"node {name!r}: operators must be OperatorTemplates, got {type(op).__name__}")
            ops.append(op)
        names = [o.name for o in ops]
        if len(set(names)) != len(names):
            raise TemplateError(f"node {name!r}{' (' + path + ')' if path else ''}: operator names repeat: {names}")
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "operators", tuple(ops))
        object.__setattr__(self, "path", path)

    def operator(self, name: str) -> OperatorTemplate:
        for op in self.operators:
            if op.name == name:
                return op
        raise VariablePathError(f"node {self.name!r} has no operator {name!r}; "
                                f"{close_matches(name, [o.name for o in self.operators])}")

    def with_values(self, values: Mapping[str, Any]) -> "NodeTemplate":
        """Return a copy with ``{'op/var': value}`` defaults changed."""
        per_op: dict[str, dict] = {}
        for path, v in values.items():
            op, _, var = path.partition("/")
            if not var:
                raise VariablePathError(f"node {self.name!r}: {path!r} must be written 'operator/variable'")
            self.operator(op)
            per_op.setdefault(op, {})[var] = v
        ops = [op.with_values(per_op[op.name]) if op.name in per_op else op for op in self.operators]
        return NodeTemplate(self.name, ops, path=self.path)

    def structure_key(self) -> tuple:
        return tuple(op.structure_key() for op in self.operators)

    def __repr__(self) -> str:
        return f"<NodeTemplate {self.name!r}: operators {[o.name for o in self.operators]}>"


@dataclass(frozen=True, eq=False, init=False)
class EdgeTemplate(NodeTemplate):
    """Operators applied to a signal on its way along an edge (e.g. short-term plasticity, a coupling function)."""

    def __repr__(self) -> str:
        return f"<EdgeTemplate {self.name!r}: operators {[o.name for o in self.operators]}>"


#: attributes every edge may have
EDGE_KEYS = ("weight", "delay", "spread")


def _check_edge_keys(data: Mapping, template, where: str) -> None:
    """Every key of an edge's mapping is an edge attribute, or (with an edge template) one of its variables
    written ``template/operator/variable``; anything else is a TemplateError naming the valid keys."""
    tname = getattr(template, "name", None) if template is not None and not isinstance(template, str) else template
    for key in data:
        key = str(key)
        if key in EDGE_KEYS:
            continue
        if tname is not None and key.count("/") == 2 and key.split("/")[0] == str(tname).rpartition(".")[2]:
            if isinstance(template, NodeTemplate):
                _, op, var = key.split("/")
                names = {f"{template.name}/{o.name}/{v}" for o in template.operators for v in o.variables}
                if key not in names:
                    raise TemplateError(f"{where}: edge template {template.name!r} has no variable {key!r}; "
                                        f"{close_matches(key, sorted(names))}")
            continue
        valid = list(EDGE_KEYS) + ([f"{str(tname).rpartition('.')[2]}/<operator>/<variable>"] if tname else [])
        raise TemplateError(f"{where}: unknown edge key {key!r}; valid keys: {', '.join(valid)} "
                            f"({close_matches(key, EDGE_KEYS)})")


@dataclass(frozen=True)
class EdgeSpec(_Picklable):
    """One edge: ``source`` and ``target`` are ``node/operator/variable`` paths.

    ``weight`` scales the source; ``delay`` (model time units) delays it; ``spread`` turns the delay into a
    gamma-distributed one (mean ``delay``, standard deviation ``spread``); ``template`` optionally transforms
    the signal with an :class:`EdgeTemplate`; ``extra`` holds the edge template's variable mappings.
    """

    source: str
    target: str
    template: EdgeTemplate | None = None
    weight: float = 1.0
    delay: float | None = None
    spread: float | None = None
    extra: Mapping = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_tuple(cls, item, where: str = "") -> "EdgeSpec":
        if isinstance(item, EdgeSpec):
            return item
        if not isinstance(item, (list, tuple)) or len(item) not in (2, 3, 4):
            raise TemplateError(f"{where}: an edge is [source, target, edge_template or null, {{weight: ..., "
                                f"delay: ...}}], got {item!r}")
        src, tgt = str(item[0]), str(item[1])
        tmpl = item[2] if len(item) > 2 else None
        if len(item) > 3 and item[3] is not None and not isinstance(item[3], Mapping):
            raise TemplateError(f"{where}: edge {src} -> {tgt}: the fourth entry must be a mapping such as "
                                f"{{weight: 1.0, delay: 0.002}}, got {item[3]!r}")
        data = dict(item[3]) if len(item) > 3 and item[3] else {}
        _check_edge_keys(data, tmpl, f"{where}: edge {src} -> {tgt}")
        w = data.pop("weight", 1.0)
        d = data.pop("delay", None)
        s = data.pop("spread", None)
        try:
            w = float(w)
            d = None if d is None else float(d)
            s = None if s is None else float(s)
        except (TypeError, ValueError):
            raise TemplateError(f"{where}: edge {src} -> {tgt}: weight/delay/spread must be numbers") from None
        if d is not None and d < 0:
            raise TemplateError(f"{where}: edge {src} -> {tgt}: delay {d} is negative")
        if s is not None and s < 0:
            raise TemplateError(f"{where}: edge {src} -> {tgt}: spread {s} is negative")
        return cls(src, tgt, tmpl, w, d, s, MappingProxyType(data))


@dataclass(frozen=True, eq=False)
class MatrixEdges(_Picklable):
    """Many edges at once, as data: ``weights[i, j]`` connects ``sources[j]``'s ``source`` variable to
    ``targets[i]``'s ``target`` input (TVB's [target, source] convention); zero weights are no edges.

    ``source`` / ``target`` are ``operator/variable`` paths inside the nodes; ``delays`` (same shape, model time
    units) are optional. Nothing is unrolled: building 10^6 connections costs one ``numpy.nonzero``.

    Examples
    --------
    >>> import numpy as np
    >>> MatrixEdges("qif_op/r", "qif_op/r_in", ["a", "b"], ["a", "b"], np.array([[0., 1.], [2., 0.]])).n_edges
    2
    """

    source: str
    target: str
    sources: tuple
    targets: tuple
    weights: np.ndarray
    delays: np.ndarray | None = None

    def __init__(self, source: str, target: str, sources, targets, weights, delays=None):
        import numpy as np
        w = np.asarray(weights, dtype=float)
        sources, targets = tuple(str(x) for x in sources), tuple(str(x) for x in targets)
        where = f"matrix edges {source} -> {target}"
        if w.shape != (len(targets), len(sources)):
            raise TemplateError(f"{where}: weights have shape {w.shape}, expected (len(targets), len(sources)) = "
                                f"({len(targets)}, {len(sources)})")
        if not np.all(np.isfinite(w)):
            raise TemplateError(f"{where}: weights contain non-finite values")
        d = None
        if delays is not None:
            d = np.asarray(delays, dtype=float)
            if d.shape != w.shape:
                raise TemplateError(f"{where}: delays have shape {d.shape}, weights {w.shape}")
            if not np.all(np.isfinite(d)) or np.any(d < 0):
                raise TemplateError(f"{where}: delays must be finite and >= 0")
        for name, val in (("source", source), ("target", target)):
            if str(val).count("/") != 1:
                raise TemplateError(f"{where}: {name} must be 'operator/variable', got {val!r}")
        object.__setattr__(self, "source", str(source))
        object.__setattr__(self, "target", str(target))
        object.__setattr__(self, "sources", sources)
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "delays", d)

    @property
    def n_edges(self) -> int:
        return int((self.weights != 0).sum())

    def prefixed(self, prefix: str) -> "MatrixEdges":
        return MatrixEdges(self.source, self.target, [f"{prefix}/{n}" for n in self.sources],
                           [f"{prefix}/{n}" for n in self.targets], self.weights, self.delays)

    def __repr__(self) -> str:
        return (f"<MatrixEdges {self.source} -> {self.target}: {len(self.sources)} -> {len(self.targets)} nodes, "
                f"{self.n_edges} edges{', delayed' if self.delays is not None else ''}>")


# ------------------------------------------------------------------------------------------------------ circuit
@dataclass(frozen=True, eq=False)
class CircuitTemplate(_Picklable):
    """Nodes (and sub-circuits) connected by edges; the unit that is compiled and run.

    Paths: ``node/operator/variable``; with sub-circuits ``sub/node/operator/variable``; ``all/op/var``
    addresses the variable in every node that has it.
    """

    name: str
    nodes: Mapping
    edges: tuple
    circuits: Mapping
    path: str = ""
    matrix_edges: tuple = ()

    def __init__(self, name: str, nodes: Mapping | None = None, edges=None, circuits: Mapping | None = None,
                 path: str = "", description: str = "", matrix_edges=()):
        where = path or f"circuit {name!r}"
        for k, v in dict(nodes or {}).items():
            if not isinstance(v, NodeTemplate):
                raise TemplateError(f"{where}: node {k!r} must be a NodeTemplate, got {type(v).__name__}")
        for k, v in dict(circuits or {}).items():
            if not isinstance(v, CircuitTemplate):
                raise TemplateError(f"{where}: circuit {k!r} must be a CircuitTemplate, got {type(v).__name__}")
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "nodes", _freeze(nodes))
        object.__setattr__(self, "circuits", _freeze(circuits))
        object.__setattr__(self, "edges", tuple(EdgeSpec.from_tuple(e, where) for e in (edges or [])))
        object.__setattr__(self, "path", path)
        for m in matrix_edges:
            if not isinstance(m, MatrixEdges):
                raise TemplateError(f"{where}: matrix_edges must be MatrixEdges, got {type(m).__name__}")
        object.__setattr__(self, "matrix_edges", tuple(matrix_edges))

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_yaml(cls, name: str) -> "CircuitTemplate":
        """Load a circuit by dotted name (``model_templates.neural_mass_models.jansenrit.JRC``), short name
        (``JRC``) or path (``my/file.yaml/MyCircuit``)."""
        tmpl = template_from_yaml(name)
        if isinstance(tmpl, NodeTemplate) and not isinstance(tmpl, EdgeTemplate):
            return cls(tmpl.name, nodes={tmpl.name: tmpl}, path=tmpl.path)
        if not isinstance(tmpl, CircuitTemplate):
            raise TemplateError(f"{name!r} is a {type(tmpl).__name__}, not a circuit or node template")
        return tmpl

    # -- flattening ----------------------------------------------------------------------------------------
    def flat_nodes(self) -> dict[str, NodeTemplate]:
        """All nodes, sub-circuits expanded, keyed by their full name (``sub/node``)."""
        out = dict(self.nodes)
        for cname, circ in self.circuits.items():
            for nname, node in circ.flat_nodes().items():
                out[f"{cname}/{nname}"] = node
        return out

    def flat_edges(self) -> list[EdgeSpec]:
        out = []
        for cname, circ in self.circuits.items():
            for e in circ.flat_edges():
                out.append(dc_replace(e, source=f"{cname}/{e.source}", target=f"{cname}/{e.target}"))
        return out + list(self.edges)

    def flat_matrix_edges(self) -> list[MatrixEdges]:
        out = []
        for cname, circ in self.circuits.items():
            out += [m.prefixed(cname) for m in circ.flat_matrix_edges()]
        return out + list(self.matrix_edges)

    # -- updates ------------------------------------------------------------------------------------------
    def update_var(self, node_vars: Mapping[str, Any] | None = None,
                   edge_vars: list | None = None) -> "CircuitTemplate":
        """Return a new circuit with node variables and edge attributes changed; the template itself is unchanged.

        ``node_vars`` maps paths to values: ``{'p/qif_op/eta': -3.0}``; a path that matches several nodes
        (``all/op/var``) takes one value for all of them or, as in
        PyRates, an array of one value per matched node, in the order of :meth:`flat_nodes`. ``edge_vars`` is
        ``[(source, target, {'weight': 2.0})]``.

        Examples
        --------
        >>> import numpy as np
        >>> c = CircuitTemplate.from_yaml("kmo_2coupled").update_var(node_vars={"all/phase_op/omega": np.array([1.0, 2.0])})
        >>> [n.operator("phase_op").variables["omega"].value for n in c.flat_nodes().values()]
        [1.0, 2.0]
        """
        import numpy as np
        nodes = self.flat_nodes()
        per_node: dict[str, dict] = {}
        for path, value in dict(node_vars or {}).items():
            hits = self._expand_path(path, nodes)
            values = [value] * len(hits)
            if not isinstance(value, str) and np.ndim(value) > 0:
                arr = np.asarray(value)
                if arr.ndim != 1 or arr.shape[0] != len(hits):
                    raise VariablePathError(
                        f"update_var: {path!r} matches {len(hits)} node(s) ({[h[0] for h in hits][:6]}), so it takes "
                        f"one value or an array of {len(hits)} (one per node, in that order); got shape {arr.shape}")
                values = list(arr)
            for (nname, opvar), v in zip(hits, values):
                per_node.setdefault(nname, {})[opvar] = v
        new_nodes = {k: (v.with_values(per_node[k]) if k in per_node else v) for k, v in nodes.items()}
        edges = self.flat_edges()
        for item in edge_vars or []:
            src, tgt, data = item
            hits = [i for i, e in enumerate(edges) if e.source == src and e.target == tgt]
            if not hits:
                raise VariablePathError(f"no edge {src} -> {tgt} in circuit {self.name!r}; edges: "
                                        f"{[(e.source, e.target) for e in edges][:10]}")
            for i in hits:
                unknown = set(data) - {"weight", "delay", "spread"}
                if unknown:
                    raise VariablePathError(f"edge {src} -> {tgt}: unknown attribute(s) {sorted(unknown)}; "
                                            f"valid: weight, delay, spread")
                edges[i] = dc_replace(edges[i], **{k: float(v) for k, v in data.items()})
        return CircuitTemplate(self.name, nodes=new_nodes, edges=edges, path=self.path,
                               matrix_edges=self.flat_matrix_edges())

    def _expand_path(self, path: str, nodes: Mapping[str, NodeTemplate]) -> list[tuple[str, str]]:
        parts = str(path).split("/")
        if len(parts) < 3:
            raise VariablePathError(f"variable path {path!r} must be 'node/operator/variable'")
        node, opvar = "/".join(parts[:-2]), "/".join(parts[-2:])
        op, var = parts[-2], parts[-1]
        if node == "all":
            hits = [(n, opvar) for n, t in nodes.items()
                    if any(o.name == op and var in o.variables for o in t.operators)]
            if not hits:
                raise VariablePathError(f"no node has variable {opvar!r} (from {path!r})")
            return hits
        if node not in nodes:
            raise VariablePathError(f"unknown node {node!r} in {path!r}; {close_matches(node, nodes)}")
        t = nodes[node]
        o = t.operator(op)
        if var not in o.variables:
            raise VariablePathError(f"unknown variable {var!r} in {path!r}; "
                                    f"{close_matches(f'{node}/{op}/{var}', [f'{node}/{op}/{v}' for v in o.variables])}")
        return [(node, opvar)]

    def variable_paths(self) -> list[str]:
        """Every addressable ``node/operator/variable`` path."""
        return [f"{n}/{o.name}/{v}" for n, t in self.flat_nodes().items() for o in t.operators for v in o.variables]

    def template_hash(self) -> str:
        """SHA-256 of the circuit's full definition (structure and values), for provenance."""
        h = hashlib.sha256()
        for n, t in sorted(self.flat_nodes().items()):
            h.update(n.encode())
            for o in t.operators:
                h.update(repr(o.equations).encode())
                h.update(repr(sorted((k, d.kind, repr(d.value)) for k, d in o.variables.items())).encode())
        for e in self.flat_edges():
            h.update(repr((e.source, e.target, e.template.name if e.template else None, e.weight, e.delay,
                           e.spread, sorted(e.extra.items()))).encode())
        for m in self.flat_matrix_edges():
            h.update(repr((m.source, m.target, m.sources, m.targets)).encode())
            h.update(m.weights.tobytes())
            if m.delays is not None:
                h.update(m.delays.tobytes())
        return h.hexdigest()

    def __repr__(self) -> str:
        n_e = len(self.flat_edges()) + sum(m.n_edges for m in self.flat_matrix_edges())
        return f"<CircuitTemplate {self.name!r}: {len(self.flat_nodes())} nodes, {n_e} edges>"


# ------------------------------------------------------------------------------------------------- from YAML
def _base_kind(defn: Mapping, src: TemplateSource, name: str, seen: tuple) -> tuple[str, Any]:
    base = defn.get("base")
    if base is None:
        raise TemplateError(f"{src.where(name)}: template {name!r} has no 'base:'; use one of {BASE_KINDS} "
                            f"or the name of a template to inherit from")
    if base in BASE_KINDS:
        return base, None
    parent = _build(str(base), src, seen + (name,))
    kind = {OperatorTemplate: "OperatorTemplate", EdgeTemplate: "EdgeTemplate", NodeTemplate: "NodeTemplate",
            CircuitTemplate: "CircuitTemplate"}[type(parent)]
    return kind, parent


def _build(ref: str, context: TemplateSource | None, seen: tuple = ()):
    src, name, defn = resolve(ref, context)
    key = (str(src.path), name)
    if key in _CACHE:
        return _CACHE[key]
    if f"{src.path}:{name}" in seen:
        raise TemplateError(f"{src.where(name)}: template {name!r} inherits from itself (chain: {seen})")
    seen = seen + (f"{src.path}:{name}",)
    where = src.where(name)
    if not isinstance(defn, Mapping):
        raise TemplateError(f"{where}: template {name!r} must be a mapping with 'base:' and its fields")
    kind, parent = _base_kind(defn, src, name, seen)
    if kind == "OperatorTemplate":
        if parent is None:
            if "equations" not in defn:
                raise TemplateError(f"{where}: operator {name!r} needs 'equations:'")
            eqs = defn["equations"]
            if isinstance(eqs, Mapping):
                raise TemplateError(f"{where}: operator {name!r} has no parent, so 'equations:' must be a list")
            out = OperatorTemplate(name, eqs, defn.get("variables") or {}, path=where)
        else:
            out = parent.update(equations=defn.get("equations"), variables=defn.get("variables"), name=name,
                                path=where)
    elif kind in ("NodeTemplate", "EdgeTemplate"):
        cls = EdgeTemplate if kind == "EdgeTemplate" else NodeTemplate
        if "operators" in defn:
            ops = []
            raw = defn["operators"]
            items = raw.items() if isinstance(raw, Mapping) else [(o, None) for o in (raw or [])]
            for oname, values in items:
                if isinstance(oname, Mapping):  # list entry written as {name: {var: value}}
                    (oname, values), = oname.items()
                op = _build(str(oname), src, seen)
                if not isinstance(op, OperatorTemplate):
                    raise TemplateError(f"{where}: {oname!r} in 'operators' of {name!r} is not an operator")
                ops.append((op, values if isinstance(values, Mapping) else None))
        else:
            ops = [(o, None) for o in (parent.operators if parent else [])]
        out = cls(name, ops, path=where)
        if defn.get("variables"):
            out = out.with_values(defn["variables"])
    else:  # CircuitTemplate
        nodes = dict(parent.nodes) if parent else {}
        circuits = dict(parent.circuits) if parent else {}
        for nname, nref in dict(defn.get("nodes") or {}).items():
            node = _build(str(nref), src, seen)
            if not isinstance(node, NodeTemplate) or isinstance(node, EdgeTemplate):
                raise TemplateError(f"{where}: node {nname!r} of circuit {name!r} refers to {nref!r}, "
                                    f"which is not a node template")
            nodes[str(nname)] = node
        for cname, cref in dict(defn.get("circuits") or {}).items():
            circ = _build(str(cref), src, seen)
            if not isinstance(circ, CircuitTemplate):
                raise TemplateError(f"{where}: sub-circuit {cname!r} refers to {cref!r}, not a circuit")
            circuits[str(cname)] = circ
        edges = list(parent.edges) if parent else []
        for item in defn.get("edges") or []:
            if isinstance(item, (list, tuple)) and len(item) > 2 and item[2] is not None \
                    and not isinstance(item[2], EdgeTemplate):
                et = _build(str(item[2]), src, seen)
                if not isinstance(et, EdgeTemplate):
                    raise TemplateError(f"{where}: edge template {item[2]!r} is not an EdgeTemplate")
                item = [item[0], item[1], et] + list(item[3:])
            edges.append(EdgeSpec.from_tuple(item, where))
        out = CircuitTemplate(name, nodes=nodes, edges=edges, circuits=circuits, path=where)
        if defn.get("variables"):
            out = out.update_var(node_vars=defn["variables"])
    _CACHE[key] = out
    return out


_CACHE: dict = {}


def template_from_yaml(name: str):
    """Load any template (operator, node, edge or circuit) by name or path.

    A path to a YAML file (``my_model.yaml``) stands for the file's only circuit or, without circuits, its
    only node; otherwise the error lists the names to write (``my_model.yaml/Name``).

    Results are cached per file and name; templates are immutable, so sharing them is safe.
    """
    _CACHE.clear()  # files may have changed between calls; within one call sharing is kept
    return _build(file_reference(str(name)) or str(name), None)
