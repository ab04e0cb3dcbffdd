"""Shared input handling: accept ``(time, region)`` NumPy arrays or xarray DataArrays, validate, convert."""
from __future__ import annotations

from typing import Any

import numpy as np

from neurodyn.errors import InputError

#: Seconds per model time unit for the accepted time-unit strings.
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def seconds_per_unit(time_unit: str | float, where: str = "time_unit") -> float:
    """Seconds in one model time unit: ``'ms'`` -> 1e-3, ``'s'`` -> 1, or a positive number."""
    if isinstance(time_unit, str):
        if time_unit not in TIME_UNITS:
            raise InputError(
                f"{where}: time unit {time_unit!r} unknown; use one of {sorted(TIME_UNITS)} or give seconds per "
                "model time unit as a number (e.g. 1e-3)."
            )
        return TIME_UNITS[time_unit]
    try:
        val = float(time_unit)
    except (TypeError, ValueError):
        raise InputError(f"{where}: time unit must be 'ms', 's', 'us' or a number of seconds, got {time_unit!r}.") from None
    if not (np.isfinite(val) and val > 0):
        raise InputError(f"{where}: time unit must be > 0 seconds per unit, got {val}.")
    return val


def as_time_region(data: Any, where: str, *, min_times: int = 2, allow_nan: bool = False) -> tuple[np.ndarray, dict]:
    """Return ``(array[time, region] float64, meta)``; ``meta`` holds ``time`` (coordinate or None),
    ``region`` (labels or None), ``time_unit`` (from the DataArray's time attrs, or None), ``xarray`` flag."""
    meta: dict[str, Any] = {"time": None, "region": None, "time_unit": None, "xarray": False}
    try:
        from neurodyn._xr import xr
    except ImportError:  # pragma: no cover - xarray is a core dependency
        xr = None
    if xr is not None and isinstance(data, xr.DataArray):
        if "time" not in data.dims:
            raise InputError(f"{where}: the DataArray needs a 'time' dimension, it has {data.dims}.")
        other = [d for d in data.dims if d != "time"]
        if len(other) > 1:
            raise InputError(
                f"{where}: expected dims ('time', 'region'), got {data.dims}; select one variable/mode first "
                "(e.g. da.sel(variable='r'))."
            )
        da = data.transpose("time", *other)
        arr = np.asarray(da.values)
        if arr.ndim == 1:
            arr = arr[:, None]
        meta["xarray"] = True
        meta["region_dim"] = other[0] if other else "region"
        if "time" in da.coords:
            meta["time"] = np.asarray(da["time"].values, dtype=np.float64)
            unit = da["time"].attrs.get("units", da.attrs.get("time_unit"))
            meta["time_unit"] = unit if isinstance(unit, str) and unit in TIME_UNITS else None
        if other and other[0] in da.coords:
            meta["region"] = list(np.asarray(da[other[0]].values))
    else:
        arr = np.asarray(data)
        if arr.ndim == 1:
            arr = arr[:, None]
    if arr.ndim != 2:
        raise InputError(f"{where}: data must be 2-D (time, region), got shape {arr.shape}.")
    if np.iscomplexobj(arr):
        raise InputError(f"{where}: data is complex; pass a real observable (e.g. the real part or modulus).")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.shape[0] < min_times:
        raise InputError(f"{where}: need at least {min_times} time points, got {arr.shape[0]} (data shape {arr.shape}).")
    if not allow_nan and not np.isfinite(arr).all():
        t, r = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"{where}: data has non-finite values (first at time index {t}, region {r}); "
                         "the simulation may have diverged, or trim/clean the data first.")
    return arr, meta


def sample_period_from(meta: dict, sample_period: float | None, where: str) -> float:
    """Resolve the sample period from an explicit value or a uniform time coordinate."""
    if sample_period is not None:
        sp = float(sample_period)
        if not (np.isfinite(sp) and sp > 0):
            raise InputError(f"{where}: sample_period must be > 0, got {sample_period}.")
        return sp
    t = meta.get("time")
    if t is None:
        raise InputError(f"{where}: give sample_period= (time between samples) for NumPy input, or pass an "
                         "xarray DataArray with a time coordinate.")
    d = np.diff(t)
    if d.size == 0 or not np.all(d > 0) or not np.allclose(d, d[0], rtol=1e-6, atol=0):
        raise InputError(f"{where}: the time coordinate is not uniformly spaced; resample it or pass sample_period.")
    return float(d[0])
