"""Monodromy matrices and Floquet multipliers of periodic linear systems on a collocation mesh.

For a periodic orbit ``x(t)`` of period ``T`` the variational equation ``d xi/dt = A(t) xi`` with
``A(t) = Df(x(t))`` (or a network mode matrix ``DF(x(t)) + Lambda B(x(t))``) is discretised with the same
Gauss-Legendre collocation as the orbit: on mesh interval ``j`` the collocation equations
``sum_i D_gi xi_ji - h_j T L_gi A_jg sum_i xi_ji = 0`` (``g = 1..ncol``) are solved for the interval's nodes
given its first node (condensation of the collocation Jacobian). This is the ``ncol``-stage Gauss method (order
``2 ncol``) applied to the linear equation; the interval transition matrices ``Phi_j`` multiply to the
monodromy matrix ``M = Phi_{N-1} ... Phi_0``, whose eigenvalues are the Floquet multipliers. Families of
matrices (one per network mode) are solved together with batched LAPACK calls.

Products of transition matrices resolve each multiplier to about ``1e-15 * max |mu|`` in absolute terms:
multipliers much smaller than the largest one (strongly contracting directions) carry only a few digits, and
their exponents ``ln|mu| / T`` should be read as "very negative".

The trivial multiplier of an autonomous system (eigenvector ``f(x(0))``) is split off exactly by a Householder
reflection that maps the first unit vector onto ``f(x(0))``: the rest of the spectrum are the eigenvalues of
the lower-right ``(n-1) x (n-1)`` block.

Examples
--------
>>> import numpy as np
>>> from neurodyn.analysis.collocation import CollocationScheme
>>> from neurodyn.analysis.floquet import collocation_monodromy
>>> A = np.broadcast_to(np.array([[-1.0, 0.0], [0.0, 0.5]]), (10, 4, 2, 2))   # constant A, T = 2
>>> M = collocation_monodromy(A, 2.0, np.linspace(0, 1, 11), CollocationScheme(4))
>>> np.allclose(np.diag(M), np.exp([-2.0, 1.0]), rtol=1e-10)
True
"""
from __future__ import annotations

import numpy as np

from neurodyn.analysis.collocation import CollocationScheme

__all__ = ["collocation_transitions", "collocation_monodromy", "split_trivial_multiplier", "floquet_exponents",
           "variational_monodromy"]


def _blocks(A: np.ndarray, T: float, h: np.ndarray, scheme: CollocationScheme):
    """Condensation matrices of every interval: left (..., N, m n, m n) and right (..., N, m n, n)."""
    m, n = scheme.ncol, A.shape[-1]
    eye = np.eye(n)
    hT = (h * T)[:, None, None, None]                                   # (N, 1, 1, 1) against (..., N, m, n, n)
    # E[..., j, g, i] = D_gi I - h_j T L_gi A_jg
    E = (scheme.D[:, :, None, None] * eye
         - scheme.L[:, :, None, None] * (hT * A)[..., :, None, :, :])   # (..., N, m, m+1, n, n)
    lead = E.shape[:-5]
    N = E.shape[-5]
    left = np.swapaxes(E[..., 1:, :, :], -3, -2).reshape(*lead, N, m * n, m * n)
    right = E[..., 0, :, :].reshape(*lead, N, m * n, n)
    return left, right


def collocation_transitions(A: np.ndarray, T: float, mesh: np.ndarray, scheme: CollocationScheme) -> np.ndarray:
    """Solutions of the condensed interval systems, (..., N, ncol * n, n): block ``i - 1`` maps the first node
    of interval ``j`` to node ``i`` (the last block is the interval transition matrix ``Phi_j``).

    Parameters
    ----------
    A : (..., N, ncol, n, n) array
        The matrix of the linear system at the Gauss points of every interval (real or complex).
    T : float
        Period (the profile is on normalised time ``tau = t / T``).
    mesh : (N + 1,) array
    scheme : CollocationScheme
    """
    A = np.asarray(A)
    left, right = _blocks(A, float(T), np.diff(np.asarray(mesh, dtype=float)), scheme)
    return np.linalg.solve(left, -right)


def _product(Phi: np.ndarray) -> np.ndarray:
    M = Phi[..., 0, :, :]
    for j in range(1, Phi.shape[-3]):
        M = Phi[..., j, :, :] @ M
    return M


def collocation_monodromy(A: np.ndarray, T: float, mesh: np.ndarray, scheme: CollocationScheme,
                          chunk_bytes: float = 3e7) -> np.ndarray:
    """Monodromy matrices of ``d xi/dt = A(t) xi`` over one period, (..., n, n).

    ``A`` is given at the Gauss points, shape (..., N, ncol, n, n); leading axes (e.g. network modes) are
    processed in chunks of about ``chunk_bytes`` of work arrays.
    """
    A = np.asarray(A)
    lead = A.shape[:-4]
    N, m, n = A.shape[-4], A.shape[-3], A.shape[-1]
    if m != scheme.ncol:
        raise ValueError(f"A has {m} Gauss points per interval; the scheme has {scheme.ncol}")
    flat = A.reshape(-1, N, m, n, n)
    per = N * m * (m + 1) * n * n * np.dtype(A.dtype).itemsize * 3
    step = max(1, int(chunk_bytes // max(per, 1)))
    out = np.empty((flat.shape[0], n, n), dtype=A.dtype)
    for a in range(0, flat.shape[0], step):
        sol = collocation_transitions(flat[a:a + step], T, mesh, scheme)
        out[a:a + step] = _product(sol[..., (m - 1) * n:, :])
    return out.reshape(*lead, n, n)


def split_trivial_multiplier(M: np.ndarray, direction: np.ndarray) -> tuple[complex, np.ndarray]:
    """The trivial multiplier ``v^T M v`` along ``direction = f(x(0))`` and the other ``n - 1`` multipliers
    (eigenvalues of ``M`` in the complement, after a Householder reflection), sorted by decreasing modulus."""
    v = np.asarray(direction, dtype=float)
    nv = np.linalg.norm(v)
    if not nv > 0:
        raise ValueError("the vector field vanishes at the start of the orbit: not a periodic orbit")
    v = v / nv
    e = np.zeros_like(v)
    e[0] = 1.0
    w = v - e if v[0] <= 0 else v + e
    w = w / np.linalg.norm(w)
    H = np.eye(len(v)) - 2.0 * np.outer(w, w)                     # H e1 = -+ v, H = H^T = H^-1
    Mp = H @ M @ H
    ev = np.linalg.eigvals(Mp[1:, 1:])
    return complex(Mp[0, 0]), ev[np.argsort(-np.abs(ev), kind="stable")]


def floquet_exponents(multipliers, T: float) -> np.ndarray:
    """Real parts of the Floquet exponents, ``ln|mu| / T`` (``-inf`` for a zero multiplier)."""
    with np.errstate(divide="ignore"):
        return np.log(np.abs(np.asarray(multipliers))) / float(T)


def variational_monodromy(f, jac, x0, T: float, rtol: float = 1e-11, atol: float = 1e-12,
                          method: str = "DOP853") -> tuple[np.ndarray, np.ndarray]:
    """Monodromy matrix by integrating the orbit with its variational equation over ``[0, T]`` with
    :func:`scipy.integrate.solve_ivp` (an independent, slower path than the collocation condensation).

    ``f(x)`` and ``jac(x)`` are the vector field and its Jacobian. Returns ``(x(T), M)``.
    """
    from scipy.integrate import solve_ivp
    x0 = np.asarray(x0, dtype=float)
    n = x0.size

    def rhs(t, y):
        x = y[:n]
        Y = y[n:].reshape(n, n)
        return np.concatenate([f(x), (jac(x) @ Y).ravel()])

    sol = solve_ivp(rhs, (0.0, float(T)), np.concatenate([x0, np.eye(n).ravel()]), method=method, rtol=rtol,
                    atol=atol)
    if not sol.success:
        raise RuntimeError(f"variational integration failed: {sol.message}")
    y = sol.y[:, -1]
    return y[:n], y[n:].reshape(n, n)
