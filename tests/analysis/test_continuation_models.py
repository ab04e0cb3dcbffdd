"""Continuation on the library's models against independent computations: the MPR saddle-node curve and cusp
(REFERENCE section 1, analytic), the E/I PING node's Hopf points (REFERENCE section 3) against the fixed-point
analysis and the amplitude of the simulated cycle, and the bundled Jansen-Rit circuit over its whole S-shaped
curve with default settings against its scalar equilibrium equation and a separately written NumPy
right-hand side (complex-step Jacobian)."""
import numpy as np
import pytest
from scipy.optimize import brentq, root

from neurodyn.analysis import SymbolicSystem, continuation, find_fixed_points, fold_curve, hopf_curve
from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate


# ------------------------------------------------------------------------------------------------ MPR
def mpr_system():
    """MPR with J as a constant (in the bundled 'qif' J is an edge weight, not a parameter)."""
    op = OperatorTemplate("mpr_op", ["d/dt * r = (Delta/(pi*tau) + 2.0*r*v)/tau",
                                     "d/dt * v = (v^2 + eta + J*tau*r - (pi*tau*r)^2)/tau"],
                          {"r": "output(0.01)", "v": "variable(-2.0)", "tau": 1.0, "Delta": 1.0, "eta": -5.0,
                           "J": 15.0})
    return SymbolicSystem.from_circuit(CircuitTemplate("mpr", nodes={"p": NodeTemplate("mpr_pop", [op])}))


def sn_curve(r, Delta=1.0):
    return (2 * np.pi ** 2 * r + Delta ** 2 / (2 * np.pi ** 2 * r ** 3),
            -np.pi ** 2 * r ** 2 - 3 * Delta ** 2 / (4 * np.pi ** 2 * r ** 2))


def test_mpr_saddle_node_curve_and_cusp():
    s = mpr_system()
    ETA, J, R, V = "p/mpr_op/eta", "p/mpr_op/J", "p/mpr_op/r", "p/mpr_op/v"
    x0 = find_fixed_points(s, params={ETA: -15.0}, bounds={R: (1e-9, 10.0)})[0]
    br = continuation(s, ETA, x0, -15.0, 5.0)
    folds = br.special("fold")
    assert len(folds) == 2 and br.stop.reason == "end"
    curve = fold_curve(folds[0], J, bounds={J: (0.0, 30.0), ETA: (-80.0, 5.0)})
    r = curve.points[R].to_numpy()
    Jr, etar = sn_curve(r)
    # every point of the curve on the analytic saddle-node curve: Newton to 1e-10 in scaled units
    np.testing.assert_allclose(curve.points[J], Jr, rtol=1e-9)
    np.testing.assert_allclose(curve.points[ETA], etar, rtol=1e-9)
    np.testing.assert_allclose(curve.points[V], -1 / (2 * np.pi * r), rtol=1e-9)
    # the curve covers both arms (small and large r) up to J = 30 at both ends
    assert [st.reason for st in curve.stops] == ["end", "end"]
    np.testing.assert_allclose(curve.points[J].iloc[[0, -1]], 30.0, rtol=1e-12)
    cusps = curve.special("cusp")
    assert len(cusps) == 1 and [p.kind for p in curve.special_points] == ["cusp"]
    rc = (3 / 4) ** 0.25 / np.pi                 # dJ/dr = 0
    Jc, etac = sn_curve(rc)
    cp = cusps[0]
    # located by regula falsi on w^T B(v, v) to 1e-10 in arclength: the parameters to ~1e-9
    assert cp[ETA] == pytest.approx(-np.sqrt(3), rel=1e-8)
    assert cp[J] == pytest.approx(Jc, rel=1e-8) and etac == pytest.approx(-np.sqrt(3))
    assert cp[R] == pytest.approx(rc, rel=1e-6)


# ------------------------------------------------------------------------------------------- E/I node
EI_P = "p/ei_ping_op/I_ext_e"
EI_BOUNDS = {"p/ei_ping_op/r_e": (1e-9, 1.0), "p/ei_ping_op/r_i": (1e-9, 1.0)}


def _equilibrium(s, guess, params):
    sol = root(lambda x: s.f(x, params), guess, jac=lambda x: s.jacobian(x, params), tol=1e-13)
    assert np.max(np.abs(s.f(sol.x, params))) < 1e-12
    return sol.x


def test_ei_node_hopf_points_against_fixed_point_analysis_and_simulated_amplitude():
    from neurodyn.simulate import compile_model
    s = SymbolicSystem.from_circuit("ei_ping")
    x0 = find_fixed_points(s, params={EI_P: 0.0}, bounds=EI_BOUNDS)[0]
    br = continuation(s, EI_P, x0, 0.0, 100.0)
    assert br.stop.reason == "end" and [p.kind for p in br.special_points] == ["hopf", "hopf"]
    for h in br.special("hopf"):
        # independent location: the real part of the leading eigenvalue of the fixed point found by
        # scipy.optimize.root, zero by Brent's method in I_ext_e
        def lead(I):
            x = _equilibrium(s, h.x, {EI_P: I})
            ev = np.linalg.eigvals(s.jacobian(x, {EI_P: I}))
            return ev[np.argmax(ev.real)]
        Ih = brentq(lambda I: lead(I).real, h[EI_P] - 0.5, h[EI_P] + 0.5, xtol=1e-13)
        assert h[EI_P] == pytest.approx(Ih, rel=1e-9)
        assert h["omega"] == pytest.approx(abs(lead(Ih).imag), rel=1e-9)
        assert h.data["criticality"] == "supercritical"
    I1, I2 = (p[EI_P] for p in br.special("hopf"))
    assert I1 == pytest.approx(5.99, abs=0.01) and I2 == pytest.approx(65.55, abs=0.01)
    # the stability between the points: unstable (a complex pair) between the Hopf points, stable outside
    pts = br.points[br.points["special"] == ""]
    inside = (pts[EI_P] > I1) & (pts[EI_P] < I2)
    assert pts.loc[inside, "n_unstable"].eq(2).all() and pts.loc[~inside, "n_unstable"].eq(0).all()
    # supercritical: a small stable cycle on the unstable side whose amplitude the normal form predicts,
    # A_k = 2 |q_k| sqrt(-alpha dI / (omega l1)) with alpha = d Re(lambda)/dI and |q| = 1 (the normalisation
    # of l1); the simulation converges to it. Error O(dI): ~3 % at dI = 0.05.
    h = br.special("hopf")[0]
    alpha = (lead_re(s, h, 1e-4) - lead_re(s, h, -1e-4)) / 2e-4
    w, V = np.linalg.eig(s.jacobian(h.x, h.all_params))
    q = V[:, np.argmin(np.abs(w - 1j * h["omega"]))]
    q /= np.linalg.norm(q)
    dI = 0.05
    pred = 2 * np.abs(q) * np.sqrt(-alpha * dI / (h["omega"] * h["l1"]))
    model = compile_model("ei_ping")
    T = round(30 / (alpha * dI) / 0.1) * 0.1    # 30 e-foldings of the growth rate, on the sampling grid
    df = model.run(T, 0.02, outputs={"r_e": "p/ei_ping_op/r_e", "v_e": "p/ei_ping_op/v_e"}, solver="rk4",
                   sampling_step_size=0.1, params={EI_P: h[EI_P] + dI})
    tail = df.iloc[-20000:]
    amp = (tail.max() - tail.min()).to_numpy() / 2
    np.testing.assert_allclose(amp, pred[:2], rtol=0.06)


def lead_re(s, h, dI):
    x = _equilibrium(s, h.x, {EI_P: h[EI_P] + dI})
    return float(np.max(np.linalg.eigvals(s.jacobian(x, {EI_P: h[EI_P] + dI})).real))


def test_ei_node_hopf_curve_in_the_global_coupling():
    """The Hopf curve in (I_ext_e, eps) of the homogeneous (self-coupled) node: at every point the fixed point
    found by scipy has a pair of eigenvalues +-i omega (omega from the curve)."""
    s = SymbolicSystem.from_circuit("ei_ping")
    EPS = "p/ei_ping_op/eps"
    x0 = find_fixed_points(s, params={EI_P: 0.0}, bounds=EI_BOUNDS)[0]
    h = continuation(s, EI_P, x0, 0.0, 20.0).special("hopf")[0]
    hc = hopf_curve(h, EPS, bounds={EPS: (0.0, 30.0), EI_P: (-10.0, 100.0)})
    assert hc.complete
    rows = hc.points.iloc[:: max(1, len(hc.points) // 8)]
    for _, row in rows.iterrows():
        P = {EI_P: row[EI_P], EPS: row[EPS]}
        x = _equilibrium(s, row[list(s.labels)].to_numpy(dtype=float), P)
        ev = np.linalg.eigvals(s.jacobian(x, P))
        k = np.argmin(np.abs(ev - 1j * row["omega"]))
        # |Re| of the critical pair relative to omega: the curve's Newton tolerance (~1e-10)
        assert abs(ev[k].real) < 1e-8 * row["omega"] and ev[k].imag == pytest.approx(row["omega"], rel=1e-8)


# ------------------------------------------------------------------------------------------ Jansen-Rit
# Written here from REFERENCE section 4 and the template's documented mapping (pc/rpo_e_in/v = y1,
# pc/rpo_i/v = -y2, ein/rpo_e/v = C1 y0, iin/rpo_e/v = C3 y0), independently of the IR and of SymPy.
HE, TE, HI, TI = 3.25e-3, 1e-2, -22e-3, 2e-2
C1, C2, C3, C4 = 135.0, 108.0, 33.75, 33.75
U = "pc/rpo_e_in/u"


def S(v):
    return 5.0 / (1.0 + np.exp(560.0 * (6e-3 - v)))


def jrc_rhs(x, u, B_gain=HI):
    vpe, xpe, vpi, xpi, ve, vi, xe, xi = x
    vpc = vpe + vpi

    def alpha(v, dv, h, tau, m):
        return h * m / tau - 2 * dv / tau - v / tau ** 2
    return np.array([xpe, alpha(vpe, xpe, HE, TE, C2 * S(ve) + u), xpi, alpha(vpi, xpi, B_gain, TI, C4 * S(vi)),
                     xe, xi, alpha(ve, xe, HE, TE, C1 * S(vpc)), alpha(vi, xi, HE, TE, C3 * S(vpc))])


def jrc_jacobian(x, u, h=1e-30):
    """Complex-step derivative: exact to round-off."""
    return np.column_stack([np.imag(jrc_rhs(x + 1j * h * e, u)) / h for e in np.eye(8)])


def u_of_y(y):
    """At an equilibrium v = h tau m_in for every PSP; with y = v_pc the input u is explicit in y."""
    return (y - HI * TI * C4 * S(HE * TE * C3 * S(y))) / (HE * TE) - C2 * S(HE * TE * C1 * S(y))


def x_of_y(y):
    ve, vi = HE * TE * C1 * S(y), HE * TE * C3 * S(y)
    vpi = HI * TI * C4 * S(vi)
    return np.array([y - vpi, 0.0, vpi, 0.0, ve, vi, 0.0, 0.0])


def test_jansen_rit_whole_s_curve_with_default_settings():
    s = SymbolicSystem.from_circuit("JRC")
    assert s.labels == ["pc/rpo_e_in/v", "pc/rpo_e_in/x", "pc/rpo_i/v", "pc/rpo_i/x", "ein/rpo_e/v",
                        "iin/rpo_e/v", "ein/rpo_e/x", "iin/rpo_e/x"]
    start = find_fixed_points(s, params={U: -60.0})
    assert len(start) == 1
    br = continuation(s, U, start[0], -60.0, 400.0)          # default settings
    assert br.stop.reason == "end" and br.points[U].iloc[-1] == pytest.approx(400.0, rel=1e-12)
    u = br.points[U].to_numpy()
    X = br.points[s.labels].to_numpy()
    y = X[:, 0] + X[:, 2]
    # 1. every point is an equilibrium of the independent right-hand side (scale: a^2 v ~ 1e4 * 1e-2)
    for xi, ui in zip(X, u):
        assert np.max(np.abs(jrc_rhs(xi, ui))) < 1e-8
    np.testing.assert_allclose(u, u_of_y(y), rtol=1e-9, atol=1e-9)
    # 2. the branch traces the whole curve without a jump: y increases monotonically along the S (u is a
    # function of y), from the single root at u = -60 to the single root at u = 400, in small steps
    assert np.all(np.diff(y) > 0)
    yy = np.linspace(-0.02, 0.05, 70001)
    for ue, ye in ((-60.0, y[0]), (400.0, y[-1])):
        roots = [brentq(lambda z: u_of_y(z) - ue, a, b, xtol=1e-15) for a, b in zip(yy[:-1], yy[1:])
                 if np.sign(u_of_y(a) - ue) != np.sign(u_of_y(b) - ue)]
        assert len(roots) == 1 and ye == pytest.approx(roots[0], rel=1e-9)
    assert np.max(np.diff(y)) < 0.05 * (y[-1] - y[0])
    # 3. both folds: du/dy = 0, located by Brent's method on the analytic derivative
    du = lambda z, h=1e-9: (u_of_y(z + h) - u_of_y(z - h)) / (2 * h)      # noqa: E731
    y_f = [brentq(du, 0.001, 0.004, xtol=1e-14), brentq(du, 0.004, 0.008, xtol=1e-14)]
    folds = br.special("fold")
    assert len(folds) == 2
    for p, yf in zip(folds, y_f):
        assert p[U] == pytest.approx(u_of_y(yf), rel=1e-9)                 # 113.586 and -41.301
    assert [round(p[U], 3) for p in folds] == [113.586, -41.301]
    # three branches: stable lower, saddle middle (one or two unstable eigenvalues), upper
    lower = np.arange(len(u)) < folds[0].index
    middle = (np.arange(len(u)) > folds[0].index) & (np.arange(len(u)) < folds[1].index)
    assert br.points.loc[lower, "stable"].all() and (br.points.loc[middle, "n_unstable"] >= 1).all()
    # 4. stability at every point against the independent Jacobian's eigenvalues
    for i, (xi, ui) in enumerate(zip(X, u)):
        if br.points["special"].iloc[i]:
            continue
        ev = np.linalg.eigvals(jrc_jacobian(xi, ui))
        assert br.points["n_unstable"].iloc[i] == int(np.sum(ev.real > 0))
    # 5. the Hopf points: where a complex pair of the independent Jacobian crosses the imaginary axis, in y
    def crit(z):
        ev = np.linalg.eigvals(jrc_jacobian(x_of_y(z), u_of_y(z)))
        c = ev[np.abs(ev.imag) > 1e-6]
        return c[np.argmax(c.real)] if c.size else np.nan
    ys = np.linspace(y_f[1], y[-1], 400)
    c = np.array([crit(z) for z in ys])
    # a sign change of the same pair (continuous imaginary part), not the birth of a pair from two real
    # eigenvalues (just above the fold at u = -41.3, with Re > 0)
    brackets = [(a, b) for a, b, ca, cb in zip(ys[:-1], ys[1:], c[:-1], c[1:])
                if np.sign(ca.real) != np.sign(cb.real) and abs(ca.imag - cb.imag) < 0.1 * abs(ca.imag)]
    yh = [brentq(lambda z: crit(z).real, a, b, xtol=1e-15) for a, b in brackets]
    hopf = br.special("hopf")
    assert len(hopf) == len(yh) == 3
    for p, z in zip(hopf, yh):
        assert p[U] == pytest.approx(u_of_y(z), rel=1e-8)
        assert p["omega"] == pytest.approx(abs(crit(z).imag), rel=1e-8)
    assert [round(p[U], 2) for p in hopf] == [-12.15, 89.83, 315.70]
    # alpha band (time in s): the two Hopf points bounding the oscillatory range at ~10-11 Hz
    assert [round(p["frequency"], 1) for p in hopf[1:]] == [10.4, 11.2]
    # 6. first Lyapunov coefficients against the same formula with derivatives by central differences of the
    # independent right-hand side (step 1e-4 V: truncation and round-off ~1e-4 relative)
    for p in hopf:
        assert p["l1"] == pytest.approx(fd_l1(p.x, p[U], p["omega"]), rel=2e-3)
    assert [p.data["criticality"] for p in hopf] == ["subcritical", "supercritical", "supercritical"]


def fd_l1(x, u, om, e=1e-4, B_gain=HI):
    from itertools import product
    A = jac_with_B(x, u, B_gain)
    w, V = np.linalg.eig(A)
    q = V[:, np.argmin(np.abs(w - 1j * om))]
    q /= np.linalg.norm(q)
    wl, Vl = np.linalg.eig(A.T)
    p = Vl[:, np.argmin(np.abs(wl + 1j * om))]
    p = p / np.conj(np.vdot(p, q))

    def multi(vectors):
        """sum over sign patterns: the mixed central difference of order len(vectors) (real directions)."""
        k = len(vectors)
        tot = 0.0
        for signs in product([1, -1], repeat=k):
            tot = tot + np.prod(signs) * jrc_rhs(x + e * sum(s_ * v for s_, v in zip(signs, vectors)), u, B_gain)
        return tot / (2 ** k * e ** k)

    def form(*vectors):       # complex-multilinear extension of the real form
        tot = 0.0
        for parts in product([0, 1], repeat=len(vectors)):
            vs = [v.imag if pt else v.real for v, pt in zip(vectors, parts)]
            tot = tot + (1j ** sum(parts)) * multi(vs)
        return tot
    n = len(x)
    h11 = -np.linalg.solve(A, form(q, q.conj()))
    h20 = np.linalg.solve(2j * om * np.eye(n) - A, form(q, q))
    c = np.vdot(p, form(q, q, q.conj())) + 2 * np.vdot(p, form(q, h11)) + np.vdot(p, form(q.conj(), h20))
    return float(np.real(c)) / (2 * om)


def test_jansen_rit_codimension_two_points_agree_between_fold_and_hopf_curves():
    """In (p, B) (B = pc/rpo_i/h, the inhibitory gain, V): the Bogdanov-Takens point found on the fold curve
    (w^T v = 0) and on the Hopf curve (kappa = 0) is the same point, where the independent Jacobian has a double
    zero eigenvalue; at the Bautin point on the Hopf curve l1 changes sign (checked with central
    differences)."""
    s = SymbolicSystem.from_circuit("JRC")
    B = "pc/rpo_i/h"
    br = continuation(s, U, find_fixed_points(s, params={U: -60.0})[0], -60.0, 400.0)
    box = {B: (-0.04, -0.005), U: (-200.0, 600.0)}
    fc = fold_curve(br.special("fold")[1], B, bounds=box)
    hc = hopf_curve(br.special("hopf")[2], B, bounds=box)
    bt_f, bt_h = fc.special("bogdanov_takens"), hc.special("bogdanov_takens")
    assert len(bt_f) == len(bt_h) == 1
    # both located to ~1e-10 of scaled arclength on different defining systems
    # (measured: 5e-12 relative in p)
    assert bt_f[0][U] == pytest.approx(bt_h[0][U], rel=1e-9) and bt_f[0][B] == pytest.approx(bt_h[0][B], rel=1e-9)
    np.testing.assert_allclose(bt_f[0].x, bt_h[0].x, rtol=1e-8, atol=1e-14)
    ev = np.sort(np.abs(np.linalg.eigvals(jac_with_B(bt_f[0].x, bt_f[0][U], bt_f[0][B]))))
    # two eigenvalues ~0: a Jordan block splits like the square root of the location error (measured 4e-9)
    assert ev[1] < 1e-7 * ev[-1] and ev[2] > 0.1 * ev[-1]
    gh = hc.special("bautin")
    assert len(gh) == 1
    i = gh[0].index
    signs = []
    for k in (i - 1, i + 1):
        row = hc.points.iloc[k]
        x = row[list(s.labels)].to_numpy(dtype=float)
        signs.append(np.sign(fd_l1(x, row[U], row["omega"], B_gain=row[B])))
    assert signs[0] == -signs[1]


def jac_with_B(x, u, b_gain, h=1e-30):
    return np.column_stack([np.imag(jrc_rhs(x + 1j * h * e, u, b_gain)) / h for e in np.eye(8)])
