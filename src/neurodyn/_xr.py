"""xarray, imported once for neurodyn, without the duck-array imports its first Dataset would trigger.

Creating the first xarray Variable of a process asks xarray whether the data is a dask, pint, sparse, cupy or
cubed array; to answer, xarray imports each of those packages that is installed (``import dask.array`` alone is
~0.6 s, pint ~0.15 s), although numpy data can be none of them. That was ~0.9 s of every network run, sweep and
spiking run in a fresh process (dask is one of neurodyn's dependencies, for sweeps).

The answer does not need the import: an object can only be an instance of ``dask.array.Array`` if
``dask.array`` has been imported. :func:`install` fills xarray's cache of duck-array modules with entries whose
array types check exactly that (:class:`_ArrayTypeOf`: ``isinstance(x, T)`` is ``isinstance(x,
dask.array.Array)`` when ``dask.array`` is in ``sys.modules``, else False), whose module is imported when first
asked for, and whose version comes from the package metadata. Dask arrays, pint quantities and the others keep
working in xarray as before (tests/core/test_xarray_fast.py). Entries xarray has already created are left alone,
and if xarray's internals differ from what is expected (another xarray version), nothing is changed.

Examples
--------
>>> from neurodyn._xr import xr
>>> xr.DataArray([1.0, 2.0], dims="t").sum().item()
3.0
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

import xarray as xr

__all__ = ["xr", "install"]

#: xarray's duck-array modules: (module whose class is checked, class name)
_TYPES = {"dask": ("dask.array", "Array"), "pint": ("pint", "Quantity"), "sparse": ("sparse", "SparseArray"),
          "cupy": ("cupy", "ndarray"), "cubed": ("cubed", "Array")}


class _LazyTypeMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        real = cls._real()
        return real is not None and isinstance(obj, real)

    def __subclasscheck__(cls, sub) -> bool:
        real = cls._real()
        return real is not None and issubclass(sub, real)


class _ArrayTypeOf(metaclass=_LazyTypeMeta):
    """Stands for ``<module>.<name>`` in isinstance checks without importing ``module`` (see the module doc)."""

    _module = _name = ""

    @classmethod
    def _real(cls):
        mod = sys.modules.get(cls._module)
        return None if mod is None else getattr(mod, cls._name, None)


class _LazyDuckArrayModule:
    """What xarray's ``DuckArrayModule`` records (module, version, array types, availability), found lazily."""

    def __init__(self, mod: str, module_name: str, class_name: str):
        self._mod = mod
        self.available = importlib.util.find_spec(mod) is not None
        self.type = (type(f"{class_name}Of_{mod}", (_ArrayTypeOf,), {"_module": module_name, "_name": class_name}),) \
            if self.available else ()
        self._module = self._version = None

    @property
    def module(self):
        if self._module is None and self.available:
            self._module = importlib.import_module(self._mod)
        return self._module

    @property
    def version(self):
        if self._version is None:
            from packaging.version import Version
            try:
                from importlib.metadata import version
                self._version = Version(version(self._mod)) if self.available else Version("0.0.0")
            except Exception:       # noqa: BLE001 - no metadata: ask the module, as xarray does
                self._version = Version(self.module.__version__)
        return self._version


def install() -> bool:
    """Fill xarray's duck-array cache with lazy entries (once; only entries not made yet). True if installed."""
    try:
        from xarray.namedarray import pycompat
        cache = pycompat._cached_duck_array_modules
        if not (isinstance(cache, dict) and callable(getattr(pycompat, "array_type", None))):
            return False
    except (ImportError, AttributeError):
        return False
    for mod, (module_name, class_name) in _TYPES.items():
        if mod not in cache:
            cache[mod] = _LazyDuckArrayModule(mod, module_name, class_name)
    return True


install()
