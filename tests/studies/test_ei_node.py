"""Story (b): the E/I node's fixed points, Hopf points and gamma rhythm; the frequency of the simulated limit
cycle just past the Hopf point equals the imaginary part of the critical eigenvalues (Hopf theorem), an
independent check linking the continuation (SymPy Jacobian) and the simulation (generated kernel)."""
import numpy as np
import pytest

from neurodyn.observables import dominant_frequency
from neurodyn.studies.ei_node import ei_fixed_points, ei_hopf_branch, ei_node_story, simulate_ei_node


def test_fixed_point_stability_and_hopf_frequency():
    assert [fp.stable for fp in ei_fixed_points(I_ext_e=3.0)] == [True]
    assert [fp.stable for fp in ei_fixed_points(I_ext_e=10.0)] == [False]
    b = ei_hopf_branch(I_range=(0.0, 20.0))
    hopf = b.bifurcations
    assert hopf["type"].tolist() == ["hopf"]
    I1, f1 = float(hopf["p/ei_ping_op/I_ext_e"].iloc[0]), float(hopf["frequency_hz"].iloc[0])
    assert 5.0 < I1 < 7.0
    tr = simulate_ei_node(I1 + 0.3, duration=2000.0, transient=1000.0)
    f = dominant_frequency(tr[["r_e"]].to_numpy(), sample_period=0.1, time_unit="ms", band=(5, 200),
                           nperseg=8192)[0]
    # 0.3 past the Hopf point the cycle frequency has moved O(0.3) from the Hopf frequency; bin 1.2 Hz,
    # interpolated: 4 % covers both
    assert f == pytest.approx(f1, rel=0.04)


def test_gamma_peak_in_the_oscillatory_regime():
    res = ei_node_story(I_ext_e=10.0, duration=1000.0, with_branch=False)
    assert 30.0 < res.dominant_frequency < 80.0
    f = res.spectrum["frequency"].values
    p = res.spectrum.values[:, 0]
    k = np.argmax(np.where(f > 5, p, 0))
    assert 30.0 < f[k] < 80.0
    assert p[k] > 100 * np.median(p[(f > 5) & (f < 250)])      # a sharp peak, not broadband
    assert res.traces["r_e"].std() > 0.3 * res.traces["r_e"].mean()
