"""Master stability / dispersion relation of homogeneous network states, checked against the full network:
eigenvalues of the full 6N Jacobian (fixed points) and Floquet multipliers of the full 6N monodromy matrix
integrated by scipy (cycles), for row-normalised and diffusive (Laplacian) coupling, and mode growth rates
against a direct solve_ivp integration of each mode's variational equation built with the pointwise
`network_linearisation`."""
import os
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.analysis import (AnalysisError, NotACycleError, SymbolicSystem, dispersion_relation, find_cycle,
                               find_fixed_points, homogeneous_system, master_stability, network_linearisation)
from neurodyn.analysis.batched import BatchedSystem
from neurodyn.analysis.floquet import variational_monodromy
from neurodyn.errors import ConnectomeError, InputError
from neurodyn.lang.templates import CircuitTemplate, template_from_yaml
from neurodyn.network import BrainNetwork, Connectome, Coupling

COUPLING = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")
#: $NEURODYN_DATA/aal90 (NEURODYN_DATA: the folder holding aal90/, tvb998/), else ../shared/data/aal90 next to the
#: checkout
DATA = (Path(os.environ["NEURODYN_DATA"]) if os.environ.get("NEURODYN_DATA", "").strip()
        else Path(__file__).resolve().parents[2] / ".." / "shared" / "data")
AAL90 = DATA / "aal90"


def random_weights(n, seed=3, symmetric=False):
    rng = np.random.default_rng(seed)
    C = rng.random((n, n))
    if symmetric:
        C = C + C.T
    np.fill_diagonal(C, 0.0)
    return C


def match_one_to_one(a, b, tol):
    """Every value of a has a distinct partner in b within tol * max(1, |value|)."""
    b = list(b)
    assert len(a) == len(b)
    for v in a:
        k = int(np.argmin(np.abs(np.array(b) - v)))
        assert abs(b[k] - v) < tol * max(1.0, abs(v)), (v, b[k])
        b.pop(k)


def hom_cycle(p, form="normalised", period=20.0):
    hom = homogeneous_system("ei_ping_pop", COUPLING, p, form)
    return hom, find_cycle(hom, hom.x0, period=period, transient=300.0)


# ---------------------------------------------------------------------------------------- fixed points
def test_fixed_point_modes_equal_full_network_jacobian_eigenvalues():
    conn = Connectome(random_weights(4)).normalise("rows")            # non-symmetric: complex Lambda
    p = {"ei_ping_op/eps": 3.0, "ei_ping_op/I_ext_e": 2.0}
    hom = homogeneous_system("ei_ping_pop", COUPLING, p)
    fp = find_fixed_points(hom, bounds={"node/ei_ping_op/r_e": (1e-9, 1.0), "node/ei_ping_op/r_i": (1e-9, 1.0)})[0]
    net = BrainNetwork("ei_ping_pop", conn, COUPLING)
    dr = dispersion_relation(net, fp, p)
    assert np.iscomplexobj(dr.eigenvalues) and dr.grid is not None and dr.grid.shape == (25, 25)
    full = SymbolicSystem.from_circuit(net.circuit(), params={"all/ei_ping_op/eps": 3.0,
                                                              "all/ei_ping_op/I_ext_e": 2.0})
    X = np.concatenate([np.full(4, xi) for xi in fp.x])               # variable-major, region-minor
    assert np.max(np.abs(full.f(X))) < 1e-10
    ev_full = np.linalg.eigvals(full.jacobian(X))
    ev_modes = np.concatenate([np.linalg.eigvals(dr.msf.mode_matrix(L)) for L in dr.eigenvalues])
    match_one_to_one(ev_modes, ev_full, 1e-8)          # round-off of two different eigenproblems
    # growth rates are the leading real parts, exponents every real part
    for L, g, ex in zip(dr.eigenvalues, dr.growth_rates, dr.exponents):
        re = np.sort(np.linalg.eigvals(dr.msf.mode_matrix(L)).real)[::-1]
        assert g == pytest.approx(re[0], abs=1e-12)
        np.testing.assert_allclose(ex, re, atol=1e-12)
    # the pointwise linearisation of the existing API gives the same mode matrices
    lin = network_linearisation("ei_ping_pop", COUPLING, fp.x, params={"node/ei_ping_op/eps": 3.0,
                                                                      "node/ei_ping_op/I_ext_e": 2.0})
    np.testing.assert_allclose(dr.msf.DF, lin.DF, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(dr.msf.B, lin.B, rtol=1e-13, atol=1e-14)


# ---------------------------------------------------------------------------------------- cycles
@pytest.mark.parametrize("symmetric", [False, True])
def test_cycle_modes_equal_full_network_monodromy(symmetric):
    """Union over Lambda of the mode multipliers = eigenvalues of the full 24 x 24 monodromy matrix, integrated
    with the full network's Jacobian (DOP853, rtol 1e-10) over one period of the synchronous cycle."""
    conn = Connectome(random_weights(4, symmetric=symmetric)).normalise("rows")
    p = {"ei_ping_op/eps": 5.0, "ei_ping_op/I_ext_e": 10.0}
    hom, orb = hom_cycle(p)
    net = BrainNetwork("ei_ping_pop", conn, COUPLING)
    dr = dispersion_relation(net, orb, p)
    full = SymbolicSystem.from_circuit(net.circuit(), params={"all/ei_ping_op/eps": 5.0,
                                                              "all/ei_ping_op/I_ext_e": 10.0})
    X0 = np.concatenate([np.full(4, xi) for xi in orb.nodes[0]])
    xT, M = variational_monodromy(full.f, full.jacobian, X0, orb.period, rtol=1e-10, atol=1e-13)
    assert np.max(np.abs(xT - X0)) < 1e-7                               # the synchronous cycle closes
    mu_full = list(np.linalg.eigvals(M))
    mu_full.pop(int(np.argmin(np.abs(np.array(mu_full) - 1.0))))      # the trivial multiplier
    mu_modes = dr.msf.multipliers(dr.eigenvalues).ravel()
    mu_modes = mu_modes[np.isfinite(mu_modes)]                        # the synchronous mode's trivial one is NaN
    # the full monodromy is integrated to ~1e-9; multipliers agree to 1e-7 absolute
    match_one_to_one(mu_modes, mu_full, 1e-7)
    # the synchronous mode's transverse multipliers are the homogeneous node's own Floquet multipliers
    k = dr.synchronous_index
    np.testing.assert_allclose(np.sort_complex(dr.msf.multipliers([1.0])[0][:-1]), np.sort_complex(orb.multipliers),
                               atol=1e-12)
    assert dr.eigenvalues[k] == 1.0
    # along the orbit, DF + B is the homogeneous node's Jacobian
    J = BatchedSystem(hom).jacobian(orb.gauss_states().reshape(-1, 6)).reshape(dr.msf.DF.shape)
    np.testing.assert_allclose(dr.msf.DF + dr.msf.B, J, rtol=1e-12, atol=1e-12)


def mode_growth_by_solve_ivp(orb, p, Lambda):
    """Largest Floquet exponent of one mode by a direct scipy integration of d xi/dt = (DF + Lambda B) xi along
    the orbit. Separate code path: DF = J_hom - B with the pointwise Jacobian of the homogeneous node, and B
    written from REFERENCE section 3 (s_e enters dv_e/dt and dv_i/dt with eps: B[v, s_e] = eps)."""
    hom = homogeneous_system("ei_ping_pop", COUPLING, p)
    n = 6
    B = np.zeros((n, n))
    B[1, 2] = B[4, 2] = p["ei_ping_op/eps"]
    dt = complex if np.iscomplexobj(Lambda) else float

    def rhs(t, y):
        x = y[:n].real
        A = hom.jacobian(x) - B + Lambda * B
        return np.concatenate([hom.f(x), (A @ y[n:].reshape(n, n)).ravel()])
    y0 = np.concatenate([orb.nodes[0], np.eye(n).ravel()]).astype(dt)
    # DOP853 at rtol 1e-9: multipliers to ~1e-8 relative, exponents to ~1e-9 per time unit
    y = solve_ivp(rhs, (0, orb.period), y0, method="DOP853", rtol=1e-9, atol=1e-12).y[:, -1]
    mu = np.linalg.eigvals(y[n:].reshape(n, n))
    return np.log(np.abs(mu)).max() / orb.period


def test_dispersion_relation_on_a_90_region_connectome_matches_mode_integration():
    """Same code path as the AAL90 benchmark on a synthetic symmetric 90-region connectome (no shared data)."""
    conn = Connectome(random_weights(90, seed=7, symmetric=True) ** 3).normalise("rows")
    p = {"ei_ping_op/eps": 5.0, "ei_ping_op/I_ext_e": 10.0}
    _, orb = hom_cycle(p)
    dr = dispersion_relation(BrainNetwork("ei_ping_pop", conn, COUPLING), orb, p)
    assert len(dr.eigenvalues) == 90 and not np.iscomplexobj(dr.eigenvalues) and dr.grid is None
    k = dr.synchronous_index
    assert dr.eigenvalues[k] == 1.0
    for a in (0, 45, 88):
        L = dr.eigenvalues[a]
        assert L != 1.0
        # collocation (order 8, 40 intervals) against the direct integration: 1e-7 per time unit
        assert dr.growth_rates[a] == pytest.approx(mode_growth_by_solve_ivp(orb, p, L), abs=1e-7)
    # the continuous curve (201 points over [-1, 1]) passes through every transverse mode
    c = dr.curve
    other = np.arange(90) != k
    np.testing.assert_allclose(np.interp(dr.eigenvalues[other], c["Lambda"], c["growth_rate"]),
                               dr.growth_rates[other], atol=2e-3)
    # the curve keeps the trivial exponent: 0 at Lambda = 1 (the trivial multiplier is 1 to ~1e-8 on 40 intervals)
    assert abs(dr.msf([1.0], drop_trivial=False)[0]) < 1e-8
    assert dr.table.shape == (90, 4)


@pytest.mark.skipif(not AAL90.is_dir(), reason=f"AAL90 connectome not found at {AAL90} (../shared/data next to the checkout, or set "
                           f"NEURODYN_DATA)")
def test_dispersion_relation_aal90():
    from neurodyn.network import load_connectome
    conn = load_connectome(AAL90).normalise("rows")
    p = {"ei_ping_op/eps": 5.0, "ei_ping_op/I_ext_e": 10.0}
    _, orb = hom_cycle(p)
    dr = dispersion_relation(BrainNetwork("ei_ping_pop", conn, COUPLING), orb, p)
    assert len(dr.eigenvalues) == 90 and dr.labels[0] == conn.labels[0]
    top = dr.eigenvalues[0] if dr.eigenvalues[0] != 1.0 else dr.eigenvalues[1]
    assert dr.msf([top])[0] == pytest.approx(mode_growth_by_solve_ivp(orb, p, top), abs=1e-7)
    # complex Lambda: a grid point against the direct integration
    L = 0.3 + 0.2j
    assert dr.msf([L])[0] == pytest.approx(mode_growth_by_solve_ivp(orb, p, L), abs=1e-7)


# -------------------------------------------------------------------------------- diffusive coupling
def diffusive_circuit(W):
    """u_n = sum_m W_nm (s_e,m - s_e,n), hand-built: one edge per connection plus a self-edge of weight -row sum."""
    node = template_from_yaml("ei_ping_pop")
    names = [f"r{i}" for i in range(len(W))]
    edges = []
    for a in range(len(W)):
        for b in range(len(W)):
            if a != b and W[a, b]:
                edges.append((f"{names[b]}/ei_ping_op/s_e", f"{names[a]}/ei_ping_op/s_net", None,
                              {"weight": float(W[a, b])}))
        edges.append((f"{names[a]}/ei_ping_op/s_e", f"{names[a]}/ei_ping_op/s_net", None,
                      {"weight": -float(W[a].sum())}))
    return CircuitTemplate("diffusive_ei", nodes={n: node for n in names}, edges=edges)


def test_laplacian_form_against_hand_built_diffusive_network():
    W = random_weights(4, seed=11)                    # not normalised: the Laplacian form does not need it
    circ = diffusive_circuit(W)
    p = {"ei_ping_op/eps": 4.0, "ei_ping_op/I_ext_e": 10.0}
    full = SymbolicSystem.from_circuit(circ, params={"all/ei_ping_op/eps": 4.0, "all/ei_ping_op/I_ext_e": 10.0})
    rng = np.random.default_rng(0)
    Xr = rng.random(24)
    s_e = Xr[8:12]
    for a in range(4):                                # the circuit is the diffusive coupling it claims
        assert full.evaluate(f"r{a}/ei_ping_op/s_net", Xr) == pytest.approx(W[a] @ (s_e - s_e[a]), rel=1e-12)
    hom, orb = hom_cycle(p, form="laplacian")
    net = BrainNetwork("ei_ping_pop", Connectome(W), COUPLING)
    with pytest.raises(ConnectomeError, match=r"normalise\('rows'\)"):
        dispersion_relation(net, orb, p)               # normalised form refuses a non-normalised W
    dr = dispersion_relation(net, orb, p, form="laplacian")
    assert dr.eigenvalues[dr.synchronous_index] == 0.0
    X0 = np.concatenate([np.full(4, xi) for xi in orb.nodes[0]])
    xT, M = variational_monodromy(full.f, full.jacobian, X0, orb.period, rtol=1e-10, atol=1e-13)
    mu_full = list(np.linalg.eigvals(M))
    mu_full.pop(int(np.argmin(np.abs(np.array(mu_full) - 1.0))))
    mu_modes = dr.msf.multipliers(dr.eigenvalues).ravel()
    match_one_to_one(mu_modes[np.isfinite(mu_modes)], mu_full, 1e-7)
    # fixed point of the uncoupled node (I_ext_e = 2): full Jacobian eigenvalues
    q = {"ei_ping_op/eps": 4.0, "ei_ping_op/I_ext_e": 2.0}
    hom2 = homogeneous_system("ei_ping_pop", COUPLING, q, "laplacian")
    fp = find_fixed_points(hom2, bounds={"node/ei_ping_op/r_e": (1e-9, 1.0), "node/ei_ping_op/r_i": (1e-9, 1.0)})[0]
    dr2 = dispersion_relation(net, fp, q, form="laplacian")
    full2 = SymbolicSystem.from_circuit(circ, params={"all/ei_ping_op/eps": 4.0, "all/ei_ping_op/I_ext_e": 2.0})
    X = np.concatenate([np.full(4, xi) for xi in fp.x])
    ev_modes = np.concatenate([np.linalg.eigvals(dr2.msf.mode_matrix(L)) for L in dr2.eigenvalues])
    match_one_to_one(ev_modes, np.linalg.eigvals(full2.jacobian(X)), 1e-8)


# ---------------------------------------------------------------------------------- output and errors
def test_unstable_modes_patterns_and_plot(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    conn = Connectome(random_weights(6, seed=2)).normalise("rows")
    p = {"ei_ping_op/eps": 3.0, "ei_ping_op/I_ext_e": 2.0}
    hom = homogeneous_system("ei_ping_pop", COUPLING, p)
    fp = find_fixed_points(hom, bounds={"node/ei_ping_op/r_e": (1e-9, 1.0)})[0]
    msf = master_stability("ei_ping_pop", COUPLING, fp, p)
    dr = msf.dispersion(conn)
    # a synthetic instability: shift the growth rates so that exactly the two fastest modes grow
    g = np.sort(dr.growth_rates)[::-1]
    dr.growth_rates = dr.growth_rates - 0.5 * (g[1] + g[2])
    assert dr.n_unstable == 2
    P = dr.patterns
    assert P.shape == (6, 2)
    W = conn.weights
    for j, i in enumerate(np.flatnonzero(dr.unstable)):      # the patterns are eigenvectors of W
        v = P.iloc[:, j].to_numpy()
        np.testing.assert_allclose(W @ v, dr.eigenvalues[i] * v, atol=1e-10)
    fig = dr.plot()
    fig.savefig(tmp_path / "dr.png")
    assert len(fig.axes) >= 2                                # complex spectrum: curve and complex-plane map
    assert "DispersionRelation" in repr(dr) and "MasterStabilityFunction" in repr(msf)


def test_bad_input():
    p = {"ei_ping_op/eps": 5.0, "ei_ping_op/I_ext_e": 10.0}
    hom, orb = hom_cycle(p)
    conn = Connectome(random_weights(4)).normalise("rows")
    # delayed edges
    delayed = BrainNetwork("ei_ping_pop", Connectome(random_weights(4), tract_lengths=np.ones((4, 4))).normalise("rows"),
                           COUPLING, speed=2.0)
    with pytest.raises(AnalysisError, match="conduction delays"):
        dispersion_relation(delayed, orb, p)
    # not row-normalised
    raw = BrainNetwork("ei_ping_pop", Connectome(random_weights(4)), COUPLING)
    with pytest.raises(ConnectomeError, match=r"not row-normalised.*Connectome.normalise\('rows'\)"):
        dispersion_relation(raw, orb, p)
    msf = master_stability("ei_ping_pop", COUPLING, orb, p)
    # k larger than the dimension
    with pytest.raises(InputError, match="k must be an integer in 1..6"):
        msf.exponents([0.5], k=7)
    assert msf.exponents([0.5], k=2).shape == (1, 2)
    # an orbit at other parameters is not an orbit of this homogeneous node
    with pytest.raises(NotACycleError) as err:
        master_stability("ei_ping_pop", COUPLING, orb, {"ei_ping_op/eps": 6.0})
    assert err.value.residual > 1e-4          # eps 5 -> 6 changes dv/dt by ~1e-3 of its range
    # a state that is not an equilibrium
    with pytest.raises(AnalysisError, match="not an equilibrium"):
        master_stability("ei_ping_pop", COUPLING, orb.nodes[0], p)
    with pytest.raises(InputError, match="form"):
        master_stability("ei_ping_pop", COUPLING, orb, p, form="symmetric")
    fp_msf = master_stability("ei_ping_pop", COUPLING, orb.nodes[0], p, tol=np.inf)
    with pytest.raises(AnalysisError, match="periodic orbit"):
        fp_msf.multipliers([0.5])
    with pytest.raises(InputError, match="BrainNetwork"):
        dispersion_relation(conn, orb, p)
