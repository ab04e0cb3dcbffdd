"""Fixed points, stability and continuation against the analytic results for the MPR equations
(REFERENCE section 1) and the Hopf bifurcations of the E/I PING node (section 3)."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "library"))
import libref_models as ref  # noqa: E402  (hand-written NumPy/SciPy references of the papers' equations)

from neurodyn.analysis import SymbolicSystem, classify, continuation, find_fixed_points, fixed_points_table
from neurodyn.lang.templates import CircuitTemplate

R = "p/qif_op/r"
V = "p/qif_op/v"
BOUNDS = {R: (1e-8, 10.0), V: (-10.0, 2.0)}


def mpr(J):
    c = CircuitTemplate.from_yaml("qif").update_var(edge_vars=[("p/qif_op/r", "p/qif_op/r_in", {"weight": J})])
    return SymbolicSystem.from_circuit(c)


def analytic_rates(eta, J, I=0.0, tau=1.0, Delta=1.0):
    """Positive roots of eta + I = (pi tau r)^2 - J tau r - Delta^2/(4 pi^2 tau^2 r^2), times r^2."""
    roots = np.roots([(np.pi * tau) ** 2, -J * tau, -(eta + I), 0.0, -Delta ** 2 / (4 * np.pi ** 2 * tau ** 2)])
    return np.sort(roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real)


def sn_curve(r, Delta=1.0):
    return 2 * np.pi ** 2 * r + Delta ** 2 / (2 * np.pi ** 2 * r ** 3), -np.pi ** 2 * r ** 2 - 3 * Delta ** 2 / (4 * np.pi ** 2 * r ** 2)


@pytest.mark.parametrize("eta,J,I", [(-5.0, 15.0, 0.0), (-5.0, 15.0, 1.5), (-5.0, 8.0, 0.0), (-1.0, 15.0, 0.0),
                                     (-10.0, 21.0, 0.0)])
def test_mpr_fixed_points_match_analytic(eta, J, I):
    s = mpr(J)
    fps = find_fixed_points(s, params={"p/qif_op/eta": eta, "p/qif_op/I_ext": I}, bounds=BOUNDS, n_random=60)
    r_exact = analytic_rates(eta, J, I)
    r = np.array([fp[R] for fp in fps])
    v = np.array([fp[V] for fp in fps])
    assert r.size == r_exact.size
    # root-finder tolerance 1e-9 on f: roots agree to ~1e-9 relative
    np.testing.assert_allclose(r, r_exact, rtol=1e-8)
    np.testing.assert_allclose(v, -1.0 / (2 * np.pi * r_exact), rtol=1e-8)
    for fp in fps:
        assert np.sum(fp.eigenvalues.real) == pytest.approx(4 * fp[V], rel=1e-10)   # trace = 4 v*/tau
    # with three fixed points: stable, saddle, stable (low to high rate)
    if r.size == 3:
        assert [fp.stable for fp in fps] == [True, False, True]
        assert fps[1].stability == "saddle"


def test_number_of_fixed_points_across_the_cusp():
    """eta = -5 < eta_c = -sqrt(3): three fixed points exactly for J between the two saddle-node values given
    by the analytic curve; eta = -1 > eta_c: one fixed point for every J."""
    rr = np.linspace(0.05, 3.0, 200001)
    Jc, etac = sn_curve(rr)
    k = np.flatnonzero(np.diff(np.sign(etac + 5.0)))          # the two r where eta(r) = -5
    J_lo, J_hi = sorted(Jc[k])
    for J, n in [(J_lo - 0.3, 1), (J_lo + 0.3, 3), (0.5 * (J_lo + J_hi), 3), (J_hi - 0.3, 3), (J_hi + 0.3, 1)]:
        fps = find_fixed_points(mpr(J), params={"p/qif_op/eta": -5.0}, bounds=BOUNDS, n_random=60)
        assert len(fps) == n, (J, [fp[R] for fp in fps])
    for J in (2.0, 10.0, 20.0, 30.0):
        assert len(find_fixed_points(mpr(J), params={"p/qif_op/eta": -1.0}, bounds=BOUNDS, n_random=40)) == 1


def test_bistability_begins_at_the_analytic_cusp():
    """The cusp of the saddle-node curves is at eta_c = -sqrt(3) Delta (REFERENCE section 1): there eta(r) has its
    maximum (r_c^4 = 3 / (4 pi^4)) and J(r) its minimum J_c. neurodyn's fixed points show it: 0.2 below eta_c,
    at the J midway between the two analytic saddle-node values, there are three fixed points (at the analytic
    rates); 0.2 above eta_c there is one for every J around J_c."""
    r_c = (3.0 / 4.0) ** 0.25 / np.pi
    J_c, eta_c = sn_curve(r_c)
    assert eta_c == pytest.approx(-np.sqrt(3.0), rel=1e-14)     # the analytic cusp (check of the formulas)
    rr = np.linspace(0.05, 3.0, 200001)
    Jr, etar = sn_curve(rr)
    k = np.flatnonzero(np.diff(np.sign(etar - (eta_c - 0.2))))
    assert len(k) == 2
    J_mid = 0.5 * Jr[k].sum()                                 # ~8.48, inside the narrow bistable wedge
    fps = find_fixed_points(mpr(J_mid), params={"p/qif_op/eta": eta_c - 0.2}, bounds=BOUNDS, n_random=60)
    np.testing.assert_allclose([fp[R] for fp in fps], analytic_rates(eta_c - 0.2, J_mid), rtol=1e-8)
    assert len(fps) == 3 and [fp.stable for fp in fps] == [True, False, True]
    for J in (J_c - 2.0, J_c, J_mid, J_c + 2.0, J_c + 5.0):
        fps = find_fixed_points(mpr(J), params={"p/qif_op/eta": eta_c + 0.2}, bounds=BOUNDS, n_random=40)
        assert len(fps) == 1 and fps[0].stable, J


@pytest.mark.parametrize("J", [12.0, 15.0, 20.0])
def test_continuation_folds_on_saddle_node_curve(J):
    """Folds found by continuation in eta lie on the analytic saddle-node curve (J(r), eta(r))."""
    s = mpr(J)
    x0 = find_fixed_points(s, params={"p/qif_op/eta": -15.0}, bounds=BOUNDS)[0].x
    b = continuation(s, "p/qif_op/eta", x0, -15.0, 5.0, ds=0.05)
    folds = b.bifurcations[b.bifurcations["type"] == "fold"]
    assert len(folds) == 2 and not (b.bifurcations["type"] == "hopf").any()   # no Hopf in the plain MPR
    for _, row in folds.iterrows():
        r = row[R]
        Jr, etar = sn_curve(r)
        # bisection to 2^-50 of a step and Newton to 1e-10: the fold is located to ~1e-8
        assert Jr == pytest.approx(J, rel=1e-6)
        assert row["p/qif_op/eta"] == pytest.approx(etar, rel=1e-6)
        assert row[V] == pytest.approx(-1 / (2 * np.pi * r), rel=1e-6)
    # the middle branch between the folds is unstable (one positive eigenvalue)
    assert b.points["n_unstable"].max() == 1


def test_ei_node_hopf_bifurcations_and_gamma_cycle():
    """ei_ping: the fixed point loses stability in a Hopf bifurcation and regains it in a second one as I_ext_e
    grows; between them the simulated node oscillates (in the gamma band for moderate drive: the frequency
    grows with I_ext_e, from ~27 Hz at the first Hopf point), below the first it settles."""
    from neurodyn.observables import dominant_frequency
    from neurodyn.simulate import compile_model
    s = SymbolicSystem.from_circuit("ei_ping")
    P = "p/ei_ping_op/I_ext_e"
    bounds = {"p/ei_ping_op/r_e": (1e-9, 1.0), "p/ei_ping_op/r_i": (1e-9, 1.0)}
    x0 = find_fixed_points(s, params={P: 0.0}, bounds=bounds)[0].x
    b = continuation(s, P, x0, 0.0, 100.0, ds=0.2)
    hopf = b.bifurcations[b.bifurcations["type"] == "hopf"]
    assert len(hopf) == 2
    I1, I2 = sorted(hopf[P])
    # against an independent computation: the NumPy equations of REFERENCE section 3 (libref_models), a root
    # finder, a finite-difference Jacobian and bisection on its leading real part (I1 = 5.993, I2 = 65.55;
    # 27 and 171 Hz). Measured agreement 1.5e-10 and 3e-9 relative (frequencies 8e-11, 1.3e-9); 1e-7 asserted.
    (I1_ref, f1_ref), (I2_ref, f2_ref) = ref.ng_hopf_points()
    assert I1 == pytest.approx(I1_ref, rel=1e-7) and I2 == pytest.approx(I2_ref, rel=1e-7)
    # the critical pair really crosses the imaginary axis: eigenvalues on either side of each Hopf point
    for Ih, sign in [(I1, +1), (I2, -1)]:
        for dI, expect_stable in [(-0.05, sign > 0), (0.05, sign < 0)]:
            fps = find_fixed_points(s, params={P: Ih + dI}, bounds=bounds, n_random=30)
            assert len(fps) == 1 and fps[0].stable == expect_stable
    model = compile_model("ei_ping")
    f_hopf = hopf["omega"].to_numpy() / (2 * np.pi) * 1e3      # rad/ms -> Hz
    np.testing.assert_allclose(f_hopf, [f1_ref, f2_ref], rtol=1e-7)
    Imid = 10.0                                                # between I1 and I2
    assert I1 < Imid < I2
    df = model.run(600.0, 0.01, outputs={"r": "p/ei_ping_op/r_e"}, solver="rk4", sampling_step_size=0.1,
                   params={P: Imid})
    tail = df["r"].to_numpy()[2000:]
    assert tail.std() > 0.1 * tail.mean()                      # a limit cycle, not a fixed point
    f = dominant_frequency(tail[:, None], sample_period=0.1, time_unit="ms", band=(5, 200))[0]
    # gamma band (the claim of the paper; the band is the definition): the cycle's exact period at
    # I_ext_e = 10 is pinned against a scipy reference in tests/library/test_library_science.py
    assert 30.0 < f < 80.0
    df = model.run(600.0, 0.01, outputs={"r": "p/ei_ping_op/r_e"}, solver="rk4", sampling_step_size=0.1,
                   params={P: I1 - 1.0})
    tail = df["r"].to_numpy()[4000:]
    assert tail.std() < 1e-3 * tail.mean()                    # below the first Hopf: settles to the focus


def test_classify_and_table():
    assert classify([-1 + 1j, -1 - 1j, -3]) == "stable focus"
    assert classify([1 + 1j, 1 - 1j]) == "unstable focus"
    assert classify([2.0, 3.0]) == "unstable node"
    assert classify([1 + 1j, 1 - 1j, -1]) == "saddle-focus"
    assert classify([0.0, -1.0]) == "non-hyperbolic"
    fps = find_fixed_points(mpr(15.0), bounds=BOUNDS)
    t = fixed_points_table(fps)
    assert list(t["stable"]) == [True, False, True] and R in t.columns


def test_jansen_rit_fixed_points_against_simulation():
    """Any template: the three-node Jansen-Rit circuit (two node groups, sigmoid projections, SI units).
    At p = 80/s the simulation settles on the stable fixed point found; at p = 220/s the only fixed point is an
    unstable focus whose frequency is in the alpha band, and the simulation oscillates."""
    from neurodyn.simulate import compile_model
    s = SymbolicSystem.from_circuit("JRC")
    U = "pc/rpo_e_in/u"
    model = compile_model("JRC")
    low = find_fixed_points(s, params={U: 80.0}, n_random=100, trajectory_time=2.0)
    stable = [fp for fp in low if fp.stable]
    assert len(stable) >= 1
    df = model.run(4.0, 1e-4, solver="rk4", params={U: 80.0}, sampling_step_size=1e-3)
    end = np.array([df[lab].iloc[-1] for lab in s.labels])
    # the run converges (|Re lambda| ~ 28/s over 4 s): to ~1e-12 relative of the voltages
    assert any(np.allclose(end, fp.x, rtol=1e-6, atol=1e-9) for fp in stable)
    high = find_fixed_points(s, params={U: 220.0}, n_random=100, trajectory_time=2.0)
    assert len(high) == 1 and not high[0].stable
    lead = high[0].eigenvalues[np.argmax(high[0].eigenvalues.real)]
    assert 8.0 < abs(lead.imag) / (2 * np.pi) < 13.0                     # alpha band, Hz (time in s)
    df = model.run(4.0, 1e-4, solver="rk4", params={U: 220.0}, sampling_step_size=1e-3)
    assert df["ein/rpo_e/v"].iloc[-1000:].std() > 1e-4               # mV-scale cycle (the FP run: < 1e-15)
