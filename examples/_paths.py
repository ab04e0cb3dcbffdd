"""Where the examples write figures and find the shared reference data (../shared next to the checkout, or
../../shared for a worktree), and whether to run them shortened (NEURODYN_EXAMPLES_QUICK=1, as the tests do)."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: shortened runs (same figures, fewer time steps): NEURODYN_EXAMPLES_QUICK=1
QUICK = os.environ.get("NEURODYN_EXAMPLES_QUICK", "") not in ("", "0")


def out_path(name: str) -> Path:
    """out/<name>.png in the checkout (the folder is created if missing)."""
    (ROOT / "out").mkdir(exist_ok=True)
    return ROOT / "out" / f"{name}.png"


def aal90_dir():
    """../shared/data/aal90 next to the checkout, or None when it is absent."""
    for d in (ROOT / ".." / "shared" / "data" / "aal90", ROOT / ".." / ".." / "shared" / "data" / "aal90"):
        if (d / "sc2017.dat").is_file():
            return d
    return None
