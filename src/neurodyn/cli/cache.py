"""``neurodyn cache``: what is cached where (kernels, IRs, AOT libraries), and ``--clear``."""
from __future__ import annotations

from pathlib import Path

__all__ = ["cmd_cache", "CACHE_PARTS"]


#: cache sub-directories: what each holds
CACHE_PARTS = (
    ("kernels-*", "generated model kernels and their Numba machine code"),
    ("cells_kernels", "generated cell kernels and their Numba machine code"),
    ("ir-*", "stored IRs (a warm process skips SymPy)"),
    ("aot", "ahead-of-time kernel libraries (NEURODYN_AOT=1)"),
)


def _du(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def cmd_cache(args) -> int:
    """Show what the cache directory holds, per part; ``--clear`` deletes those parts."""
    import shutil
    from neurodyn.caching import cache_root
    root = cache_root()
    print(f"cache directory: {root} (set NEURODYN_CACHE_DIR to move it)")
    found = [(d, what) for pattern, what in CACHE_PARTS for d in sorted(root.glob(pattern)) if d.is_dir()]
    if not found:
        print("  (empty)")
    for d, what in found:
        n, size = _du(d)
        print(f"  {d.name:<16} {n:6d} files {size / 2 ** 20:9.1f} MB  {what}")
        if args.clear:
            shutil.rmtree(d, ignore_errors=True)
    if args.clear and found:
        print(f"cleared {len(found)} part(s); the next run regenerates what it needs")
    return 0
