"""Continuation of equilibria in one parameter: folds, branch points and Hopf points detected, located and
described; branch switching at branch points.

Test functions along the branch (MatCont's choice): the parameter component of the scaled tangent (changes
sign at a fold), the determinant of the bordered Jacobian ``[df/dx df/dp; t^T]`` (changes sign at a branch
point, not at a fold; together they account for every real eigenvalue crossing zero, since
``det(df/dx) = t_p det([df/dx df/dp; t^T])``), and ``prod_{i<j} (l_i + l_j)/(|l_i| + |l_j|)`` over the
eigenvalues (changes sign where a complex pair crosses the imaginary axis; a real pair summing to zero, a
neutral saddle, is discarded). Located folds and Hopf points are polished by Newton's method on the minimally
augmented fold or Hopf system (:mod:`neurodyn.analysis.bifurcations`) and described by their normal-form
coefficients (``a`` of folds; ``omega``, ``l1`` and super/subcritical for Hopf points).

Examples
--------
>>> from neurodyn.analysis import SymbolicSystem, continuation, find_fixed_points
>>> s = SymbolicSystem.from_circuit("qif")                  # MPR, J = 15
>>> x0 = find_fixed_points(s, params={"p/qif_op/eta": -10.0}, bounds={"p/qif_op/r": (1e-6, 5)})[0]
>>> b = continuation(s, "p/qif_op/eta", x0, -10.0, 0.0)
>>> [(p.kind, round(p["p/qif_op/eta"], 4)) for p in b.special_points]
[('fold', -3.1361), ('fold', -5.7435)]
>>> b.stop.reason
'end'
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from neurodyn.analysis.bifurcations import (FoldSystem, HopfSystem, critical_pair, first_lyapunov_coefficient,
                                            fold_coefficient, hopf_test)
from neurodyn.analysis.branch import Branch, SpecialPoint, build_branch
from neurodyn.analysis.continuation import ContinuationSettings, Record, Tracer, newton_square, trace
from neurodyn.analysis.derivatives import derivatives, parameter_keys
from neurodyn.errors import AnalysisError, ConvergenceError, NotAnEquilibriumError

__all__ = ["continuation", "switch_branch", "EquilibriumSystem", "as_system", "state_scales"]


def as_system(system):
    """A SymbolicSystem from a SymbolicSystem, a circuit or a template name."""
    from neurodyn.analysis.jacobian import SymbolicSystem
    if isinstance(system, SymbolicSystem):
        return system
    return SymbolicSystem.from_circuit(system)


def state_scales(x, floor: float) -> np.ndarray:
    """Scales of the states: |x|, at least ``floor`` times the largest (1 if x is all zero)."""
    ax = np.abs(np.asarray(x, dtype=float))
    top = float(np.max(ax)) if ax.size else 0.0
    if not top > 0:
        return np.ones_like(ax)
    return np.maximum(ax, floor * top)


def _state(system, x0) -> np.ndarray:
    x = getattr(x0, "x", x0)
    x = np.asarray(x)
    if np.iscomplexobj(x):
        raise AnalysisError(f"x0 is complex; give complex states as real coordinates {system.labels}")
    x = np.asarray(x, dtype=float)
    if x.shape != (len(system.labels),):
        raise AnalysisError(f"x0 has shape {x.shape}; expected ({len(system.labels)},) for the states "
                            f"{system.labels}")
    if not np.all(np.isfinite(x)):
        raise AnalysisError(f"x0 is not finite: {dict(zip(system.labels, x.tolist()))}")
    return x


class EquilibriumSystem:
    """``f(x; p) = 0`` in the unknowns (x, p), with the fold, branch-point and Hopf test functions."""

    test_names = ("fold", "branch_point", "hopf")

    def __init__(self, d, parameter: str, params: Mapping | None = None):
        self.d = d
        self.s = d.system
        self.n = d.n
        self.parameter = parameter
        self.base = dict(params or {})
        self.names = list(self.s.labels) + [parameter]

    def split(self, y):
        P = dict(self.base)
        P[self.parameter] = float(y[self.n])
        return y[:self.n], P

    def residual(self, y):
        x, P = self.split(y)
        return self.s.f(x, P)

    def jacobian(self, y):
        x, P = self.split(y)
        return np.column_stack([self.s.jacobian(x, P), self.d.dfdp(x, P, self.parameter)])

    def eigenvalues(self, y):
        x, P = self.split(y)
        return np.linalg.eigvals(self.s.jacobian(x, P))

    def tests(self, y, t, det, ev):
        return {"fold": float(t[-1]), "branch_point": det, "hopf": hopf_test(ev)}

    def update(self, y):
        pass

    def is_state(self, k: int) -> bool:
        return k < self.n

    def describe(self, y) -> str:
        return f"{self.parameter} = {y[self.n]:.6g}"

    # ------------------------------------------------------------------------------ special points
    def _polish(self, system, y, scales):
        yp, ok, _ = newton_square(system.residual, system.jacobian, y, scales, tol=1e-12)
        if ok and np.linalg.norm((yp - y)[:len(scales)] / scales) < 1e-5:
            return yp
        return None

    def special_point(self, name, y, t, scales):
        x, P = self.split(y)
        if name == "branch_point":
            return "branch_point", y, {}
        if name == "fold":
            try:
                fs = FoldSystem(self.d, [self.parameter], self.base, y)
                yp = self._polish(fs, y, scales)
            except np.linalg.LinAlgError:
                yp = None
            if yp is not None:
                y = yp
                x, P = self.split(y)
            return "fold", y, {"a": fold_coefficient(self.d, x, P), "located": True}
        ev = self.eigenvalues(y)
        a, _, cplx = critical_pair(ev)
        if not cplx:
            return None                   # neutral saddle: a real pair summing to zero
        kappa = float(a.imag) ** 2
        try:
            hs = HopfSystem(self.d, [self.parameter], self.base, np.append(y, kappa))
            yp = self._polish(hs, np.append(y, kappa), np.append(scales, kappa))
        except np.linalg.LinAlgError:
            yp = None
        omega = abs(float(a.imag))
        if yp is not None and yp[-1] > 0:
            y, omega = yp[:-1], float(np.sqrt(yp[-1]))
            x, P = self.split(y)
        info = first_lyapunov_coefficient(self.d, x, P, omega)
        info["frequency"] = info["omega"] / (2 * np.pi)
        return "hopf", y, info


def _settings(settings, **kw) -> ContinuationSettings:
    base = settings if settings is not None else ContinuationSettings()
    if not isinstance(base, ContinuationSettings):
        raise AnalysisError(f"settings must be a ContinuationSettings, got {type(base).__name__}")
    return base.updated(**kw)


def _bounds_arrays(system, bounds, n_extra_lo, n_extra_hi):
    lo = np.full(len(system.labels), -np.inf)
    hi = np.full(len(system.labels), np.inf)
    for lab, (a, b) in dict(bounds or {}).items():
        if lab not in system.labels:
            from neurodyn.errors import close_matches
            raise AnalysisError(f"bounds: {lab!r} is not a state; {close_matches(lab, system.labels)}")
        if not a < b:
            raise AnalysisError(f"bounds for {lab!r} must be (low, high) with low < high, got {(a, b)}")
        lo[system.labels.index(lab)], hi[system.labels.index(lab)] = float(a), float(b)
    return np.concatenate([lo, n_extra_lo]), np.concatenate([hi, n_extra_hi])


def _start(system, pb, x0, scales):
    def res(x):
        return pb.residual(np.append(x, pb.y_param))

    def jac(x):
        return pb.jacobian(np.append(x, pb.y_param))[:, :-1]

    f0 = np.asarray(res(x0))
    r0 = float(np.max(np.abs(f0))) if np.all(np.isfinite(f0)) else np.inf
    x, ok, it = newton_square(res, jac, x0, scales, tol=1e-12, maxit=20)
    far = float(np.max(np.abs(x - x0) / scales)) if ok else np.inf
    if not ok or far > 0.05:
        worst = system.labels[int(np.argmax(np.abs(f0)))] if np.isfinite(r0) else "?"
        what = (f"Newton's method from x0 did not converge in {it} iterations" if not ok else
                f"Newton's method from x0 converged to a point {far:.3g} scale units away")
        raise NotAnEquilibriumError(
            f"x0 is not an equilibrium at {pb.describe(np.append(x0, pb.y_param))}: |f(x0)|_inf = {r0:.3g} "
            f"(largest in d({worst})/dt); {what}. Use find_fixed_points(system, params={{...}}) to get an "
            f"equilibrium at the start of the interval and pass it as x0.")
    return x


def continuation(system, parameter: str, x0, p_start: float, p_stop: float, ds: float | None = None,
                 ds_min: float | None = None, ds_max: float | None = None, max_steps: int | None = None,
                 params: Mapping | None = None, tol: float | None = None, direction: int | None = None,
                 bounds: Mapping | None = None, settings: ContinuationSettings | None = None) -> Branch:
    """Pseudo-arclength continuation of the equilibrium ``x0`` in ``parameter`` from ``p_start`` until the
    branch leaves ``[min(p_start, p_stop), max(p_start, p_stop)]`` (or the state ``bounds``), following it
    around folds; folds, branch points and Hopf points are detected, located and described.

    Parameters
    ----------
    system : SymbolicSystem, circuit or template name
    parameter : str
        Parameter path (``node/op/var``; ``all/op/var`` moves it in every node).
    x0 : array_like or FixedPoint
        An equilibrium (approximately) at ``p_start``; it is corrected by Newton's method first.
    p_start, p_stop : float
    ds, ds_min, ds_max, max_steps, tol :
        Step control in scaled arclength units and the Newton tolerance (see
        :class:`~neurodyn.analysis.ContinuationSettings`; defaults 0.02, 1e-7, 0.1, 2000, 1e-10).
    params : dict, optional
        Other parameter values.
    direction : {+1, -1}, optional
        Initial direction of the parameter (default: towards ``p_stop``).
    bounds : dict {state label: (low, high)}, optional
        Stop when a state leaves these bounds (e.g. a rate that must stay positive).
    settings : ContinuationSettings, optional

    Returns
    -------
    Branch
        ``points`` (DataFrame), ``special_points`` (folds 'fold', branch points 'branch_point', Hopf points
        'hopf' with omega, frequency, l1 and criticality), ``bifurcations`` (DataFrame of them) and
        ``stop`` (why and where it ended).

    Raises
    ------
    VariablePathError
        ``parameter`` is not a parameter (with close matches).
    NotAnEquilibriumError
        ``x0`` is not an equilibrium at ``p_start`` (with the residual).
    ConvergenceError
        Not even the first step converged (with where, the last step and a hint).
    """
    s = as_system(system)
    parameter_keys(s, parameter)
    for name, v in (("p_start", p_start), ("p_stop", p_stop)):
        if not np.isfinite(v):
            raise AnalysisError(f"{name} must be finite, got {v!r}")
    p_start, p_stop = float(p_start), float(p_stop)
    if p_start == p_stop:
        raise AnalysisError(f"p_start and p_stop are equal ({p_start}); give an interval")
    st = _settings(settings, ds=ds, ds_min=ds_min, ds_max=ds_max, max_steps=max_steps, newton_tol=tol)
    d = derivatives(s)
    base = {k: v for k, v in dict(params or {}).items() if k != parameter}
    pb = EquilibriumSystem(d, parameter, base)
    x0 = _state(s, x0)
    sx = state_scales(x0, st.floor)
    pb.y_param = p_start
    x = _start(s, pb, x0, sx)
    sgn = float(np.sign(direction)) if direction else (1.0 if p_stop > p_start else -1.0)
    scales = np.append(state_scales(x, st.floor), abs(p_stop - p_start))
    groups = np.append(np.ones(len(x), int), 0)
    lower, upper = _bounds_arrays(s, bounds, [min(p_start, p_stop)], [max(p_start, p_stop)])
    y0 = np.append(x, p_start)
    t0 = np.zeros(len(y0))
    t0[-1] = sgn
    recs, stop = trace(pb, y0, t0, scales, groups, lower, upper, st, names=pb.names)
    if len(recs) == 1 and stop.reason in ("ds_min", "singular"):
        raise ConvergenceError(f"continuation in {parameter!r} did not take a single step from "
                               f"{parameter} = {p_start:g}: {stop.message} Hint: {stop.hint}")
    ctx = {"parameter": parameter, "interval": (p_start, p_stop), "bounds": dict(bounds or {}), "settings": st}
    return build_branch("equilibrium", [parameter], s.labels, pb, recs, [stop], s, base, ctx)


def switch_branch(point: SpecialPoint, p_start: float | None = None, p_stop: float | None = None,
                  ds: float | None = None, settings: ContinuationSettings | None = None, **kw) -> Branch:
    """Continue the other branch through a branch point, in both directions.

    The two tangents at a simple branch point span the null space of ``[df/dx df/dp]``; the predictor leaves
    along the null vector orthogonal to the current branch and Newton's method corrects on the hyperplane
    orthogonal to it, which meets the other branch. The new branch is traced in both directions within the
    interval of the original one (or ``[p_start, p_stop]``) and returned as one Branch that passes through the
    branch point.
    """
    if not isinstance(point, SpecialPoint) or point.kind != "branch_point":
        raise AnalysisError(f"switch_branch needs a SpecialPoint of kind 'branch_point', got {point!r}")
    ctx = point.context
    parameter = ctx.get("parameter", next(iter(point.parameters)))
    a, b = ctx.get("interval", (None, None))
    lo_p = p_start if p_start is not None else a
    hi_p = p_stop if p_stop is not None else b
    if lo_p is None or hi_p is None:
        raise AnalysisError("give p_start and p_stop for the new branch")
    lo_p, hi_p = min(lo_p, hi_p), max(lo_p, hi_p)
    st = _settings(settings if settings is not None else ctx.get("settings"), ds=ds, **kw)
    s = point.system
    d = derivatives(s)
    pb = EquilibriumSystem(d, parameter, point.params)
    y_bp = np.append(point.x, point.parameters[parameter])
    scales = np.append(state_scales(point.x, st.floor), hi_p - lo_p)
    A = pb.jacobian(y_bp) * scales
    rows = np.max(np.abs(A), axis=1)
    rows[~(rows > 0)] = 1.0
    _, _, Vh = np.linalg.svd(A / rows[:, None])
    null = Vh[-2:]
    # the tangent of the branch we came along, in the same scaled coordinates
    t_cur = point.tangent / scales if point.tangent is not None else null[0]
    t_cur = t_cur / np.linalg.norm(t_cur)
    c = null @ t_cur
    phi = null[0] * c[1] - null[1] * c[0]           # in span(null), orthogonal to t_cur
    phi /= np.linalg.norm(phi)
    lower, upper = _bounds_arrays(s, ctx.get("bounds"), [lo_p], [hi_p])
    groups = np.append(np.ones(len(point.x), int), 0)
    pieces, stops = [], []
    for sign in (-1.0, 1.0):
        direc = sign * phi
        tr = Tracer(pb, st, scales, groups, lower, upper, rows)
        y1 = None
        h = st.ds
        while h >= st.ds_min and y1 is None:
            out = tr.correct(y_bp + h * direc * scales, direc)
            if out is not None and np.linalg.norm((out[0] - y_bp) / scales) > 0.5 * h:
                y1 = out[0]
            h *= 0.5
        if y1 is None:
            raise ConvergenceError(f"branch switching at {point.describe()}: no point found on the other branch "
                                   f"down to ds = {st.ds_min:g}. Hint: the point may not be a simple branch "
                                   f"point; try a larger ds.")
        recs, stop = trace(pb, y1, direc * scales, scales, groups, lower, upper, st, names=pb.names)
        pieces.append(recs)
        stops.append(stop)
    back, fwd = pieces
    for r in back:
        r.t = -r.t
    mid = Record(y_bp.copy(), phi * scales, {}, pb.eigenvalues(y_bp), special="branch_point",
                 data={}, located=point.located)
    recs = back[::-1] + [mid] + fwd
    stops[0].index = 0
    stops[1].index = len(recs) - 1
    return build_branch("equilibrium", [parameter], s.labels, pb, recs, stops, s, point.params, ctx)
