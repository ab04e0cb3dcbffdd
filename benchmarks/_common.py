"""Shared helpers for the neurodyn-vs-peer benchmarks: fresh-subprocess timing with peak RSS, kernel-cache
directories (warm / cold), peer checks, medians and a plain-text table.

Every benchmark script doubles as its own worker: the parent re-runs the same file with ``--worker SIDE`` in
a fresh Python process, measures the wall time of the whole process (interpreter start, imports, build, run)
and reads the child's peak resident memory from ``os.wait4``. The worker prints one line
``RESULT {json}`` with its own phase timings.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
RESULT_TAG = "RESULT "
BLAS_THREADS = 1   # set from --blas-threads by each script's main()

__all__ = ["ROOT", "SRC", "require_peer", "peer_version", "base_parser", "CacheDirs", "run_worker", "emit",
           "Phases", "time_calls", "median", "print_table", "fmt_s", "fmt_wc", "fmt_mb", "ratio"]


# ---------------------------------------------------------------------------------------------------- peer
def data_dir() -> Path:
    """The folder holding the reference data sets (aal90/, tvb998/): ``$NEURODYN_DATA`` if set, else
    ``../shared/data`` next to the checkout (as examples/_paths.py and the tests)."""
    env = os.environ.get("NEURODYN_DATA", "").strip()
    return Path(env) if env else ROOT / ".." / "shared" / "data"


def require_peer(name: str = "pyrates") -> None:
    """Exit with status 2 (and say why) when the peer package cannot be imported: never invent a number."""
    if importlib.util.find_spec(name) is None:
        print(f"ERROR: the peer package {name!r} is not importable from {sys.executable}; install it "
              f"(e.g. `pip install pyrates`) or run this script with the interpreter that has it.", file=sys.stderr)
        sys.exit(2)
    if importlib.util.find_spec("neurodyn") is None and not (SRC / "neurodyn").is_dir():
        print("ERROR: neurodyn is not importable and src/neurodyn was not found", file=sys.stderr)
        sys.exit(2)


def peer_version(name: str = "pyrates") -> str:
    """Version string of an installed package, without importing it."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


# ------------------------------------------------------------------------------------------------- options
def base_parser(description: str, sides: tuple = ("neurodyn", "pyrates")) -> argparse.ArgumentParser:
    """Options shared by every benchmark: ``--repeat N``, ``--quick`` and the hidden worker switches
    (``--worker`` takes one of ``sides``: neurodyn and the peer)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per side (default 3); medians reported")
    ap.add_argument("--quick", action="store_true", help="smaller problem and one repetition (smoke test)")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OPENBLAS/OMP/MKL_NUM_THREADS for every worker (default 1: on a shared machine multi-"
                         "threaded BLAS busy-waits and slows NumPy's dot by an order of magnitude)")
    ap.add_argument("--worker", choices=tuple(sides), help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="e2e", help=argparse.SUPPRESS)
    ap.add_argument("--save", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, default=None, help=argparse.SUPPRESS)
    return ap


# ------------------------------------------------------------------------------------------- kernel caches
class CacheDirs:
    """Temporary kernel-cache directories for the neurodyn workers.

    ``warm()`` is one directory reused by every warm run (prime it with one untimed run); ``cold()`` is a new
    empty directory per run. Both ``NEURODYN_CACHE_DIR`` (stored IRs, C libraries, generated kernel modules) and
    ``NUMBA_CACHE_DIR`` (Numba's machine code) point there, so a cold run really builds everything and no run
    depends on the user's own caches.
    """

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="neurodyn-bench-"))
        self._warm = self.root / "warm"
        self._n = 0

    def env(self, d: Path) -> dict:
        return {"NEURODYN_CACHE_DIR": str(d / "nd"), "NUMBA_CACHE_DIR": str(d / "numba")}

    def warm(self) -> dict:
        return self.env(self._warm)

    def cold(self) -> dict:
        self._n += 1
        return self.env(self.root / f"cold{self._n}")

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __repr__(self) -> str:
        return f"<CacheDirs {self.root}>"


# ----------------------------------------------------------------------------------------------- workers
def run_worker(script: str | Path, side: str, args: list[str] = (), env: dict | None = None,
               timeout: float | None = None) -> dict:
    """Run ``script --worker side *args`` in a fresh interpreter; return its RESULT dict plus ``wall`` (s, whole
    process) and ``maxrss_mb`` (peak resident memory of the child, from ``os.wait4``).

    The child runs in its own empty working directory (PyRates writes generated files to the cwd), with Python's
    default of caching bytecode (``PYTHONDONTWRITEBYTECODE``, set on some machines, is removed: a user's second
    process reads ``.pyc`` files, on both sides).
    """
    e = dict(os.environ)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e["PYTHONPATH"] = str(SRC) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e.setdefault("PYTHONHASHSEED", "0")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        e[var] = str(BLAS_THREADS)
    e.update(env or {})
    cwd = tempfile.mkdtemp(prefix=f"bench-{side}-")
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", side, *map(str, args)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=e, cwd=cwd)
        # reap the child ourselves with wait4 (not Popen.wait), to get its resource usage
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, 0 if deadline is None else os.WNOHANG)
            if pid == proc.pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                shutil.rmtree(cwd, ignore_errors=True)
                raise TimeoutError(f"worker {side} {' '.join(map(str, args))} exceeded {timeout} s")
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    shutil.rmtree(cwd, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {side} {' '.join(map(str, args))} failed (exit {proc.returncode}):\n"
                           f"{stderr[-3000:]}")
    lines = [ln for ln in stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if not lines:
        raise RuntimeError(f"worker {side} printed no result line; stdout tail:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    res = json.loads(lines[-1][len(RESULT_TAG):])
    res["wall"] = wall
    res["cpu"] = ru.ru_utime + ru.ru_stime     # user + system CPU time of the child (all its threads)
    res["maxrss_mb"] = ru.ru_maxrss / 1024.0   # Linux: kilobytes
    return res


def emit(**values) -> None:
    """Print the worker's result line (read by :func:`run_worker`)."""
    print(RESULT_TAG + json.dumps(values), flush=True)


class Phases:
    """Wall and CPU time of consecutive phases inside a worker: ``mark(name)`` closes the phase that began at
    the previous mark (the first one at ``t0_wall``, the worker's start, with the CPU time used so far)."""

    def __init__(self, t0_wall: float):
        self._last = (t0_wall, 0.0)
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def mark(self, name: str) -> None:
        w, c = time.perf_counter(), time.process_time()
        self.wall[name] = w - self._last[0]
        self.cpu[name] = c - self._last[1]
        self._last = (w, c)

    def result(self) -> dict:
        return {"phases": self.wall, "cpu_phases": self.cpu}

    def __repr__(self) -> str:
        return f"<Phases {self.wall}>"


def time_calls(cls, name: str) -> list:
    """Wrap method ``cls.name`` so that each call appends ``(wall, cpu)`` seconds to the returned list."""
    record = []
    orig = getattr(cls, name)

    def timed(self, *a, **k):
        w, c = time.perf_counter(), time.process_time()
        try:
            return orig(self, *a, **k)
        finally:
            record.append((time.perf_counter() - w, time.process_time() - c))

    setattr(cls, name, timed)
    return record


# -------------------------------------------------------------------------------------------------- output
def median(xs) -> float:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def fmt_s(x: float) -> str:
    if x != x:
        return "-"
    return f"{x * 1e3:.1f} ms" if x < 1.0 else f"{x:.2f} s"


def fmt_wc(wall: float, cpu: float) -> str:
    """``wall (cpu)`` in one cell."""
    return f"{fmt_s(wall)} ({fmt_s(cpu)})"


def fmt_mb(x: float) -> str:
    return "-" if x != x else f"{x:.0f} MB"


def ratio(peer: float, ours: float) -> str:
    if ours != ours or peer != peer or ours <= 0:
        return "-"
    return f"{peer / ours:.1f}x"


def print_table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    """Print a plain-text table with aligned columns."""
    cells = [list(map(str, headers))] + [list(map(str, r)) for r in rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if title:
        print(f"\n{title}")
    line = "  ".join("-" * x for x in w)
    print(line)
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(cells[0])))
    print(line)
    for r in cells[1:]:
        print("  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)))
    print(line)


def machine_note() -> str:
    """One line about the machine (cores, Python) for the report header."""
    import platform
    return (f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{sys.executable}")
