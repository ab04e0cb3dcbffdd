"""Where neurodyn keeps generated and compiled code, and the fingerprints that keep it from going stale.

The root is the ``cache_dir`` setting (:mod:`neurodyn.config`: ``NEURODYN_CACHE_DIR``, default
``~/.cache/neurodyn``). Each kind of artefact has a sub-directory (:func:`cache_subdir`). A root that cannot be
created or written (a read-only home, a path that is a file) is not fatal: neurodyn warns once and uses a
directory of its own under the system's temporary directory instead.

Examples
--------
>>> from neurodyn.caching import cache_root
>>> cache_root().is_absolute()
True
"""
from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import warnings
from pathlib import Path

from neurodyn.config import get_option

__all__ = ["cache_root", "cache_subdir", "source_hash", "atomic_write"]

_FALLBACK_WARNED: set = set()


def cache_root() -> Path:
    """The configured cache root (not created here): ``cache_dir`` or ``~/.cache/neurodyn``."""
    root = get_option("cache_dir")
    return Path(root) if root is not None else Path.home() / ".cache" / "neurodyn"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError:
        return False


def cache_subdir(name: str) -> Path:
    """``<cache root>/<name>``, created on demand; a temporary fallback (with a warning) if it is not writable.

    >>> import tempfile, neurodyn
    >>> with neurodyn.set_options(cache_dir=tempfile.mkdtemp()):
    ...     cache_subdir("kernels-example").is_dir()
    True
    """
    path = cache_root() / name
    if _writable(path):
        return path
    fallback = Path(tempfile.gettempdir()) / f"neurodyn-cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    key = (str(cache_root()), name)
    if key not in _FALLBACK_WARNED:
        _FALLBACK_WARNED.add(key)
        warnings.warn(f"neurodyn: the cache directory {path} cannot be created or written; using {fallback / name} "
                      f"instead (set NEURODYN_CACHE_DIR or neurodyn.set_options(cache_dir=...) to a writable "
                      f"directory to keep compiled kernels between sessions)", RuntimeWarning, stacklevel=2)
    out = fallback / name
    out.mkdir(parents=True, exist_ok=True)
    return out


@functools.lru_cache(maxsize=None)
def source_hash(files: tuple, salt: str = "", length: int = 16) -> str:
    """SHA-256 of ``salt`` and the bytes of ``files`` in order (read once per process), cut to ``length``: the
    part of a cache key that makes changed source code never reuse old generated or compiled artefacts."""
    h = hashlib.sha256(salt.encode())
    for f in files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:length]


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename, so a concurrent
    reader sees the old file or the whole new one, never half of it."""
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
