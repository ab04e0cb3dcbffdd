"""Story (f): virtual lesions. On a network with a planted hub the hub's lesion changes FC most; lesion FC is
exactly the FC of the reduced connectome; on AAL90 the lesion effect follows node strength."""
import os
from pathlib import Path

import numpy as np
import pytest

from neurodyn.network import Connectome
from neurodyn.studies.hubs import virtual_lesions
from neurodyn.studies.whole_brain import homogeneous_fixed_point, linear_noise_fc

#: ../shared next to the checkout, or the parent of $NEURODYN_DATA (the folder holding aal90/, tvb998/)
SHARED = (Path(os.environ["NEURODYN_DATA"]).parent if os.environ.get("NEURODYN_DATA", "").strip()
          else Path(__file__).resolve().parents[2] / ".." / "shared")


def planted_hub(n=14, seed=2):
    rng = np.random.default_rng(seed)
    C = np.zeros((n, n))
    for i in range(1, n):                       # sparse ring-like periphery
        C[i, 1 + i % (n - 1)] = C[1 + i % (n - 1), i] = 0.3 + 0.1 * rng.random()
    C[0, 1:] = C[1:, 0] = 1.0                   # region 0: a hub linked strongly to everyone
    return Connectome(C)


def test_planted_hub_ranks_first():
    res = virtual_lesions(planted_hub())
    t = res.table
    assert t.loc[0, "rank"] == 1
    assert t.loc[0, "delta_fc"] > 2 * t["delta_fc"].drop(0).max()
    assert res.spearman > 0.3


def test_lesion_fc_is_fc_of_reduced_connectome():
    c = planted_hub()
    res = virtual_lesions(c, regions=[3])
    keep = [i for i in range(14) if i != 3]
    fp = homogeneous_fixed_point(20.0, 2.2)
    fc_red = linear_noise_fc(c.subset(keep), fp.x, 0.05, 20.0, 2.2)
    delta = np.mean(np.abs((fc_red - res.fc_intact[np.ix_(keep, keep)])[np.triu_indices(13, 1)]))
    assert res.table.loc[3, "delta_fc"] == pytest.approx(delta, rel=1e-10)
    assert res.table["delta_fc"].isna().sum() == 13             # only the requested lesion was computed


def test_aal90_hubs_follow_strength():
    d = SHARED / "data" / "aal90"
    if not (d / "sc2017.dat").is_file():
        pytest.skip(f"AAL90 data not found at {d} (expected ../shared/data/aal90 next to the checkout, or set NEURODYN_DATA)")
    res = virtual_lesions(Connectome.from_aal90(d), regions=range(0, 90, 3))
    sub = res.table.dropna()
    rho = sub[["strength", "delta_fc"]].corr(method="spearman").iloc[0, 1]
    assert rho > 0.4
