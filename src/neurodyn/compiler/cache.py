"""Kernel modules on disk, keyed by the IR's structure hash, so a second process never regenerates or
recompiles (Numba's ``cache=True`` stores machine code next to the module).

The cache directory is ``$NEURODYN_CACHE_DIR`` or ``~/.cache/neurodyn``; delete it to force a rebuild.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from neurodyn._version import __version__
from neurodyn.compiler.codegen import generate_source
from neurodyn.compiler.paths import cache_root
from neurodyn.ir import CircuitIR

__all__ = ["cache_dir", "load_kernel"]

_LOADED: dict[str, ModuleType] = {}
_FINGERPRINT: str | None = None


def generator_fingerprint() -> str:
    """Hash of the code generator's own source: a changed generator never reuses old kernels."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import hashlib
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for name in ("codegen.py", "hoist.py", "layout.py", "runtime_numba.py", "runtime_numpy.py"):
            h.update((here / name).read_bytes())
        h.update((here.parent / "ir.py").read_bytes())
        _FINGERPRINT = h.hexdigest()[:10]
    return _FINGERPRINT


def cache_dir() -> Path:
    d = cache_root() / f"kernels-{__version__}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def load_kernel(ir: CircuitIR, backend: str = "numba") -> ModuleType:
    """Return the kernel module for ``ir`` (generated and written once per structure and backend)."""
    key = f"k_{ir.structure_hash()}_{generator_fingerprint()}_{backend}"
    if key in _LOADED:
        return _LOADED[key]
    path = cache_dir() / f"{key}.py"
    if not path.exists():
        src = generate_source(ir, backend, __version__)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(src)
        os.replace(tmp, path)  # atomic: concurrent processes never see a half-written module
    spec = importlib.util.spec_from_file_location(f"neurodyn_kernels.{key}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    _LOADED[key] = mod
    return mod
