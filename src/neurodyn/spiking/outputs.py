"""Outputs of the spiking networks: population rates from per-step spike counts, spike sinks, memory checks.

The kernel counts the spikes of every population in every step (4 bytes per step and population), so rates
can be estimated afterwards in any way without keeping spike trains:

- ``rate='binned'``: sample k (t_k = k ds) counts the spikes with times in (t_k - b/2, t_k + b/2], b = ds (or
  ``rate_bin``), divided by N and the covered time (half a bin at t = 0);
- ``rate=('gaussian', sigma)``: the per-step rate convolved with a Gaussian of standard deviation sigma
  (normalised where it is cut off at the ends of the run), sampled at t_k.

Spike trains (times and neuron ids) are held in memory, passed to a callback chunk by chunk, or written to an
HDF5 file as the run proceeds (:class:`SpikeSink`; read the file back with :func:`read_spikes`).

Examples
--------
>>> import numpy as np
>>> counts = np.zeros((10, 1), dtype=np.int32); counts[4, 0] = 2    # 2 spikes at t = 5 dt
>>> binned_rate(counts, n=np.array([4]), dt=0.1, every=5, n_samples=2, width_steps=5)[:, 0].round(6).tolist()
[0.0, 1.0]
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neurodyn.errors import InputError, MemoryBudgetError
from neurodyn.observables.memory import available_memory_bytes, format_bytes

__all__ = ["binned_rate", "gaussian_rate", "SpikeSink", "read_spikes", "SPIKE_BYTES", "memory_budget"]

#: bytes held per recorded spike (time as float64, neuron id as int32)
SPIKE_BYTES = 12


def _emission_cumsum(counts: np.ndarray) -> np.ndarray:
    """cum[m] = spikes with time <= m dt (the spikes of step n have time (n + 1) dt)."""
    cum = np.zeros((counts.shape[0] + 1, counts.shape[1]), dtype=np.int64)
    np.cumsum(counts, axis=0, out=cum[1:])
    return cum


def binned_rate(counts: np.ndarray, n: np.ndarray, dt: float, every: int, n_samples: int,
                width_steps: int) -> np.ndarray:
    """Rate at t_k = k every dt from the spikes in (t_k - w/2, t_k + w/2] (w = width_steps dt), per neuron and
    unit time; the window is cut at 0 and at the end of the run (and divided by the part covered)."""
    cum = _emission_cumsum(counts)
    n_steps = counts.shape[0]
    centre = np.arange(n_samples) * every
    lo = np.clip(np.floor(centre - width_steps / 2.0).astype(np.int64), 0, n_steps)
    hi = np.clip(np.floor(centre + width_steps / 2.0).astype(np.int64), 0, n_steps)
    width = (hi - lo) * dt
    with np.errstate(invalid="ignore", divide="ignore"):
        return (cum[hi] - cum[lo]) / (width[:, None] * np.asarray(n, dtype=float)[None, :])


def gaussian_rate(counts: np.ndarray, n: np.ndarray, dt: float, every: int, n_samples: int,
                  sigma: float) -> np.ndarray:
    """Per-step rate smoothed with a Gaussian of standard deviation ``sigma`` (time units), sampled at t_k."""
    from scipy.ndimage import gaussian_filter1d
    per_step = np.zeros((counts.shape[0] + 1, counts.shape[1]))
    per_step[1:] = counts / (dt * np.asarray(n, dtype=float)[None, :])
    mask = np.ones(per_step.shape[0])
    mask[0] = 0.0                                            # no spike can have time 0
    s = sigma / dt
    num = gaussian_filter1d(per_step, s, axis=0, mode="constant", truncate=4.0)
    den = gaussian_filter1d(mask, s, mode="constant", truncate=4.0)
    idx = np.minimum(np.arange(n_samples) * every, per_step.shape[0] - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num[idx] / den[idx, None]


def memory_budget(memory_limit) -> int | None:
    """Bytes the held outputs may take: ``memory_limit`` bytes, None (no limit), or 'auto' (half of the memory
    available now)."""
    if memory_limit is None:
        return None
    if isinstance(memory_limit, str):
        if memory_limit != "auto":
            raise InputError(f"memory_limit must be a number of bytes, None or 'auto', got {memory_limit!r}")
        avail = available_memory_bytes()
        return None if avail is None else int(0.5 * avail)
    v = float(memory_limit)
    if not v > 0:
        raise InputError(f"memory_limit must be positive, got {memory_limit!r}")
    return int(v)


class SpikeSink:
    """Where recorded spikes go: held in memory (``None``), a callable ``f(times, neurons)`` called per chunk,
    or an HDF5 file written as the run proceeds (a path ending in .h5 or .hdf5; datasets ``spike_time`` and
    ``spike_neuron``)."""

    def __init__(self, target=None):
        self.target = target
        self.kind = "memory" if target is None else ("callback" if callable(target) else "file")
        self.count = 0
        self._chunks: list = []
        self._file = None
        if self.kind == "file":
            path = Path(os.fspath(target))
            if path.suffix not in (".h5", ".hdf5"):
                raise InputError(f"spike_sink: a file must end in .h5 or .hdf5 (HDF5), got {str(path)!r}; or pass "
                                 f"a callable f(times, neurons)")
            self.path = path

    def __repr__(self) -> str:
        where = {"memory": "in memory", "callback": f"to {self.target!r}", "file": f"to {getattr(self, 'path', '')}"}
        return f"<SpikeSink {where[self.kind]}: {self.count} spikes>"

    def open(self, attrs: dict) -> None:
        if self.kind != "file":
            return
        import h5py
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = h5py.File(self.path, "w")
        self._file.create_dataset("spike_time", shape=(0,), maxshape=(None,), dtype="f8", chunks=(65536,))
        self._file.create_dataset("spike_neuron", shape=(0,), maxshape=(None,), dtype="i4", chunks=(65536,))
        for k, v in attrs.items():
            self._file.attrs[k] = v if isinstance(v, (int, float, str)) else str(v)

    def write(self, times: np.ndarray, neurons: np.ndarray) -> None:
        self.count += times.size
        if self.kind == "memory":
            self._chunks.append((times.copy(), neurons.copy()))
        elif self.kind == "callback":
            self.target(times, neurons)
        elif times.size:
            for name, arr in (("spike_time", times), ("spike_neuron", neurons)):
                d = self._file[name]
                d.resize((d.shape[0] + arr.size,))
                d[-arr.size:] = arr

    @property
    def held_bytes(self) -> int:
        return self.count * SPIKE_BYTES if self.kind == "memory" else 0

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All spikes held in memory (times, neurons)."""
        if not self._chunks:
            return np.empty(0), np.empty(0, dtype=np.int32)
        return (np.concatenate([c[0] for c in self._chunks]), np.concatenate([c[1] for c in self._chunks]))


def read_spikes(path) -> tuple[np.ndarray, np.ndarray, dict]:
    """(times, neuron ids, attributes) from a spike file written during a run (``spike_sink='file.h5'``).

    Examples
    --------
    >>> import tempfile, os
    >>> sink = SpikeSink(os.path.join(tempfile.mkdtemp(), "s.h5")); sink.open({"dt": 0.1})
    >>> sink.write(np.array([0.1, 0.2]), np.array([3, 4], dtype=np.int32)); sink.close()
    >>> t, i, attrs = read_spikes(sink.path)
    >>> t.tolist(), i.tolist(), float(attrs["dt"])
    ([0.1, 0.2], [3, 4], 0.1)
    """
    import h5py
    path = Path(os.fspath(path))
    if not path.is_file():
        raise InputError(f"no spike file at {str(path)!r}")
    with h5py.File(path, "r") as f:
        return f["spike_time"][:], f["spike_neuron"][:], dict(f.attrs)


def check_spike_memory(sink: SpikeSink, budget: int | None, steps_done: int, n_steps: int, dt: float) -> None:
    """Stop a run whose held spikes exceed ``budget`` or are on course to (after 5 % of the run)."""
    if budget is None or sink.kind != "memory" or steps_done == 0:
        return
    held = sink.held_bytes
    projected = held * n_steps / steps_done
    if held > budget or (steps_done >= 0.05 * n_steps and projected > budget):
        raise MemoryBudgetError(
            f"spike output: {sink.count} spikes ({format_bytes(held)}) held after t = {steps_done * dt:g} of "
            f"{n_steps * dt:g}; at this rate the run would hold about {format_bytes(projected)}, more than the "
            f"memory budget {format_bytes(budget)}. Use spikes=False (population rates come from per-step "
            f"counts and need no spike trains), spikes=<k> to record only k neurons per population for a raster, "
            f"or stream them: spike_sink='spikes.h5' (written as the run goes) or spike_sink=<callable(times, "
            f"neurons)>; or raise memory_limit.")
