"""The kernel cache: one generated kernel per IR structure and backend, on disk, so that a second process never
regenerates or recompiles.

- ``c``: a shared library compiled from generated C by the system compiler (:mod:`neurodyn.backends.c`), loaded
  with ctypes: no Numba, no SymPy in a warm process;
- ``numba``: a generated module compiled by Numba (``cache=True`` keeps its machine code next to it), or its
  ahead-of-time library (``aot`` setting);
- ``numpy``: the same generated module run by NumPy (the reference).

``auto`` (the default) takes C when a C compiler exists and the model is real-valued, else Numba; the two give
bit-identical trajectories. Keys hash the IR's structure and the generator's own source, so a changed
generator never reuses stale kernels. Kernels live in ``<cache root>/kernels-<version>/``
(:mod:`neurodyn.caching`); delete it (``neurodyn cache --clear``) to force a rebuild.

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> load_kernel(build_ir(CircuitTemplate.from_yaml("qif")), "numpy").backend
'numpy'
"""
from __future__ import annotations

import warnings
from pathlib import Path

from neurodyn._version import __version__
from neurodyn.backends.numba.aot import EntryPoints, import_file
from neurodyn.caching import atomic_write, cache_subdir, source_hash
from neurodyn.ir import CircuitIR

__all__ = ["BACKENDS", "cache_dir", "load_kernel", "start_kernel", "KernelBuild", "generator_fingerprint"]

#: kernel backends (``auto`` picks C where it can, else Numba)
BACKENDS = ("c", "numba", "numpy")

_LOADED: dict = {}
_HERE = Path(__file__).resolve().parent


def generator_fingerprint(backend: str = "numba") -> str:
    """Hash of the code generator's own source: a changed generator never reuses old kernels."""
    ir_dir = _HERE.parent / "ir"
    files = [_HERE / "plan.py", _HERE / "printing.py", _HERE / "layout.py", ir_dir / "hoist.py", ir_dir / "types.py",
             ir_dir / "build.py", ir_dir / "passes.py"]
    if backend == "c":
        files += [_HERE / "c" / "codegen.py", _HERE / "c" / "nd_runtime.h", _HERE / "c" / "__init__.py"]
    else:
        files += [_HERE / "pysource.py", _HERE / "numba" / "runtime.py", _HERE / "numpy" / "runtime.py"]
    return source_hash(tuple(files), length=10)


def cache_dir() -> Path:
    """``<cache root>/kernels-<version>``, created on demand."""
    return cache_subdir(f"kernels-{__version__}")


#: functions of a generated kernel module that Python code calls (the AOT library exports these)
ENTRY_POINTS = ("rhs", "run_fixed")


def _python_kernel(ir: CircuitIR, backend: str):
    key = f"k_{ir.structure_hash()}_{generator_fingerprint(backend)}_{backend}"
    if key in _LOADED:
        return _LOADED[key]
    path = cache_dir() / f"{key}.py"
    text = None
    for attempt in range(1, _ATTEMPTS + 1):
        if attempt > 1 or not path.exists():
            if text is None:
                from neurodyn.backends.pysource import generate_source     # SymPy: only when one is generated
                text = generate_source(ir, backend, __version__)
            path = _write_module(key, text)
        try:
            kernel = _import_kernel(key, path, backend)
            break
        except (SyntaxError, ImportError, OSError, RuntimeError) as exc:
            # a damaged module file, or one deleted by 'neurodyn cache --clear' while this process used it
            # (Numba then has "no locator" for its cache): write it again (a few times: clearing may go on)
            if attempt == _ATTEMPTS:
                raise
            if attempt == 1:
                warnings.warn(f"neurodyn: the kernel module {path} could not be loaded ({type(exc).__name__}: "
                              f"{exc}); generating it again", RuntimeWarning, stacklevel=3)
    kernel.backend = backend
    _LOADED[key] = kernel
    return kernel


#: attempts at writing and loading a kernel module whose file or folder is deleted meanwhile
_ATTEMPTS = 5


def _write_module(key: str, text: str) -> Path:
    """Write a generated kernel module into the cache; if 'neurodyn cache --clear' removed the folder while the
    source was generated, the folder is made again and the module written there."""
    for attempt in range(1, _ATTEMPTS + 1):
        path = cache_dir() / f"{key}.py"          # cache_dir() (re)creates the folder
        try:
            atomic_write(path, text)
            return path
        except FileNotFoundError:
            if attempt == _ATTEMPTS:
                raise
    return path


def _import_kernel(key: str, path: Path, backend: str):
    name = f"neurodyn_kernels.{key}"
    if backend != "numba":
        return import_file(name, path)
    from neurodyn.backends.numba.guard import CacheSafe
    kernel = EntryPoints(f"{key}-{__version__}", path, name, {n: None for n in ENTRY_POINTS})
    if kernel.aot is None:
        # the first call of each entry point survives a damaged Numba cache (deleted and compiled again)
        dirs = [path.parent / "__pycache__", _HERE / "numba" / "__pycache__"]
        for n in ENTRY_POINTS:
            setattr(kernel, n, CacheSafe(getattr(kernel, n), dirs))
    return kernel


_C_WARNED: set = set()


def _c_unavailable(ir: CircuitIR, exc, required: bool) -> None:
    """C cannot run ``ir`` (no compiler, a complex model, a function without an exact C counterpart, a failed
    build): raise if C was ``required``, else warn once where the user should hear of it (Numba takes over)."""
    if required:
        from neurodyn.errors import SolverError
        raise SolverError(f"backend 'c' cannot run {ir.name!r}: {exc}; use backend='numba'") from None
    if exc.warn and str(exc) not in _C_WARNED:
        _C_WARNED.add(str(exc))
        warnings.warn(f"neurodyn: {exc}; using the Numba backend instead", RuntimeWarning, stacklevel=5)


class KernelBuild:
    """The kernel of an IR, possibly still compiling (:func:`start_kernel`). ``building``: the C compiler is
    running in the background; ``result()`` waits for it and returns the kernel (falling back to Numba, with a
    warning, if the build fails and the backend was 'auto')."""

    def __init__(self, ir: CircuitIR, backend: str, pending=None, kernel=None):
        self._ir, self._backend, self._pending, self._kernel = ir, backend, pending, kernel

    @property
    def building(self) -> bool:
        return self._kernel is None and self._pending is not None and self._pending.building

    def result(self):
        if self._kernel is None:
            from neurodyn.backends.c import CUnavailable
            try:
                self._kernel = self._pending.result()
            except CUnavailable as exc:
                _c_unavailable(self._ir, exc, required=self._backend == "c")
                self._kernel = _python_kernel(self._ir, "numba")
        return self._kernel


def start_kernel(ir: CircuitIR, backend: str = "auto") -> KernelBuild:
    """:func:`load_kernel` without waiting for the C compiler: a new C kernel compiles in the background while
    the caller prepares the rest of the run. The result is the same kernel."""
    if backend in ("auto", "c"):
        from neurodyn.backends.c import CUnavailable, start_c_kernel
        try:
            return KernelBuild(ir, backend, pending=start_c_kernel(ir))
        except CUnavailable as exc:
            _c_unavailable(ir, exc, required=backend == "c")
        backend = "numba"
    return KernelBuild(ir, backend, kernel=_python_kernel(ir, backend))


def load_kernel(ir: CircuitIR, backend: str = "auto"):
    """The kernel for ``ir`` on ``backend`` ('auto', 'c', 'numba' or 'numpy'); ``kernel.backend`` says which.

    Every kernel has ``rhs(t, tn, y, dy, a, p, M)`` and ``run_fixed(...)`` (:mod:`neurodyn.backends.base`).
    """
    return start_kernel(ir, backend).result()
