"""Shared bits of the story examples: output folder, Agg backend, location of ../shared data."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out"
SHARED = ROOT / ".." / "shared"


def out_path(name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    return OUT / f"{name}.png"


def aal90_dir():
    d = SHARED / "data" / "aal90"
    return d if (d / "sc2017.dat").is_file() else None
