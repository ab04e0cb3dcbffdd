"""Phase-amplitude coupling measures on arrays: the numerical core of :mod:`neurodyn.observables.cfc`.

Inputs are ``phase`` of shape (region, phase band, time) in radians and ``amplitude`` of shape
(region, amplitude band, time); every measure returns (region, amplitude band, phase band). With
``N`` samples, phase ``phi_t`` and amplitude ``a_t``:

``mvl`` (Canolty et al. 2006)
    ``| (1/N) sum_t a_t exp(i phi_t) |``; its angle is the preferred phase (:func:`preferred_phase`).
``tort`` (Tort et al. 2010)
    The phase is cut into ``n_bins`` equal bins ``[-pi + 2 pi k / n_bins, -pi + 2 pi (k+1) / n_bins)``;
    ``P_k`` is the mean amplitude in bin ``k`` divided by the sum of those means;
    ``MI = KL(P, uniform) / log n_bins = 1 + sum_k P_k log P_k / log n_bins`` (0 for a flat distribution, 1 when
    all amplitude falls in one bin).
``heights_ratio`` (Lakatos et al. 2005)
    ``(max_k P_k - min_k P_k) / max_k P_k`` of the same distribution.
``ndpac`` (Ozkurt 2012)
    ``| (1/N) sum_t z_t exp(i phi_t) |`` with ``z`` the amplitude z-scored over time (sample standard
    deviation, ``ddof=1``); with ``ndpac_p`` given, values with ``(N ndpac)^2 <= 2 N erfinv(1 - p)^2`` (not
    significant at level ``p`` under Ozkurt's Gaussian null) are set to 0.
``phase_sync`` (Penny et al. 2008; Cohen 2008)
    ``| (1/N) sum_t exp(i (phi_t - psi_t)) |`` with ``psi`` the phase of the amplitude envelope (the phase-
    locking value of the envelope to the low-frequency rhythm).

These are tensorpac's definitions (``tensorpac.methods``), checked against it to round-off. One difference:
tensorpac's default ("tensor") implementation of the modulation index and heights ratio divides each bin's
amplitude sum by that bin's sample count pooled over all phase bands and trials; here (as in Tort et al. and in
tensorpac's Numba implementation) each phase series has its own counts. They agree for a single phase series.

Examples
--------
>>> import numpy as np
>>> phi = np.linspace(-np.pi, np.pi, 3600, endpoint=False)[None, None]      # one region, one band
>>> amp = (1 + 0.5 * np.cos(phi - 1.0))                                     # coupled at phase 1 rad
>>> f = phase_features("mvl", phi, 18)
>>> float(measure(f, amp)[0, 0, 0].round(6))                                # m / 2
0.25
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neurodyn.errors import InputError, close_matches

__all__ = ["PAC_METHODS", "resolve_method", "phase_features", "measure", "preferred_phase_values",
           "binned_distribution"]

#: Canonical method names and what they compute (see the module docstring for the definitions).
PAC_METHODS = {
    "mvl": "mean vector length (Canolty et al. 2006)",
    "tort": "modulation index: KL divergence of the phase-binned amplitude from uniform (Tort et al. 2010)",
    "heights_ratio": "heights ratio (max - min) / max of the phase-binned amplitude (Lakatos et al. 2005)",
    "ndpac": "normalised direct PAC (Ozkurt 2012)",
    "phase_sync": "phase synchrony of the amplitude envelope's phase to the low-frequency phase (Penny et al. 2008)",
}

_ALIASES = {
    "canolty": "mvl", "mean_vector_length": "mvl",
    "mi": "tort", "modulation_index": "tort", "kl": "tort",
    "hr": "heights_ratio", "heights": "heights_ratio",
    "ozkurt": "ndpac", "norm_direct_pac": "ndpac",
    "plv": "phase_sync", "phase_synchrony": "phase_sync", "phase_locking_value": "phase_sync",
}

BINNED = ("tort", "heights_ratio")


def resolve_method(name, where: str = "pac") -> str:
    """Canonical method name for ``name`` (or an alias such as ``'mi'``, ``'plv'``); typed error otherwise.

    >>> resolve_method("MI")
    'tort'
    """
    key = str(name).lower()
    if key in PAC_METHODS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    raise InputError(f"{where}: unknown PAC method {name!r}; {close_matches(key, list(PAC_METHODS) + list(_ALIASES))} "
                     f"(methods: {', '.join(PAC_METHODS)}).")


@dataclass
class PhaseFeatures:
    """What a measure needs from the phase, computed once and reused for every amplitude (and surrogate)."""

    method: str
    n_times: int
    n_phase: int
    cos_sin: np.ndarray | None = None      # (R, 2P, n): cos phi then sin phi
    bins: np.ndarray | None = None         # (R, P, n) bin index
    counts: np.ndarray | None = None       # (R, P, n_bins)
    n_bins: int = 18

    def __repr__(self) -> str:
        return f"<PhaseFeatures {self.method}: {self.n_phase} phase bands, {self.n_times} samples>"


def check_bins(n_bins) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or not 2 <= int(n_bins) <= 65535:
        raise InputError(f"pac: n_bins must be an integer >= 2, got {n_bins!r}.")
    return int(n_bins)


def phase_bins(phase: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of every phase: ``edges = linspace(-pi, pi, n_bins + 1)``, bin ``k`` is
    ``[edges[k], edges[k+1])``; pi belongs to bin 0 (it is -pi). Phases outside [-pi, pi] are wrapped first."""
    if phase.size and (phase.min() < -np.pi or phase.max() > np.pi):
        phase = np.mod(phase + np.pi, 2.0 * np.pi) - np.pi
    edges = np.linspace(-np.pi, np.pi, n_bins + 1)
    idx = np.searchsorted(edges, phase, side="right") - 1
    idx[idx >= n_bins] = 0
    idx[idx < 0] = 0                                   # only -pi - 0 after wrapping round-off
    return idx.astype(np.uint8 if n_bins <= 255 else np.uint16)


def phase_features(method: str, phase: np.ndarray, n_bins: int = 18, region_offset: int = 0) -> PhaseFeatures:
    """Prepare ``phase`` (R, P, n) for ``method``: cos/sin for vector measures, bins and counts for binned ones.

    Raises :class:`~neurodyn.errors.InputError` when a phase bin holds no sample (the phase does not cover the
    circle: too short a record for the band, or too many bins).
    """
    _, n_pha, n = phase.shape
    feats = PhaseFeatures(method=method, n_times=n, n_phase=n_pha, n_bins=check_bins(n_bins))
    if method in BINNED:
        from neurodyn.observables import _cfc_kernel

        feats.bins = np.ascontiguousarray(phase_bins(phase, feats.n_bins))
        feats.counts = _cfc_kernel.bin_counts(feats.bins, feats.n_bins)
        empty = np.argwhere(feats.counts == 0)
        if empty.size:
            r, p, k = empty[0]
            raise InputError(
                f"pac ({method}): phase bin {k} of {feats.n_bins} holds no sample (region index {r + region_offset}, "
                f"phase band index {p}); the phase does not cover the circle. Use fewer bins (n_bins=), a longer "
                "record, or check the phase series.")
    else:
        feats.cos_sin = np.concatenate([np.cos(phase), np.sin(phase)], axis=1)
    return feats


def _mean_vector(cos_sin: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``(1/n) sum_t values[r, a, t] exp(i phi[r, p, t])`` -> complex (R, A, P)."""
    n_pha = cos_sin.shape[1] // 2
    prod = np.matmul(values, cos_sin.transpose(0, 2, 1))
    return (prod[..., :n_pha] + 1j * prod[..., n_pha:]) / cos_sin.shape[2]


def binned_distribution(feats: PhaseFeatures, amplitude: np.ndarray) -> np.ndarray:
    """Mean amplitude per phase bin (R, A, P, n_bins) (not normalised)."""
    from neurodyn.observables import _cfc_kernel

    sums = _cfc_kernel.binned_sums(feats.bins, np.ascontiguousarray(amplitude), feats.n_bins)
    return sums / feats.counts[:, None, :, :]


def _binned(feats: PhaseFeatures, amplitude: np.ndarray, region_offset: int) -> np.ndarray:
    if amplitude.size and amplitude.min() < 0:
        r, a, t = np.argwhere(amplitude < 0)[0]
        raise InputError(f"pac ({feats.method}): the amplitude must be non-negative (an envelope); region index "
                         f"{r + region_offset}, amplitude band index {a}, time index {t} is {amplitude[r, a, t]:g}.")
    means = binned_distribution(feats, amplitude)
    total = means.sum(axis=-1, keepdims=True)
    if (total <= 0).any():
        r, a, p, _ = np.argwhere(total <= 0)[0]
        raise InputError(f"pac ({feats.method}): the amplitude is zero everywhere in region index {r + region_offset}, "
                         f"amplitude band index {a}; the phase-amplitude distribution is undefined.")
    dist = means / total
    if feats.method == "tort":
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(dist > 0, dist * np.log(dist), 0.0)
        return 1.0 + plogp.sum(axis=-1) / math.log(feats.n_bins)
    hmax = dist.max(axis=-1)
    return (hmax - dist.min(axis=-1)) / hmax


def measure(feats: PhaseFeatures, amplitude: np.ndarray | None, amplitude_phase: np.ndarray | None = None,
            ndpac_p: float | None = None, region_offset: int = 0) -> np.ndarray:
    """The measure of ``feats.method`` for ``amplitude`` (R, A, n) -> (R, A, P).

    ``phase_sync`` uses ``amplitude_phase``: the envelope's phase, (R, A, n) or, when it depends on the phase
    band (the envelope filtered in each phase band), (R, A, P, n).
    """
    method = feats.method
    if method == "mvl":
        return np.abs(_mean_vector(feats.cos_sin, amplitude))
    if method in BINNED:
        return _binned(feats, amplitude, region_offset)
    if method == "ndpac":
        from scipy.special import erfinv

        n = amplitude.shape[-1]
        sd = amplitude.std(axis=-1, ddof=1, keepdims=True)
        if (sd <= 0).any():
            r, a, _ = np.argwhere(sd <= 0)[0]
            raise InputError(f"pac (ndpac): the amplitude is constant in region index {r + region_offset}, amplitude "
                             f"band index {a}; it cannot be z-scored.")
        z = (amplitude - amplitude.mean(axis=-1, keepdims=True)) / sd
        val = np.abs(_mean_vector(feats.cos_sin, z))
        if ndpac_p is not None:
            val[(n * val) ** 2 <= 2.0 * n * erfinv(1.0 - ndpac_p) ** 2] = 0.0
        return val
    # phase_sync
    psi = amplitude_phase
    n_pha = feats.n_phase
    if psi.ndim == 3:
        cos_psi, sin_psi = np.cos(psi), np.sin(psi)
        m = np.matmul(cos_psi, feats.cos_sin.transpose(0, 2, 1))
        s = np.matmul(sin_psi, feats.cos_sin.transpose(0, 2, 1))
        re = m[..., :n_pha] + s[..., n_pha:]
        im = m[..., n_pha:] - s[..., :n_pha]
    else:
        c, sn = feats.cos_sin[:, :n_pha], feats.cos_sin[:, n_pha:]
        cos_psi, sin_psi = np.cos(psi), np.sin(psi)
        re = np.einsum("rpt,rapt->rap", c, cos_psi) + np.einsum("rpt,rapt->rap", sn, sin_psi)
        im = np.einsum("rpt,rapt->rap", sn, cos_psi) - np.einsum("rpt,rapt->rap", c, sin_psi)
    return np.hypot(re, im) / feats.n_times


def preferred_phase_values(phase: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """Angle of the mean vector ``sum_t a_t exp(i phi_t)`` (R, A, P), in (-pi, pi]: the phase at which the
    amplitude is largest for a sinusoidal modulation ``a = 1 + m cos(phi - phi0)`` (it gives ``phi0``)."""
    cos_sin = np.concatenate([np.cos(phase), np.sin(phase)], axis=1)
    return np.angle(_mean_vector(cos_sin, amplitude))


def check_ndpac_p(ndpac_p) -> float | None:
    if ndpac_p is None:
        return None
    p = float(ndpac_p)
    if not 0.0 < p <= 1.0:
        raise InputError("pac (ndpac): ndpac_p is a significance level in (0, 1] (or None for no threshold), "
                         f"got {ndpac_p!r}.")
    return p
