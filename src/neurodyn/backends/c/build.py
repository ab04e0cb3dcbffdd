"""Compile generated C into shared libraries with the system's C compiler, cached on disk.

A library is built once per kernel key (structure hash, generator fingerprint, compiler flags and this CPU's
model and features, since ``-march=native`` code is specific to them) and loaded by later processes in a few
milliseconds, with neither Numba nor SymPy imported. Builds are atomic (a temporary file renamed into place:
concurrent processes see the old library or the whole new one) and every library has a SHA-256 sidecar, so a
damaged file is detected, deleted and rebuilt with a warning instead of crashing a process.

The compiler is the ``cc`` setting (:mod:`neurodyn.config`, ``NEURODYN_CC``; default ``$CC``, else the first of
``cc``, ``gcc``, ``clang`` on the PATH); ``NEURODYN_CC=none`` switches the C backend off.

Examples
--------
>>> find_compiler() is None or find_compiler().exists()
True
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from neurodyn.caching import atomic_write
from neurodyn.config import get_option
from neurodyn.errors import NeurodynError

__all__ = ["CFLAGS", "CBuildError", "find_compiler", "cpu_tag", "compile_library", "verified_library"]

#: flags of every kernel library: IEEE semantics kept exactly (no contraction into fused multiply-adds, no
#: fast-math), vectorisation of elementwise loops allowed, code for this CPU
CFLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared", "-std=c99")


class CBuildError(NeurodynError, RuntimeError):
    """The C compiler failed on a generated kernel (the message carries its output)."""


@functools.lru_cache(maxsize=None)
def _which(name: str) -> Path | None:
    found = shutil.which(name)
    return Path(found) if found else None


def find_compiler() -> Path | None:
    """The C compiler to use, or None (none installed, or the ``cc`` setting is 'none')."""
    choice = get_option("cc")
    if choice is not None:
        if str(choice).lower() in ("none", "off", "0", "false"):
            return None
        return _which(str(choice))
    env = os.environ.get("CC")
    for name in ([env] if env else []) + ["cc", "gcc", "clang"]:
        path = _which(name)
        if path is not None:
            return path
    return None


@functools.lru_cache(maxsize=None)
def cpu_tag() -> str:
    """Hash of this CPU's model and feature flags as the OS reports them (``-march=native`` depends on them)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
        keep = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags", "Features", "CPU part"))]
        desc = "\n".join(sorted(set(keep)))
    except OSError:
        import platform
        desc = platform.processor() or platform.machine()
    return hashlib.sha256(desc.encode()).hexdigest()[:12]


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verified_library(path: Path) -> bool:
    """True when ``path`` exists and matches its SHA-256 sidecar; a mismatch deletes both (with a warning)."""
    sidecar = path.with_name(path.name + ".sha256")
    if not path.exists() or not sidecar.exists():
        return False
    try:
        ok = sidecar.read_text().strip() == _checksum(path)
    except OSError:
        ok = False
    if not ok:
        warnings.warn(f"neurodyn: the compiled kernel {path} is damaged (its checksum does not match); "
                      f"rebuilding it", RuntimeWarning, stacklevel=3)
        for p in (path, sidecar):
            try:
                p.unlink()
            except OSError:
                pass
    return ok


def compile_library(source: str, target: Path, compiler: Path) -> Path:
    """Compile ``source`` into the shared library ``target`` (atomically), with its checksum sidecar."""
    d = target.parent
    with tempfile.TemporaryDirectory(dir=d, prefix=".cbuild-") as tmp:
        c_file = Path(tmp) / (target.stem + ".c")
        c_file.write_text(source)
        out = Path(tmp) / target.name
        cmd = [str(compiler), *CFLAGS, "-o", str(out), str(c_file), "-lm"]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CBuildError(f"could not run the C compiler {compiler}: {exc}") from None
        if res.returncode != 0 or not out.exists():
            raise CBuildError(f"the C compiler failed on a generated kernel ({' '.join(cmd)}):\n"
                              f"{(res.stderr or res.stdout)[-4000:]}")
        # the sidecar first: a reader never sees a new library with no (or a stale) checksum beside it
        atomic_write(target.with_name(target.name + ".sha256"), _checksum(out) + "\n")
        os.replace(out, target)
    return target
