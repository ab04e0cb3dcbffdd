"""Story (b): the E/I node's fixed points, Hopf points and gamma rhythm; the frequency of the simulated limit
cycle just past the Hopf point equals the imaginary part of the critical eigenvalues (Hopf theorem), an
independent check linking the continuation (SymPy Jacobian) and the simulation (generated kernel)."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "library"))
import libref_models as ref  # noqa: E402  (hand-written NumPy/SciPy references of the papers' equations)

from neurodyn.observables import dominant_frequency
from neurodyn.studies.ei_node import ei_fixed_points, ei_hopf_branch, ei_node_story, simulate_ei_node


def test_fixed_point_stability_and_hopf_frequency():
    assert [fp.stable for fp in ei_fixed_points(I_ext_e=3.0)] == [True]
    assert [fp.stable for fp in ei_fixed_points(I_ext_e=10.0)] == [False]
    b = ei_hopf_branch(I_range=(0.0, 20.0))
    hopf = b.bifurcations
    assert hopf["type"].tolist() == ["hopf"]
    I1, f1 = float(hopf["p/ei_ping_op/I_ext_e"].iloc[0]), float(hopf["frequency_hz"].iloc[0])
    # the lower Hopf point from an independent NumPy computation (root finder, finite-difference Jacobian,
    # bisection; libref_models.ng_hopf_points): measured agreement 1.5e-10 (I) and 8e-11 (Hz); 1e-7 asserted
    I_ref, f_ref = ref.ng_hopf_points(np.arange(0.0, 20.5, 0.5))[0]
    assert I1 == pytest.approx(I_ref, rel=1e-7) and f1 == pytest.approx(f_ref, rel=1e-7)
    tr = simulate_ei_node(I1 + 0.3, duration=2000.0, transient=1000.0)
    f = dominant_frequency(tr[["r_e"]].to_numpy(), sample_period=0.1, time_unit="ms", band=(5, 200),
                           nperseg=8192)[0]
    # 0.3 past the Hopf point the cycle's frequency has moved linearly with the distance from the Hopf frequency
    # (measured 4.7e-4 relative from the period between upward crossings); the interpolated spectral peak (bins
    # of 1.2 Hz) adds ~2e-4: measured 7e-4 in all. 3e-3 asserted; the other Hopf point is at 171 Hz.
    assert f == pytest.approx(f1, rel=3e-3)


def test_gamma_peak_in_the_oscillatory_regime():
    res = ei_node_story(I_ext_e=10.0, duration=1000.0, with_branch=False)
    assert 30.0 < res.dominant_frequency < 80.0        # the paper's claim: PING gamma (the band is the definition)
    # the frequency itself: 1 / period of a DOP853 solution of the equations of REFERENCE section 3
    # (libref_models, 46.80 Hz); the interpolated spectral peak of the story's 1 s trace is within 4e-4 of it
    # (measured); 3e-3 asserted
    t = np.arange(0.0, 600.0, 0.05)
    x = ref.ei_ping(I_ext_e=lambda _: 10.0).solve(t)["r_e"][t >= 300.0]
    x = x - x.mean()
    k = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    tc = t[t >= 300.0][k] - x[k] * 0.05 / (x[k + 1] - x[k])
    assert res.dominant_frequency == pytest.approx(1000.0 / np.mean(np.diff(tc)), rel=3e-3)
    f = res.spectrum["frequency"].values
    p = res.spectrum.values[:, 0]
    k = np.argmax(np.where(f > 5, p, 0))
    assert 30.0 < f[k] < 80.0
    assert p[k] > 100 * np.median(p[(f > 5) & (f < 250)])      # a sharp peak, not broadband
    assert res.traces["r_e"].std() > 0.3 * res.traces["r_e"].mean()
