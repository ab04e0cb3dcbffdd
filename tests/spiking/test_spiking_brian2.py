"""neurodyn's QIF networks against Brian2 on the same small networks: identical spike trains.

Brian2 runs the same neurons (eta, initial V), input, step and discrete scheme (benchmarks/_brian2_qif.py sets
up Brian2's refractoriness, synaptic delay and scheduling to match the step of docs/spiking.md), with its own
code generation (the numpy target: no compilation needed, seconds for these sizes). Expected: every spike in the
same step for the same neuron (Brian2 records the threshold step; neurodyn the emission, m1 steps later and at
the end of the step), hence identical spike counts per neuron and identical population rates at every step.
Tolerance: exact equality. The two sides add the same numbers in a different order (Brian2 one synapse at a
time, neurodyn the step's total), so V can differ in the last bit; a spike could then move by a step only if V
landed within ~1e-13 of V_p at a step end, which these runs do not do (the test would say so).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import _brian2_qif as b2qif  # noqa: E402

from neurodyn.spiking import FixedInDegree, Population, SpikingNetwork  # noqa: E402

OK, WHY = b2qif.brian2_available()
pytestmark = [pytest.mark.peer, pytest.mark.skipif(not OK, reason=f"Brian2 (extra neurodyn[peers]) unusable: {WHY}")]

N, DT, T, J, VP = 120, 1e-3, 8.0, 15.0, 100.0
M1 = M2 = int(round(1.0 / (VP * DT)))          # tau/V_p = 10 steps


def _drive():
    n = int(round(T / DT))
    t = np.arange(n) * DT
    return np.where((t >= 0.5) & (t < 6.0), 3.0, 0.0) + 0.5 * np.sin(2 * np.pi * t / 2.5)


def _ours(connectivity=None):
    pop = Population("p", N, eta=-5.0, delta=1.0, r0=0.3, v0=-1.0)
    net = SpikingNetwork([pop], coupling={("p", "p"): J}, connectivity=connectivity, seed=7)
    ds = net.run(T, DT, inputs={"p": _drive()}, sampling_step_size=0.01)
    v0 = pop.initial_voltages()
    return net, ds, v0


def _compare(ds, b2):
    ours = sorted(zip(ds["spike_neuron"].values.tolist(), np.rint(ds["spike_time"].values / DT).astype(int).tolist()))
    # Brian2's threshold step n_c <-> neurodyn's emission at the end of step n_c + m1, time (n_c + m1 + 1) dt
    n_steps = int(round(T / DT))
    theirs = sorted((int(i), int(s) + M1 + 1) for i, s in zip(b2["i"], b2["step"]) if s + M1 < n_steps)
    assert len(ours) > 5 * N, "too few spikes for a meaningful comparison"
    assert ours == theirs
    counts_ours = np.bincount(ds["spike_neuron"].values, minlength=N)
    counts_b2 = np.bincount([i for i, s in theirs], minlength=N)
    np.testing.assert_array_equal(counts_ours, counts_b2)
    # population spike counts per step ("rates to the step")
    c_b2 = np.zeros(n_steps, dtype=np.int64)
    c_b2[M1:] = b2["counts"][:n_steps - M1]
    np.testing.assert_array_equal(ds["spike_count"].values[:, 0], c_b2)


def test_all_to_all_equals_brian2_synapses():
    net, ds, v0 = _ours()
    b2 = b2qif.run_brian2_qif(net.excitabilities(), v0, int(round(T / DT)), DT, J=J, v_peak=VP, v_reset=-VP,
                              m1=M1, m2=M2, I=_drive(), coupling="synapses", target="numpy")
    _compare(ds, b2)


def test_all_to_all_equals_brian2_population_counter():
    net, ds, v0 = _ours()
    b2 = b2qif.run_brian2_qif(net.excitabilities(), v0, int(round(T / DT)), DT, J=J, v_peak=VP, v_reset=-VP,
                              m1=M1, m2=M2, I=_drive(), coupling="population", target="numpy")
    _compare(ds, b2)


def test_sparse_fixed_in_degree_equals_brian2():
    net, ds, v0 = _ours(FixedInDegree(12))
    indptr, targets, weights = net.connections()
    pre = np.repeat(np.arange(N), np.diff(indptr))
    assert np.allclose(weights, J / 12)
    b2 = b2qif.run_brian2_qif(net.excitabilities(), v0, int(round(T / DT)), DT, J=J, v_peak=VP, v_reset=-VP,
                              m1=M1, m2=M2, I=_drive(), coupling="sparse", pre=pre, post=targets, weights=weights,
                              target="numpy")
    _compare(ds, b2)
