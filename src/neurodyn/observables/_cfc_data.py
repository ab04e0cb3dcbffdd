"""Input handling and labelling for the cross-frequency coupling functions (:mod:`neurodyn.observables.cfc`).

Phase and amplitude series are held as (region, band, time) float64 arrays; results as (region, amplitude
band, phase band) and are returned as DataArrays with dims ``(f_amplitude, f_phase, region)``, dropping the
axes the inputs did not have.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from neurodyn.errors import InputError
from neurodyn.observables import cfc_measures as M
from neurodyn.observables.cfc_filters import hilbert_analytic, region_coords

#: Temporary memory per chunk of regions when evaluating a measure (bytes).
CHUNK_BYTES = 64 * 2**20


@dataclass
class BandAxis:
    """Labels of one band axis: its dim name, whether the input had it, centres and edges, unit."""

    name: str
    present: bool
    centres: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    units: str | None = None

    def coords(self) -> dict:
        attrs = {"units": self.units} if self.units else {"note": "band index (no frequencies given)"}
        out = {self.name: (self.name, self.centres, attrs)}
        if self.low is not None:
            out[f"{self.name}_low"] = (self.name, self.low)
            out[f"{self.name}_high"] = (self.name, self.high)
        return out


@dataclass
class SeriesInfo:
    """The region axis and time coordinate of the inputs."""

    n_times: int
    has_region: bool
    region_dim: str = "region"
    region_coords: dict = field(default_factory=dict)
    time: np.ndarray | None = None


def band_axis_from(name: str, n: int, bands=None, units: str | None = None, where: str = "pac") -> BandAxis:
    """Band axis labelled by ``bands`` ((n, 2) edges or (n,) centres) or by index when ``bands`` is None."""
    if bands is None:
        return BandAxis(name, True, np.arange(n, dtype=np.float64))
    b = np.asarray(bands, dtype=np.float64)
    if b.ndim == 1 and b.size == 2 and n == 1:
        b = b[None, :]
    if b.ndim == 2 and b.shape == (n, 2):
        return BandAxis(name, True, b.mean(axis=1), b[:, 0].copy(), b[:, 1].copy(), units)
    if b.ndim == 1 and b.size == n:
        return BandAxis(name, True, b.copy(), units=units)
    raise InputError(f"{where}: {name}= must give {n} band centres or {n} (low, high) pairs for the {n} bands of the "
                     f"input, got shape {b.shape}.")


def as_band_series(x: Any, where: str, role: str, dim: str) -> tuple[np.ndarray, BandAxis, SeriesInfo]:
    """``x`` (time,), (time, region), (band, time, region) array or DataArray -> ((R, B, n), axis, info).

    A DataArray needs a ``time`` dim; its band dim is ``dim`` (``f_phase`` / ``f_amplitude``) or
    ``frequency`` (as :func:`~neurodyn.observables.analytic_signal` returns); any other dim is the region.
    """
    from neurodyn._xr import xr

    if isinstance(x, xr.DataArray):
        if "time" not in x.dims:
            raise InputError(f"{where}: the {role} DataArray needs a 'time' dimension, it has {x.dims}.")
        others = [d for d in x.dims if d != "time"]
        bdims = [d for d in others if d in (dim, "frequency")]
        rdims = [d for d in others if d not in (dim, "frequency")]
        if len(bdims) > 1 or len(rdims) > 1:
            raise InputError(f"{where}: the {role} DataArray has dims {x.dims}; expected (time), (time, region), "
                             f"({dim}, time) or ({dim}, time, region). Select one variable first (da.sel(...)).")
        da = x.transpose(*(bdims + ["time"] + rdims))
        arr = np.asarray(da.values)
        if not bdims:
            arr = arr[None]
        if not rdims:
            arr = arr[..., None]
        if bdims:
            b = bdims[0]
            lo, hi = f"{b}_low", f"{b}_high"
            axis = BandAxis(dim, True, np.asarray(da[b].values, dtype=np.float64),
                            np.asarray(da[lo].values, dtype=np.float64) if lo in da.coords else None,
                            np.asarray(da[hi].values, dtype=np.float64) if hi in da.coords else None,
                            da[b].attrs.get("units") if b in da.coords else None)
            if b not in da.coords:
                axis.centres = np.arange(arr.shape[0], dtype=np.float64)
        else:
            axis = BandAxis(dim, False, np.zeros(1))
        info = SeriesInfo(arr.shape[1], bool(rdims), rdims[0] if rdims else "region",
                          region_coords(da, rdims[0]) if rdims else {},
                          np.asarray(da["time"].values) if "time" in da.coords else None)
    else:
        arr = np.asarray(x)
        if arr.ndim == 1:
            arr = arr[None, :, None]
        elif arr.ndim == 2:
            arr = arr[None]
        elif arr.ndim != 3:
            raise InputError(f"{where}: {role} must be (time,), (time, region) or (band, time, region), got shape "
                             f"{arr.shape}.")
        axis = BandAxis(dim, np.ndim(x) == 3, np.arange(arr.shape[0], dtype=np.float64))
        info = SeriesInfo(arr.shape[1], np.ndim(x) >= 2)
    if np.iscomplexobj(arr):
        raise InputError(f"{where}: {role} is complex; pass np.angle(z) for the phase and abs(z) for the amplitude.")
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {role} must be numeric, got dtype {arr.dtype}.") from None
    if arr.shape[1] < 4:
        raise InputError(f"{where}: {role} needs at least 4 time points, got {arr.shape[1]}.")
    if not np.isfinite(arr).all():
        b, t, r = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"{where}: {role} has non-finite values (first at band index {b}, time index {t}, region "
                         f"index {r}); the simulation may have diverged, or trim/clean the data first.")
    if role == "phase" and np.abs(arr).max() > 2 * np.pi * (1 + 1e-9):
        raise InputError(f"{where}: phases must be in radians within [-2 pi, 2 pi] (max |phase| is "
                         f"{np.abs(arr).max():g}); wrap them with np.angle(np.exp(1j * phase)), or convert degrees "
                         "with np.deg2rad.")
    return np.ascontiguousarray(arr.transpose(2, 0, 1)), axis, info


def check_pair(pinfo: SeriesInfo, ainfo: SeriesInfo, pshape, ashape, where: str) -> None:
    """The phase and the amplitude must share time points and regions."""
    if pshape[2] != ashape[2]:
        raise InputError(f"{where}: phase has {pshape[2]} time points and amplitude {ashape[2]}; they must match.")
    if pshape[0] != ashape[0] or pinfo.has_region != ainfo.has_region:
        raise InputError(f"{where}: phase has {pshape[0] if pinfo.has_region else 'no'} regions and amplitude "
                         f"{ashape[0] if ainfo.has_region else 'no'}; they must match.")
    if pinfo.region_coords and ainfo.region_coords:
        a = pinfo.region_coords.get(pinfo.region_dim)
        b = ainfo.region_coords.get(ainfo.region_dim)
        if a is not None and b is not None and not np.array_equal(a[1], b[1]):
            raise InputError(f"{where}: the phase and amplitude DataArrays have different region coordinates.")


@dataclass
class PACArrays:
    """Phase (R, P, n) and amplitude (R, A, n) with their labels; evaluates measures chunk by chunk.

    ``envelope_phase(r0, r1)`` gives the envelope phase of regions ``r0:r1`` for ``phase_sync``: (r, A, n) or
    (r, A, P, n).
    """

    phase: np.ndarray
    amplitude: np.ndarray
    pha_axis: BandAxis
    amp_axis: BandAxis
    series: SeriesInfo
    envelope_phase: Callable[[int, int], np.ndarray] | None = None
    attrs: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        r, p, n = self.phase.shape
        return f"<PACArrays {r} regions, {p} phase x {self.amplitude.shape[1]} amplitude bands, {n} samples>"

    @property
    def n_regions(self) -> int:
        return self.phase.shape[0]

    def chunks(self, method: str):
        _, p, n = self.phase.shape
        a = self.amplitude.shape[1]
        per_region = 8 * n * (2 * p + 2 * a + (2 * a * p if method == "phase_sync" else 0))
        step = max(1, int(CHUNK_BYTES // max(per_region, 1)))
        for r0 in range(0, self.n_regions, step):
            yield r0, min(self.n_regions, r0 + step)

    def evaluate(self, method: str, n_bins: int = 18, ndpac_p: float | None = None) -> np.ndarray:
        out = np.empty((self.n_regions, self.amplitude.shape[1], self.phase.shape[1]))
        for r0, r1 in self.chunks(method):
            feats = M.phase_features(method, self.phase[r0:r1], n_bins, r0)
            psi = self.envelope_phase(r0, r1) if method == "phase_sync" else None
            out[r0:r1] = M.measure(feats, self.amplitude[r0:r1], psi, ndpac_p, r0)
        return out

    def labelled(self, values: np.ndarray, name: str, attrs: dict | None = None, extra_dims: tuple = (),
                 extra_coords: dict | None = None):
        """DataArray of ``values`` (R, A, P, *extra); see :func:`label_result`."""
        return label_result(values, self.pha_axis, self.amp_axis, self.series, name, {**self.attrs, **(attrs or {})},
                            extra_dims, extra_coords)


def label_result(values: np.ndarray, pha_axis: BandAxis, amp_axis: BandAxis, series: SeriesInfo, name: str,
                 attrs: dict | None = None, extra_dims: tuple = (), extra_coords: dict | None = None):
    """DataArray of ``values`` (R, A, P, *extra) with dims (f_amplitude, f_phase, region, *extra), without the
    axes the inputs did not have (a single known band stays as scalar coordinates)."""
    from neurodyn._xr import xr

    v = np.moveaxis(values, 0, 2)                     # (A, P, R, ...)
    dims, coords, index = [], {}, []
    for axis in (amp_axis, pha_axis):
        if axis.present:
            dims.append(axis.name)
            coords.update(axis.coords())
            index.append(slice(None))
        else:
            index.append(0)
            if axis.low is not None:                   # one known band: scalar coordinates
                coords.update({k: ((), c[1][0], *c[2:]) for k, c in axis.coords().items()})
    if series.has_region:
        dims.append(series.region_dim)
        coords.update(series.region_coords)
        index.append(slice(None))
    else:
        index.append(0)
    v = v[tuple(index)]
    dims += list(extra_dims)
    coords.update(extra_coords or {})
    return xr.DataArray(v, dims=tuple(dims), coords=coords, name=name, attrs=dict(attrs or {}))


def precomputed_arrays(phase, amplitude, where, f_phase, f_amplitude, amplitude_phase=None) -> PACArrays:
    p, pax, pinfo = as_band_series(phase, where, "phase", "f_phase")
    a, aax, ainfo = as_band_series(amplitude, where, "amplitude", "f_amplitude")
    check_pair(pinfo, ainfo, p.shape, a.shape, where)
    if f_phase is not None:
        pax = band_axis_from("f_phase", p.shape[1], f_phase, pax.units, where)
    if f_amplitude is not None:
        aax = band_axis_from("f_amplitude", a.shape[1], f_amplitude, aax.units, where)
    info = pinfo if pinfo.region_coords or not ainfo.region_coords else ainfo
    psi_arr = None
    if amplitude_phase is not None:
        psi_arr = _amplitude_phase_array(amplitude_phase, a.shape, p.shape[1], where)

    def envelope(r0, r1):
        if psi_arr is not None:
            return psi_arr[r0:r1]
        return np.angle(hilbert_analytic(a[r0:r1]))

    return PACArrays(p, a, pax, aax, info, envelope)


def _amplitude_phase_array(x, ashape, n_pha, where) -> np.ndarray:
    """``amplitude_phase`` shaped like the amplitude, or (amplitude band, phase band, time, region)."""
    arr = np.asarray(getattr(x, "values", x))
    if np.iscomplexobj(arr) or not np.isfinite(arr).all():
        raise InputError(f"{where}: amplitude_phase must be real and finite (phases in radians).")
    r, n_amp, n = ashape
    if arr.ndim == 4:
        if arr.shape != (n_amp, n_pha, n, r):
            raise InputError(f"{where}: a 4-D amplitude_phase must be (amplitude band, phase band, time, region) = "
                             f"{(n_amp, n_pha, n, r)}, got {arr.shape}.")
        return np.ascontiguousarray(arr.transpose(3, 0, 1, 2), dtype=np.float64)
    psi, _, _ = as_band_series(x, where, "amplitude_phase", "f_amplitude")
    if psi.shape != ashape:
        raise InputError(f"{where}: amplitude_phase has shape (region, band, time) = {psi.shape}, the amplitude "
                         f"{ashape}; they must match.")
    return psi
