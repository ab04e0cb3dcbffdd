"""Story (e): the bistable range from continuation against the analytic saddle-node curve of the MPR
equations (REFERENCE section 1; the synapse does not move fixed points, s = J r), and the memory protocol."""
import numpy as np
import pytest
from scipy.optimize import brentq

from neurodyn.analysis import AnalysisError
from neurodyn.studies.working_memory import bistable_range, working_memory_trial


def analytic_folds(eta, J, Delta=1.0):
    """Two r with J(r) = J on the saddle-node curve; the input there is eta(r) - eta."""
    Jr = lambda r: 2 * np.pi ** 2 * r + Delta ** 2 / (2 * np.pi ** 2 * r ** 3) - J   # noqa: E731
    rmin = (3 * Delta ** 2 / (4 * np.pi ** 4)) ** 0.25            # minimum of J(r)
    rs = [brentq(Jr, 1e-4, rmin), brentq(Jr, rmin, 100.0)]
    return sorted(-np.pi ** 2 * r ** 2 - 3 * Delta ** 2 / (4 * np.pi ** 2 * r ** 2) - eta for r in rs)


@pytest.mark.parametrize("eta,J", [(-5.0, 15.0), (-8.0, 20.0), (-3.0, 10.0)])
def test_bistable_range_matches_saddle_node_curve(eta, J):
    rng = bistable_range(eta=eta, J=J)
    lo, hi = analytic_folds(eta, J)
    # folds located by bisection + Newton to ~1e-8
    assert rng.I_low == pytest.approx(lo, abs=1e-6)
    assert rng.I_high == pytest.approx(hi, abs=1e-6)


def test_no_bistability_past_the_cusp():
    with pytest.raises(AnalysisError, match="not bistable"):
        bistable_range(eta=-5.0, J=5.0)       # J below the cusp value: one fixed point for every I


def test_cue_stores_and_negative_cue_erases():
    trial = working_memory_trial(duration=100.0)
    r = trial.traces["r"]
    t = trial.traces.index.to_numpy()
    assert not trial.memory_at(19.0)
    assert trial.memory_at(40.0) and trial.memory_at(59.0)          # persists long after the cue (20-24)
    assert r[(t > 45) & (t < 59.9)].to_numpy() == pytest.approx(trial.states["high"], rel=1e-3)
    assert not trial.memory_at(99.0)
    assert r.iloc[-1] == pytest.approx(trial.states["low"], rel=1e-3)


def test_subthreshold_cue_does_not_store():
    rng = bistable_range()
    I_bias = 0.5 * (rng.I_low + rng.I_high)
    # a cue that keeps the input below the upper fold leaves the low state stable: nothing is stored
    trial = working_memory_trial(I_bias, cue=(20.0, 24.0, rng.I_high - 0.3 - I_bias), duration=50.0,
                                 erase=(45.0, 46.0, 0.0))
    assert not trial.memory_at(40.0)
