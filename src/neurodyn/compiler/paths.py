"""Where neurodyn keeps generated and compiled code: ``$NEURODYN_CACHE_DIR`` or ``~/.cache/neurodyn``.

Examples
--------
>>> from neurodyn.compiler.paths import cache_root
>>> cache_root().is_absolute()
True
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

#: environment variable naming the cache directory
CACHE_ENV = "NEURODYN_CACHE_DIR"


def cache_root() -> Path:
    """The cache root (not created here): ``$NEURODYN_CACHE_DIR`` or ``~/.cache/neurodyn``."""
    root = os.environ.get(CACHE_ENV)
    return Path(root).resolve() if root else Path.home() / ".cache" / "neurodyn"


@functools.lru_cache(maxsize=None)
def source_hash(files: tuple, salt: str = "", length: int = 16) -> str:
    """SHA-256 of ``salt`` and the bytes of ``files`` in order (read once per process), cut to ``length``: the
    part of a cache key that makes changed source code never reuse old generated or compiled artefacts."""
    h = hashlib.sha256(salt.encode())
    for f in files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:length]
