"""Bad input and failures of continuation: typed errors that say where and how to fix, and branches that
report why they stopped."""
import numpy as np
import pytest

from neurodyn.analysis import (ContinuationSettings, SymbolicSystem, continuation, find_fixed_points, fold_curve,
                               hopf_curve, switch_branch)
from neurodyn.errors import AnalysisError, ConvergenceError, NotAnEquilibriumError, VariablePathError
from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate

ETA = "p/qif_op/eta"


@pytest.fixture(scope="module")
def qif():
    s = SymbolicSystem.from_circuit("qif")
    x0 = find_fixed_points(s, params={ETA: -10.0}, bounds={"p/qif_op/r": (1e-6, 5.0)})[0].x
    return s, x0


def test_unknown_parameter_path_lists_close_matches(qif):
    s, x0 = qif
    with pytest.raises(VariablePathError, match=r"'p/qif_op/etaa' is not a parameter.*did you mean 'p/qif_op/eta'"):
        continuation(s, "p/qif_op/etaa", x0, -10.0, 0.0)
    with pytest.raises(VariablePathError, match="is a state of 'qif', not a parameter"):
        continuation(s, "p/qif_op/r", x0, -10.0, 0.0)
    with pytest.raises(VariablePathError, match="Edge weights are numbers in the IR"):
        continuation(s, "p/qif_op/J", x0, -10.0, 0.0)
    with pytest.raises(AnalysisError, match="x0 has shape \\(3,\\); expected \\(2,\\)"):
        continuation(s, ETA, [0.1, -1.0, 0.0], -10.0, 0.0)


def test_all_path_moves_every_node(qif):
    s, x0 = qif
    a = continuation(s, ETA, x0, -10.0, 0.0)
    b = continuation(s, "all/qif_op/eta", x0, -10.0, 0.0)
    np.testing.assert_allclose([p["all/qif_op/eta"] for p in b.special_points],
                               [p[ETA] for p in a.special_points], rtol=1e-12)


def test_start_that_is_not_an_equilibrium_gives_the_residual(qif):
    s, _ = qif
    x = np.array([0.5, -0.3])
    res = np.max(np.abs(s.f(x, {ETA: -10.0})))
    with pytest.raises(NotAnEquilibriumError, match=f"not an equilibrium at {ETA} = -10: "
                                                    f"\\|f\\(x0\\)\\|_inf = {res:.3g}.*find_fixed_points"):
        continuation(s, ETA, x, -10.0, 0.0)


def test_non_convergence_says_where_with_the_last_step_and_a_hint(qif):
    s, x0 = qif
    with pytest.raises(ConvergenceError, match=r"did not take a single step from p/qif_op/eta = -10.*step-size "
                                               r"floor.*ds = 1e-07.*Hint"):
        continuation(s, ETA, x0, -10.0, 0.0, tol=1e-300)        # an unreachable Newton tolerance


def _one_state(name, eq, **vals):
    op = OperatorTemplate(f"{name}_op", [eq], {"x": "output(1.0)", **vals})
    return SymbolicSystem.from_circuit(CircuitTemplate(name, nodes={"p": NodeTemplate(f"{name}_pop", [op])}))


def test_branch_ending_at_a_singular_point_reports_where_it_stopped():
    """x' = sqrt(mu) - x: the branch x = sqrt(mu) ends at mu = 0, where df/dmu is infinite; it must not end
    silently or pretend to reach the interval."""
    s = _one_state("sq", "d/dt * x = sqrt(mu) - x", mu=1.0)
    b = continuation(s, "p/sq_op/mu", [1.0], 1.0, -1.0)
    assert not b.complete and b.stop.reason in ("ds_min", "singular")
    mu_end = b.points["p/sq_op/mu"].iloc[-1]
    assert 0 <= mu_end < 1e-3                                    # it got close to the end of the branch
    assert f"{mu_end:.6g}" in b.stop.message and b.stop.hint
    assert f"stop ({b.stop.reason}): " in repr(b) and b.stop.index == len(b.points) - 1
    assert b.stop.values["p/sq_op/mu"] == mu_end


def test_max_steps_and_state_bounds_are_reported(qif):
    s, x0 = qif
    b = continuation(s, ETA, x0, -10.0, 0.0, max_steps=3)
    assert b.stop.reason == "max_steps" and "max_steps = 3" in b.stop.message and not b.complete
    b = continuation(s, ETA, x0, -10.0, 0.0, bounds={"p/qif_op/r": (0.0, 0.5)})
    assert b.stop.reason == "bounds" and b.points["p/qif_op/r"].iloc[-1] == pytest.approx(0.5, rel=1e-12)
    assert b.complete
    with pytest.raises(AnalysisError, match="bounds: 'p/qif_op/rr' is not a state"):
        continuation(s, ETA, x0, -10.0, 0.0, bounds={"p/qif_op/rr": (0.0, 1.0)})


def test_bad_settings_and_intervals(qif):
    s, x0 = qif
    with pytest.raises(AnalysisError, match="p_start and p_stop are equal"):
        continuation(s, ETA, x0, -10.0, -10.0)
    with pytest.raises(AnalysisError, match="p_stop must be finite"):
        continuation(s, ETA, x0, -10.0, np.inf)
    with pytest.raises(AnalysisError, match="ds_min <= ds <= ds_max"):
        ContinuationSettings(ds=0.5, ds_max=0.1)
    with pytest.raises(AnalysisError, match="max_steps must be >= 1"):
        ContinuationSettings(max_steps=0)


def test_delayed_edges_are_refused():
    op = OperatorTemplate("lin_op", ["d/dt * x = -x + u"], {"x": "output(0.0)", "u": "input(0.0)", "k": 1.0})
    node = NodeTemplate("lin", [op])
    c = CircuitTemplate("ring", nodes={"a": node, "b": node},
                        edges=[("a/lin_op/x", "b/lin_op/u", None, {"weight": 1.0, "delay": 1.0}),
                               ("b/lin_op/x", "a/lin_op/u", None, {"weight": 1.0, "delay": 1.0})])
    with pytest.raises(AnalysisError, match="delayed edges.*delays='instantaneous'"):
        continuation(c, "a/lin_op/k", [0.0, 0.0], 0.0, 1.0)


def test_curves_refuse_wrong_starts_and_parameters(qif):
    s, x0 = qif
    b = continuation(s, ETA, x0, -10.0, 0.0)
    lp = b.special("fold")[0]
    with pytest.raises(AnalysisError, match="second parameter must differ"):
        fold_curve(lp, ETA)
    with pytest.raises(AnalysisError, match="give the second parameter"):
        fold_curve(lp)
    with pytest.raises(AnalysisError, match="a Hopf curve starts at a Hopf"):
        hopf_curve(lp, "p/qif_op/Delta")
    with pytest.raises(VariablePathError, match="did you mean 'p/qif_op/Delta'"):
        fold_curve(lp, "p/qif_op/Deltaa")
    with pytest.raises(AnalysisError, match="neither a curve parameter nor a state"):
        fold_curve(lp, "p/qif_op/Delta", bounds={"p/qif_op/tauu": (0, 1)})
    with pytest.raises(AnalysisError, match="outside bounds"):
        fold_curve(lp, "p/qif_op/Delta", bounds={"p/qif_op/Delta": (2.0, 3.0)})
    with pytest.raises(AnalysisError, match="SpecialPoint of kind 'branch_point'"):
        switch_branch(lp)
    with pytest.raises(AnalysisError, match="starts from a SpecialPoint"):
        fold_curve(x0, "p/qif_op/Delta")
