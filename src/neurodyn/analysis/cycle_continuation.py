"""One-parameter continuation of periodic orbits: pseudo-arclength on the collocation equations, with folds
of cycles, period doubling (and switching to the doubled branch), Neimark-Sacker and branch points of cycles.

The unknowns are the profile's node values, the period and the parameter. Keller's pseudo-arclength condition
``<t, z - z_prev - ds t> = 0`` uses the weighted inner product
``int_0^1 sum_a (du_a / s_a)^2 dtau + (dT / s_T)^2 + (dp / s_p)^2`` (state scales ``s_a`` from the starting
orbit's peak-to-peak amplitudes, ``s_T`` its period, ``s_p`` the parameter scale), so states, period and
parameter of different magnitudes take comparable steps. The phase condition is taken against the previous
orbit; meshes are re-adapted every few steps.

Detection, on every step, from the nontrivial Floquet multipliers (trivial one split off exactly):

* **fold** (limit point of cycles): the parameter component of the tangent changes sign (a multiplier passes
  +1 there);
* **period doubling**: a real multiplier crosses -1;
* **Neimark-Sacker**: a complex pair crosses the unit circle (``angle`` = its argument);
* **branch point**: a real multiplier crosses +1 without a fold.

Each is located by Brent's method in the arclength of the step (every trial point corrected back onto the
branch). :func:`continue_cycles` also starts from a Hopf point (the cycle branch leaves it along the critical
eigenfunction) and from a period-doubling point (the doubled branch leaves the twice-traversed orbit along the
period-doubling eigenfunction).

Examples
--------
>>> import numpy as np
>>> from neurodyn.analysis import SymbolicSystem, HopfPoint, continue_cycles
>>> s = SymbolicSystem.from_circuit("sl")                   # unit circle at omega = 1
>>> hopf = HopfPoint("p/sl_op/omega", 1.0, np.zeros(2))      # not a Hopf point: eigenvalues 1 +- i
>>> try:
...     continue_cycles(s, "p/sl_op/omega", hopf, (0.5, 2.0))
... except Exception as exc:
...     print(type(exc).__name__)
NotAHopfPointError
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from neurodyn.analysis.batched import BatchedSystem
from neurodyn.analysis.collocation import (CollocationScheme, CycleConvergenceError, CycleError, PeriodicBVP,
                                           adapted_mesh, node_times, resample, sparse_lu)
from neurodyn.analysis.floquet import collocation_transitions
from neurodyn.analysis.periodic import PeriodicOrbit, as_system, finish_orbit, state_scales
from neurodyn.errors import InputError, VariablePathError, close_matches

__all__ = ["HopfPoint", "NotAHopfPointError", "CycleBifurcation", "CycleBranch", "continue_cycles",
           "cycle_from_hopf"]


class NotAHopfPointError(CycleError):
    """The point given to start a cycle branch is not (close to) a Hopf point."""


@dataclass
class HopfPoint:
    """A Hopf point to start a branch of cycles from: equilibrium ``x`` at ``parameter = value``.

    ``omega`` (angular frequency of the critical pair) and ``eigenvector`` (complex, for the eigenvalue
    ``+i omega``) are optional: they are computed from the Jacobian when missing. Build one from a row of
    :func:`~neurodyn.analysis.continuation`'s ``bifurcations`` with :meth:`from_row`.
    """

    parameter: str
    value: float
    x: np.ndarray
    omega: float | None = None
    eigenvector: np.ndarray | None = None

    @classmethod
    def from_row(cls, row, parameter: str, labels) -> "HopfPoint":
        """From a mapping / pandas row holding ``parameter``, every state label and optionally ``omega``."""
        missing = [k for k in [parameter, *labels] if k not in row]
        if missing:
            raise InputError(f"the row has no {missing[:3]}; it needs the parameter and every state")
        om = row["omega"] if "omega" in row else None
        return cls(parameter, float(row[parameter]), np.array([row[k] for k in labels], dtype=float),
                   None if om is None or not np.isfinite(om) else float(om))


@dataclass
class CycleBifurcation:
    """A bifurcation located on a branch of cycles.

    ``type`` is 'fold', 'period_doubling', 'neimark_sacker' or 'branch_point'; ``value`` the parameter value;
    ``orbit`` the critical orbit; ``multiplier`` the critical multiplier (``angle`` its argument, for
    Neimark-Sacker points); ``step`` the index of the branch point after which it was found.
    """

    type: str
    parameter: str
    value: float
    orbit: PeriodicOrbit = field(repr=False)
    multiplier: complex
    step: int

    @property
    def angle(self) -> float:
        return float(abs(np.angle(self.multiplier)))

    @property
    def period(self) -> float:
        return self.orbit.period

    def __repr__(self) -> str:
        return (f"<CycleBifurcation {self.type} at {self.parameter} = {self.value:.8g}: period {self.period:.6g}, "
                f"multiplier {self.multiplier:.5g}>")


@dataclass
class CycleBranch:
    """A branch of periodic orbits traced in one parameter.

    Attributes
    ----------
    orbits : list of PeriodicOrbit
    points : DataFrame
        One row per orbit: the parameter, ``period``, ``n_unstable``, ``stable``, ``max_abs_multiplier`` and
        the minimum and maximum of every state (columns ``min <label>``, ``max <label>``).
    bifurcations : list of CycleBifurcation
    stop_reason : str
        Why the branch ended: 'p_range' (the parameter reached a bound), 'max_steps', 'ds_min' (the step size
        fell below its floor), 'max_period', 'amplitude' (the cycle shrinks to an equilibrium: a Hopf point),
        'period_doubling' (a doubled branch returns to the twice-traversed orbit of its base branch: it ends at
        a period-doubling point of that branch); ``message`` says where and what to try.
    stopped_at : float
        The parameter value where it stopped (for 'amplitude': the estimated Hopf point; for
        'period_doubling': the estimated period-doubling point).
    """

    parameter: str
    orbits: list
    bifurcations: list
    stop_reason: str
    message: str
    stopped_at: float = float("nan")

    @property
    def points(self) -> pd.DataFrame:
        rows = []
        for o in self.orbits:
            mn, mx = o.minimum, o.maximum
            r = {self.parameter: o.parameter_value, "period": o.period, "n_unstable": o.n_unstable,
                 "stable": o.stable,
                 "max_abs_multiplier": float(np.abs(o.multipliers).max()) if o.multipliers.size else np.nan}
            r.update({f"min {k}": v for k, v in mn.items()})
            r.update({f"max {k}": v for k, v in mx.items()})
            rows.append(r)
        return pd.DataFrame(rows)

    @property
    def bifurcations_table(self) -> pd.DataFrame:
        return pd.DataFrame([{"type": b.type, self.parameter: b.value, "period": b.period,
                              "multiplier": b.multiplier, "angle": b.angle, "step": b.step}
                             for b in self.bifurcations],
                            columns=["type", self.parameter, "period", "multiplier", "angle", "step"])

    def __repr__(self) -> str:
        p = [o.parameter_value for o in self.orbits]
        span = f"{min(p):.6g}..{max(p):.6g}" if p else "-"
        return (f"<CycleBranch in {self.parameter!r}: {len(self.orbits)} orbits over {span}, bifurcations "
                f"{[b.type for b in self.bifurcations]}; stopped: {self.stop_reason}>")


# ------------------------------------------------------------------------------------------------ machinery
class _Tracer:
    """State of one continuation: system, mesh, scales, current point and tangent."""

    def __init__(self, b: BatchedSystem, parameter: str, params: dict, scheme: CollocationScheme, mesh, sigma,
                 sigma_T: float, sigma_p: float, tol: float, max_iter: int):
        self.b, self.parameter, self.params, self.scheme = b, parameter, params, scheme
        self.sigma, self.sigma_T, self.sigma_p = np.asarray(sigma, float), float(sigma_T), float(sigma_p)
        self.tol, self.max_iter = tol, max_iter
        self.set_mesh(mesh)

    def set_mesh(self, mesh):
        self.bvp = PeriodicBVP(self.b, mesh, self.scheme, self.params, self.parameter)
        bvp = self.bvp
        w = np.zeros(bvp.N * bvp.m)
        np.add.at(w, bvp._node_idx.ravel(), (bvp.h[:, None] * self.scheme.node_weights[None, :]).ravel())
        self.W = np.concatenate([(w[:, None] / self.sigma[None, :] ** 2).ravel(), [self.sigma_T ** -2,
                                                                                 self.sigma_p ** -2]])
        self.zscale = np.concatenate([np.tile(self.sigma, bvp.N * bvp.m), [self.sigma_T, self.sigma_p]])

    def norm(self, v) -> float:
        return float(np.sqrt(np.sum(self.W * v * v)))

    def correct(self, pred, t, phase, where):
        row = self.W * t
        return self.bvp.newton(pred, phase, self.zscale, extra=(row, row @ pred), tol=self.tol,
                               max_iter=self.max_iter, where=where)

    def tangent(self, z, t_prev, phase):
        _, M, _ = self.bvp.linearise(z, phase, self.W * t_prev)
        rhs = np.zeros(self.bvp.size)
        rhs[-1] = 1.0
        x = sparse_lu(M).solve(rhs)
        return x / self.norm(x)

    def orbit(self, z, phase) -> PeriodicOrbit:
        return finish_orbit(self.bvp, z, phase, self.sigma)

    def p(self, z) -> float:
        return float(z[-1])


def _hopf_end(orbits, sigma, parameter):
    """Stop message at the end of a branch that shrinks to a Hopf point, with its location estimated from the
    last two orbits (amplitude^2 linear in the parameter near a Hopf point)."""
    pa = [o.parameter_value for o in orbits[-2:]]
    A2 = [_scaled_amplitude(o, sigma) ** 2 for o in orbits[-2:]]
    ph = pa[-1] - A2[-1] * (pa[0] - pa[-1]) / (A2[0] - A2[-1]) if len(pa) == 2 and A2[0] != A2[-1] else pa[-1]
    return "amplitude", float(ph), (f"the cycle shrinks to an equilibrium (scaled amplitude {np.sqrt(A2[-1]):.2e} at "
                         f"{parameter} = {pa[-1]:.8g}): the branch ends at a Hopf point near {parameter} = {ph:.8g}")


def _half_shift_distance(o: PeriodicOrbit, n: int = 256) -> float:
    """Largest distance between the orbit and its shift by half a period, relative to each state's peak-to-peak
    amplitude (0 for a twice-traversed orbit)."""
    t = np.linspace(0.0, o.period, n, endpoint=False)
    a, b = o(t), o(t + 0.5 * o.period)
    amp = np.maximum(a.max(axis=0) - a.min(axis=0), 1e-300)
    return float(np.max(np.abs(a - b) / amp[None, :]))


def _returned_to_base(halves: list, p: list, periods: list) -> bool:
    """The doubled branch went through the pitchfork at a period-doubling point of its base branch and now
    retraces its own orbits shifted by half a period: the parameter turned at the previous orbit, the half-shift
    distance has a minimum there (well below its largest value), and the new orbit's period is the period of the
    orbits before the turn at the same parameter (linear interpolation, 1e-3 relative: a true fold of cycles
    has another period on its other side)."""
    if len(halves) < 3 or len(p) < 3:
        return False
    d = np.asarray(halves)
    turned = (p[-2] - p[-3]) * (p[-1] - p[-2]) < 0
    if not (turned and d[-2] < d[-3] and d[-2] < d[-1] and d[-2] < 0.7 * d.max()):
        return False
    if p[-2] == p[-3]:
        return False
    T_before = periods[-3] + (periods[-2] - periods[-3]) * (p[-1] - p[-3]) / (p[-2] - p[-3])
    return bool(abs(periods[-1] - T_before) <= 1e-3 * abs(periods[-1]))


def _doubling_end(orbits, halves, parameter):
    """Stop message at the end of a doubled branch, with the period-doubling point estimated from the last
    two orbits (the squared half-shift distance is linear in the parameter near it)."""
    pa = [o.parameter_value for o in orbits[-2:]]
    d2 = [h ** 2 for h in halves[-2:]]
    pd = pa[-1] - d2[-1] * (pa[0] - pa[-1]) / (d2[0] - d2[-1]) if len(pa) == 2 and d2[0] != d2[-1] else pa[-1]
    return "period_doubling", float(pd), (
        f"the doubled branch returns to the twice-traversed orbit of its base branch (half-period distance "
        f"{np.sqrt(d2[-1]):.2e} at {parameter} = {pa[-1]:.8g}): it ends at a period-doubling point near "
        f"{parameter} = {pd:.8g}; beyond it the same orbits recur shifted by half a period")


def _scaled_amplitude(o: PeriodicOrbit, sigma) -> float:
    return float(np.max((o.nodes.max(axis=0) - o.nodes.min(axis=0)) / sigma))


def _outside(o: PeriodicOrbit) -> int:
    return int(np.sum(np.abs(o.multipliers) > 1.0))


def _hopf_start(b: BatchedSystem, parameter: str, hopf: HopfPoint, params: dict):
    from scipy.optimize import root
    s = b.system
    n = b.n
    x = np.asarray(hopf.x, dtype=float)
    if x.shape != (n,):
        raise InputError(f"Hopf point state must have shape ({n},) for {s.labels}, got {x.shape}")
    q = dict(params)
    q[parameter] = float(hopf.value)
    sol = root(lambda y: s.f(y, q), x, jac=lambda y: s.jacobian(y, q), method="hybr")
    res = float(np.max(np.abs(s.f(sol.x, q))))
    if not (sol.success and res < 1e-8):
        raise NotAHopfPointError(f"no equilibrium near the given Hopf point at {parameter} = {hopf.value} "
                                 f"(|f| = {float(np.max(np.abs(s.f(x, q)))):.3g} at the given state)")
    x = sol.x
    ev, V = np.linalg.eig(s.jacobian(x, q))
    if hopf.eigenvector is not None:
        vec = np.asarray(hopf.eigenvector, dtype=complex)
        lam = complex(vec.conj() @ (s.jacobian(x, q) @ vec) / (vec.conj() @ vec))
    else:
        cand = np.flatnonzero(ev.imag > 1e-12 * max(1.0, np.abs(ev).max()))
        if cand.size == 0:
            raise NotAHopfPointError(f"the Jacobian at {parameter} = {hopf.value} has no complex pair "
                                     f"(eigenvalues {np.round(ev, 6)}): not a Hopf point")
        if hopf.omega is not None:
            k = cand[np.argmin(np.abs(ev[cand].imag - hopf.omega))]
        else:
            k = cand[np.argmin(np.abs(ev[cand].real) / np.abs(ev[cand]))]
        lam, vec = ev[k], V[:, k]
    if not abs(lam.real) <= 0.02 * abs(lam.imag):
        raise NotAHopfPointError(f"not a Hopf point: the critical eigenvalue at {parameter} = {hopf.value} is "
                                 f"{lam:.6g} (real part must be ~0 relative to the imaginary part). Locate the "
                                 f"Hopf point first (continuation of equilibria) and pass its state and value.")
    omega = abs(lam.imag)
    if lam.imag < 0:
        vec = vec.conj()
    return x, omega, vec


# --------------------------------------------------------------------------------------------- main entry
def continue_cycles(system, parameter: str, start, p_range, params: Mapping | None = None, *, ds: float = 0.05,
                    ds_min: float = 1e-5, ds_max: float = 0.5, max_steps: int = 300, direction: int = 1,
                    ntst: int | None = None, ncol: int | None = None, adapt_every: int = 3,
                    max_period: float | None = None, min_amplitude: float = 1e-4,
                    parameter_scale: float | None = None, tol: float = 1e-9, max_iter: int = 8,
                    detect: bool = True) -> CycleBranch:
    """Pseudo-arclength continuation of periodic orbits in ``parameter`` while it stays in ``p_range``.

    Parameters
    ----------
    system : SymbolicSystem, circuit or template name
    parameter : str
        Parameter path (``node/op/var``).
    start : PeriodicOrbit, HopfPoint or CycleBifurcation
        An orbit (from :func:`find_cycle`, at the parameter value in its ``params``); a Hopf point (the branch
        of cycles born there); or a period-doubling point of another branch (switch to the doubled branch).
    p_range : (low, high)
        The branch stops when the parameter leaves it (the last point is put exactly on the bound).
    params : dict, optional
        Other parameter values (default: those of the start orbit, else the system's).
    ds, ds_min, ds_max : float
        Initial, smallest and largest arclength step (weighted norm, see the module notes).
    direction : {1, -1}
        For an orbit start: initial direction of the parameter.
    ntst, ncol : int, optional
        Mesh intervals and collocation points (default: the start orbit's, else 40 and 4).
    adapt_every : int
        Re-adapt the mesh every this many steps (0: never).
    max_period : float, optional
        Stop when the period exceeds this (an approach to a homoclinic orbit or a SNIC).
    min_amplitude : float
        A corrected orbit with a scaled peak-to-peak amplitude below this has collapsed onto the equilibrium:
        the step is refused and retried shorter; when steps fall below ``ds_min`` this way, or the amplitude
        passes through a sharp minimum, the branch ends at a Hopf point (``stop_reason = 'amplitude'``, the
        message gives its estimated location).
    parameter_scale : float, optional
        ``s_p`` of the arclength norm (default ``max(|p0|, 1)``).
    detect : bool
        Detect and locate bifurcations.

    Notes
    -----
    A doubled branch (started at a period-doubling point) often connects two period-doubling points of its base
    branch. Beyond the second one the pseudo-arclength steps pass through the pitchfork of the doubled problem
    and trace the same orbits again, shifted by half a period; the branch therefore stops there
    (``stop_reason = 'period_doubling'``) when the distance between the orbit and its half-period shift passes
    through a minimum at a turning point of the parameter and the orbits after the turn have the periods of those
    before it.

    Returns
    -------
    CycleBranch
    """
    s = as_system(system, params)
    b = BatchedSystem(s)
    if parameter not in s.parameters:
        raise VariablePathError(f"unknown parameter {parameter!r}; {close_matches(parameter, s.parameters)}")
    try:
        lo, hi = sorted(float(v) for v in p_range)
    except (TypeError, ValueError):
        raise InputError(f"p_range must be (low, high), got {p_range!r}") from None
    if direction not in (1, -1):
        raise InputError(f"direction must be 1 or -1, got {direction!r}")
    if not (0 < ds_min <= ds <= ds_max):
        raise InputError(f"need 0 < ds_min <= ds <= ds_max, got {ds_min}, {ds}, {ds_max}")

    kw = dict(params=dict(params or {}), ncol=ncol, ntst=ntst, parameter_scale=parameter_scale, tol=tol,
              max_iter=max_iter)
    if isinstance(start, CycleBifurcation):
        tr, z, t, phase, orbits, p0 = _start_at_period_doubling(b, parameter, start, **kw)
    elif isinstance(start, HopfPoint) or (hasattr(start, "get") and start.get("type", None) == "hopf"):
        hopf = start if isinstance(start, HopfPoint) else HopfPoint.from_row(start, parameter, s.labels)
        tr, z, t, phase, orbits, p0 = _start_at_hopf(b, parameter, hopf, **kw)
    elif isinstance(start, PeriodicOrbit):
        tr, z, t, phase, orbits, p0 = _start_at_orbit(b, parameter, start, direction, **kw)
    else:
        raise InputError(f"start must be a PeriodicOrbit, HopfPoint or period-doubling CycleBifurcation, "
                         f"got {type(start).__name__}")
    sch = tr.scheme
    prev_orbit = orbits[-1] if orbits else None
    if not lo <= p0 <= hi:
        raise InputError(f"the start ({parameter} = {p0}) lies outside p_range ({lo}, {hi})")

    bifs: list = []
    amps = [_scaled_amplitude(o, tr.sigma) for o in orbits]
    doubled = isinstance(start, CycleBifurcation)
    halves: list = []                                  # doubled branches: distance to the half-period shift
    h = float(ds)
    reason, message = "max_steps", f"max_steps = {max_steps} reached"
    stopped = p0
    last_err = None
    accepted = 0
    collapsed = False
    for step in range(max_steps):
        pred = z + h * t
        where = f"{parameter} = {tr.p(pred):.6g}"
        try:
            znew, iters = tr.correct(pred, t, phase, where)
            Tn = float(znew[-2])
            ok = bool(np.isfinite(Tn) and Tn > 0 and tr.norm(znew - pred) < h)
            if ok and orbits:
                # near a Hopf point the corrector can land on the equilibrium (a constant profile solves the
                # collocation equations for any period): refuse it and approach with smaller steps
                Un = tr.bvp.unpack(znew)[0]
                if float(np.max((Un.max(axis=0) - Un.min(axis=0)) / tr.sigma)) < min_amplitude:
                    ok, collapsed = False, True
            if ok:
                phase_new = tr.bvp.phase_row(tr.bvp.unpack(znew)[0])
                tnew = tr.tangent(znew, t, phase_new)
                cos = float(np.sum(tr.W * tnew * t))
                ok = cos > 0.5 or h <= 2 * ds_min
        except (CycleConvergenceError, RuntimeError, np.linalg.LinAlgError) as exc:
            ok, last_err = False, exc
        if not ok:
            h *= 0.5
            if h < ds_min:
                if not orbits:
                    raise CycleConvergenceError(
                        f"could not take the first step of the cycle branch from {parameter} = {p0:.6g}"
                        f"{': ' + str(last_err) if last_err else ''}", where, None, None) from last_err
                if collapsed:
                    reason, stopped, message = _hopf_end(orbits, tr.sigma, parameter)
                else:
                    stopped = tr.p(z)
                    reason = "ds_min"
                    message = (f"step size fell below ds_min = {ds_min:g} at {parameter} = {tr.p(z):.8g} (period "
                               f"{float(z[-2]):.6g}){': ' + str(last_err) if last_err else ''}. Hint: a sharp turn "
                               f"or a singular point; try smaller ds_max, more mesh intervals (ntst) or a tighter "
                               f"tol.")
                break
            continue
        collapsed = False
        orbit = tr.orbit(znew, phase_new)
        accepted += 1
        # --------------------------------------------------------------- detection on this step
        if detect and prev_orbit is not None:
            bifs += _detect(tr, z, t, phase, h, prev_orbit, orbit, znew, tnew, len(orbits), parameter)
        # ---------------------------------------------------------------- stop criteria
        pn = tr.p(znew)
        if not lo <= pn <= hi:
            bound = hi if pn > hi else lo
            row = np.zeros(tr.bvp.size)
            row[-1] = 1.0
            try:
                zb, _ = tr.bvp.newton(znew, phase, tr.zscale, extra=(row, bound), tol=tol, max_iter=20, where=where)
                orbits.append(tr.orbit(zb, tr.bvp.phase_row(tr.bvp.unpack(zb)[0])))
            except CycleConvergenceError:
                orbits.append(orbit)
            reason, stopped, message = "p_range", bound, f"reached the end of p_range at {parameter} = {bound:.8g}"
            break
        amps.append(_scaled_amplitude(orbit, tr.sigma))
        # the amplitude passed through a sharp minimum, small against its largest value: the branch went
        # through a Hopf point and traces the same cycles back (shifted by half a period)
        if len(amps) > 2 and amps[-2] < amps[-3] and amps[-2] < amps[-1] and amps[-2] < 0.1 * max(amps):
            bifs = [bf for bf in bifs if bf.step < len(orbits)]
            reason, stopped, message = _hopf_end(orbits, tr.sigma, parameter)
            break
        if doubled:
            halves.append(_half_shift_distance(orbit))
            if _returned_to_base(halves, [o.parameter_value for o in orbits[-2:]] + [pn],
                                 [o.period for o in orbits[-2:]] + [orbit.period]):
                # the turn through the pitchfork is flagged by the fold test: it is not a fold of cycles
                bifs = [bf for bf in bifs if bf.step < len(orbits) and not
                        (bf.type == "fold" and bf.step >= len(orbits) - 2)]
                reason, stopped, message = _doubling_end(orbits, halves[:-1], parameter)
                break
        orbits.append(orbit)
        z, t, phase, prev_orbit = znew, tnew, phase_new, orbit
        if max_period is not None and float(z[-2]) > max_period:
            reason, stopped = "max_period", pn
            message = (f"period {float(z[-2]):.6g} exceeds max_period = {max_period:g} at {parameter} = {pn:.8g}: "
                       f"the orbit may approach a homoclinic orbit or a saddle-node on the cycle")
            break
        h = min(ds_max, h * 1.3) if iters <= 3 else (h * 0.7 if iters >= 6 else h)
        h = max(h, ds_min)
        if adapt_every and accepted % adapt_every == 0:
            Uz, Tz, pz = tr.bvp.unpack(z)
            Ut = tr.bvp.unpack(t)[0]
            old_mesh = tr.bvp.mesh
            new_mesh = adapted_mesh(Uz, old_mesh, sch, tr.bvp.N, tr.sigma)
            tr.set_mesh(new_mesh)
            Uz2 = resample(Uz, old_mesh, sch, new_mesh)
            Ut2 = resample(Ut, old_mesh, sch, new_mesh)
            z = tr.bvp.pack(Uz2, Tz, pz)
            t = np.concatenate([Ut2[:-1].ravel(), t[-2:]])
            t = t / tr.norm(t)
            phase = tr.bvp.phase_row(Uz2)
    if reason == "max_steps":
        stopped = tr.p(z)
        message = (f"max_steps = {max_steps} reached at {parameter} = {stopped:.8g}; raise max_steps or ds_max to go "
                   f"further")
    bifs = [bf for bf in bifs if lo <= bf.value <= hi]            # a last step may cross the bound
    return CycleBranch(parameter, orbits, bifs, reason, message, float(stopped))


# ------------------------------------------------------------------------------------------------ starts
def _start_at_period_doubling(b, parameter, start: CycleBifurcation, *, params, ncol, ntst, parameter_scale, tol,
                              max_iter):
    """The doubled branch leaves the twice-traversed orbit along the period-doubling eigenfunction."""
    if start.type != "period_doubling":
        raise InputError(f"can switch branches only at a period-doubling point, got a {start.type!r}")
    o = start.orbit
    base = dict(o.params)
    base.update(params)
    base.pop(parameter, None)
    p0 = float(start.value)
    sch = CollocationScheme(ncol or o.ncol)
    # the real eigenvector w of the monodromy matrix for the multiplier closest to -1, propagated over one
    # period through the collocation transition matrices, then over two (xi(t + T) = -xi(t))
    ev, V = np.linalg.eig(o.monodromy)
    w = np.real(V[:, int(np.argmin(np.abs(ev + 1.0)))])
    w = w / np.linalg.norm(w)
    J = b.jacobian(o.gauss_states().reshape(-1, b.n), {**base, parameter: p0}).reshape(o.ntst, o.ncol, b.n, b.n)
    sol = collocation_transitions(J, o.period, o.mesh, o.scheme)
    xi, cur = [w], w
    for j in range(o.ntst):
        blocks = sol[j].reshape(o.ncol, b.n, b.n) @ cur
        xi += list(blocks)
        cur = blocks[-1]
    xi = np.array(xi)                                          # (ntst*ncol + 1, n), xi[-1] ~ -w
    mesh2 = np.concatenate([0.5 * o.mesh, 0.5 + 0.5 * o.mesh[1:]])
    U2 = np.vstack([o.nodes[:-1], o.nodes])
    X2 = np.vstack([xi[:-1], -xi[:-1], xi[:1]])
    if o.ncol != sch.ncol:
        U2 = resample(U2, mesh2, o.scheme, mesh2, sch)
        X2 = resample(X2, mesh2, o.scheme, mesh2, sch)
    tr = _Tracer(b, parameter, base, sch, mesh2, state_scales(o.nodes), 2 * o.period,
                 parameter_scale or max(abs(p0), 1.0), tol, max_iter)
    z = tr.bvp.pack(U2, 2 * o.period, p0)
    t = np.concatenate([X2[:-1].ravel(), [0.0, 0.0]])
    return tr, z, t / tr.norm(t), tr.bvp.phase_row(U2), [], p0


def _start_at_hopf(b, parameter, hopf: HopfPoint, *, params, ncol, ntst, parameter_scale, tol, max_iter):
    """The branch leaves the zero-amplitude cycle at the Hopf point along Re(q exp(2 pi i tau))."""
    if hopf.parameter != parameter:
        raise InputError(f"the Hopf point is in {hopf.parameter!r}, not {parameter!r}")
    base = dict(params)
    base.pop(parameter, None)
    x, omega, q = _hopf_start(b, parameter, hopf, base)
    sch = CollocationScheme(ncol or 4)
    mesh = np.linspace(0.0, 1.0, (ntst or 40) + 1)
    tau = node_times(mesh, sch.ncol)
    V = np.real(q[None, :] * np.exp(2j * np.pi * tau)[:, None])
    qn = np.abs(q) / np.abs(q).max()
    sigma = np.maximum(np.maximum(np.abs(x), qn), 1e-12)
    p0 = float(hopf.value)
    T0 = 2 * np.pi / omega
    tr = _Tracer(b, parameter, base, sch, mesh, sigma, T0, parameter_scale or max(abs(p0), 1.0), tol, max_iter)
    z = tr.bvp.pack(np.tile(x, (len(tau), 1)), T0, p0)
    t = np.concatenate([V[:-1].ravel(), [0.0, 0.0]])
    # the first phase condition is taken against the eigenfunction (the zero-amplitude profile has none)
    return tr, z, t / tr.norm(t), tr.bvp.phase_row(V), [], p0


def _start_at_orbit(b, parameter, o: PeriodicOrbit, direction, *, params, ncol, ntst, parameter_scale, tol,
                    max_iter):
    s = b.system
    if o.labels != list(s.labels):
        raise InputError(f"the orbit's states {o.labels} are not the system's {s.labels}")
    base = dict(o.params)
    base.update(params)
    p0 = float(base.pop(parameter, s.parameters[parameter]))
    sch = CollocationScheme(ncol or o.ncol)
    mesh = o.mesh if (ntst is None or ntst == o.ntst) else adapted_mesh(o.nodes, o.mesh, o.scheme, ntst,
                                                                          state_scales(o.nodes))
    U = resample(o.nodes, o.mesh, o.scheme, mesh, sch)
    tr = _Tracer(b, parameter, base, sch, mesh, state_scales(o.nodes), o.period,
                 parameter_scale or max(abs(p0), 1.0), tol, max_iter)
    phase = tr.bvp.phase_row(U)
    z, _ = tr.bvp.newton(tr.bvp.pack(U, o.period, p0), phase, tr.zscale,
                         extra=(np.eye(1, tr.bvp.size, tr.bvp.size - 1)[0], p0), tol=tol, max_iter=20,
                         where=f"{parameter} = {p0:.6g} (start)")
    guess = np.zeros(tr.bvp.size)
    guess[-1] = direction
    t = tr.tangent(z, guess, phase)
    if t[-1] * direction < 0:
        t = -t
    return tr, z, t, phase, [tr.orbit(z, phase)], p0


def cycle_from_hopf(system, parameter: str, hopf: HopfPoint, params: Mapping | None = None, *, ds: float = 0.02,
                    **kwargs) -> PeriodicOrbit:
    """The small cycle born at a Hopf point: one step of :func:`continue_cycles` from it (arclength ``ds``)."""
    lo = -np.inf
    br = continue_cycles(system, parameter, hopf, (lo, np.inf), params, ds=ds, ds_max=ds, max_steps=1,
                         detect=False, **kwargs)
    return br.orbits[0]


# ------------------------------------------------------------------------------------------------ detection
def _detect(tr: _Tracer, z, t, phase, h, oa: PeriodicOrbit, ob: PeriodicOrbit, zb, tb, step: int,
            parameter: str) -> list:
    from scipy.optimize import brentq
    found = []
    cache: dict = {}

    def point(sv):
        if sv in cache:
            return cache[sv]
        if sv <= 0:
            out = (z, t)
        elif sv >= h:
            out = (zb, tb)
        else:
            zz, _ = tr.correct(z + sv * t, t, phase, f"{parameter} ~ {tr.p(z + sv * t):.6g} (locating)")
            out = (zz, tr.tangent(zz, t, phase))
        cache[sv] = out
        return out

    def orbit_at(sv):
        zz, _ = point(sv)
        return tr.orbit(zz, tr.bvp.phase_row(tr.bvp.unpack(zz)[0]))

    fold_s = None
    if t[-1] * tb[-1] < 0:
        try:
            fold_s = brentq(lambda sv: point(sv)[1][-1], 0.0, h, xtol=1e-12 * max(h, 1.0), rtol=1e-12, maxiter=60)
            o = orbit_at(fold_s)
            k = int(np.argmin(np.abs(o.multipliers - 1.0)))
            found.append(CycleBifurcation("fold", parameter, o.parameter_value, o, complex(o.multipliers[k]), step))
        except (CycleConvergenceError, ValueError, RuntimeError):
            fold_s = None
    na, nb = _outside(oa), _outside(ob)
    if na != nb:
        k = min(na, nb)

        def g(sv):
            o = oa if sv <= 0 else (ob if sv >= h else orbit_at(sv))
            mods = np.abs(o.multipliers)
            return float(mods[k] - 1.0) if k < mods.size else -1.0
        try:
            sc = brentq(g, 0.0, h, xtol=1e-12 * max(h, 1.0), rtol=1e-12, maxiter=60)
        except (CycleConvergenceError, ValueError, RuntimeError):
            return found
        o = orbit_at(sc)
        mu = complex(o.multipliers[k])
        scale = max(abs(mu), 1.0)
        if abs(mu.imag) > 1e-6 * scale and abs(abs(np.angle(mu)) - np.pi) > 1e-4 and abs(np.angle(mu)) > 1e-4:
            kind = "neimark_sacker"
        elif mu.real < 0:
            kind = "period_doubling"
        else:
            kind = None if fold_s is not None else "branch_point"
        if kind is not None:
            found.append(CycleBifurcation(kind, parameter, o.parameter_value, o, mu, step))
    return found
