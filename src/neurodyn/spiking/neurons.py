"""Neuron populations of the spiking networks: QIF or theta neurons, their excitabilities and parameters.

A :class:`Population` holds everything that is the same for its neurons (model, time constant, peak and reset,
synapse, adaptation, noise, initial state) and how their excitabilities eta_j are spread: a Lorentzian (the
distribution the mean fields assume) or a Gaussian, centred on ``eta`` with half-width (or standard deviation)
``delta``, either placed deterministically at quantiles or drawn at random with a seed.

Examples
--------
>>> from neurodyn.spiking import Population
>>> pop = Population("p", 5, eta=-5.0, delta=1.0)
>>> pop.excitabilities().round(3).tolist()   # eta + delta tan(pi/2 (2j - N - 1)/(N + 1)), j = 1..N
[-6.732, -5.577, -5.0, -4.423, -3.268]
>>> pop
<Population 'p': 5 qif neurons, eta ~ lorentzian(-5, 1) at quantiles, tau 1, V_p 100, V_r -100>
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from neurodyn.errors import InputError

__all__ = ["Population", "MODELS", "DISTRIBUTIONS", "PLACEMENTS", "lorentzian_quantiles", "refractory_steps"]

MODELS = ("qif", "theta")
DISTRIBUTIONS = ("lorentzian", "gaussian")
PLACEMENTS = ("quantile", "random")


def lorentzian_quantiles(n: int, center: float = 0.0, width: float = 1.0) -> np.ndarray:
    """``center + width tan(pi/2 (2j - n - 1)/(n + 1))`` for j = 1..n (MPR 2015's deterministic Lorentzian).

    Examples
    --------
    >>> lorentzian_quantiles(3).round(6).tolist()
    [-1.0, 0.0, 1.0]
    """
    j = np.arange(1, n + 1, dtype=float)
    return center + width * np.tan(0.5 * np.pi * (2.0 * j - n - 1.0) / (n + 1.0))


def _gaussian_quantiles(n: int, center: float, sd: float) -> np.ndarray:
    from scipy.special import ndtri
    return center + sd * ndtri(np.arange(1, n + 1, dtype=float) / (n + 1.0))


def _stride_permutation(n: int) -> np.ndarray:
    """A fixed permutation of 0..n-1 (steps of ~n/golden ratio, coprime with n) that decorrelates initial
    voltages from excitabilities when both are placed at quantiles."""
    if n < 3:
        return np.arange(n)
    s = max(1, int(round(n / ((1 + 5 ** 0.5) / 2))))
    while math.gcd(s, n) != 1:
        s += 1
    return (np.arange(n) * s) % n


def refractory_steps(tau: float, v_peak: float, v_reset: float, dt: float, where: str) -> tuple[int, int]:
    """Steps (m1, m2) from the peak to the spike and from the spike to the reset (MPR 2015): tau/V_p and
    tau/|V_r|, the times a QIF neuron takes from V_p to infinity and from minus infinity to V_r.

    Raises :class:`~neurodyn.errors.InputError` when the step is too coarse for the peak (fewer than 10 steps
    per tau/V_p) or when tau/V_p or tau/|V_r| is not a whole number of steps.

    Examples
    --------
    >>> refractory_steps(1.0, 100.0, -100.0, 1e-4, "population 'p'")
    (100, 100)
    """
    out = []
    for what, v in (("V_p", v_peak), ("|V_r|", abs(v_reset))):
        x = tau / (v * dt)
        m = int(round(x))
        if what == "V_p" and x < 10 * (1 - 1e-9):
            raise InputError(
                f"{where}: the step dt = {dt:g} is too coarse for the peak value V_p = {v_peak:g}: an Euler step "
                f"near the peak moves V by dt V_p^2/tau = {dt * v_peak ** 2 / tau:g} ({100 * dt * v_peak / tau:.0f} % "
                f"of V_p). Use dt <= tau/(10 V_p) = {tau / (10 * v_peak):g} (MPR 2015 used tau/(100 V_p) = "
                f"{tau / (100 * v_peak):g}), or a lower V_p.")
        if m < 1 or abs(x - m) > 1e-6 * x:
            lo, hi = max(1, math.floor(x)), math.ceil(x)
            raise InputError(
                f"{where}: the refractory convention needs tau/{what} = {tau / v:g} to be a whole number of steps "
                f"(it is {x:.6g} steps of dt = {dt:g}); use dt = tau/({what} m) for a whole m, e.g. "
                f"{tau / (v * hi):.6g} or {tau / (v * lo):.6g}")
        out.append(m)
    return out[0], out[1]


@dataclass(frozen=True)
class Population:
    """N identical-but-for-eta QIF or theta neurons.

    Parameters
    ----------
    name : str
    n : int
        Number of neurons (>= 1).
    model : {'qif', 'theta'}
        QIF: ``tau V' = V^2 + eta_j + input``, spike at ``v_peak``, reset to ``v_reset``, refractory for
        ``tau/v_peak + tau/|v_reset|`` with the spike emitted ``tau/v_peak`` after the peak (MPR 2015). Theta:
        ``tau theta' = (1 - cos theta) + (1 + cos theta)(eta_j + input)``, spike when theta passes pi; the same
        neuron as the QIF neuron with infinite peak under V = tan(theta/2).
    tau : float
        Membrane time constant (model time units).
    eta, delta : float
        Centre and half-width (Lorentzian) or standard deviation (Gaussian) of the excitabilities.
    distribution : {'lorentzian', 'gaussian'}
    placement : {'quantile', 'random'}
        'quantile': eta_j at the quantiles j/(N+1) (deterministic); 'random': drawn with the network's seed.
    v_peak, v_reset : float
        Peak and reset of QIF neurons (``v_reset < v_peak``; the refractory convention needs v_reset < 0).
    synapse_tau : float or None
        None: the population's spikes act instantaneously (a delta synapse: each spike moves V of its targets by
        J g / N). A float: first-order synapse ``synapse_tau s' = -s + g r`` whose s drives the targets by
        ``tau J s``.
    synapse_gain : float
        g above (``qif_syn`` puts its coupling J here: its s includes J).
    adaptation : (alpha, tau_a) or None
        Spike-frequency adaptation of the whole population (``qif_sfa``): eta -> eta - a,
        ``a' = x/tau_a``, ``x' = alpha r - (2x + a)/tau_a``, driven by the population rate r.
    noise : float
        sigma of additive white noise on V (``dV = ... dt + sigma dW``; for theta neurons applied to V =
        tan(theta/2) exactly).
    r0, v0 : float
        Initial state: voltages Lorentzian with centre v0 and half-width pi tau r0 (the mean field's initial
        r and v), placed like eta (quantiles in a fixed order decorrelated from eta, or random).
    s0, a0, x0 : float
        Initial synapse and adaptation variables.
    """

    name: str
    n: int
    model: str = "qif"
    tau: float = 1.0
    eta: float = -5.0
    delta: float = 1.0
    distribution: str = "lorentzian"
    placement: str = "quantile"
    v_peak: float = 100.0
    v_reset: float = -100.0
    synapse_tau: float | None = None
    synapse_gain: float = 1.0
    adaptation: tuple | None = None
    noise: float = 0.0
    r0: float = 0.0
    v0: float = -2.0
    s0: float = 0.0
    a0: float = 0.0
    x0: float = 0.0
    eta_values: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        where = f"population {self.name!r}"
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise InputError(f"{where}: the number of neurons must be an integer >= 1, got {self.n!r}")
        object.__setattr__(self, "n", int(self.n))
        if self.model not in MODELS:
            raise InputError(f"{where}: unknown neuron model {self.model!r}; valid: {', '.join(MODELS)}")
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(f"{where}: unknown distribution {self.distribution!r}; valid: {', '.join(DISTRIBUTIONS)}")
        if self.placement not in PLACEMENTS:
            raise InputError(f"{where}: unknown placement {self.placement!r}; valid: {', '.join(PLACEMENTS)}")
        for k in ("tau", "eta", "delta", "v_peak", "v_reset", "synapse_gain", "noise", "r0", "v0", "s0", "a0", "x0"):
            v = getattr(self, k)
            if not np.isfinite(v):
                raise InputError(f"{where}: {k} must be finite, got {v!r}")
            object.__setattr__(self, k, float(v))
        if self.tau <= 0:
            raise InputError(f"{where}: tau must be positive, got {self.tau}")
        if self.delta < 0 or self.noise < 0 or self.r0 < 0:
            raise InputError(f"{where}: delta, noise and r0 must be >= 0 (got {self.delta}, {self.noise}, {self.r0})")
        if self.model == "qif":
            if self.v_reset >= self.v_peak:
                raise InputError(f"{where}: the reset V_r = {self.v_reset:g} must lie below the peak V_p = "
                                 f"{self.v_peak:g} (MPR 2015 use V_p = -V_r = 100)")
            if self.v_peak <= 0 or self.v_reset >= 0:
                raise InputError(f"{where}: the refractory convention (tau/V_p to infinity, tau/|V_r| back) "
                                 f"needs V_p > 0 > V_r, got V_p = {self.v_peak:g}, V_r = {self.v_reset:g}")
        if self.synapse_tau is not None:
            if not (np.isfinite(self.synapse_tau) and self.synapse_tau > 0):
                raise InputError(f"{where}: synapse_tau must be positive (or None for a delta synapse), got "
                                 f"{self.synapse_tau!r}")
            object.__setattr__(self, "synapse_tau", float(self.synapse_tau))
        if self.adaptation is not None:
            alpha, tau_a = (float(x) for x in self.adaptation)
            if not (np.isfinite(alpha) and np.isfinite(tau_a) and tau_a > 0):
                raise InputError(f"{where}: adaptation must be (alpha, tau_a) with tau_a > 0, got {self.adaptation!r}")
            object.__setattr__(self, "adaptation", (alpha, tau_a))
        if self.eta_values is not None:
            arr = np.asarray(self.eta_values, dtype=float)
            if arr.shape != (self.n,) or not np.all(np.isfinite(arr)):
                raise InputError(f"{where}: eta_values must be {self.n} finite numbers, got shape {arr.shape}")
            object.__setattr__(self, "eta_values", arr)

    def __repr__(self) -> str:
        spread = ("given values" if self.eta_values is not None else
                  f"{self.distribution}({self.eta:g}, {self.delta:g}) "
                  f"{'at quantiles' if self.placement == 'quantile' else 'drawn at random'}")
        out = f"<Population {self.name!r}: {self.n} {self.model} neurons, eta ~ {spread}, tau {self.tau:g}"
        if self.model == "qif":
            out += f", V_p {self.v_peak:g}, V_r {self.v_reset:g}"
        if self.synapse_tau is not None:
            out += f", synapse tau {self.synapse_tau:g}"
        if self.adaptation is not None:
            out += f", adaptation {self.adaptation}"
        if self.noise:
            out += f", noise {self.noise:g}"
        return out + ">"

    # ---------------------------------------------------------------------------------------------- values
    def excitabilities(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """eta_j of the n neurons (``rng`` is needed for placement 'random')."""
        if self.eta_values is not None:
            return self.eta_values.copy()
        if self.placement == "quantile":
            if self.distribution == "lorentzian":
                return lorentzian_quantiles(self.n, self.eta, self.delta)
            return _gaussian_quantiles(self.n, self.eta, self.delta)
        if rng is None:
            raise InputError(f"population {self.name!r}: random placement needs a random generator (seed)")
        if self.distribution == "lorentzian":
            return self.eta + self.delta * rng.standard_cauchy(self.n)
        return self.eta + self.delta * rng.standard_normal(self.n)

    def initial_voltages(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """V_j(0): Lorentzian with centre v0 and half-width pi tau r0, independent of eta_j."""
        width = np.pi * self.tau * self.r0
        if self.placement == "quantile" or width == 0.0:
            return lorentzian_quantiles(self.n, self.v0, width)[_stride_permutation(self.n)]
        return self.v0 + width * rng.standard_cauchy(self.n)

    def initial_state(self, rng: np.random.Generator | None = None) -> np.ndarray:
        """The kernel's state: V (QIF) or theta = 2 atan V (theta neurons)."""
        v = self.initial_voltages(rng)
        return v if self.model == "qif" else 2.0 * np.arctan(v)
