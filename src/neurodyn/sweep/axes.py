"""Sweep axes and points: ``{key: values}`` expanded into a table of parameter sets, as the Cartesian product
(``grid=True``), zipped (``grid=False``), or a product of zipped groups (``zip=[("a", "b")]``); or a list of
parameter sets given point by point.

A value of an axis is a scalar or, for per-region parameters, an array (one value per region): the values of such
an axis are a 2-d array ``(n_values, n_regions)`` or a list of arrays.

Examples
--------
>>> pts = SweepPoints.from_axes({"a": [1.0, 2.0], "b": [10.0, 20.0, 30.0]}, grid=True)
>>> pts.n, pts.shape, pts.value(4)
(6, (2, 3), {'a': 2.0, 'b': 20.0})
>>> SweepPoints.from_axes({"a": [1, 2], "b": [3, 4], "c": [5, 6, 7]}, grid=True, zip=[("a", "b")]).shape
(2, 3)
>>> SweepPoints.from_list([{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}]).column("b").tolist()
[2.0, 4.0]
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from neurodyn.errors import InputError

__all__ = ["SweepPoints"]


def _values(key: str, values) -> np.ndarray:
    """An axis's values as an array (n_values,) or (n_values, n_regions), checked finite and non-empty."""
    try:
        arr = np.asarray(values if not np.isscalar(values) else [values])
    except ValueError:
        raise InputError(f"sweep axis {key!r}: per-region values must all have the same length") from None
    if arr.dtype == object:
        raise InputError(f"sweep axis {key!r}: values must be numbers (or equal-length arrays per region), got "
                         f"{values!r}")
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise InputError(f"sweep axis {key!r}: values must be a non-empty 1-d sequence (or (n_values, n_regions) "
                         f"for per-region values), got shape {arr.shape}")
    if arr.dtype.kind not in "iuf":
        raise InputError(f"sweep axis {key!r}: values must be real numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"sweep axis {key!r}: values must be finite, got {values!r}")
    return arr


@dataclass(frozen=True)
class SweepPoints:
    """The parameter sets of a sweep: ``columns[key]`` holds the value of axis ``key`` at every point (shape
    ``(n,)`` or ``(n, n_regions)``); ``shape`` is the grid shape (axes groups in order) or ``(n,)``;
    ``groups`` lists the keys of each grid dimension (one key, or several zipped)."""

    columns: Mapping[str, np.ndarray]
    shape: tuple
    groups: tuple
    axis_values: Mapping[str, np.ndarray]

    @property
    def n(self) -> int:
        return int(next(iter(self.columns.values())).shape[0])

    @property
    def keys(self) -> list:
        return list(self.columns)

    def column(self, key: str) -> np.ndarray:
        return self.columns[key]

    def value(self, i: int) -> dict:
        """The parameter set of point ``i``: ``{key: value}`` (scalars as Python floats/ints)."""
        out = {}
        for k, col in self.columns.items():
            v = col[i]
            out[k] = v.item() if np.ndim(v) == 0 else np.array(v)
        return out

    @classmethod
    def from_axes(cls, axes: Mapping[str, object], grid: bool = True, zip: Sequence[Sequence[str]] = ()) -> "SweepPoints":
        """Expand ``axes``: the Cartesian product of the axes (``grid=True``; axes named together in one
        entry of ``zip`` vary together, as one dimension), or every axis zipped (``grid=False``).

        Points are in C order: the first axis varies slowest.
        """
        if not axes:
            raise InputError("a sweep needs at least one axis: {parameter: values}")
        vals = {str(k): _values(str(k), v) for k, v in axes.items()}
        if not grid:
            groups = [tuple(vals)]
        else:
            zipped = [tuple(str(k) for k in g) for g in zip]
            seen: dict = {}
            for g in zipped:
                for k in g:
                    if k not in vals:
                        raise InputError(f"zip names axis {k!r}, which is not an axis; axes: {list(vals)}")
                    if k in seen:
                        raise InputError(f"axis {k!r} is in two zip groups")
                    seen[k] = g
            groups, done = [], set()
            for k in vals:
                if k in done:
                    continue
                g = seen.get(k, (k,))
                groups.append(g)
                done.update(g)
        for g in groups:
            lengths = {k: vals[k].shape[0] for k in g}
            if len(set(lengths.values())) != 1:
                raise InputError(f"zipped sweep axes must have equal lengths, got {lengths}; pass grid=True for the "
                                 f"Cartesian product (or zip only axes of equal length)")
        sizes = [vals[g[0]].shape[0] for g in groups]
        idx = np.array(list(itertools.product(*[range(s) for s in sizes])), dtype=np.int64).reshape(-1, len(groups))
        cols = {}
        for gi, g in enumerate(groups):
            for k in g:
                cols[k] = vals[k][idx[:, gi]]
        cols = {k: cols[k] for k in vals}                 # in the order the axes were given
        return cls(cols, tuple(sizes), tuple(groups), vals)

    @classmethod
    def from_list(cls, points: Sequence[Mapping[str, object]]) -> "SweepPoints":
        """Parameter sets given one by one (every set with the same keys)."""
        points = list(points)
        if not points:
            raise InputError("a sweep needs at least one parameter set")
        keys = list(points[0])
        for i, p in enumerate(points):
            if sorted(p) != sorted(keys):
                raise InputError(f"parameter set {i} has keys {sorted(p)}, set 0 has {sorted(keys)}; every set "
                                 f"must give the same parameters")
        cols = {k: _values(k, [p[k] for p in points]) for k in keys}
        return cls(cols, (len(points),), (tuple(keys),), cols)

    def __repr__(self) -> str:
        dims = " x ".join(f"{'+'.join(g)} ({s})" for g, s in zip(self.groups, self.shape))
        return f"<SweepPoints {self.n} points: {dims}>"
