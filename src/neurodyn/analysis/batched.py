"""A :class:`~neurodyn.analysis.SymbolicSystem` evaluated at many states at once.

Collocation, Floquet and master-stability computations need ``f``, its Jacobian ``df/dx``, ``df/dp`` and
coupling outputs at hundreds of points of an orbit per Newton step. :class:`BatchedSystem` calls the same
lambdified SymPy expressions as :class:`~neurodyn.analysis.SymbolicSystem` once with arrays instead of once
per point (parameters may also be arrays, one value per point), and returns stacked arrays. Complex states
are split into real coordinates exactly as the pointwise methods do (Wirtinger calculus).

Examples
--------
>>> import numpy as np
>>> from neurodyn.analysis import SymbolicSystem, BatchedSystem
>>> s = SymbolicSystem.from_circuit("qif")
>>> b = BatchedSystem(s)
>>> X = np.array([[0.5, -0.3], [1.0, 0.2]])
>>> b.jacobian(X).shape
(2, 2, 2)
>>> bool(np.allclose(b.f(X)[1], s.f(X[1])))
True
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import sympy as sp

from neurodyn.analysis.jacobian import AnalysisError, SymbolicSystem, _strip_distributions
from neurodyn.errors import InputError, VariablePathError, close_matches

__all__ = ["BatchedSystem"]


class BatchedSystem:
    """Vectorised ``f``, Jacobian, ``df/dp`` and variable values of a :class:`SymbolicSystem`.

    Parameters
    ----------
    system : SymbolicSystem

    Notes
    -----
    States are arrays of shape ``(k, n)`` (``n = len(system.labels)``); ``params`` maps parameter paths to a
    float or an array of shape ``(k,)`` (one value per state). Results: ``f`` (k, n), ``jacobian``
    (k, n, n), ``dfdp`` (k, n), ``evaluate`` (k,) and gradient (k, n).
    """

    def __init__(self, system: SymbolicSystem):
        if not isinstance(system, SymbolicSystem):
            raise InputError(f"BatchedSystem needs a SymbolicSystem, got {type(system).__name__}")
        self.system = system
        self.labels = list(system.labels)
        self.n = len(self.labels)
        self._dp: dict = {}
        self._expr: dict = {}

    def __repr__(self) -> str:
        return f"<BatchedSystem of {self.system!r}>"

    # --------------------------------------------------------------------------------------------- helpers
    def _states(self, X) -> tuple[list, int]:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n:
            raise AnalysisError(f"states must have shape (k, {self.n}) for {self.labels}; got {X.shape}")
        s = self.system
        out, cs, j = [], [], 0
        for (_, _, _, _, c) in s._states:
            if c:
                z = X[:, j] + 1j * X[:, j + 1]
                out.append(z)
                cs.append(np.conj(z))
                j += 2
            else:
                out.append(X[:, j] + 0j if s.cplx else X[:, j])
                j += 1
        return out + cs, X.shape[0]

    def _params(self, params: Mapping | None, k: int) -> list:
        s = self.system
        vals = dict(s.parameters)
        for name, v in dict(params or {}).items():
            a = np.asarray(v, dtype=float) if not np.iscomplexobj(v) else None
            if a is None or not np.all(np.isfinite(a)):
                raise InputError(f"parameter {name!r} must be real and finite, got {v!r}")
            if a.ndim > 1 or (a.ndim == 1 and a.shape[0] != k):
                raise InputError(f"parameter {name!r}: give a float or an array of shape ({k},), got {a.shape}")
            for q in s._expand(name):
                vals[q] = a if a.ndim else float(a)
        return [vals[q] for q in s._psyms] + [s._tvalue]

    def _stack(self, vals, k: int) -> np.ndarray:
        out = np.empty((len(vals), k), dtype=complex if self.system.cplx else float)
        for i, v in enumerate(vals):
            out[i] = v                                   # broadcasts scalars (constant entries)
        return out

    def _rows(self, V: np.ndarray) -> np.ndarray:
        """(n_states, ...) per-state values -> (n, ...) real coordinates."""
        out = []
        for v, (_, _, _, _, c) in zip(V, self.system._states):
            if c:
                out += [v.real, v.imag]
            else:
                out.append(v.real)
        return np.array(out, dtype=float)

    def _real_columns(self, D: np.ndarray) -> np.ndarray:
        """Derivatives w.r.t. (z, z*) symbols (..., n_syms) -> w.r.t. real coordinates (..., n)."""
        s = self.system
        if not s.cplx:
            return D
        nst = len(s._states)
        zc, j = {}, nst
        for q, (_, _, _, _, c) in enumerate(s._states):
            if c:
                zc[q] = j
                j += 1
        cols = []
        for q, (_, _, _, _, c) in enumerate(s._states):
            if c:
                a, b = D[..., q], D[..., zc[q]]
                cols += [a + b, 1j * (a - b)]
            else:
                cols.append(D[..., q])
        return np.stack(cols, axis=-1)

    # ----------------------------------------------------------------------------------------- evaluation
    def f(self, X, params: Mapping | None = None) -> np.ndarray:
        """dx/dt at every row of ``X``, shape (k, n)."""
        xv, k = self._states(X)
        V = self._stack(self.system._f(xv, self._params(params, k)), k)
        return self._rows(V).T

    def jacobian(self, X, params: Mapping | None = None) -> np.ndarray:
        """Exact Jacobians ``df/dx`` at every row of ``X``, shape (k, n, n)."""
        xv, k = self._states(X)
        D = self.system._D(xv, self._params(params, k))
        D = np.stack([self._stack(row, k) for row in D])           # (n_states, n_syms, k)
        C = self._real_columns(np.moveaxis(D, 2, 0))                # (k, n_states, n)
        return np.moveaxis(self._rows(np.moveaxis(C, 1, 0)), 0, 1)  # (k, n, n)

    def dfdp(self, X, name: str, params: Mapping | None = None) -> np.ndarray:
        """Exact ``df/dp`` for parameter ``name`` at every row of ``X``, shape (k, n)."""
        s = self.system
        if name not in s._psyms:
            raise VariablePathError(f"unknown parameter {name!r}; {close_matches(name, s._psyms)}")
        if name not in self._dp:
            xsyms, psyms = s._args()
            d = [_strip_distributions(sp.diff(e, s._psyms[name])) for e in s.rhs]
            self._dp[name] = sp.lambdify([xsyms, psyms], d, modules="numpy", cse=True)
        xv, k = self._states(X)
        return self._rows(self._stack(self._dp[name](xv, self._params(params, k)), k)).T

    def evaluate(self, path: str, X, params: Mapping | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Value of variable ``path`` (real part) and its real gradient at every row of ``X``:
        shapes (k,) and (k, n)."""
        s = self.system
        if path not in self._expr:
            e = s.expression(path)
            xsyms, psyms = s._args()
            g = [_strip_distributions(sp.diff(e, q)) for q in xsyms]
            self._expr[path] = (sp.lambdify([xsyms, psyms], e, modules="numpy"),
                                sp.lambdify([xsyms, psyms], g, modules="numpy"))
        fe, fg = self._expr[path]
        xv, k = self._states(X)
        pv = self._params(params, k)
        val = np.broadcast_to(np.asarray(fe(xv, pv), dtype=complex if s.cplx else float), (k,))
        G = self._real_columns(np.moveaxis(self._stack(fg(xv, pv), k), 0, 1))
        return np.real(val).astype(float), np.real(G).astype(float)
