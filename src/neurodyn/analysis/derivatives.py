"""Exact higher derivatives of a :class:`~neurodyn.analysis.SymbolicSystem`, as needed by continuation and
normal forms: the multilinear forms ``B(u, v)`` and ``C(u, v, w)`` (second and third derivatives of the
right-hand side in the directions u, v, w), the matrix ``d(J v)/dx`` and the parameter derivative
``d(J v)/dp``.

They are built with SymPy from the symbolic right-hand side (directional derivatives, so the expressions grow
with the number of states, not with its cube), lambdified to NumPy with common-subexpression elimination, and
cached per system: building them for Jansen-Rit (8 states) takes ~0.5 s once. Directions may be complex (the
forms are extended complex-multilinearly), as the Hopf normal form needs.

Complex states are handled as in :mod:`neurodyn.analysis.jacobian`: the real coordinates of a complex state z
are ``Re z`` and ``Im z``; with z and z* independent symbols, ``d/d Re z = d/dz + d/dz*`` and
``d/d Im z = i (d/dz - d/dz*)``. The real and imaginary parts of a complex right-hand side g are written
``(g + g~)/2`` and ``(g - g~)/(2i)`` with ``g~`` the conjugate expression (z and z* swapped), so that every
row stays a polynomial-like expression that can be differentiated and extended to complex directions.

Examples
--------
>>> import numpy as np
>>> from neurodyn.analysis import SymbolicSystem
>>> from neurodyn.analysis.derivatives import derivatives
>>> d = derivatives(SymbolicSystem.from_circuit("qif"))      # tau dv/dt contains v^2 - (pi tau r)^2
>>> B = d.B(np.array([0.5, -0.3]), {}, np.array([0.0, 1.0]), np.array([0.0, 1.0]))
>>> B.tolist()                                               # d^2/dv^2 of (v^2 + ...) = 2
[0.0, 2.0]
"""
from __future__ import annotations

import weakref
from typing import Mapping

import numpy as np
import sympy as sp

from neurodyn.errors import AnalysisError, VariablePathError, close_matches

__all__ = ["SystemDerivatives", "derivatives", "parameter_keys"]

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def parameter_keys(system, name: str) -> list:
    """The parameter paths that ``name`` addresses (``all/op/var`` expands to every node), or a typed error
    that says what ``name`` is instead (a state, an edge weight) and lists close matches."""
    if not isinstance(name, str):
        raise VariablePathError(f"a parameter is given by its path 'node/op/var' (a str), got {name!r}")
    if name.startswith("all/"):
        keys = [q for q in system.parameters if "/".join(q.split("/")[-2:]) == name[4:]]
    else:
        keys = [name] if name in system.parameters else []
    if keys:
        return keys
    if name in system.labels or name in getattr(system, "state_paths", ()):
        raise VariablePathError(f"{name!r} is a state of {system.ir.name!r}, not a parameter; parameters are "
                                f"the constants and input defaults: {close_matches(name, system.parameters)}")
    raise VariablePathError(
        f"{name!r} is not a parameter of {system.ir.name!r}; {close_matches(name, system.parameters)}. "
        f"(Edge weights are numbers in the IR: to scan one, change it on the template with "
        f"circuit.update_var(edge_vars=...) or make it a constant of an operator.)")


class SystemDerivatives:
    """Second and third derivatives of ``f(x; p)`` of a :class:`SymbolicSystem` (exact, lambdified lazily).

    All methods take the real state ``x`` (coordinates :attr:`SymbolicSystem.labels`) and ``params``
    ({path: value}, as for :meth:`SymbolicSystem.f`).
    """

    def __init__(self, system):
        self.system = system
        self.n = len(system.labels)
        xsyms, psyms = system._args()
        self._xsyms, self._psyms = list(xsyms), list(psyms)
        # real coordinates: (kind, symbol, conjugate symbol)
        coords = []
        for k, (_, _, _, _, c) in enumerate(system._states):
            z, zc = system._xs[k], system._xcs[k]
            coords += [("re", z, zc), ("im", z, zc)] if c else [("x", z, None)]
        self._coords = coords
        self._rows = self._real_rows()
        self._dirs = [[sp.Symbol(f"D{m}_{k}") for k in range(self.n)] for m in range(3)]
        self._fn: dict = {}

    # --------------------------------------------------------------------------------------- symbolic
    def _real_rows(self) -> list:
        s = self.system
        if not s.cplx:
            return list(s.rhs)
        swap = {}
        for z, zc in zip(s._xs, s._xcs):
            if zc is not None:
                swap[sp.conjugate(z)] = zc
                swap[sp.conjugate(zc)] = z
        rows = []
        for g, (_, _, _, _, c) in zip(s.rhs, s._states):
            gt = sp.conjugate(g).xreplace(swap)
            if gt.has(sp.conjugate):
                raise AnalysisError(f"higher derivatives of the complex right-hand side {g} are not available: "
                                    f"its conjugate cannot be written without conj(); normal-form coefficients "
                                    f"need a polynomial or analytic form in z and z*")
            rows.append((g + gt) / 2)
            if c:
                rows.append((g - gt) / (2 * sp.I))
        return rows

    def _partial(self, e: sp.Expr, k: int) -> sp.Expr:
        kind, z, zc = self._coords[k]
        if kind == "x":
            return sp.diff(e, z)
        dz, dzc = sp.diff(e, z), sp.diff(e, zc)
        return dz + dzc if kind == "re" else sp.I * (dz - dzc)

    def _directional(self, e: sp.Expr, D) -> sp.Expr:
        from neurodyn.analysis.jacobian import _strip_distributions
        return _strip_distributions(sp.Add(*[self._partial(e, k) * D[k] for k in range(self.n)]))

    def _lambdify(self, key, exprs, ndir: int):
        if key not in self._fn:
            args = [self._xsyms, self._psyms] + [self._dirs[m] for m in range(ndir)]
            self._fn[key] = sp.lambdify(args, exprs, modules="numpy", cse=True)
        return self._fn[key]

    def _forms(self):
        if "J1" not in self._fn:
            D1, D2, D3 = self._dirs
            J1 = [self._directional(e, D1) for e in self._rows]
            B = [self._directional(e, D2) for e in J1]
            C = [self._directional(e, D3) for e in B]
            self._sym = {"B": B, "C": C}
            self._fn["J1"] = True
        return self._sym

    # --------------------------------------------------------------------------------------- numerics
    def _call(self, fn, x, params, *dirs, shape=()) -> np.ndarray:
        s = self.system
        xv, pv = s._xvec(x), s._pvec(params)
        vals = fn(xv, pv, *[list(d) for d in dirs])
        # every row is real-valued for real directions (complex states enter through (g + g~)/2 etc.)
        cplx = any(np.iscomplexobj(d) for d in dirs)
        out = np.array([np.broadcast_to(np.asarray(v, dtype=complex), shape) for v in vals])
        if not cplx:
            return out.real.copy()
        return out

    def _vec(self, v, what: str) -> np.ndarray:
        v = np.asarray(v)
        if v.shape[:1] != (self.n,):
            raise AnalysisError(f"{what} has shape {v.shape}; expected ({self.n},) for {self.system.labels}")
        return v

    def B(self, x, params: Mapping | None, u, v) -> np.ndarray:
        """Second derivative ``B(u, v) = sum_jk d^2 f / dx_j dx_k u_j v_k`` (complex-bilinear)."""
        fn = self._lambdify("B", self._forms()["B"], 2)
        return self._call(fn, x, params, self._vec(u, "u"), self._vec(v, "v"))

    def C(self, x, params: Mapping | None, u, v, w) -> np.ndarray:
        """Third derivative ``C(u, v, w)`` (complex-trilinear)."""
        fn = self._lambdify("C", self._forms()["C"], 3)
        return self._call(fn, x, params, self._vec(u, "u"), self._vec(v, "v"), self._vec(w, "w"))

    def dJv_dx(self, x, params: Mapping | None, v) -> np.ndarray:
        """The matrix ``d(J(x) v)/dx`` (column k is ``B(e_k, v)``), shape (n, n)."""
        fn = self._lambdify("B", self._forms()["B"], 2)
        eye = np.eye(self.n)
        v = self._vec(v, "v")
        return self._call(fn, x, params, list(eye), v, shape=(self.n,))

    def dJv_dp(self, x, params: Mapping | None, v, name: str) -> np.ndarray:
        """``d(J(x; p) v)/dp`` for parameter ``name`` (``all/op/var`` sums over the nodes)."""
        keys = parameter_keys(self.system, name)
        v = self._vec(v, "v")
        total = 0
        for q in keys:
            key = ("Jp", q)
            if key not in self._fn:
                P = self.system._psyms[q]
                from neurodyn.analysis.jacobian import _strip_distributions
                exprs = [self._directional(_strip_distributions(sp.diff(e, P)), self._dirs[0]) for e in self._rows]
                self._lambdify(key, exprs, 1)
            total = total + self._call(self._fn[key], x, params, v)
        return total

    def dfdp(self, x, params: Mapping | None, name: str) -> np.ndarray:
        """``df/dp`` for parameter ``name`` (``all/op/var`` sums over the nodes)."""
        return sum(self.system.dfdp(x, q, params) for q in parameter_keys(self.system, name))

    def prepare(self, parameters=()) -> "SystemDerivatives":
        """Build every form now (and the parameter derivatives of ``parameters``), e.g. before timing."""
        x = self.system.x0
        z = np.zeros(self.n)
        self.B(x, None, z, z)
        self.C(x, None, z, z, z)
        for p in parameters:
            self.dJv_dp(x, None, z, p)
            self.dfdp(x, None, p)
        return self

    def __repr__(self) -> str:
        built = sorted(str(k) for k in self._fn if k != "J1")
        return f"<SystemDerivatives of {self.system!r}; built: {built}>"


def derivatives(system) -> SystemDerivatives:
    """The (cached) :class:`SystemDerivatives` of ``system``."""
    d = _CACHE.get(system)
    if d is None:
        d = _CACHE[system] = SystemDerivatives(system)
    return d
