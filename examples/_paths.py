"""What every example shares: where figures go, where the reference data are, and the quick setting.

* Figures go to ``out/`` in the **current working directory** (created if missing): run an example from the
  checkout and it writes ``<checkout>/out/<name>.png``; the test suite runs each example in a temporary folder.
* Reference data (the AAL90 connectome of Delicado et al.): ``$NEURODYN_DATA/aal90`` if the environment variable
  ``NEURODYN_DATA`` names a folder, else ``../shared/data/aal90`` next to the checkout.
* ``NEURODYN_EXAMPLE_QUICK=1`` asks for shortened settings (shorter runs, coarser scans) so that the test suite
  can run every example; the printed numbers keep their meaning (tests/test_examples.py checks them).
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: shortened settings requested (NEURODYN_EXAMPLE_QUICK set to anything but '', '0', 'no', 'false', 'off')
QUICK = os.environ.get("NEURODYN_EXAMPLE_QUICK", "").strip().lower() not in ("", "0", "no", "false", "off")


def out_path(name: str) -> Path:
    """out/<name>.png in the working directory (the folder is created if missing)."""
    out = Path.cwd() / "out"
    out.mkdir(exist_ok=True)
    return out / f"{name}.png"


def data_dir() -> Path:
    """The folder holding the reference data sets (aal90/, tvb998/)."""
    env = os.environ.get("NEURODYN_DATA", "").strip()
    return Path(env) if env else ROOT / ".." / "shared" / "data"


def aal90_dir():
    """The AAL90 folder (see :func:`data_dir`), or None when it is absent."""
    d = data_dir() / "aal90"
    return d if (d / "sc2017.dat").is_file() else None
