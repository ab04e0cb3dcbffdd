"""The C backend: kernels generated as C (:mod:`~neurodyn.backends.c.codegen`), compiled by the system C compiler
into cached shared libraries (:mod:`~neurodyn.backends.cbuild`, shared with the cells) and called through ctypes
(:mod:`~neurodyn.backends.c.kernel`).

Why C as the default compiled backend: a new model compiles in a fraction of a second (Numba's JIT takes 2-4 s
and its import ~0.4 s), a warm process loads the library in milliseconds without importing Numba or SymPy, and
nothing depends on ``numba.pycc``. The kernel is written to compute exactly what the Numba kernel computes, so
results do not depend on which backend ran (tests/core/test_backend_identity.py).

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> ir = build_ir(CircuitTemplate.from_yaml("qif"))
>>> try:
...     kernel = c_kernel(ir)
... except CUnavailable:            # no C compiler on this machine
...     kernel = None
>>> kernel is None or kernel.backend == "c"
True
"""
from __future__ import annotations

from neurodyn._version import __version__
from neurodyn.errors import NeurodynError
from neurodyn.ir import CircuitIR

__all__ = ["CUnavailable", "c_kernel", "start_c_kernel"]

_LOADED: dict = {}
_UNSUPPORTED = ".c-unsupported"


class CUnavailable(NeurodynError, RuntimeError):
    """The C backend cannot run this model here; ``warn`` says whether the user should hear of it."""

    def __init__(self, message: str, warn: bool = False):
        super().__init__(message)
        self.warn = warn


#: compiler flags of model kernels: cbuild's IEEE-exact defaults, and -fno-math-errno so that sqrt is one
#: instruction (errno is never read; the value is the same)
KERNEL_FLAGS = ("-O3", "-march=native", "-std=c11", "-fPIC", "-shared", "-fno-fast-math", "-ffp-contract=off",
                "-fno-math-errno")


def c_kernel(ir: CircuitIR):
    """The compiled C kernel of ``ir`` (built once per structure and machine, then loaded from the cache)."""
    return start_c_kernel(ir).result()


class _KernelBuild:
    """A C kernel whose library is being compiled in the background: ``result()`` waits and loads it."""

    def __init__(self, key: str, pending):
        self._key, self._pending = key, pending

    @property
    def building(self) -> bool:
        return self._pending.building

    def result(self):
        from neurodyn.backends import cbuild
        from neurodyn.backends.c.kernel import ABI_VERSION, CKernel
        if self._key in _LOADED:
            return _LOADED[self._key]
        try:
            lib = self._pending.result()
        except cbuild.CBuildError as exc:
            raise CUnavailable(str(exc), warn=True) from None
        try:
            kernel = CKernel(lib, ABI_VERSION)
        except OSError as exc:
            raise CUnavailable(f"the compiled kernel {lib._name} could not be used ({exc})", warn=True) from None
        _LOADED[self._key] = kernel
        return kernel


class _Done:
    building = False

    def __init__(self, kernel):
        self._kernel = kernel

    def result(self):
        return self._kernel


def start_c_kernel(ir: CircuitIR):
    """:func:`c_kernel` without waiting for the compiler: the C source is generated here and compiled in the
    background (the compiler is a separate process, so the caller's own work runs beside it on another core).
    Returns an object with ``building`` and ``result()``; problems known before compiling (a complex model, a
    function without an exact C counterpart, no compiler) raise :class:`CUnavailable` here, a failed build in
    ``result()``."""
    from neurodyn.backends import cbuild
    from neurodyn.backends.cache import generator_fingerprint
    if ir.complex_system:
        raise CUnavailable("complex-valued models run on the Numba backend")
    key = f"k_{ir.structure_hash()}_{generator_fingerprint('c')}"
    if key in _LOADED:
        return _Done(_LOADED[key])
    subdir = f"kernels-{__version__}"
    marker = cbuild.library_dir(subdir) / f"{key}{_UNSUPPORTED}"
    if marker.exists():
        raise CUnavailable(marker.read_text().strip())
    if cbuild.find_compiler() is None:
        raise CUnavailable("no C compiler found (set NEURODYN_CC or CC)")

    def source() -> str:
        from neurodyn.backends.c.codegen import generate_c_source      # SymPy: only when a kernel is generated
        return generate_c_source(ir, __version__)

    try:
        pending = cbuild.start_load(source, key, key=key, flags=KERNEL_FLAGS, subdir=subdir)
    except NotImplementedError as exc:             # printing.NotExactInC (not imported here: it needs SymPy)
        from neurodyn.caching import atomic_write
        atomic_write(marker, f"{exc}\n")               # remembered: a warm process needs no SymPy to know
        raise CUnavailable(str(exc)) from None
    except cbuild.CBuildError as exc:
        raise CUnavailable(str(exc), warn=True) from None
    return _KernelBuild(key, pending)
