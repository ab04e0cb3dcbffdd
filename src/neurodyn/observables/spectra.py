"""Power spectra (Welch) and dominant frequencies per region.

Input: ``(time, region)`` NumPy arrays with an explicit ``sample_period``, or xarray DataArrays with dims
``(time, region)`` whose time coordinate is in the model's unit. Frequencies are returned in **Hz** when the
time unit is known (``time_unit='ms'`` or ``'s'``, or a DataArray whose ``time`` coordinate has
``attrs['units']`` set), otherwise in cycles per model time unit.

Examples
--------
>>> import numpy as np
>>> t = np.arange(0, 2000.0, 0.1)                  # 2 s in ms, dt = 0.1 ms
>>> x = np.column_stack([np.sin(2 * np.pi * 0.040 * t), np.sin(2 * np.pi * 0.010 * t)])  # 40 Hz, 10 Hz
>>> f = dominant_frequency(x, sample_period=0.1, time_unit="ms", band=(1, 100))
>>> np.round(f, 1).tolist()
[40.0, 10.0]
"""
from __future__ import annotations

import numpy as np

from neurodyn.errors import InputError
from neurodyn.observables._arrays import as_time_region, sample_period_from, seconds_per_unit

__all__ = ["power_spectrum", "dominant_frequency", "peak_frequency"]


def _fs(meta, sample_period, time_unit, where):
    dt = sample_period_from(meta, sample_period, where)
    unit = time_unit if time_unit is not None else meta.get("time_unit")
    if unit is None:
        return 1.0 / dt, "1/time unit"
    return 1.0 / (dt * seconds_per_unit(unit, where)), "Hz"


def power_spectrum(data, *, sample_period: float | None = None, time_unit: str | float | None = None,
                   nperseg: int | None = None, detrend: str | bool = "constant", **welch_kwargs):
    """Welch power spectral density per region.

    Parameters
    ----------
    data : (n_times, n_regions) array or DataArray (time, region)
    sample_period : float, optional
        Time between samples in the model's unit (required for NumPy input).
    time_unit : {'ms', 's', 'us'} or float, optional
        Model time unit, to express frequencies in Hz.
    nperseg : int, optional
        Welch segment length (default: ``min(n_times, 4096)``); frequency resolution ``fs / nperseg``.
    detrend, **welch_kwargs
        Passed to :func:`scipy.signal.welch`.

    Returns
    -------
    (freqs, psd) with psd of shape (n_freqs, n_regions); for DataArray input a DataArray with dims
    ``(frequency, region)``.
    """
    from scipy import signal

    x, meta = as_time_region(data, "power_spectrum", min_times=4)
    fs, funit = _fs(meta, sample_period, time_unit, "power_spectrum")
    if nperseg is None:
        nperseg = min(x.shape[0], 4096)
    if not (2 <= int(nperseg) <= x.shape[0]):
        raise InputError(f"power_spectrum: nperseg must be in [2, n_times = {x.shape[0]}], got {nperseg}.")
    freqs, psd = signal.welch(x, fs=fs, nperseg=int(nperseg), detrend=detrend, axis=0, **welch_kwargs)
    if meta["xarray"]:
        from neurodyn._xr import xr

        dim = meta["region_dim"]
        coords = {"frequency": freqs}
        if meta["region"] is not None:
            coords[dim] = meta["region"]
        da = xr.DataArray(psd, dims=("frequency", dim), coords=coords, name="psd")
        da["frequency"].attrs["units"] = funit
        return da
    return freqs, psd


def peak_frequency(freqs: np.ndarray, psd: np.ndarray, band: tuple[float, float] | None = None,
                   interpolate: bool = True) -> np.ndarray:
    """Frequency of the largest peak of each column of ``psd`` (n_freqs, n_regions) within ``band`` (inclusive;
    0 excluded by default), refined by a parabola through the log-power around the peak when ``interpolate``.

    >>> f = np.arange(6.0); P = np.array([[0, 1, 5, 1, 0, 0], [0, 0, 1, 2, 4, 2]], float).T + 1e-3
    >>> np.round(peak_frequency(f, P, interpolate=False), 1).tolist()
    [2.0, 4.0]
    """
    lo, hi = (0.0, np.inf) if band is None else band
    if not lo < hi:
        raise InputError(f"dominant_frequency: band {band} must satisfy low < high.")
    sel = (freqs >= lo) & (freqs <= hi)
    if band is None:
        sel &= freqs > 0
    if sel.sum() < 1:
        raise InputError(f"dominant_frequency: no frequency bin in band {band} (resolution {freqs[1] - freqs[0]:g}, "
                         f"max {freqs[-1]:g}); widen the band or use longer data / larger nperseg.")
    idx = np.flatnonzero(sel)
    sub = psd[idx]
    peak = np.argmax(sub, axis=0)
    out = freqs[idx[peak]].astype(float)
    if interpolate:
        df = freqs[1] - freqs[0]
        for r, p in enumerate(peak):
            k = idx[p]
            if 0 < k < len(freqs) - 1 and np.all(psd[k - 1:k + 2, r] > 0):
                a, b, c = np.log(psd[k - 1:k + 2, r])
                den = a - 2 * b + c
                # only a local maximum is refined (at a band edge the neighbour outside may be higher: the
                # parabola's vertex would then lie outside the band, more than half a bin away)
                if den < 0 and b >= a and b >= c:
                    out[r] = freqs[k] + 0.5 * (a - c) / den * df
    return out


def dominant_frequency(data, *, band: tuple[float, float] | None = None, sample_period: float | None = None,
                       time_unit: str | float | None = None, nperseg: int | None = None,
                       interpolate: bool = True, **welch_kwargs):
    """Frequency of the largest Welch PSD peak per region, within ``band`` (excludes 0 by default).

    Parameters
    ----------
    band : (low, high), optional
        Frequency range searched (inclusive), in the output frequency unit (Hz when the time unit is known).
    interpolate : bool
        Refine the peak by a parabola through the log-power of the peak bin and its neighbours (sub-bin
        accuracy for narrow peaks).
    Other parameters as :func:`power_spectrum`.

    Returns
    -------
    (n_regions,) ndarray (a DataArray over regions for DataArray input).
    """
    res = power_spectrum(data, sample_period=sample_period, time_unit=time_unit, nperseg=nperseg, **welch_kwargs)
    if isinstance(res, tuple):
        freqs, psd = res
    else:
        freqs, psd = res["frequency"].values, res.values
    out = peak_frequency(freqs, psd, band, interpolate)
    if not isinstance(res, tuple):
        from neurodyn._xr import xr

        dim = res.dims[1]
        return xr.DataArray(out, dims=(dim,), coords={dim: res[dim].values} if dim in res.coords else {},
                            name="dominant_frequency", attrs={"units": res["frequency"].attrs.get("units")})
    return out
