"""Fixed points and their stability (continuation of equilibria: :mod:`neurodyn.analysis.equilibria`).

Fixed points are found with :func:`scipy.optimize.root` (Powell hybrid, analytic Jacobian) from many initial
guesses: the template's initial state, a random sample of a box, points along a trajectory integrated with
:func:`scipy.integrate.solve_ivp`, and any guesses you pass. Converged roots are deduplicated and classified by
the eigenvalues of the Jacobian.

Examples
--------
>>> from neurodyn.analysis import SymbolicSystem, find_fixed_points
>>> sys_ = SymbolicSystem.from_circuit("qif")            # MPR, eta = -5, J = 15: bistable
>>> fps = find_fixed_points(sys_, bounds={"p/qif_op/r": (1e-6, 3.0), "p/qif_op/v": (-5.0, 0.0)})
>>> [fp.stability for fp in fps]
['stable node', 'saddle', 'stable focus']
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from neurodyn.analysis.jacobian import SymbolicSystem
from neurodyn.errors import AnalysisError

__all__ = ["FixedPoint", "classify", "find_fixed_points", "fixed_points_table"]


def classify(eigenvalues, tol: float = 1e-9) -> str:
    """Name the type of a fixed point from its Jacobian eigenvalues.

    'stable node' / 'stable focus' (all Re < 0; focus if a complex pair), 'unstable node' / 'unstable focus'
    (all Re > 0), 'saddle' / 'saddle-focus' (both signs), 'non-hyperbolic' (an eigenvalue with |Re| <= tol).

    >>> classify([-1.0, -2.0]), classify([-1 + 2j, -1 - 2j]), classify([1.0, -1.0])
    ('stable node', 'stable focus', 'saddle')
    """
    ev = np.asarray(eigenvalues, dtype=complex)
    re = ev.real
    scale = max(1.0, float(np.max(np.abs(ev)))) if ev.size else 1.0
    if np.any(np.abs(re) <= tol * scale):
        return "non-hyperbolic"
    focus = bool(np.any(np.abs(ev.imag) > tol * scale))
    if np.all(re < 0):
        return "stable focus" if focus else "stable node"
    if np.all(re > 0):
        return "unstable focus" if focus else "unstable node"
    return "saddle-focus" if focus else "saddle"


@dataclass
class FixedPoint:
    """A fixed point ``x`` (real coordinates ``labels``) with its Jacobian eigenvalues."""

    x: np.ndarray
    eigenvalues: np.ndarray
    labels: list
    residual: float
    params: dict = field(default_factory=dict)

    @property
    def stability(self) -> str:
        return classify(self.eigenvalues)

    @property
    def stable(self) -> bool:
        return bool(np.all(self.eigenvalues.real < 0))

    @property
    def n_unstable(self) -> int:
        return int(np.sum(self.eigenvalues.real > 0))

    def __getitem__(self, label: str) -> float:
        if label not in self.labels:
            from neurodyn.errors import close_matches
            raise AnalysisError(f"no state {label!r}; {close_matches(label, self.labels)}")
        return float(self.x[self.labels.index(label)])

    def as_dict(self) -> dict:
        return dict(zip(self.labels, self.x.tolist()))

    def __repr__(self) -> str:
        xs = ", ".join(f"{l.split('/')[-1]}={v:.4g}" for l, v in zip(self.labels, self.x))
        lead = self.eigenvalues[np.argmax(self.eigenvalues.real)]
        return f"<FixedPoint {self.stability}: {xs}; leading eigenvalue {lead:.4g}>"


def _box(system: SymbolicSystem, bounds: Mapping | None):
    lo, hi = [], []
    b = dict(bounds or {})
    unknown = set(b) - set(system.labels)
    if unknown:
        from neurodyn.errors import close_matches
        k = sorted(unknown)[0]
        raise AnalysisError(f"bounds: unknown state {k!r}; {close_matches(k, system.labels)}")
    for lab, x0 in zip(system.labels, system.x0):
        if lab in b:
            l, h = b[lab]
        else:
            w = max(1.0, 2.0 * abs(x0))
            l, h = x0 - w, x0 + w
        lo.append(float(l))
        hi.append(float(h))
    return np.array(lo), np.array(hi), set(b)


def _trajectory_points(system, params, x0, t_end, n_points):
    from scipy.integrate import solve_ivp
    try:
        sol = solve_ivp(lambda t, x: system.f(x, params), (0.0, t_end), x0, method="LSODA",
                        jac=lambda t, x: system.jacobian(x, params),
                        t_eval=np.linspace(0.0, t_end, n_points), rtol=1e-6, atol=1e-9)
    except (FloatingPointError, OverflowError, ValueError):
        return np.zeros((0, len(x0)))
    Y = sol.y.T
    return Y[np.all(np.isfinite(Y), axis=1)]


def find_fixed_points(system: SymbolicSystem, params: Mapping | None = None, guesses: Sequence | None = None,
                      n_random: int = 100, bounds: Mapping | None = None, grid: int | None = None,
                      trajectory_time: float | None = None, trajectory_points: int = 50, seed: int = 0,
                      tol: float = 1e-9, unique_tol: float = 1e-6) -> list[FixedPoint]:
    """All fixed points found from many initial guesses, deduplicated, sorted by the first coordinate.

    Parameters
    ----------
    system : SymbolicSystem
    params : dict {path: value}, optional
        Parameter values for this search (the system is not changed).
    guesses : array_like (k, n), optional
        Extra initial guesses.
    n_random : int
        Uniform random guesses in the box (``seed``).
    bounds : dict {state label: (low, high)}, optional
        The box sampled for guesses; roots outside the bounds given here are rejected (e.g. ``r > 0`` for
        a firing rate, which excludes the unphysical negative-rate roots of the MPR equations). Coordinates
        without bounds are sampled in ``x0 +- max(1, 2 |x0|)`` and not constrained.
    grid : int, optional
        Also use a regular grid with this many points per coordinate (only sensible for a few states).
    trajectory_time : float, optional
        Also start from ``trajectory_points`` points of a trajectory from the initial state (model time units).
    tol : float
        Maximum ``|f(x)|`` (inf-norm) of an accepted root.
    unique_tol : float
        Roots closer than this (relative to ``1 + |x|``) are the same fixed point.

    Returns
    -------
    list of FixedPoint
    """
    from scipy.optimize import root

    lo, hi, constrained = _box(system, bounds)
    n = len(system.labels)
    rng = np.random.default_rng(seed)
    G = [system.x0[None, :]]
    if n_random:
        G.append(lo + (hi - lo) * rng.random((int(n_random), n)))
    if grid:
        axes = [np.linspace(a, b, int(grid)) for a, b in zip(lo, hi)]
        G.append(np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n))
    if trajectory_time:
        G.append(_trajectory_points(system, params, system.x0, float(trajectory_time), trajectory_points))
    if guesses is not None:
        g = np.atleast_2d(np.asarray(guesses, dtype=float))
        if g.shape[1] != n:
            raise AnalysisError(f"guesses must have {n} columns ({system.labels}), got shape {g.shape}")
        G.append(g)
    cand = np.concatenate(G, axis=0)
    found: list[np.ndarray] = []
    cmask = np.array([lab in constrained for lab in system.labels])
    with np.errstate(all="ignore"):
        for x0 in cand:
            try:
                sol = root(lambda x: system.f(x, params), x0, jac=lambda x: system.jacobian(x, params),
                           method="hybr")
            except (FloatingPointError, OverflowError, ValueError, ZeroDivisionError):
                continue
            x = sol.x
            if not np.all(np.isfinite(x)):
                continue
            res = np.max(np.abs(system.f(x, params)))
            if not res <= tol:
                continue
            if np.any(cmask & ((x < lo) | (x > hi))):
                continue
            if any(np.all(np.abs(x - y) <= unique_tol * (1 + np.abs(y))) for y in found):
                continue
            found.append(x)
    found.sort(key=lambda x: tuple(x))
    out = []
    for x in found:
        J = system.jacobian(x, params)
        out.append(FixedPoint(x, np.linalg.eigvals(J), list(system.labels),
                              float(np.max(np.abs(system.f(x, params)))), dict(params or {})))
    return out


def fixed_points_table(fixed_points: Sequence[FixedPoint]) -> pd.DataFrame:
    """One row per fixed point: state coordinates, stability, leading eigenvalue."""
    rows = []
    for fp in fixed_points:
        lead = fp.eigenvalues[np.argmax(fp.eigenvalues.real)]
        rows.append({**fp.as_dict(), "stability": fp.stability, "stable": fp.stable,
                     "leading_re": lead.real, "leading_im": abs(lead.imag), "residual": fp.residual})
    return pd.DataFrame(rows)
