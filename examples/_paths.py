"""Where the examples write figures and find the shared reference data (../shared next to the checkout)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def out_path(name: str) -> Path:
    """out/<name>.png in the checkout (the folder is created if missing)."""
    (ROOT / "out").mkdir(exist_ok=True)
    return ROOT / "out" / f"{name}.png"


def aal90_dir():
    """../shared/data/aal90 next to the checkout, or None when it is absent."""
    d = ROOT / ".." / "shared" / "data" / "aal90"
    return d if (d / "sc2017.dat").is_file() else None
