"""Built IRs on disk, keyed by the circuit's complete definition, so that a warm process skips SymPy.

Building the IR parses every equation with SymPy and hoists constant subexpressions: ~0.2 s for Jansen-Rit,
plus ~0.7 s to import SymPy and tear it down at exit, which is most of a short run's wall time once the kernel
itself is cached. :func:`cached_build_ir` stores each IR it builds (with the run-time side of its hoisted
constants, :class:`neurodyn.ir.hoist.HoistedValues`) and returns the stored one when the same circuit is
compiled again. A stored IR keeps its SymPy expressions pickled until something needs them (code generation,
Jacobians), so running it never imports SymPy.

The key hashes everything ``build_ir`` reads: the circuit's name, its nodes in order with their templates'
operators (equations, variable declarations and values, arrays by their bytes), edges with their templates,
weights, delays and spreads, matrix edges with their arrays, the driven paths and the step size, together with
the neurodyn version and the source of the IR builder, the template language and the hoisting. A changed
template file therefore gives a new key, never a stale IR. The directory keeps at most ``MAX_ENTRIES`` IRs and
``MAX_BYTES`` bytes, dropping the least recently used first; a single IR larger than ``MAX_ENTRY_BYTES`` (e.g.
a network of 10^4 regions) is not stored at all, so that a loop over coupling values cannot flood the disk.
``NEURODYN_IR_CACHE=0`` switches the cache off.

Examples
--------
>>> from neurodyn.ir.cache import circuit_key
>>> from neurodyn.lang.templates import CircuitTemplate
>>> jrc = CircuitTemplate.from_yaml("model_templates.neural_mass_models.jansenrit.JRC")
>>> circuit_key(jrc, (), None) == circuit_key(jrc, (), None) != circuit_key(jrc, (), 1e-4)
True
"""
from __future__ import annotations

import hashlib
import os
import pickle
import warnings
from pathlib import Path

import numpy as np

from neurodyn._version import __version__
from neurodyn.ir.hoist import hoisted_values, install_hoisted_values
from neurodyn.caching import atomic_write, cache_subdir, source_hash
from neurodyn.config import get_option

__all__ = ["ENV", "MAX_ENTRIES", "MAX_BYTES", "MAX_ENTRY_BYTES", "enabled", "circuit_key", "cached_build_ir",
           "build_ir_store_later", "ir_cache_dir"]

#: environment variable switching the IR cache off (``0``)
ENV = "NEURODYN_IR_CACHE"
#: number of stored IRs kept (least recently used ones are deleted beyond it)
MAX_ENTRIES = 256
#: total bytes of stored IRs kept (a 998-region network's IR is ~16 MB)
MAX_BYTES = 512 * 2 ** 20
#: an IR larger than this is built every time instead of stored
MAX_ENTRY_BYTES = 64 * 2 ** 20


def enabled() -> bool:
    """The ``ir_cache`` setting (:mod:`neurodyn.config`; ``NEURODYN_IR_CACHE=0`` switches it off)."""
    return bool(get_option("ir_cache"))


def _fingerprint() -> str:
    """Hash of the sources that decide what an IR contains."""
    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py")) + sorted((here.parent / "lang").glob("*.py"))
    return source_hash(tuple(files), salt=__version__)


def _feed(h, value) -> None:
    """Hash ``value`` exactly: arrays by dtype, shape and bytes (their repr is abbreviated), the rest by repr."""
    if isinstance(value, np.ndarray):
        h.update(f"<ndarray {value.dtype.str} {value.shape}>".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (list, tuple)):
        h.update(f"<{type(value).__name__} {len(value)}>".encode())
        for v in value:
            _feed(h, v)
    else:
        h.update(repr(value).encode())
    h.update(b"\x00")


def _feed_template(h, template) -> None:
    _feed(h, (type(template).__name__, template.name))
    for op in template.operators:
        _feed(h, (op.name, op.path, tuple(op.equations)))
        for name, d in sorted(op.variables.items()):
            _feed(h, (name, d.kind, d.dtype))
            _feed(h, d.value)


def circuit_key(circuit, driven, step_size, zero_delays: str = "instant") -> str:
    """The cache key of ``build_ir(circuit, driven, step_size, zero_delays)`` (see the module docstring)."""
    h = hashlib.sha256(_fingerprint().encode())
    _feed(h, (circuit.name, tuple(sorted(driven or ())), step_size, zero_delays))
    for name, template in circuit.flat_nodes().items():       # in order: the IR's node order follows it
        _feed(h, ("node", name))
        _feed_template(h, template)
    for e in circuit.flat_edges():
        _feed(h, ("edge", e.source, e.target, e.spread, tuple(sorted(e.extra.items()))))
        _feed(h, e.weight)
        _feed(h, e.delay)
        if e.template is not None:
            _feed_template(h, e.template)
    for m in circuit.flat_matrix_edges():
        _feed(h, ("matrix", m.source, m.target, tuple(m.sources), tuple(m.targets)))
        _feed(h, m.weights)
        _feed(h, m.delays)
    return h.hexdigest()[:32]


def ir_cache_dir() -> Path:
    """``<cache root>/ir-<version>``, created on demand."""
    return cache_subdir(f"ir-{__version__}")


def _load(path: Path):
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f)
        if entry.get("key") != path.stem:
            raise ValueError(f"the entry was stored under the key {entry.get('key')!r}, not {path.stem!r}")
        ir = entry["ir"]
        for gi, values in entry["hoists"].items():
            install_hoisted_values(ir.groups[gi], values)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign cache entry is rebuilt, not fatal
        warnings.warn(f"neurodyn: ignoring the cached IR {path} ({type(exc).__name__}: {exc}); rebuilding it",
                      RuntimeWarning, stacklevel=3)
        return None
    try:
        os.utime(path)          # most recently used
    except OSError:
        pass
    return ir


def _store(path: Path, ir) -> None:
    ir.structure_hash()         # memoised in the IR, so a loaded IR never recomputes it (that needs SymPy)
    hoists = {gi: hoisted_values(g) for gi, g in enumerate(ir.groups)}    # every group, also those with none
    # the entry carries its own key: a swapped, renamed or stale file is never run as another model
    data = pickle.dumps({"key": path.stem, "ir": ir, "hoists": hoists}, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) > MAX_ENTRY_BYTES:
        return
    atomic_write(path, data)    # a concurrent reader sees the old entry or the whole new one
    _evict(path.parent)


def _evict(directory: Path) -> None:
    """Delete the least recently used entries beyond ``MAX_ENTRIES`` or ``MAX_BYTES``."""
    entries = []
    for p in directory.glob("*.pkl"):
        try:
            st = p.stat()
        except OSError:         # deleted by another process meanwhile
            continue
        entries.append((st.st_mtime, st.st_size, p))
    entries.sort(key=lambda e: e[0], reverse=True)        # newest first
    total = 0
    for k, (_, size, p) in enumerate(entries):
        total += size
        if k >= MAX_ENTRIES or total > MAX_BYTES:
            try:
                p.unlink()
            except OSError:
                pass


def cached_build_ir(circuit, driven=(), step_size: float | None = None, zero_delays: str = "instant"):
    """``build_ir(circuit, driven=driven, step_size=step_size, zero_delays=zero_delays)``, from the cache when
    this exact circuit was built before (by any process)."""
    ir, store = build_ir_store_later(circuit, driven, step_size, zero_delays)
    if store is not None:
        store()
    return ir


def build_ir_store_later(circuit, driven=(), step_size: float | None = None, zero_delays: str = "instant"):
    """:func:`cached_build_ir` as ``(ir, store)``: ``store`` is None when the IR came from the cache (or caching
    is off), else a function that writes the new IR to the cache, for the caller to call when it suits it (e.g.
    while the kernel compiles)."""
    from neurodyn.ir.build import build_ir
    if not enabled():
        return build_ir(circuit, driven=driven, step_size=step_size, zero_delays=zero_delays), None
    path = ir_cache_dir() / f"{circuit_key(circuit, driven, step_size, zero_delays)}.pkl"
    ir = _load(path) if path.exists() else None
    if ir is not None:
        return ir, None
    ir = build_ir(circuit, driven=driven, step_size=step_size, zero_delays=zero_delays)

    def store() -> None:
        try:
            _store(path, ir)
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            warnings.warn(f"neurodyn: could not store the IR of {circuit.name!r} in {path.parent} ({exc}); "
                          "it will be rebuilt next time", RuntimeWarning, stacklevel=3)
    return ir, store
