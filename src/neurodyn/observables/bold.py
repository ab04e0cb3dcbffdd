"""Balloon-Windkessel BOLD signal, integrated in streaming fashion during a simulation.

Equations (Friston et al. 2000, 2003; Stephan et al. 2007), time in **seconds**, per region::

    ds/dt   = x - kappa s - gamma (f - 1)          (vasodilatory signal)
    df/dt   = s                                     (inflow)
    tau dv/dt = f - v^(1/alpha)                     (venous volume)
    tau dq/dt = f E(f, rho)/rho - v^(1/alpha) q / v (deoxyhaemoglobin),  E(f, rho) = 1 - (1 - rho)^(1/f)
    BOLD    = V0 (k1 (1 - q) + k2 (1 - q/v) + k3 (1 - v))

``x`` is the neural activity (e.g. a firing rate) times ``input_scale``. Rest: s = 0, f = v = q = 1, BOLD = 0.

Named parameter sets (:data:`BALLOON_PARAMETER_SETS`):

``'spm'`` (default)
    Friston et al. 2000/2003 as in SPM's classic haemodynamic model: kappa = 0.65/s, gamma = 0.41/s,
    tau = 0.98 s, alpha = 0.32, rho = 0.34, V0 = 0.02, k1 = 7 rho, k2 = 2, k3 = 2 rho - 0.2.
``'stephan2007'``
    Same haemodynamics, revised BOLD coefficients of Stephan et al. 2007 at 1.5 T (SPM12's
    ``spm_gx_fmri`` constants): k1 = 4.3 nu0 rho TE, k2 = eps r0 rho TE, k3 = 1 - eps with nu0 = 40.3 Hz,
    r0 = 25 Hz, TE = 0.04 s, eps = 1, rho = E0 = 0.4, V0 = 0.04.
``'inverse_rates'``
    The variant found in much public whole-brain code: the SPM numbers 0.65 and 0.41 used as *time
    constants*, i.e. kappa = 1/0.65/s, gamma = 1/0.41/s (haemodynamics ~2.4x faster); rest as ``'spm'``.
``'tvb'``
    TVB's ``BalloonModel`` analyser defaults: kappa = 1/1.54/s, gamma = 1/1.44/s, tau = 0.98 s,
    alpha = 0.32, rho = 0.4, revised coefficients with eps = 0.5, and V0 = 4 as in TVB, i.e. the BOLD
    signal in **percent** (the other sets give a fraction).

Numerical scheme
----------------
The neural activity arrives at the neural step ``dt`` (e.g. 0.01-0.1 ms), far below the haemodynamic time
scales (0.4-1 s). The input is therefore **averaged over blocks of** ``k = round(substep / dt)`` neural
steps and the balloon is advanced over each block (length ``h = k dt``, default ~1 ms) by one classical
RK4 step with that block-averaged input held constant. Averaging (rather than sampling) keeps every neural
sample's contribution, so fast oscillations are integrated, not aliased. The ``s`` equation is linear in
``x``; replacing ``x`` by its block mean changes the local error by ``O(h^3 x')``, i.e. the scheme is
second order in ``h`` for the input and fourth order for the haemodynamics: with h = 1 ms and time
constants >= 0.4 s the relative error is ~1e-6 (checked against scipy's ``solve_ivp`` in the tests). The
time loop runs inside Numba; partial blocks are carried over between :meth:`BalloonWindkessel.update`
calls, so results do not depend on how the activity is chunked.

BOLD is point-sampled every ``tr`` seconds (at t = tr, 2 tr, ..., counted from the first update); the
balloon is a low-pass filter with negligible power above ~0.2 Hz, so point sampling at usual TRs
(0.7-2 s) is the standard practice (TVB's BOLD monitor also samples).

Examples
--------
>>> import numpy as np
>>> bw = BalloonWindkessel(n_regions=2, tr=0.5, time_unit="ms")
>>> bw.update(np.full((10000, 2), 0.1), dt=0.1)     # 1 s of constant drive at dt = 0.1 ms
2
>>> bw.samples().shape
(2, 2)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from neurodyn.errors import InputError, SimulationError, close_matches
from neurodyn.observables._arrays import TIME_UNITS, seconds_per_unit

__all__ = [
    "BalloonParameters",
    "BALLOON_PARAMETER_SETS",
    "balloon_parameters",
    "BalloonWindkessel",
    "bold_from_activity",
    "balloon_steady_state",
    "TIME_UNITS",
]


@dataclass(frozen=True)
class BalloonParameters:
    """Parameters of the Balloon-Windkessel model (rates in 1/s, times in s).

    Examples
    --------
    >>> p = balloon_parameters("spm")
    >>> round(p.k1, 2), p.k2, round(p.k3, 3)
    (2.38, 2.0, 0.48)
    """

    kappa: float
    gamma: float
    tau: float
    alpha: float
    rho: float
    V0: float
    k1: float
    k2: float
    k3: float
    name: str = "custom"

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "name":
                continue
            val = getattr(self, f.name)
            if not isinstance(val, (int, float, np.floating, np.integer)) or not math.isfinite(val):
                raise InputError(f"BalloonParameters: {f.name} must be a finite number, got {val!r}.")
        for positive in ("kappa", "gamma", "tau", "alpha"):
            if getattr(self, positive) <= 0:
                raise InputError(f"BalloonParameters: {positive} must be > 0, got {getattr(self, positive)}.")
        if not 0 < self.rho < 1:
            raise InputError(f"BalloonParameters: rho (resting oxygen extraction) must be in (0, 1), got {self.rho}.")

    def as_array(self) -> np.ndarray:
        """``[kappa, gamma, tau, alpha, rho, V0, k1, k2, k3]`` as float64 (the kernel's layout)."""
        return np.array([self.kappa, self.gamma, self.tau, self.alpha, self.rho,
                         self.V0, self.k1, self.k2, self.k3], dtype=np.float64)


def _spm() -> BalloonParameters:
    rho = 0.34
    return BalloonParameters(kappa=0.65, gamma=0.41, tau=0.98, alpha=0.32, rho=rho, V0=0.02,
                             k1=7.0 * rho, k2=2.0, k3=2.0 * rho - 0.2, name="spm")


def _revised(rho: float, eps: float, TE: float = 0.04, nu0: float = 40.3, r0: float = 25.0) -> tuple:
    return 4.3 * nu0 * rho * TE, eps * r0 * rho * TE, 1.0 - eps


def _stephan2007() -> BalloonParameters:
    rho = 0.4
    k1, k2, k3 = _revised(rho, eps=1.0)
    return BalloonParameters(kappa=0.65, gamma=0.41, tau=0.98, alpha=0.32, rho=rho, V0=0.04,
                             k1=k1, k2=k2, k3=k3, name="stephan2007")


def _inverse_rates() -> BalloonParameters:
    return replace(_spm(), kappa=1.0 / 0.65, gamma=1.0 / 0.41, name="inverse_rates")


def _tvb() -> BalloonParameters:
    rho = 0.4
    k1, k2, k3 = _revised(rho, eps=0.5)
    return BalloonParameters(kappa=1.0 / 1.54, gamma=1.0 / 1.44, tau=0.98, alpha=0.32, rho=rho, V0=4.0,
                             k1=k1, k2=k2, k3=k3, name="tvb")


#: Named parameter sets; see the module docstring for sources.
BALLOON_PARAMETER_SETS = {
    "spm": _spm(),
    "stephan2007": _stephan2007(),
    "inverse_rates": _inverse_rates(),
    "tvb": _tvb(),
}


def balloon_parameters(name: str | BalloonParameters = "spm", **overrides: float) -> BalloonParameters:
    """A named parameter set, optionally with some values replaced.

    Examples
    --------
    >>> balloon_parameters("spm", tau=1.0).tau
    1.0
    """
    if isinstance(name, BalloonParameters):
        base = name
    else:
        if name not in BALLOON_PARAMETER_SETS:
            raise InputError(
                f"balloon_parameters: unknown parameter set {name!r}; "
                f"{close_matches(str(name), BALLOON_PARAMETER_SETS)}"
            )
        base = BALLOON_PARAMETER_SETS[name]
    valid = {f.name for f in fields(BalloonParameters)} - {"name"}
    bad = set(overrides) - valid
    if bad:
        raise InputError(f"balloon_parameters: unknown parameter(s) {sorted(bad)}; valid: {sorted(valid)}.")
    if overrides:
        return replace(base, name=f"{base.name}+custom", **overrides)
    return base


def balloon_steady_state(x0: float | np.ndarray, params: str | BalloonParameters = "spm") -> dict[str, Any]:
    """Analytic equilibrium for a constant input ``x0`` (requires ``x0 > -gamma``).

    s = 0, f = 1 + x0/gamma, v = f^alpha, q = v E(f, rho)/rho, and the BOLD value from the output equation.

    Examples
    --------
    >>> abs(balloon_steady_state(0.0)["bold"]) < 1e-15   # rest: zero up to round-off
    True
    >>> round(balloon_steady_state(0.1)["f"], 6)             # f = 1 + x0 / gamma
    1.243902
    """
    p = balloon_parameters(params)
    x0 = np.asarray(x0, dtype=np.float64)
    f = 1.0 + x0 / p.gamma
    if np.any(f <= 0):
        raise InputError(f"balloon_steady_state: x0 must exceed -gamma = {-p.gamma} (inflow must stay positive).")
    v = f ** p.alpha
    E = 1.0 - (1.0 - p.rho) ** (1.0 / f)
    q = v * E / p.rho
    bold = p.V0 * (p.k1 * (1.0 - q) + p.k2 * (1.0 - q / v) + p.k3 * (1.0 - v))
    out = {"s": np.zeros_like(f), "f": f, "v": v, "q": q, "bold": bold}
    if out["bold"].ndim == 0:
        out = {k: float(val) for k, val in out.items()}
    return out


class BalloonWindkessel:
    """Streaming Balloon-Windkessel integrator for ``n_regions`` regions.

    Feed the neural activity chunk by chunk with :meth:`update` while a simulation runs; BOLD samples
    every ``tr`` seconds are kept (``n_samples x n_regions``), the raw activity never is.

    Parameters
    ----------
    n_regions : int
    tr : float, optional
        Sampling period of the BOLD signal in **seconds** (e.g. 2.0). ``None``: keep no samples (use
        :meth:`bold` to read the current value).
    time_unit : {'ms', 's', 'us'} or float
        The neural model's time unit, i.e. how many seconds one unit of ``dt`` is (``'ms'`` = 1e-3).
        Required: haemodynamics run in seconds and a wrong unit silently changes the result by 1000x.
    params : str or BalloonParameters
        Named set (``'spm'`` default, ``'stephan2007'``, ``'inverse_rates'``, ``'tvb'``) or a custom one.
    substep : float
        Target haemodynamic step in seconds (default 1e-3). The actual step is ``k dt`` with
        ``k = max(1, round(substep / dt_seconds))`` neural steps averaged per step.
    input_scale : float
        Factor applied to the activity before it enters the balloon (e.g. to convert 1/ms to 1/s).

    Examples
    --------
    >>> import numpy as np
    >>> bw = BalloonWindkessel(3, tr=1.0, time_unit="ms")
    >>> _ = bw.update(np.zeros((20000, 3)), dt=0.1)      # 2 s at rest
    >>> bw.samples().tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def __init__(self, n_regions: int, *, time_unit: str | float, tr: float | None = None,
                 params: str | BalloonParameters = "spm", substep: float = 1e-3, input_scale: float = 1.0):
        if int(n_regions) != n_regions or n_regions < 1:
            raise InputError(f"BalloonWindkessel: n_regions must be a positive integer, got {n_regions!r}.")
        self.n_regions = int(n_regions)
        self.seconds_per_unit = _seconds_per_unit(time_unit)
        self.time_unit = time_unit
        self.params = balloon_parameters(params)
        if tr is not None and not (np.isfinite(tr) and tr > 0):
            raise InputError(f"BalloonWindkessel: tr must be > 0 seconds, got {tr}.")
        self.tr = None if tr is None else float(tr)
        if not (np.isfinite(substep) and substep > 0):
            raise InputError(f"BalloonWindkessel: substep must be > 0 seconds, got {substep}.")
        self.substep = float(substep)
        if not np.isfinite(input_scale):
            raise InputError(f"BalloonWindkessel: input_scale must be finite, got {input_scale}.")
        self.input_scale = float(input_scale)
        self._p = self.params.as_array()
        self.reset()

    def reset(self) -> None:
        """Return to rest (s = 0, f = v = q = 1), forget samples and the step size."""
        self._state = np.zeros((4, self.n_regions))
        self._state[1:] = 1.0
        self._acc = np.zeros(self.n_regions)
        self._counters = np.zeros(3, dtype=np.int64)
        self._dt: float | None = None
        self._k = 0
        self._per_tr = 0
        self._chunks: list[np.ndarray] = []
        self._n_samples = 0

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> dict[str, np.ndarray]:
        """Copies of the balloon variables ``s, f, v, q`` (each of shape ``(n_regions,)``)."""
        return {name: self._state[i].copy() for i, name in enumerate("sfvq")}

    @property
    def time(self) -> float:
        """Haemodynamic time integrated so far, in seconds (completed sub-steps only)."""
        return float(self._counters[2] * self._h) if self._dt is not None else 0.0

    @property
    def step(self) -> float | None:
        """The haemodynamic step ``h`` in seconds (known after the first :meth:`update`)."""
        return self._h if self._dt is not None else None

    def bold(self) -> np.ndarray:
        """Current BOLD value per region."""
        p = self.params
        s, f, v, q = self._state
        return p.V0 * (p.k1 * (1.0 - q) + p.k2 * (1.0 - q / v) + p.k3 * (1.0 - v))

    # ------------------------------------------------------------------ integration
    def update(self, activity: np.ndarray, dt: float) -> int:
        """Advance with a chunk of neural activity.

        Parameters
        ----------
        activity : (n_steps, n_regions) array
            Neural activity at consecutive neural steps (one row per step), in the model's units.
        dt : float
            Neural step in the model's time unit (the same at every call).

        Returns
        -------
        int
            Number of BOLD samples produced by this chunk.
        """
        x = np.asarray(activity)
        if x.ndim == 1 and self.n_regions == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.n_regions:
            raise InputError(
                f"BalloonWindkessel.update: activity must have shape (n_steps, {self.n_regions}) "
                f"[time x region], got {x.shape}."
            )
        if np.iscomplexobj(x):
            raise InputError("BalloonWindkessel.update: activity is complex; pass a real observable (e.g. the rate).")
        x = np.ascontiguousarray(x, dtype=np.float64)
        self._set_dt(dt)
        if x.shape[0] == 0:
            return 0
        n_blocks = (int(self._counters[0]) + x.shape[0]) // self._k
        max_out = 0 if self._per_tr == 0 else (int(self._counters[1]) + n_blocks) // self._per_tr
        out = np.empty((max_out, self.n_regions))
        from neurodyn.observables._bold_kernel import advance   # Numba: only when BOLD is computed
        written, bad, block = advance(x, self.input_scale, self._state, self._acc, self._counters,
                                       self._k, self._h, self._per_tr, self._p, out)
        if bad >= 0:
            raise SimulationError(
                f"BalloonWindkessel: the balloon state of region {bad} became invalid (f or v <= 0, or "
                f"non-finite) at t = {(block + 1) * self._h:.6g} s; the neural input there is too negative or "
                "too large for the haemodynamic model. Shift/scale the activity (input_scale) so that it stays "
                f"above -gamma = {-self.params.gamma} and finite."
            )
        if written:
            self._chunks.append(out[:written])
            self._n_samples += written
        return int(written)

    def _set_dt(self, dt: float) -> None:
        dt = _check_dt(dt)
        if self._dt is not None:
            if not math.isclose(dt, self._dt, rel_tol=1e-12):
                raise InputError(
                    f"BalloonWindkessel.update: dt changed from {self._dt} to {dt}; the step must be the same at "
                    "every call (call reset() to start over with a new step)."
                )
            return
        k, h, per_tr = self._steps_for(dt)
        self._dt, self._k, self._h, self._per_tr = dt, k, h, per_tr

    def _steps_for(self, dt: float) -> tuple[int, float, int]:
        """(neural steps per haemodynamic step k, that step h in s, haemodynamic steps per TR) for step ``dt``."""
        dt_s = dt * self.seconds_per_unit
        k = max(1, int(round(self.substep / dt_s)))
        h = k * dt_s
        if h > 0.05:
            raise InputError(
                f"BalloonWindkessel: the neural step {dt} {self.time_unit} is {dt_s:g} s, too coarse for the "
                "haemodynamics (time constants ~0.4-1 s); give activity at a step <= 0.05 s."
            )
        per_tr = 0
        if self.tr is not None:
            ratio = self.tr / h
            per_tr = int(round(ratio))
            if per_tr < 1 or abs(ratio - per_tr) > 1e-9 * max(1.0, ratio):
                raise InputError(
                    f"BalloonWindkessel: tr = {self.tr} s is not a whole multiple of the haemodynamic step "
                    f"h = {k} x dt = {h:g} s; choose tr, dt or substep so that tr / h is an integer."
                )
        return k, h, per_tr

    def expected_samples(self, n_steps: int, dt: float) -> int:
        """BOLD samples that ``n_steps`` rows of activity at step ``dt`` give from rest (0 without ``tr``).

        >>> BalloonWindkessel(1, tr=0.5, time_unit="ms").expected_samples(10000, 0.1)
        2
        """
        k, h, per_tr = self._steps_for(_check_dt(dt))
        return 0 if per_tr == 0 else (int(n_steps) // k) // per_tr

    # ------------------------------------------------------------------ outputs
    @property
    def n_samples(self) -> int:
        return self._n_samples

    def samples(self) -> np.ndarray:
        """BOLD samples collected so far (since the last :meth:`pop_samples`), ``(n, n_regions)``."""
        if not self._chunks:
            return np.empty((0, self.n_regions))
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks, axis=0)]
        return self._chunks[0].copy()

    def sample_times(self) -> np.ndarray:
        """Times of the samples in seconds: ``tr, 2 tr, ...``."""
        if self.tr is None:
            return np.empty(0)
        return self.tr * np.arange(1, self._n_samples + 1)

    def pop_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(times_s, samples)`` collected since the last pop and forget them (for writing to disk)."""
        data = self.samples()
        times = self.sample_times()[len(self.sample_times()) - data.shape[0]:]
        self._chunks = []
        return times, data

    def to_xarray(self, labels=None):
        """Samples as an ``xarray.DataArray`` (dims ``time`` in s, ``region``)."""
        from neurodyn._xr import xr

        data = self.samples()
        coords = {"time": self.sample_times()[self._n_samples - data.shape[0]:]}
        if labels is not None:
            if len(labels) != self.n_regions:
                raise InputError(f"BalloonWindkessel.to_xarray: {len(labels)} labels for {self.n_regions} regions.")
            coords["region"] = list(labels)
        return xr.DataArray(data, dims=("time", "region"), coords=coords, name="bold",
                            attrs={"units": "fraction" if self.params.V0 < 1 else "percent",
                                   "time_units": "s", "balloon_parameters": self.params.name})

    def __repr__(self) -> str:
        step = f"h={self._h:g} s ({self._k} neural steps)" if self._dt is not None else "h not set yet"
        return (f"BalloonWindkessel({self.n_regions} regions, params={self.params.name!r}, tr={self.tr}, "
                f"time_unit={self.time_unit!r}, {step}, t={self.time:g} s, {self._n_samples} samples)")


def _check_dt(dt) -> float:
    try:
        dt = float(dt)
    except (TypeError, ValueError):
        raise InputError(f"BalloonWindkessel.update: dt must be a number, got {dt!r}.") from None
    if not (np.isfinite(dt) and dt > 0):
        raise InputError(f"BalloonWindkessel.update: dt must be > 0, got {dt}.")
    return dt


def _seconds_per_unit(time_unit: str | float) -> float:
    return seconds_per_unit(time_unit, "BalloonWindkessel")


def bold_from_activity(activity: np.ndarray, dt: float, *, time_unit: str | float, tr: float,
                       params: str | BalloonParameters = "spm", substep: float = 1e-3,
                       input_scale: float = 1.0, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """BOLD of a stored activity array (``(n_steps, n_regions)``), via :class:`BalloonWindkessel`.

    Returns ``(times_s, bold)``; see :class:`BalloonWindkessel` for the arguments.

    Examples
    --------
    >>> import numpy as np
    >>> t, b = bold_from_activity(np.zeros((5000, 2)), 1.0, time_unit="ms", tr=1.0)
    >>> t.tolist(), b.shape
    ([1.0, 2.0, 3.0, 4.0, 5.0], (5, 2))
    """
    x = np.asarray(activity)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise InputError(f"bold_from_activity: activity must be (n_steps, n_regions), got shape {x.shape}.")
    bw = BalloonWindkessel(x.shape[1], time_unit=time_unit, tr=tr, params=params, substep=substep,
                           input_scale=input_scale)
    for start in range(0, x.shape[0], chunk):
        bw.update(x[start:start + chunk], dt)
    return bw.sample_times(), bw.samples()
