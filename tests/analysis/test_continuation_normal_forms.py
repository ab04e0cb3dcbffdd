"""Continuation and bifurcation analysis against normal forms whose bifurcations are known in closed form:
Stuart-Landau (Hopf point and first Lyapunov coefficient, both signs), a planar system with quadratic terms
(l1 against the Guckenheimer-Holmes formula evaluated here with SymPy), pitchfork / transcritical (branch
points) versus a fold, branch switching, the cusp, Bogdanov-Takens and Bautin normal forms (codimension-two
points on fold and Hopf curves)."""
import numpy as np
import pytest
import sympy as sp

from neurodyn.analysis import (SymbolicSystem, continuation, first_lyapunov_coefficient, fold_curve, hopf_curve,
                               switch_branch)
from neurodyn.analysis.derivatives import derivatives
from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate


def system(name, equations, variables):
    op = OperatorTemplate(f"{name}_op", equations, variables)
    return SymbolicSystem.from_circuit(CircuitTemplate(name, nodes={"p": NodeTemplate(f"{name}_pop", [op])}))


def sl_system(a, b, om):
    """Stuart-Landau: dz/dt = (mu + i om) z + (a + i b) |z|^2 z in x = Re z, y = Im z."""
    return system("sl", ["d/dt * x = mu*x - om*y + (a*x - b*y)*(x^2 + y^2)",
                         "d/dt * y = om*x + mu*y + (b*x + a*y)*(x^2 + y^2)"],
                  {"x": "output(0.0)", "y": "variable(0.0)", "mu": -1.0, "om": om, "a": a, "b": b})


@pytest.mark.parametrize("a,criticality", [(-1.0, "supercritical"), (0.5, "subcritical")])
def test_stuart_landau_hopf_point_and_lyapunov_coefficient(a, criticality):
    om, b = 2.0, 0.3
    br = continuation(sl_system(a, b, om), "p/sl_op/mu", [0.0, 0.0], -1.0, 1.0)
    hopf = br.special("hopf")
    assert [p.kind for p in br.special_points] == ["hopf"]
    h = hopf[0]
    # Newton on the minimally augmented Hopf system: mu = 0 to round-off, omega exact
    assert abs(h["p/sl_op/mu"]) < 1e-12
    assert h["omega"] == pytest.approx(om, rel=1e-12)
    assert h["frequency"] == pytest.approx(om / (2 * np.pi), rel=1e-12)
    # with <q, q> = <p, q> = 1 the normal form coefficient c1 = 2 (a + i b), l1 = Re c1 / omega = 2 a / om
    # (derivation in analysis.bifurcations); third derivatives are exact, so agreement is to round-off
    assert h["l1"] == pytest.approx(2 * a / om, rel=1e-10)
    assert h.data["criticality"] == criticality
    assert br.stop.reason == "end" and br.stop.complete
    # stable before the Hopf point, unstable after (two eigenvalues with Re > 0)
    pts = br.points
    assert pts.loc[pts["p/sl_op/mu"] < -1e-6, "n_unstable"].eq(0).all()
    assert pts.loc[pts["p/sl_op/mu"] > 1e-6, "n_unstable"].eq(2).all()


def test_first_lyapunov_coefficient_against_guckenheimer_holmes():
    """A planar Hopf point with quadratic and cubic terms: x' = -om y + f, y' = om x + g. Guckenheimer & Holmes
    (1983, eq. 3.4.11) give the radial coefficient a; with our normalisation l1 = 2 a / om."""
    om = 1.5
    X, Y = sp.symbols("x y")
    f = 0.7 * X ** 2 - 0.4 * X * Y + 0.9 * Y ** 2 + 0.3 * X ** 3 - 0.2 * X * Y ** 2
    g = -0.5 * X ** 2 + 1.1 * X * Y + 0.2 * Y ** 2 - 0.6 * X ** 2 * Y + 0.1 * Y ** 3
    d = lambda e, *v: float(sp.diff(e, *v).subs({X: 0, Y: 0}))     # noqa: E731
    a_gh = (d(f, X, X, X) + d(f, X, Y, Y) + d(g, X, X, Y) + d(g, Y, Y, Y)) / 16 + (
        d(f, X, Y) * (d(f, X, X) + d(f, Y, Y)) - d(g, X, Y) * (d(g, X, X) + d(g, Y, Y))
        - d(f, X, X) * d(g, X, X) + d(f, Y, Y) * d(g, Y, Y)) / (16 * om)
    s = system("gh", [f"d/dt * x = mu*x - om*y + {sp.sstr(f)}".replace("**", "^"),
                      f"d/dt * y = om*x + mu*y + {sp.sstr(g)}".replace("**", "^")],
               {"x": "output(0.0)", "y": "variable(0.0)", "mu": -0.5, "om": om})
    h = continuation(s, "p/gh_op/mu", [0.0, 0.0], -0.5, 0.5).special("hopf")[0]
    assert abs(h["p/gh_op/mu"]) < 1e-12
    assert h["l1"] == pytest.approx(2 * a_gh / om, rel=1e-10)
    # the public function gives the same from the point alone
    info = first_lyapunov_coefficient(s, h.x, h.all_params)
    assert first_lyapunov_coefficient(derivatives(s), h.x, h.all_params)["l1"] == info["l1"]
    assert info["l1"] == pytest.approx(h["l1"], rel=1e-12) and info["omega"] == pytest.approx(om, rel=1e-12)


def test_pitchfork_is_a_branch_point_not_a_fold_and_switching_follows_the_other_branch():
    s = system("pf", ["d/dt * x = mu*x - x^3"], {"x": "output(0.0)", "mu": -1.0})
    br = continuation(s, "p/pf_op/mu", [0.0], -1.0, 1.0)
    assert [p.kind for p in br.special_points] == ["branch_point"]
    bp = br.special_points[0]
    assert abs(bp["p/pf_op/mu"]) < 1e-9 and abs(bp["p/pf_op/x"]) < 1e-12
    # the trivial branch: stable for mu < 0, one unstable eigenvalue for mu > 0
    pts = br.points
    assert pts.loc[pts["p/pf_op/mu"] < -1e-6, "n_unstable"].eq(0).all()
    assert pts.loc[pts["p/pf_op/mu"] > 1e-6, "n_unstable"].eq(1).all()
    other = switch_branch(bp)
    x, mu = other.points["p/pf_op/x"].to_numpy(), other.points["p/pf_op/mu"].to_numpy()
    # the other branch x = +-sqrt(mu), through the branch point, to mu = 1 at both ends (Newton to 1e-10)
    np.testing.assert_allclose(mu, x ** 2, atol=1e-10)
    assert x.min() == pytest.approx(-1.0, abs=1e-10) and x.max() == pytest.approx(1.0, abs=1e-10)
    assert [st.reason for st in other.stops] == ["end", "end"]
    assert other.points.loc[np.abs(x) > 1e-6, "stable"].all()         # supercritical pitchfork: stable


def test_transcritical_branch_point_and_fold_are_told_apart():
    tc = system("tc", ["d/dt * x = mu*x - x^2"], {"x": "output(0.0)", "mu": -1.0})
    br = continuation(tc, "p/tc_op/mu", [0.0], -1.0, 1.0)
    assert [p.kind for p in br.special_points] == ["branch_point"]
    assert abs(br.special_points[0]["p/tc_op/mu"]) < 1e-9
    other = switch_branch(br.special_points[0])
    np.testing.assert_allclose(other.points["p/tc_op/x"], other.points["p/tc_op/mu"], atol=1e-10)   # x = mu
    fo = system("fo", ["d/dt * x = mu - x^2"], {"x": "output(-1.0)", "mu": 1.0})
    br = continuation(fo, "p/fo_op/mu", [-1.0], 1.0, -1.0)         # around the fold at mu = 0 and back
    assert [p.kind for p in br.special_points] == ["fold"]
    lp = br.special_points[0]
    assert abs(lp["p/fo_op/mu"]) < 1e-12 and abs(lp["p/fo_op/x"]) < 1e-7
    # normal form dy/dt = beta + a y^2 with |q| = 1, <p, q> = 1: a = -1 (q = (1,), p = (1,))
    assert lp["a"] == pytest.approx(-1.0, rel=1e-8)
    # no equilibria for mu < 0: the branch turns and leaves the interval at mu = 1 on x = +1
    assert br.stop.reason == "end" and br.points["p/fo_op/x"].iloc[-1] == pytest.approx(1.0, rel=1e-10)
    assert br.points["p/fo_op/mu"].min() == pytest.approx(0.0, abs=1e-12)


def test_cusp_normal_form_fold_curve():
    """x' = b1 + b2 x - x^3: folds on 27 b1^2 = 4 b2^3, cusp at (0, 0)."""
    s = system("cusp", ["d/dt * x = b1 + b2*x - x^3"], {"x": "output(-1.3247)", "b1": 0.0, "b2": 1.0})
    br = continuation(s, "p/cusp_op/b1", [-1.324718], -1.0, 1.0)
    folds = br.special("fold")
    assert len(folds) == 2
    for p in folds:                    # b2 = 1: b1 = +-2/(3 sqrt 3)
        assert abs(p["p/cusp_op/b1"]) == pytest.approx(2 / (3 * np.sqrt(3)), rel=1e-10)
    c = fold_curve(folds[0], "p/cusp_op/b2", bounds={"p/cusp_op/b2": (-1.0, 2.0)})
    b1, b2 = c.points["p/cusp_op/b1"].to_numpy(), c.points["p/cusp_op/b2"].to_numpy()
    np.testing.assert_allclose(27 * b1 ** 2, 4 * b2 ** 3, atol=1e-9)
    x = c.points["p/cusp_op/x"].to_numpy()
    np.testing.assert_allclose(b2, 3 * x ** 2, atol=1e-9)                   # f_x = b2 - 3 x^2 = 0
    assert [p.kind for p in c.special_points] == ["cusp"]
    cp = c.special_points[0]
    assert abs(cp["p/cusp_op/b1"]) < 1e-10 and abs(cp["p/cusp_op/b2"]) < 1e-8
    assert [st.reason for st in c.stops] == ["end", "end"]                 # both ends at b2 = 2


@pytest.mark.parametrize("sgn", [1.0, -1.0])
def test_bogdanov_takens_normal_form(sgn):
    """x' = y, y' = b1 + b2 x + x^2 + s x y: folds on b1 = b2^2/4, Hopf points on b1 = 0 (b2 < 0), neutral
    saddles on b1 = 0 (b2 > 0), Bogdanov-Takens at the origin with normal-form coefficients a = 1, b = s (up
    to the sign of the eigenvectors, which flips both: a b = s is invariant)."""
    s = system("bt", ["d/dt * x = y", f"d/dt * y = b1 + b2*x + x^2 + {sgn}*x*y"],
               {"x": "output(-1.0)", "y": "variable(0.0)", "b1": 0.0, "b2": -1.0})
    br = continuation(s, "p/bt_op/b1", [-1.0, 0.0], -2.0, 1.0)
    kinds = sorted(p.kind for p in br.special_points)
    assert kinds == ["fold", "hopf"]
    h = br.special("hopf")[0]
    assert abs(h["p/bt_op/b1"]) < 1e-12 and h["omega"] == pytest.approx(1.0, rel=1e-12)
    # at b2 = -1 the permutation (u, v) = (y, x) (orthogonal: l1 with |q| = 1 is unchanged) gives
    # u' = -v + v^2 + s u v, v' = u, the Guckenheimer-Holmes form with f = v^2 + s u v, g = 0, omega = 1:
    # a = f_uv (f_uu + f_vv)/16 = s/8 and l1 = 2 a / omega = s/4
    assert h["l1"] == pytest.approx(sgn / 4, rel=1e-10)
    lp = br.special("fold")[0]
    assert lp["p/bt_op/b1"] == pytest.approx(0.25, rel=1e-12)
    fc = fold_curve(lp, "p/bt_op/b2", bounds={"p/bt_op/b2": (-1.5, 1.5)})
    np.testing.assert_allclose(fc.points["p/bt_op/b1"], fc.points["p/bt_op/b2"] ** 2 / 4, atol=1e-12)
    hc = hopf_curve(h, "p/bt_op/b2", bounds={"p/bt_op/b2": (-1.5, 1.5)})
    np.testing.assert_allclose(hc.points["p/bt_op/b1"], 0.0, atol=1e-12)
    pts = hc.points[np.abs(hc.points["p/bt_op/b2"]) > 1e-6]           # away from the BT point itself
    hopf_part = pts["p/bt_op/b2"] < 0
    np.testing.assert_allclose(pts.loc[hopf_part, "omega"] ** 2, -pts.loc[hopf_part, "p/bt_op/b2"], rtol=1e-10)
    assert (pts["neutral_saddle"] == ~hopf_part).all() and pts.loc[~hopf_part, "omega"].isna().all()
    for curve in (fc, hc):
        bt = curve.special("bogdanov_takens")
        assert len(bt) == 1
        p = bt[0]
        assert abs(p["p/bt_op/b1"]) < 1e-10 and abs(p["p/bt_op/b2"]) < 1e-8
        assert abs(p["a"]) == pytest.approx(1.0, rel=1e-6)
        assert p["a"] * p["b"] == pytest.approx(sgn, rel=1e-6)
        assert [st.reason for st in curve.stops] == ["end", "end"]


def test_bautin_normal_form_hopf_curve():
    """z' = (b1 + i) z + b2 z |z|^2 - z |z|^4: Hopf curve b1 = 0 with l1 = 2 b2 (omega = 1), Bautin point
    (generalised Hopf, l1 = 0) at b2 = 0."""
    s = system("gh", ["d/dt * x = b1*x - y + b2*x*(x^2+y^2) - x*(x^2+y^2)^2",
                      "d/dt * y = x + b1*y + b2*y*(x^2+y^2) - y*(x^2+y^2)^2"],
               {"x": "output(0.0)", "y": "variable(0.0)", "b1": 0.0, "b2": -1.0})
    br = continuation(s, "p/gh_op/b1", [0.0, 0.0], -1.0, 1.0)
    h = br.special("hopf")[0]
    assert h["l1"] == pytest.approx(-2.0, rel=1e-10)
    hc = hopf_curve(h, "p/gh_op/b2", bounds={"p/gh_op/b2": (-1.0, 1.0)})
    pts = hc.points
    np.testing.assert_allclose(pts["p/gh_op/b1"], 0.0, atol=1e-12)
    np.testing.assert_allclose(pts["omega"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(pts["l1"], 2 * pts["p/gh_op/b2"], atol=1e-10)
    assert [p.kind for p in hc.special_points] == ["bautin"]
    assert abs(hc.special_points[0]["p/gh_op/b2"]) < 1e-10
    assert pts["p/gh_op/b2"].min() == pytest.approx(-1.0) and pts["p/gh_op/b2"].max() == pytest.approx(1.0)
