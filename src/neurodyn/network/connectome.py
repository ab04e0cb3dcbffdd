"""Structural connectomes: a validated, immutable container with metrics and transforms.

Convention (TVB's): ``weights[target, source]``, i.e. row ``i`` collects the input that region ``i``
receives, so linear coupling reads ``c_i = G * sum_j W[i, j] x_j(t - L[i, j] / speed)``. Tract lengths are
in mm, conduction speeds in mm/ms, hence delays in ms.

Readers and writers of the file formats are in :mod:`neurodyn.network.formats` (:func:`load_connectome`), and
are also ``Connectome.from_*`` class methods.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> c = Connectome(np.array([[0.0, 2.0], [1.0, 0.0]]), tract_lengths=np.array([[0, 30.0], [30.0, 0]]))
>>> c
Connectome(2 regions, density 1, weights in [1, 2], tract lengths in [30, 30] mm)
>>> float(c.normalise("max").weights.max())
1.0
>>> float(c.delays(speed=3.0)[0, 1])   # mm / (mm/ms) = ms
10.0
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from neurodyn.errors import ConnectomeError, close_matches

__all__ = ["Connectome", "TVB_DATA_CONNECTOMES", "NORMALISATIONS"]

#: Sizes of the connectomes shipped inside the ``tvb-data`` package (file ``connectivity_<n>.zip``).
TVB_DATA_CONNECTOMES = (66, 68, 76, 96, 192)

#: Valid ``method`` values of :meth:`Connectome.normalise`.
NORMALISATIONS = ("none", "max", "rows", "spectral")

_TVB_EXTRA_HINT = (
    "install the optional extra with `pip install neurodyn[peers]` (or just `pip install tvb-data`), "
    "or pass the path of a TVB connectivity zip instead"
)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _as_matrix(a: Any, what: str, where: str) -> np.ndarray:
    """Validate a square, finite, real 2-D matrix and return it as a fresh float64 array."""
    arr = np.asarray(a)
    if np.iscomplexobj(arr):
        raise ConnectomeError(f"{where}: {what} is complex; a connectome needs real values.")
    try:
        arr = np.array(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConnectomeError(f"{where}: {what} is not numeric ({exc}).") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ConnectomeError(
            f"{where}: {what} must be a square 2-D matrix [target, source], got shape {arr.shape}; "
            "check the file (delimiter, header lines) or reshape it to (n, n)."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ConnectomeError(
            f"{where}: {what} has {int(bad.sum())} non-finite entries (first at [{i}, {j}] = {arr[i, j]}); "
            "replace NaN/inf (e.g. by 0 for absent connections) before building the connectome."
        )
    return arr


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Connectome:
    """A structural connectome: weights, tract lengths and per-region metadata.

    Parameters
    ----------
    weights : (n, n) array_like
        Connection strengths, ``weights[target, source]`` (TVB convention).
    tract_lengths : (n, n) array_like, optional
        Fibre lengths in mm, same orientation. ``None`` when unknown (then :meth:`delays` refuses; see
        :meth:`with_euclidean_lengths`).
    labels : sequence of str, optional
        Region names; default ``"r0", "r1", ...``. Duplicates are allowed (TVB's 998-region connectome
        repeats its 66 parcel names), but then :meth:`index` refuses ambiguous labels.
    centres : (n, 3) array_like, optional
        Region centres (mm, e.g. MNI).
    areas : (n,) array_like, optional
        Region areas (mm^2).
    cortical : (n,) array_like of bool, optional
    hemispheres : (n,) array_like of bool, optional
        ``True`` for the right hemisphere (TVB convention).
    name : str
        Free-form description (file name, source).
    allow_negative : bool
        Accept negative weights (signed / inhibitory connectomes). Default ``False``.

    Notes
    -----
    Instances are immutable: every array is stored as a read-only float64 (or bool) copy and every
    operation returns a new :class:`Connectome`.

    Examples
    --------
    >>> import numpy as np
    >>> c = Connectome(np.ones((3, 3)), labels=["a", "b", "c"]).without_self_connections()
    >>> c.density, c.in_strength.tolist()
    (1.0, [2.0, 2.0, 2.0])
    """

    weights: np.ndarray
    tract_lengths: np.ndarray | None = None
    labels: tuple[str, ...] | None = None
    centres: np.ndarray | None = None
    areas: np.ndarray | None = None
    cortical: np.ndarray | None = None
    hemispheres: np.ndarray | None = None
    name: str = ""
    allow_negative: bool = field(default=False, repr=False)

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        where = f"Connectome{' ' + repr(self.name) if self.name else ''}"
        w = _as_matrix(self.weights, "weights", where)
        n = w.shape[0]
        if n < 1:
            raise ConnectomeError(f"{where}: weights is empty; a connectome needs at least one region.")
        if not self.allow_negative and (w < 0).any():
            i, j = np.argwhere(w < 0)[0]
            raise ConnectomeError(
                f"{where}: weights has {int((w < 0).sum())} negative entries (first at [{i}, {j}] = {w[i, j]}); "
                "pass allow_negative=True for a signed connectome, or fix the data."
            )
        set_ = object.__setattr__
        set_(self, "weights", _frozen(w))

        if self.tract_lengths is not None:
            tl = _as_matrix(self.tract_lengths, "tract_lengths", where)
            if tl.shape != w.shape:
                raise ConnectomeError(
                    f"{where}: tract_lengths has shape {tl.shape} but weights has {w.shape}; "
                    "both must describe the same regions in the same order."
                )
            if (tl < 0).any():
                i, j = np.argwhere(tl < 0)[0]
                raise ConnectomeError(
                    f"{where}: tract_lengths has negative entries (first at [{i}, {j}] = {tl[i, j]}); "
                    "lengths are distances in mm and must be >= 0."
                )
            set_(self, "tract_lengths", _frozen(tl))

        if self.labels is None:
            labels = tuple(f"r{i}" for i in range(n))
        else:
            if isinstance(self.labels, str):
                raise ConnectomeError(f"{where}: labels must be a sequence of strings, got one string.")
            labels = tuple(str(s) for s in self.labels)
            if len(labels) != n:
                raise ConnectomeError(
                    f"{where}: {len(labels)} labels for {n} regions; give exactly one label per row of weights."
                )
        set_(self, "labels", labels)

        if self.centres is not None:
            c = np.array(self.centres, dtype=np.float64)
            if c.shape != (n, 3):
                raise ConnectomeError(f"{where}: centres has shape {c.shape}, expected ({n}, 3) (x, y, z per region).")
            if not np.isfinite(c).all():
                raise ConnectomeError(f"{where}: centres has non-finite entries.")
            set_(self, "centres", _frozen(c))
        if self.areas is not None:
            a = np.array(self.areas, dtype=np.float64).reshape(-1)
            if a.shape != (n,):
                raise ConnectomeError(f"{where}: areas has {a.size} values for {n} regions.")
            if not np.isfinite(a).all() or (a < 0).any():
                raise ConnectomeError(f"{where}: areas must be finite and >= 0.")
            set_(self, "areas", _frozen(a))
        for attr in ("cortical", "hemispheres"):
            val = getattr(self, attr)
            if val is None:
                continue
            b = np.asarray(val).reshape(-1)
            if b.shape != (n,):
                raise ConnectomeError(f"{where}: {attr} has {b.size} values for {n} regions.")
            if b.dtype != bool:
                if not np.isin(b, (0, 1)).all():
                    raise ConnectomeError(f"{where}: {attr} must be boolean (0/1), got values {np.unique(b)[:5]}.")
                b = b.astype(bool)
            set_(self, attr, _frozen(b.copy()))

    # ------------------------------------------------------------------ inspection
    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return int(self.weights.shape[0])

    def __len__(self) -> int:
        return self.n_regions

    @property
    def _offdiag(self) -> np.ndarray:
        return ~np.eye(self.n_regions, dtype=bool)

    @property
    def density(self) -> float:
        """Fraction of non-zero off-diagonal weights, ``nnz / (n (n - 1))`` (1.0 for a single region)."""
        n = self.n_regions
        if n < 2:
            return 1.0
        return float(np.count_nonzero(self.weights[self._offdiag]) / (n * (n - 1)))

    @property
    def in_strength(self) -> np.ndarray:
        """Summed input weight of each region (row sums, ``W.sum(axis=1)``)."""
        return self.weights.sum(axis=1)

    @property
    def out_strength(self) -> np.ndarray:
        """Summed output weight of each region (column sums, ``W.sum(axis=0)``)."""
        return self.weights.sum(axis=0)

    @property
    def strength(self) -> np.ndarray:
        """Total strength, in + out (equals 2x the row sum for a symmetric matrix)."""
        return self.in_strength + self.out_strength

    @property
    def in_degree(self) -> np.ndarray:
        """Number of non-zero inputs per region, self-connections excluded."""
        return np.count_nonzero(self.weights * self._offdiag, axis=1)

    @property
    def out_degree(self) -> np.ndarray:
        """Number of non-zero outputs per region, self-connections excluded."""
        return np.count_nonzero(self.weights * self._offdiag, axis=0)

    @property
    def degree(self) -> np.ndarray:
        """Number of distinct neighbours per region (input or output), self-connections excluded."""
        nz = (self.weights != 0) & self._offdiag
        return np.count_nonzero(nz | nz.T, axis=1)

    @property
    def is_symmetric(self) -> bool:
        """Whether ``weights`` equals its transpose exactly."""
        return bool(np.array_equal(self.weights, self.weights.T))

    @property
    def spectral_radius(self) -> float:
        """Largest eigenvalue modulus of ``weights``."""
        return float(np.max(np.abs(np.linalg.eigvals(self.weights))))

    def index(self, label: str) -> int:
        """Position of a region label (raises :class:`ConnectomeError` with close matches when unknown, or
        when the label names several regions)."""
        hits = [i for i, s in enumerate(self.labels) if s == label]
        if not hits:
            raise ConnectomeError(
                f"Connectome: unknown region label {label!r}; {close_matches(label, set(self.labels))}"
            )
        if len(hits) > 1:
            raise ConnectomeError(
                f"Connectome: label {label!r} names {len(hits)} regions (indices {hits[:10]}); select by index."
            )
        return hits[0]

    def __repr__(self) -> str:
        w = self.weights[self._offdiag] if self.n_regions > 1 else self.weights.ravel()
        nz = w[w != 0]
        wr = f"[{_fmt(nz.min())}, {_fmt(nz.max())}]" if nz.size else "all zero"
        parts = [f"{self.n_regions} regions", f"density {_fmt(self.density)}", f"weights in {wr}"]
        if self.tract_lengths is not None:
            tl = self.tract_lengths[self._offdiag] if self.n_regions > 1 else self.tract_lengths.ravel()
            tl = tl[tl > 0]
            if tl.size:
                parts.append(f"tract lengths in [{_fmt(tl.min())}, {_fmt(tl.max())}] mm")
        if np.any(np.diag(self.weights) != 0):
            parts.append("self-connections")
        if self.name:
            parts.append(f"name={self.name!r}")
        return f"Connectome({', '.join(parts)})"

    # ------------------------------------------------------------------ derived quantities
    def delays(self, speed: float) -> np.ndarray:
        """Conduction delays ``tract_lengths / speed``.

        Parameters
        ----------
        speed : float
            Conduction speed, > 0, in mm per time unit (mm/ms gives delays in ms; TVB's default is 3 mm/ms).
            ``numpy.inf`` gives zero delays.

        Returns
        -------
        (n, n) ndarray, float64, [target, source].
        """
        try:
            speed = float(speed)
        except (TypeError, ValueError):
            raise ConnectomeError(f"Connectome.delays: speed must be a number, got {speed!r}.") from None
        if not speed > 0 or np.isnan(speed):
            raise ConnectomeError(
                f"Connectome.delays: speed must be > 0 (mm per time unit, e.g. 3.0 mm/ms), got {speed}."
            )
        if self.tract_lengths is None:
            raise ConnectomeError(
                "Connectome.delays: this connectome has no tract_lengths; load a file that has them, pass "
                "tract_lengths=..., or use .with_euclidean_lengths() (needs centres)."
            )
        return self.tract_lengths / speed

    def with_euclidean_lengths(self) -> "Connectome":
        """Copy with tract lengths set to the Euclidean distances between region centres (mm)."""
        if self.centres is None:
            raise ConnectomeError("Connectome.with_euclidean_lengths: no centres; give centres=(n, 3) coordinates.")
        d = np.linalg.norm(self.centres[:, None, :] - self.centres[None, :, :], axis=-1)
        return replace(self, tract_lengths=d)

    # ------------------------------------------------------------------ operations
    def normalise(self, method: str = "max", *, zero_rows: str = "raise") -> "Connectome":
        """Scale the weights.

        Parameters
        ----------
        method : {'none', 'max', 'rows', 'spectral'}
            ``'max'``: divide by the largest absolute weight (TVB's ``scale_weights('tract')`` analogue);
            ``'rows'``: each row divided by its sum, so every region's inputs sum to 1 (the normalisation of
            Delicado et al. 2025: the homogeneous state is then invariant); ``'spectral'``: divide by the
            spectral radius (largest eigenvalue modulus), so that ``G`` is directly the coupling at which a
            linear network's stability changes; ``'none'``: unchanged copy.
        zero_rows : {'raise', 'keep', 'drop'}
            For ``'rows'``: what to do with regions that receive no input (row sum 0): raise (default), keep
            their row at 0, or drop them (:meth:`without_regions_lacking_input`: repeated until every region
            left receives input, since dropping a region can leave another without input).

        Examples
        --------
        >>> import numpy as np
        >>> Connectome(np.array([[0., 1.], [3., 1.]])).normalise("rows").weights.sum(axis=1).tolist()
        [1.0, 1.0]
        """
        if method not in NORMALISATIONS:
            raise ConnectomeError(f"Connectome.normalise: unknown method {method!r}; {close_matches(method, NORMALISATIONS)}")
        if zero_rows not in ("raise", "keep", "drop"):
            raise ConnectomeError(f"Connectome.normalise: zero_rows must be 'raise', 'keep' or 'drop', got {zero_rows!r}")
        if method == "rows" and zero_rows == "drop":
            return self.without_regions_lacking_input().normalise("rows")
        w = self.weights.copy()
        if method == "none":
            pass
        elif method == "max":
            m = np.abs(w).max()
            if m == 0:
                raise ConnectomeError("Connectome.normalise('max'): all weights are zero; nothing to scale by.")
            w /= m
        elif method == "rows":
            if self.allow_negative and (w < 0).any():
                raise ConnectomeError(
                    "Connectome.normalise('rows'): signed weights make row sums meaningless; use 'max' or 'spectral'."
                )
            s = w.sum(axis=1)
            zero = s == 0
            if zero.any():
                if zero_rows != "keep":
                    names = [self.labels[i] for i in np.flatnonzero(zero)[:10]]
                    raise ConnectomeError(
                        f"Connectome.normalise('rows'): {int(zero.sum())} regions receive no input (row sum 0), "
                        f"e.g. {names}; remove them with .subset(...), or pass zero_rows='keep' to leave them at 0."
                    )
                s = np.where(zero, 1.0, s)
            w /= s[:, None]
        elif method == "spectral":
            rho = self.spectral_radius
            if rho == 0:
                raise ConnectomeError(
                    "Connectome.normalise('spectral'): spectral radius is 0 (nilpotent or zero matrix); use 'max'."
                )
            w /= rho
        return replace(self, weights=w)

    normalize = normalise

    def symmetrise(self, how: str = "mean") -> "Connectome":
        """Make weights (and tract lengths) symmetric: ``'mean'`` (W + W.T)/2, ``'max'``, ``'min'``,
        ``'upper'`` (copy the upper triangle down) or ``'lower'``."""
        ops = {
            "mean": lambda a: 0.5 * (a + a.T),
            "max": lambda a: np.maximum(a, a.T),
            "min": lambda a: np.minimum(a, a.T),
            "upper": lambda a: np.triu(a) + np.triu(a, 1).T,
            "lower": lambda a: np.tril(a) + np.tril(a, -1).T,
        }
        if how not in ops:
            raise ConnectomeError(f"Connectome.symmetrise: unknown how={how!r}; {close_matches(how, ops)}")
        f = ops[how]
        tl = None if self.tract_lengths is None else f(self.tract_lengths)
        return replace(self, weights=f(self.weights), tract_lengths=tl)

    symmetrize = symmetrise

    def threshold(self, value: float | None = None, *, density: float | None = None) -> "Connectome":
        """Zero weak connections: absolute (``|w| < value`` -> 0) or proportional (keep the strongest
        ``density`` fraction of off-diagonal entries, ties broken by position; diagonal kept as is).

        Examples
        --------
        >>> import numpy as np
        >>> c = Connectome(np.arange(16.).reshape(4, 4)).without_self_connections()
        >>> c.threshold(density=0.5).density
        0.5
        """
        if (value is None) == (density is None):
            raise ConnectomeError("Connectome.threshold: give exactly one of value=... (absolute) or density=... (0..1).")
        w = self.weights.copy()
        if value is not None:
            if not np.isfinite(value) or value < 0:
                raise ConnectomeError(f"Connectome.threshold: value must be finite and >= 0, got {value}.")
            w[np.abs(w) < value] = 0.0
        else:
            if not (0.0 <= density <= 1.0):
                raise ConnectomeError(f"Connectome.threshold: density must be in [0, 1], got {density}.")
            n = self.n_regions
            off = self._offdiag
            vals = np.abs(w[off])
            k = int(round(density * n * (n - 1)))
            keep = np.zeros(vals.size, dtype=bool)
            if k > 0:
                keep[np.argsort(-vals, kind="stable")[:k]] = True
            sub = w[off]
            sub[~keep] = 0.0
            w[off] = sub
        return replace(self, weights=w)

    def without_self_connections(self) -> "Connectome":
        """Copy with the diagonal of ``weights`` set to zero (tract lengths unchanged)."""
        w = self.weights.copy()
        np.fill_diagonal(w, 0.0)
        return replace(self, weights=w)

    remove_self_connections = without_self_connections

    def subset(self, regions: Iterable[int | str] | np.ndarray) -> "Connectome":
        """Copy restricted to some regions (indices, labels or a boolean mask), in the given order."""
        regions = list(regions) if not isinstance(regions, np.ndarray) else regions
        if isinstance(regions, np.ndarray) and regions.dtype == bool:
            if regions.shape != (self.n_regions,):
                raise ConnectomeError(f"Connectome.subset: boolean mask has shape {regions.shape}, expected ({self.n_regions},).")
            idx = np.flatnonzero(regions)
        else:
            idx_list = []
            for r in regions:
                if isinstance(r, str):
                    idx_list.append(self.index(r))
                else:
                    i = int(r)
                    if i != r or not -self.n_regions <= i < self.n_regions:
                        raise ConnectomeError(f"Connectome.subset: index {r!r} out of range for {self.n_regions} regions.")
                    idx_list.append(i % self.n_regions)
            idx = np.asarray(idx_list, dtype=int)
        if idx.size == 0:
            raise ConnectomeError("Connectome.subset: no regions selected.")
        if np.unique(idx).size != idx.size:
            raise ConnectomeError("Connectome.subset: a region is selected twice.")
        ix = np.ix_(idx, idx)

        def take(a):
            return None if a is None else a[idx]

        return replace(
            self,
            weights=self.weights[ix],
            tract_lengths=None if self.tract_lengths is None else self.tract_lengths[ix],
            labels=[self.labels[i] for i in idx],
            centres=take(self.centres),
            areas=take(self.areas),
            cortical=take(self.cortical),
            hemispheres=take(self.hemispheres),
        )

    def regions_lacking_input(self) -> list[str]:
        """Labels of the regions that receive no input (row sum of the weights 0)."""
        return [self.labels[i] for i in np.flatnonzero(self.weights.sum(axis=1) == 0)]

    def without_regions_lacking_input(self) -> "Connectome":
        """Copy without the regions that receive no input, repeated until every region left receives some
        (removing a region removes its outputs too). Raises if no region would be left.

        Examples
        --------
        >>> import numpy as np
        >>> c = Connectome(np.array([[0., 1., 1.], [1., 0., 1.], [0., 0., 0.]]), labels=["a", "b", "c"])
        >>> c.without_regions_lacking_input().labels
        ('a', 'b')
        """
        c = self
        while True:
            keep = c.weights.sum(axis=1) != 0
            if keep.all():
                return c
            if not keep.any():
                raise ConnectomeError("Connectome.without_regions_lacking_input: no region receives input.")
            c = c.subset(keep)

    def scaled(self, factor: float) -> "Connectome":
        """Copy with weights multiplied by ``factor``."""
        return replace(self, weights=self.weights * float(factor))

    # ------------------------------------------------------------------ plotting
    def plot(self, ax=None, *, what: str = "weights", log: bool = False, cmap: str = "viridis"):
        """Show the weights (or tract lengths) matrix with matplotlib; returns the Axes.

        Works with any backend (including Agg); rows are targets, columns sources.
        """
        import matplotlib.pyplot as plt
        from matplotlib.colors import LogNorm

        if what not in ("weights", "tract_lengths"):
            raise ConnectomeError(f"Connectome.plot: what must be 'weights' or 'tract_lengths', got {what!r}.")
        m = getattr(self, what)
        if m is None:
            raise ConnectomeError(f"Connectome.plot: this connectome has no {what}.")
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4.5))
        norm = None
        data = m
        if log:
            pos = m[m > 0]
            if pos.size == 0:
                raise ConnectomeError("Connectome.plot(log=True): no positive entries to show.")
            data = np.where(m > 0, m, np.nan)
            norm = LogNorm(vmin=pos.min(), vmax=pos.max())
        im = ax.imshow(data, cmap=cmap, norm=norm, interpolation="nearest")
        ax.figure.colorbar(im, ax=ax, label=what.replace("_", " ") + (" (mm)" if what == "tract_lengths" else ""))
        ax.set_xlabel("source region")
        ax.set_ylabel("target region")
        ax.set_title(self.name or f"{self.n_regions}-region connectome")
        return ax

    # ------------------------------------------------------------------ files (neurodyn.network.formats)
    def save(self, path: str | os.PathLike) -> Path:
        """Write to ``.npz`` (every field) or ``.zip`` (TVB layout); returns the path.

        See :func:`neurodyn.network.formats.write_connectome`.
        """
        from neurodyn.network.formats import write_connectome
        return write_connectome(self, path)

    @classmethod
    def from_tvb_zip(cls, path: str | os.PathLike, **kwargs) -> "Connectome":
        """Read a TVB connectivity zip (members may be in a sub-folder and ``.bz2``/``.gz`` compressed).

        See :func:`neurodyn.network.formats.read_tvb_zip`.
        """
        from neurodyn.network.formats import read_tvb_zip
        return read_tvb_zip(path, **kwargs)

    @classmethod
    def from_tvb_data(cls, name: str | int = 76, **kwargs) -> "Connectome":
        """One of the small connectomes shipped with the optional ``tvb-data`` package (66, 68, 76, 96, 192).

        See :func:`neurodyn.network.formats.read_tvb_data`.
        """
        from neurodyn.network.formats import read_tvb_data
        return read_tvb_data(name=name, **kwargs)

    @classmethod
    def from_mat(cls, path: str | os.PathLike, weights_key: str = "Cmat", lengths_key: str | None = "Dmat",
             **kwargs) -> "Connectome":
        """Read a MATLAB file in neurolib's layout (``Cmat`` weights, ``Dmat`` tract lengths in mm).

        See :func:`neurodyn.network.formats.read_mat`.
        """
        from neurodyn.network.formats import read_mat
        return read_mat(path, weights_key=weights_key, lengths_key=lengths_key, **kwargs)

    @classmethod
    def from_matrices(cls, weights, tract_lengths=None, **kwargs) -> "Connectome":
        """Build from arrays or plain matrix files (``.npy``, ``.csv``, whitespace ``.txt``/``.dat``).

        See :func:`neurodyn.network.formats.read_matrices`.
        """
        from neurodyn.network.formats import read_matrices
        return read_matrices(weights, tract_lengths=tract_lengths, **kwargs)

    @classmethod
    def from_triplets(cls, path: str | os.PathLike, *, index_base: int = 0, **kwargs) -> "Connectome":
        """Read an ``i j value`` triplet file whose first line is the number of regions.

        See :func:`neurodyn.network.formats.read_triplets`.
        """
        from neurodyn.network.formats import read_triplets
        return read_triplets(path, index_base=index_base, **kwargs)

    @classmethod
    def from_npz(cls, path: str | os.PathLike, key: str | None = None, **kwargs) -> "Connectome":
        """Read an ``.npz``: the layout :meth:`save` writes, or a single-matrix archive.

        See :func:`neurodyn.network.formats.read_npz`.
        """
        from neurodyn.network.formats import read_npz
        return read_npz(path, key=key, **kwargs)

    @classmethod
    def from_aal90(cls, directory: str | os.PathLike, matrix: str = "raw", **kwargs) -> "Connectome":
        """The AAL90 data of Delicado, Huguet & Clusella 2025 from its folder (``sc2017.dat``, ``aal.dat``).

        See :func:`neurodyn.network.formats.read_aal90`.
        """
        from neurodyn.network.formats import read_aal90
        return read_aal90(directory, matrix=matrix, **kwargs)
