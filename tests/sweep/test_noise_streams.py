"""Noise of the fixed-step driver from per-block generators (NoiseStreams): one block is exactly ``seed=s``; copies
with their own seeds draw what their single runs draw, whatever the chunking of the time loop; circuit sweeps
with noise give set i the stream of ``seed_from_sequence(seed, i)`` locally and on a cluster alike.

All comparisons are exact: the same generator produces the same numbers in the same order (NumPy's Generator
streams do not depend on how draws are split into calls), and the arithmetic per copy is the same.
"""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import InputError
from neurodyn.solvers import NoiseStreams, seed_from_sequence
from neurodyn.sweep import sweep

KW = dict(simulation_time=2.0, step_size=1e-3, outputs={"v": "p/qif_op/v"}, sampling_step_size=0.01, solver="heun")
NOISE = {"p/qif_op/v": 0.3}


def test_one_stream_is_the_integer_seed():
    m = nd.compile_model("qif")
    a = m.run(noise=NOISE, seed=5, **KW)
    b = m.run(noise=NOISE, seed=NoiseStreams.single(5), **KW)
    c = m.run(noise=NOISE, seed=NoiseStreams([(1, 5)]), **KW)
    np.testing.assert_array_equal(a["v"].to_numpy(), b["v"].to_numpy())
    np.testing.assert_array_equal(a["v"].to_numpy(), c["v"].to_numpy())


def test_copies_draw_their_own_seeds_whatever_the_chunks():
    from neurodyn.solvers import fixed
    m = nd.compile_model("qif", copies=3)
    noise = {f"p#{r}/qif_op/v": 0.3 for r in range(3)}
    outputs = {f"v{r}": f"p#{r}/qif_op/v" for r in range(3)}
    seeds = [11, 12, 13]
    kw = dict(KW, outputs=outputs)
    old = fixed.CHUNK_WORK
    try:
        runs = []
        for work in (old, 97):                       # one chunk, or chunks of 97 // 6 = 16 steps
            fixed.CHUNK_WORK = work
            runs.append(m.run(noise=noise, seed=NoiseStreams([(1, s) for s in seeds]), **kw))
    finally:
        fixed.CHUNK_WORK = old
    single = nd.compile_model("qif")
    for r, s in enumerate(seeds):
        alone = single.run(noise=NOISE, seed=s, **KW)["v"].to_numpy()
        for df in runs:
            np.testing.assert_array_equal(df[f"v{r}"].to_numpy(), alone)
    with pytest.raises(InputError, match="covers 2 noise columns but the run has 3"):
        m.run(noise=noise, seed=NoiseStreams([(1, 1), (1, 2)]), **kw)


def test_noisy_circuit_sweep_sets_equal_single_runs():
    eta = {"p/qif_op/eta": np.linspace(-6.0, -3.0, 4)}
    ds = sweep("qif", eta, noise=NOISE, seed=3, **KW)
    assert ds["noise_seed"].values.tolist() == [seed_from_sequence(3, i) for i in range(4)]
    for i, e in enumerate(eta["p/qif_op/eta"]):
        one = nd.integrate("qif", params={"p/qif_op/eta": e}, noise=NOISE, seed=int(ds["noise_seed"][i]), **KW)
        np.testing.assert_array_equal(ds["v"].values[:, i], one["v"].to_numpy())


def test_seed_families():
    assert seed_from_sequence(7, 3) == seed_from_sequence(7, 3)
    assert len({seed_from_sequence(7, i) for i in range(1000)}) == 1000
    assert seed_from_sequence(7, 0) != seed_from_sequence(8, 0)
    with pytest.raises(InputError, match="non-negative integer seed"):
        seed_from_sequence(None, 0)
