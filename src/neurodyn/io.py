"""Save and load results in one call (NetCDF-4 via h5netcdf): exact round trips, atomic writes, checked reads.

Any result neurodyn returns round-trips exactly: time-indexed DataFrames (from :func:`neurodyn.integrate`) with
their column labels as they are (``node/op/var`` paths with slashes, ``(name, node)`` tuples of ``all/...``
outputs, a MultiIndex), complex columns, ``df.attrs`` (provenance); xarray Datasets (networks, sweeps) with their
coordinates, dimensions and attributes.

How the file is laid out (any NetCDF-4 reader can open it):

- names are stored with ``%`` and ``/`` percent-encoded (``pc%2Frpo_e_in%2Fv``), since NetCDF-4 forbids ``/``;
  the exact label of each DataFrame column is kept in the variable's ``neurodyn_label`` attribute;
- a complex variable is stored as two float variables, ``<name>.real`` and ``<name>.imag``, marked by their
  ``neurodyn_complex`` attribute; strings as character arrays;
- every array carries an HDF5 Fletcher-32 checksum (other NetCDF-4 readers verify it too), and the whole file
  a SHA-256 checksum (the ``neurodyn_checksum`` attribute, computed with its own 64 digits read as zeros),
  which :func:`load` verifies before HDF5 parses anything: a damaged file is refused with a
  :class:`~neurodyn.errors.ResultFileError` instead of returning altered numbers (or upsetting HDF5);
- attributes that NetCDF cannot hold natively (dicts, lists, tuples, booleans, None) are stored as JSON text.

:func:`save` writes a temporary file next to the target and renames it into place only once it is complete,
so a failed save leaves nothing behind (and never half a file).

Examples
--------
>>> import pandas as pd, tempfile, os
>>> df = pd.DataFrame({"p/theta_op/z": [1 + 2j, 3 - 1j]}, index=pd.Index([0.0, 0.1], name="time"))
>>> df.attrs["provenance"] = {"solver": "rk4", "step_size": 0.1}
>>> path = os.path.join(tempfile.mkdtemp(), "run.nc")
>>> _ = save(df, path)
>>> back = load(path)
>>> back.equals(df), back.attrs["provenance"]["solver"]
(True, 'rk4')
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
import numpy as np
import pandas as pd
from neurodyn._xr import xr

from neurodyn.errors import InputError, ResultFileError

__all__ = ["save", "load", "FORMAT"]

#: value of the ``neurodyn_format`` attribute of every file :func:`save` writes
FORMAT = "neurodyn-result/1"
SUFFIXES = (".nc", ".nc4", ".netcdf")
_JSON = "json:"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_NETCDF3_SIGNATURE = b"CDF"
_OWN_ATTRS = ("neurodyn_format", "neurodyn_kind", "neurodyn_checksum", "neurodyn_frame")


# ------------------------------------------------------------------------------------------------- names
def _encode_name(name) -> str:
    if not isinstance(name, str):
        raise InputError(f"save: variable and dimension names must be strings, got {name!r}")
    out = name.replace("%", "%25").replace("/", "%2F")
    return "%2E" + out[1:] if out.startswith(".") or out == "" else out


def _decode_name(name: str) -> str:
    from urllib.parse import unquote
    return unquote(name)


# --------------------------------------------------------------------------------------------- attributes
class _Tagged(json.JSONEncoder):
    """JSON that keeps tuples and NumPy scalars apart from lists and Python numbers where it matters."""

    def encode(self, o):
        return super().encode(self._tag(o))

    def _tag(self, o):
        if isinstance(o, tuple):
            return {"__tuple__": [self._tag(x) for x in o]}
        if isinstance(o, list):
            return [self._tag(x) for x in o]
        if isinstance(o, dict):
            if not all(isinstance(k, str) for k in o):
                raise InputError(f"save: attribute dictionaries need string keys, got {list(o)[:5]}")
            return {k: self._tag(v) for k, v in o.items()}
        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.ndarray) and o.ndim <= 1 and o.dtype.kind in "biuf":
            return {"__array__": o.tolist(), "dtype": o.dtype.str}
        if o is None or isinstance(o, (str, bool, int, float)):
            return o
        raise InputError(f"save: cannot store the attribute value {o!r} ({type(o).__name__}); use numbers, "
                         f"strings, lists, tuples, dicts or 1-D numeric arrays")


def _untag(o):
    if isinstance(o, dict):
        if set(o) == {"__tuple__"}:
            return tuple(_untag(x) for x in o["__tuple__"])
        if set(o) == {"__array__", "dtype"}:
            return np.asarray(o["__array__"], dtype=np.dtype(o["dtype"]))
        return {k: _untag(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_untag(x) for x in o]
    return o


def _encode_attrs(attrs: dict, where: str) -> dict:
    out = {}
    for k, v in attrs.items():
        if not isinstance(k, str):
            raise InputError(f"save: attribute names must be strings ({where} has {k!r})")
        if isinstance(v, str) and not v.startswith(_JSON):
            out[k] = v
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            out[k] = v
        elif isinstance(v, np.ndarray) and v.ndim == 1 and v.size and v.dtype.kind in "iuf":
            out[k] = v
        else:
            out[k] = _JSON + json.dumps(v, cls=_Tagged)
    return out


def _decode_attrs(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, str) and v.startswith(_JSON):
            out[k] = _untag(json.loads(v[len(_JSON):]))
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------------- checksum
_CHECKSUM_PREFIX = b"neurodyn-sha256:"
_PLACEHOLDER = _CHECKSUM_PREFIX + b"0" * 64
_CHECKSUM = re.compile(re.escape(_CHECKSUM_PREFIX) + rb"([0-9a-f]{64})")


def _file_digest(raw: bytes | memoryview, at: int) -> str:
    """SHA-256 of the file's bytes with the 64 hex digits of the checksum at offset ``at`` read as zeros."""
    h = hashlib.sha256()
    h.update(raw[:at])
    h.update(b"0" * 64)
    h.update(raw[at + 64:])
    return h.hexdigest()


def _seal(tmp: str) -> None:
    """Write the SHA-256 of the whole file into its checksum attribute, in place (same length)."""
    raw = Path(tmp).read_bytes()
    at = raw.find(_PLACEHOLDER)
    if at < 0 or raw.find(_PLACEHOLDER, at + 1) >= 0:
        raise InputError("save: the data contain neurodyn's checksum placeholder text; remove it")
    at += len(_CHECKSUM_PREFIX)
    with open(tmp, "rb+") as f:
        f.seek(at)
        f.write(_file_digest(raw, at).encode())
        f.flush()
        os.fsync(f.fileno())


def _verify(path: Path) -> None:
    """Check the whole file against its SHA-256 before HDF5 reads any of it (a damaged HDF5 structure can
    make the library fail in any way, even loop)."""
    raw = path.read_bytes()
    candidates = list(_CHECKSUM.finditer(raw))
    if not candidates:
        if FORMAT.encode() in raw:
            raise ResultFileError(f"{path}: the file is damaged: its checksum is unreadable; write it again")
        raise ResultFileError(f"{path}: a NetCDF file not written by neurodyn.io.save (it has no neurodyn "
                              f"checksum); open it with xarray.open_dataset({str(path)!r})")
    view = memoryview(raw)
    for m in candidates:
        if _file_digest(view, m.start(1)) == m.group(1).decode():
            return
    raise ResultFileError(f"{path}: the file is damaged (or was changed after neurodyn.io.save wrote it): its "
                          f"SHA-256 does not match the checksum written with it; write it again")


# ------------------------------------------------------------------------------------------ DataFrames
def _label_json(label) -> str:
    try:
        return json.dumps(label, cls=_Tagged)
    except InputError:
        raise InputError(f"save: cannot store the column label {label!r}; use strings, numbers or tuples of "
                         f"them") from None


def _frame_to_dataset(df: pd.DataFrame) -> xr.Dataset:
    if isinstance(df.index, pd.MultiIndex):
        raise InputError("save: a DataFrame with a MultiIndex index (rows) cannot be stored; reset_index() first")
    dim = df.index.name if isinstance(df.index.name, str) and df.index.name else "index"
    data, used = {}, {dim}
    for k in range(df.shape[1]):
        label = df.columns[k]
        text = "/".join(str(x) for x in label) if isinstance(label, tuple) else str(label)
        name = text
        if name in used:
            name = f"{name}#{k}"
        used.add(name)
        values = df.iloc[:, k].to_numpy()
        if values.dtype == object:
            kinds = {type(x) for x in values}
            if not kinds <= {str}:
                raise InputError(f"save: column {label!r} holds Python objects ({sorted(t.__name__ for t in kinds)});"
                                 f" store numbers or strings")
        data[name] = xr.Variable((dim,), values, attrs={"neurodyn_label": _label_json(label)})
    index = df.index.to_numpy()
    ds = xr.Dataset(data, coords={dim: index})
    frame = {"index_name": df.index.name, "column_names": list(df.columns.names),
             "multi": isinstance(df.columns, pd.MultiIndex), "columns": list(data)}
    ds.attrs = _encode_attrs(dict(df.attrs), "DataFrame.attrs")
    ds.attrs["neurodyn_frame"] = _JSON + json.dumps(frame, cls=_Tagged)
    return ds


def _dataset_to_frame(ds: xr.Dataset, attrs: dict) -> pd.DataFrame:
    frame = _untag(json.loads(ds.attrs["neurodyn_frame"][len(_JSON):]))
    dims = list(ds.dims)
    dim = dims[0] if dims else "index"
    labels, cols = [], []
    for name in frame["columns"]:
        v = ds[_encode_name(name)]
        labels.append(_untag(json.loads(v.attrs["neurodyn_label"])))
        cols.append(v.values)
    index = pd.Index(ds[dim].values if dim in ds.coords else np.arange(0), name=frame["index_name"])
    df = pd.DataFrame(dict(enumerate(cols)), index=index) if cols else pd.DataFrame(index=index)
    if frame["multi"]:
        df.columns = pd.MultiIndex.from_tuples(labels, names=frame["column_names"])
    else:
        df.columns = pd.Index(labels, name=frame["column_names"][0] if frame["column_names"] else None,
                              dtype=object if not labels else None)
    df.attrs = attrs
    return df


# ---------------------------------------------------------------------------------------- to the file
def _prepare(ds: xr.Dataset) -> xr.Dataset:
    """Encode names, split complex variables, encode attributes: the Dataset exactly as it goes to disk."""
    names = {}
    for n in list(ds.variables) + list(ds.dims):
        enc = _encode_name(n)
        if enc != n:
            names[n] = enc
    if len(set(names.values()) | (set(ds.variables) - set(names))) < len(set(ds.variables)):
        raise InputError("save: two names coincide once '/' is encoded; rename one of them")
    out = ds.drop_encoding().rename(names) if names else ds.drop_encoding()
    for name in list(out.variables):
        v = out[name].variable
        if name in out.coords:
            if np.iscomplexobj(v.values):
                raise InputError(f"save: coordinate {_decode_name(name)!r} is complex; store it as a data "
                                 f"variable")
            out[name].attrs = _encode_attrs(dict(v.attrs), f"coordinate {name!r}")
            continue
        attrs = _encode_attrs(dict(v.attrs), f"variable {name!r}")
        if np.iscomplexobj(v.values):
            taken = [f"{name}.{part}" for part in ("real", "imag") if f"{name}.{part}" in out.variables]
            if taken:
                raise InputError(f"save: complex variable {_decode_name(name)!r} is stored as '<name>.real' and "
                                 f"'<name>.imag', but {taken} already exist(s); rename one of them")
            for part, values in (("real", v.values.real), ("imag", v.values.imag)):
                out[f"{name}.{part}"] = xr.Variable(v.dims, np.ascontiguousarray(values),
                                                    attrs={**attrs, "neurodyn_complex": part,
                                                           "neurodyn_name": name})
            out = out.drop_vars(name)
        else:
            out[name].attrs = attrs
    return out


def _encoding(ds: xr.Dataset) -> dict:
    enc = {}
    for name, v in ds.variables.items():
        if v.ndim == 0 or 0 in v.shape:
            continue               # nothing to checksum (the digest covers a scalar's shape and dtype)
        e = {"fletcher32": True}
        if v.dtype.kind in "OUS":
            e["dtype"] = "S1"      # character arrays: HDF5 filters refuse variable-length strings
        enc[name] = e
    return enc


def save(result, path: str | os.PathLike) -> Path:
    """Write a DataFrame or Dataset result (with its attributes and provenance) to ``path`` (NetCDF-4).

    The file is written next to ``path`` under a temporary name and renamed into place when complete; if
    anything fails, nothing is left behind and an existing file at ``path`` is untouched.

    Parameters
    ----------
    result : pandas.DataFrame or xarray.Dataset
    path : str or path-like, ending in ``.nc`` (``.nc4``, ``.netcdf``)

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    InputError
        For a path with another suffix, an unwritable directory, or something that cannot be stored exactly.
    """
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise InputError(f"save writes NetCDF; give a path ending in .nc (got {str(path)!r}), or use "
                         f"DataFrame.to_csv for CSV")
    if isinstance(result, pd.DataFrame):
        ds, kind = _frame_to_dataset(result), "DataFrame"
    elif isinstance(result, xr.Dataset):
        ds, kind = result.copy(), "Dataset"
        ds.attrs = _encode_attrs(dict(result.attrs), "Dataset.attrs")
        clash = [a for a in _OWN_ATTRS if a in result.attrs]
        if clash:
            raise InputError(f"save: attribute(s) {clash} are reserved for the file format; rename them")
    else:
        raise InputError(f"save takes a pandas DataFrame or an xarray Dataset, got {type(result).__name__}")
    ds = _prepare(ds)
    ds.attrs["neurodyn_format"] = FORMAT
    ds.attrs["neurodyn_kind"] = kind
    ds.attrs["neurodyn_checksum"] = _PLACEHOLDER.decode()
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    try:
        ds.to_netcdf(tmp, engine="h5netcdf", encoding=_encoding(ds))
        _seal(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
        raise
    return path


# --------------------------------------------------------------------------------------- from the file
def _check_signature(path: Path) -> None:
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(_HDF5_SIGNATURE):
        return
    if head.startswith(_NETCDF3_SIGNATURE):
        raise ResultFileError(f"{path}: a NetCDF-3 file, not written by neurodyn.io.save; open it with "
                              f"xarray.open_dataset({str(path)!r})")
    raise ResultFileError(f"{path}: not a NetCDF-4 (HDF5) file (it starts with {head!r}); neurodyn.io.load reads "
                          f"the files neurodyn.io.save writes. A CSV file reads with pandas.read_csv.")


def _join_complex(ds: xr.Dataset, path: Path) -> xr.Dataset:
    """Reassemble complex variables from their parts, keeping the order of the data variables."""
    parts: dict[str, dict] = {}
    for name, v in ds.data_vars.items():
        part = v.attrs.get("neurodyn_complex")
        if part is not None:
            parts.setdefault(str(v.attrs.get("neurodyn_name")), {})[part] = name
    if not parts:
        return ds
    data = {}
    for name, v in ds.data_vars.items():
        part = v.attrs.get("neurodyn_complex")
        if part is None:
            data[name] = v.variable
            continue
        base = str(v.attrs.get("neurodyn_name"))
        if base in data:
            continue
        p = parts[base]
        if set(p) != {"real", "imag"}:
            raise ResultFileError(f"{path}: the file is damaged: complex variable {base!r} lacks a part "
                                  f"(found {sorted(p)})")
        re_, im_ = ds[p["real"]].variable, ds[p["imag"]].variable
        attrs = {k: a for k, a in re_.attrs.items() if k not in ("neurodyn_complex", "neurodyn_name")}
        data[base] = xr.Variable(re_.dims, re_.values + 1j * im_.values, attrs=attrs)
    return xr.Dataset(data, coords=ds.coords, attrs=ds.attrs)


def load(path: str | os.PathLike):
    """Read a result written by :func:`save`: the DataFrame or Dataset exactly as it was saved.

    Raises
    ------
    InputError
        If there is no file at ``path``.
    ResultFileError
        If the file is not NetCDF-4, was not written by :func:`save`, or is damaged (its SHA-256 or an HDF5
        checksum does not match): the numbers in it cannot be trusted.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no result file at {str(path)!r}")
    _check_signature(path)
    _verify(path)
    try:
        with xr.open_dataset(path, engine="h5netcdf") as f:
            raw = f.load()
    except Exception as exc:      # h5py reports damage as OSError, KeyError, ValueError, RuntimeError...
        raise ResultFileError(f"{path}: the file is damaged and cannot be read ({type(exc).__name__}: {exc}); "
                              f"write it again") from exc
    fmt = raw.attrs.get("neurodyn_format")
    if fmt != FORMAT:
        raise ResultFileError(f"{path}: written in format {fmt!r}; this neurodyn reads {FORMAT!r}")
    kind = raw.attrs.get("neurodyn_kind")
    ds = _join_complex(raw, path)
    names = {n: _decode_name(n) for n in list(ds.variables) + list(ds.dims) if _decode_name(n) != n}
    attrs = _decode_attrs({k: v for k, v in ds.attrs.items() if k not in _OWN_ATTRS})
    if kind == "DataFrame":
        return _dataset_to_frame(ds, attrs)
    if kind != "Dataset":
        raise ResultFileError(f"{path}: unknown neurodyn_kind {kind!r}; expected 'DataFrame' or 'Dataset'")
    ds = ds.rename(names) if names else ds
    for name in ds.variables:
        ds[name].attrs = _decode_attrs(dict(ds[name].attrs))
    ds.attrs = attrs
    return ds.drop_encoding()

