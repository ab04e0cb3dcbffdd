"""Ahead-of-time (AOT) compiled kernel libraries: kernels that load without importing Numba.

A Numba kernel cached on disk still needs Numba in every process that runs it: importing Numba and
initialising its compiler costs about a second and ~100 MB of resident memory before the first step, which
dominates short runs and many-process workloads (job arrays, parameter scans run as separate processes). With
``NEURODYN_AOT=1`` neurodyn freezes the kernels a run has used into a CPython extension module built with
``numba.pycc`` (Numba's ahead-of-time compiler), once per kernel source and machine, and later processes import
that module directly: no Numba, no LLVM, no compilation.

How it works

- The functions to freeze are ordinary ``numba.njit`` dispatchers that have run at least once; the exact
  argument types they were compiled for (``Dispatcher.signatures``) become the exported signatures.
- :func:`build_library` compiles them in a separate process (``python -m neurodyn.backends.numba.aot SPEC``) for this
  machine's CPU model and features, as the JIT does, so the machine code is the JIT's and the results are
  bit-identical (tested).
- :func:`load_library` imports the module and wraps every function in a :class:`GuardedFunction`: pycc's
  wrappers do not check argument types (an int64 array passed where float64 is expected would be read as
  float64), so each call checks the arguments against the exported signature and falls back to the JIT
  function for anything else.
- The library's name hashes the kernel source, the versions of Python, NumPy and Numba, and the CPU's model and
  feature flags, so a library is never used on a machine or with a toolchain it was not built for (a cache
  directory shared by different nodes of a cluster builds one library per CPU type).

Building needs Numba and a C compiler (pycc compiles a small C wrapper); ``numba.pycc`` is marked as pending
deprecation by Numba, so everything here is optional: if building fails, the run keeps using the JIT kernel and
the reason is reported once as a warning.

Examples
--------
>>> from neurodyn.backends.numba import aot
>>> aot.enabled() in (True, False)
True
>>> len(aot.machine_tag())
16
"""
from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Sequence

import numpy as np

from neurodyn._version import __version__
from neurodyn.caching import cache_subdir
from neurodyn.config import get_option
from neurodyn.errors import NeurodynError

__all__ = ["ENV", "enabled", "machine_tag", "library_dir", "Export", "exports_of", "build_library",
           "load_library", "AotLibrary", "GuardedFunction", "AotBuildError", "EntryPoints", "import_file"]

#: environment variable switching AOT libraries on (``1``) or off (``0``, the default)
ENV = "NEURODYN_AOT"
_TRUE, _FALSE = ("1", "on", "true", "yes"), ("", "0", "off", "false", "no")


class AotBuildError(NeurodynError, RuntimeError):
    """An ahead-of-time library could not be built (the message carries the compiler's output)."""


def enabled() -> bool:
    """The ``aot`` setting (:mod:`neurodyn.config`: ``NEURODYN_AOT=1`` or ``set_options(aot=True)``).

    Raises
    ------
    InputError
        For a value of ``NEURODYN_AOT`` that is not a boolean (a typo must not silently switch it off).
    """
    return bool(get_option("aot"))


@functools.lru_cache(maxsize=None)
def _cpu_description() -> str:
    """CPU model and ISA feature flags as the OS reports them (no LLVM needed)."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    keep = []
    for line in info.splitlines():
        key = line.split(":", 1)[0].strip()
        if key in ("model name", "flags", "Features", "CPU part", "cpu family", "model"):
            keep.append(line.strip())
        if not line.strip() and keep:
            break                     # the first processor's block is enough: all cores are alike
    return "\n".join(keep)


@functools.lru_cache(maxsize=None)
def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


def machine_tag() -> str:
    """Hash of what an AOT library depends on besides its source: CPU, Python, NumPy and Numba versions."""
    parts = [platform.machine(), sys.version, np.__version__, _dist_version("numba"), _dist_version("llvmlite"),
             __version__, _cpu_description()]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def library_dir() -> Path:
    """Directory holding AOT libraries (``<cache root>/aot``), created on demand."""
    return cache_subdir("aot")


def library_name(source_key: str) -> str:
    """Module name of the library for a kernel source hash on this machine."""
    return f"nd_aot_{hashlib.sha256((source_key + machine_tag()).encode()).hexdigest()[:20]}"


@dataclass(frozen=True)
class Export:
    """One function to freeze: ``function`` of ``module`` (imported by name, or from the file ``path`` under
    that name: Numba's cache records the module name), the Numba signature to compile it for, and the name it
    gets in the library."""

    name: str
    module: str
    function: str
    signature: Any
    path: str | None = None


def exports_of(module: str, dispatchers: dict[str, Any], path: str | None = None) -> list[Export]:
    """The exports for ``dispatchers`` (name -> njit dispatcher of ``module``): one per function compiled for
    exactly one signature. Functions never run, or run with several argument types, are left out (they stay
    JIT)."""
    out = []
    for name, disp in dispatchers.items():
        sigs = list(getattr(disp, "signatures", ()))
        if len(sigs) == 1 and all(_guard_of(t) is not None for t in sigs[0]):
            out.append(Export(name, module, name, disp.overloads[sigs[0]].signature, path))
    return out


# ------------------------------------------------------------------------------------------- argument guards
_SCALARS = {"int64": "i", "float64": "f", "bool": "b", "uint64": "u", "int32": "i32"}


def _guard_of(numba_type) -> list | None:
    """A JSON-able description of what an argument of ``numba_type`` must be, or None if not guardable."""
    name = getattr(numba_type, "name", str(numba_type))
    if name in _SCALARS:
        return ["s", _SCALARS[name]]
    if type(numba_type).__name__ in ("UniTuple", "Tuple"):
        items = [_guard_of(t) for t in numba_type.types]
        return None if any(g is None for g in items) else ["t", items]
    dtype = getattr(numba_type, "dtype", None)
    ndim = getattr(numba_type, "ndim", None)
    layout = getattr(numba_type, "layout", None)
    if ndim is not None and dtype is not None and type(numba_type).__name__ == "Array":
        try:
            np_dtype = np.dtype(str(dtype))
        except TypeError:
            return None
        return ["a", np_dtype.str, int(ndim), layout, bool(numba_type.mutable)]
    return None


def _check_scalar(kind: str, x) -> bool:
    t = type(x)
    if kind == "f":
        return t is float or t is np.float64
    if kind == "i":
        return (t is int and -2 ** 63 <= x < 2 ** 63) or t is np.int64
    if kind == "b":
        return t is bool or t is np.bool_
    if kind == "u":
        return t is np.uint64
    if kind == "i32":
        return t is np.int32
    return False


def _make_checker(guard: list) -> Callable[[Any], bool]:
    if guard[0] == "t":
        items = tuple(_make_checker(g) for g in guard[1])
        n = len(items)
        return lambda x: type(x) is tuple and len(x) == n and all(c(e) for c, e in zip(items, x))
    if guard[0] == "s":
        kind = guard[1]
        return lambda x: _check_scalar(kind, x)
    _, dstr, ndim, layout, mutable = guard
    dtype = np.dtype(dstr)

    def check(x) -> bool:
        if type(x) is not np.ndarray or x.ndim != ndim or x.dtype != dtype:
            return False
        fl = x.flags
        if layout == "C" and not fl.c_contiguous:
            return False
        if layout == "F" and not fl.f_contiguous:
            return False
        return fl.writeable == mutable    # Numba types read-only arrays separately
    return check


class GuardedFunction:
    """A library function that checks its arguments against the exported signature and calls the JIT
    function (loaded on first need) for anything else.

    Parameters
    ----------
    name : str
        Exported name.
    compiled : callable
        The library's function.
    guards : list
        Per-argument descriptions (from the library's JSON sidecar).
    fallback : callable
        Returns the JIT function (called at most once, on the first mismatch).
    """

    __slots__ = ("name", "_compiled", "_checks", "_jit", "calls", "fallbacks")

    def __init__(self, name: str, compiled: Callable, guards: Sequence[list], fallback: Callable[[], Callable]):
        self.name = name
        self._compiled = compiled
        self._checks = tuple(_make_checker(g) for g in guards)
        self._jit = _LazyJit(name, fallback)
        self.calls = 0
        self.fallbacks = 0

    def matches(self, args: tuple) -> bool:
        """Whether ``args`` have exactly the exported types."""
        return len(args) == len(self._checks) and all(c(a) for c, a in zip(self._checks, args))

    def __call__(self, *args):
        self.calls += 1
        if self.matches(args):
            return self._compiled(*args)
        self.fallbacks += 1
        return self._jit(*args)

    def __repr__(self) -> str:
        return f"<GuardedFunction {self.name}: {len(self._checks)} args, {self.calls} calls, {self.fallbacks} JIT>"


class AotLibrary:
    """A loaded AOT library: ``function(name, fallback)`` returns a guarded function, or the JIT one (via
    ``fallback``) when the library does not export ``name``."""

    def __init__(self, module, guards: dict[str, list], path: Path):
        self.module = module
        self.guards = guards
        self.path = path

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.guards)

    def function(self, name: str, fallback: Callable[[], Callable]) -> Callable:
        if name in self.guards:
            return GuardedFunction(name, getattr(self.module, name), self.guards[name], fallback)
        return _LazyJit(name, fallback)

    def __repr__(self) -> str:
        return f"<AotLibrary {self.path.name}: {', '.join(self.names)}>"


class _LazyJit:
    """A JIT function loaded on first call (keeps Numba out of processes that never call it)."""

    __slots__ = ("name", "_fallback", "_jit")

    def __init__(self, name: str, fallback: Callable[[], Callable]):
        self.name, self._fallback, self._jit = name, fallback, None

    def __call__(self, *args):
        if self._jit is None:
            self._jit = self._fallback()
        return self._jit(*args)


class EntryPoints:
    """The functions Python code calls in one generated kernel module (and in shared runtime modules).

    With ``NEURODYN_AOT`` off, or no library built yet, the attributes named in ``entries`` are the JIT
    dispatchers (the generated module is imported, and with it Numba). With a library for ``key`` on this
    machine they are its guarded functions and nothing imports Numba unless a call needs the JIT. Any other
    attribute is looked up in the generated module.

    Parameters
    ----------
    key : str
        Hash of everything the compiled code depends on (kernel source, helper sources).
    path : Path
        File of the generated module.
    module_name : str
        Name the module is imported under (Numba's cache records it).
    entries : mapping
        Entry point name -> importable module holding it, or None for the generated module.
    """

    def __init__(self, key: str, path: Path, module_name: str, entries: dict[str, str | None]):
        self._module = None
        self._aot_tried = False
        self.key, self.path, self.module_name, self.entries = key, Path(path), module_name, dict(entries)
        self.aot = load_library(key) if enabled() else None
        for name in self.entries:
            if self.aot is None:
                setattr(self, name, getattr(self._owner(name), name))
            else:
                setattr(self, name, self.aot.function(name, lambda n=name: getattr(self._owner(n), n)))

    @property
    def module(self):
        """The generated (JIT) module, imported on first use."""
        if self._module is None:
            self._module = import_file(self.module_name, self.path)
        return self._module

    def _owner(self, name: str):
        owner = self.entries[name]
        return self.module if owner is None else importlib.import_module(owner)

    def __getattr__(self, name: str):
        if name.startswith("_") or name in ("key", "path", "module_name", "entries", "aot", "module"):
            raise AttributeError(name)
        return getattr(self.module, name)

    def build_aot(self) -> Path | None:
        """Build the library from every entry point compiled so far (at most once per process); None when a
        library is already loaded or a build was already tried. Entry points never run, or compiled for several
        argument types, stay JIT."""
        if self.aot is not None or self._aot_tried:
            return None
        self._aot_tried = True
        exports = []
        for name, owner in self.entries.items():
            exports += exports_of(owner or self.module_name, {name: getattr(self._owner(name), name)},
                                  None if owner else str(self.path))
        return build_library(self.key, exports)

    def maybe_build_aot(self) -> Path | None:
        """With ``NEURODYN_AOT=1`` and a JIT kernel: build the library now (a one-line notice on stderr; a
        failure is a warning and the JIT stays in use)."""
        if self.aot is not None or self._aot_tried or not enabled():
            return None
        import time
        t0 = time.perf_counter()
        try:
            path = self.build_aot()
        except AotBuildError as exc:
            warnings.warn(f"neurodyn: {exc}\nthe JIT kernel stays in use.", RuntimeWarning, stacklevel=3)
            return None
        print(f"neurodyn: built the ahead-of-time kernel library {path} in {time.perf_counter() - t0:.1f} s "
              f"({ENV}=1; later processes load it without Numba)", file=sys.stderr)
        return path

    def __repr__(self) -> str:
        mode = f"AOT {self.aot.path.name}" if self.aot is not None else "JIT"
        return f"<{type(self).__name__} {self.key}: {', '.join(self.entries)} ({mode})>"


_LOADED: dict[str, AotLibrary] = {}


def load_library(source_key: str) -> AotLibrary | None:
    """The library built for ``source_key`` on this machine, or None if there is none (or it cannot load)."""
    name = library_name(source_key)
    if name in _LOADED:
        return _LOADED[name]
    d = library_dir()
    meta = d / f"{name}.json"
    so = [p for p in d.glob(f"{name}.*") if p.suffix in (".so", ".pyd", ".dylib")]
    if not meta.exists() or not so:
        return None
    try:
        guards = json.loads(meta.read_text())["guards"]
        loader = importlib.machinery.ExtensionFileLoader(name, str(so[0]))
        spec = importlib.util.spec_from_file_location(name, so[0], loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except (OSError, ImportError, KeyError, ValueError) as exc:
        warnings.warn(f"neurodyn: ahead-of-time library {so[0]} could not be loaded ({exc}); using the JIT "
                      f"kernel. Delete the file to rebuild it.", RuntimeWarning, stacklevel=2)
        return None
    lib = AotLibrary(module, guards, so[0])
    _LOADED[name] = lib
    return lib


def build_library(source_key: str, exports: Sequence[Export], *, timeout: float = 900.0) -> Path:
    """Compile ``exports`` into the AOT library for ``source_key`` (in a separate process) and return its path.

    The library and its JSON sidecar (argument guards) are written atomically; concurrent builders are safe
    (the last one wins, with identical content).

    Raises
    ------
    AotBuildError
        If Numba's AOT compiler or the C compiler fails (with their output).
    """
    if not exports:
        raise AotBuildError("nothing to build: no function has been compiled for exactly one signature")
    name = library_name(source_key)
    d = library_dir()
    guards = {e.name: [_guard_of(t) for t in e.signature.args] for e in exports}
    with tempfile.TemporaryDirectory(dir=d, prefix=".build-") as tmp:
        spec = Path(tmp) / "spec.pkl"
        spec.write_bytes(pickle.dumps({"name": name, "output_dir": tmp, "exports": list(exports)}))
        proc = subprocess.run([sys.executable, "-m", "neurodyn.backends.numba.aot", str(spec)], capture_output=True,
                              text=True, timeout=timeout)
        built = [p for p in Path(tmp).glob(f"{name}.*") if p.suffix in (".so", ".pyd", ".dylib")]
        if proc.returncode != 0 or not built:
            raise AotBuildError(f"building the ahead-of-time library {name} failed (exit {proc.returncode}):\n"
                                f"{(proc.stderr or proc.stdout)[-4000:]}")
        target = d / built[0].name
        os.replace(built[0], target)
        meta = Path(tmp) / "meta.json"
        meta.write_text(json.dumps({"guards": guards, "source_key": source_key, "neurodyn": __version__}))
        os.replace(meta, d / f"{name}.json")
    return target


def _build_from_spec(spec_path: str) -> None:
    """Entry point of the builder process: compile the exports of a spec file with ``numba.pycc``."""
    spec = pickle.loads(Path(spec_path).read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # pycc's pending-deprecation notice
        from numba.core import codegen
        from numba.pycc import CC
    # Compile for this CPU with its actual feature flags, exactly as the JIT does (pycc's default is the
    # generic CPU of the architecture; the library's name already hashes the CPU and its flags).
    codegen.AOTCPUCodegen._customize_tm_features = lambda self: self._get_host_cpu_features()
    cc = CC(spec["name"])
    cc.output_dir = spec["output_dir"]
    cc.target_cpu = "host"
    for e in spec["exports"]:
        module = importlib.import_module(e.module) if e.path is None else import_file(e.module, e.path)
        func = getattr(module, e.function)
        cc.export(e.name, e.signature)(_forwarder(func, len(e.signature.args)))
    cc.compile()


def _forwarder(func, nargs: int):
    """``def f(a0, .., an): return func(a0, .., an)``: pycc compiles the exported function with its own default
    options; forwarding to the dispatcher keeps the function's own (error model, no runtime, ...)."""
    names = ", ".join(f"a{i}" for i in range(nargs))
    ns = {"_target": func}
    exec(f"def forward({names}):\n    return _target({names})\n", ns)
    return ns["forward"]


def import_file(name: str, path) -> ModuleType:
    """The module ``name`` loaded from the file ``path`` (once per process: reused from ``sys.modules``)."""
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)      # never leave a half-initialised module behind
            raise
    return module


if __name__ == "__main__":   # pragma: no cover - runs in the builder subprocess
    _build_from_spec(sys.argv[1])
