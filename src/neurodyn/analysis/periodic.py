"""Periodic orbits: found from a simulation or a guess by orthogonal collocation, with Floquet multipliers.

:func:`find_cycle` takes a :class:`~neurodyn.analysis.SymbolicSystem` (or a circuit / template name) and a start:

* a simulation: the DataFrame of :func:`neurodyn.simulate.integrate` / ``Model.run`` (time index, one column per
  state) or a ``(t, X)`` pair. The period is read from returns of the trajectory to a section (upward
  crossings of the mid-level of its most oscillating variable; period-``k`` orbits are recognised by comparing
  the full state ``k`` returns apart), and the last full period is the initial profile;
* a state on (or near) the orbit with ``period=``: the initial profile is integrated with
  :func:`scipy.integrate.solve_ivp` over one period (after ``transient``, if given);
* a :class:`PeriodicOrbit` (e.g. to refine it on another mesh or at other parameter values).

The profile is then corrected by Newton's method on the collocation equations
(:mod:`neurodyn.analysis.collocation`), the mesh adapted to the orbit, and the Floquet multipliers computed
from the condensed collocation Jacobian (:mod:`neurodyn.analysis.floquet`).

Examples
--------
>>> import numpy as np
>>> from neurodyn.analysis import SymbolicSystem, find_cycle
>>> s = SymbolicSystem.from_circuit("sl")                  # Stuart-Landau, unit circle, omega = 1
>>> orbit = find_cycle(s, np.array([1.0, 0.0]), period=6.0)
>>> round(orbit.period, 10), round(orbit.amplitude["p/sl_op/x"], 10)
(6.2831853072, 2.0)
>>> round(float(orbit.floquet_exponents[0]), 8)           # the radial exponent is -2
-2.0
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from neurodyn.analysis.batched import BatchedSystem
from neurodyn.analysis.collocation import (CollocationScheme, CycleConvergenceError, CycleError, NotACycleError,
                                           PeriodicBVP, adapted_mesh, error_estimate, evaluate_profile,
                                           gauss_states, node_times, resample)
from neurodyn.analysis.floquet import collocation_monodromy, floquet_exponents, split_trivial_multiplier
from neurodyn.analysis.jacobian import SymbolicSystem
from neurodyn.errors import InputError

__all__ = ["PeriodicOrbit", "find_cycle", "as_system"]


def as_system(system, params: Mapping | None = None) -> SymbolicSystem:
    """A SymbolicSystem from a SymbolicSystem, circuit, node template or template name."""
    if isinstance(system, SymbolicSystem):
        return system
    if isinstance(system, BatchedSystem):
        return system.system
    return SymbolicSystem.from_circuit(system, params=params)


@dataclass(eq=False)
class PeriodicOrbit:
    """A periodic orbit on a collocation mesh.

    Attributes
    ----------
    labels : list of str
        State coordinates (as the system's ``labels``).
    period : float
        In model time units.
    mesh : (ntst + 1,) array
        Mesh points in normalised time ``tau = t / period``.
    ncol : int
        Collocation points per mesh interval (polynomial degree).
    nodes : (ntst * ncol + 1, n) array
        The orbit at :attr:`node_times` (the last row repeats the first).
    params : dict
        Parameter values of the orbit (``parameter`` is the continuation parameter, if any).
    multipliers : (n - 1,) complex array
        Nontrivial Floquet multipliers, by decreasing modulus; ``trivial_multiplier`` is the one along the flow
        (1 up to discretisation error: a check of accuracy).
    residual : float
        Largest collocation residual at the solution. ``error`` is the interpolation-error indicator of the mesh.
    """

    labels: list
    period: float
    mesh: np.ndarray
    ncol: int
    nodes: np.ndarray
    params: dict = field(default_factory=dict)
    parameter: str | None = None
    multipliers: np.ndarray = field(default_factory=lambda: np.zeros(0, complex))
    trivial_multiplier: complex = 1.0
    monodromy: np.ndarray | None = field(default=None, repr=False)
    residual: float = 0.0
    error: float = 0.0

    # ------------------------------------------------------------------------------------ properties
    @property
    def scheme(self) -> CollocationScheme:
        return CollocationScheme(self.ncol)

    @property
    def ntst(self) -> int:
        return len(self.mesh) - 1

    @property
    def frequency(self) -> float:
        """1 / period (cycles per model time unit; x1000 for Hz when time is in ms)."""
        return 1.0 / self.period

    @property
    def parameter_value(self) -> float | None:
        return None if self.parameter is None else float(self.params[self.parameter])

    @property
    def node_times(self) -> np.ndarray:
        """Times (model units) of :attr:`nodes`."""
        return node_times(self.mesh, self.ncol) * self.period

    def _extrema(self) -> tuple[np.ndarray, np.ndarray]:
        """Minimum and maximum of every state over the orbit: dense sampling of the collocation polynomials,
        refined by a bounded scalar search around the best sample (exact to ~1e-12 of the polynomial)."""
        cached = self.__dict__.get("_extrema_cache")
        if cached is not None:
            return cached
        from scipy.optimize import minimize_scalar
        per = 16
        grid = np.linspace(0, 1, per, endpoint=False)
        tau = (self.mesh[:-1, None] + np.diff(self.mesh)[:, None] * grid).ravel()
        X = evaluate_profile(self.nodes, self.mesh, self.scheme, tau)
        dt = np.diff(self.mesh).max() / per
        lo, hi = X.min(axis=0), X.max(axis=0)
        for a in range(X.shape[1]):
            for sign, k, out in ((1.0, int(np.argmin(X[:, a])), lo), (-1.0, int(np.argmax(X[:, a])), hi)):
                g = lambda s: sign * float(evaluate_profile(self.nodes, self.mesh, self.scheme, [s])[0, a])  # noqa
                r = minimize_scalar(g, bounds=(tau[k] - dt, tau[k] + dt), method="bounded",
                                    options={"xatol": 1e-13})
                v = sign * r.fun
                out[a] = min(out[a], v) if sign > 0 else max(out[a], v)
        self.__dict__["_extrema_cache"] = (lo, hi)
        return lo, hi

    @property
    def maximum(self) -> dict:
        return dict(zip(self.labels, self._extrema()[1].tolist()))

    @property
    def minimum(self) -> dict:
        return dict(zip(self.labels, self._extrema()[0].tolist()))

    @property
    def amplitude(self) -> dict:
        """Peak-to-peak amplitude (max - min over the orbit) of every state."""
        lo, hi = self._extrema()
        return dict(zip(self.labels, (hi - lo).tolist()))

    @property
    def mean(self) -> dict:
        """Time average of every state over one period (Gauss quadrature on the mesh)."""
        X = self.gauss_states()
        w = np.diff(self.mesh)[:, None] * self.scheme.gauss_weights[None, :]
        return dict(zip(self.labels, np.einsum("jg,jgn->n", w, X).tolist()))

    @property
    def floquet_exponents(self) -> np.ndarray:
        """``ln|mu| / T`` of the nontrivial multipliers (largest first)."""
        return floquet_exponents(self.multipliers, self.period)

    @property
    def n_unstable(self) -> int:
        """Nontrivial multipliers outside the unit circle."""
        return int(np.sum(np.abs(self.multipliers) > 1.0))

    @property
    def stable(self) -> bool:
        return bool(np.all(np.abs(self.multipliers) < 1.0))

    # ------------------------------------------------------------------------------------- evaluation
    def __call__(self, t) -> np.ndarray:
        """States at times ``t`` (model units, taken modulo the period), shape (len(t), n)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return evaluate_profile(self.nodes, self.mesh, self.scheme, t / self.period)

    def gauss_states(self) -> np.ndarray:
        """States at the Gauss points of every mesh interval, (ntst, ncol, n)."""
        return gauss_states(self.nodes, self.scheme)

    def gauss_times(self) -> np.ndarray:
        """Times (model units) of :meth:`gauss_states`, (ntst, ncol)."""
        return (self.mesh[:-1, None] + np.diff(self.mesh)[:, None] * self.scheme.gauss_points[None, :]) * self.period

    def sample(self, n_points: int = 200, periods: float = 1.0) -> pd.DataFrame:
        """The orbit on ``n_points`` equally spaced times over ``periods`` periods, as a time-indexed DataFrame."""
        t = np.linspace(0.0, periods * self.period, int(n_points), endpoint=False)
        return pd.DataFrame(self(t), index=pd.Index(t, name="time"), columns=self.labels)

    def __getitem__(self, label: str) -> np.ndarray:
        """The node values of one state."""
        if label not in self.labels:
            from neurodyn.errors import close_matches
            raise CycleError(f"no state {label!r}; {close_matches(label, self.labels)}")
        return self.nodes[:, self.labels.index(label)]

    def __repr__(self) -> str:
        par = f", {self.parameter} = {self.parameter_value:.6g}" if self.parameter else ""
        lead = self.multipliers[0] if self.multipliers.size else np.nan
        st = "stable" if self.stable else f"{self.n_unstable} unstable"
        return (f"<PeriodicOrbit period {self.period:.8g}{par}: {st}, leading multiplier {lead:.4g}; "
                f"ntst {self.ntst}, ncol {self.ncol}>")


# ------------------------------------------------------------------------------------------- helpers
def state_scales(U: np.ndarray) -> np.ndarray:
    """Per-coordinate scales of a profile: peak-to-peak, or 1e-3 of the magnitude for flat coordinates."""
    ptp = U.max(axis=0) - U.min(axis=0)
    mag = np.abs(U).max(axis=0)
    s = np.maximum(ptp, 1e-3 * mag)
    fallback = s.max() if s.max() > 0 else 1.0
    return np.where(s > 0, s, fallback)


def finish_orbit(bvp: PeriodicBVP, z: np.ndarray, phase: np.ndarray, scales=None) -> PeriodicOrbit:
    """A :class:`PeriodicOrbit` (with multipliers) from a converged collocation solution."""
    res, _, J = bvp.linearise(z, phase)
    U, T, p = bvp.unpack(z)
    M = collocation_monodromy(J, T, bvp.mesh, bvp.scheme)
    f0 = bvp.b.f(U[:1], bvp.parameters(p))[0]
    triv, mult = split_trivial_multiplier(M, f0)
    return PeriodicOrbit(list(bvp.b.labels), T, bvp.mesh.copy(), bvp.scheme.ncol, U, bvp.parameters(p),
                         bvp.parameter, mult, triv, M, float(np.max(np.abs(res))),
                         error_estimate(U, bvp.mesh, bvp.scheme, scales if scales is not None else state_scales(U)))


def solve_cycle(batched: BatchedSystem, U0: np.ndarray, T0: float, mesh: np.ndarray, scheme: CollocationScheme,
                params: dict, adapt: int = 2, ntst: int | None = None, tol: float = 1e-10, max_iter: int = 20,
                where=None) -> PeriodicOrbit:
    """Newton on the collocation equations from the profile ``U0`` (nodes on ``mesh``) and period ``T0``, then
    ``adapt`` rounds of mesh adaptation (each re-solved); returns the orbit with its multipliers."""
    ntst = ntst or len(mesh) - 1
    U, T = U0, float(T0)
    for round_ in range(adapt + 1):
        bvp = PeriodicBVP(batched, mesh, scheme, params)
        sc = state_scales(U)
        zscale = np.concatenate([np.tile(sc, bvp.N * bvp.m), [abs(T)]])
        phase = bvp.phase_row(U)
        z, _ = bvp.newton(bvp.pack(U, T), phase, zscale, tol=tol, max_iter=max_iter, where=where)
        U, T, _ = bvp.unpack(z)
        if not T > 0 or not np.isfinite(T):
            raise NotACycleError(f"collocation converged to a non-positive period T = {T:.6g}{_at(where)}; "
                                 f"give a better period guess.", residual=T)
        if np.max((U.max(axis=0) - U.min(axis=0)) / np.maximum(np.abs(U).max(axis=0), 1e-300)) < 1e-7:
            raise NotACycleError(f"collocation converged to an equilibrium (a constant profile) {_at(where)}: "
                                 f"the start is not near a periodic orbit.", residual=0.0)
        if round_ < adapt:
            new_mesh = adapted_mesh(U, mesh, scheme, ntst, sc)
            U = resample(U, mesh, scheme, new_mesh)
            mesh = new_mesh
    return finish_orbit(bvp, z, phase)


def _at(where) -> str:
    return f" at {where}" if where is not None else ""


def _columns(df: pd.DataFrame, labels: list) -> tuple[np.ndarray, np.ndarray]:
    """Time and state columns of a simulation DataFrame, in the system's coordinates."""
    cols = [str(c) for c in df.columns]
    base = {}
    for lab in labels:
        path = lab[:-3] if lab.endswith((".re", ".im")) else lab
        base.setdefault(path, []).append(lab)
    paths = list(base)

    def find(path):
        if path in cols:
            return cols.index(path)
        tail = path.split("/", 1)[1] if "/" in path else path
        hits = [i for i, c in enumerate(cols) if c.split("/", 1)[-1] == tail]
        return hits[0] if len(hits) == 1 else None

    idx = [find(p) for p in paths]
    missing = [p for p, i in zip(paths, idx) if i is None]
    if missing:
        raise InputError(f"the simulation has no column for state(s) {missing}; record every state variable "
                         f"(outputs=None records all), columns found: {cols[:12]}")
    out = []
    for p, i in zip(paths, idx):
        v = df.iloc[:, i].to_numpy()
        if len(base[p]) == 2:
            out += [np.real(v), np.imag(v)]
        else:
            if np.iscomplexobj(v) and np.any(np.imag(v) != 0):
                raise InputError(f"column {cols[i]!r} is complex but state {p!r} is real")
            out.append(np.real(v))
    return df.index.to_numpy(dtype=float), np.column_stack(out).astype(float)


def period_from_trajectory(t: np.ndarray, X: np.ndarray, transient: float | None = None, max_k: int = 16,
                           tol: float = 1e-3):
    """Period, start time and end time of the last full period of a sampled trajectory.

    Returns ``(period, t_start, k, spline)`` where ``k`` is the number of returns to the section in one period
    and ``spline`` a cubic spline of the trajectory. Raises :class:`NotACycleError` (with ``residual`` = the
    smallest mismatch of returns, relative to the amplitude over the candidate period) if the trajectory is not
    periodic to ``tol`` within ``max_k`` returns, or if its oscillation is negligible (an equilibrium).
    """
    from scipy.interpolate import CubicSpline
    t = np.asarray(t, dtype=float)
    X = np.asarray(X, dtype=float)
    if t.ndim != 1 or X.shape[0] != t.size or t.size < 8 or np.any(np.diff(t) <= 0):
        raise InputError(f"a trajectory needs increasing times and one row per time; got t {t.shape}, X {X.shape}")
    if not np.all(np.isfinite(X)):
        raise NotACycleError("the trajectory contains non-finite values", residual=float("inf"))
    keep = t >= (transient if transient is not None else t[0] + 0.5 * (t[-1] - t[0]))
    t, X = t[keep], X[keep]
    if t.size < 8:
        raise InputError("too few samples after the transient to find a period; simulate longer")
    ptp = X.max(axis=0) - X.min(axis=0)
    rel = ptp / np.maximum(np.abs(X).max(axis=0), 1e-300)
    if not np.max(rel) > 1e-6:
        raise NotACycleError(f"the trajectory is (numerically) constant after the transient: relative peak-to-peak "
                             f"{np.max(rel):.2e}; it converges to an equilibrium, not a cycle.", residual=float(np.max(rel)))
    a = int(np.argmax(rel))
    level = 0.5 * (X[:, a].max() + X[:, a].min())
    y = X[:, a] - level
    up = np.flatnonzero((y[:-1] < 0) & (y[1:] >= 0))
    if up.size < 3:
        raise NotACycleError(f"the trajectory crosses its mid-level upwards only {up.size} times after the "
                             f"transient; simulate several periods more.", residual=float("inf"))
    spl = CubicSpline(t, X)
    tc = t[up] - y[up] * (t[up + 1] - t[up]) / (y[up + 1] - y[up])
    per_return = float(np.median(np.diff(tc)) / np.median(np.diff(t)))
    if per_return < 10:
        raise InputError(f"the trajectory has only ~{per_return:.0f} samples per oscillation; sample more finely "
                         f"(about 40 samples per period or more, e.g. sampling_step_size <= "
                         f"{float(np.median(np.diff(tc))) / 40:.3g})")
    Y = spl(tc)
    mag = np.abs(X).max(axis=0)
    best, best_k = np.inf, None
    for k in range(1, min(max_k, tc.size - 1) + 1):
        seg = (t >= tc[-1 - k]) & (t <= tc[-1])
        amp = X[seg].max(axis=0) - X[seg].min(axis=0)          # amplitude over the candidate period
        scale = np.maximum(amp, 1e-12 * np.maximum(mag, 1e-300))
        d = float(np.max(np.abs(Y[-1] - Y[-1 - k]) / scale))
        if d < best:
            best = d
        if d < tol:
            best_k = k
            break
    if best_k is None:
        raise NotACycleError(f"the trajectory is not periodic: returns to the section up to {max_k} apart differ "
                             f"by at least {best:.2e} of the last period's amplitude (tolerance {tol:g}). Simulate "
                             f"longer to let the transient decay (a slowly damped oscillation converges to an "
                             f"equilibrium), or the dynamics may be quasi-periodic or chaotic.", residual=best)
    seg = (t >= tc[-1 - best_k]) & (t <= tc[-1])
    rel_amp = float(np.max((X[seg].max(axis=0) - X[seg].min(axis=0)) / np.maximum(mag, 1e-300)))
    if rel_amp < 1e-5:
        raise NotACycleError(f"the last period's oscillation is tiny ({rel_amp:.2e} of the states' magnitude): the "
                             f"trajectory is at (or converging to) an equilibrium, not on a cycle.", residual=rel_amp)
    T = float(tc[-1] - tc[-1 - best_k])
    return T, float(tc[-1 - best_k]), best_k, spl


def _integrate_profile(system: SymbolicSystem, x0, T: float, params, transient: float | None):
    from scipy.integrate import solve_ivp
    f = lambda t, x: system.f(x, params)                                       # noqa: E731
    jac = lambda t, x: system.jacobian(x, params)                               # noqa: E731
    x0 = np.asarray(x0, dtype=float)
    if transient:
        sol = solve_ivp(f, (0.0, float(transient)), x0, method="LSODA", jac=jac, rtol=1e-8, atol=1e-10)
        if not sol.success:
            raise NotACycleError(f"integrating the transient failed: {sol.message}", residual=float("inf"))
        x0 = sol.y[:, -1]
    sol = solve_ivp(f, (0.0, float(T)), x0, method="LSODA", jac=jac, rtol=1e-8, atol=1e-10, dense_output=True)
    if not sol.success:
        raise NotACycleError(f"integrating one period from the start failed: {sol.message}", residual=float("inf"))
    return sol


def find_cycle(system, start, params: Mapping | None = None, *, period: float | None = None,
               transient: float | None = None, ntst: int = 40, ncol: int = 4, adapt: int = 2, tol: float = 1e-10,
               max_iter: int = 20) -> PeriodicOrbit:
    """Find a periodic orbit near ``start`` by orthogonal collocation.

    Parameters
    ----------
    system : SymbolicSystem, circuit, node template or template name
    start : DataFrame, (t, X) tuple, state vector (with ``period``) or PeriodicOrbit
        A simulation of the system (every state recorded, several periods after the transient), a state on or
        near the orbit together with ``period=``, or an orbit to refine.
    params : dict {path: value}, optional
        Parameter values (default: the system's).
    period : float, optional
        Period guess for a state ``start``.
    transient : float, optional
        For a simulation: ignore times before this (default: the first half). For a state: integrate this long
        before taking one period as the initial profile.
    ntst, ncol : int
        Mesh intervals and collocation points per interval (AUTO's NTST, NCOL).
    adapt : int
        Rounds of mesh adaptation after the first solution.
    tol : float
        Newton stops when the scaled update is below ``tol``.

    Returns
    -------
    PeriodicOrbit

    Raises
    ------
    NotACycleError
        The start is not near a periodic orbit (with the measured ``residual``).
    CycleConvergenceError
        Newton's method did not converge (where, last step, a hint).
    """
    s = as_system(system, params)
    pars = dict(params or {})
    b = BatchedSystem(s)
    n = len(s.labels)
    if not isinstance(ntst, (int, np.integer)) or ntst < 2:
        raise CycleError(f"ntst must be an integer >= 2, got {ntst!r}")
    scheme = CollocationScheme(ncol)
    mesh = np.linspace(0.0, 1.0, ntst + 1)
    if isinstance(start, PeriodicOrbit):
        if start.labels != list(s.labels):
            raise InputError(f"the orbit's states {start.labels} are not the system's {s.labels}")
        mesh = start.mesh if start.ntst == ntst else adapted_mesh(start.nodes, start.mesh, start.scheme, ntst,
                                                                   state_scales(start.nodes))
        U0 = resample(start.nodes, start.mesh, start.scheme, mesh, scheme)
        return solve_cycle(b, U0, start.period, mesh, scheme, pars, adapt, ntst, tol, max_iter)
    if isinstance(start, pd.DataFrame) or (isinstance(start, tuple) and len(start) == 2):
        if isinstance(start, pd.DataFrame):
            t, X = _columns(start, list(s.labels))
        else:
            t, X = np.asarray(start[0], dtype=float), np.asarray(start[1], dtype=float)
            if X.ndim != 2 or X.shape[1] != n:
                raise InputError(f"trajectory states must have shape (len(t), {n}) for {s.labels}, got {X.shape}")
        T, t0, _, spl = period_from_trajectory(t, X, transient)
        prof = lambda tau: spl(t0 + np.asarray(tau) * T)                       # noqa: E731
        residual = float(np.max(np.abs(spl(t0 + T) - spl(t0)) / state_scales(X)))
    else:
        x0 = np.asarray(start, dtype=float)
        if x0.shape != (n,):
            raise InputError(f"a start state must have shape ({n},) for {s.labels}, got {x0.shape}")
        if period is None or not np.isfinite(period) or period <= 0:
            raise InputError(f"starting from a state needs a positive period guess (period=...), got {period!r}")
        sol = _integrate_profile(s, x0, float(period), pars, transient)
        rel_amp = float(np.max(np.ptp(sol.y, axis=1) / np.maximum(np.abs(sol.y).max(axis=1), 1e-300)))
        if rel_amp < 1e-7:
            raise NotACycleError(f"the trajectory from the start does not move (relative peak-to-peak {rel_amp:.2e} "
                                 f"over one period guess): it is at an equilibrium, not on a cycle.", residual=rel_amp)
        T = float(period)
        prof = lambda tau: sol.sol(np.asarray(tau) * T).T                       # noqa: E731
        ends = sol.sol([0.0, T]).T
        residual = float(np.max(np.abs(ends[1] - ends[0]) / state_scales(sol.y.T)))
        if residual > 0.05:
            # the guess does not close: follow the trajectory a few periods and read the period from its returns
            long = _integrate_profile(s, sol.y[:, -1], 8.0 * T, pars, None)
            tt = np.linspace(0.0, 8.0 * T, 8 * 400 + 1)
            try:
                T2, t0, _, spl = period_from_trajectory(tt, long.sol(tt).T, transient=0.0)
            except (NotACycleError, InputError):
                pass
            else:
                T, prof = T2, (lambda tau: spl(t0 + np.asarray(tau) * T2))
                residual = float(np.max(np.abs(spl(t0 + T2) - spl(t0)) / state_scales(long.sol(tt).T)))
    # initial mesh adapted to the guess, then Newton
    U = np.vstack([prof(node_times(mesh, ncol)[:-1]), prof([0.0])])
    mesh = adapted_mesh(U, mesh, scheme, ntst, state_scales(U))
    U = np.vstack([prof(node_times(mesh, ncol)[:-1]), prof([0.0])])
    try:
        return solve_cycle(b, U, T, mesh, scheme, pars, adapt, ntst, tol, max_iter)
    except CycleConvergenceError as exc:
        if residual > 0.05:
            raise NotACycleError(f"the start is not a periodic orbit: after one period (guess T = {T:.6g}) it is "
                                 f"{residual:.3g} of the amplitude away from where it began, and Newton's method "
                                 f"did not converge ({exc}). Give a state on the orbit and a better period, or a "
                                 f"longer simulation.", residual=residual) from exc
        raise
