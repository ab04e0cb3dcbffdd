"""The right-hand side of a circuit as one symbolic system, its analytic Jacobian, and the homogeneous state
of a network with row-normalised connectivity.

:class:`SymbolicSystem` is built from the IR (:func:`neurodyn.ir.build_ir`): every algebraic quantity and input
(intra-node links, instantaneous projections with their weights, input defaults, driven inputs, parameter
values) is substituted into the state derivatives, so that ``dx/dt = f(x; p)`` is one closed SymPy expression
per state. ``f`` and its exact Jacobian ``df/dx`` are lambdified to NumPy. Parameters (constants and input
defaults) stay symbols, addressed by their path ``node/op/var``, so fixed points and continuation can change
them without re-deriving anything. Edge weights are numbers of the IR: change them on the template
(``circuit.update_var(edge_vars=...)``) and build a new system.

Complex states (e.g. the Kuramoto order parameter z of ``kmo_theta``) are handled with Wirtinger calculus:
z and its conjugate z* are independent symbols (``Abs(w) -> sqrt(w w*)``, ``re(w) -> (w + w*)/2``,
``im(w) -> (w - w*)/(2i)``), ``D = df/dz`` and ``C = df/dz*`` are exact symbolic derivatives, and the
real Jacobian in the coordinates (Re z, Im z) is ``d f/d Re z = D + C``, ``d f/d Im z = i (D - C)``, whose
real and imaginary parts give the rows for Re f and Im f. The real state vector lists each complex state
as two entries ``path.re``, ``path.im``.

Examples
--------
>>> from neurodyn.analysis import SymbolicSystem
>>> sys_ = SymbolicSystem.from_circuit("qif")
>>> sys_.labels
['p/qif_op/r', 'p/qif_op/v']
>>> import numpy as np
>>> J = sys_.jacobian(np.array([0.5, -0.3]))
>>> round(float(np.trace(J)), 6)                 # trace 4 v / tau
-1.2
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import sympy as sp

from neurodyn.errors import AnalysisError, InputError, VariablePathError, close_matches
from neurodyn.ir import CircuitIR, build_ir

__all__ = ["AnalysisError", "SymbolicSystem", "homogeneous_node", "network_linearisation",
           "NetworkLinearisation"]


def _is_complex_value(v) -> bool:
    return np.iscomplexobj(v) and np.any(np.imag(v) != 0)


def _wirtinger_ready(e: sp.Expr) -> sp.Expr:
    """Rewrite non-holomorphic functions with conjugates, so that z and z* can be treated as independent."""
    rules = {
        sp.Abs: lambda a: sp.sqrt(a * sp.conjugate(a)),
        sp.re: lambda a: (a + sp.conjugate(a)) / 2,
        sp.im: lambda a: (a - sp.conjugate(a)) / (2 * sp.I),
    }
    for fn, rule in rules.items():
        e = e.replace(lambda x, fn=fn: isinstance(x, fn), lambda x, rule=rule: rule(x.args[0]))
    return e


def _strip_distributions(e: sp.Expr) -> sp.Expr:
    """Derivatives of Heaviside/sign/Abs produce DiracDelta: zero almost everywhere."""
    return e.replace(lambda x: isinstance(x, sp.DiracDelta), lambda x: sp.Integer(0))


class SymbolicSystem:
    """``dx/dt = f(x; p)`` of a circuit, with its exact Jacobian, as NumPy functions.

    Build with :meth:`from_circuit` (template, name or NodeTemplate) or :meth:`from_ir`.

    Attributes
    ----------
    labels : list of str
        Real state coordinates, ``node/op/var`` (``.re``/``.im`` suffixes for complex states).
    parameters : dict {path: value}
        Current parameter values (constants and input defaults; driven inputs as constant drives, default 0).
    x0 : ndarray
        The template's initial state in these coordinates.
    """

    def __init__(self, ir: CircuitIR, params: Mapping | None = None, time: float = 0.0, delays: str = "raise"):
        if delays not in ("raise", "instantaneous"):
            raise AnalysisError(f"delays must be 'raise' or 'instantaneous', got {delays!r}")
        if ir.has_delays and delays == "raise":
            raise AnalysisError(
                f"circuit {ir.name!r} has delayed edges; the Jacobian of a delay system is not a matrix. Pass "
                f"delays='instantaneous' to analyse the system with all delays set to zero (fixed points are "
                f"unchanged; their stability may differ).")
        self.ir = ir
        self._build(time)
        self.parameters = dict(self._pdefault)
        if params:
            self.set_parameters(params)
        self._lambdify()

    # ----------------------------------------------------------------------------------------- building
    @classmethod
    def from_ir(cls, ir: CircuitIR, params: Mapping | None = None, **kwargs) -> "SymbolicSystem":
        return cls(ir, params, **kwargs)

    @classmethod
    def from_circuit(cls, circuit, params: Mapping | None = None, driven: Sequence[str] = (),
                     **kwargs) -> "SymbolicSystem":
        """Build from a CircuitTemplate, NodeTemplate or template name.

        ``driven`` lists input paths to expose as constant drive parameters (value 0 unless set in ``params``),
        e.g. a long-range coupling input.
        """
        from neurodyn.simulate import resolve_circuit
        return cls(build_ir(resolve_circuit(circuit), driven=tuple(driven)), params, **kwargs)

    def _build(self, time: float) -> None:
        ir = self.ir
        self.cplx = bool(ir.complex_system)
        tsym = sp.Symbol("t_", real=True)
        self._tvalue = float(time)
        states = []          # (gi, i, sym, path, complex?)
        for gi, g in enumerate(ir.groups):
            for v in g.variables:
                if v.kind == "state":
                    for i, node in enumerate(g.nodes):
                        states.append((gi, i, v.sym, f"{node}/{v.path}", v.dtype == "complex"))
        # parameter symbols: constants and input defaults (path -> symbol); complex constants become numbers
        psyms, pdefault, const_num = {}, {}, {}
        for gi, g in enumerate(ir.groups):
            for v in g.variables:
                if v.kind == "constant" or (v.kind == "input" and (v.uses_default or v.driven)):
                    for i, node in enumerate(g.nodes):
                        val = g.values[v.sym][i] if not (v.driven and not v.uses_default) else 0.0
                        path = f"{node}/{v.path}"
                        if _is_complex_value(val):
                            const_num[(gi, i, v.sym)] = sp.sympify(complex(val))
                            continue
                        psyms[path] = sp.Symbol(f"P{len(psyms)}", real=True)
                        pdefault[path] = float(np.real(val))
        xs, xcs = [], []
        for k, (gi, i, sym, path, c) in enumerate(states):
            if c:
                xs.append(sp.Symbol(f"Z{k}"))
                xcs.append(sp.Symbol(f"Zc{k}"))
            else:
                xs.append(sp.Symbol(f"X{k}", real=True))
                xcs.append(None)
        state_of = {(gi, i, sym): k for k, (gi, i, sym, _, _) in enumerate(states)}
        into: dict = {}
        for p in ir.projections:
            into.setdefault(p.target, []).append(p)
        memo: dict = {}
        visiting: list = []   # derived values being expanded: meeting one again is an algebraic loop

        def value(gi: int, i: int, sym: str) -> sp.Expr:
            key = (gi, i, sym)
            if key in memo:
                return memo[key]
            if key in visiting:
                cyc = visiting[visiting.index(key):] + [key]
                names = " -> ".join(f"{ir.groups[g].nodes[n]}/{ir.groups[g].var(v).path}" for g, n, v in cyc)
                raise AnalysisError(f"derived variables form an algebraic loop when the edge delays are set to "
                                    f"zero: {names}. The delay-free system is not defined; analyse the circuit "
                                    f"with a state variable (e.g. a synaptic filter) in the loop.")
            visiting.append(key)
            try:
                e = _value(gi, i, sym, key)
            finally:
                visiting.pop()
            memo[key] = e
            return e

        def _value(gi: int, i: int, sym: str, key: tuple) -> sp.Expr:
            g = ir.groups[gi]
            v = g.var(sym)
            node = g.nodes[i]
            if v.kind == "state":
                e = xs[state_of[key]]
            elif key in const_num:
                e = const_num[key]
            elif v.kind == "constant":
                e = psyms[f"{node}/{v.path}"]
            elif v.kind == "algebraic":
                sub = {}
                for s in v.expr.free_symbols:
                    sub[s] = tsym if str(s) == "t" else value(gi, i, str(s))
                e = v.expr.xreplace(sub)
            else:  # input
                terms = []
                if v.uses_default or v.driven:
                    terms.append(psyms.get(f"{node}/{v.path}", const_num.get(key, sp.Integer(0))))
                terms += [value(gi, i, l) for l in v.links]
                for p in into.get((gi, sym), []):
                    for r, c, w in zip(p.rows, p.cols, p.weights):
                        if r == i:
                            terms.append(sp.Float(float(w)) * value(p.source[0], int(c), p.source[1]))
                e = sp.Add(*terms) if terms else sp.Integer(0)
            return e

        self._value = value
        rhs = [ir.groups[gi].var(sym).expr.xreplace({s: (tsym if str(s) == "t" else value(gi, i, str(s)))
                                                      for s in ir.groups[gi].var(sym).expr.free_symbols})
               for (gi, i, sym, _, _) in states]
        self._states = states
        self._xs, self._xcs = xs, xcs
        self._psyms, self._pdefault = psyms, pdefault
        self._tsym = tsym
        self.state_paths = [s[3] for s in states]
        labels, x0 = [], []
        for (gi, i, sym, path, c) in states:
            val = ir.groups[gi].values[sym][i]
            if c:
                labels += [f"{path}.re", f"{path}.im"]
                x0 += [float(np.real(val)), float(np.imag(val))]
            else:
                labels.append(path)
                x0.append(float(np.real(val)))
        self.labels = labels
        self.x0 = np.array(x0, dtype=float)
        if self.cplx:
            conj = {sp.conjugate(z): zc for z, zc in zip(xs, xcs) if zc is not None}
            rhs = [_wirtinger_ready(e).xreplace(conj) for e in rhs]
            left = [e for e in rhs if e.has(sp.conjugate)]
            if left:
                raise AnalysisError(f"cannot separate z and conj(z) in {left[0]}")
        self.rhs = rhs

    # ----------------------------------------------------------------------------------------- numerics
    def _args(self):
        syms = [s for s in self._xs] + [s for s in self._xcs if s is not None]
        return syms, list(self._psyms.values()) + [self._tsym]

    def _lambdify(self) -> None:
        xsyms, psyms = self._args()
        self._f = sp.lambdify([xsyms, psyms], self.rhs, modules="numpy", cse=True)
        D = [[_strip_distributions(sp.diff(e, s)) for s in xsyms] for e in self.rhs]
        self._D = sp.lambdify([xsyms, psyms], D, modules="numpy", cse=True)
        self._dp_cache: dict = {}
        self._expr_cache: dict = {}

    def _expand(self, key: str) -> list:
        if key.startswith("all/"):
            keys = [q for q in self.parameters if "/".join(q.split("/")[-2:]) == key[4:]]
        else:
            keys = [key] if key in self.parameters else []
        if not keys:
            raise VariablePathError(f"unknown parameter {key!r}; {close_matches(key, self.parameters)}")
        return keys

    def _pvec(self, params: Mapping | None) -> list:
        vals = dict(self.parameters)
        for k, v in dict(params or {}).items():
            for q in self._expand(k):
                vals[q] = float(v)
        return [vals[k] for k in self._psyms] + [self._tvalue]

    def _xvec(self, x) -> list:
        x = np.asarray(x, dtype=float)
        if x.shape != (len(self.labels),):
            raise AnalysisError(f"state vector has shape {x.shape}; expected ({len(self.labels)},) for "
                                f"{self.labels}")
        out, cs, j = [], [], 0
        for (_, _, _, _, c) in self._states:
            if c:
                z = complex(x[j], x[j + 1])
                out.append(z)
                cs.append(z.conjugate())
                j += 2
            else:
                out.append(float(x[j]) + (0j if self.cplx else 0.0))
                j += 1
        return out + cs

    def set_parameters(self, params: Mapping) -> None:
        """Change parameter values in place (``{path: value}``; ``all/op/var`` sets every node)."""
        for k, v in dict(params).items():
            if _is_complex_value(v) or not np.isfinite(v):
                raise InputError(f"parameter {k!r} must be real and finite, got {v!r}")
            for q in self._expand(k):
                self.parameters[q] = float(v)

    def _rows(self, vals) -> np.ndarray:
        """Complex per-state values -> real coordinates."""
        out = []
        for v, (_, _, _, _, c) in zip(vals, self._states):
            if c:
                out += [np.real(v), np.imag(v)]
            else:
                out.append(np.real(v))
        return np.array(out, dtype=float)

    def f(self, x, params: Mapping | None = None) -> np.ndarray:
        """dx/dt at state ``x`` (real coordinates, see :attr:`labels`)."""
        vals = self._f(self._xvec(x), self._pvec(params))
        return self._rows(np.broadcast_arrays(*[np.asarray(v, dtype=complex if self.cplx else float)
                                                for v in vals]))

    __call__ = f

    def jacobian(self, x, params: Mapping | None = None) -> np.ndarray:
        """Exact Jacobian ``df/dx`` at ``x`` in real coordinates, shape (n, n)."""
        D = np.array(self._D(self._xvec(x), self._pvec(params)), dtype=complex if self.cplx else float)
        if not self.cplx:
            return D
        n = len(self._states)
        cols = []
        zc_col = {}
        j = n
        for k, (_, _, _, _, c) in enumerate(self._states):
            if c:
                zc_col[k] = j
                j += 1
        for k, (_, _, _, _, c) in enumerate(self._states):
            if c:
                a, b = D[:, k], D[:, zc_col[k]]
                cols += [a + b, 1j * (a - b)]
            else:
                cols.append(D[:, k])
        C = np.stack(cols, axis=1)          # complex rows per state, real columns
        rows = []
        for k, (_, _, _, _, c) in enumerate(self._states):
            rows.append(np.real(C[k]))
            if c:
                rows.append(np.imag(C[k]))
        return np.array(rows)

    def dfdp(self, x, name: str, params: Mapping | None = None) -> np.ndarray:
        """Exact derivative ``df/dp`` of the right-hand side with respect to parameter ``name``."""
        if name not in self._psyms:
            raise VariablePathError(f"unknown parameter {name!r}; {close_matches(name, self._psyms)}")
        if name not in self._dp_cache:
            xsyms, psyms = self._args()
            d = [_strip_distributions(sp.diff(e, self._psyms[name])) for e in self.rhs]
            self._dp_cache[name] = sp.lambdify([xsyms, psyms], d, modules="numpy", cse=True)
        vals = self._dp_cache[name](self._xvec(x), self._pvec(params))
        return self._rows(np.broadcast_arrays(*[np.asarray(v, dtype=complex if self.cplx else float)
                                                for v in vals]))

    def expression(self, path: str) -> sp.Expr:
        """The closed-form SymPy expression of any variable ``node/op/var`` in terms of the state symbols."""
        hits = self.ir.find(path)
        if len(hits) != 1:
            raise VariablePathError(f"{path!r} must name one variable of one node")
        gi, i, v, _ = hits[0]
        e = self._value(gi, i, v.sym)
        if self.cplx:
            conj = {sp.conjugate(z): zc for z, zc in zip(self._xs, self._xcs) if zc is not None}
            e = _wirtinger_ready(e).xreplace(conj)
        return e

    def evaluate(self, path: str, x, params: Mapping | None = None, gradient: bool = False):
        """Value of variable ``path`` at state ``x`` (and its real gradient with respect to x)."""
        if path not in self._expr_cache:
            e = self.expression(path)
            xsyms, psyms = self._args()
            g = [_strip_distributions(sp.diff(e, s)) for s in xsyms]
            self._expr_cache[path] = (sp.lambdify([xsyms, psyms], e, modules="numpy"),
                                      sp.lambdify([xsyms, psyms], g, modules="numpy"))
        fe, fg = self._expr_cache[path]
        xv, pv = self._xvec(x), self._pvec(params)
        val = complex(fe(xv, pv)) if self.cplx else float(fe(xv, pv))
        if not gradient:
            return val
        D = np.array(fg(xv, pv), dtype=complex)
        grad, n = [], len(self._states)
        zc = {}
        for k, (_, _, _, _, c) in enumerate(self._states):
            if c:
                zc[k] = n + len(zc)
        for k, (_, _, _, _, c) in enumerate(self._states):
            if c:
                a, b = D[k], D[zc[k]]
                grad += [a + b, 1j * (a - b)]
            else:
                grad.append(D[k])
        grad = np.array(grad)
        return val, (grad if self.cplx and np.any(np.imag(grad) != 0) else np.real(grad))

    def state_dict(self, x) -> dict:
        """{label: value} for a state vector."""
        return dict(zip(self.labels, np.asarray(x, dtype=float)))

    def __repr__(self) -> str:
        return (f"<SymbolicSystem {self.ir.name!r}: {len(self.labels)} real states"
                f"{' (complex split)' if self.cplx else ''}, {len(self.parameters)} parameters>")


# ------------------------------------------------------------------------------------------------- networks
def _node_and_couplings(node, couplings):
    from neurodyn.network.builder import Coupling, node_template
    nt = node_template(node)
    cs = (couplings,) if isinstance(couplings, Coupling) else tuple(couplings)
    if not cs:
        raise AnalysisError("give at least one Coupling")
    return nt, cs


def homogeneous_node(node, couplings, name: str = "node"):
    """The single self-coupled node that the homogeneous state of a network reduces to.

    In a network ``u_n = gain sum_m W_nm h(x_m)`` with row-normalised ``W`` (``sum_m W_nm = 1``), the
    synchronous manifold ``x_n = x`` is invariant and on it ``u_n = gain h(x)``: one node whose coupling
    input receives its own source with weight ``gain``. For ``ei_ping_pop`` with
    ``Coupling('ei_ping_op/s_e', 'ei_ping_op/s_net')`` this is ``J_ee -> J_ee + eps``, ``J_ie -> J_ie + eps``.

    Parameters
    ----------
    node : NodeTemplate or template name
    couplings : Coupling or list of Coupling (as given to :class:`~neurodyn.network.BrainNetwork`)

    Returns
    -------
    CircuitTemplate with one node called ``name``.

    Examples
    --------
    >>> from neurodyn.network import Coupling
    >>> c = homogeneous_node("ei_ping_pop", Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    >>> c
    <CircuitTemplate 'homogeneous_ei_ping_pop': 1 nodes, 1 edges>
    """
    from neurodyn.lang.templates import CircuitTemplate
    nt, cs = _node_and_couplings(node, couplings)
    edges = [(f"{name}/{c.source}", f"{name}/{c.target}", None, {"weight": float(c.gain)}) for c in cs]
    return CircuitTemplate(f"homogeneous_{nt.name}", nodes={name: nt}, edges=edges)


@dataclass
class NetworkLinearisation:
    """Linearisation of a row-normalised network around a homogeneous state ``x``.

    Each eigenvalue ``Lambda`` of the connectivity ``W`` gives a mode ``d xi/dt = (DF + Lambda B) xi``.
    ``DF`` is the Jacobian of one node with its coupling input frozen at ``gain h(x)``; ``B`` the coupling
    matrix ``sum_c gain_c (df/du_c) (dh_c/dx)^T`` (it contains the global coupling if the template
    multiplies its input by one, e.g. ``eps`` of ``ei_ping``). ``DF + B`` (Lambda = 1) is the Jacobian of
    :func:`homogeneous_node`.
    """

    x: np.ndarray
    DF: np.ndarray
    B: np.ndarray
    labels: list

    def mode_matrix(self, Lambda: complex) -> np.ndarray:
        return self.DF + Lambda * self.B

    def mode_eigenvalues(self, Lambdas) -> np.ndarray:
        """Eigenvalues of every mode, shape (len(Lambdas), n)."""
        return np.array([np.linalg.eigvals(self.mode_matrix(L)) for L in np.atleast_1d(Lambdas)])


class _NodeLinearizer:
    def __init__(self, node, couplings, params=None):
        from neurodyn.lang.templates import CircuitTemplate
        self.node, self.couplings = _node_and_couplings(node, couplings)
        circ = CircuitTemplate(f"isolated_{self.node.name}", nodes={"node": self.node})
        targets = sorted({c.target for c in self.couplings})
        self.system = SymbolicSystem.from_circuit(circ, params=params, driven=[f"node/{t}" for t in targets])
        self.targets = targets

    def __call__(self, x, params=None) -> NetworkLinearisation:
        s = self.system
        x = np.asarray(x, dtype=float)
        u = {f"node/{t}": 0.0 for t in self.targets}
        grads = []
        for c in self.couplings:
            h, gh = s.evaluate(f"node/{c.source}", x, params, gradient=True)
            u[f"node/{c.target}"] += c.gain * float(np.real(h))
            grads.append(gh)
        pars = dict(params or {})
        pars.update(u)
        DF = s.jacobian(x, pars)
        B = np.zeros_like(DF)
        for c, gh in zip(self.couplings, grads):
            B = B + c.gain * np.outer(s.dfdp(x, f"node/{c.target}", pars), np.real(gh))
        return NetworkLinearisation(x, DF, B, list(s.labels))


def network_linearisation(node, couplings, x, params: Mapping | None = None) -> NetworkLinearisation:
    """DF(x) and the coupling matrix B at a homogeneous state ``x`` (states ordered as
    :func:`homogeneous_node`'s system; parameters named ``node/op/var``). See :class:`NetworkLinearisation`.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodyn.network import Coupling
    >>> lin = network_linearisation("ei_ping_pop", Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"),
    ...                             np.full(6, 0.1), params={"node/ei_ping_op/eps": 2.0})
    >>> lin.B.shape, float(lin.B[1, 2])           # dv_e'/ds_e through the coupling: eps
    ((6, 6), 2.0)
    """
    return _NodeLinearizer(node, couplings, params)(x, params)
