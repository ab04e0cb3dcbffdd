"""Story (d): focal stimulation on a ring lattice, where the answer is known in shape: no spread for weak
coupling, a front travelling at constant speed in both directions for strong coupling. The onset times are
checked against a separate scipy solution of the same equations written here."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.network import Connectome
from neurodyn.studies.spread import focal_stimulation, hop_distance


def ring(n=20, k=2):
    W = np.zeros((n, n))
    for i in range(n):
        for d in range(1, k + 1):
            W[i, (i + d) % n] = W[i, (i - d) % n] = 1.0
    return W


def reference_onsets(W, G, low, thr, eta=-5.0, J=15.0, amp=5.0, start=5.0, stop=10.0, T=60.0):
    Wn = W / W.sum(axis=1, keepdims=True)
    n = W.shape[0]

    def f(t, y, I0):
        r, v, s = y[:n], y[n:2 * n], y[2 * n:]
        I = np.zeros(n)
        I[0] = I0
        return np.concatenate([1 / np.pi + 2 * r * v, v ** 2 + eta + I + s - (np.pi * r) ** 2,
                               J * r + G * Wn @ r - s])
    y = np.concatenate([np.full(n, low[0]), np.full(n, low[1]), np.full(n, low[2])])
    ts, rs = [], []
    for a, b, I0 in ((0, start, 0.0), (start, stop, amp), (stop, T, 0.0)):
        sol = solve_ivp(f, (a, b), y, args=(I0,), method="DOP853", rtol=1e-9, atol=1e-11, dense_output=True)
        tt = np.arange(a, b, 0.01)
        ts.append(tt)
        rs.append(sol.sol(tt)[:n].T)
        y = sol.y[:, -1]
    t, r = np.concatenate(ts), np.concatenate(rs)
    above = r > thr
    return np.where(above.any(0), t[np.argmax(above, 0)], np.nan)


def test_no_spread_with_weak_coupling():
    res = focal_stimulation(Connectome(ring()), 0, G=3.0, duration=40.0)
    assert res.onsets["recruited"].tolist() == [True] + [False] * 19     # seed switches and stays alone
    r_end = res.traces["r"].values[-1]
    assert r_end[0] > 3 * res.states["saddle"] and np.all(r_end[1:] < res.states["saddle"])


def test_front_travels_around_the_ring():
    W = ring()
    res = focal_stimulation(Connectome(W), 0, G=8.0, duration=60.0)
    on = res.onsets["onset"].to_numpy()
    assert res.n_recruited == 20
    dist = np.minimum(np.arange(20), 20 - np.arange(20))
    np.testing.assert_allclose(on[1:10], on[19:10:-1], atol=0.11)          # symmetric both ways
    assert np.all(np.diff([on[dist == d].mean() for d in range(11)]) > 0)   # monotone in distance
    np.testing.assert_array_equal(hop_distance(W, 0), np.ceil(dist / 2))
    # against scipy (DOP853, 1e-9) of the same equations: onsets to the 0.1 sampling + Heun error
    from neurodyn.studies.single_population import qif_syn_fixed_points
    low = qif_syn_fixed_points(0.0, J=23.0)[0]
    ref = reference_onsets(W, 8.0, [low.x[0], low.x[1], low.x[2]], res.states["saddle"])
    np.testing.assert_allclose(on, ref, atol=0.15)


def test_refuses_monostable_parameters():
    from neurodyn.analysis import AnalysisError
    with pytest.raises(AnalysisError, match="bistable"):
        focal_stimulation(Connectome(ring()), 0, G=20.0)
