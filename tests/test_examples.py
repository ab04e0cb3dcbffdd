"""Every script in examples/ runs, writes its figure, and prints the right numbers.

Each ``examples/*.py`` (found by glob, so new examples are run too) is run in a fresh Python process with
``NEURODYN_EXAMPLE_QUICK=1`` (shortened settings, which every example honours; see examples/_paths.py) in an
empty temporary working directory. The test checks that the process succeeds, that it wrote a PNG figure into
``out/`` of that directory, and that the numbers it prints agree with an independent expectation computed
here: analytic results, scipy solutions of the equations written in tests/library/libref_models.py or in this
file, a Lyapunov equation solved with scipy, the same script run by NEURON, or a statistical band justified in
a comment. An example without an entry in ``CHECKS`` fails (after running) with a message saying so: its printed
numbers are not checked yet.

Examples that need the AAL90 data look for ``$NEURODYN_DATA/aal90`` or ``../shared/data/aal90`` next to the
checkout (as examples/_paths.py does) and are skipped with the reason printed when it is absent.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT / "tests" / "library"))
import libref_models as ref  # noqa: E402  (the papers' equations in NumPy/SciPy, independent of neurodyn)

SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
NEEDS_AAL90 = {"story_whole_brain", "story_spread", "story_hubs", "sweep_ei_aal90", "ngnmm_paper"}
PI = np.pi


def data_dir() -> Path:
    env = os.environ.get("NEURODYN_DATA", "").strip()
    return Path(env) if env else ROOT / ".." / "shared" / "data"


def run_script(path: Path, cwd: Path, replace: tuple[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``path`` (optionally with one line of its text replaced) in ``cwd`` with the quick setting."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(EXAMPLES),
                                                       os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg", NEURODYN_EXAMPLE_QUICK="1", NEURODYN_DATA=str(data_dir()))
    script = path
    if replace is not None:
        text = path.read_text()
        assert text.count(replace[0]) == 1, f"{path.name}: {replace[0]!r} not found exactly once"
        script = cwd / f"_variant_{path.name}"
        script.write_text(text.replace(*replace))
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True)


def number(pattern: str, text: str, group: int = 1) -> float:
    """The number captured by ``pattern`` in ``text`` (fails with the output if absent)."""
    m = re.search(pattern, text)
    assert m, f"pattern {pattern!r} not found in the output:\n{text[-3000:]}"
    return float(m.group(group))


def numbers(pattern: str, text: str) -> list[tuple[float, ...]]:
    return [tuple(float(g) for g in m.groups()) for m in re.finditer(pattern, text)]


FLOAT = r"([-+]?\d+\.?\d*(?:[eE][-+]?\d+)?)"


def cycle_period(t, x, cycles=10):
    """Mean interval between upward crossings of the mean over the last ``cycles`` cycles."""
    x = np.asarray(x) - np.mean(x)
    k = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
    tc = t[k] - x[k] * (t[k + 1] - t[k]) / (x[k + 1] - x[k])
    assert tc.size > cycles
    return float(np.mean(np.diff(tc[-cycles - 1:])))


def mpr_rates(eta_plus_I, J, Delta=1.0):
    """Positive roots of pi^2 r^4 - J r^3 - (eta + I) r^2 - Delta^2/(4 pi^2) = 0 (MPR fixed points, tau = 1)."""
    roots = np.roots([PI ** 2, -J, -eta_plus_I, 0.0, -Delta ** 2 / (4 * PI ** 2)])
    return np.sort(roots[(np.abs(roots.imag) < 1e-9) & (roots.real > 0)].real)


def mpr_folds(J, Delta=1.0):
    """eta + I at the two saddle-node points of the MPR equations for recurrent weight J (REFERENCE section 1):
    J(r) = 2 pi^2 r + Delta^2/(2 pi^2 r^3), eta + I = -pi^2 r^2 - 3 Delta^2/(4 pi^2 r^2)."""
    from scipy.optimize import brentq
    Jr = lambda r: 2 * PI ** 2 * r + Delta ** 2 / (2 * PI ** 2 * r ** 3) - J  # noqa: E731
    r_min = (3 * Delta ** 2 / (4 * PI ** 4)) ** 0.25           # where J(r) is smallest
    r1, r2 = brentq(Jr, 1e-3, r_min, xtol=1e-15), brentq(Jr, r_min, 10.0, xtol=1e-15)
    return sorted(-PI ** 2 * r ** 2 - 3 * Delta ** 2 / (4 * PI ** 2 * r ** 2) for r in (r1, r2))


def qif_syn_solution(t_eval, y0, pieces, eta=-5.0, J=15.0):
    """DOP853 of the Devalle et al. population (tau = tau_s = Delta = 1) with a piecewise-constant input
    ``pieces = [(t_start, t_stop, I)]`` (0 elsewhere), integrated piece by piece."""
    def f(t, y, I):
        r, v, s = y
        return [1.0 / PI + 2 * r * v, v * v + eta + I + s - (PI * r) ** 2, J * r - s]
    knots = sorted({0.0, float(t_eval[-1]) + 1e-9, *[a for a, _, _ in pieces], *[b for _, b, _ in pieces]})
    out, y = [], np.asarray(y0, dtype=float)
    for a, b in zip(knots[:-1], knots[1:]):
        I = sum(amp for s, e, amp in pieces if s <= a < e)
        sol = solve_ivp(f, (a, b), y, args=(I,), method="DOP853", rtol=1e-12, atol=1e-13, dense_output=True)
        te = t_eval[(t_eval >= a) & (t_eval < b)]
        if te.size:
            out.append(sol.sol(te).T)
        y = sol.y[:, -1]
    return np.concatenate(out)


# ------------------------------------------------------------------------------------------------------------
# per-example checks: check(stdout, workdir)
# ------------------------------------------------------------------------------------------------------------

def check_demo(out, cwd):
    # 1. Jansen-Rit: 1 / period of the scipy reference of the paper's equations (10.94 Hz); the interpolated
    #    Welch peak of a clean periodic signal lies within half a frequency bin of it
    f_jr, res_jr = number(r"Jansen-Rit: dominant frequency " + FLOAT + r" Hz", out), \
        number(r"alpha band 8-13 Hz; resolution " + FLOAT, out)
    t = np.arange(0.0, 3.0, 1e-3)
    y = ref.jrc().solve(t)
    f_ref = 1.0 / cycle_period(t[t >= 1.0], (y["V_pce"] + y["V_pci"])[t >= 1.0])
    assert 8.0 <= f_jr <= 13.0 and abs(f_jr - f_ref) <= 0.5 * res_jr, (f_jr, f_ref)
    # 2. MPR step: the scipy reference with the same input samples (I = 3 for 10 <= t_k < 30, linearly interpolated)
    #    and start (the template's r = 0.01, v = -2, PyRates's values); RK4 at dt = 1e-3 vs DOP853: ~1e-10,
    #    printed to 6 decimals
    r0, peak, after = (number(rf"MPR: r before {FLOAT}, peak {FLOAT}, after the step {FLOAT}", out, g)
                       for g in (1, 2, 3))
    tk = np.arange(60_000) * 1e-3
    samples = np.where((tk >= 10.0) & (tk < 30.0), 3.0, 0.0)         # as the demo builds its input
    sol = ref.qif(I=ref.sampled_input(samples, tk)).solve(np.arange(6000) * 0.01)
    # before the step the population has settled from r = 0.01 into the low state
    assert r0 == pytest.approx(sol["r"][999], abs=2e-6) and r0 == pytest.approx(mpr_rates(-5.0, 15.0)[0], rel=1e-3)
    assert peak == pytest.approx(sol["r"].max(), abs=2e-6) and after == pytest.approx(sol["r"][-1], abs=2e-6)
    assert peak > 1.2 * mpr_rates(-5.0 + 3.0, 15.0)[-1]              # the overshoot of Montbrio et al., Fig. 2
    assert after == pytest.approx(mpr_rates(-5.0, 15.0)[-1], rel=1e-4)  # ends in the high state (bistable)
    # 3. two RK4 runs (dt = 1e-3) of the same dynamics in two exact coordinate systems: their difference is
    #    bounded by the sum of the two global errors, O(dt^4) ~ 1e-10 here (measured 5e-11)
    assert number(r"max \|z - Z\| = " + FLOAT, out) < 1e-8
    # 4. PING: 1 / period of the scipy reference (REFERENCE section 3) at I_ext_e = 10 (46.80 Hz); the printed
    #    peak is the nearest Welch bin, so within half a bin
    f_g, res_g = number(r"E/I PING node: dominant frequency " + FLOAT, out), \
        number(r"gamma band 30-100 Hz; resolution " + FLOAT, out)
    assert abs(f_g - ping_frequency(10.0)) <= 0.5 * res_g + 1e-9, (f_g, ping_frequency(10.0))


def ping_frequency(I_ext_e, **changes):
    t = np.arange(0.0, 600.0, 0.05)
    x = ref.ei_ping(I_ext_e=lambda _: I_ext_e, **changes).solve(t)["r_e"]
    return 1000.0 / cycle_period(t[t >= 300.0], x[t >= 300.0])


def check_story_ei_node(out, cwd):
    # the fixed point at I_ext_e = 10 and the Hopf points: root finder, finite-difference Jacobian and bisection
    # on the NumPy equations (libref_models.ng_hopf_points); measured agreement <= 3e-9 relative
    fp = dict(zip(("r_e", "v_e", "s_e", "r_i", "v_i", "s_i"), ref.ng_fixed_point(10.0)))
    for key, value in fp.items():
        assert number(rf"fixed point at I_ext_e = 10: .*\b{key} = {FLOAT}", out) == pytest.approx(value, rel=1e-8)
    printed = numbers(rf"hopf at I_ext_e = {FLOAT}, frequency {FLOAT} Hz", out)
    expected = ref.ng_hopf_points()
    assert len(printed) == len(expected) == 2
    for (I, f), (I_ref, f_ref) in zip(printed, expected):
        assert I == pytest.approx(I_ref, rel=1e-7) and f == pytest.approx(f_ref, rel=1e-7)
    f, res = number(r"dominant frequency of r_e: " + FLOAT, out), number(r"spectral resolution " + FLOAT, out)
    assert abs(f - ping_frequency(10.0)) <= 0.5 * res, (f, ping_frequency(10.0))


def check_story_single_population(out, cwd):
    # fixed points: s = J r at equilibrium, so the rates are the MPR quartic's roots with J tau r
    before = numbers(rf"fixed point before the step \(I = 0\): r = {FLOAT}, v = {FLOAT}", out)
    during = numbers(rf"fixed point during the step \(I = 3\): r = {FLOAT}, v = {FLOAT}", out)
    for printed, I in ((before, 0.0), (during, 3.0)):
        rates = mpr_rates(-5.0 + I, 15.0)
        assert len(printed) == len(rates)
        for (r, v), r_ref in zip(printed, rates):
            assert r == pytest.approx(r_ref, rel=1e-8) and v == pytest.approx(-1.0 / (2 * PI * r_ref), rel=1e-8)
    assert re.findall(r"fixed point before the step \(I = 0\): .*, (stable|unstable)", out) == \
        ["stable", "unstable", "stable"]
    # the trajectory from the low state with I = 3 on [20, 50): the Devalle equations solved here. The example's
    # input is sampled at dt = 1e-3 and interpolated linearly, so both edges come half a step early and the
    # response is shifted by 5e-4 in time: measured 1.3e-7 (end value) and 3e-8 (peak) against this sharp-edged
    # solution; 1e-6 asserted
    r_end = number(r"rate at t = [\d.]+ \(after the step\): " + FLOAT, out)
    r_peak = number(r"peak during the step " + FLOAT, out)
    t = np.arange(7000) * 0.01
    lo = mpr_rates(-5.0, 15.0)[0]
    y = qif_syn_solution(t, [lo, -1 / (2 * PI * lo), 15.0 * lo], [(20.0, 50.0, 3.0)])
    assert r_end == pytest.approx(y[-1, 0], rel=1e-6) and r_peak == pytest.approx(y[:, 0].max(), rel=1e-6)


def check_story_working_memory(out, cwd):
    # the bistable range: the two folds of the analytic saddle-node curve for J = 15 (eta = -5)
    I_low, I_high = (number(rf"bistable range: I_low = {FLOAT}, I_high = {FLOAT}", out, g) for g in (1, 2))
    folds = [x + 5.0 for x in mpr_folds(15.0)]
    assert I_low == pytest.approx(folds[0], rel=1e-7) and I_high == pytest.approx(folds[1], rel=1e-7)
    I_bias, low, saddle, high = (number(rf"I_bias = {FLOAT}: low {FLOAT}, saddle {FLOAT}, high {FLOAT}", out, g)
                                 for g in (1, 2, 3, 4))
    assert I_bias == pytest.approx(0.5 * (folds[0] + folds[1]), rel=1e-7)
    np.testing.assert_allclose([low, saddle, high], mpr_rates(-5.0 + I_bias, 15.0), rtol=1e-8)
    # the protocol (cue 1.5 above the upper fold on [20, 24), eraser 3 below the lower fold on [60, 66)),
    # solved here: the population is in the high state exactly between the cue and the eraser
    t = np.arange(10_000) * 0.01
    pieces = [(0.0, 100.0, I_bias), (20.0, 24.0, folds[1] + 1.5 - I_bias), (60.0, 66.0, folds[0] - 3.0 - I_bias)]
    y = qif_syn_solution(t, [low, -1 / (2 * PI * low), 15.0 * low], pieces)
    expected = [bool(y[np.argmin(np.abs(t - s)), 0] > saddle) for s in (19, 40, 59, 99)]
    assert expected == [False, True, True, False]
    assert f"memory at t = 19, 40, 59, 99: {expected}" in out


def aal90_weights(keep=None):
    """Row-normalised AAL90 weights without self-connections, read from sc2017.dat here (first line: 90, then
    0-based 'i j value' rows; row = target), optionally for a subset ``keep`` of regions."""
    raw = np.loadtxt(data_dir() / "aal90" / "sc2017.dat", skiprows=1)
    C = np.zeros((90, 90))
    C[raw[:, 0].astype(int), raw[:, 1].astype(int)] = raw[:, 2]
    np.fill_diagonal(C, 0.0)
    if keep is not None:
        C = C[np.ix_(keep, keep)]
    return C, C / C.sum(axis=1, keepdims=True)


def linear_noise_fc(W, I_ext_e=2.2, eps=20.0, sigma=0.05):
    """FC of r_e of the linearised noisy E/I network around its homogeneous fixed point: the stationary
    covariance S of d xi = A xi dt + sigma dW (noise on v_e, v_i) solves A S + S A^T + Q = 0 (scipy's
    Bartels-Stewart solver), A = I (x) DF + W (x) b e_se^T with DF and b = df/ds_net by central differences of
    the NumPy equations of libref_models."""
    from scipy.linalg import solve_continuous_lyapunov
    x = ref.ng_fixed_point(I_ext_e, eps=eps)
    s_net = x[2]                                            # rows of W sum to 1: s_net = s_e in that state
    f = lambda y, sn: np.asarray(ref.ng_rhs(y, I_ext_e, sn, eps, ref.NG))  # noqa: E731
    DF, h = np.empty((6, 6)), 1e-7
    for k in range(6):
        e = np.zeros(6)
        e[k] = h
        DF[:, k] = (f(x + e, s_net) - f(x - e, s_net)) / (2 * h)
    b = (f(x, s_net + h) - f(x, s_net - h)) / (2 * h)
    n = W.shape[0]
    coupling = np.zeros((6, 6))
    coupling[:, 2] = b                                      # s_net = sum_m W_nm s_e,m
    A = np.kron(np.eye(n), DF) + np.kron(W, coupling)
    q = np.zeros(6)
    q[[1, 4]] = sigma ** 2
    S = solve_continuous_lyapunov(A, -np.diag(np.tile(q, n)))
    C = S[0::6, 0::6]                                       # r_e of every region
    sd = np.sqrt(np.diag(C))
    return C / np.outer(sd, sd)


def upper(M):
    return M[np.triu_indices_from(M, 1)]


def check_story_whole_brain(out, cwd):
    # the homogeneous state is one node with J_ee + eps, J_ie + eps (REFERENCE section 3): root finder on the
    # NumPy equations, and its leading eigenvalue from a finite-difference Jacobian (~1e-9 accurate)
    x = ref.ng_fixed_point(2.2, eps=20.0)
    for key, value in zip(("r_e", "v_e", "s_e", "r_i", "v_i", "s_i"), x):
        assert number(rf"homogeneous fixed point: .*\b{key} = {FLOAT}", out) == pytest.approx(value, rel=1e-8)
    lam, _ = ref.ng_leading_eigenvalue(2.2, x, eps=20.0)
    re_, im_ = (number(rf"leading eigenvalue of the node: {FLOAT} {FLOAT}j", out, g) for g in (1, 2))
    assert re_ == pytest.approx(lam.real, rel=1e-6) and abs(im_) == pytest.approx(abs(lam.imag), rel=1e-6)
    assert "(stable)" in out and lam.real < 0
    # the linear-noise FC, solved here from the connectome file: same mean over the 4005 pairs (1e-6)
    fc_lin = linear_noise_fc(aal90_weights()[1])
    assert number(r"linear-noise FC: mean of the upper triangle " + FLOAT, out) == \
        pytest.approx(upper(fc_lin).mean(), rel=1e-6)
    # the simulated FC is a finite-sample estimate: 5 s with a correlation time of ~50 ms gives ~100 effective
    # samples, a sampling error of ~0.1 per pair; the mean over 4005 pairs is much better resolved than one pair
    # (shared fluctuations make the pairs dependent: measured 0.0467 vs 0.0452), 0.01 asserted. The pattern
    # correlation is then limited to ~ s / sqrt(s^2 + 0.1^2) ~ 0.6 for the spread s ~ 0.08 of the predicted FC
    # (measured 0.60 at 5 s, 0.82 at 20 s); 0.4 asserted, far above the ~0.02 of unrelated matrices.
    assert abs(number(r"simulated FC \(\d+ ms\): mean of the upper triangle " + FLOAT, out) - upper(fc_lin).mean()) < 0.01
    assert number(r"simulated vs linear-noise FC " + FLOAT, out) > 0.4
    assert number(r"FC-SC correlation " + FLOAT, out) > 0.3      # FC follows SC (measured 0.55 at 5 s, 0.76 at 20 s)


def spread_simulation(G, T=40.0, eta=-5.0, J=15.0, seed=0, amplitude=5.0):
    """The focal-stimulation network solved here: r, v, s per region, tau_s s' = -s + J r + G sum_m W_nm r_m,
    the seed driven by ``amplitude`` on [5, 10) (DOP853, piecewise). Returns (t on a 0.1 grid, r)."""
    _, W = aal90_weights()
    lo = mpr_rates(eta, J + G)[0]                            # homogeneous low state with J + G
    n = W.shape[0]
    y0 = np.concatenate([np.full(n, lo), np.full(n, -1 / (2 * PI * lo)), np.full(n, (J + G) * lo)])

    def f(t, y, I):
        r, v, s = y[:n], y[n:2 * n], y[2 * n:]
        drive = np.zeros(n)
        drive[seed] = I
        return np.concatenate([1 / PI + 2 * r * v, v * v + eta + drive + s - (PI * r) ** 2, J * r + G * (W @ r) - s])
    t = np.round(np.arange(int(round(T / 0.1))) * 0.1, 10)
    out, y = [], y0
    for a, b, I in ((0.0, 5.0, 0.0), (5.0, 10.0, amplitude), (10.0, T, 0.0)):
        sol = solve_ivp(f, (a, b), y, args=(I,), method="DOP853", rtol=1e-9, atol=1e-11, dense_output=True)
        te = t[(t >= a) & (t < b)]
        out.append(sol.sol(te).T[:, :n])
        y = sol.y[:, -1]
    return t, np.concatenate(out)


def check_story_spread(out, cwd):
    # homogeneous low, saddle and high states of one population with recurrent weight J + G = 24
    states = [number(rf"homogeneous states \(J \+ G = 24\): low {FLOAT}, saddle {FLOAT}, high {FLOAT}", out, g)
              for g in (1, 2, 3)]
    np.testing.assert_allclose(states, mpr_rates(-5.0, 24.0), rtol=1e-8)
    saddle = states[1]
    # recruitment, from a scipy solution of the network written here (Heun at dt = 0.005 / 0.01 in the example):
    # the count is robust at these G (no region hovers at threshold); onsets agree to a sample or two
    t, r = spread_simulation(9.0)
    above = r > saddle
    onset = np.where(above.any(axis=0), t[np.argmax(above, axis=0)], np.nan)
    assert int(number(r"(\d+) regions recruited", out)) == int(above.any(axis=0).sum()) == 90
    assert number(r"last onset at t = " + FLOAT, out) == pytest.approx(np.nanmax(onset), abs=0.25)
    from scipy.stats import spearmanr
    _, W = aal90_weights()
    others = np.arange(90) != 0                                 # the seed (PreCG.L, region 0) is left out
    rho = spearmanr(onset[others], W[others, 0]).statistic
    # onsets on the 0.1 grid: a crossing one sample earlier or later in the example moves rho by ~0.01
    assert number(r"Spearman\(onset, weight from seed\) = " + FLOAT, out) == pytest.approx(rho, abs=0.03)
    line = [ln for ln in out.splitlines() if re.fullmatch(r"\{[\d.: ,]+\}", ln.strip())][-1]
    counts = {G: int(n) for G, n in numbers(r"([\d.]+): (\d+)", line)}
    for G, n in counts.items():
        if G != 9.0:
            _, rG = spread_simulation(G)
            assert n == int((rG > saddle_of(G)).any(axis=0).sum()), G
    assert counts[9.0] == 90 and min(counts.values()) == 1


def saddle_of(G, eta=-5.0, J=15.0):
    return mpr_rates(eta, J + G)[1]


def check_story_hubs(out, cwd):
    rows = numbers(rf"lesion of region (\d+) \([^)]*\): strength {FLOAT}, mean \|change of FC\| {FLOAT}", out)
    assert len(rows) == 10
    C, W = aal90_weights()
    strength = C.sum(axis=0) + C.sum(axis=1)
    fc0 = linear_noise_fc(W)
    deltas = []
    # the change of the linear-noise FC, by Lyapunov solves written here; identical equations and a direct
    # (not modal) solver: measured agreement ~1e-9 relative, 1e-6 asserted
    for k, s, d in rows:
        k = int(k)
        assert s == pytest.approx(strength[k], rel=1e-9)
        keep = np.array([i for i in range(90) if i != k])
        fck = linear_noise_fc(aal90_weights(keep)[1])
        expected = np.mean(np.abs(upper(fck) - upper(fc0[np.ix_(keep, keep)])))
        assert d == pytest.approx(expected, rel=1e-6), k
        deltas.append(d)
    assert deltas == sorted(deltas, reverse=True)               # printed by rank
    from scipy.stats import spearmanr
    rho = spearmanr([strength[int(k)] for k, _, _ in rows], deltas).statistic
    assert number(r"Spearman\(strength, lesion effect\) = " + FLOAT, out) == pytest.approx(rho, abs=0.006)


def check_cells_three_cell_chain(out, cwd):
    # the same script run by NEURON itself (the one import line changed back): same soma peaks to the printed
    # precision (the traces agree to ~1e-10 mV, tests/cells/test_cells_neuron_match.py)
    pytest.importorskip("neuron", reason="NEURON (test extra) not installed: cannot run the script in NEURON")
    theirs = run_script(EXAMPLES / "cells_three_cell_chain.py", cwd,
                        replace=("\nfrom neurodyn.cells import h", "\nfrom neuron import h; h.load_file('stdrun.hoc')"))
    assert theirs.returncode == 0, theirs.stderr[-3000:]
    parse = lambda text: [float(x) for x in re.search(r"soma peaks \(mV\): \[([^\]]*)\]", text).group(1).split(",")]  # noqa: E731
    ours, ref_peaks = parse(out), parse(theirs.stdout)
    assert len(ours) == 3 and all(p > 20 for p in ref_peaks)    # all three cells fire (the chain propagates)
    np.testing.assert_allclose(ours, ref_peaks, rtol=0, atol=0.011)   # printed with 2 decimals


def ng_node_jacobians(x, I_ext_e, eps):
    """DF (the node with its long-range input s_net frozen at s_e) and B = (df/ds_net) e_se^T of the NumPy
    equations, by central differences (step 1e-6: ~1e-10 relative)."""
    f = lambda y, sn: np.asarray(ref.ng_rhs(y, I_ext_e, sn, eps, ref.NG))  # noqa: E731
    DF = np.empty((6, 6))
    for k in range(6):
        e = np.zeros(6)
        e[k] = 1e-6 * max(1.0, abs(x[k]))
        DF[:, k] = (f(x + e, x[2]) - f(x - e, x[2])) / (2 * e[k])
    B = np.zeros((6, 6))
    B[:, 2] = (f(x, x[2] + 1e-6) - f(x, x[2] - 1e-6)) / 2e-6
    return DF, B


def ng_flow(I_ext_e, eps, x0, T, rtol=1e-12):
    sol = solve_ivp(lambda t, y: ref.ng_rhs(y, I_ext_e, y[2], eps, ref.NG), (0.0, T), x0, method="DOP853",
                    rtol=rtol, atol=1e-14)
    return sol.y[:, -1]


def ng_cycle(I_ext_e, eps, T_sim=3000.0):
    """A point on the homogeneous node's cycle and its period, by shooting: Newton (scipy root) on
    phi_T(x0) - x0 = 0 with v_e(0) fixed at the mid-level of the simulated oscillation (DOP853, rtol 1e-12), from
    the last upward crossing of a long simulation."""
    from scipy.optimize import root
    t = np.arange(0.0, T_sim, 0.05)
    sol = solve_ivp(lambda _, y: ref.ng_rhs(y, I_ext_e, y[2], eps, ref.NG), (0.0, T_sim),
                    np.array([0.01, -2.0, 0.01, 0.01, -2.0, 0.01]), method="DOP853", rtol=1e-10, atol=1e-12,
                    t_eval=t)
    v = sol.y[1]
    level = 0.5 * (v[t > T_sim / 2].max() + v[t > T_sim / 2].min())
    k = np.flatnonzero((v[:-1] < level) & (v[1:] >= level))
    T0 = float(np.mean(np.diff(t[k[-9:]])))
    x0 = sol.y[:, k[-1]]

    def res(z):
        x = np.insert(z[:5], 1, level)
        return ng_flow(I_ext_e, eps, x, z[5]) - x
    z = root(res, np.concatenate([np.delete(x0, 1), [T0]]), method="hybr", tol=1e-13)
    x = np.insert(z.x[:5], 1, level)
    assert np.max(np.abs(res(z.x))) < 1e-9, (I_ext_e, eps, z.message)
    return x, float(z.x[5])


def ng_mode_growth(I_ext_e, eps, x0, T, Lambdas):
    """ln|mu| / T of the largest multiplier of d xi/dt = (DF(x(t)) + Lambda B(x(t))) xi over one period, for every
    Lambda (the orbit and all 6 x 6 variational matrices together, DOP853 rtol 1e-11)."""
    L = np.asarray(Lambdas, dtype=float)

    def rhs(_, y):
        x = y[:6]
        DF, B = ng_node_jacobians(x, I_ext_e, eps)
        A = DF[None] + L[:, None, None] * B[None]
        return np.concatenate([ref.ng_rhs(x, I_ext_e, x[2], eps, ref.NG),
                               np.einsum("aij,ajk->aik", A, y[6:].reshape(-1, 6, 6)).ravel()])
    y0 = np.concatenate([x0, np.tile(np.eye(6).ravel(), L.size)])
    sol = solve_ivp(rhs, (0.0, T), y0, method="DOP853", rtol=1e-11, atol=1e-13)
    mu = np.linalg.eigvals(sol.y[6:, -1].reshape(-1, 6, 6))
    return np.log(np.abs(mu)).max(axis=1) / T


def check_ngnmm_paper(out, cwd):
    # (a) Hopf points: bisection on the leading eigenvalue of the NumPy equations (libref_models), 1e-7
    rows = numbers(rf"Hopf point: eps = {FLOAT}, I_ext_e = {FLOAT}, frequency {FLOAT} Hz", out)
    lo, hi = (number(rf"EIBifurcationDiagram in I_ext_e \({FLOAT}, {FLOAT}\)", out, g) for g in (1, 2))
    for eps in sorted({r[0] for r in rows}):
        got = sorted((I, f) for e, I, f in rows if e == eps)
        expected = ref.ng_hopf_points(np.arange(lo, hi + 1e-9, 0.5), eps=eps)
        assert [round(I, 6) for I, _ in got] == [round(I, 6) for I, _ in expected], (eps, got, expected)
        for (I, f), (Ir, fr) in zip(got, expected):
            assert I == pytest.approx(Ir, abs=1e-7) and f == pytest.approx(fr, rel=1e-6)
    # period doubling on the base branch at eps = 12: the period-1 orbit there, by shooting on the NumPy
    # equations, has a Floquet multiplier -1 (central differences of the DOP853 flow map: ~1e-6; the printed
    # parameter's 8 decimals move it by ~1e-8): 1e-4 asserted
    pds = [I for e, g, I in numbers(rf"cycle bifurcation: eps = {FLOAT}, generation (\d+), period_doubling at "
                                     rf"I_ext_e = {FLOAT}", out) if e == 12.0 and g == 0]
    assert len(pds) == 2 and 8.0 < pds[0] < pds[1] < 12.7
    for I in pds:
        x, T = ng_cycle(I, 12.0)
        M = np.empty((6, 6))
        for k in range(6):
            e = np.zeros(6)
            e[k] = 1e-6 * max(1.0, abs(x[k]))
            M[:, k] = (ng_flow(I, 12.0, x + e, T) - ng_flow(I, 12.0, x - e, T)) / (2 * e[k])
        mu = np.linalg.eigvals(M)
        assert np.min(np.abs(mu + 1.0)) < 1e-4, (I, mu)
    # (b) dispersion relations: the AAL90 eigenvalues (numpy, from the file) and the NumPy node equations
    _, W = aal90_weights()
    Lam = np.linalg.eigvals(W).real                            # W = D^-1 C with C symmetric: a real spectrum
    disp = {(e, I): (kind, n, L, g) for e, I, kind, n, L, g in
            [(float(m.group(1)), float(m.group(2)), m.group(3), int(m.group(4)), float(m.group(5)),
              float(m.group(6))) for m in re.finditer(
                rf"dispersion at eps = {FLOAT}, I_ext_e = {FLOAT}: (cycle|fixed point)[^;]*; (\d+) unstable modes "
                rf"of 90; most unstable Lambda = {FLOAT}, growth rate {FLOAT}", out)]}
    assert set(disp) == {(5.0, 10.0), (10.0, 8.0), (10.0, 14.0)}
    # the fixed point at eps = 10, I_ext_e = 14: eigenvalues of DF + Lambda B for every Lambda of W (1e-7)
    x = ref.ng_fixed_point(14.0, eps=10.0)
    DF, B = ng_node_jacobians(x, 14.0, 10.0)
    growth = np.array([np.linalg.eigvals(DF + L * B).real.max() for L in Lam])
    kind, n, L, g = disp[(10.0, 14.0)]
    assert kind == "fixed point" and n == int(np.sum(growth > 0))
    assert g == pytest.approx(growth.max(), abs=1e-7) and L == pytest.approx(Lam[np.argmax(growth)], abs=1e-7)
    # the cycles: period by shooting (1e-6 relative), the most unstable mode's growth rate from the variational
    # equation integrated along the orbit (~1e-9; printed to 1e-8): 1e-7 asserted
    pred = {}
    for eps, I in ((5.0, 10.0), (10.0, 8.0)):
        kind, n, L, g = disp[(eps, I)]
        x, T = ng_cycle(I, eps)
        assert kind == "cycle"
        assert number(rf"dispersion at eps = {eps:g}, I_ext_e = {I:g}: cycle, period {FLOAT}", out) == \
            pytest.approx(T, rel=1e-6)
        transverse = Lam[np.argsort(-Lam)[1:]]                  # all but the synchronous mode, Lambda = 1
        growth_c = ng_mode_growth(I, eps, x, T, transverse)
        pred[(eps, I)] = growth_c.max()
        assert g == pytest.approx(pred[(eps, I)], abs=1e-7)
        assert L == pytest.approx(transverse[np.argmax(growth_c)], abs=1e-7)
        assert n == int(np.sum(growth_c > 0))
    assert disp[(5.0, 10.0)][1] == 0 and disp[(5.0, 10.0)][3] < 0        # synchrony is stable at eps = 5
    assert disp[(10.0, 8.0)][1] > 0
    # (d) the growth of the perturbation in the full network against these independent rates: the nonlinear
    # terms and RK4 make ~1e-6 relative (tests/studies/test_ngnmm_paper.py); 1e-3 asserted
    for eps, I, meas in numbers(rf"pattern at eps = {FLOAT}, I_ext_e = {FLOAT} \([a-z ]+\): growth rate measured "
                                rf"{FLOAT}", out):
        expected = pred[(eps, I)] if (eps, I) in pred else growth.max()
        assert meas == pytest.approx(expected, rel=1e-3)
    # (c) Lyapunov exponents at eps = 10, I_ext_e = 2: a stable synchronous fixed point (all modes decay), so
    # lambda_1 is the largest real part over every mode (within three times the printed spread of the running
    # estimates, at least 2e-3), and the homogeneous node's is its leading eigenvalue's real part
    lyap = {I: (l1, sp, h1) for I, l1, sp, _, h1 in numbers(
        rf"Lyapunov at eps = 10, I_ext_e = {FLOAT}: lambda_1 = {FLOAT} /ms \(spread {FLOAT}\), lambda_2 = {FLOAT}; "
        rf"homogeneous node lambda_1 = {FLOAT}", out)}
    x = ref.ng_fixed_point(2.0, eps=10.0)
    DF, B = ng_node_jacobians(x, 2.0, 10.0)
    top = max(np.linalg.eigvals(DF + L * B).real.max() for L in Lam)
    l1, sp, h1 = lyap[2.0]
    assert top < 0 and l1 == pytest.approx(top, abs=max(3 * sp, 2e-3))
    assert h1 == pytest.approx(ref.ng_leading_eigenvalue(2.0, x, eps=10.0)[0].real, abs=max(3 * sp, 2e-3))
    # at I_ext_e = 10 the synchronous state is transversally unstable and the network is chaotic (lambda_1 ~
    # 0.01 / ms over a short run, well above the spread of its running estimates)
    l1, sp, _ = lyap[10.0]
    assert l1 > 2 * sp and l1 > 0.004
    # (e) PAC with the theta-paced drive: coupling built into the model, so every region's gamma envelope follows
    # the theta phase; with 19 surrogates the smallest p is 1/20 = 0.05. A null draw would give z ~ N(0, 1):
    # a median over 90 regions above 2 and >= 90 % of regions at p <= 0.05 is far outside it
    med, frac = (number(rf"PAC, theta-paced drive \(eps = 5, I_ext_e = 8\): .*median z = {FLOAT}, min z = {FLOAT}, "
                        rf"{FLOAT} of regions", out, g) for g in (1, 3))
    assert med > 2.0 and frac >= 0.9


def check_sweep_ei_aal90(out, cwd):
    # the overlaid stability boundary: at eps = 0 the homogeneous state is the isolated node, whose first Hopf
    # point in I_ext_e is computed independently in NumPy (bisection on the leading eigenvalue, to 1e-10);
    # printed with 4 significant digits
    hopf0 = number(r"Hopf curve of the homogeneous state: I_ext_e = " + FLOAT + " at eps = 0", out)
    assert hopf0 == pytest.approx(ref.ng_hopf_points(eps=0.0)[0][0], abs=1e-3)
    # eps = 0, I_ext_e = 12: uncoupled identical PING nodes; the dominant frequency is the isolated node's gamma
    # frequency (a 2000 ms DOP853 run of the equations in NumPy) to the Welch resolution of the quick run
    resolution = number(r"frequency resolution: " + FLOAT + " Hz", out)
    f_map = float(re.search(r"dominant_frequency: eps=0: \S+ \S+ " + FLOAT, out).group(1))
    sol = solve_ivp(lambda t, y: ref.ng_rhs(y, 12.0, 0.0, 0.0, ref.NG), (0, 2000.0),
                    [0.01, -2.0, 0.01, 0.01, -2.0, 0.01], method="DOP853", rtol=1e-10, atol=1e-12,
                    t_eval=np.arange(0, 2000.0, 0.05))
    f_node = 1000.0 / cycle_period(sol.t, sol.y[0])
    assert abs(f_map - f_node) <= resolution, (f_map, f_node, resolution)
    # and those uncoupled nodes stay nearly synchronous (identical dynamics, weak independent noise)
    chi = float(re.search(r"synchrony: eps=0: \S+ \S+ " + FLOAT, out).group(1))
    assert chi > 0.9


def check_spiking_mpr_step(out, cwd):
    # the network follows the firing-rate equations: worst relative rate error in the steady windows at N = 2000
    # (the quick setting), within the finite-size scale ~ 5 N^-1/2 ~ 11 % (docs/spiking.md)
    worst = number(r"worst relative error of the rate in the steady windows: " + FLOAT, out)
    assert worst < 0.12
    assert "N^-1/2 = 0.0224" in out and "high after" in out


def check_spiking_ping(out, cwd):
    net, mf = (float(x) for x in re.search(r"gamma frequency: network ([0-9.]+) Hz, mean field ([0-9.]+) Hz",
                                           out).groups())
    assert 30 < mf < 80 and abs(net - mf) < 0.03 * mf       # gamma band; the network at the mean field's frequency
    for var in ("r_e", "r_i"):
        assert number(rf"mean {var} .*relative error " + FLOAT, out) < 0.03


CHECKS = {
    "demo": check_demo,
    "story_ei_node": check_story_ei_node,
    "story_single_population": check_story_single_population,
    "story_working_memory": check_story_working_memory,
    "story_whole_brain": check_story_whole_brain,
    "story_spread": check_story_spread,
    "story_hubs": check_story_hubs,
    "cells_three_cell_chain": check_cells_three_cell_chain,
    "sweep_ei_aal90": check_sweep_ei_aal90,
    "spiking_mpr_step": check_spiking_mpr_step,
    "spiking_ping": check_spiking_ping,
    "ngnmm_paper": check_ngnmm_paper,
}


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_example(script, tmp_path):
    if script.stem in NEEDS_AAL90 and not (data_dir() / "aal90" / "sc2017.dat").is_file():
        pytest.skip(f"{script.name} needs the AAL90 data: not found at {data_dir() / 'aal90'} "
                    "(set NEURODYN_DATA or put ../shared/data next to the checkout)")
    proc = run_script(script, tmp_path)
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stderr[-4000:]}"
    if "skipping this example" in proc.stdout:
        pytest.skip(f"{script.name} skipped itself: {proc.stdout.strip()[-300:]}")
    figures = sorted((tmp_path / "out").glob("*.png")) if (tmp_path / "out").is_dir() else []
    assert figures, (f"{script.name} wrote no PNG into out/ of its working directory "
                     f"(examples write there: examples/_paths.py out_path)\n{proc.stdout[-2000:]}")
    import matplotlib.image as mpimg
    for fig in figures:
        img = mpimg.imread(fig)
        assert img.ndim == 3 and min(img.shape[:2]) >= 200, (fig.name, img.shape)
        assert np.ptp(img[..., :3]) > 0.1, f"{fig.name} is blank"
    if script.stem not in CHECKS:
        pytest.fail(f"{script.name} ran and wrote {[f.name for f in figures]}, but no independent check of the "
                    f"numbers it prints is registered: add one to CHECKS in tests/test_examples.py")
    CHECKS[script.stem](proc.stdout, tmp_path)


def test_every_check_names_an_example():
    assert set(CHECKS) <= {p.stem for p in SCRIPTS}
