"""Cross-frequency coupling: phase-amplitude coupling (PAC) measures and comodulograms.

Two ways in:

* from **raw signals** (a 1-D series, a ``(time, region)`` array, or a DataArray such as the ``r_e`` of a
  ``BrainNetwork.simulate`` Dataset): :func:`comodulogram` band-passes the data in every phase and amplitude
  band, takes the Hilbert transform (:mod:`neurodyn.observables.cfc_filters` states the filter designs) and
  returns the measure over (amplitude band, phase band, region). :func:`phase_amplitude` keeps the phases and
  amplitudes (a :class:`PhaseAmplitude`) to compute several measures, surrogate statistics and preferred phases
  from one filtering;
* from **precomputed** phase and amplitude series: :func:`pac`, :func:`preferred_phase`,
  :func:`amplitude_distribution` and :func:`neurodyn.observables.pac_surrogate_test`.

Methods (``method=``; definitions in :mod:`neurodyn.observables.cfc_measures`): ``'mvl'`` (Canolty et al.
2006), ``'tort'`` (modulation index, Tort et al. 2010), ``'heights_ratio'`` (Lakatos et al. 2005), ``'ndpac'``
(Ozkurt 2012), ``'phase_sync'`` (Penny et al. 2008); aliases such as ``'mi'``, ``'plv'`` are accepted.

Results are DataArrays with dims ``(f_amplitude, f_phase, region)`` (band centres as coordinates,
``*_low``/``*_high`` edges alongside, in Hz when the time unit is known), without the axes the input lacks.

Examples
--------
>>> import numpy as np
>>> fs = 1000.0; t = np.arange(0, 4.0, 1 / fs)                          # 4 s at 1 kHz (seconds)
>>> theta = 2 * np.pi * 6 * t
>>> x = np.cos(theta) + 0.5 * (1 + 0.8 * np.cos(theta)) * np.cos(2 * np.pi * 80 * t)
>>> x += 0.5 * np.random.default_rng(0).standard_normal(t.size)          # plus white noise
>>> como = comodulogram(x, [(4, 8), (9, 13)], [(60, 100), (110, 150)], "tort",
...                     sample_period=1 / fs, time_unit="s", edges=500)
>>> como.dims
('f_amplitude', 'f_phase')
>>> como.round(3).values.tolist()                  # theta (4-8 Hz) modulates the 80 Hz (60-100 Hz) amplitude
[[0.049, 0.002], [0.001, 0.001]]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neurodyn.errors import InputError
from neurodyn.observables import cfc_measures as M
from neurodyn.observables._arrays import as_time_region
from neurodyn.observables._cfc_data import BandAxis, PACArrays, SeriesInfo, label_result, precomputed_arrays
from neurodyn.observables.cfc_filters import (
    FilterBank,
    design_bank,
    frequency_scale,
    hilbert_analytic,
    parse_bands,
    region_coords,
    resolve_filter,
)

__all__ = ["pac", "preferred_phase", "amplitude_distribution", "comodulogram", "phase_amplitude", "PhaseAmplitude"]

_ENVELOPE_PHASE = ("bandpass", "unfiltered")


def pac(phase, amplitude, method: str = "tort", *, n_bins: int = 18, ndpac_p: float | None = None,
        amplitude_phase=None, f_phase=None, f_amplitude=None):
    """Phase-amplitude coupling of precomputed phase and amplitude series.

    Parameters
    ----------
    phase : (time,), (time, region) or (band, time, region) array, or DataArray
        Low-frequency phase in radians. A DataArray has a ``time`` dim and optionally ``f_phase`` (or
        ``frequency``) and a region dim.
    amplitude : same layouts
        High-frequency amplitude envelope (non-negative for ``'tort'`` and ``'heights_ratio'``).
    method : str
        ``'mvl'``, ``'tort'``, ``'heights_ratio'``, ``'ndpac'`` or ``'phase_sync'`` (aliases accepted).
    n_bins : int
        Phase bins of ``'tort'`` and ``'heights_ratio'`` (Tort et al.: 18).
    ndpac_p : float, optional
        Significance level below which ``'ndpac'`` values are set to 0 (Ozkurt's threshold; tensorpac applies
        ``p=0.05`` by default). None (default): no threshold.
    amplitude_phase : array, optional
        For ``'phase_sync'``: the envelope's phase, shaped like ``amplitude`` or (amplitude band, phase band,
        time, region). Default: the phase of the Hilbert transform of ``amplitude`` itself (tensorpac's
        convention); for the envelope filtered in each phase band (Penny et al. 2008) use
        :func:`phase_amplitude`.
    f_phase, f_amplitude : optional
        Band edges (n, 2) or centres (n,) labelling NumPy band axes.

    Returns
    -------
    DataArray with dims ``(f_amplitude, f_phase, region)`` (axes the inputs lack are dropped).

    Examples
    --------
    >>> import numpy as np
    >>> phi = np.linspace(-np.pi, np.pi, 3600, endpoint=False)
    >>> abs(float(pac(phi, np.ones_like(phi), "tort"))) < 1e-12     # a flat amplitude: no coupling
    True
    >>> float(pac(phi, 1 + 0.5 * np.cos(phi), "mvl").round(6))
    0.25
    """
    where = "pac"
    method = M.resolve_method(method, where)
    ndpac_p = M.check_ndpac_p(ndpac_p)
    data = precomputed_arrays(phase, amplitude, where, f_phase, f_amplitude, amplitude_phase)
    values = data.evaluate(method, n_bins, ndpac_p)
    return data.labelled(values, method, _method_attrs(method, n_bins, ndpac_p))


def _method_attrs(method, n_bins, ndpac_p, envelope_phase=None) -> dict:
    attrs = {"method": method, "description": M.PAC_METHODS[method]}
    if method in M.BINNED:
        attrs["n_bins"] = int(n_bins)
    if method == "ndpac":
        attrs["ndpac_p"] = "none" if ndpac_p is None else float(ndpac_p)
    if method == "phase_sync" and envelope_phase is not None:
        attrs["envelope_phase"] = envelope_phase
    return attrs


def preferred_phase(phase, amplitude, *, f_phase=None, f_amplitude=None):
    """Phase (radians, in (-pi, pi]) at which the amplitude peaks: the angle of ``sum_t a_t exp(i phi_t)``.

    >>> import numpy as np
    >>> phi = np.linspace(-np.pi, np.pi, 3600, endpoint=False)
    >>> float(preferred_phase(phi, 1 + 0.3 * np.cos(phi - 2.0)).round(6))
    2.0
    """
    data = precomputed_arrays(phase, amplitude, "preferred_phase", f_phase, f_amplitude)
    return _preferred(data)


def _preferred(data: PACArrays):
    values = np.empty((data.n_regions, data.amplitude.shape[1], data.phase.shape[1]))
    for r0, r1 in data.chunks("mvl"):
        values[r0:r1] = M.preferred_phase_values(data.phase[r0:r1], data.amplitude[r0:r1])
    return data.labelled(values, "preferred_phase", {"units": "rad", "description": "angle of the mean vector "
                                                     "sum_t a_t exp(i phi_t)"})


def amplitude_distribution(phase, amplitude, n_bins: int = 18, *, f_phase=None, f_amplitude=None):
    """Tort's phase-amplitude distribution: mean amplitude per phase bin, normalised to sum 1 over the bins.

    Dims ``(f_amplitude, f_phase, region, phase_bin)``; ``phase_bin`` holds the bin centres (radians).

    >>> import numpy as np
    >>> phi = np.linspace(-np.pi, np.pi, 3600, endpoint=False)
    >>> d = amplitude_distribution(phi, 1 + 0.5 * np.cos(phi), n_bins=4)
    >>> d.round(3).values.tolist(), d["phase_bin"].values.round(3).tolist()
    ([0.17, 0.33, 0.33, 0.17], [-2.356, -0.785, 0.785, 2.356])
    """
    data = precomputed_arrays(phase, amplitude, "amplitude_distribution", f_phase, f_amplitude)
    return _distribution(data, n_bins)


def _distribution(data: PACArrays, n_bins: int):
    nb = M.check_bins(n_bins)
    out = np.empty((data.n_regions, data.amplitude.shape[1], data.phase.shape[1], nb))
    for r0, r1 in data.chunks("tort"):
        feats = M.phase_features("tort", data.phase[r0:r1], nb, r0)
        means = M.binned_distribution(feats, data.amplitude[r0:r1])
        out[r0:r1] = means / means.sum(axis=-1, keepdims=True)
    centres = -np.pi + (np.arange(nb) + 0.5) * 2 * np.pi / nb
    return data.labelled(out, "amplitude_distribution", {"n_bins": nb}, ("phase_bin",),
                         {"phase_bin": ("phase_bin", centres, {"units": "rad"})})


# ------------------------------------------------------------------------------------------ raw signals
@dataclass
class _RawSetup:
    """Validated raw input: data (R, N) for phase and amplitude, banks, labels."""

    x_phase: np.ndarray
    x_amplitude: np.ndarray
    bank_phase: FilterBank
    bank_amplitude: FilterBank
    pha_axis: BandAxis
    amp_axis: BandAxis
    series: SeriesInfo
    edges: int
    attrs: dict


def _pair(value, name, where) -> tuple[float, float]:
    if np.ndim(value) == 0:
        return float(value), float(value)
    v = tuple(np.asarray(value, dtype=float).ravel())
    if len(v) != 2:
        raise InputError(f"{where}: {name} is one number or a (phase, amplitude) pair, got {value!r}.")
    return v


def _raw_setup(data, f_phase, f_amplitude, amplitude_data, sample_period, time_unit, filter, cycles, order,
               width, edges, hilbert, where) -> _RawSetup:
    x, meta = as_time_region(data, where, min_times=4)
    dt, fs, funit = frequency_scale(meta, sample_period, time_unit, where)
    xa = x
    if amplitude_data is not None:
        xa, meta_a = as_time_region(amplitude_data, where + " (amplitude_data)", min_times=4)
        if xa.shape != x.shape:
            raise InputError(f"{where}: amplitude_data has shape (time, region) = {xa.shape}, data {x.shape}; "
                             "they must match.")
    method = resolve_filter(filter, where)
    setting = {"fir": cycles, "butter": order, "morlet": width}[method]
    s_pha, s_amp = _pair(setting, {"fir": "cycles", "butter": "order", "morlet": "width"}[method], where)
    n = x.shape[0]
    if isinstance(edges, bool) or not isinstance(edges, (int, np.integer)) or edges < 0 or 2 * edges >= n - 3:
        raise InputError(f"{where}: edges (samples discarded at each end) must be an integer in "
                         f"[0, {max(0, (n - 4) // 2)}] "
                         f"for {n} samples, got {edges!r}.")
    bp = parse_bands(f_phase, where + " (f_phase)")
    ba = parse_bands(f_amplitude, where + " (f_amplitude)")
    bank_p = design_bank(bp, fs, n, method, s_pha, funit, where + " (f_phase)", hilbert)
    bank_a = design_bank(ba, fs, n, method, s_amp, funit, where + " (f_amplitude)", hilbert)
    if meta["xarray"]:
        squeeze = len(data.dims) == 1
        rdim = meta.get("region_dim", "region")
        rc = {} if squeeze else region_coords(data, rdim)
    else:
        squeeze, rdim, rc = np.ndim(data) == 1, "region", {}
    time = meta["time"] if meta["time"] is not None else np.arange(n) * dt
    series = SeriesInfo(n - 2 * int(edges), not squeeze, rdim, rc, time[edges:n - edges])
    attrs = {"filter": bank_p.describe(), "filter_amplitude": bank_a.describe(), "sample_period": dt,
             "frequency_units": funit, "edges": int(edges)}
    return _RawSetup(np.ascontiguousarray(x.T), np.ascontiguousarray(xa.T), bank_p, bank_a,
                     BandAxis("f_phase", np.ndim(f_phase) != 1, bp.mean(axis=1), bp[:, 0], bp[:, 1], funit),
                     BandAxis("f_amplitude", np.ndim(f_amplitude) != 1, ba.mean(axis=1), ba[:, 0], ba[:, 1], funit),
                     series, int(edges), attrs)


def _filtered(setup: _RawSetup, r0: int, r1: int, need_phase: bool = True, need_cos_sin: bool = False):
    """Phase (r, P, N), cos/sin of the phase (r, 2P, N; from the analytic signal, no trigonometric calls) and
    amplitude (r, A, N) of regions r0:r1 over the whole record; the phase parts only when asked for."""
    n = setup.x_phase.shape[1]
    n_pha = len(setup.pha_axis.centres)
    pha = np.empty((r1 - r0, n_pha, n)) if need_phase else None
    cos_sin = np.empty((r1 - r0, 2 * n_pha, n)) if need_cos_sin else None
    amp = np.empty((r1 - r0, len(setup.amp_axis.centres), n))
    for k, z in setup.bank_phase.analytic(setup.x_phase[r0:r1]):
        if need_phase:
            pha[:, k] = np.angle(z)
        if need_cos_sin:
            mod = np.abs(z)
            zero = mod == 0
            mod[zero] = 1.0
            np.divide(z.real, mod, out=cos_sin[:, k])
            np.divide(z.imag, mod, out=cos_sin[:, n_pha + k])
            cos_sin[:, k][zero] = 1.0                      # angle(0) = 0
    for k, z in setup.bank_amplitude.analytic(setup.x_amplitude[r0:r1]):
        amp[:, k] = np.abs(z)
    return pha, cos_sin, amp


def _envelope_provider(amp_full: np.ndarray, bank_phase: FilterBank, edges: int, mode: str):
    """``envelope(r0, r1)``: the phase of the amplitude envelope of regions r0:r1 (trimmed by ``edges``)."""
    n = amp_full.shape[2]
    sl = slice(edges, n - edges)

    def envelope(r0, r1):
        env = amp_full[r0:r1]
        if mode == "unfiltered":
            return np.angle(hilbert_analytic(env))[..., sl]
        out = np.empty((r1 - r0, env.shape[1], len(bank_phase.bands), n - 2 * edges))
        for a in range(env.shape[1]):
            for p, z in bank_phase.analytic(env[:, a]):
                out[:, a, p] = np.angle(z[:, sl])
        return out

    return envelope


def _check_envelope_mode(mode, where) -> str:
    if mode not in _ENVELOPE_PHASE:
        raise InputError(f"{where}: envelope_phase must be 'bandpass' (the envelope filtered in each phase band, "
                         f"Penny et al. 2008) or 'unfiltered' (Hilbert phase of the raw envelope, tensorpac's PLV), "
                         f"got {mode!r}.")
    return mode


@dataclass(repr=False)
class PhaseAmplitude:
    """Band-limited phases and amplitudes of a record, ready for PAC measures and surrogate tests.

    Made by :func:`phase_amplitude`. ``phase`` and ``amplitude`` are DataArrays with dims
    ``(f_phase | f_amplitude, time, region)`` (edges discarded). Methods: :meth:`pac`, :meth:`surrogate_test`,
    :meth:`preferred_phase`, :meth:`amplitude_distribution`.
    """

    _data: PACArrays
    _amp_full: np.ndarray
    _bank_phase: FilterBank
    _edges: int
    attrs: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        r, p, n = self._data.phase.shape
        return (f"<PhaseAmplitude {p} phase x {self._data.amplitude.shape[1]} amplitude bands, {r} region(s), "
                f"{n} samples; {self.attrs.get('filter', '')}>")

    def _series(self, arr: np.ndarray, axis: BandAxis, name: str):
        from neurodyn._xr import xr

        s = self._data.series
        v = arr.transpose(1, 2, 0)
        coords = dict(axis.coords())
        coords["time"] = s.time
        if s.has_region:
            coords.update(s.region_coords)
            return xr.DataArray(v, dims=(axis.name, "time", s.region_dim), coords=coords, name=name, attrs=self.attrs)
        return xr.DataArray(v[..., 0], dims=(axis.name, "time"), coords=coords, name=name, attrs=self.attrs)

    @property
    def phase(self):
        """Phases (radians) as a DataArray (f_phase, time[, region])."""
        return self._series(self._data.phase, self._data.pha_axis, "phase")

    @property
    def amplitude(self):
        """Amplitude envelopes as a DataArray (f_amplitude, time[, region])."""
        return self._series(self._data.amplitude, self._data.amp_axis, "amplitude")

    def _with_envelope(self, mode: str) -> PACArrays:
        d = self._data
        return PACArrays(d.phase, d.amplitude, d.pha_axis, d.amp_axis, d.series,
                         _envelope_provider(self._amp_full, self._bank_phase, self._edges, mode), self.attrs)

    def pac(self, method: str = "tort", *, n_bins: int = 18, ndpac_p: float | None = None,
            envelope_phase: str = "bandpass"):
        """The PAC measure over (f_amplitude, f_phase, region); arguments as :func:`comodulogram`."""
        method = M.resolve_method(method, "PhaseAmplitude.pac")
        ndpac_p = M.check_ndpac_p(ndpac_p)
        mode = _check_envelope_mode(envelope_phase, "PhaseAmplitude.pac")
        values = self._with_envelope(mode).evaluate(method, n_bins, ndpac_p)
        return self._data.labelled(values, method, _method_attrs(method, n_bins, ndpac_p, mode))

    def surrogate_test(self, method: str = "tort", *, n_surrogates: int = 200, kind: str = "time_shift",
                       seed: int | np.random.Generator = 0, min_shift: int | None = None, n_blocks: int = 10,
                       lags=None, keep_surrogates: bool = False, n_bins: int = 18, ndpac_p: float | None = None,
                       envelope_phase: str = "bandpass"):
        """Surrogate statistics (z-scores, p-values) of the measure; see
        :func:`neurodyn.observables.pac_surrogate_test` for the arguments and the returned Dataset."""
        from neurodyn.observables.cfc_surrogates import run_surrogate_test

        mode = _check_envelope_mode(envelope_phase, "PhaseAmplitude.surrogate_test")
        return run_surrogate_test(self._with_envelope(mode), method, n_surrogates=n_surrogates, kind=kind,
                                  seed=seed, min_shift=min_shift, n_blocks=n_blocks, lags=lags,
                                  keep_surrogates=keep_surrogates, n_bins=n_bins, ndpac_p=ndpac_p,
                                  where="PhaseAmplitude.surrogate_test", extra_attrs={"envelope_phase": mode})

    def preferred_phase(self):
        """Preferred phase per (f_amplitude, f_phase, region), radians; see :func:`preferred_phase`."""
        return _preferred(self._data)

    def amplitude_distribution(self, n_bins: int = 18):
        """Tort's phase-amplitude distribution; see :func:`amplitude_distribution`."""
        return _distribution(self._data, n_bins)


def phase_amplitude(data, f_phase, f_amplitude, *, amplitude_data=None, sample_period: float | None = None,
                    time_unit: str | float | None = None, filter: str = "fir", cycles=(3, 6), order: int = 4,
                    width=7.0, edges: int = 0, hilbert: str = "extended") -> PhaseAmplitude:
    """Band-pass ``data`` in every phase and amplitude band and keep phases and amplitude envelopes.

    Parameters as :func:`comodulogram`. Memory: (n_phase + n_amplitude) x n_times x n_regions float64 values
    (plus the untrimmed amplitudes when ``edges > 0``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((3000, 2))                         # 3 s of noise at 1 kHz, two regions
    >>> pa = phase_amplitude(x, [(4, 8)], [(60, 100)], sample_period=1.0, time_unit="ms", edges=300)
    >>> pa.phase.dims, pa.phase.shape
    (('f_phase', 'time', 'region'), (1, 2400, 2))
    """
    where = "phase_amplitude"
    setup = _raw_setup(data, f_phase, f_amplitude, amplitude_data, sample_period, time_unit, filter, cycles,
                       order, width, edges, hilbert, where)
    pha, _, amp = _filtered(setup, 0, setup.x_phase.shape[0])
    n, e = pha.shape[2], setup.edges
    d = PACArrays(pha[..., e:n - e], amp[..., e:n - e], setup.pha_axis, setup.amp_axis, setup.series,
                  None, setup.attrs)
    return PhaseAmplitude(d, amp, setup.bank_phase, e, setup.attrs)


def comodulogram(data, f_phase, f_amplitude, method: str = "tort", *, amplitude_data=None,
                 sample_period: float | None = None, time_unit: str | float | None = None, filter: str = "fir",
                 cycles=(3, 6), order: int = 4, width=7.0, edges: int = 0, n_bins: int = 18,
                 ndpac_p: float | None = None, envelope_phase: str = "bandpass", hilbert: str = "extended"):
    """PAC of a raw record over phase bands x amplitude bands (and regions).

    Parameters
    ----------
    data : (time,) or (time, region) array, or DataArray (time[, region]) e.g. ``ds["r_e"]`` of a network run
    f_phase, f_amplitude : (low, high) or sequences of (low, high)
        Phase and amplitude bands (a single pair gives no band dim in the result), in Hz when the time unit is
        known (else cycles per model time unit); :func:`~neurodyn.observables.frequency_bands` builds them.
    method : str
        ``'mvl'``, ``'tort'``, ``'heights_ratio'``, ``'ndpac'``, ``'phase_sync'`` (or an alias).
    amplitude_data : optional
        Take the amplitude from this record instead (same shape): coupling between two signals.
    sample_period : float, optional
        Time between samples in the model unit (required for NumPy input).
    time_unit : {'ms', 's', 'us'} or float, optional
        The model's time unit (neurodyn models run in ms); needed to give bands in Hz.
    filter : {'fir', 'butter', 'morlet'}
        Band-pass design (see :mod:`neurodyn.observables.cfc_filters`).
    cycles : float or (phase, amplitude)
        FIR order in cycles of each band's low edge (default 3 for phase, 6 for amplitude, as tensorpac).
    order : int or (phase, amplitude)
        Butterworth order.
    width : float or (phase, amplitude)
        Morlet wavelet width in cycles.
    edges : int
        Samples discarded at each end after filtering (filter transients).
    hilbert : {'extended', 'record'}
        Analytic band-pass of the odd-extended record (default), or filter then Hilbert transform of the record
        (tensorpac's order; larger edge effects); see :mod:`neurodyn.observables.cfc_filters`.
    n_bins, ndpac_p
        As :func:`pac`.
    envelope_phase : {'bandpass', 'unfiltered'}
        For ``'phase_sync'``: the phase of the amplitude envelope filtered in each phase band (Penny et al.
        2008; default) or of the Hilbert transform of the unfiltered envelope (tensorpac's PLV).

    Returns
    -------
    DataArray (f_amplitude, f_phase[, region]) with the band edges and the filter design in its attrs.

    Notes
    -----
    Regions are filtered and measured in chunks, so memory stays bounded for long or large records; for
    several measures or surrogates from one filtering use :func:`phase_amplitude`.
    """
    where = "comodulogram"
    method = M.resolve_method(method, where)
    ndpac_p = M.check_ndpac_p(ndpac_p)
    mode = _check_envelope_mode(envelope_phase, where)
    setup = _raw_setup(data, f_phase, f_amplitude, amplitude_data, sample_period, time_unit, filter, cycles,
                       order, width, edges, hilbert, where)
    n_reg, n = setup.x_phase.shape
    n_pha, n_amp = len(setup.pha_axis.centres), len(setup.amp_axis.centres)
    per_region = 8 * n * (3 * n_pha + 2 * n_amp + (2 * n_amp * n_pha if method == "phase_sync" else 0))
    step = max(1, int((64 * 2**20) // per_region))
    values = np.empty((n_reg, n_amp, n_pha))
    e = setup.edges
    for r0 in range(0, n_reg, step):
        r1 = min(n_reg, r0 + step)
        binned = method in M.BINNED
        pha, cos_sin, amp = _filtered(setup, r0, r1, need_phase=binned, need_cos_sin=not binned)
        if binned:
            feats = M.phase_features(method, pha[..., e:n - e], n_bins, r0)
        else:
            feats = M.PhaseFeatures(method, n - 2 * e, n_pha, cos_sin=cos_sin[..., e:n - e])
        psi = _envelope_provider(amp, setup.bank_phase, e, mode)(0, r1 - r0) if method == "phase_sync" else None
        values[r0:r1] = M.measure(feats, amp[..., e:n - e], psi, ndpac_p, r0)
    attrs = {**setup.attrs, **_method_attrs(method, n_bins, ndpac_p, mode)}
    return label_result(values, setup.pha_axis, setup.amp_axis, setup.series, method, attrs)
