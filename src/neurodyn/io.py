"""Save and load results in one call (NetCDF via h5netcdf), provenance included.

Time-indexed DataFrames (from :func:`neurodyn.integrate`) and xarray Datasets (networks, sweeps) round-trip:
complex variables are stored as real and imaginary parts and reassembled; provenance (version, template hash,
solver, step, seed, ...) is kept in the file's attributes.

Examples
--------
>>> import pandas as pd, tempfile, os
>>> df = pd.DataFrame({"z": [1 + 2j, 3 - 1j]}, index=pd.Index([0.0, 0.1], name="time"))
>>> df.attrs["provenance"] = {"solver": "rk4", "step_size": 0.1}
>>> path = os.path.join(tempfile.mkdtemp(), "run.nc")
>>> _ = save(df, path)
>>> back = load(path)
>>> back.equals(df), back.attrs["provenance"]["solver"]
(True, 'rk4')
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from neurodyn.errors import InputError

__all__ = ["save", "load"]

_RE, _IM = "__real", "__imag"


def _split_complex(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    for name in list(ds.data_vars):
        if np.iscomplexobj(ds[name].values):
            out[f"{name}{_RE}"] = ds[name].real
            out[f"{name}{_IM}"] = ds[name].imag
            out = out.drop_vars(name)
    return out


def _join_complex(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    for name in list(ds.data_vars):
        if name.endswith(_RE) and name[:-len(_RE)] + _IM in ds:
            base = name[:-len(_RE)]
            out[base] = ds[name] + 1j * ds[base + _IM]
            out = out.drop_vars([name, base + _IM])
    return out


def _attrs_out(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, dict):
            out[k] = "json:" + json.dumps(v, default=str)
        elif isinstance(v, (str, int, float, np.integer, np.floating)):
            out[k] = v
        elif v is None:
            out[k] = "None"
        else:
            out[k] = str(v)
    return out


def _attrs_in(attrs: dict) -> dict:
    return {k: (json.loads(v[5:]) if isinstance(v, str) and v.startswith("json:") else v) for k, v in attrs.items()}


def save(result, path: str | os.PathLike) -> Path:
    """Write a DataFrame or Dataset result (with its provenance) to ``path`` (``.nc``); returns the path.

    DataFrames with MultiIndex columns (``all/...`` outputs) are stored with their column labels joined by '/'.
    """
    path = Path(path)
    if path.suffix not in (".nc", ".nc4", ".netcdf"):
        raise InputError(f"save writes NetCDF; give a path ending in .nc (got {str(path)!r}), or use "
                         f"DataFrame.to_csv for CSV")
    if isinstance(result, pd.DataFrame):
        df = result.copy()
        if isinstance(df.columns, pd.MultiIndex):
            df.columns = ["/".join(str(x) for x in c) for c in df.columns]
        names = [str(c) for c in df.columns]
        if len(set(names)) != len(names):
            raise InputError(f"column names repeat after conversion to strings: {names}")
        df.columns = names
        index_name = df.index.name or "time"
        ds = xr.Dataset({c: ((index_name,), df[c].to_numpy()) for c in names},
                        coords={index_name: df.index.to_numpy()})
        ds.attrs = _attrs_out(dict(result.attrs))
        ds.attrs["neurodyn_kind"] = "DataFrame"
    elif isinstance(result, xr.Dataset):
        ds = result.copy()
        ds.attrs = _attrs_out(dict(result.attrs))
        ds.attrs["neurodyn_kind"] = "Dataset"
    else:
        raise InputError(f"save takes a pandas DataFrame or an xarray Dataset, got {type(result).__name__}")
    path.parent.mkdir(parents=True, exist_ok=True)
    _split_complex(ds).to_netcdf(path, engine="h5netcdf")
    return path


def load(path: str | os.PathLike):
    """Read a result written by :func:`save`: returns a DataFrame or a Dataset, as it was saved."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no result file at {str(path)!r}")
    with xr.open_dataset(path, engine="h5netcdf") as f:
        ds = _join_complex(f.load())
    kind = ds.attrs.pop("neurodyn_kind", "Dataset")
    attrs = _attrs_in(dict(ds.attrs))
    if kind == "DataFrame":
        dim = next(iter(ds.dims))
        df = pd.DataFrame({k: ds[k].values for k in ds.data_vars}, index=pd.Index(ds[dim].values, name=dim))
        df.attrs = attrs
        return df
    ds.attrs = attrs
    return ds
