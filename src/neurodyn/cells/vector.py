"""NEURON's ``Vector``: a growable float64 vector that records a variable or spike times, with the methods NEURON
scripts use. Semantics follow NEURON 9 (checked side by side in tests/cells/test_cells_idioms.py): ``fill``,
``max``, ``min`` take inclusive index ranges; ``max``/``min``/``sum`` of an empty vector are 0, ``mean`` needs
one element and ``stdev``/``var`` two (a :class:`VectorError` otherwise, as NEURON's error); a slice is a new
Vector; ``as_numpy()`` is a view of the data (writes go through).

Examples
--------
>>> from neurodyn.cells.vector import Vector
>>> v = Vector([3.0, 1.0, 2.0]).append(5)
>>> v.to_python(), v.max(), v.min_ind(), v.mean()
([3.0, 1.0, 2.0, 5.0], 5.0, 1, 2.75)
>>> v.resize(6).fill(7, 4, 5).to_python()
[3.0, 1.0, 2.0, 5.0, 7.0, 7.0]
>>> v[-1], v[1:3].to_python()
(7.0, [1.0, 2.0])
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from neurodyn.cells.errors import RecordingError, VectorError
from neurodyn.cells.section import Reference, TimeReference

__all__ = ["Vector"]


def _index(i, n: int, what: str) -> int:
    if isinstance(i, bool) or not isinstance(i, numbers.Integral):
        raise VectorError(f"Vector.{what}: indices must be integers, got {i!r}")
    i = int(i)
    if not 0 <= i < n:
        raise IndexError(f"Vector.{what}: index {i} out of range for a Vector of size {n}")
    return i


class Vector:
    """A growable float vector that can record a variable (``vec.record(seg._ref_v)``) or spike times
    (``netcon.record(vec)``).

    Parameters
    ----------
    data : int, sequence or array, optional
        A size (zeros, or ``value`` everywhere) or the initial elements.
    value : float, optional
        With an integer ``data``: the value of every element (``h.Vector(5, 2.5)``).
    """

    def __init__(self, data=None, value: float | None = None, model=None):
        self._chunks: list[np.ndarray] = []
        if isinstance(data, numbers.Integral) and not isinstance(data, bool):
            if data < 0:
                raise VectorError(f"Vector({data}): the size must be >= 0")
            self._data = np.full(int(data), 0.0 if value is None else float(value))
        else:
            if value is not None:
                raise VectorError("Vector(data, value): a fill value goes with an integer size, e.g. Vector(5, 2.5)")
            self._data = np.asarray([] if data is None else data, dtype=float).ravel().copy()
        self._ref = None
        self._rec_dt = None
        self._rec_every, self._rec_phase = 1, 0
        self._rec_tnext, self._rec_pending = 0.0, None
        self._model = model
        self._uid = None

    def _flush(self) -> np.ndarray:
        if self._chunks:
            self._data = np.concatenate([self._data] + self._chunks)
            self._chunks = []
        return self._data

    # ------------------------------------------------------------------ recording
    def record(self, ref, Dt: float | None = None, sec=None) -> "Vector":
        """Record ``ref`` (``seg._ref_v``, ``seg.hh._ref_m``, ``syn._ref_g``, ``h._ref_t``).

        Samples are taken at t = 0 and then every ``dt`` (fixed step: after every step; adaptive method: every
        ``model.dt`` by dense output), or every ``Dt`` when given, as NEURON's ``Vector.record(ref, Dt)``:
        ``Dt`` must be a whole multiple of ``dt`` (checked at ``finitialize``).
        """
        from neurodyn.cells.events import PointReference
        if not isinstance(ref, (Reference, PointReference, TimeReference)):
            raise RecordingError(f"cannot record {ref!r}: pass a reference such as sec(0.5)._ref_v, "
                                 "sec(0.5).hh._ref_m, syn._ref_g or h._ref_t")
        if isinstance(Dt, Vector):
            raise RecordingError("Vector.record(ref, tvec) (sampling at the times in a Vector) is not supported; "
                                 "record every dt or every Dt (Vector.record(ref, Dt)) and interpolate")
        if Dt is not None:
            try:
                ok = math.isfinite(float(Dt)) and float(Dt) > 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise RecordingError(f"Vector.record(ref, Dt): Dt must be a positive number of ms, got {Dt!r}")
        model = self._model
        if isinstance(ref, Reference):
            model = ref.seg.sec._model
        elif isinstance(ref, PointReference):
            model = ref.pp._model
        if model is None:
            from neurodyn.cells.model import default_model
            model = default_model()
        self._ref = ref
        self._rec_dt = None if Dt is None else float(Dt)
        self._model = model
        model._register_vector(self)
        return self

    def play(self, *args, **kwargs):
        raise VectorError("Vector.play is not supported by neurodyn.cells; drive the model with an IClamp "
                          "(del, dur, amp) or NetStim events instead")

    def _start_recording(self, dt: float) -> None:
        """Called by finitialize: the recording interval in steps of ``dt`` (every step without ``Dt``)."""
        self._rec_every, self._rec_phase = 1, 0
        self._rec_tnext, self._rec_pending = 0.0, None
        if self._rec_dt is not None:
            k = int(round(self._rec_dt / dt))
            if k < 1 or abs(k * dt - self._rec_dt) > 1e-9 * self._rec_dt:
                raise RecordingError(f"Vector.record(ref, Dt={self._rec_dt:g}): Dt must be a whole multiple of dt "
                                     f"= {dt:g} ms (e.g. {max(k, 1) * dt:g}); change Dt or dt")
            self._rec_every = k

    def _append_samples(self, samples: np.ndarray, t_end: float | None = None) -> None:
        """Keep every ``_rec_every``-th sample of consecutive steps (the t = 0 sample is the first kept).

        With ``Dt``, NEURON takes a sample when its record time (0, Dt, 2 Dt, ... accumulated by repeated
        addition) is <= t at the end of a step, and otherwise at the start of the next step (the same value).
        So a sample due at the last step of a run (``t_end``, the time after it) whose record time rounds above
        ``t_end`` is appended only when the next run starts, as in NEURON.
        """
        k = self._rec_every
        if k == 1:
            self._chunks.append(samples.copy())
            return
        kept = samples[self._rec_phase::k]
        last_due = len(kept) and self._rec_phase + k * (len(kept) - 1) == len(samples) - 1
        if self._rec_pending is not None and len(samples):
            kept = np.concatenate([[self._rec_pending], kept])
            self._rec_pending = None
        times = self._rec_tnext + np.zeros(len(kept))
        for i in range(1, len(kept)):                      # NEURON's tnext += Dt, one addition per sample
            times[i] = times[i - 1] + self._rec_dt
        if len(kept) and last_due and t_end is not None and times[-1] > t_end:
            self._rec_pending = float(kept[-1])
            kept, times = kept[:-1], times[:-1]
        if len(kept):
            self._rec_tnext = float(times[-1]) + self._rec_dt
        if isinstance(self._ref, TimeReference):
            kept = times                  # NEURON delivers the sample at its record time: t is that time
        self._chunks.append(np.array(kept, dtype=float))
        self._rec_phase = (self._rec_phase - len(samples)) % k

    # ------------------------------------------------------------------ conversion
    def as_numpy(self) -> np.ndarray:
        """The data as a NumPy array (a view: writing to it changes the Vector)."""
        return self._flush()

    def to_python(self) -> list:
        return self._flush().tolist()

    def from_python(self, values) -> "Vector":
        """Replace the contents by ``values``; returns the Vector."""
        self._chunks = []
        self._data = np.asarray(values, dtype=float).ravel().copy()
        return self

    def __array__(self, dtype=None, copy=None):
        a = self._flush()
        return a.astype(dtype) if dtype is not None else a

    @property
    def x(self) -> np.ndarray:
        """``vec.x[i]`` as in hoc (a view of the data)."""
        return self._flush()

    # ------------------------------------------------------------------ size and elements
    def __len__(self) -> int:
        return len(self._flush())

    def size(self) -> int:
        return len(self)

    def __getitem__(self, i):
        a = self._flush()
        if isinstance(i, slice):
            return Vector(a[i])
        return float(a[i])

    def __setitem__(self, i, value) -> None:
        self._flush()[i] = value

    def __iter__(self):
        return iter(self._flush().tolist())

    def __contains__(self, value) -> bool:
        return bool(np.any(self._flush() == value))

    def contains(self, value) -> bool:
        """Whether some element equals ``value`` (NEURON's ``contains``)."""
        return value in self

    def append(self, *values) -> "Vector":
        """Append numbers and/or the elements of other Vectors; returns the Vector."""
        parts = [self._flush()]
        for x in values:
            parts.append(np.asarray(x._flush() if isinstance(x, Vector) else x, dtype=float).ravel())
        self._data = np.concatenate(parts)
        return self

    def resize(self, n: int) -> "Vector":
        """Keep the first ``n`` elements, or extend with zeros; returns the Vector."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise VectorError(f"Vector.resize: the size must be an integer >= 0, got {n!r}")
        a = self._flush()
        self._data = a[:n].copy() if n <= len(a) else np.concatenate([a, np.zeros(n - len(a))])
        return self

    def fill(self, value, start: int | None = None, end: int | None = None) -> "Vector":
        """Set elements ``start`` to ``end`` (inclusive; default all) to ``value``; returns the Vector."""
        a = self._flush()
        lo, hi = self._range(start, end, "fill")
        a[lo:hi] = float(value)
        return self

    def indgen(self, start: float = 0.0, step: float = 1.0) -> "Vector":
        """Elements ``start, start + step, ...`` (NEURON's ``indgen``); returns the Vector."""
        a = self._flush()
        a[:] = float(start) + float(step) * np.arange(len(a))
        return self

    def c(self) -> "Vector":
        """A copy (NEURON's ``c()``)."""
        return Vector(self._flush())

    def copy(self, src: "Vector") -> "Vector":
        """Make this Vector a copy of ``src`` (NEURON's ``dest.copy(src)``); returns this Vector."""
        if not isinstance(src, Vector):
            raise VectorError(f"Vector.copy(src) expects a Vector, got {type(src).__name__}")
        return self.from_python(src._flush())

    def clear(self) -> None:
        self._chunks = []
        self._data = np.zeros(0)

    # ------------------------------------------------------------------ statistics
    def _range(self, start, end, what: str) -> tuple[int, int]:
        n = len(self._flush())
        if start is None and end is None:
            return 0, n
        lo = _index(start, n, what)
        hi = n - 1 if end is None else _index(end, n, what)
        if hi < lo:
            raise VectorError(f"Vector.{what}({start}, {end}): the end index is before the start")
        return lo, hi + 1

    def max(self, start: int | None = None, end: int | None = None) -> float:
        """Largest element (of ``start``..``end`` inclusive); 0 for an empty Vector, as NEURON."""
        lo, hi = self._range(start, end, "max")
        a = self._flush()[lo:hi]
        return float(a.max()) if a.size else 0.0

    def min(self, start: int | None = None, end: int | None = None) -> float:
        """Smallest element (of ``start``..``end`` inclusive); 0 for an empty Vector, as NEURON."""
        lo, hi = self._range(start, end, "min")
        a = self._flush()[lo:hi]
        return float(a.min()) if a.size else 0.0

    def max_ind(self, start: int | None = None, end: int | None = None) -> int:
        """Index of the (first) largest element; -1 for an empty Vector, as NEURON."""
        lo, hi = self._range(start, end, "max_ind")
        a = self._flush()[lo:hi]
        return lo + int(np.argmax(a)) if a.size else -1

    def min_ind(self, start: int | None = None, end: int | None = None) -> int:
        """Index of the (first) smallest element; -1 for an empty Vector, as NEURON."""
        lo, hi = self._range(start, end, "min_ind")
        a = self._flush()[lo:hi]
        return lo + int(np.argmin(a)) if a.size else -1

    def sum(self, start: int | None = None, end: int | None = None) -> float:
        lo, hi = self._range(start, end, "sum")
        return float(np.sum(self._flush()[lo:hi]))

    def mean(self, start: int | None = None, end: int | None = None) -> float:
        """Arithmetic mean; a :class:`VectorError` for an empty Vector (NEURON: size must be > 0)."""
        lo, hi = self._range(start, end, "mean")
        if hi - lo < 1:
            raise VectorError("Vector.mean: the Vector must have size > 0")
        return float(np.mean(self._flush()[lo:hi]))

    def var(self, start: int | None = None, end: int | None = None) -> float:
        """Sample variance (n - 1 in the denominator), as NEURON; needs two elements."""
        lo, hi = self._range(start, end, "var")
        if hi - lo < 2:
            raise VectorError("Vector.var: the Vector must have size > 1")
        return float(np.var(self._flush()[lo:hi], ddof=1))

    def stdev(self, start: int | None = None, end: int | None = None) -> float:
        """Sample standard deviation (n - 1), as NEURON; needs two elements."""
        lo, hi = self._range(start, end, "stdev")
        if hi - lo < 2:
            raise VectorError("Vector.stdev: the Vector must have size > 1")
        return float(np.std(self._flush()[lo:hi], ddof=1))

    def __repr__(self) -> str:
        return f"Vector(size={len(self)})"
