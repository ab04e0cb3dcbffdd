"""Test functions, normal-form coefficients and minimally augmented defining systems of fold and Hopf points.

Normal forms (Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., sections 3.5, 5.4, 8.7), with
``B`` and ``C`` the exact second and third derivatives (:mod:`neurodyn.analysis.derivatives`) and
``<p, q> = conj(p)^T q``:

* fold: ``A q = 0``, ``A^T p = 0``, ``<q, q> = <p, q> = 1``; ``a = <p, B(q, q)>/2`` (``dy/dt = beta + a y^2``).
* Hopf: ``A q = i omega q``, ``A^T p = -i omega p``, ``<q, q> = <p, q> = 1``;
  ``l1 = Re[<p, C(q, q, conj q)> - 2 <p, B(q, A^-1 B(q, conj q))> + <p, B(conj q, (2 i omega - A)^-1
  B(q, q))>] / (2 omega)``. ``l1 < 0``: supercritical (a stable cycle is born), ``l1 > 0``: subcritical.
  With this normalisation the Stuart-Landau form ``dz/dt = (mu + i omega) z + c |z|^2 z`` has
  ``l1 = 2 Re(c)/omega``; only the sign of ``l1`` is independent of the coordinates.
* Bogdanov-Takens: ``A q0 = 0, A q1 = q0, A^T p1 = 0, A^T p0 = p1`` with ``<q0, p0> = <q1, p1> = 1``,
  ``<q0, p1> = <q1, p0> = 0``; ``a = <p1, B(q0, q0)>/2``, ``b = <p0, B(q0, q0)> + <p1, B(q0, q1)>`` (normal
  form ``w0' = w1, w1' = beta1 + beta2 w0 + a w0^2 + b w0 w1``; the sign of ``a b`` is invariant).

Defining systems (Govaerts, *Numerical Methods for Bifurcations of Dynamical Equilibria*, 2000):

* fold: ``f(x, p) = 0`` and ``g(x, p) = 0`` where ``[[J, b], [c^T, 0]] [v; g] = [0; 1]``; ``g = 0`` iff J is
  singular. ``dg/dz = -w^T (dJ/dz) v`` with ``[[J, b], [c^T, 0]]^T [w; h] = [0; 1]``. The borders b, c are
  replaced by the current w, v after every accepted point.
* Hopf: ``f(x, p) = 0`` and two entries of the 2 x 2 block G of ``[[J^2 + kappa I, W_b], [V_b^T, 0]]
  [V; G] = [0; I]`` (kappa = omega^2 is an unknown); G = 0 iff ``J^2 + kappa I`` has a two-dimensional kernel,
  i.e. J has eigenvalues ``+-i sqrt(kappa)`` (kappa > 0: Hopf; kappa < 0: a neutral saddle ``+-sqrt(-kappa)``;
  kappa = 0 passes through Bogdanov-Takens points). The two entries are chosen for the best conditioned
  Jacobian.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fold_coefficient", "first_lyapunov_coefficient", "bogdanov_takens_coefficients", "hopf_test",
           "critical_pair", "FoldSystem", "HopfSystem"]


def hopf_test(ev, exclude=()) -> float:
    """``prod_{i<j} (l_i + l_j)/(|l_i| + |l_j|)`` over the eigenvalues (those at ``exclude`` left out): changes
    sign where a complex pair crosses the imaginary axis (Hopf) or a real pair sums to zero (neutral saddle)."""
    lam = np.delete(np.asarray(ev, dtype=complex), list(exclude))
    if lam.size < 2:
        return 1.0
    i, j = np.triu_indices(lam.size, 1)
    s = lam[i] + lam[j]
    den = np.abs(lam[i]) + np.abs(lam[j])
    den[den == 0] = 1.0
    return _product(s / den)


def _product(factors) -> float:
    """Real part of a product of factors of modulus <= 1, kept away from underflow (only its sign and its
    zeros matter; for the few states of a circuit it is the plain product)."""
    if np.any(factors == 0):
        return 0.0
    total = float(np.sum(np.log(np.abs(factors))))
    prod = np.prod(factors / np.abs(factors))          # unit phase
    return float(np.real(prod)) * float(np.exp(max(total, -700.0)))


def critical_pair(ev, exclude=()):
    """The pair with the smallest ``|l_i + l_j|/(|l_i| + |l_j|)``: (l_i, l_j, is_complex_conjugate)."""
    lam = np.asarray(ev, dtype=complex)
    keep = np.setdiff1d(np.arange(lam.size), list(exclude))
    lam = lam[keep]
    i, j = np.triu_indices(lam.size, 1)
    den = np.abs(lam[i]) + np.abs(lam[j])
    den[den == 0] = 1.0
    k = int(np.argmin(np.abs(lam[i] + lam[j]) / den))
    a, b = lam[i[k]], lam[j[k]]
    scale = max(abs(a), abs(b), 1e-300)
    cplx = abs(a.imag) > 1e-8 * scale and abs(a - np.conj(b)) <= 1e-6 * scale
    return a, b, bool(cplx)


def _derivs(d):
    """SystemDerivatives from a SystemDerivatives or a SymbolicSystem."""
    if hasattr(d, "C") and hasattr(d, "system"):
        return d
    from neurodyn.analysis.derivatives import derivatives
    return derivatives(d)


def _null(A):
    """Right and left null vectors (unit) of a square matrix from its SVD."""
    U, S, Vh = np.linalg.svd(A)
    return Vh[-1].conj(), U[:, -1], S


def fold_coefficient(d, x, params=None) -> float:
    """``a = <p, B(q, q)>/2`` of the fold at ``x`` (``<q, q> = <p, q> = 1``); NaN if ``<p, q> = 0`` (a
    Bogdanov-Takens point), where the normalisation does not exist. ``d``: a SymbolicSystem (or its
    :func:`~neurodyn.analysis.derivatives.derivatives`)."""
    d = _derivs(d)
    J = d.system.jacobian(x, params)
    q, p, _ = _null(J)
    pq = float(np.real(np.vdot(p, q)))
    if abs(pq) < 1e-10:
        return float("nan")
    p = p / pq
    return 0.5 * float(np.real(np.vdot(p, d.B(x, params, q, q))))


def first_lyapunov_coefficient(d, x, params=None, omega: float | None = None) -> dict:
    """First Lyapunov coefficient of the Hopf point at ``x``: {'omega', 'l1', 'criticality'}.

    ``omega`` (the imaginary part of the critical pair) is taken from the eigenvalues if not given.
    'criticality' is 'supercritical' (l1 < 0), 'subcritical' (l1 > 0) or 'degenerate' (l1 = 0 or not finite).
    ``d``: a SymbolicSystem (or its :func:`~neurodyn.analysis.derivatives.derivatives`).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodyn.analysis import SymbolicSystem, first_lyapunov_coefficient
    >>> from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate
    >>> op = OperatorTemplate("sl_op", ["d/dt * x = -2*y - x*(x^2 + y^2)", "d/dt * y = 2*x - y*(x^2 + y^2)"],
    ...                       {"x": "output(0.0)", "y": "variable(0.0)"})
    >>> s = SymbolicSystem.from_circuit(CircuitTemplate("sl", nodes={"p": NodeTemplate("sl_pop", [op])}))
    >>> info = first_lyapunov_coefficient(s, np.zeros(2))      # Stuart-Landau, c = -1, omega = 2: 2 c / omega
    >>> round(info["l1"], 12), info["criticality"]
    (-1.0, 'supercritical')
    """
    d = _derivs(d)
    J = d.system.jacobian(x, params)
    n = J.shape[0]
    if omega is None:
        ev = np.linalg.eigvals(J)
        cands = ev[ev.imag > 0]
        if not cands.size:
            return {"omega": float("nan"), "l1": float("nan"), "criticality": "degenerate"}
        omega = float(cands[np.argmin(np.abs(cands.real))].imag)
    omega = float(omega)
    if not omega > 0:
        return {"omega": omega, "l1": float("nan"), "criticality": "degenerate"}
    q, p, _ = _null(J - 1j * omega * np.eye(n))
    q = q / np.linalg.norm(q)
    p = p / np.conj(np.vdot(p, q))
    qb = q.conj()
    with np.errstate(all="ignore"):
        try:
            h11 = -np.linalg.solve(J, d.B(x, params, q, qb))
            h20 = np.linalg.solve(2j * omega * np.eye(n) - J, d.B(x, params, q, q))
        except np.linalg.LinAlgError:
            return {"omega": omega, "l1": float("nan"), "criticality": "degenerate"}
        c = (np.vdot(p, d.C(x, params, q, q, qb)) + 2 * np.vdot(p, d.B(x, params, q, h11))
             + np.vdot(p, d.B(x, params, qb, h20)))
    l1 = float(np.real(c)) / (2 * omega)
    crit = "supercritical" if l1 < 0 else ("subcritical" if l1 > 0 else "degenerate")
    if not np.isfinite(l1):
        crit = "degenerate"
    return {"omega": omega, "l1": l1, "criticality": crit}


def bogdanov_takens_coefficients(d, x, params=None) -> dict:
    """{'a', 'b'} of the Bogdanov-Takens point at ``x`` (normalisation of the module docstring, |q0| = 1,
    q1 orthogonal to q0)."""
    d = _derivs(d)
    J = d.system.jacobian(x, params)
    q0, p1, _ = _null(J)
    q0, p1 = q0.real, p1.real
    q1 = np.linalg.lstsq(J, q0, rcond=None)[0]
    q1 -= (q1 @ q0) * q0
    p1 = p1 / (q1 @ p1)
    p0 = np.linalg.lstsq(J.T, p1, rcond=None)[0]
    p0 -= (q1 @ p0) * p1
    B00 = d.B(x, params, q0, q0)
    a = 0.5 * float(p1 @ B00)
    b = float(p0 @ B00 + p1 @ d.B(x, params, q0, q1))
    return {"a": a, "b": b}


# ----------------------------------------------------------------------------------- defining systems
class _Defining:
    """Shared parts: unknowns (x, parameters, extra), parameter dicts, derivatives."""

    test_names: tuple = ()
    n_extra = 0

    def __init__(self, d, parameters, params):
        self.d = d
        self.s = d.system
        self.n = d.n
        self.parameters = list(parameters)
        self.base = dict(params or {})
        self.names = list(self.s.labels) + self.parameters

    def split(self, y):
        n, m = self.n, len(self.parameters)
        P = dict(self.base)
        P.update(zip(self.parameters, (float(v) for v in y[n:n + m])))
        return y[:n], P

    def is_state(self, k: int) -> bool:
        return k < self.n or k >= self.n + len(self.parameters)

    def eigenvalues(self, y):
        x, P = self.split(y)
        return np.linalg.eigvals(self.s.jacobian(x, P))

    def describe(self, y) -> str:
        m = len(self.parameters)
        return ", ".join(f"{k} = {v:.6g}" for k, v in zip(self.parameters, y[self.n:self.n + m]))

    def fp(self, x, P):
        return np.column_stack([self.d.dfdp(x, P, q) for q in self.parameters])


class FoldSystem(_Defining):
    """Minimally augmented fold system in (x, parameters): ``f = 0, g = 0`` (see the module docstring)."""

    test_names = ("cusp", "bogdanov_takens", "zero_hopf")

    def __init__(self, d, parameters, params, y):
        super().__init__(d, parameters, params)
        x, P = self.split(y)
        q, p, _ = _null(self.s.jacobian(x, P))
        self.c, self.b = q.real, p.real

    def _vw(self, J):
        n = self.n
        M = np.zeros((n + 1, n + 1))
        M[:n, :n] = J
        M[:n, n] = self.b
        M[n, :n] = self.c
        e = np.zeros(n + 1)
        e[-1] = 1.0
        sol = np.linalg.solve(M, e)
        w = np.linalg.solve(M.T, e)[:n]
        return sol[:n], w, sol[n]

    def residual(self, y):
        x, P = self.split(y)
        _, _, g = self._vw(self.s.jacobian(x, P))
        return np.append(self.s.f(x, P), g)

    def jacobian(self, y):
        x, P = self.split(y)
        J = self.s.jacobian(x, P)
        v, w, _ = self._vw(J)
        row = [-(w @ self.d.dJv_dx(x, P, v))] + [[-(w @ self.d.dJv_dp(x, P, v, q))] for q in self.parameters]
        return np.vstack([np.column_stack([J, self.fp(x, P)]), np.concatenate(row)])

    def update(self, y):
        x, P = self.split(y)
        v, w, _ = self._vw(self.s.jacobian(x, P))
        self.c, self.b = v / np.linalg.norm(v), w / np.linalg.norm(w)

    def tests(self, y, t, det, ev):
        x, P = self.split(y)
        v, w, _ = self._vw(self.s.jacobian(x, P))
        nv, nw = np.linalg.norm(v), np.linalg.norm(w)
        k0 = int(np.argmin(np.abs(ev)))
        return {"cusp": float(w @ self.d.B(x, P, v, v)) / (nw * nv * nv), "bogdanov_takens": float(w @ v) / (nw * nv),
                "zero_hopf": hopf_test(ev, exclude=[k0])}

    def columns(self, y, tests, ev) -> dict:
        x, P = self.split(y)
        return {"a": fold_coefficient(self.d, x, P)}

    def special_point(self, name, y, t, scales):
        x, P = self.split(y)
        if name == "cusp":
            return "cusp", y, {}
        if name == "bogdanov_takens":
            return "bogdanov_takens", y, bogdanov_takens_coefficients(self.d, x, P)
        ev = self.eigenvalues(y)
        k0 = int(np.argmin(np.abs(ev)))
        a, _, cplx = critical_pair(ev, exclude=[k0])
        if not cplx:
            return None
        return "zero_hopf", y, {"omega": abs(float(a.imag))}


class HopfSystem(_Defining):
    """Minimally augmented Hopf system in (x, parameters, kappa = omega^2) (see the module docstring)."""

    test_names = ("bogdanov_takens", "bautin", "zero_hopf", "double_hopf")
    n_extra = 1

    def __init__(self, d, parameters, params, y):
        super().__init__(d, parameters, params)
        self.names = self.names + ["kappa"]
        x, P = self.split(y)
        J = self.s.jacobian(x, P)
        U, S, Vh = np.linalg.svd(J @ J + y[-1] * np.eye(self.n))
        self.Vb, self.Wb = Vh[-2:].T.copy(), U[:, -2:].copy()
        self.pairs = ((0, 0), (1, 1))
        self._choose(y)

    def _solve(self, J, kappa):
        n = self.n
        M = np.zeros((n + 2, n + 2))
        M[:n, :n] = J @ J + kappa * np.eye(n)
        M[:n, n:] = self.Wb
        M[n:, :n] = self.Vb.T
        rhs = np.zeros((n + 2, 2))
        rhs[n:] = np.eye(2)
        sol = np.linalg.solve(M, rhs)
        W = np.linalg.solve(M.T, rhs)[:n]
        return sol[:n], W, sol[n:]

    def _grads(self, x, P, kappa, J, V, W, pairs):
        rows = {}
        for j in sorted({j for _, j in pairs}):
            Vj = V[:, j]
            JVj = J @ Vj
            H1, H2 = self.d.dJv_dx(x, P, JVj), self.d.dJv_dx(x, P, Vj)
            Pp = [(self.d.dJv_dp(x, P, JVj, q), self.d.dJv_dp(x, P, Vj, q)) for q in self.parameters]
            for i in sorted({i for i, jj in pairs if jj == j}):
                Wi = W[:, i]
                JTWi = J.T @ Wi
                gx = -(Wi @ H1 + JTWi @ H2)
                gp = [-(Wi @ a + JTWi @ b) for a, b in Pp]
                rows[(i, j)] = np.concatenate([gx, gp, [-(Wi @ Vj)]])
        return rows

    def residual(self, y):
        x, P = self.split(y)
        _, _, G = self._solve(self.s.jacobian(x, P), y[-1])
        return np.concatenate([self.s.f(x, P), [G[i, j] for i, j in self.pairs]])

    def _full_jacobian(self, y, pairs):
        x, P = self.split(y)
        J = self.s.jacobian(x, P)
        V, W, _ = self._solve(J, y[-1])
        g = self._grads(x, P, y[-1], J, V, W, pairs)
        top = np.column_stack([J, self.fp(x, P), np.zeros(self.n)])
        return top, g

    def jacobian(self, y):
        top, g = self._full_jacobian(y, self.pairs)
        return np.vstack([top] + [g[p] for p in self.pairs])

    def _choose(self, y):
        allp = [(0, 0), (0, 1), (1, 0), (1, 1)]
        top, g = self._full_jacobian(y, allp)
        best, pick = -1.0, self.pairs
        scale = np.max(np.abs(top), axis=1, keepdims=True)
        scale[scale == 0] = 1.0
        top = top / scale
        for a in range(4):
            for b in range(a + 1, 4):
                ra, rb = g[allp[a]], g[allp[b]]
                A = np.vstack([top, ra / (np.max(np.abs(ra)) or 1.0), rb / (np.max(np.abs(rb)) or 1.0)])
                smin = np.linalg.svd(A, compute_uv=False)[-1]
                if smin > best:
                    best, pick = smin, (allp[a], allp[b])
        self.pairs = pick

    def update(self, y):
        x, P = self.split(y)
        V, W, _ = self._solve(self.s.jacobian(x, P), y[-1])
        self.Vb, self.Wb = np.linalg.qr(V)[0], np.linalg.qr(W)[0]
        self._choose(y)

    def _pair_index(self, ev, kappa):
        target = 1j * np.sqrt(kappa) if kappa >= 0 else np.sqrt(-kappa)
        k1 = int(np.argmin(np.abs(ev - target)))
        rest = [k for k in range(len(ev)) if k != k1]
        k2 = rest[int(np.argmin(np.abs(ev[rest] + target)))]
        return [k1, k2]

    def tests(self, y, t, det, ev):
        x, P = self.split(y)
        kappa = float(y[-1])
        pair = self._pair_index(ev, kappa)
        others = np.delete(ev, pair)
        scale = max(float(np.max(np.abs(ev))), 1e-300)
        l1 = first_lyapunov_coefficient(self.d, x, P, np.sqrt(kappa))["l1"] if kappa > 0 else float("nan")
        return {"bogdanov_takens": kappa, "bautin": l1,
                "zero_hopf": _product(others / scale) if others.size else 1.0,
                "double_hopf": hopf_test(ev, exclude=pair)}

    def columns(self, y, tests, ev) -> dict:
        kappa = float(y[-1])
        om = float(np.sqrt(kappa)) if kappa > 0 else float("nan")
        return {"omega": om, "frequency": om / (2 * np.pi), "l1": tests.get("bautin", float("nan")),
                "neutral_saddle": kappa < 0}

    def special_point(self, name, y, t, scales):
        x, P = self.split(y)
        kappa = float(y[-1])
        if name == "bogdanov_takens":
            return "bogdanov_takens", y, bogdanov_takens_coefficients(self.d, x, P)
        if name == "bautin":
            return "bautin", y, {"omega": float(np.sqrt(max(kappa, 0.0)))}
        ev = self.eigenvalues(y)
        pair = self._pair_index(ev, kappa)
        if name == "zero_hopf":
            if kappa <= 0:
                return None
            return "zero_hopf", y, {"omega": float(np.sqrt(kappa))}
        a, _, cplx = critical_pair(ev, exclude=pair)
        if not cplx or kappa <= 0:
            return None
        return "double_hopf", y, {"omega": float(np.sqrt(kappa)), "omega2": abs(float(a.imag))}
