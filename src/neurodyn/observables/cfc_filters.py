"""Band-limited analytic signals for cross-frequency coupling: band-pass filtering and the Hilbert transform.

Three zero-phase designs, chosen with ``filter=``:

``'fir'`` (default)
    A windowed-sinc band-pass (``scipy.signal.firwin``, Hamming window, unit gain at the band centre) of order
    ``cycles * floor(fs / f_low)`` (the EEGLAB ``eegfilt`` rule that tensorpac also uses; by default 3 cycles
    for phase bands and 6 for amplitude bands), applied forward and backward: the zero-phase response is
    ``|H(f)|^2``. The record must hold at least three filter orders (``eegfilt``'s requirement; tensorpac
    shortens the filter instead, here that is an error).
``'butter'``
    A Butterworth band-pass of ``order`` (default 4) in second-order sections, forward and backward
    (zero-phase response ``|H(f)|^2``, as ``scipy.signal.sosfiltfilt``).
``'morlet'``
    The complex Morlet wavelet transform with ``width`` cycles (default 7) at the band centre ``f_c``: the
    spectrum times the Gaussian ``exp(-(f - f_c)^2 / (2 sigma_f^2))``, ``sigma_f = f_c / width`` (unit gain at
    ``f_c``). The band's edges only give its centre.

How the analytic signal ``z = y + i H[y]`` is formed (``hilbert=``):

``'extended'`` (default)
    The record is extended at both ends by an odd reflection (``2 x[0] - x[k]``, as ``filtfilt``) as long as
    the longest kernel (the FIR order; the length after which the zero-phase Butterworth kernel or the Gaussian
    stays below 1e-6 of its peak); then, in one FFT product, the extended spectrum is multiplied by the zero-
    phase response and by the analytic-signal weights (2 for positive frequencies, 0 for negative ones) and
    transformed back, and the record is cut out. This is an analytic band-pass whose kernel is as short as the
    filter's: inside the record the result depends only on samples within one kernel length, so the Hilbert
    transform adds no edge effect of its own. For the FIR the real part equals
    ``scipy.signal.filtfilt(h, 1, x, padlen=order)`` inside the record (the test suite checks it).
``'record'``
    Filter, cut out the record, then take the FFT Hilbert transform of the record (``scipy.signal.hilbert``,
    no zero padding): the usual filter-then-Hilbert order, and tensorpac's (it equals tensorpac's phases and
    amplitudes when the record length is 5-smooth, where tensorpac's zero padding to a fast length is none).
    The record's ends become a jump for the circular Hilbert transform, so amplitudes and phases carry errors
    that decay slowly into the record (about 0.5 % half a second from the ends for a 28 Hz rhythm, against
    3e-6 with ``'extended'``). Butterworth filtering then uses ``scipy.signal.sosfiltfilt``. Morlet is
    analytic by construction and ignores this setting.

Phase is the angle of ``z`` in ``[-pi, pi]``, amplitude its modulus. Samples near both ends still carry the
filters' own transients (one kernel length): discard them with ``edges=`` in
:func:`neurodyn.observables.phase_amplitude`.

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

__all__ = ["FILTERS", "HILBERT", "frequency_bands", "analytic_signal", "FilterBank", "design_bank"]

#: The band-pass designs (see the module docstring).
FILTERS = {
    "fir": "windowed-sinc FIR (Hamming), order = cycles * floor(fs / f_low), forward-backward (zero phase)",
    "butter": "Butterworth IIR in second-order sections, forward-backward (scipy.signal.sosfiltfilt)",
    "morlet": "complex Morlet wavelet (Gaussian in frequency, sigma_f = f_centre / width), analytic by design",
}

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
        raise InputError("frequency_bands: centres must be a non-empty 1-D sequence of positive numbers, got "
                         f"{centres!r}.")
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
        raise InputError(f"{where}: bands must be (low, high) or a sequence of (low, high) pairs, "
                         f"got {bands!r}.") from None
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


#: Where the analytic signal is formed (see the module docstring).
HILBERT = ("extended", "record")


def resolve_hilbert(mode, where: str) -> str:
    if mode not in HILBERT:
        raise InputError(f"{where}: hilbert must be 'extended' (analytic band-pass of the odd-extended record, "
                         f"default) or 'record' (filter, then Hilbert transform of the record, as tensorpac), "
                         f"got {mode!r}.")
    return mode


@dataclass(frozen=True, repr=False)
class FilterBank:
    """Band-pass filters designed for one set of bands, sample rate and record length.

    ``analytic(x)`` yields ``(band index, analytic signal)`` for a ``(series, time)`` block ``x``. Built by
    :func:`design_bank`, which checks every band against the Nyquist frequency and the record length.
    All bands share one odd extension of ``pad`` samples (the longest kernel) and one FFT of length
    ``fft_length``; ``gains`` are the zero-phase responses (|H|^2, or the Morlet Gaussian) on its rfft grid.
    """

    bands: np.ndarray
    fs: float
    n_times: int
    method: str
    setting: float            # cycles (fir), order (butter) or width (morlet)
    hilbert: str
    pad: int
    fft_length: int
    gains: tuple
    sos: tuple = ()           # butter: the sections (for hilbert='record')
    kernel_pads: tuple = ()   # per band: samples beyond which its zero-phase kernel is negligible

    def __repr__(self) -> str:
        return (f"<FilterBank {self.method} ({self.setting:g}), {len(self.bands)} bands "
                f"{self.bands[0, 0]:g}-{self.bands[-1, 1]:g}, fs {self.fs:g}, {self.n_times} samples, "
                f"hilbert={self.hilbert!r}>")

    def describe(self) -> str:
        name = {"fir": "cycles", "butter": "order", "morlet": "width"}[self.method]
        how = ("analytic band-pass of the odd-extended record" if self.hilbert == "extended" or self.method == "morlet"
               else "Hilbert transform of the filtered record")
        return f"{self.method} ({name} {self.setting:g}): {FILTERS[self.method]}; {how}"

    def analytic(self, x: np.ndarray):
        """Yield ``(k, z_k)``: the analytic signal of every row of ``x`` (series, time) in band ``k``."""
        from scipy import fft as sp_fft
        from scipy import signal

        x = np.ascontiguousarray(x, dtype=np.float64)
        n = x.shape[1]
        if n != self.n_times:
            raise InputError(f"FilterBank: designed for {self.n_times} samples, got {n}.")
        pad, L = self.pad, self.fft_length
        if self.method == "butter" and self.hilbert == "record":
            for k, sos in enumerate(self.sos):
                y = signal.sosfiltfilt(sos, x, axis=-1, padtype="odd", padlen=self.kernel_pads[k])
                yield k, hilbert_analytic(y)
            return
        spec = sp_fft.rfft(_odd_extension(x, pad), L, axis=-1)
        if self.hilbert == "record" and self.method == "fir":
            for k, gain in enumerate(self.gains):
                y = sp_fft.irfft(spec * gain, L, axis=-1)[:, pad:pad + n]
                yield k, hilbert_analytic(y)
            return
        half = spec.shape[1]
        weights = np.full(half, 2.0)                   # one-sided spectrum of the analytic signal
        weights[0] = 1.0
        if L % 2 == 0:
            weights[-1] = 1.0
        full = np.zeros((x.shape[0], L), dtype=np.complex128)
        for k, gain in enumerate(self.gains):
            np.multiply(spec, weights * gain, out=full[:, :half])
            yield k, sp_fft.ifft(full, axis=-1)[:, pad:pad + n]


def _butter_kernel_pad(sos, fs: float, lo: float, hi: float) -> int:
    """Samples beyond which the zero-phase Butterworth kernel (inverse FFT of |H|^2) stays below
    ``KERNEL_TOL`` of its peak."""
    from scipy import fft as sp_fft
    from scipy import signal

    K = sp_fft.next_fast_len(int(max(4096, 400.0 * fs / (hi - lo))), real=True)
    _, h = signal.sosfreqz(sos, worN=sp_fft.rfftfreq(K, 1.0 / fs), fs=fs)
    g = np.abs(sp_fft.irfft(np.abs(h) ** 2, K))[: K // 2]
    above = np.flatnonzero(g > KERNEL_TOL * g[0])
    return int(above[-1]) + 1 if above.size else 1


#: Relative size of a kernel below which it is treated as zero (sets the odd-extension length).
KERNEL_TOL = 1e-6


def design_bank(bands: np.ndarray, fs: float, n_times: int, method: str, setting: float, funit: str,
                where: str, hilbert: str = "extended") -> FilterBank:
    """Design the filters of ``bands`` at sampling rate ``fs`` for records of ``n_times`` samples.

    Raises :class:`~neurodyn.errors.InputError` for a band edge at or above Nyquist, a band narrower than the
    record's frequency resolution ``fs / n_times``, or a filter longer than the record allows.
    """
    from scipy import fft as sp_fft
    from scipy import signal

    method = resolve_filter(method, where)
    hilbert = resolve_hilbert(hilbert, where)
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
    pads, taps, sos_all, params = [], [], [], []
    if method == "fir":
        for k, (lo, hi) in enumerate(bands):
            order = int(setting * math.floor(fs / lo * (1.0 + 1e-12)))
            if n_times < 3 * order:
                raise InputError(
                    f"{where}: band {k} = ({lo:g}, {hi:g}) {funit}: the FIR filter of {setting:g} cycles of the low "
                    f"edge has order {order} and needs at least 3 x {order} = {3 * order} samples; the record has "
                    f"{n_times}. Use a longer record, a higher low edge or fewer cycles.")
            taps.append(signal.firwin(order + 1, [lo, hi], pass_zero=False, window="hamming", fs=fs))
            pads.append(order)
    elif method == "butter":
        order = int(setting)
        if order != setting or order < 1:
            raise InputError(f"{where}: the Butterworth order must be a positive integer, got {setting:g}.")
        for k, (lo, hi) in enumerate(bands):
            sos = signal.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
            pad = _butter_kernel_pad(sos, fs, lo, hi)
            if pad >= n_times:
                raise InputError(f"{where}: band {k} = ({lo:g}, {hi:g}) {funit}: the zero-phase Butterworth kernel of "
                                 f"order {order} lasts {pad} samples (until it falls below {KERNEL_TOL:g} of its "
                                 f"peak), longer than the record's {n_times}. Use a longer record or a wider band.")
            sos_all.append(sos)
            pads.append(pad)
    else:
        support = math.sqrt(-2.0 * math.log(KERNEL_TOL))          # Gaussian below KERNEL_TOL beyond this many sd
        for k, (lo, hi) in enumerate(bands):
            centre = 0.5 * (lo + hi)
            sigma_t = setting / (2.0 * math.pi * centre)
            pad = int(math.ceil(support * sigma_t * fs))
            if pad >= n_times:
                raise InputError(f"{where}: band {k} centred at {centre:g} {funit}: the Morlet wavelet of width "
                                 f"{setting:g} spans +-{support:.2f} sd = {pad} samples, more than the record's "
                                 f"{n_times}. Use a longer record, a higher frequency or a smaller width.")
            params.append((centre, centre / setting))
            pads.append(pad)
    pad = max(pads)
    L = sp_fft.next_fast_len(n_times + 2 * pad, real=True)
    f = sp_fft.rfftfreq(L, 1.0 / fs)
    if method == "fir":
        gains = [np.abs(sp_fft.rfft(h, L)) ** 2 for h in taps]
    elif method == "butter":
        gains = [np.abs(signal.sosfreqz(s, worN=f, fs=fs)[1]) ** 2 for s in sos_all]
    else:
        gains = [np.exp(-0.5 * ((f - c) / sf) ** 2) for c, sf in params]
    return FilterBank(bands=bands, fs=fs, n_times=n_times, method=method, setting=setting, hilbert=hilbert, pad=pad,
                      fft_length=L, gains=tuple(gains), sos=tuple(sos_all), kernel_pads=tuple(pads))


def analytic_signal(data, bands, *, sample_period: float | None = None, time_unit: str | float | None = None,
                    filter: str = "fir", cycles: float = 3.0, order: int = 4, width: float = 7.0,
                    hilbert: str = "extended"):
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
    hilbert : {'extended', 'record'}
        Where the analytic signal is formed (module docstring); 'record' reproduces tensorpac.

    Returns
    -------
    Complex DataArray with dims ``(frequency, time[, region])``; ``frequency`` holds the band centres and
    ``frequency_low`` / ``frequency_high`` the edges. ``abs(z)`` is the amplitude and
    ``xarray.apply_ufunc(np.angle, z)`` the phase (``np.angle`` alone returns a bare array); both can be passed
    to :func:`~neurodyn.observables.pac`.
    """
    from neurodyn._xr import xr

    where = "analytic_signal"
    x, meta = as_time_region(data, where, min_times=4)
    dt, fs, funit = frequency_scale(meta, sample_period, time_unit, where)
    b = parse_bands(bands, where)
    method = resolve_filter(filter, where)
    setting = {"fir": cycles, "butter": order, "morlet": width}[method]
    bank = design_bank(b, fs, x.shape[0], method, setting, funit, where, hilbert)
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
