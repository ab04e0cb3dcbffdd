"""Shared fixtures for the network tests."""
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

#: ../shared next to the checkout, or the parent of $NEURODYN_DATA (the folder holding aal90/, tvb998/)
SHARED = (Path(os.environ["NEURODYN_DATA"]).parent if os.environ.get("NEURODYN_DATA", "").strip()
          else Path(__file__).resolve().parents[2] / ".." / "shared")


@pytest.fixture
def aal90_dir():
    d = SHARED / "data" / "aal90"
    if not (d / "sc2017.dat").is_file():
        pytest.skip(f"AAL90 reference data not found at {d} (expected ../shared/data/aal90 next to the checkout, or set NEURODYN_DATA)")
    return d


@pytest.fixture
def tvb998_zip():
    p = SHARED / "data" / "tvb998" / "connectivity_998.zip"
    if not p.is_file():
        pytest.skip(f"TVB 998-region connectome not found at {p} (expected ../shared/data/tvb998, or set NEURODYN_DATA)")
    return p
