"""A summary of a sweep over two of its axes, as a map: :func:`map_values` reduces it to a 2-d array (other
dimensions, e.g. regions, reduced by a mean or another statistic) and :func:`plot_map` draws it with matplotlib
(points that failed are shown hatched), with an ``overlay`` hook for curves such as stability boundaries.

Examples
--------
>>> import numpy as np, xarray as xr, json
>>> ds = xr.Dataset({"f": (("point", "region"), np.arange(12.0).reshape(6, 2)), "status": ("point", np.ones(6))},
...                 coords={"a": ("point", [1.0, 1, 1, 2, 2, 2]), "b": ("point", [5.0, 6, 7, 5, 6, 7])},
...                 attrs={"grid": json.dumps({"groups": [["a"], ["b"]], "shape": [2, 3], "is_grid": True})})
>>> x, y, z = map_values(ds, "f", "b", "a")
>>> x.tolist(), y.tolist(), z.tolist()
([5.0, 6.0, 7.0], [1.0, 2.0], [[0.5, 2.5, 4.5], [6.5, 8.5, 10.5]])
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from neurodyn.errors import InputError, close_matches
from neurodyn.sweep.store import grid_view

__all__ = ["map_values", "plot_map", "REDUCTIONS"]

REDUCTIONS = {"mean": np.nanmean, "median": np.nanmedian, "max": np.nanmax, "min": np.nanmin, "std": np.nanstd}


def map_values(ds, var: str, x: str, y: str, reduce: str = "mean"):
    """``(x values, y values, z[y, x])`` of result ``var`` of a grid sweep over axes ``x`` and ``y`` (every other
    dimension reduced by ``reduce``: one of :data:`REDUCTIONS`); failed points are NaN."""
    if reduce not in REDUCTIONS:
        raise InputError(f"reduce must be one of {sorted(REDUCTIONS)}, got {reduce!r}")
    if var not in ds.data_vars:
        raise InputError(f"the sweep has no result {var!r}; {close_matches(var, list(ds.data_vars))}")
    g = grid_view(ds)
    if "point" in g.dims:
        raise InputError("a map needs a grid sweep (grid=True); this sweep's points are a list")
    grid_axes = list(g["status"].dims)
    for a in (x, y):
        if a not in grid_axes:
            raise InputError(f"{a!r} is not a grid axis of this sweep; grid axes: {grid_axes}")
    rest = [d for d in grid_axes if d not in (x, y)]
    if rest:
        raise InputError(f"the sweep has more grid axes than {x!r} and {y!r} ({rest}); select one value of each "
                         f"first, e.g. grid_view(ds).sel({rest[0]}=...)")
    da = g[var].where(g["status"] == 1)
    others = [d for d in da.dims if d not in (x, y)]
    z = np.asarray(da.transpose(y, x, *others).values, dtype=float)
    if others:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)       # all-NaN slices of failed points stay NaN
            z = REDUCTIONS[reduce](z, axis=tuple(range(2, z.ndim)))
    return np.asarray(g[x].values, dtype=float), np.asarray(g[y].values, dtype=float), z


def plot_map(ds, var: str, x: str, y: str, reduce: str = "mean", ax=None, overlay=None, cmap: str = "viridis",
             path=None, title: str | None = None):
    """Draw result ``var`` over axes ``x`` and ``y`` (see :func:`map_values`); ``overlay(ax)`` draws on top
    (e.g. bifurcation curves); ``path`` writes the figure. Returns the axes."""
    import matplotlib
    if ax is None and path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    xs, ys, z = map_values(ds, var, x, y, reduce)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.2))
    mesh = ax.pcolormesh(_edges(xs), _edges(ys), np.ma.masked_invalid(z), cmap=cmap, shading="flat")
    bad = ~np.isfinite(z)
    if bad.any():
        ax.pcolor(_edges(xs), _edges(ys), np.ma.masked_where(~bad, np.ones_like(z)), hatch="xx", alpha=0.0,
                  shading="flat")
    units = ds[var].attrs.get("units", "")
    label = var + (f" ({units})" if units else "") + ("" if reduce == "mean" else f", {reduce}")
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if title:
        ax.set_title(title)
    if overlay is not None:
        overlay(ax)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=110)
    return ax


def _edges(v: np.ndarray) -> np.ndarray:
    """Cell edges around centres ``v`` (midpoints; half a step beyond the ends)."""
    v = np.asarray(v, dtype=float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
