"""Functional connectivity (FC) and its dynamics (FCD) from ``(time, region)`` signals.

* :func:`functional_connectivity` - Pearson correlation between regions, optionally after a band-pass;
* :func:`bandpass` - zero-phase Butterworth band-pass (``scipy.signal.sosfiltfilt``);
* :func:`fcd` - sliding-window FC and the correlation matrix between the windows' FC patterns;
* :func:`fc_similarity` - Pearson correlation between the upper triangles of two FC matrices.

For FC of a long run without storing it, see :class:`neurodyn.observables.RunningCovariance`; for FC of
BOLD, feed the activity to :class:`neurodyn.observables.BalloonWindkessel` and pass its samples here.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> a = rng.standard_normal(1000)
>>> x = np.column_stack([a, a + 0.1 * rng.standard_normal(1000), rng.standard_normal(1000)])
>>> fc = functional_connectivity(x)
>>> bool(fc[0, 1] > 0.99), bool(abs(fc[0, 2]) < 0.1)
(True, True)
"""
from __future__ import annotations

import numpy as np

from neurodyn.errors import InputError
from neurodyn.observables._arrays import as_time_region, sample_period_from

__all__ = ["functional_connectivity", "bold_functional_connectivity", "bandpass", "fcd", "fcd_window_starts",
           "fc_similarity", "upper_triangle"]


def bandpass(data, low: float | None, high: float | None, *, sample_period: float | None = None,
             order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth band-pass (or low-/high-pass if one edge is ``None``) along time.

    ``low``/``high`` are frequencies in cycles per time unit of ``sample_period`` (e.g. Hz if the period is
    in seconds). Uses second-order sections and ``sosfiltfilt`` (no phase shift, doubled order).
    """
    from scipy import signal

    x, meta = as_time_region(data, "bandpass", min_times=2)
    dt = sample_period_from(meta, sample_period, "bandpass")
    nyq = 0.5 / dt
    if low is None and high is None:
        raise InputError("bandpass: give low and/or high cut-off frequencies.")
    for name, f in (("low", low), ("high", high)):
        if f is not None and not (0 < f < nyq):
            raise InputError(f"bandpass: {name} = {f} must lie in (0, Nyquist = {nyq:g}) for sample period {dt:g}.")
    if low is not None and high is not None and not low < high:
        raise InputError(f"bandpass: low = {low} must be below high = {high}.")
    if low is not None and high is not None:
        sos = signal.butter(order, [low, high], btype="bandpass", fs=1.0 / dt, output="sos")
    elif low is not None:
        sos = signal.butter(order, low, btype="highpass", fs=1.0 / dt, output="sos")
    else:
        sos = signal.butter(order, high, btype="lowpass", fs=1.0 / dt, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    if x.shape[0] <= padlen:
        raise InputError(f"bandpass: need more than {padlen} samples for an order-{order} filter, got {x.shape[0]}.")
    return signal.sosfiltfilt(sos, x, axis=0)


def _corr(x: np.ndarray, where: str) -> np.ndarray:
    xc = x - x.mean(axis=0)
    sd = np.sqrt(np.einsum("ij,ij->j", xc, xc))
    flat = sd <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0)) * np.sqrt(x.shape[0])
    if flat.any():
        idx = np.flatnonzero(flat)
        raise InputError(
            f"{where}: {idx.size} region(s) are constant (zero variance), e.g. indices {idx[:10].tolist()}; "
            "their correlation is undefined. Drop them, or check that the simulation did not settle to a fixed "
            "point (use the BOLD or a noisier regime)."
        )
    xn = xc / sd
    c = xn.T @ xn
    np.clip(c, -1.0, 1.0, out=c)
    np.fill_diagonal(c, 1.0)
    return c


def functional_connectivity(data, *, band: tuple[float | None, float | None] | None = None,
                            sample_period: float | None = None, fisher_z: bool = False):
    """Pearson correlation matrix between regions.

    Parameters
    ----------
    data : (n_times, n_regions) array or DataArray with dims (time, region)
    band : (low, high), optional
        Band-pass the signals first (:func:`bandpass`); frequencies in 1/(unit of ``sample_period``).
    sample_period : float, optional
        Needed with ``band`` for NumPy input (taken from the time coordinate of a DataArray).
    fisher_z : bool
        Return ``arctanh`` of the correlations (diagonal set to 0).

    Returns
    -------
    (n_regions, n_regions) ndarray, or a DataArray with dims (region, region_2) for DataArray input.
    """
    x, meta = as_time_region(data, "functional_connectivity", min_times=3)
    if band is not None:
        if not (isinstance(band, (tuple, list)) and len(band) == 2):
            raise InputError(f"functional_connectivity: band must be (low, high), got {band!r}.")
        x = bandpass(data, band[0], band[1], sample_period=sample_period)
    c = _corr(x, "functional_connectivity")
    if fisher_z:
        with np.errstate(divide="ignore"):
            c = np.arctanh(np.clip(c, -1 + 1e-15, 1 - 1e-15))
        np.fill_diagonal(c, 0.0)
    if meta["xarray"]:
        from neurodyn._xr import xr

        dim = meta["region_dim"]
        coords = {}
        if meta["region"] is not None:
            coords = {dim: meta["region"], f"{dim}_2": meta["region"]}
        return xr.DataArray(c, dims=(dim, f"{dim}_2"), coords=coords, name="fc")
    return c


def bold_functional_connectivity(activity, dt: float, *, time_unit, tr: float, params="spm",
                                 discard: float = 0.0, input_scale: float = 1.0, fisher_z: bool = False):
    """FC of the BOLD signal computed from stored neural activity ``(n_steps, n_regions)``.

    The activity goes through :func:`neurodyn.observables.bold_from_activity` (``dt`` in the model's
    ``time_unit``, ``tr`` in seconds); BOLD samples earlier than ``discard`` seconds (the haemodynamic
    transient from rest, typically 10-20 s) are dropped before correlating. Returns ``(fc, bold)``.
    For long runs, use :class:`~neurodyn.observables.BalloonWindkessel` with
    :class:`~neurodyn.observables.RunningCovariance` instead, which store nothing.
    """
    from neurodyn.observables.bold import bold_from_activity

    t, b = bold_from_activity(activity, dt, time_unit=time_unit, tr=tr, params=params, input_scale=input_scale)
    keep = t > discard
    if keep.sum() < 3:
        raise InputError(f"bold_functional_connectivity: only {int(keep.sum())} BOLD samples after discarding "
                         f"{discard} s (run length {t[-1] if t.size else 0:g} s, tr {tr} s); simulate longer.")
    return functional_connectivity(b[keep], fisher_z=fisher_z), b[keep]


def upper_triangle(m: np.ndarray, k: int = 1) -> np.ndarray:
    """Entries above the ``k``-th diagonal of a square matrix, row by row."""
    m = np.asarray(m)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InputError(f"upper_triangle: need a square matrix, got shape {m.shape}.")
    return m[np.triu_indices(m.shape[0], k)]


def fc_similarity(fc_a, fc_b) -> float:
    """Pearson correlation between the off-diagonal upper triangles of two FC matrices (e.g. simulated vs
    empirical), the usual fitting score of whole-brain models."""
    a, b = upper_triangle(np.asarray(fc_a, dtype=float)), upper_triangle(np.asarray(fc_b, dtype=float))
    if a.shape != b.shape:
        raise InputError(f"fc_similarity: matrices of different sizes ({np.shape(fc_a)} vs {np.shape(fc_b)}).")
    if a.size < 2:
        raise InputError("fc_similarity: need at least 3 regions.")
    return float(np.corrcoef(a, b)[0, 1])


def _to_samples(value: float | int, sample_period: float | None, name: str) -> int:
    if sample_period is None:
        if int(value) != value:
            raise InputError(f"fcd: {name} = {value} is not a whole number of samples; pass sample_period= to "
                             "give it in time units.")
        return int(value)
    n = value / sample_period
    if abs(n - round(n)) > 1e-9 * max(1.0, abs(n)):
        raise InputError(f"fcd: {name} = {value} is not a whole multiple of the sample period {sample_period}.")
    return int(round(n))


def fcd_window_starts(n_times: int, window: int, step: int) -> np.ndarray:
    """Start indices of the sliding windows used by :func:`fcd` (full windows only)."""
    return np.arange(0, n_times - window + 1, step)


def fcd(data, window: float | int, step: float | int, *, sample_period: float | None = None,
        band: tuple[float | None, float | None] | None = None) -> np.ndarray:
    """Functional connectivity dynamics: correlations between sliding-window FC patterns.

    Parameters
    ----------
    data : (n_times, n_regions) array or DataArray
    window, step : int or float
        Window length and shift: numbers of samples, or times when ``sample_period`` is given (then they
        must be whole multiples of it). Only full windows are used.
    sample_period : float, optional
        Time between samples, to give ``window``/``step`` in time units (and for ``band``).
    band : (low, high), optional
        Band-pass before windowing.

    Returns
    -------
    (n_windows, n_windows) ndarray
        ``FCD[a, b]`` = Pearson correlation of the upper triangles (k = 1) of FC in windows a and b.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).standard_normal((200, 4))
    >>> fcd(x, window=50, step=25).shape
    (7, 7)
    """
    x, meta = as_time_region(data, "fcd", min_times=3)
    sp = sample_period
    if band is not None:
        x = bandpass(data, band[0], band[1], sample_period=sp)
    w = _to_samples(window, sp, "window")
    s = _to_samples(step, sp, "step")
    n_t, n_r = x.shape
    if n_r < 3:
        raise InputError(f"fcd: need at least 3 regions for FC patterns with more than one entry, got {n_r}.")
    if w < 3:
        raise InputError(f"fcd: window must span at least 3 samples, got {w}.")
    if s < 1:
        raise InputError(f"fcd: step must be at least 1 sample, got {s}.")
    if w > n_t:
        raise InputError(f"fcd: window ({w} samples) is longer than the data ({n_t} samples).")
    starts = fcd_window_starts(n_t, w, s)
    iu = np.triu_indices(n_r, 1)
    patterns = np.empty((starts.size, iu[0].size))
    for k, a in enumerate(starts):
        patterns[k] = _corr(x[a:a + w], f"fcd (window starting at sample {a})")[iu]
    return _corr(patterns.T, "fcd (a window's FC pattern is constant)")
