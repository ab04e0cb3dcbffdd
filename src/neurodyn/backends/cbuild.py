"""Compile C source with the system compiler into a shared library, cached by content, and load it (ctypes).

A small, general helper: generated C kernels (the cells' time-stepping kernel uses it) are compiled once per
source, compiler and machine, and later processes only ``dlopen`` the library: no Numba, no LLVM, no
compilation. What it guarantees:

- **Cache key**: SHA-256 of the source, the compiler flags, the compiler's path and file identity, and this
  CPU's model and feature flags (libraries are built for the host CPU), so a library is never loaded by a
  process it was not built for.
- **Content-addressed files**: the library is written as ``<key>-<checksum>.so`` (through a temporary file
  and a rename) and only then recorded in ``<key>.json``; a file, once written, never changes, so concurrent
  processes building or loading the same key never see half a file (the last record wins; both are whole).
- **Damage detection**: the record holds the library's SHA-256; a record that does not parse, a checksum that
  does not match or a library that does not load is reported (one warning) and rebuilt.
- **Floating point as written**: the default flags keep IEEE semantics (``-fno-fast-math``,
  ``-ffp-contract=off``: no fused multiply-add contraction, which would change results in the last bit).

There is no compiler on the machine -> :class:`CompilerNotFoundError`; the compiler fails ->
:class:`CBuildError` with its output. Callers decide on a fallback.

Examples
--------
>>> from neurodyn.backends import cbuild
>>> cc = cbuild.find_compiler()
>>> if cc is not None:
...     lib = cbuild.load_source("double twice(double x) { return 2.0 * x; }", "doc_twice")
...     import ctypes
...     lib.twice.restype, lib.twice.argtypes = ctypes.c_double, [ctypes.c_double]
...     print(lib.twice(1.25))
... else:
...     print(2.5)
2.5
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import platform
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from neurodyn.caching import atomic_write, cache_subdir
from neurodyn.errors import NeurodynError

__all__ = ["CBuildError", "CompilerNotFoundError", "Compiler", "find_compiler", "DEFAULT_FLAGS",
           "library_dir", "build_library", "load_source", "start_load", "PendingLibrary"]

#: flags for every build: optimised for this CPU, IEEE arithmetic as written (no contraction into FMA)
DEFAULT_FLAGS = ("-O3", "-march=native", "-std=c11", "-fPIC", "-shared", "-fno-fast-math", "-ffp-contract=off")
#: attempts at installing a library or loading it when the cache folder is deleted meanwhile
_ATTEMPTS = 5
_PORTABLE = ("-O3", "-std=c11", "-fPIC", "-shared", "-fno-fast-math", "-ffp-contract=off")


class CBuildError(NeurodynError, RuntimeError):
    """The C compiler failed (the message carries its output)."""


class CompilerNotFoundError(CBuildError):
    """No C compiler on this machine (``$CC``, ``cc``, ``gcc``, ``clang`` were looked for)."""


@dataclass(frozen=True)
class Compiler:
    """A C compiler found on this machine: its path and a cheap identity (size and modification time)."""

    path: str
    identity: str

    @property
    def name(self) -> str:
        return Path(self.path).name


@functools.lru_cache(maxsize=None)
def _find(cc_env: str | None) -> Compiler | None:
    for cand in ([cc_env] if cc_env else []) + ["cc", "gcc", "clang"]:
        path = shutil.which(cand)
        if path:
            real = os.path.realpath(path)
            st = os.stat(real)
            return Compiler(real, f"{real}:{st.st_size}:{st.st_mtime_ns}")
    return None


def find_compiler() -> Compiler | None:
    """The C compiler to use: the ``cc`` setting (:mod:`neurodyn.config`, ``NEURODYN_CC``; 'none' means no C
    compiler), else ``$CC``, cc, gcc or clang on the PATH; None if there is none."""
    from neurodyn.config import get_option
    choice = get_option("cc")
    if choice is not None:
        if str(choice).strip().lower() in ("none", "off", "0", "false", "no"):
            return None
        return _find_exactly(str(choice))
    return _find(os.environ.get("CC") or None)


@functools.lru_cache(maxsize=None)
def _find_exactly(name: str) -> Compiler | None:
    path = shutil.which(name)
    if not path:
        return None
    real = os.path.realpath(path)
    st = os.stat(real)
    return Compiler(real, f"{real}:{st.st_size}:{st.st_mtime_ns}")


@functools.lru_cache(maxsize=None)
def _cpu() -> str:
    """This CPU's model and ISA flags (the first processor block of /proc/cpuinfo), else the platform."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    keep = []
    for line in text.splitlines():
        if not line.strip() and keep:
            break
        if line.split(":", 1)[0].strip() in ("model name", "flags", "Features", "CPU part", "cpu family", "model"):
            keep.append(line.strip())
    return platform.machine() + "\n" + "\n".join(keep)


def library_dir(subdir: str = "clib") -> Path:
    """Where libraries are kept: ``<cache root>/<subdir>`` (see :mod:`neurodyn.caching`)."""
    return cache_subdir(subdir)


def _key(source: str, flags: tuple, compiler: Compiler) -> str:
    text = "\x00".join([source, " ".join(flags), compiler.identity, _cpu()])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_library(source: str, name: str, *, flags: tuple = DEFAULT_FLAGS, subdir: str = "clib",
                  timeout: float = 600.0, key: str | None = None) -> Path:
    """Compile ``source`` now (whatever the cache holds) and record it (under ``key`` if given, else under the
    source itself); returns the library's path.

    Raises
    ------
    CompilerNotFoundError, CBuildError
    """
    cc = find_compiler()
    if cc is None:
        raise CompilerNotFoundError("no C compiler found (looked for $CC, cc, gcc, clang)")
    import subprocess
    import tempfile
    key = f"{name}-{_key(source if key is None else key, flags, cc)}"
    # compiled in a private folder outside the cache, so that clearing the cache meanwhile cannot disturb it
    with tempfile.TemporaryDirectory(prefix="neurodyn-build-") as tmp:
        (Path(tmp) / "kernel.c").write_text(source)
        out = None
        for fl in (flags, _PORTABLE) if flags == DEFAULT_FLAGS else (flags,):
            # a fixed relative file name, so that the bytes written depend on the source alone
            proc = subprocess.run([cc.path, *fl, "-o", "kernel.so", "kernel.c", "-lm"], cwd=tmp,
                                  capture_output=True, text=True, timeout=timeout)
            if proc.returncode == 0:
                out = Path(tmp) / "kernel.so"
                break
        if out is None:
            raise CBuildError(f"compiling {name} with {cc.path} failed (exit {proc.returncode}):\n"
                              f"{(proc.stderr or proc.stdout)[-4000:]}")
        data = out.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    record = json.dumps({"library": f"{key}-{digest[:16]}.so", "sha256": digest, "compiler": cc.path,
                         "flags": list(fl)})
    for attempt in range(1, _ATTEMPTS + 1):
        d = library_dir(subdir)                 # (re)created if 'neurodyn cache --clear' removed it
        try:
            lib = d / f"{key}-{digest[:16]}.so"
            atomic_write(lib, data)             # same name, same bytes: a reader has the old file or this one
            atomic_write(d / f"{key}.json", record)
            return lib
        except FileNotFoundError:
            if attempt == _ATTEMPTS:
                raise
    return lib


def _recorded(record: Path) -> Path | None:
    """The library a record names, if the record parses and the library's checksum matches; else None, with a
    warning when something is there but damaged."""
    try:
        info = json.loads(record.read_text())
        lib = record.parent / info["library"]
        if _sha(lib) == info["sha256"]:
            return lib
        problem = f"{lib.name} does not match its recorded checksum"
    except FileNotFoundError as exc:
        if exc.filename == str(record):
            return None
        problem = f"{exc.filename} is missing"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"{record.name} is unreadable ({exc})"
    warnings.warn(f"neurodyn: compiled library record {record} is damaged: {problem}; rebuilding it",
                  RuntimeWarning, stacklevel=3)
    return None


class PendingLibrary:
    """A library being compiled in a background thread (:func:`start_load`): the compiler runs as a separate
    process, on another core, while the caller goes on. :meth:`result` waits for it and returns the loaded
    library, or raises what the build raised."""

    def __init__(self, build):
        import threading
        self._lib = self._exc = None

        def work():
            try:
                self._lib = build()
            except BaseException as exc:         # noqa: BLE001 - handed to the caller by result()
                self._exc = exc
        self._thread = threading.Thread(target=work, name="neurodyn-cbuild", daemon=True)
        self._thread.start()

    @property
    def building(self) -> bool:
        return self._thread.is_alive()

    def result(self) -> ctypes.CDLL:
        self._thread.join()
        if self._exc is not None:
            raise self._exc
        return self._lib


class _Loaded:
    """A library that needed no build: :class:`PendingLibrary`'s interface, already done."""

    building = False

    def __init__(self, lib):
        self._lib = lib

    def result(self) -> ctypes.CDLL:
        return self._lib


def _cached(source, name: str, key, flags: tuple, subdir: str):
    """The cached library of ``(source or key, flags)`` loaded, or None when it has to be built."""
    cc = find_compiler()
    if cc is None:
        return None
    lib = _recorded(library_dir(subdir) / f"{name}-{_key(source if key is None else key, flags, cc)}.json")
    if lib is None:
        return None
    try:
        return ctypes.CDLL(str(lib))
    except OSError as exc:
        warnings.warn(f"neurodyn: compiled library {lib} does not load ({exc}); rebuilding it",
                      RuntimeWarning, stacklevel=3)
        return None


def _build_and_load(text: str, name: str, key, flags: tuple, subdir: str) -> ctypes.CDLL:
    for attempt in range(1, _ATTEMPTS + 1):
        path = build_library(text, name, flags=flags, subdir=subdir, key=key)
        try:
            return ctypes.CDLL(str(path))
        except OSError as exc:
            if path.exists() or attempt == _ATTEMPTS:
                raise CBuildError(f"the library {path} compiled from {name} does not load: {exc}") from None
            # deleted between its installation and dlopen ('neurodyn cache --clear'): build it again


def start_load(source, name: str, *, key: str | None = None, flags: tuple = DEFAULT_FLAGS,
               subdir: str = "clib"):
    """:func:`load_source` that does not wait for the compiler: a cached library is loaded at once, else the
    source is generated here (in the calling thread) and compiled in the background. Returns an object with
    ``building`` and ``result()`` (the loaded library; raises :class:`CBuildError` and the like there)."""
    if key is None and callable(source):
        source = source()
    lib = _cached(source, name, key, flags, subdir)
    if lib is not None:
        return _Loaded(lib)
    if find_compiler() is None:
        raise CompilerNotFoundError("no C compiler found (looked for $CC, cc, gcc, clang)")
    text = source() if callable(source) else source
    return PendingLibrary(lambda: _build_and_load(text, name, key, flags, subdir))


def load_source(source, name: str, *, key: str | None = None, flags: tuple = DEFAULT_FLAGS,
                subdir: str = "clib") -> ctypes.CDLL:
    """The shared library compiled from ``source``: loaded from the cache, or compiled first (once per key).

    ``source`` is the C text, or a function returning it; with ``key`` (a text that determines the source,
    e.g. hashes of the generator's files and of its input) the cache is looked up by ``key`` and the source is
    generated only when the library has to be built.

    Raises
    ------
    CompilerNotFoundError
        No library in the cache and no compiler on the machine.
    CBuildError
        The compiler failed.
    """
    if key is None and callable(source):
        source = source()
    lib = _cached(source, name, key, flags, subdir)
    if lib is not None:
        return lib
    text = source() if callable(source) else source
    return _build_and_load(text, name, key, flags, subdir)
