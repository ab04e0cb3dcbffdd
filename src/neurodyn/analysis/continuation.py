"""Pseudo-arclength continuation of the solution curve of ``G(y) = 0``, ``G: R^(N+1) -> R^N``, in scaled
coordinates, with adaptive steps, event detection by test functions and location of the events.

The engine is generic: a *defining system* (equilibria, fold curves, Hopf curves; see
:mod:`neurodyn.analysis.equilibria` and :mod:`neurodyn.analysis.bifurcations`) supplies ``G``, its Jacobian
and its test functions; this module traces the curve and reports why it stopped.

Method
------
* **Scaling.** Every unknown ``y_i`` is divided by a scale ``sigma_i`` and every equation by a row scale fixed
  at the start (the largest entry of its scaled Jacobian row), so that states of 1e-2 V and a parameter of
  100/s weigh alike. State scales are the largest magnitude met so far, at least ``floor`` (5 %) of the
  largest scale of their group (so a state near zero does not dominate); parameter scales are the length of
  the interval. Steps ``ds`` are arclengths in these units (a straight branch across the interval has length
  ~1).
* **Predictor-corrector.** Tangent predictor ``y + h t``; Newton corrector on ``[G(y); t.(y - y_pred)] = 0``
  (the bordered system ``[DG; t^T]``, exact Jacobians). A step is accepted if Newton converges
  (``|dy|_inf <= newton_tol`` in scaled units within ``max_newton`` iterations), the tangent turns by less
  than ``max_angle`` and the corrector moved less than half a step; otherwise it is halved. After an accepted
  step the step grows (x1.5 after <= 3 iterations) or shrinks (slow Newton, large turn), within
  ``[ds_min, ds_max]``. The tangent is the solution of ``[DG; t_prev^T] t = e_(N+1)``, normalised, so its
  orientation is continuous.
* **Events.** At each point the defining system evaluates its test functions; a sign change between two
  points is an event, located by the Illinois variant of regula falsi on the arclength ``s`` of the step
  (each trial point corrected onto the curve on the hyperplane ``t.(y - y_a) = s``) until the bracket is
  shorter than ``locate_tol``; the defining system may then polish it (Newton on a minimally augmented
  system) and describe it (normal-form coefficients), or reject it (a neutral saddle is not a Hopf point).
* **Stops.** The curve ends at a boundary of the box (located exactly: Newton with the bounded coordinate
  fixed), when it closes on itself, at the step-size floor, at a singular bordered matrix, or after
  ``max_steps``; :class:`StopInfo` says which and where.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from neurodyn.errors import AnalysisError

__all__ = ["ContinuationSettings", "StopInfo", "trace", "newton_square"]


@dataclass(frozen=True)
class ContinuationSettings:
    """Step control and tolerances (steps and tolerances in scaled units, see the module docstring).

    ds : initial step; ds_min : step-size floor (the branch stops below it); ds_max : largest step;
    max_steps : accepted steps per direction; newton_tol : Newton convergence (largest scaled correction);
    max_newton : Newton iterations per step; max_angle : largest turn of the tangent per step (radians);
    locate_tol : length of the final bracket of a located event (scaled arclength); floor : smallest state
    scale relative to the largest scale of its group.
    """

    ds: float = 0.02
    ds_min: float = 1e-7
    ds_max: float = 0.1
    max_steps: int = 2000
    newton_tol: float = 1e-10
    max_newton: int = 8
    max_angle: float = 0.25
    locate_tol: float = 1e-10
    max_locate: int = 60
    floor: float = 0.05

    def __post_init__(self):
        for name in ("ds", "ds_min", "ds_max", "newton_tol", "max_angle", "locate_tol", "floor"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise AnalysisError(f"continuation setting {name} must be positive and finite, got {v!r}")
        if not self.ds_min <= self.ds <= self.ds_max:
            raise AnalysisError(f"continuation steps must satisfy ds_min <= ds <= ds_max, got ds_min="
                                f"{self.ds_min:g}, ds={self.ds:g}, ds_max={self.ds_max:g}")
        for name in ("max_steps", "max_newton", "max_locate"):
            if int(getattr(self, name)) < 1:
                raise AnalysisError(f"continuation setting {name} must be >= 1, got {getattr(self, name)!r}")

    def updated(self, **kw) -> "ContinuationSettings":
        """A copy with the given (non-None) settings changed; the bounds follow a ds given alone and ds
        follows bounds given alone."""
        kw = {k: v for k, v in kw.items() if v is not None}
        if "ds" in kw and "ds_max" not in kw and kw["ds"] > self.ds_max:
            kw["ds_max"] = kw["ds"]
        if "ds" in kw and "ds_min" not in kw and kw["ds"] < self.ds_min:
            kw["ds_min"] = kw["ds"]
        if "ds" not in kw and "ds_max" in kw and kw["ds_max"] < self.ds:
            kw["ds"] = kw["ds_max"]
        if "ds" not in kw and "ds_min" in kw and kw["ds_min"] > self.ds:
            kw["ds"] = kw["ds_min"]
        return replace(self, **kw)


@dataclass
class StopInfo:
    """Why and where a traced curve ended.

    reason : 'end' (a boundary of the parameter interval or box), 'bounds' (a state bound), 'closed' (back at
    the start), 'ds_min' (no converged step above the step-size floor), 'singular' (singular bordered
    Jacobian), 'max_steps'. ``index`` is the row of the last point, ``values`` its coordinates, ``step`` the
    last step tried (scaled arclength).
    """

    reason: str
    message: str
    index: int
    values: dict
    step: float
    hint: str = ""

    @property
    def complete(self) -> bool:
        """True if the curve ended where it should (interval end, bounds, closed), not by failure."""
        return self.reason in ("end", "bounds", "closed")

    def __str__(self) -> str:
        return self.message + (f" Hint: {self.hint}" if self.hint else "")

    def __repr__(self) -> str:
        return f"<StopInfo {self.reason}: {self}>"


@dataclass
class Record:
    """One point of a traced curve (original coordinates)."""

    y: np.ndarray
    t: np.ndarray                  # tangent in original coordinates (scaled tangent times the scales)
    tests: dict
    eigenvalues: np.ndarray
    special: str = ""
    data: dict = field(default_factory=dict)
    located: bool = True
    n_newton: int = 0


def newton_square(residual, jacobian, y0, scales, tol: float = 1e-11, maxit: int = 15):
    """Newton's method for a square system in scaled coordinates; returns (y, converged, iterations)."""
    y = np.array(y0, dtype=float)
    rs = None
    with np.errstate(all="ignore"):
        for it in range(1, maxit + 1):
            r = np.asarray(residual(y), dtype=float)
            A = np.asarray(jacobian(y), dtype=float) * scales
            if rs is None:
                rs = np.max(np.abs(A), axis=1)
                rs[~(rs > 0)] = 1.0
            if not (np.all(np.isfinite(r)) and np.all(np.isfinite(A))):
                return y, False, it
            try:
                d = np.linalg.solve(A / rs[:, None], r / rs)
            except np.linalg.LinAlgError:
                return y, False, it
            y = y - d * scales
            if not np.all(np.isfinite(y)):
                return y, False, it
            if np.max(np.abs(d)) <= tol:
                return y, True, it
    return y, False, maxit


class Tracer:
    """The scaled algebra of one traced direction: scaled residual and Jacobian, tangent, corrector, event
    location and boundary location (used by :func:`trace` and by branch switching)."""

    def __init__(self, problem, settings: ContinuationSettings, scales, groups, lower, upper, rows):
        self.pb = problem
        self.st = settings
        self.sigma = np.array(scales, dtype=float)
        self.groups = np.asarray(groups)
        self.lower = np.asarray(lower, dtype=float)
        self.upper = np.asarray(upper, dtype=float)
        self.rows = rows
        self.last_newton_residual = np.nan

    # -------------------------------------------------------------------------------- scaled algebra
    def DG(self, y):
        return np.asarray(self.pb.jacobian(y), dtype=float) * self.sigma / self.rows[:, None]

    def G(self, y):
        return np.asarray(self.pb.residual(y), dtype=float) / self.rows

    def tangent(self, y, t_prev):
        """Scaled unit tangent at y oriented along t_prev (scaled), and det of [DG; t^T]."""
        A = np.vstack([self.DG(y), t_prev])
        rhs = np.zeros(len(y))
        rhs[-1] = 1.0
        t = np.linalg.solve(A, rhs)
        if not np.all(np.isfinite(t)):
            raise np.linalg.LinAlgError("non-finite tangent")
        t /= np.linalg.norm(t)
        M = np.vstack([A[:-1], t])
        sign, logdet = np.linalg.slogdet(M)
        det = sign * np.exp(logdet) if np.isfinite(logdet) else 0.0
        if np.linalg.cond(M) > 1e14:
            raise np.linalg.LinAlgError("singular bordered Jacobian")
        return t, float(det)

    def correct(self, y_pred, t, base=None, s=None):
        """Newton on G = 0, t.(y~ - y~_pred) = 0 (or t.(y~ - base~) = s). Returns (y, iterations) or None."""
        yt = y_pred / self.sigma
        anchor = yt if base is None else base / self.sigma + s * t
        with np.errstate(all="ignore"):
            for it in range(1, self.st.max_newton + 1):
                y = yt * self.sigma
                r = np.append(self.G(y), t @ (yt - anchor))
                A = np.vstack([self.DG(y), t])
                if not (np.all(np.isfinite(r)) and np.all(np.isfinite(A))):
                    return None
                try:
                    d = np.linalg.solve(A, r)
                except np.linalg.LinAlgError:      # exactly singular (at a branch point): least squares
                    d = np.linalg.lstsq(A, r, rcond=None)[0]
                yt = yt - d
                step = float(np.max(np.abs(d)))
                self.last_newton_residual = float(np.max(np.abs(r)))
                if not np.isfinite(step) or step > 1.0:
                    return None
                if step <= self.st.newton_tol:
                    return yt * self.sigma, it
        return None

    def record(self, y, t_scaled, det, n_newton=0) -> Record:
        ev = self.pb.eigenvalues(y)
        tests = self.pb.tests(y, t_scaled, det, ev)
        return Record(np.array(y, dtype=float), t_scaled * self.sigma, tests, ev, n_newton=n_newton)

    def scaled_tangent(self, rec: Record):
        t = rec.t / self.sigma
        return t / np.linalg.norm(t)

    def update_scales(self, y):
        for g in np.unique(self.groups):
            if g <= 0:
                continue
            m = self.groups == g
            self.sigma[m] = np.maximum(self.sigma[m], np.abs(y[m]))
            self.sigma[m] = np.maximum(self.sigma[m], self.st.floor * np.max(self.sigma[m]))

    # ------------------------------------------------------------------------------------- events
    def locate(self, a: Record, b: Record, name: str):
        """Illinois regula falsi on the test function ``name`` between a and b; returns a Record or None."""
        ta = self.scaled_tangent(a)
        sb = float(ta @ ((b.y - a.y) / self.sigma))
        if not sb > 0:
            return None
        lo, flo = 0.0, a.tests[name]
        hi, fhi = sb, b.tests[name]
        best = None
        side = 0
        for _ in range(self.st.max_locate):
            if hi - lo <= self.st.locate_tol:
                break
            s = hi - fhi * (hi - lo) / (fhi - flo) if fhi != flo else 0.5 * (lo + hi)
            if not lo < s < hi:
                s = 0.5 * (lo + hi)
            frac = s / sb
            guess = a.y + frac * (b.y - a.y)
            out = self.correct(guess, ta, base=a.y, s=s)
            if out is None:
                return best
            y, _ = out
            try:
                t, det = self.tangent(y, ta)
            except np.linalg.LinAlgError:
                # exactly singular: the trial landed on the singular point itself (e.g. a branch point)
                return self.record(y, ta, 0.0)
            rec = self.record(y, t, det)
            fs = rec.tests[name]
            if not np.isfinite(fs):
                return best
            best = rec
            if fs == 0:
                break
            if np.sign(fs) == np.sign(flo):
                lo, flo = s, fs
                if side == -1:
                    fhi *= 0.5
                side = -1
            else:
                hi, fhi = s, fs
                if side == 1:
                    flo *= 0.5
                side = 1
        return best

    def events(self, a: Record, b: Record) -> list:
        out = []
        for name in self.pb.test_names:
            fa, fb = a.tests.get(name, np.nan), b.tests.get(name, np.nan)
            if not (np.isfinite(fa) and np.isfinite(fb)) or fa == 0 or np.sign(fa) == np.sign(fb):
                continue
            rec = self.locate(a, b, name)
            located = rec is not None
            if rec is None:       # keep the better end as an approximation
                src = a if abs(fa) < abs(fb) else b
                rec = Record(src.y.copy(), src.t.copy(), dict(src.tests), src.eigenvalues.copy())
            ta = self.scaled_tangent(a)
            res = self.pb.special_point(name, rec.y, rec.t / self.sigma, self.sigma)
            if res is None:
                continue
            kind, y, data = res
            if y is not rec.y:
                try:
                    t, det = self.tangent(y, ta)
                    rec = self.record(y, t, det)
                except np.linalg.LinAlgError:
                    pass
            rec.special, rec.data, rec.located = kind, data, located and data.get("located", True)
            rec.data.pop("located", None)
            s = float(ta @ ((rec.y - a.y) / self.sigma))
            out.append((s, rec))
        out.sort(key=lambda z: z[0])
        return [r for _, r in out]

    # ------------------------------------------------------------------------------------ boundary
    def boundary(self, a: Record, b: Record):
        """The point where the step a -> b leaves the box, or None if b is inside."""
        ya, yb = a.y, b.y
        out_lo = yb < self.lower
        out_hi = yb > self.upper
        if not (out_lo.any() or out_hi.any()):
            return None
        best, k, bound = 2.0, None, None
        for i in np.flatnonzero(out_lo | out_hi):
            bd = self.lower[i] if out_lo[i] else self.upper[i]
            den = yb[i] - ya[i]
            frac = (bd - ya[i]) / den if den != 0 else 0.0
            if frac < best:
                best, k, bound = frac, i, bd
        guess = ya + min(max(best, 0.0), 1.0) * (yb - ya)
        guess[k] = bound

        def res(y):
            return np.append(self.pb.residual(y), (y[k] - bound))

        def jac(y):
            e = np.zeros(len(y))
            e[k] = 1.0
            return np.vstack([self.pb.jacobian(y), e])

        y, ok, _ = newton_square(res, jac, guess, self.sigma, tol=self.st.newton_tol)
        if not ok:
            y = guess
        ta = self.scaled_tangent(a)
        try:
            t, det = self.tangent(y, ta)
        except np.linalg.LinAlgError:
            t, det = ta, np.nan
        rec = self.record(y, t, det)
        return rec, int(k), float(bound), ok


def trace(problem, y0, t0, scales, groups, lower, upper, settings: ContinuationSettings, names=None):
    """Trace the curve of ``problem`` from ``y0`` in the direction of ``t0`` (original coordinates).

    ``problem`` provides ``residual(y)``, ``jacobian(y)`` (N x (N+1)), ``eigenvalues(y)``,
    ``tests(y, t_scaled, det, eigenvalues)`` (dict), ``test_names``, ``special_point(name, y, t_scaled,
    scales)`` (-> (kind, y, data) or None), ``update(y)`` (after each accepted point) and ``describe(y)``
    (a short text of a point for messages). Returns (records, StopInfo); the first record is ``y0``.
    """
    st = settings
    names = names or [f"y{i}" for i in range(len(y0))]
    sigma = np.array(scales, dtype=float)
    with np.errstate(all="ignore"):
        J0 = np.asarray(problem.jacobian(y0), dtype=float) * sigma
    rows = np.max(np.abs(J0), axis=1)
    rows[~(rows > 0)] = 1.0
    tr = Tracer(problem, st, sigma, groups, lower, upper, rows)
    t0s = np.asarray(t0, dtype=float) / sigma
    t0s /= np.linalg.norm(t0s)
    try:
        t, det = tr.tangent(y0, t0s)
    except np.linalg.LinAlgError:
        raise AnalysisError(f"the start {problem.describe(y0)} is a singular point of the curve (the bordered "
                            f"Jacobian is singular there); start a little away from it") from None
    recs = [tr.record(y0, t, det)]
    problem.update(y0)
    h = st.ds
    travelled = 0.0
    stop = None
    h_tried = h
    for _ in range(st.max_steps):
        a = recs[-1]
        ta = tr.scaled_tangent(a)
        accepted = None
        while h >= st.ds_min:
            h_tried = h
            yp = a.y + h * ta * tr.sigma
            out = tr.correct(yp, ta)
            if out is not None:
                y, nit = out
                try:
                    tb, detb = tr.tangent(y, ta)
                except np.linalg.LinAlgError:
                    tb = None
                if tb is not None:
                    cosang = float(np.clip(tb @ ta, -1.0, 1.0))
                    dist = float(np.linalg.norm((y - yp) / tr.sigma))
                    if np.arccos(cosang) <= st.max_angle and dist <= 0.5 * h:
                        accepted = (y, tb, detb, nit, np.arccos(cosang))
                        break
            h *= 0.5
        if accepted is None:
            sing = False
            try:
                tr.tangent(a.y, ta)
            except np.linalg.LinAlgError:
                sing = True
            where = problem.describe(a.y)
            if sing:
                stop = ("singular", f"singular point: the bordered Jacobian is singular at {where}.",
                        "a point of higher codimension, or a right-hand side that is not smooth there.")
            else:
                stop = ("ds_min", f"step-size floor: no converged step down to ds = {st.ds_min:g} (last "
                        f"step tried {h_tried:.3g}) from {where}; last Newton residual "
                        f"{tr.last_newton_residual:.3g}.",
                        "the curve may end at a singular point or the equations may not be smooth there; "
                        "try a smaller ds_min or larger max_newton, or start from the other end.")
            break
        y, tb, detb, nit, ang = accepted
        b = tr.record(y, tb, detb, nit)
        bd = tr.boundary(a, b)
        if bd is not None:
            b, k, bound, ok = bd
        recs += tr.events(a, b)
        recs.append(b)
        travelled += float(np.linalg.norm((b.y - a.y) / tr.sigma))
        if bd is not None:
            reason = "end" if not problem.is_state(k) else "bounds"
            what = "the end of the interval" if reason == "end" else "a state bound"
            stop = (reason, f"reached {names[k]} = {bound:.6g} ({what})" + ("" if ok else
                    " (approximately: the Newton correction onto the bound did not converge)") + ".", "")
            break
        problem.update(y)
        tr.update_scales(y)
        # closed curve: back at the start, in the same direction
        if len(recs) > 4:
            d0 = float(np.linalg.norm((y - recs[0].y) / tr.sigma))
            reach = max(h, st.ds)
            if (d0 < reach and travelled > 3 * reach and travelled > 10 * d0
                    and tr.scaled_tangent(b) @ tr.scaled_tangent(recs[0]) > 0.9):
                first = recs[0]
                recs.append(Record(first.y.copy(), first.t.copy(), dict(first.tests), first.eigenvalues.copy()))
                stop = ("closed", f"the curve closed: back at the start {problem.describe(first.y)}.", "")
                break
        # next step
        fac = 1.5 if nit <= 3 else (1.0 if nit <= 5 else 0.7)
        if ang > 0:
            fac = min(fac, max(0.5, 0.5 * st.max_angle / ang))
        h = float(np.clip(h * fac, st.ds_min, st.ds_max))
    if stop is None:
        stop = ("max_steps", f"max_steps = {st.max_steps} steps taken, at "
                f"{problem.describe(recs[-1].y)}.", "raise max_steps (or ds_max) to go further.")
    reason, msg, hint = stop
    last = recs[-1]
    info = StopInfo(reason, msg, len(recs) - 1, dict(zip(names, last.y.tolist())), float(h_tried), hint)
    return recs, info
