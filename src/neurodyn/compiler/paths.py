"""Where neurodyn keeps generated and compiled code: ``$NEURODYN_CACHE_DIR`` or ``~/.cache/neurodyn``.

Examples
--------
>>> from neurodyn.compiler.paths import cache_root
>>> cache_root().is_absolute()
True
"""
from __future__ import annotations

import os
from pathlib import Path

#: environment variable naming the cache directory
CACHE_ENV = "NEURODYN_CACHE_DIR"


def cache_root() -> Path:
    """The cache root (not created here): ``$NEURODYN_CACHE_DIR`` or ``~/.cache/neurodyn``."""
    root = os.environ.get(CACHE_ENV)
    return Path(root).resolve() if root else Path.home() / ".cache" / "neurodyn"
