"""``neurodyn cache``: what is cached where (kernels, IRs, libraries), and ``--clear``.

Clearing is safe while other processes compile or run: each part is first renamed out of the way (one atomic
step, so a process that looks for it next simply builds it again) and then deleted; anything that cannot be
deleted (permissions, a file held open on some systems) is listed, and the command fails with exit status 1.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

__all__ = ["cmd_cache", "CACHE_PARTS", "clear_part"]

#: cache sub-directories: what each holds
CACHE_PARTS = (
    ("kernels-*", "generated model kernels: C libraries and Numba modules with their machine code"),
    ("cells_clib", "compiled C kernels of the cells"),
    ("cells_kernels", "generated cell kernels (Numba tier) and their machine code"),
    ("clib", "other compiled C libraries"),
    ("ir-*", "stored IRs (a warm process skips SymPy)"),
    ("aot", "ahead-of-time Numba libraries of the cells (aot setting)"),
)


def _du(path: Path) -> tuple[int, int]:
    n = size = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                n += 1
                size += p.stat().st_size
        except OSError:          # deleted by another process meanwhile
            continue
    return n, size


def clear_part(d: Path) -> list[str]:
    """Delete the cache part ``d``: renamed aside first, then removed; returns what could not be deleted."""
    trash = d.with_name(f".{d.name}.deleting-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        os.replace(d, trash)
    except FileNotFoundError:
        return []                          # already gone (another clear)
    except OSError as exc:
        return [f"{d}: {exc.strerror or exc}"]
    failed: list[str] = []

    def onerror(func, path, exc_info):
        if not isinstance(exc_info[1], FileNotFoundError):
            failed.append(f"{path}: {exc_info[1]}")

    shutil.rmtree(trash, onerror=onerror)
    return failed


def cmd_cache(args) -> int:
    """Show what the cache directory holds, per part; ``--clear`` deletes those parts."""
    from neurodyn.caching import cache_root
    root = cache_root()
    print(f"cache directory: {root} (set NEURODYN_CACHE_DIR to move it)")
    found = [(d, what) for pattern, what in CACHE_PARTS for d in sorted(root.glob(pattern)) if d.is_dir()]
    if not found:
        print("  (empty)")
    failed: list[str] = []
    for d, what in found:
        n, size = _du(d)
        print(f"  {d.name:<16} {n:6d} files {size / 2 ** 20:9.1f} MB  {what}")
        if args.clear:
            failed += clear_part(d)
    if args.clear and found:
        print(f"cleared {len(found)} part(s); the next run regenerates what it needs")
    if failed:
        print(f"could not delete {len(failed)} item(s):")
        for item in failed[:20]:
            print(f"  {item}")
        if len(failed) > 20:
            print(f"  ... and {len(failed) - 20} more")
        return 1
    return 0
