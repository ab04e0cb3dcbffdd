"""Networks shared by the sweep tests (and the processes they start): small E/I connectomes and couplings (this
folder has no conftest.py: tests/network has one, and two modules named conftest collide under --doctest-modules)."""
import os
from pathlib import Path

import numpy as np

from neurodyn.network import Connectome, Coupling

#: ../shared next to the checkout, or $NEURODYN_SHARED_DIR (worktrees)
SHARED = Path(os.environ.get("NEURODYN_SHARED_DIR") or Path(__file__).resolve().parents[2] / ".." / "shared")
PING = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")
RE, VE = "ei_ping_op/r_e", "ei_ping_op/v_e"


def small_connectome(n=5, seed=3, lengths=False):
    rng = np.random.default_rng(seed)
    W = rng.uniform(0.2, 1.0, (n, n))
    np.fill_diagonal(W, 0.0)
    L = None
    if lengths:
        L = rng.uniform(5.0, 30.0, (n, n))
        L = 0.5 * (L + L.T)
        np.fill_diagonal(L, 0.0)
    return Connectome(W, tract_lengths=L).normalise("rows")

