"""Orthogonal collocation for periodic orbits (the discretisation of AUTO and MatCont).

A periodic orbit ``x(t) = u(t / T)`` of ``dx/dt = f(x; p)`` is a 1-periodic profile ``u(tau)`` with
``du/dtau = T f(u; p)``. The unit interval is cut into ``ntst`` mesh intervals ``[tau_j, tau_j+1]``; on each,
``u`` is the polynomial of degree ``ncol`` through ``ncol + 1`` equally spaced nodes (shared between
neighbouring intervals, node ``ntst * ncol`` is node 0: periodicity), and the differential equation is imposed
at the ``ncol`` Gauss-Legendre points of the interval. The integral phase condition
``int_0^1 <u(tau), v'(tau)> dtau = 0`` against a reference profile ``v`` (the previous solution) removes the
freedom of time shifts. Unknowns: the node values and ``T`` (and the parameter, in continuation); the Newton
matrix is sparse and solved by sparse LU.

At the mesh points the method is superconvergent, of order ``2 ncol`` (it is the ``ncol``-stage Gauss
Runge-Kutta method on every interval), which gives periods accurate to ~1e-10 with ``ncol = 4`` and a few
dozen well-placed intervals. Meshes are adapted by equidistributing de Boor's monitor ``|u^(ncol+1)|^(1/(ncol+1))``
(estimated from jumps of the piecewise constant ``ncol``-th derivative).

Examples
--------
>>> from neurodyn.analysis.collocation import CollocationScheme
>>> sch = CollocationScheme(4)
>>> round(float(sch.gauss_weights.sum()), 12), sch.L.shape
(1.0, (4, 5))
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sps
import scipy.sparse.linalg as spla

from neurodyn.analysis.jacobian import AnalysisError

__all__ = ["CollocationScheme", "CycleError", "NotACycleError", "CycleConvergenceError", "PeriodicBVP"]


class CycleError(AnalysisError):
    """A periodic-orbit computation failed or was set up wrongly."""


class NotACycleError(CycleError):
    """The start given is not (close to) a periodic orbit. ``residual`` holds the measured mismatch."""

    def __init__(self, message: str, residual: float | None = None):
        super().__init__(message)
        self.residual = residual


class CycleConvergenceError(CycleError):
    """Newton's method on the collocation equations did not converge. ``where`` (parameter value or
    description), ``last_step`` (size of the last Newton update, scaled) and ``residual`` say how far it got."""

    def __init__(self, message: str, where=None, last_step: float | None = None, residual: float | None = None):
        super().__init__(message)
        self.where, self.last_step, self.residual = where, last_step, residual


def _lagrange_tables(nodes: np.ndarray, s: np.ndarray, deriv: int = 0) -> np.ndarray:
    """Values (or ``deriv``-th derivatives) of the Lagrange basis on ``nodes`` at points ``s``: (len(s), len(nodes)).

    The basis in monomial coefficients is the inverse of the Vandermonde matrix of the nodes (well conditioned for
    up to 8 equally spaced nodes on [0, 1])."""
    m1 = len(nodes)
    C = np.linalg.inv(np.vander(nodes, m1, increasing=True))      # l_i(s) = sum_k C[k, i] s^k
    for _ in range(deriv):
        C = np.arange(1, C.shape[0])[:, None] * C[1:]
    if C.shape[0] == 0:
        return np.zeros((len(s), m1))
    return np.vander(np.asarray(s, dtype=float), C.shape[0], increasing=True) @ C


@dataclass(frozen=True)
class CollocationScheme:
    """Tables for ``ncol`` Gauss-Legendre collocation points on the unit interval with ``ncol + 1`` equally
    spaced nodes: ``L[g, i] = l_i(z_g)``, ``D[g, i] = l_i'(z_g)`` (Lagrange basis ``l_i``), Gauss weights,
    Newton-Cotes node weights (for integral norms) and the ``ncol``-th derivative of the basis."""

    ncol: int = 4

    def __post_init__(self):
        if not isinstance(self.ncol, (int, np.integer)) or not 2 <= self.ncol <= 7:
            raise CycleError(f"ncol (collocation points per interval) must be an integer in 2..7, got {self.ncol!r}")

    @cached_property
    def nodes(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, self.ncol + 1)

    @cached_property
    def gauss_points(self) -> np.ndarray:
        z, _ = np.polynomial.legendre.leggauss(self.ncol)
        return 0.5 * (z + 1.0)

    @cached_property
    def gauss_weights(self) -> np.ndarray:
        _, w = np.polynomial.legendre.leggauss(self.ncol)
        return 0.5 * w

    @cached_property
    def L(self) -> np.ndarray:
        return _lagrange_tables(self.nodes, self.gauss_points)

    @cached_property
    def D(self) -> np.ndarray:
        return _lagrange_tables(self.nodes, self.gauss_points, 1)

    @cached_property
    def node_weights(self) -> np.ndarray:
        """Newton-Cotes weights of the nodes on the unit interval (exact for degree ``ncol``)."""
        return self.gauss_weights @ self.L

    @cached_property
    def top_derivative(self) -> np.ndarray:
        """``ncol``-th derivative of each basis polynomial (a constant) on the unit interval."""
        return _lagrange_tables(self.nodes, np.array([0.5]), self.ncol)[0]

    @cached_property
    def _coefficients(self) -> tuple:
        C = np.linalg.inv(np.vander(self.nodes, self.ncol + 1, increasing=True))
        out = [C]
        for _ in range(self.ncol):
            C = np.arange(1, C.shape[0])[:, None] * C[1:]
            out.append(C)
        return tuple(out)

    def basis(self, s, deriv: int = 0) -> np.ndarray:
        """Lagrange basis (or its ``deriv``-th derivative) at points ``s`` of the unit interval, (len(s), ncol + 1)."""
        s = np.asarray(s, dtype=float)
        if deriv > self.ncol:
            return np.zeros((s.size, self.ncol + 1))
        C = self._coefficients[deriv]
        return np.vander(s.ravel(), C.shape[0], increasing=True) @ C


# ------------------------------------------------------------------------------------------------ profiles
def node_times(mesh: np.ndarray, ncol: int) -> np.ndarray:
    """Normalised times of the ``ntst * ncol + 1`` nodes of a mesh."""
    h = np.diff(mesh)
    s = np.arange(ncol) / ncol
    return np.append((mesh[:-1, None] + h[:, None] * s[None, :]).ravel(), mesh[-1])


def interval_nodes(U: np.ndarray, ncol: int) -> np.ndarray:
    """Node values per interval, (ntst, ncol + 1, n), from the (ntst * ncol + 1, n) node array."""
    N = (U.shape[0] - 1) // ncol
    idx = np.arange(N)[:, None] * ncol + np.arange(ncol + 1)[None, :]
    return U[idx]


def gauss_states(U: np.ndarray, scheme: CollocationScheme) -> np.ndarray:
    """The profile at the Gauss points of every interval, (ntst, ncol, n)."""
    return np.einsum("gi,jin->jgn", scheme.L, interval_nodes(U, scheme.ncol))


def evaluate_profile(U: np.ndarray, mesh: np.ndarray, scheme: CollocationScheme, tau, deriv: int = 0) -> np.ndarray:
    """The piecewise polynomial profile (or its tau-derivative) at normalised times ``tau`` (taken mod 1)."""
    tau = np.mod(np.asarray(tau, dtype=float), 1.0)
    j = np.clip(np.searchsorted(mesh, tau, side="right") - 1, 0, len(mesh) - 2)
    h = mesh[j + 1] - mesh[j]
    s = (tau - mesh[j]) / h
    B = scheme.basis(s, deriv) / (h[:, None] ** deriv)
    Uj = interval_nodes(U, scheme.ncol)[j]                       # (k, ncol+1, n)
    return np.einsum("ki,kin->kn", B, Uj)


def mesh_monitor(U: np.ndarray, mesh: np.ndarray, scheme: CollocationScheme, scales=None) -> np.ndarray:
    """de Boor's monitor per interval: ``max_a |u_a^(ncol+1)|^(1/(ncol+1))`` estimated from the jumps of the
    ``ncol``-th derivative between neighbouring intervals (periodic), in scaled coordinates."""
    m = scheme.ncol
    h = np.diff(mesh)
    Dm = np.einsum("i,jin->jn", scheme.top_derivative, interval_nodes(U, m)) / h[:, None] ** m
    if scales is not None:
        Dm = Dm / scales
    right = np.abs(np.roll(Dm, -1, axis=0) - Dm) / (0.5 * (h + np.roll(h, -1)))[:, None]
    left = np.abs(Dm - np.roll(Dm, 1, axis=0)) / (0.5 * (h + np.roll(h, 1)))[:, None]
    theta = np.max(0.5 * (left + right), axis=1)
    return theta ** (1.0 / (m + 1))


def error_estimate(U: np.ndarray, mesh: np.ndarray, scheme: CollocationScheme, scales=None) -> float:
    """A rough size of the interpolation error of the profile: ``max_j (h_j * monitor_j)^(ncol + 1)``
    (scaled units). It bounds the local error of the degree-``ncol`` polynomials, not the (much smaller)
    superconvergent error at the mesh points."""
    return float(np.max((np.diff(mesh) * mesh_monitor(U, mesh, scheme, scales)) ** (scheme.ncol + 1)))


def adapted_mesh(U: np.ndarray, mesh: np.ndarray, scheme: CollocationScheme, ntst: int, scales=None,
                 floor: float = 0.05) -> np.ndarray:
    """A mesh of ``ntst`` intervals equidistributing the monitor (plus ``floor`` times its mean, so that no
    interval becomes arbitrarily long)."""
    mon = mesh_monitor(U, mesh, scheme, scales)
    if not np.all(np.isfinite(mon)) or mon.max() <= 0:
        return np.linspace(0.0, 1.0, ntst + 1)
    mon = mon + floor * mon.mean() + 1e-300
    cum = np.concatenate([[0.0], np.cumsum(mon * np.diff(mesh))])
    new = np.interp(np.linspace(0.0, cum[-1], ntst + 1), cum, mesh)
    new[0], new[-1] = 0.0, 1.0
    return new


def resample(U: np.ndarray, mesh: np.ndarray, scheme: CollocationScheme, new_mesh: np.ndarray,
             new_scheme: CollocationScheme | None = None) -> np.ndarray:
    """The profile's node values on another mesh (and degree)."""
    ns = new_scheme or scheme
    inner = evaluate_profile(U, mesh, scheme, node_times(new_mesh, ns.ncol)[:-1])
    return np.vstack([inner, inner[:1]])


# ----------------------------------------------------------------------------------------- the BVP system
class PeriodicBVP:
    """Collocation equations of the periodic boundary-value problem for one system and mesh.

    Unknowns ``z = (U[0:ntst*ncol].ravel(), T[, p])``; equations: collocation at every Gauss point
    (``sum_i D_gi U_ji - h_j T f(X_jg)``, ``n`` per point) and the phase condition against a reference profile.

    Parameters
    ----------
    batched : BatchedSystem
    mesh : (ntst + 1,) array, 0 = tau_0 < ... < tau_ntst = 1
    scheme : CollocationScheme
    params : dict, fixed parameter values
    parameter : str, optional
        The free parameter (continuation); without it ``p`` is not an unknown.
    """

    def __init__(self, batched, mesh: np.ndarray, scheme: CollocationScheme, params: dict | None = None,
                 parameter: str | None = None):
        self.b = batched
        self.mesh = np.asarray(mesh, dtype=float)
        if self.mesh[0] != 0.0 or self.mesh[-1] != 1.0 or np.any(np.diff(self.mesh) <= 0):
            raise CycleError("mesh must increase strictly from 0 to 1")
        self.scheme = scheme
        self.params = dict(params or {})
        self.parameter = parameter
        self.n = batched.n
        self.N = len(self.mesh) - 1
        self.m = scheme.ncol
        self.h = np.diff(self.mesh)
        self.nU = self.N * self.m * self.n
        self.size = self.nU + 1 + (parameter is not None)
        idx = (np.arange(self.N)[:, None] * self.m + np.arange(self.m + 1)[None, :]) % (self.N * self.m)
        self._node_idx = idx                                             # (N, m+1) unknown node of each node

    # -------------------------------------------------------------------------------------- packing
    def pack(self, U: np.ndarray, T: float, p: float | None = None) -> np.ndarray:
        z = [np.asarray(U[: self.N * self.m], dtype=float).ravel(), [float(T)]]
        if self.parameter is not None:
            z.append([float(p)])
        return np.concatenate(z)

    def unpack(self, z: np.ndarray):
        U = z[: self.nU].reshape(self.N * self.m, self.n)
        U = np.vstack([U, U[:1]])
        T = float(z[self.nU])
        p = float(z[self.nU + 1]) if self.parameter is not None else None
        return U, T, p

    def parameters(self, p: float | None) -> dict:
        q = dict(self.params)
        if self.parameter is not None:
            q[self.parameter] = p
        return q

    # ------------------------------------------------------------------------------------ equations
    def phase_row(self, V: np.ndarray) -> np.ndarray:
        """Coefficients of the phase condition ``int <u, v'> = 0`` for the node unknowns (length nU)."""
        sch = self.scheme
        VD = np.einsum("gi,jin->jgn", sch.D, interval_nodes(V, self.m))            # h_j v'(tau_jg)
        coef = np.einsum("g,gi,jgn->jin", sch.gauss_weights, sch.L, VD)             # (N, m+1, n)
        row = np.zeros((self.N * self.m, self.n))
        np.add.at(row, self._node_idx.ravel(), coef.reshape(-1, self.n))
        return row.ravel()

    def residual(self, z: np.ndarray, phase: np.ndarray) -> np.ndarray:
        U, T, p = self.unpack(z)
        X = gauss_states(U, self.scheme)
        F = self.b.f(X.reshape(-1, self.n), self.parameters(p)).reshape(self.N, self.m, self.n)
        R = np.einsum("gi,jin->jgn", self.scheme.D, interval_nodes(U, self.m)) - (self.h * T)[:, None, None] * F
        return np.append(R.ravel(), phase @ z[: self.nU])

    def linearise(self, z: np.ndarray, phase: np.ndarray, extra_row: np.ndarray | None = None):
        """Residual and sparse Jacobian (csc) at ``z``; also the Jacobians at the Gauss points (N, m, n, n).
        ``extra_row`` (length ``size``) is appended to the matrix as a last dense row (the residual is not)."""
        U, T, p = self.unpack(z)
        sch, N, m, n = self.scheme, self.N, self.m, self.n
        X = gauss_states(U, sch).reshape(-1, n)
        q = self.parameters(p)
        F = self.b.f(X, q).reshape(N, m, n)
        J = self.b.jacobian(X, q).reshape(N, m, n, n)
        R = np.einsum("gi,jin->jgn", sch.D, interval_nodes(U, m)) - (self.h * T)[:, None, None] * F
        res = np.append(R.ravel(), phase @ z[: self.nU])
        # blocks E[j, g, i] = D_gi I - h_j T L_gi J_jg
        hT = (self.h * T)[:, None, None, None, None]
        E = (sch.D[None, :, :, None, None] * np.eye(n)[None, None, None]
             - hT * sch.L[None, :, :, None, None] * J[:, :, None, :, :])            # (N, m, m+1, n, n)
        rows = ((np.arange(N)[:, None] * m + np.arange(m)[None, :])[:, :, None, None, None] * n
                + np.arange(n)[None, None, None, :, None])
        rows = np.broadcast_to(rows, E.shape)
        cols = (self._node_idx[:, None, :, None, None] * n + np.arange(n)[None, None, None, None, :])
        cols = np.broadcast_to(cols, E.shape)
        r_list, c_list, v_list = [rows.ravel()], [cols.ravel()], [E.ravel()]
        crow = np.arange(self.nU)
        r_list.append(crow)
        c_list.append(np.full(self.nU, self.nU))
        v_list.append((-(self.h[:, None, None]) * F).ravel())                        # d/dT
        if self.parameter is not None:
            Fp = self.b.dfdp(X, self.parameter, q).reshape(N, m, n)
            r_list.append(crow)
            c_list.append(np.full(self.nU, self.nU + 1))
            v_list.append((-(self.h * T)[:, None, None] * Fp).ravel())
        r_list.append(np.full(self.nU, self.nU))
        c_list.append(np.arange(self.nU))
        v_list.append(phase)
        nrows = self.nU + 1
        if extra_row is not None:
            r_list.append(np.full(self.size, nrows))
            c_list.append(np.arange(self.size))
            v_list.append(np.asarray(extra_row, dtype=float))
            nrows += 1
        A = sps.csc_matrix((np.concatenate(v_list), (np.concatenate(r_list), np.concatenate(c_list))),
                           shape=(nrows, self.size))
        return res, A, J

    # -------------------------------------------------------------------------------------- Newton
    def newton(self, z0: np.ndarray, phase: np.ndarray, zscale: np.ndarray, extra=None, tol: float = 1e-9,
               max_iter: int = 15, where=None):
        """Newton's method on the collocation equations (plus ``extra = (row, value_fn)``: one more linear
        equation ``row @ z = value`` for continuation). Returns ``(z, iterations)``; raises
        :class:`CycleConvergenceError` on failure."""
        z = z0.copy()
        last = np.inf
        res_norm = np.inf
        for it in range(1, max_iter + 1):
            with np.errstate(all="ignore"):
                res, A, _ = self.linearise(z, phase, None if extra is None else extra[0])
            if extra is not None:
                row, target = extra
                res = np.append(res, row @ z - target)
            res_norm = float(np.max(np.abs(res))) if res.size else 0.0
            if not np.isfinite(res_norm):
                raise CycleConvergenceError(
                    f"collocation residual became non-finite at Newton iteration {it}{_at(where)}; the state left "
                    f"the region where the model is defined. Start closer to the orbit or take smaller steps.",
                    where, last, res_norm)
            try:
                with np.errstate(all="ignore"):
                    dz = sparse_lu(A).solve(-res)
            except RuntimeError as exc:  # exactly singular
                raise CycleConvergenceError(
                    f"collocation Jacobian is singular at Newton iteration {it}{_at(where)} ({exc}); the start may be "
                    f"an equilibrium (a constant profile has no period) or a degenerate point.",
                    where, last, res_norm) from None
            if not np.all(np.isfinite(dz)):
                raise CycleConvergenceError(f"Newton update non-finite at iteration {it}{_at(where)}", where, last,
                                            res_norm)
            z = z + dz
            last = float(np.max(np.abs(dz) / zscale))
            if last < tol:
                return z, it
        raise CycleConvergenceError(
            f"Newton's method did not converge in {max_iter} iterations{_at(where)}: last scaled update {last:.3g}, "
            f"residual {res_norm:.3g}. Hint: give a better guess (period, state on the orbit), more mesh intervals "
            f"(ntst), or a smaller step.", where, last, res_norm)


def sparse_lu(A):
    """SuperLU factorisation of a collocation matrix: structural zeros removed, a minimum-degree ordering of
    A^T + A and threshold pivoting (0.1, preferring the diagonal). For these bordered, almost block-diagonal
    matrices this fills in 5-15x less than SuperLU's defaults (COLAMD, partial pivoting) and factorises 5-15x
    faster, with the same residuals (~1e-26 relative here)."""
    A = sps.csc_matrix(A)
    A.eliminate_zeros()
    return spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.1)


def _at(where) -> str:
    return f" at {where}" if where is not None else ""
