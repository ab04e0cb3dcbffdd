"""Kernel modules on disk, keyed by the IR's structure hash, so a second process never regenerates or
recompiles (Numba's ``cache=True`` stores machine code next to the module).

The cache directory is ``$NEURODYN_CACHE_DIR`` or ``~/.cache/neurodyn``; delete it to force a rebuild.
"""
from __future__ import annotations

from pathlib import Path

from neurodyn._version import __version__
from neurodyn.backends.numba.aot import EntryPoints, import_file
from neurodyn.caching import atomic_write, cache_subdir, source_hash
from neurodyn.ir import CircuitIR

__all__ = ["cache_dir", "load_kernel"]

_LOADED: dict = {}


def generator_fingerprint() -> str:
    """Hash of the code generator's own source: a changed generator never reuses old kernels."""
    here = Path(__file__).resolve().parent
    ir_dir = here.parent / "ir"
    files = [here / "codegen.py", here / "layout.py", here / "numba" / "runtime.py", here / "numpy" / "runtime.py",
             ir_dir / "hoist.py", ir_dir / "types.py", ir_dir / "build.py", ir_dir / "passes.py"]
    return source_hash(tuple(files), length=10)


def cache_dir() -> Path:
    return cache_subdir(f"kernels-{__version__}")


#: functions of a generated kernel module that Python code calls (the AOT library exports these)
ENTRY_POINTS = ("rhs", "run_fixed")


def load_kernel(ir: CircuitIR, backend: str = "numba"):
    """Return the kernel for ``ir``: its module is generated and written once per structure and backend.

    The ``numpy`` backend gives the module itself; ``numba`` gives its entry points
    (:class:`neurodyn.backends.numba.aot.EntryPoints`): the JIT functions, or with ``NEURODYN_AOT=1`` an ahead-of-time
    library's, which load without importing Numba.
    """
    key = f"k_{ir.structure_hash()}_{generator_fingerprint()}_{backend}"
    if key in _LOADED:
        return _LOADED[key]
    path = cache_dir() / f"{key}.py"
    if not path.exists():
        from neurodyn.backends.codegen import generate_source     # SymPy: only when a kernel is generated
        src = generate_source(ir, backend, __version__)
        atomic_write(path, src)     # concurrent processes never see a half-written module
    name = f"neurodyn_kernels.{key}"
    if backend == "numba":
        kernel = EntryPoints(f"{key}-{__version__}", path, name, {n: None for n in ENTRY_POINTS})
    else:
        kernel = import_file(name, path)
    _LOADED[key] = kernel
    return kernel
