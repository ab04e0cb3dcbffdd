"""The studies of Delicado, Huguet & Clusella (2025), each checked against something independent:

(a) the bifurcation diagram of the homogeneous E/I node: Hopf points against bisection on the leading eigenvalue
    of the NumPy equations (tests/library/libref_models.py), period doubling against DOP853 simulations of the
    same equations, the self-coupled node's cycle against a compiled simulation of the full network;
(b) the dispersion relation at a fixed point against the eigenvalues of the full network Jacobian (finite
    differences of the NumPy network equations written here);
(c) the network's Lyapunov exponents (QR on compiled tangent kernels) against the eigenvalues of the full
    Jacobian at a stable fixed point and against the Floquet exponents of the network's modes (collocation) at a
    stable synchronous cycle;
(d) the growth rate of a perturbation along one eigenmode, measured in a direct simulation of the full
    nonlinear network, against the dispersion relation;
(e) PAC z-scores: significant where theta-gamma coupling is built into the model, not where it is absent.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.errors import InputError
from neurodyn.network import Connectome
from neurodyn.studies.ei_bifurcations import HOM_DRIVE, ei_bifurcation_diagram, hom_path
from neurodyn.studies.ei_pac import theta_gamma_pac
from neurodyn.studies.network_lyapunov import network_lyapunov
from neurodyn.studies.transverse_patterns import network_dispersion, transverse_pattern
from neurodyn.studies.whole_brain import STATES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "library"))
import libref_models as ref  # noqa: E402  (the papers' equations in NumPy, independent of neurodyn)

#: ../shared next to the checkout, or the parent of $NEURODYN_DATA (the folder holding aal90/, tvb998/)
SHARED = (Path(os.environ["NEURODYN_DATA"]).parent if os.environ.get("NEURODYN_DATA", "").strip()
          else Path(__file__).resolve().parents[2] / ".." / "shared")
AAL90 = SHARED / "data" / "aal90"


def aal90():
    if not (AAL90 / "sc2017.dat").is_file():
        pytest.skip(f"AAL90 data not found at {AAL90} (expected ../shared/data/aal90 next to the checkout, or set "
                    f"NEURODYN_DATA)")
    return Connectome.from_aal90(AAL90)


def synthetic(n=8, seed=0):
    """A small symmetric random connectome (self-connections removed, rows normalised by the studies)."""
    rng = np.random.default_rng(seed)
    C = rng.random((n, n))
    return Connectome(C + C.T)


def row_normalised(conn):
    W = np.array(conn.weights, dtype=float)
    np.fill_diagonal(W, 0.0)
    return W / W.sum(axis=1, keepdims=True)


def network_rhs(W, I_ext_e, eps):
    """The E/I network of REFERENCE section 3 in NumPy: state (6, n) flattened state-major."""
    n = W.shape[0]

    def f(y):
        Y = y.reshape(6, n)
        return np.asarray(ref.ng_rhs(Y, I_ext_e, W @ Y[2], eps, ref.NG)).ravel()
    return f


def fd_jacobian(f, y, h=1e-6):
    """Central differences (step 1e-6 relative: truncation ~1e-12, round-off ~1e-10 relative)."""
    J = np.empty((y.size, y.size))
    for k in range(y.size):
        e = np.zeros(y.size)
        e[k] = h * max(1.0, abs(y[k]))
        J[:, k] = (f(y + e) - f(y - e)) / (2 * e[k])
    return J


# ------------------------------------------------------------------------------------------------ (a)
@pytest.fixture(scope="module")
def diagram():
    return ei_bifurcation_diagram(eps=(0.0, 12.0), I_range=(0.0, 20.0), doubling_depth=1)


def test_hopf_points_against_eigenvalues_of_the_numpy_equations(diagram):
    hp = diagram.hopf_points
    for eps in diagram.eps:
        expected = ref.ng_hopf_points(np.arange(0.0, 20.01, 0.5), eps=eps)     # bisection to 1e-10
        got = hp[hp["eps"] == eps].sort_values("I_ext_e")
        assert len(got) == len(expected) == (1 if eps == 0 else 2)
        # continuation locates Hopf points by the minimally augmented system to 1e-12; the reference by
        # bisection on a finite-difference Jacobian (~1e-10 relative): 1e-7 asserted
        np.testing.assert_allclose(got["I_ext_e"], [I for I, _ in expected], atol=1e-7)
        np.testing.assert_allclose(got["frequency_hz"], [f for _, f in expected], rtol=1e-6)
        assert (got["criticality"] == "supercritical").all()
    # stability along the branch: the sign of the leading real part of the reference Jacobian (points more than
    # 1e-3 away from a Hopf point, where the real part is safely away from 0)
    pts = diagram.equilibria[12.0].points
    hopf = hp.loc[hp["eps"] == 12.0, "I_ext_e"].to_numpy()
    for _, row in pts.iloc[::7].iterrows():
        I = row[HOM_DRIVE]
        if np.min(np.abs(hopf - I)) < 1e-3:
            continue
        lam, _ = ref.ng_leading_eigenvalue(I, [row[hom_path(s)] for s in STATES], eps=12.0)
        assert bool(row["stable"]) == (lam.real < 0), I


def simulate_node(I, eps, T, y0=(0.01, -2.0, 0.01, 0.01, -2.0, 0.01)):
    """DOP853 of the self-coupled node (NumPy equations), dense output."""
    return solve_ivp(lambda t, y: ref.ng_rhs(y, I, y[2], eps, ref.NG), (0.0, T), np.asarray(y0, float),
                     method="DOP853", rtol=1e-11, atol=1e-13, dense_output=True)


def rate_peaks(sol, t0, T):
    """Times and heights of the r_e bursts (local maxima) after t0, each refined on the dense output."""
    from scipy.optimize import minimize_scalar
    from scipy.signal import find_peaks
    t = np.arange(t0, T, 0.01)
    r = sol.sol(t)[0]
    idx, _ = find_peaks(r, prominence=0.2 * np.ptp(r))
    out = [minimize_scalar(lambda s: -sol.sol(s)[0], bounds=(t[i - 1], t[i + 1]), method="bounded",
                           options={"xatol": 1e-12}) for i in idx]
    return np.array([o.x for o in out]), np.array([-o.fun for o in out])


def test_period_doubling_against_simulation(diagram):
    fams = diagram.cycles[12.0]
    base = [f for f in fams if f.generation == 0][0]
    pds = diagram.period_doubling_points(12.0, 0)
    assert len(pds) == 2 and 8.0 < pds[0] < pds[1] < 12.7
    doubled = [f for f in fams if f.generation == 1]
    assert len(doubled) == 1                    # one period-2 branch joins the two period-doubling points
    br = doubled[0].branch
    # the doubled branch stops where it returns to the twice-traversed base orbit, at the second point; the
    # stop value is an estimate from the last two orbits (~sqrt-law extrapolation), 0.01 asserted
    assert br.stop_reason == "period_doubling" and br.stopped_at == pytest.approx(pds[1], abs=0.01)
    assert not any(b.type == "fold" for b in br.bifurcations)     # the return is not a fold of cycles
    # below the first point the attractor has period T (equal successive returns), on the stable part of the
    # doubled branch period 2T with two distinct returns; its period matches the doubled orbit (1e-6 relative:
    # collocation with 40 intervals of degree 4 resolves the period to ~1e-9)
    o1 = min(base.branch.orbits, key=lambda o: abs(o.parameter_value - (pds[0] - 0.3)))
    assert o1.stable and o1.parameter_value < pds[0]
    sol = simulate_node(o1.parameter_value, 12.0, 4000.0)
    tp, hp = rate_peaks(sol, 3000.0, 4000.0)
    # the time of a (flat) maximum is located to ~sqrt(machine eps) relative, ~1e-5 ms: intervals agree to 1e-5
    # relative; the mean over ~40 periods (first to last burst) is ~1e-7 accurate
    assert np.ptp(hp) < 1e-6 * hp.mean() and np.ptp(np.diff(tp)) < 1e-5 * np.diff(tp).mean()
    assert (tp[-1] - tp[0]) / (len(tp) - 1) == pytest.approx(o1.period, rel=1e-6)
    stable2 = [o for o in br.orbits if o.stable]
    o2 = stable2[len(stable2) // 2]
    I2 = o2.parameter_value
    sol = simulate_node(I2, 12.0, 6000.0, y0=o2(0.0)[0])
    tp, hp = rate_peaks(sol, 4000.0, 6000.0)
    assert abs(hp[0::2].mean() - hp[1::2].mean()) > 1e-2 * hp.mean()        # alternating bursts: period 2
    assert np.ptp(hp[0::2]) < 1e-6 * hp.mean() and np.ptp(hp[1::2]) < 1e-6 * hp.mean()
    period2 = np.diff(tp[::2])
    assert np.ptp(period2) < 1e-5 * period2.mean()
    assert (tp[::2][-1] - tp[0]) / (len(tp[::2]) - 1) == pytest.approx(o2.period, rel=1e-6)
    assert o2.period > 1.8 * o1.period
    tc = tp
    # min and max of v_e on the orbit: a 0.005 ms sampling of the last period of the simulation
    t = np.arange(tc[-3], tc[-1], 0.005)
    v = sol.sol(t)[1]
    assert v.max() == pytest.approx(o2.maximum[hom_path("v_e")], abs=1e-5)
    assert v.min() == pytest.approx(o2.minimum[hom_path("v_e")], abs=1e-5)


def test_homogeneous_cycle_is_the_synchronous_state_of_the_network(diagram):
    # the self-coupled node's cycle (collocation) against the compiled network (RK4) started synchronously on
    # it: every region follows the orbit for 20 periods
    from neurodyn.analysis import find_cycle
    from neurodyn.studies.ei_bifurcations import homogeneous_ei_system
    from neurodyn.studies.whole_brain import ei_network
    base = [f for f in diagram.cycles[12.0] if f.generation == 0][0]
    o = min((o for o in base.branch.orbits if o.stable), key=lambda o: abs(o.parameter_value - 7.0))
    I = o.parameter_value
    fine = find_cycle(homogeneous_ei_system(12.0, I_ext_e=I), o, ntst=80)
    net = ei_network(synthetic(6, seed=3))
    # a branch orbit lives on the continuation's 40-interval mesh: its profile between the nodes is off by
    # ~2e-5 of the amplitude at the sharp r_e bursts (the error decays along the simulation, which converges
    # onto the true cycle); refined on 80 intervals it is off by ~2e-7 (RK4 at 0.005 ms contributes ~1e-9)
    for orbit, tol in ((o, 5e-5), (fine, 1e-6)):
        x0 = orbit(0.0)[0]
        T = float(np.round(20 * orbit.period / 0.1) * 0.1)
        ds = net.simulate(T, 0.005, variables=[f"ei_ping_op/{s}" for s in STATES], solver="rk4",
                          sampling_step_size=0.1, params={"ei_ping_op/eps": 12.0, "ei_ping_op/I_ext_e": I},
                          initial={f"ei_ping_op/{s}": x0[j] for j, s in enumerate(STATES)}, progress=False)
        expected = orbit(ds["time"].values)
        for j, s in enumerate(STATES):
            err = np.abs(ds[s].values - expected[:, j, None]).max() / orbit.amplitude[orbit.labels[j]]
            assert err < tol, (s, err, tol)
    assert fine.period == pytest.approx(o.period, rel=1e-7)


def test_diagram_bad_input():
    with pytest.raises(InputError, match="I_range"):
        ei_bifurcation_diagram(eps=(0.0,), I_range=(5.0, 5.0))
    with pytest.raises(InputError, match="doubling_depth"):
        ei_bifurcation_diagram(eps=(0.0,), doubling_depth=-1)


# ------------------------------------------------------------------------------------------------ (b)
def test_dispersion_at_fixed_point_against_full_jacobian():
    conn = synthetic(6, seed=1)
    nd = network_dispersion(conn, eps=10.0, I_ext_e=14.0)        # past the second Hopf point: a stable focus
    assert nd.kind == "fixed point" and nd.state.stable
    W = row_normalised(conn)
    y = np.repeat(nd.state.x[:, None], 6, axis=1).ravel()
    f = network_rhs(W, 14.0, 10.0)
    assert np.abs(f(y)).max() < 1e-9           # the homogeneous state solves the network (to find_fixed_points tol)
    lam = np.linalg.eigvals(fd_jacobian(f, y))
    # every mode's eigenvalues together are the 36 eigenvalues of the full Jacobian (FD: ~1e-8 absolute)
    np.testing.assert_allclose(np.sort(lam.real), np.sort(nd.relation.exponents.ravel()), atol=1e-6)
    assert nd.n_unstable == int(np.sum(nd.relation.growth_rates > 0)) > 0
    assert nd.most_unstable["growth_rate"] == pytest.approx(lam.real.max(), abs=1e-6)


# ------------------------------------------------------------------------------------------------ (d)
@pytest.mark.parametrize("I_ext_e, kind", [(8.0, "cycle"), (14.0, "fixed point")])
def test_pattern_growth_rate_matches_dispersion_relation(I_ext_e, kind):
    nd = network_dispersion(synthetic(8), eps=10.0, I_ext_e=I_ext_e)
    assert nd.kind == kind and nd.n_unstable > 0
    tp = transverse_pattern(nd)
    # the full nonlinear network (RK4, 0.01 ms) from the synchronous state plus 1e-6 along the mode: the measured
    # exponent differs from the linear prediction by the nonlinear terms (relative ~ the amplitude, below
    # linear_limit = 1e-3 over the fit) and the RK4 error (~1e-8): 1e-3 relative asserted (measured ~1e-6)
    assert tp.relative_error < 1e-3, tp
    assert tp.fit_window[1] > 5 * (nd.state.period if kind == "cycle" else 10.0)
    assert tp.pattern_correlation > 0.999                        # the deviation has the mode's spatial shape
    assert tp.amplitude["mode"].iloc[-1] > 1e2                   # and it grows out of the linear regime


def test_pattern_on_aal90():
    nd = network_dispersion(aal90(), eps=10.0, I_ext_e=8.0)
    assert nd.kind == "cycle" and nd.n_unstable > 0
    tp = transverse_pattern(nd, duration=400.0)
    assert tp.relative_error < 1e-3, tp


def test_pattern_bad_input():
    nd = network_dispersion(synthetic(5), eps=10.0, I_ext_e=14.0)
    with pytest.raises(InputError, match="synchronous"):
        transverse_pattern(nd, mode=nd.relation.synchronous_index)
    with pytest.raises(InputError, match="amplitude"):
        transverse_pattern(nd, amplitude=1e-2)
    with pytest.raises(InputError, match="kind"):
        network_dispersion(synthetic(5), kind="torus")


# ------------------------------------------------------------------------------------------------ (c)
def test_lyapunov_at_stable_fixed_point_against_full_jacobian():
    conn = synthetic(5, seed=2)
    scan = network_lyapunov(conn, eps=3.0, I_values=[2.0], k=3, simulation_time=3000.0, transient=300.0,
                            homogeneous=False)
    nd = network_dispersion(conn, eps=3.0, I_ext_e=2.0)
    assert nd.kind == "fixed point" and nd.n_unstable == 0
    W = row_normalised(conn)
    y = np.repeat(nd.state.x[:, None], 5, axis=1).ravel()
    lam = np.sort(np.linalg.eigvals(fd_jacobian(network_rhs(W, 2.0, 3.0), y)).real)[::-1]
    # linear dynamics about the fixed point: the exponents are the real parts of the eigenvalues (with
    # multiplicity): here a complex pair at -0.2177 and the next pairs at -0.2305 and -0.2323. Close exponents
    # converge slowly and the two of a rotating pair oscillate about their mean: measured within 1e-5 after
    # 3 s (spread of the running estimates 7e-4); 1e-3 asserted
    got = scan.table[["lambda_1", "lambda_2", "lambda_3"]].to_numpy()[0]
    np.testing.assert_allclose(got, lam[:3], atol=1e-3)


def test_lyapunov_at_stable_synchronous_cycle_against_floquet_exponents():
    conn = synthetic(5, seed=2)
    nd = network_dispersion(conn, eps=5.0, I_ext_e=10.0)
    assert nd.kind == "cycle" and nd.n_unstable == 0
    scan = network_lyapunov(conn, eps=5.0, I_values=[10.0], k=3, simulation_time=4000.0, transient=1000.0)
    t = scan.table.iloc[0]
    # lambda_1 is the direction along the flow: 0 up to the oscillating speed over a finite time (the log of
    # max/min speed over a PING cycle ~5, over 4 s: ~1e-3); lambda_2,3 are the largest nontrivial Floquet
    # exponents of all network modes (collocation, the trivial one of the synchronous mode removed)
    ex = np.sort(nd.relation.exponents[np.isfinite(nd.relation.exponents)])[::-1]
    assert abs(t["lambda_1"]) < 3e-3
    np.testing.assert_allclose([t["lambda_2"], t["lambda_3"]], ex[:2], atol=3e-3)
    assert abs(t["hom_lambda_1"]) < 3e-3                 # the homogeneous node's cycle: lambda_1 = 0 too


def test_lyapunov_aal90_chaos_needs_transverse_instability():
    conn = aal90()
    chaotic = network_lyapunov(conn, eps=10.0, I_values=[10.0], k=1, simulation_time=2000.0, transient=500.0)
    synchronous = network_lyapunov(conn, eps=5.0, I_values=[10.0], k=1, simulation_time=1000.0, transient=500.0,
                                   homogeneous=False)
    unstable = network_dispersion(conn, eps=10.0, I_ext_e=10.0)
    stable = network_dispersion(conn, eps=5.0, I_ext_e=10.0)
    # eps = 10: the synchronous (period-2 PING) cycle is stable as a node (its lambda_1 = 0) but transversally
    # unstable; the network leaves it into chaos: lambda_1 ~ 0.009 / ms, well above the spread of its running
    # estimates over the last quarter of the run (~0.002; the finite-time fluctuations of a chaotic run)
    assert unstable.kind == "cycle" and unstable.state.stable and unstable.n_unstable > 0
    t = chaotic.table.iloc[0]
    assert t["lambda_1"] > 2 * t["spread"] and t["lambda_1"] > 0.004, t
    assert abs(t["hom_lambda_1"]) < 5e-3
    # eps = 5: every transverse mode decays; the network synchronises onto the cycle: lambda_1 = 0 (the
    # direction along the flow, ~1e-3 over 1 s, see the test above)
    assert stable.kind == "cycle" and stable.n_unstable == 0
    assert abs(synchronous.table["lambda_1"].iloc[0]) < 3e-3


# ------------------------------------------------------------------------------------------------ (e)
def test_pac_significant_where_built_in_and_not_where_absent():
    conn = synthetic(8)
    kw = dict(eps=5.0, I_ext_e=8.0, sigma=0.05, duration=5000.0, n_surrogates=49, comodulogram=False, seed=0)
    built = theta_gamma_pac(conn, theta_depth=2.0, **kw)
    absent = theta_gamma_pac(conn, theta_depth=0.0, pacemaker=True, **kw)
    zb = np.asarray(built.pacemaker_test["z"])
    za = np.asarray(absent.pacemaker_test["z"])
    # built in: the drive follows the pacemaker, so the gamma envelope follows its phase in every region (z > 3,
    # p = 1/50 the smallest possible); and the regional theta band carries that phase (z > 2 everywhere)
    assert (zb > 3).all() and (built.z > 2).all(), (zb, built.z)
    assert (np.asarray(built.pacemaker_test["p_value"]) <= 0.02 + 1e-12).all()
    # absent: the pacemakers run but do not reach the drive; the envelopes (shaped by independent noise on the
    # potentials) are independent of their phases, so the z-scores are null draws: their median is near 0 and at
    # most 2 of 8 regions reach p <= 0.05 (probability of more under the null, for independent regions: 0.6 %)
    assert abs(np.median(za)) < 1.0, za
    assert np.sum(np.asarray(absent.pacemaker_test["p_value"]) <= 0.05) <= 2


def test_pac_bad_input():
    with pytest.raises(InputError, match="theta_depth"):
        theta_gamma_pac(synthetic(3), theta_depth=-1.0)
    with pytest.raises(InputError, match="pacemaker"):
        theta_gamma_pac(synthetic(3), theta_depth=1.0, pacemaker=False)
