"""Fixed points, their stability, and one-parameter continuation with fold and Hopf detection.

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

from neurodyn.analysis.jacobian import AnalysisError, SymbolicSystem

__all__ = ["FixedPoint", "classify", "find_fixed_points", "fixed_points_table", "Branch", "continuation"]


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


# ---------------------------------------------------------------------------------------------- continuation
@dataclass
class Branch:
    """A branch of fixed points traced in one parameter.

    ``points``: DataFrame with the parameter, the states, ``n_unstable`` (eigenvalues with Re > 0), ``stable``
    and ``max_re``; ``bifurcations``: DataFrame of detected folds ('fold') and Hopf points ('hopf') with the
    parameter value, state, and ``omega`` (imaginary part of the critical pair, angular frequency in 1/time
    unit; 0 for folds).
    """

    parameter: str
    points: pd.DataFrame
    bifurcations: pd.DataFrame

    def __repr__(self) -> str:
        kinds = self.bifurcations["type"].tolist() if len(self.bifurcations) else []
        return f"<Branch in {self.parameter!r}: {len(self.points)} points, bifurcations {kinds}>"


def continuation(system: SymbolicSystem, parameter: str, x0, p_start: float, p_stop: float, ds: float = 0.05,
                 ds_min: float = 1e-6, ds_max: float | None = None, max_steps: int = 2000,
                 params: Mapping | None = None, tol: float = 1e-10, direction: int | None = None) -> Branch:
    """Pseudo-arclength continuation of the fixed point near ``x0`` from ``p_start`` until the parameter
    leaves ``[min(p_start, p_stop), max(...)]``; folds (turning points) are followed around.

    Bifurcations are detected where the number of unstable eigenvalues changes, and located by bisection
    along the branch (corrector on the arclength hyperplane); the critical eigenvalue classifies them:
    real -> 'fold', complex pair -> 'hopf'.

    Examples
    --------
    >>> from neurodyn.analysis import SymbolicSystem, find_fixed_points
    >>> s = SymbolicSystem.from_circuit("qif")
    >>> x0 = find_fixed_points(s, params={"p/qif_op/eta": -10.0}, bounds={"p/qif_op/r": (1e-6, 5)})[0].x
    >>> b = continuation(s, "p/qif_op/eta", x0, -10.0, 0.0, ds=0.1)
    >>> b.bifurcations["type"].tolist()
    ['fold', 'fold']
    """
    from scipy.optimize import root

    if parameter not in system.parameters:
        from neurodyn.errors import close_matches
        raise AnalysisError(f"unknown parameter {parameter!r}; {close_matches(parameter, system.parameters)}")
    base = dict(params or {})
    n = len(system.labels)
    ds_max = ds_max or 10 * ds
    pmin, pmax = min(p_start, p_stop), max(p_start, p_stop)
    sgn = direction if direction is not None else (1 if p_stop >= p_start else -1)

    def P(p):
        q = dict(base)
        q[parameter] = p
        return q

    def F(y):
        return system.f(y[:n], P(y[n]))

    def DF(y):
        q = P(y[n])
        return np.column_stack([system.jacobian(y[:n], q), system.dfdp(y[:n], parameter, q)])

    sol = root(lambda x: system.f(x, P(p_start)), np.asarray(x0, dtype=float),
               jac=lambda x: system.jacobian(x, P(p_start)), method="hybr")
    if not sol.success or np.max(np.abs(system.f(sol.x, P(p_start)))) > 1e-8:
        raise AnalysisError(f"continuation: no fixed point near x0 at {parameter} = {p_start}")
    y = np.append(sol.x, p_start)

    def tangent(y, prev=None):
        A = DF(y)
        if prev is None:
            prev = np.zeros(n + 1)
            prev[n] = sgn
        M = np.vstack([A, prev])
        rhs = np.zeros(n + 1)
        rhs[n] = 1.0
        t = np.linalg.solve(M, rhs)
        return t / np.linalg.norm(t)

    def correct(yp, t, maxit=20):
        yy = yp.copy()
        for _ in range(maxit):
            r = np.append(F(yy), t @ (yy - yp))
            if not np.all(np.isfinite(r)):
                return None
            if np.max(np.abs(r)) < tol:
                return yy
            Mx = np.vstack([DF(yy), t])
            try:
                yy = yy - np.linalg.solve(Mx, r)
            except np.linalg.LinAlgError:
                return None
        return yy if np.max(np.abs(F(yy))) < 1e-8 else None

    def eig(y):
        return np.linalg.eigvals(system.jacobian(y[:n], P(y[n])))

    def nun(ev):
        return int(np.sum(ev.real > 0))

    t = tangent(y)
    pts, tans = [y], [t]
    evs = [eig(y)]
    h = ds
    with np.errstate(all="ignore"):
        for _ in range(max_steps):
            ynew = None
            while h >= ds_min:
                ynew = correct(y + h * t, t)
                if ynew is not None and np.linalg.norm(ynew - y) < 3 * h:
                    break
                ynew = None
                h *= 0.5
            if ynew is None:
                break
            tn = tangent(ynew, t)
            if tn @ t < 0:
                tn = -tn
            y, t = ynew, tn
            pts.append(y)
            tans.append(t)
            evs.append(eig(y))
            h = min(ds_max, h * 1.3)
            if not pmin - 1e-12 <= y[n] <= pmax + 1e-12:
                break

        # bifurcations: changes in the number of unstable eigenvalues, located by bisection along the chord
        bifs = []
        for k in range(1, len(pts)):
            na, nb = nun(evs[k - 1]), nun(evs[k])
            if na == nb:
                continue
            ya, yb = pts[k - 1], pts[k]
            for _ in range(50):
                chord = yb - ya
                if np.linalg.norm(chord) < 1e-12:
                    break
                tc = chord / np.linalg.norm(chord)
                ym = correct(0.5 * (ya + yb), tc)
                if ym is None:
                    break
                if nun(eig(ym)) == na:
                    ya = ym
                else:
                    yb = ym
            yc = 0.5 * (ya + yb)
            ev = eig(yc)
            crit = ev[np.argmin(np.abs(ev.real))]
            kind = "hopf" if abs(crit.imag) > 1e-6 * max(1.0, abs(crit)) else "fold"
            bifs.append({"type": kind, parameter: yc[n], "omega": abs(crit.imag),
                         **dict(zip(system.labels, yc[:n])), "n_unstable_before": na, "n_unstable_after": nb})
    Y = np.array(pts)
    df = pd.DataFrame(Y[:, :n], columns=system.labels)
    df.insert(0, parameter, Y[:, n])
    df["n_unstable"] = [nun(e) for e in evs]
    df["stable"] = df["n_unstable"] == 0
    df["max_re"] = [float(np.max(e.real)) for e in evs]
    return Branch(parameter, df, pd.DataFrame(bifs))
