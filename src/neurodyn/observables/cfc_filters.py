"""Band-limited analytic signals for cross-frequency coupling: band-pass filtering and the Hilbert transform.

Three designs, all zero-phase, chosen with ``filter=``:

``'fir'`` (default)
    A windowed-sinc band-pass (``scipy.signal.firwin``, Hamming window, unit gain at the band centre) of order
    ``cycles * floor(fs / f_low)`` (the EEGLAB ``eegfilt`` rule that tensorpac also uses; by default 3 cycles
    for phase bands and 6 for amplitude bands), applied forward and backward: the zero-phase response is
    ``|H(f)|^2``. The record is extended at both ends by an odd reflection (``2 x[0] - x[k]``) at least one filter
    order long and the forward-backward convolution is done with FFTs; inside the record this equals
    ``scipy.signal.filtfilt(h, 1, x, padlen=order)`` to round-off (the test suite checks it against tensorpac's
    filter), at a fraction of the cost, and all bands share one FFT of the extended record. The record must hold
    at least three filter orders (``eegfilt``'s requirement); tensorpac shortens the filter instead, we raise.
``'butter'``
    A Butterworth band-pass of ``order`` (default 4) in second-order sections, run forward and backward with
    ``scipy.signal.sosfiltfilt`` (odd extension of three cycles of the low edge).
``'morlet'``
    The complex Morlet wavelet transform with ``width`` cycles (default 7) at the band centre ``f_c``, done in
    the frequency domain: the spectrum is multiplied by the Gaussian ``exp(-(f - f_c)^2 / (2 sigma_f^2))``,
    ``sigma_f = f_c / width``, for positive frequencies (unit gain at ``f_c``) and zero for negative ones, so
    the result is analytic without a separate Hilbert step. The band's edges only give its centre.

For ``'fir'`` and ``'butter'`` the analytic signal is ``y + i H[y]`` of the filtered record ``y`` (the FFT
Hilbert transform of ``scipy.signal.hilbert``, on the record itself: no zero padding). Phase is its angle in
``[-pi, pi]``, amplitude its modulus. Samples near both ends carry the filters' edge effects: discard them with
``edges=`` in :func:`neurodyn.observables.phase_amplitude`.

Frequencies are in Hz when the time unit is known (``time_unit='ms'``/``'s'``, or the DataArray's time
``attrs['units']``), else in cycles per model time unit, as in :mod:`neurodyn.observables.spectra`.

Examples
--------
>>> import numpy as np
>>> t = np.arange(0, 2.0, 1e-3)                                   # 2 s at 1 kHz, in seconds
>>> x = np.cos(2 * np.pi * 10 * t)
>>> z = analytic_signal(x, (8, 12), sample_period=1e-3, time_unit="s")
>>> float(abs(z).isel(time=slice(500, 1500)).mean().round(3))     # the amplitude of a 10 Hz cosine
1.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neurodyn.errors import InputError, close_matches
from neurodyn.observables._arrays import as_time_region, sample_period_from, seconds_per_unit

__all__ = ["FILTERS", "frequency_bands", "analytic_signal"]

#: The band-pass designs (see the module docstring).
FILTERS = {
    "fir": "windowed-sinc FIR (Hamming), order = cycles * floor(fs / f_low), forward-backward (zero phase)",
    "butter": "Butterworth IIR in second-order sections, forward-backward (scipy.signal.sosfiltfilt)",
    "morlet": "complex Morlet wavelet (Gaussian in frequency, sigma_f = f_centre / width), analytic by design",
}

#: Support of the Morlet wavelet used for the odd extension of the record, in standard deviations.
_MORLET_SUPPORT = 5.0


def frequency_bands(centres, *, width: float | None = None, relative: float | None = None) -> np.ndarray:
    """Bands ``[c - w/2, c + w/2]`` around each centre ``c``: ``w = width`` (absolute) or ``relative * c``.

    tensorpac's standard comodulogram bands are ``relative=0.5`` for phase (``f +- f/4``) and
    ``relative=0.25`` for amplitude (``f +- f/8``).

    >>> frequency_bands([4, 8], width=2).tolist()
    [[3.0, 5.0], [7.0, 9.0]]
    >>> frequency_bands([80], relative=0.25).tolist()
    [[70.0, 90.0]]
    """
    c = np.atleast_1d(np.asarray(centres, dtype=np.float64))
    if c.ndim != 1 or c.size == 0 or not np.isfinite(c).all() or (c <= 0).any():
        raise InputError(f"frequency_bands: centres must be a non-empty 1-D sequence of positive numbers, got {centres!r}.")
    if (width is None) == (relative is None):
        raise InputError("frequency_bands: give exactly one of width= (absolute band width) or relative= "
                         "(band width as a fraction of the centre).")
    w = np.full_like(c, float(width)) if width is not None else float(relative) * c
    if not (np.isfinite(w).all() and (w > 0).all()):
        raise InputError(f"frequency_bands: the band width must be > 0, got width={width}, relative={relative}.")
    lo = c - w / 2
    if (lo <= 0).any():
        k = int(np.flatnonzero(lo <= 0)[0])
        raise InputError(f"frequency_bands: band {k} around {c[k]:g} would start at {lo[k]:g} <= 0; use a narrower "
                         "width or higher centres.")
    return np.column_stack([lo, c + w / 2])


def parse_bands(bands, where: str) -> np.ndarray:
    """``(low, high)`` or a sequence of such pairs -> float64 array (n_bands, 2), checked ``0 < low < high``."""
    try:
        arr = np.asarray(bands, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{where}: bands must be (low, high) or a sequence of (low, high) pairs, got {bands!r}.") from None
    if arr.ndim == 1 and arr.size == 2:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise InputError(f"{where}: bands must be (low, high) or a sequence of (low, high) pairs (shape (n, 2)), "
                         f"got shape {arr.shape}; frequency_bands(centres, width=...) builds them.")
    if not np.isfinite(arr).all():
        raise InputError(f"{where}: band edges must be finite, got {arr.tolist()}.")
    bad = np.flatnonzero(~((arr[:, 0] > 0) & (arr[:, 0] < arr[:, 1])))
    if bad.size:
        k = int(bad[0])
        raise InputError(f"{where}: band {k} = ({arr[k, 0]:g}, {arr[k, 1]:g}) must satisfy 0 < low < high.")
    return arr


def resolve_filter(name: str, where: str) -> str:
    if not isinstance(name, str) or name not in FILTERS:
        raise InputError(f"{where}: unknown filter {name!r}; {close_matches(str(name), FILTERS)} "
                         f"(choices: {', '.join(FILTERS)}).")
    return name


def frequency_scale(meta: dict, sample_period, time_unit, where: str) -> tuple[float, float, str]:
    """``(sample_period, fs, unit)``: fs in Hz when the time unit is known, else per model time unit."""
    dt = sample_period_from(meta, sample_period, where)
    unit = time_unit if time_unit is not None else meta.get("time_unit")
    if unit is None:
        return dt, 1.0 / dt, "1/time unit"
    return dt, 1.0 / (dt * seconds_per_unit(unit, where)), "Hz"


def _odd_extension(x: np.ndarray, pad: int) -> np.ndarray:
    """Extend ``x`` (rows = series) by ``pad`` samples of odd reflection at both ends (as scipy's filtfilt)."""
    if pad == 0:
        return x
    left = 2.0 * x[:, :1] - x[:, pad:0:-1]
    right = 2.0 * x[:, -1:] - x[:, -2:-pad - 2:-1]
    return np.concatenate([left, x, right], axis=1)


def hilbert_analytic(y: np.ndarray) -> np.ndarray:
    """Analytic signal ``y + i H[y]`` along the last axis (the FFT method of ``scipy.signal.hilbert``)."""
    from scipy import fft as sp_fft

    n = y.shape[-1]
    half = n // 2 + 1
    weights = np.full(half, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    spec = np.zeros(y.shape[:-1] + (n,), dtype=np.complex128)
    spec[..., :half] = sp_fft.rfft(y, axis=-1) * weights
    return sp_fft.ifft(spec, axis=-1)


@dataclass(frozen=True)
class FilterBank:
    """Band-pass filters designed for one set of bands, sample rate and record length.

    ``analytic(x)`` yields ``(band index, analytic signal)`` for a ``(series, time)`` block ``x``. Built by
    :func:`design_bank`, which checks every band against the Nyquist frequency and the record length.
    """

    bands: np.ndarray
    fs: float
    n_times: int
    method: str
    setting: float            # cycles (fir), order (butter) or width (morlet)
    pads: tuple               # odd-extension length per band
    kernels: tuple            # fir: |H|^2 on the shared FFT grid; butter: sos; morlet: (centre, sigma_f)
    fft_length: int           # fir: shared FFT length (0 otherwise)

    def __repr__(self) -> str:
        return (f"<FilterBank {self.method} ({self.setting:g}), {len(self.bands)} bands "
                f"{self.bands[0, 0]:g}-{self.bands[-1, 1]:g}, fs {self.fs:g}, {self.n_times} samples>")

    def describe(self) -> str:
        name = {"fir": "cycles", "butter": "order", "morlet": "width"}[self.method]
        return f"{self.method} ({name} {self.setting:g}): {FILTERS[self.method]}"

    def analytic(self, x: np.ndarray):
        """Yield ``(k, z_k)``: the analytic signal of every row of ``x`` (series, time) in band ``k``."""
        from scipy import fft as sp_fft
        from scipy import signal

        x = np.ascontiguousarray(x, dtype=np.float64)
        n = x.shape[1]
        if n != self.n_times:
            raise InputError(f"FilterBank: designed for {self.n_times} samples, got {n}.")
        if self.method == "fir":
            pad, L = self.pads[0], self.fft_length
            spec = sp_fft.rfft(_odd_extension(x, pad), L, axis=-1)
            for k, gain in enumerate(self.kernels):
                y = sp_fft.irfft(spec * gain, L, axis=-1)[:, pad:pad + n]
                yield k, hilbert_analytic(y)
        elif self.method == "butter":
            for k, sos in enumerate(self.kernels):
                y = signal.sosfiltfilt(sos, x, axis=-1, padtype="odd", padlen=self.pads[k])
                yield k, hilbert_analytic(y)
        else:
            for k, (centre, sigma_f) in enumerate(self.kernels):
                pad = self.pads[k]
                L = sp_fft.next_fast_len(n + 2 * pad, real=False)
                spec = sp_fft.fft(_odd_extension(x, pad), L, axis=-1)
                f = sp_fft.fftfreq(L, d=1.0 / self.fs)
                gain = np.where(f > 0, 2.0 * np.exp(-0.5 * ((f - centre) / sigma_f) ** 2), 0.0)
                gain[0] = math.exp(-0.5 * (centre / sigma_f) ** 2)
                yield k, sp_fft.ifft(spec * gain, axis=-1)[:, pad:pad + n]


def design_bank(bands: np.ndarray, fs: float, n_times: int, method: str, setting: float, funit: str,
                where: str) -> FilterBank:
    """Design the filters of ``bands`` at sampling rate ``fs`` for records of ``n_times`` samples.

    Raises :class:`~neurodyn.errors.InputError` for a band edge at or above Nyquist, a band narrower than the
    record's frequency resolution ``fs / n_times``, or a filter longer than the record allows.
    """
    from scipy import fft as sp_fft
    from scipy import signal

    method = resolve_filter(method, where)
    setting = float(setting)
    if not (np.isfinite(setting) and setting > 0):
        raise InputError(f"{where}: the {method} setting (cycles/order/width) must be > 0, got {setting}.")
    nyq = fs / 2.0
    resolution = fs / n_times
    for k, (lo, hi) in enumerate(bands):
        if hi >= nyq:
            raise InputError(f"{where}: band {k} = ({lo:g}, {hi:g}) {funit} reaches the Nyquist frequency "
                             f"{nyq:g} {funit} (sample rate {fs:g}); lower its upper edge or sample faster.")
        if hi - lo < resolution:
            raise InputError(f"{where}: band {k} = ({lo:g}, {hi:g}) {funit} is {hi - lo:g} wide, narrower than the "
                             f"frequency resolution {resolution:g} {funit} of a record of {n_times} samples; widen "
                             "the band or use a longer record.")
    pads, kernels, L = [], [], 0
    if method == "fir":
        taps = []
        for k, (lo, hi) in enumerate(bands):
            order = int(setting * math.floor(fs / lo * (1.0 + 1e-12)))
            if n_times < 3 * order:
                raise InputError(
                    f"{where}: band {k} = ({lo:g}, {hi:g}) {funit}: the FIR filter of {setting:g} cycles of the low "
                    f"edge has order {order} and needs at least 3 x {order} = {3 * order} samples; the record has "
                    f"{n_times}. Use a longer record, a higher low edge or fewer cycles.")
            taps.append(signal.firwin(order + 1, [lo, hi], pass_zero=False, window="hamming", fs=fs))
            pads.append(order)
        pad = max(pads)
        L = sp_fft.next_fast_len(n_times + 2 * pad, real=True)
        kernels = [np.abs(sp_fft.rfft(h, L)) ** 2 for h in taps]
        pads = [pad] * len(bands)
    elif method == "butter":
        order = int(setting)
        if order != setting or order < 1:
            raise InputError(f"{where}: the Butterworth order must be a positive integer, got {setting:g}.")
        for k, (lo, hi) in enumerate(bands):
            kernels.append(signal.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos"))
            padlen = int(math.ceil(3.0 * fs / lo))
            if padlen >= n_times:
                raise InputError(f"{where}: band {k} = ({lo:g}, {hi:g}) {funit}: the Butterworth filter is padded with "
                                 f"3 cycles of the low edge ({padlen} samples), more than the record's {n_times}. "
                                 "Use a longer record or a higher low edge.")
            pads.append(padlen)
    else:
        for k, (lo, hi) in enumerate(bands):
            centre = 0.5 * (lo + hi)
            sigma_t = setting / (2.0 * math.pi * centre)
            pad = int(math.ceil(_MORLET_SUPPORT * sigma_t * fs))
            if pad >= n_times:
                raise InputError(f"{where}: band {k} centred at {centre:g} {funit}: the Morlet wavelet of width "
                                 f"{setting:g} spans +-{_MORLET_SUPPORT:g} sd = {pad} samples, more than the record's "
                                 f"{n_times}. Use a longer record, a higher frequency or a smaller width.")
            kernels.append((centre, centre / setting))
            pads.append(pad)
    return FilterBank(bands=bands, fs=fs, n_times=n_times, method=method, setting=setting, pads=tuple(pads),
                      kernels=tuple(kernels), fft_length=L)


def analytic_signal(data, bands, *, sample_period: float | None = None, time_unit: str | float | None = None,
                    filter: str = "fir", cycles: float = 3.0, order: int = 4, width: float = 7.0):
    """Analytic signal of every region in every band (band-pass + Hilbert, or Morlet wavelet).

    Parameters
    ----------
    data : (n_times,) or (n_times, n_regions) array, or DataArray with dims (time[, region])
    bands : (low, high) or sequence of (low, high)
        In Hz when the time unit is known, else in cycles per model time unit.
    sample_period : float, optional
        Time between samples in the model unit (required for NumPy input).
    time_unit : {'ms', 's', 'us'} or float, optional
        The model time unit (seconds per unit), to read bands in Hz.
    filter : {'fir', 'butter', 'morlet'}
        The design (module docstring); ``cycles`` (fir), ``order`` (butter) or ``width`` (morlet) sets it.

    Returns
    -------
    Complex DataArray with dims ``(frequency, time[, region])``; ``frequency`` holds the band centres and
    ``frequency_low`` / ``frequency_high`` the edges. ``np.angle`` and ``abs`` give phase and amplitude.
    """
    import xarray as xr

    where = "analytic_signal"
    x, meta = as_time_region(data, where, min_times=4)
    dt, fs, funit = frequency_scale(meta, sample_period, time_unit, where)
    b = parse_bands(bands, where)
    method = resolve_filter(filter, where)
    setting = {"fir": cycles, "butter": order, "morlet": width}[method]
    bank = design_bank(b, fs, x.shape[0], method, setting, funit, where)
    out = np.empty((len(b), x.shape[0], x.shape[1]), dtype=np.complex128)
    for k, z in bank.analytic(x.T):
        out[k] = z.T
    squeeze = (np.ndim(data) == 1) if not meta["xarray"] else len(data.dims) == 1
    dim = meta.get("region_dim", "region")
    coords = {"frequency": ("frequency", b.mean(axis=1), {"units": funit}),
              "frequency_low": ("frequency", b[:, 0]), "frequency_high": ("frequency", b[:, 1]),
              "time": meta["time"] if meta["time"] is not None else np.arange(x.shape[0]) * dt}
    if squeeze:
        return xr.DataArray(out[:, :, 0], dims=("frequency", "time"), coords=coords, name="analytic_signal",
                            attrs={"filter": bank.describe()})
    if meta["xarray"]:
        coords.update(region_coords(data, dim))
    return xr.DataArray(out, dims=("frequency", "time", dim), coords=coords, name="analytic_signal",
                        attrs={"filter": bank.describe()})


def region_coords(da, dim: str) -> dict:
    """Every coordinate of DataArray ``da`` that lies along ``dim`` only (the index and e.g. region labels)."""
    return {name: (dim, np.asarray(c.values)) for name, c in da.coords.items() if c.dims == (dim,)}
