"""Sweep results on disk: a Zarr store (through xarray) written block by block as blocks finish.

Layout: every result of the observables is a variable with a leading ``point`` dimension (chunks of one block,
so that concurrent writers never share a chunk); the axis values (``point`` coordinates, or ``(point, region)``
for per-region values), each point's ``seed``, ``status`` (0 pending, 1 done, 2 failed, 3 task error) and
``error`` (the message of a failed point). Attributes: ``neurodyn_sweep`` (the sweep definition as JSON: only an
equal definition resumes the store), ``definition_hash``, provenance, and the grid layout for :func:`grid_view`.

A block's results are written before its status, so a store interrupted at any moment resumes correctly: a
block counts as finished only once its status is on disk.

Examples
--------
>>> import json
>>> differences({"run": {"step_size": 0.01, "solver": "heun"}}, {"run": {"step_size": 0.02, "solver": "heun"}})
['run.step_size: store has 0.01, this sweep has 0.02']
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from neurodyn._xr import xr

from neurodyn.errors import DiskBudgetError, InputError, MemoryBudgetError, SweepDefinitionError
from neurodyn.observables import available_memory_bytes, format_bytes

__all__ = ["SweepStatus", "create_store", "differences", "grid_view", "open_sweep", "resume_store", "sweep_status",
           "template_dataset", "write_block", "write_task_error", "check_budget"]

STATUS_NAMES = {0: "pending", 1: "done", 2: "failed", 3: "task error"}


def _coords(sweep, specs) -> dict:
    pts = sweep.points
    coords = {"point": np.arange(pts.n)}
    for a in sweep.axes:
        col = pts.column(a.key)
        coords[a.label] = (("point",) if col.ndim == 1 else ("point", "region")), col
    coords["seed"] = ("point", np.array([sweep.point_seed(i) for i in range(pts.n)], dtype=np.int64))
    dims = {d for s in specs.values() for d in s.dims}
    if "region" in dims or any(np.ndim(pts.column(a.key)) == 2 for a in sweep.axes):
        n = sweep.network.connectome.n_regions
        coords["region"] = np.arange(n)
        coords["label"] = ("region", np.array(sweep.network.labels, dtype=object))
    for s in specs.values():
        for dim, val in s.coords.items():
            values, attrs = val if isinstance(val, tuple) else (val, {})
            coords[dim] = xr.Variable((dim,), np.asarray(values), attrs=dict(attrs))
    return coords


def template_dataset(sweep, specs: dict, lazy: bool) -> xr.Dataset:
    """The empty results of ``sweep`` (NaN, status pending): Dask arrays chunked by block when ``lazy`` (for a
    store: only metadata is written), NumPy arrays otherwise."""
    n, b = sweep.n_points, sweep.block_size
    data = {}
    for name, s in specs.items():
        shape = (n,) + tuple(s.shape)
        if lazy:
            import dask.array as da
            arr = da.full(shape, np.nan, dtype=np.float64, chunks=(b,) + tuple(s.shape))
        else:
            arr = np.full(shape, np.nan)
        data[name] = xr.Variable(("point",) + tuple(s.dims), arr, attrs=dict(s.attrs))
    if lazy:
        import dask.array as da
        data["status"] = ("point", da.zeros(n, dtype=np.int8, chunks=b))
    else:
        data["status"] = ("point", np.zeros(n, dtype=np.int8))
    data["error"] = ("point", np.full(n, "", dtype=object))
    ds = xr.Dataset(data, coords=_coords(sweep, specs))
    ds["status"].attrs["meaning"] = "0 pending, 1 done, 2 failed (see error), 3 task error (recomputed on resume)"
    ds.attrs["neurodyn_sweep"] = sweep.definition_json()
    ds.attrs.update(sweep.provenance())
    ds.attrs["grid"] = json.dumps({"groups": [[_label(sweep, k) for k in g] for g in sweep.points.groups],
                                   "shape": list(sweep.points.shape), "is_grid": sweep.grid})
    ds.attrs["block_size"] = b
    ds.attrs["n_blocks"] = len(sweep.blocks)
    return ds


def _label(sweep, key: str) -> str:
    return next(a.label for a in sweep.axes if a.key == key)


def check_budget(sweep, specs: dict, store, memory_limit=None) -> int:
    """Bytes the results take; refuse (MemoryBudgetError / DiskBudgetError, with the sizes) when they would not
    fit in memory (no store), in a block's memory, or on the disk of ``store``."""
    per_point = sum(s.nbytes for s in specs.values())
    total = per_point * sweep.n_points
    avail = available_memory_bytes()
    block = per_point * sweep.block_size
    budget = memory_limit if memory_limit is not None else (None if avail is None else 0.5 * avail)
    if budget is not None and block > budget:
        raise MemoryBudgetError(f"one block of {sweep.block_size} points holds {format_bytes(block)} of summaries "
                                f"({format_bytes(per_point)} per point), more than {format_bytes(budget)} of memory; "
                                f"use a smaller block_size or smaller summaries (fewer regions, shorter trajectories)")
    if store is None:
        if budget is not None and total > budget:
            raise MemoryBudgetError(f"the summaries of {sweep.n_points} points take {format_bytes(total)} "
                                    f"({format_bytes(per_point)} per point), more than {format_bytes(budget)} of "
                                    f"memory; write them to a store (store='sweep.zarr') or keep smaller summaries")
    else:
        parent = Path(store).resolve()
        while not parent.exists():
            parent = parent.parent
        free = shutil.disk_usage(parent).free
        if total > free:
            raise DiskBudgetError(f"the summaries of {sweep.n_points} points take up to {format_bytes(total)} "
                                  f"({format_bytes(per_point)} per point) but {parent} has {format_bytes(free)} free; "
                                  f"choose another disk or keep smaller summaries")
    return total


def create_store(path, sweep, specs: dict, overwrite: bool = False) -> None:
    """Write the metadata, coordinates and empty status of a new store at ``path``."""
    p = Path(path)
    if p.exists():
        if not overwrite:
            raise InputError(f"sweep store {p} exists; resume it (resume=True, CLI --resume) or replace it "
                             f"(overwrite=True)")
        shutil.rmtree(p)
    ds = template_dataset(sweep, specs, lazy=True)
    ds.to_zarr(p, mode="w", compute=False, consolidated=False,
               encoding={"error": {"chunks": (sweep.block_size,)}})


def differences(stored, current, where: str = "") -> list[str]:
    """Human-readable differences between two definitions (nested dicts/lists)."""
    out = []
    if isinstance(stored, dict) and isinstance(current, dict):
        for k in sorted(set(stored) | set(current)):
            w = f"{where}.{k}" if where else str(k)
            if k not in stored:
                out.append(f"{w}: not in the store, this sweep has {current[k]!r}")
            elif k not in current:
                out.append(f"{w}: store has {stored[k]!r}, this sweep has none")
            else:
                out += differences(stored[k], current[k], w)
    elif (isinstance(stored, list) and isinstance(current, list) and stored != current
          and any(isinstance(x, (dict, list)) for x in stored + current)):
        for k in range(max(len(stored), len(current))):
            w = f"{where}[{k}]"
            if k >= len(stored):
                out.append(f"{w}: not in the store, this sweep has {current[k]!r}")
            elif k >= len(current):
                out.append(f"{w}: store has {stored[k]!r}, this sweep has none")
            else:
                out += differences(stored[k], current[k], w)
    elif stored != current:
        s, c = repr(stored), repr(current)
        if len(s) > 120 or len(c) > 120:
            s, c = s[:117] + "...", c[:117] + "..."
        out.append(f"{where}: store has {s}, this sweep has {c}")
    return out


def stored_definition(path) -> dict:
    ds = open_sweep(path)
    if "neurodyn_sweep" not in ds.attrs:
        raise SweepDefinitionError(f"{path} is not a neurodyn sweep store (no 'neurodyn_sweep' attribute)")
    return json.loads(ds.attrs["neurodyn_sweep"])


def resume_store(path, sweep) -> np.ndarray:
    """Check that the store at ``path`` was written by ``sweep``'s definition; return the status per point."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"cannot resume {p}: no such store; run without resume to create it")
    stored = stored_definition(p)
    current = json.loads(sweep.definition_json())
    diff = differences(stored, current)
    if diff:
        shown = "\n  ".join(diff[:12]) + (f"\n  ... and {len(diff) - 12} more" if len(diff) > 12 else "")
        raise SweepDefinitionError(f"{p} was written by a different sweep definition, so it is not resumed:\n  "
                                   f"{shown}\nRun this sweep into another store, or overwrite=True to replace it")
    return np.asarray(open_sweep(p)["status"].values)


def write_block(path, block, specs: dict) -> None:
    """Write one block's results and errors, then its status (the mark that the block is finished)."""
    region = {"point": slice(block.start, block.stop)}
    ds = xr.Dataset({name: (("point",) + tuple(spec.dims), block.results[name]) for name, spec in specs.items()})
    ds["error"] = ("point", np.array(block.errors, dtype=object))
    ds.to_zarr(path, region=region, consolidated=False)
    xr.Dataset({"status": ("point", block.status)}).to_zarr(path, region=region, consolidated=False)


def write_task_error(path, start: int, stop: int, message: str) -> None:
    """Record that the task of points ``start..stop-1`` raised ``message`` (status 3: recomputed on resume)."""
    n = stop - start
    xr.Dataset({"error": ("point", np.array([message] * n, dtype=object))}).to_zarr(
        path, region={"point": slice(start, stop)}, consolidated=False)
    xr.Dataset({"status": ("point", np.full(n, 3, dtype=np.int8))}).to_zarr(
        path, region={"point": slice(start, stop)}, consolidated=False)


def open_sweep(path) -> xr.Dataset:
    """The results in the sweep store at ``path`` (lazily loaded)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"no sweep store at {p}")
    return xr.open_zarr(p, consolidated=False)


def grid_view(ds: xr.Dataset) -> xr.Dataset:
    """A grid sweep's results with the ``point`` dimension unstacked into one dimension per grid axis (zipped axes
    share one dimension, named after the first); other sweeps are returned as they are."""
    info = json.loads(ds.attrs.get("grid", "{}"))
    if not info.get("is_grid"):
        return ds
    groups, shape = info["groups"], tuple(info["shape"])
    coords = {k: ds[k].variable for k in ds.coords if "point" not in ds[k].dims}
    dims = []
    for gi, g in enumerate(groups):
        idx = [np.zeros(shape[gi], dtype=np.int64) for _ in shape]
        idx[gi] = np.arange(shape[gi])
        pts = np.ravel_multi_index(idx, shape)
        first = np.asarray(ds[g[0]].values)
        dim = g[0] if first.ndim == 1 else f"{g[0]}_index"
        dims.append(dim)
        for label in g:
            line = np.asarray(ds[label].values)[pts]
            coords[label] = (dim,) + (("region",) if line.ndim == 2 else ()), line
    data = {}
    for name, v in ds.data_vars.items():
        arr = np.asarray(v.values)
        data[name] = (tuple(dims) + v.dims[1:], arr.reshape(shape + arr.shape[1:]), v.attrs)
    for name in ds.coords:
        v = ds[name]
        if name not in coords and v.dims and v.dims[0] == "point" and name != "point":
            arr = np.asarray(v.values)
            coords[name] = (tuple(dims) + v.dims[1:], arr.reshape(shape + arr.shape[1:]))
    out = xr.Dataset(data, coords=coords)
    out.attrs.update(ds.attrs)
    return out


@dataclass
class SweepStatus:
    """Counts of a store's points by status, its blocks, and the first errors."""

    path: str
    n_points: int
    counts: dict
    n_blocks: int
    blocks_done: int
    errors: list = field(default_factory=list)
    created: str = ""
    axes: dict = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.counts.get("pending", 0) == 0 and self.counts.get("task error", 0) == 0

    def __str__(self) -> str:
        lines = [f"sweep store {self.path} (created {self.created})",
                 "  axes: " + ", ".join(f"{k} ({v} values)" for k, v in self.axes.items()),
                 f"  points: {self.n_points}: " + ", ".join(f"{v} {k}" for k, v in self.counts.items()),
                 f"  blocks: {self.blocks_done} of {self.n_blocks} finished"
                 + ("" if self.complete else "; resume to finish (neurodyn sweep CONFIG --resume)")]
        for i, e in self.errors:
            lines.append(f"  point {i}: {e[:300]}")
        return "\n".join(lines)


def sweep_status(path, max_errors: int = 5) -> SweepStatus:
    """What a sweep store holds: points done, failed and pending, and the first errors."""
    ds = open_sweep(path)
    status = np.asarray(ds["status"].values)
    counts = {STATUS_NAMES[k]: int(np.sum(status == k)) for k in STATUS_NAMES}
    b = int(ds.attrs.get("block_size", 1))
    starts = range(0, status.size, b)
    done = sum(1 for a in starts if np.all((status[a:a + b] == 1) | (status[a:a + b] == 2)))
    errs = []
    bad = np.flatnonzero((status == 2) | (status == 3))[:max_errors]
    if bad.size:
        msgs = ds["error"].values
        errs = [(int(i), str(msgs[i])) for i in bad]
    definition = json.loads(ds.attrs.get("neurodyn_sweep", "{}"))
    axes = {k: (len(v) if isinstance(v, list) else "?") for k, v in definition.get("axes", {}).items()}
    return SweepStatus(str(path), int(status.size), counts, len(starts), done, errs, ds.attrs.get("created", ""), axes)
