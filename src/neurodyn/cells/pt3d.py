"""Segment geometry from 3-D points (NEURON's pt3d rule): frustums integrated exactly over each half segment.

A section with 3-D points ``(x, y, z, d)`` is a chain of truncated cones (frustums) between consecutive
points. The section is cut into ``nseg`` equal lengths of path (arc) and each segment into two halves; the
diameter is interpolated linearly in arc length at the cuts. Over each piece of length ``dl`` between
diameters ``d1`` and ``d2``:

* membrane area = lateral area of the frustum, ``pi (d1 + d2) / 2 * sqrt(dl^2 + ((d2 - d1) / 2)^2)``;
* axial resistance = ``4 Ra dl / (pi d1 d2)`` (exact for a linear taper; 1e-2 converts ohm cm / um to
  megohm);
* the segment's ``diam`` is the length-weighted mean diameter (trapezoid rule).

This is the integration NEURON performs for sections with 3-D points (``pt3dadd``), so that cells imported
from SWC files have the areas and resistances NEURON's Import3d gives them.

Examples
--------
>>> import numpy as np
>>> from neurodyn.cells.pt3d import frustum_geometry
>>> g = frustum_geometry(np.array([0.0, 100.0]), np.array([2.0, 2.0]), nseg=2, Ra=100.0)
>>> g.area.round(4).tolist(), round(float(g.rleft[0]), 6)  # cylinder: pi d L/2; 1e-2 Ra (L/4) / (pi d^2/4)
([314.1593, 314.1593], 7.957747)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SegmentGeometry:
    """Per-segment mean diameter (um), area (um2) and left/right half-segment axial resistances (megohm)."""

    diam: np.ndarray
    area: np.ndarray
    rleft: np.ndarray
    rright: np.ndarray


def arc_lengths(xyz: np.ndarray) -> np.ndarray:
    """Cumulative path length (um) along the 3-D points ``xyz`` (shape (n, 3)), starting at 0."""
    xyz = np.asarray(xyz, dtype=float)
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xyz, axis=0), axis=1))])


def frustum_geometry(arc: np.ndarray, diam: np.ndarray, nseg: int, Ra: float) -> SegmentGeometry:
    """Integrate area, axial resistance and mean diameter of ``nseg`` segments over frustums.

    Parameters
    ----------
    arc : ndarray
        Non-decreasing arc length (um) of each 3-D point, ``arc[0] == 0``; at least two points, ``arc[-1] > 0``.
    diam : ndarray
        Diameter (um) at each point, positive.
    nseg : int
        Number of equal segments.
    Ra : float
        Axial resistivity (ohm cm).
    """
    arc = np.asarray(arc, dtype=float)
    diam = np.asarray(diam, dtype=float)
    length = arc[-1]
    cuts = np.linspace(0.0, length, 2 * nseg + 1)            # half-segment boundaries
    # interpolated diameters at the cuts (a zero-length step between repeated points takes its far end)
    j = np.clip(np.searchsorted(arc, cuts, side="right") - 1, 0, len(arc) - 2)
    gap = arc[j + 1] - arc[j]
    frac = np.where(gap > 1e-10, (cuts - arc[j]) / np.where(gap > 1e-10, gap, 1.0), 1.0)
    dcut = (1.0 - frac) * diam[j] + frac * diam[j + 1]
    # all points in arc order, repeated points kept (a diameter step there adds its annulus, as in NEURON)
    order = np.argsort(np.concatenate([arc, cuts]), kind="stable")
    x = np.concatenate([arc, cuts])[order]
    d = np.concatenate([diam, dcut])[order]
    dl = np.diff(x)
    d1, d2 = d[:-1], d[1:]
    piece_area = 0.5 * np.pi * (d1 + d2) * np.sqrt(dl * dl + (0.5 * (d2 - d1)) ** 2)
    piece_r = 4e-2 * Ra * dl / (np.pi * d1 * d2)        # zero for repeated points
    piece_d = 0.5 * (d1 + d2) * dl
    # which half segment each piece belongs to (by its midpoint)
    half = np.minimum((0.5 * (x[:-1] + x[1:]) / length * 2 * nseg).astype(int), 2 * nseg - 1)
    area_h = np.bincount(half, piece_area, minlength=2 * nseg)
    r_h = np.bincount(half, piece_r, minlength=2 * nseg)
    d_h = np.bincount(half, piece_d, minlength=2 * nseg)
    ds = length / nseg
    return SegmentGeometry(diam=(d_h[0::2] + d_h[1::2]) / ds, area=area_h[0::2] + area_h[1::2],
                           rleft=r_h[0::2], rright=r_h[1::2])


__all__ = ["SegmentGeometry", "arc_lengths", "frustum_geometry"]
