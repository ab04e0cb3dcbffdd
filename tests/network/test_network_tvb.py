"""neurodyn's BrainNetwork against The Virtual Brain (TVB) on the Montbrió-Pazó-Roxin (MPR) network.

Same work on both sides: TVB's 76-region connectome (tvb-data), tract lengths / 3 mm/ms delays, Linear
coupling ``c_i = a sum_j W_ij r_j(t - d_ij)`` with TVB's default ``a = 2**-8``, deterministic Heun at
dt = 0.01 ms, r clipped at 0 after each Heun stage, and a constant initial history equal to the initial
state (neurodyn's convention for the past; TVB is given that history explicitly).

* ``delay_mode='step'`` is TVB's convention (delays rounded to whole steps, coupling evaluated once per step
  from the state at step n - 1 - d, zero delays read the state at the start of the step). It must agree
  with TVB's float64 numba backend (``compatibility_mode=True``) to round-off, and with TVB's Python
  simulator to the level set by that simulator's float32 history.
* ``delay_mode='cubic'`` (neurodyn's default) interpolates the history at every stage time and converges
  to the exact delay-differential equation at Heun's second order as dt shrinks.

The MPR node is written here, independently of neurodyn's library, as the exact equations of TVB's
``MontbrioPazoRoxin`` (tvb/simulator/models/infinite_theta.py; see docs/network_data.md, "MPR in TVB"):
the network input enters as ``cr * c_r`` added to ``tau dV/dt`` *without* a factor tau.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tvb.simulator.lab", reason="TVB (tvb-library, extra neurodyn[peers]) not installed")
pytest.importorskip("tvb_data", reason="tvb-data (extra neurodyn[peers]) not installed: no 76-region connectome")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import _tvb_reference as tvbref  # noqa: E402

from neurodyn.lang.templates import NodeTemplate, OperatorTemplate  # noqa: E402
from neurodyn.network import BrainNetwork, Coupling, load_connectome  # noqa: E402

DT = 0.01            # ms
DURATION = 20.0      # ms: 2000 Heun steps, long enough for the delayed inputs (>= 1.6 ms) to matter
SPEED = 3.0          # mm/ms
A = 0.00390625       # TVB's default Linear coupling slope

#: TVB's MontbrioPazoRoxin with its defaults (tau = 1, Delta = 1, eta = -5, J = 15, I = 0, cr = 1; cv = 0 so
#: the V-coupling is left out).
MPR_OP = OperatorTemplate("mpr_op", [
    "d/dt * r = (Delta/(pi*tau) + 2.0*V*r)/tau",
    "d/dt * V = (V^2 - (pi*tau*r)^2 + eta + J*tau*r + I + cr*c_r)/tau",
], {"r": "output(0.1)", "V": "variable(-2.0)", "tau": 1.0, "Delta": 1.0, "eta": -5.0, "J": 15.0, "I": 0.0,
    "cr": 1.0, "c_r": "input(0.0)"})
MPR_NODE = NodeTemplate("tvb_mpr", [MPR_OP])


@pytest.fixture(scope="module")
def conn():
    return load_connectome("tvb76")


@pytest.fixture(scope="module")
def init_state(conn):
    """Random initial state in TVB's state-variable ranges, float32-representable (TVB stores history in
    float32, so both sides then start from exactly the same numbers)."""
    rng = np.random.default_rng(2024)
    r0 = rng.uniform(0.0, 2.0, conn.n_regions).astype(np.float32).astype(np.float64)
    V0 = rng.uniform(-2.0, 1.5, conn.n_regions).astype(np.float32).astype(np.float64)
    return r0, V0


def run_neurodyn(conn, init_state, mode, dt=DT, duration=DURATION, sampling=None):
    r0, V0 = init_state
    net = BrainNetwork(MPR_NODE, conn, Coupling("mpr_op/r", "mpr_op/c_r", gain=A), speed=SPEED, delay_mode=mode)
    ds = net.simulate(duration, dt, variables=["mpr_op/r", "mpr_op/V"], solver="heun",
                      sampling_step_size=sampling, initial={"mpr_op/r": r0, "mpr_op/V": V0},
                      bounds={"mpr_op/r": (0.0, None)})
    return ds


@pytest.fixture(scope="module")
def nd_step(conn, init_state):
    ds = run_neurodyn(conn, init_state, "step")
    # neurodyn's row k is the state at t = k dt (row 0 = initial state); TVB's row k - 1 is the state after
    # step k. Align: neurodyn rows 1..n-1 <-> TVB rows 0..n-2.
    return ds["r"].values[1:], ds["V"].values[1:]


@pytest.fixture(scope="module")
def tvb_numba(conn, init_state):
    pytest.importorskip("mako", reason="TVB's numba backend needs mako")
    pytest.importorskip("autopep8", reason="TVB's numba backend needs autopep8")
    res = tvbref.run_tvb_mpr(conn, DURATION, dt=DT, speed=SPEED, coupling_a=A, initial_history=init_state,
                             backend="numba", compatibility_mode=True)
    return res.r[:-1], res.V[:-1]


@pytest.fixture(scope="module")
def tvb_python(conn, init_state):
    res = tvbref.run_tvb_mpr(conn, DURATION, dt=DT, speed=SPEED, coupling_a=A, initial_history=init_state,
                             backend="python")
    return res.r[:-1], res.V[:-1]


def test_step_mode_matches_tvb_numba_backend_to_roundoff(nd_step, tvb_numba):
    r, V = nd_step
    rt, Vt = tvb_numba
    assert r.shape == rt.shape == (int(DURATION / DT) - 1, 76)
    # Both sides are float64 and follow the same discrete scheme; only the order of floating-point operations
    # differs (summation order of the coupling, algebraic form of the right-hand side). Over 2000 steps of a
    # contracting system that stays at the 1e-14 level (measured 3e-14 for |V| ~ 2); 1e-11 leaves room for
    # other compilers/CPUs, while the other convention (interpolated delays at the stage times) differs by
    # 2e-2 (see test_tolerances_discriminate_conventions).
    np.testing.assert_allclose(r, rt, rtol=0, atol=1e-11)
    np.testing.assert_allclose(V, Vt, rtol=0, atol=1e-11)
    assert np.all(r >= 0)


def test_step_mode_matches_tvb_python_simulator_to_float32_level(nd_step, tvb_python, tvb_numba):
    r, V = nd_step
    rp, Vp = tvb_python
    rt, Vt = tvb_numba
    # TVB's Python simulator stores the history (and the weights used for coupling) in float32: every
    # coupling value carries a relative error up to 2**-24 ~ 6e-8, |c| ~ 0.1-0.5 here, and the dynamics carry
    # these errors over thousands of steps; measured maxima 1.9e-6 in r and 4.4e-6 in V (initial transient).
    # 3e-5 bounds that with margin and is still ~600x below the difference between conventions (2e-2, see
    # test_tolerances_discriminate_conventions). The sharp check is the next one.
    err_r, err_V = np.abs(r - rp).max(), np.abs(V - Vp).max()
    print(f"neurodyn(step) vs TVB Python simulator: max |dr| = {err_r:.2e}, max |dV| = {err_V:.2e}")
    assert err_r < 3e-5 and err_V < 3e-5
    # ...and the whole discrepancy is TVB's own float32 effect: TVB's float64 numba backend is exactly as far
    # from its Python simulator as neurodyn is (to round-off).
    assert abs(err_r - np.abs(rt - rp).max()) < 1e-11
    assert abs(err_V - np.abs(Vt - Vp).max()) < 1e-11
    assert err_V > 1e-9     # the float32 effect is real (so this comparison is not vacuous)


def test_tolerances_discriminate_conventions(conn, init_state, tvb_numba):
    # The exact-DDE mode (cubic interpolation at each stage time, zero delays instantaneous) is a different,
    # equally valid discretisation: it must differ from TVB's convention by far more than the tolerances above.
    ds = run_neurodyn(conn, init_state, "cubic")
    rt, Vt = tvb_numba
    d = np.abs(ds["V"].values[1:] - Vt).max()
    print(f"neurodyn(cubic) vs TVB: max |dV| = {d:.2e}")
    assert d > 1e-4


def test_cubic_mode_converges_at_second_order(conn, init_state):
    # delay_mode='cubic' reads the history at each Heun stage time by cubic Lagrange interpolation, so the
    # scheme converges to the delay-differential equation itself. Compare runs at dt, dt/2, dt/4, dt/8 on a
    # common 0.04 ms grid: successive differences e_k = max|x_dt_k - x_dt_k+1| must shrink with Heun's order
    # 2 (ratio -> 4; kinks of the solution where delayed inputs cross t = 0 cost no order). Measured ratios
    # 3.2, 3.7 (e = 0.27, 0.084, 0.023) from this random start; the asymptotic regime starts near 0.01 ms.
    dts = [0.02, 0.01, 0.005, 0.0025]
    runs = [run_neurodyn(conn, init_state, "cubic", dt=h, duration=10.0, sampling=0.04) for h in dts]
    x = [np.concatenate([d["r"].values, d["V"].values], axis=1) for d in runs]
    e = [np.abs(x[k] - x[k + 1]).max() for k in range(len(x) - 1)]
    ratios = [e[k] / e[k + 1] for k in range(len(e) - 1)]
    assert all(q > 3.0 for q in ratios), (e, ratios)
    assert 1.7 < np.log2(ratios[-1]) < 2.3, (e, ratios)   # observed order close to 2
    # Richardson: the error of the dt/8 run is about e[-1] / 3; it is a small fraction of the signal
    scale = max(np.abs(x[-1]).max(), 1.0)
    assert e[-1] / 3 < 0.01 * scale, (e, scale)
    print(f"cubic: differences {e}, ratios {ratios}")


def test_step_mode_rounds_delay_ties_like_tvb():
    pytest.importorskip("mako", reason="TVB's numba backend needs mako")
    pytest.importorskip("autopep8", reason="TVB's numba backend needs autopep8")
    from neurodyn.network import Connectome

    # tract lengths whose delay is an exact half number of steps, chosen so that rounding half up and half to
    # even differ (x.5 with x even)
    cands = np.round(0.015 * np.arange(1, 200, 2), 3)
    x = cands / SPEED / DT
    ties = cands[(x == np.floor(x) + 0.5) & (np.rint(x) != np.floor(x + 0.5))]
    assert ties.size >= 6
    n = 4
    rng = np.random.default_rng(7)
    W = rng.uniform(0.5, 2.0, (n, n))
    L = rng.choice(ties[:12], size=(n, n))
    conn = Connectome(W, tract_lengths=L)
    init = tuple(np.array(v, dtype=np.float32).astype(np.float64)     # float32-exact, as TVB's history
                 for v in ([0.1, 1.5, 0.4, 0.9], [-1.5, 0.5, -0.5, 1.0]))
    res = tvbref.run_tvb_mpr(conn, 2.0, dt=DT, speed=SPEED, coupling_a=0.5, initial_history=init,
                             backend="numba", compatibility_mode=True)
    net = BrainNetwork(MPR_NODE, conn, Coupling("mpr_op/r", "mpr_op/c_r", gain=0.5), speed=SPEED, delay_mode="step")
    ds = net.simulate(2.0, DT, variables=["mpr_op/r", "mpr_op/V"], initial={"mpr_op/r": init[0], "mpr_op/V": init[1]},
                      bounds={"mpr_op/r": (0.0, None)})
    np.testing.assert_allclose(ds["V"].values[1:], res.V[:-1], rtol=0, atol=1e-11)
    np.testing.assert_allclose(ds["r"].values[1:], res.r[:-1], rtol=0, atol=1e-11)
