"""Numba's on-disk cache, made safe: a damaged cache entry is deleted and the function recompiled, with a warning.

Numba reads a function's cached machine code (``__pycache__/*.nbi`` index, ``*.nbc`` data) on its first call;
a truncated or foreign file makes that call raise (an unpickling error, or a ValueError from the index) and, left
alone, breaks every later run too. :class:`CacheSafe` wraps an entry point: if its first call fails inside
Numba's caching code, the cache files of the kernel module and of the runtime helpers are deleted and the call
is repeated (Numba then compiles afresh and stores a good entry).

Examples
--------
>>> def f(x):
...     return x + 1
>>> CacheSafe(f, [])(1)
2
"""
from __future__ import annotations

import warnings
from pathlib import Path

__all__ = ["CacheSafe", "from_numba_cache"]


def from_numba_cache(exc: BaseException) -> bool:
    """True if ``exc`` was raised while Numba was reading or writing its cache."""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename.replace("\\", "/")
        if name.endswith("numba/core/caching.py"):
            return True
        tb = tb.tb_next
    return False


class CacheSafe:
    """``func`` (a Numba dispatcher) whose first call survives a damaged cache in ``cache_dirs``."""

    __slots__ = ("func", "cache_dirs", "checked")

    def __init__(self, func, cache_dirs):
        self.func, self.cache_dirs, self.checked = func, [Path(d) for d in cache_dirs], False

    def __call__(self, *args):
        if self.checked:
            return self.func(*args)
        try:
            out = self.func(*args)
        except Exception as exc:  # noqa: BLE001 - only Numba's caching errors are handled, others re-raised
            if not from_numba_cache(exc):
                raise
            removed = self.clear()
            warnings.warn(f"neurodyn: Numba's cache of a kernel was damaged ({type(exc).__name__}: {exc}); deleted "
                          f"{removed} cache file(s) and compiling again", RuntimeWarning, stacklevel=2)
            out = self.func(*args)
        self.checked = True
        return out

    def clear(self) -> int:
        """Delete the ``*.nbi`` / ``*.nbc`` files of the cache directories; returns how many."""
        n = 0
        for d in self.cache_dirs:
            for p in list(d.glob("*.nbi")) + list(d.glob("*.nbc")):
                try:
                    p.unlink()
                    n += 1
                except OSError:
                    pass
        return n

    def __getattr__(self, name):
        return getattr(self.func, name)
