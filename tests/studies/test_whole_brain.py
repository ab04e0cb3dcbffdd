"""Story (c): the noisy whole-brain E/I network. The simulated FC (generated kernel, stochastic Heun) agrees
with the FC predicted independently by the Lyapunov equation of the linearised network (analysis module),
and follows the structural connectivity."""
import os
from pathlib import Path

import numpy as np
import pytest

from neurodyn.network import Connectome
from neurodyn.observables import upper_triangle
from neurodyn.studies.whole_brain import homogeneous_fixed_point, linear_noise_fc, whole_brain

#: ../shared next to the checkout, or the parent of $NEURODYN_DATA (the folder holding aal90/, tvb998/)
SHARED = (Path(os.environ["NEURODYN_DATA"]).parent if os.environ.get("NEURODYN_DATA", "").strip()
          else Path(__file__).resolve().parents[2] / ".." / "shared")


def modular(n=12, seed=1):
    rng = np.random.default_rng(seed)
    C = rng.random((n, n)) * 0.1
    C[: n // 2, : n // 2] += 1.0
    C[n // 2:, n // 2:] += 1.0
    return Connectome(C).without_self_connections()


def test_simulated_fc_matches_linear_noise_prediction():
    res = whole_brain(modular(), duration=8000.0, eps=20.0, I_ext_e=2.2, sigma=0.05, seed=3)
    assert res.fixed_point.stable
    np.testing.assert_allclose(res.sc.sum(axis=1), 1.0, rtol=1e-12)
    fc, lin = upper_triangle(res.fc.values), upper_triangle(res.fc_linear)
    # 8 s with a correlation time ~50 ms: ~160 independent samples, sampling error of each correlation ~0.08;
    # the modules make the predicted FC bimodal, so the pattern must be reproduced
    assert res.fc_linear_correlation > 0.8
    assert np.mean(np.abs(fc - lin)) < 0.05
    assert res.fc_sc_correlation > 0.6
    within = res.fc.values[:6, :6][np.triu_indices(6, 1)].mean()
    between = res.fc.values[:6, 6:].mean()
    assert within > between + 0.03


def test_linear_fc_refuses_unstable_state():
    from neurodyn.analysis import AnalysisError
    fp = homogeneous_fixed_point(eps=20.0, I_ext_e=3.0)          # past the homogeneous Hopf point
    assert not fp.stable
    with pytest.raises(AnalysisError, match="unstable"):
        linear_noise_fc(modular(), fp.x, 0.05, eps=20.0, I_ext_e=3.0)


def test_aal90_runs_short():
    d = SHARED / "data" / "aal90"
    if not (d / "sc2017.dat").is_file():
        pytest.skip(f"AAL90 data not found at {d} (expected ../shared/data/aal90 next to the checkout, or set NEURODYN_DATA)")
    res = whole_brain(Connectome.from_aal90(d), duration=300.0, linear_prediction=False)
    assert res.traces["r_e"].shape == (300, 90)
    assert np.all(np.isfinite(res.fc.values))
