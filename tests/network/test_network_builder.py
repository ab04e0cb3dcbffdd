"""BrainNetwork: delays, homogeneous-state reduction, streamed observables, storage, input errors,
heterogeneity and noise. No peer simulator needed; every expectation is analytic or an independent computation.
"""
import numpy as np
import pytest

from neurodyn import integrate
from neurodyn.errors import ConnectomeError, InputError, MemoryBudgetError, NeurodynError, VariablePathError
from neurodyn.lang.templates import NodeTemplate, OperatorTemplate
from neurodyn.network import BrainNetwork, Connectome, Coupling, Stimulus
from neurodyn.observables import bold_from_activity, functional_connectivity

#: A linear first-order node, tau dx/dt = u + c - x: u is the stimulus input, c the network input.
LIN_OP = OperatorTemplate("lin_op", ["d/dt * x = (u + c - x)/tau"],
                          {"x": "output(0.0)", "tau": 1.0, "u": "input(0.0)", "c": "input(0.0)"})
LIN_NODE = NodeTemplate("lin", [LIN_OP])
PING = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")


def random_row_normalised(n, seed, density=0.5):
    rng = np.random.default_rng(seed)
    W = rng.uniform(0.1, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    np.fill_diagonal(W, 0.0)
    W[np.arange(n), (np.arange(n) + 1) % n] += 0.5      # no empty rows
    return Connectome(W).normalise("rows")


# -------------------------------------------------------------------------------------------- (a) delays
class TestTwoRegionDelay:
    """Region 0 gets a rectangular pulse; region 1 receives w * x_0(t - L/v) through one connection."""

    L, V, W, AMP, START, STOP, DT = 7.5, 3.0, 2.0, 1.0, 1.0, 3.0, 0.01   # delay L/V = 2.5 ms = 250 steps

    def run(self, mode, dt=None):
        dt = dt or self.DT
        C = Connectome(np.array([[0.0, 0.0], [self.W, 0.0]]),
                       tract_lengths=np.array([[0.0, self.L], [self.L, 0.0]]))
        net = BrainNetwork(LIN_NODE, C, Coupling("lin_op/x", "lin_op/c"), speed=self.V, delay_mode=mode)
        ds = net.simulate(6.0, dt, variables=["lin_op/x"], progress=False,
                          stimuli=[Stimulus("lin_op/u", 0, self.AMP, self.START, self.STOP)])
        return ds["time"].values, ds["x"].values

    @staticmethod
    def onset(x):
        return int(np.flatnonzero(x != 0.0)[0])

    def test_onset_lag_is_exactly_the_delay(self):
        # Everything is exactly 0 until the pulse reaches a region, so the first non-zero sample is sharp.
        # With delays read by linear interpolation at the stage times and L/v a whole number of steps, the
        # delayed read hits grid values exactly: region 1 starts exactly L/v = 250 steps after region 0.
        t, x = self.run("linear")
        lag = self.onset(x[:, 1]) - self.onset(x[:, 0])
        assert lag == round(self.L / self.V / self.DT) == 250
        assert np.all(x[:self.onset(x[:, 1]), 1] == 0.0)

    def test_onset_lag_step_and_cubic_modes(self):
        d = round(self.L / self.V / self.DT)
        # 'step' (TVB's convention) holds the delayed value read at the *start* of each step for the whole
        # step, so the first non-zero input acts on the step that ends one step later: lag d + 1 samples.
        t, x = self.run("step")
        assert self.onset(x[:, 1]) - self.onset(x[:, 0]) == d + 1
        # 'cubic' interpolates over 4 history points, so the stencil reaches up to 2 steps past the query: at
        # most 2 steps early and only by round-off there (the interpolating cubic of data that are exactly 0
        # at 3 of 4 points is O(1e-18) at grid points). Above round-off, the lag is exactly d.
        t, x = self.run("cubic")
        i0 = self.onset(x[:, 0])
        assert np.all(np.abs(x[:i0 + d, 1]) < 1e-15)
        assert int(np.flatnonzero(np.abs(x[:, 1]) > 1e-12)[0]) - i0 == d

    def test_response_matches_analytic_delayed_solution(self):
        # Analytic: the pulse (start a, stop b) gives x0(t) = A (g0(t - a) - g0(t - b)), g0(s) = 1 - e^-s (tau=1),
        # and region 1, tau dx1/dt = W x0(t - D) - x1, gives x1 = W A (g1(t - a - D) - g1(t - b - D)),
        # g1(s) = 1 - e^-s (1 + s), s > 0. A Stimulus is held for every stage of each step it covers, so the
        # pulse edges are exactly at a and b (on the grid) and Heun matches the analytic solution to O(dt^2):
        # measured 1.6e-5 at dt = 0.01 and 3.9e-6 at dt = 0.005 (region 1). A delay off by one step (0.01 ms)
        # would give 3.7e-3, and edges off by half a step (linearly interpolated inputs) 3.7e-3 and 5.0e-3.
        def g0(s):
            s = np.clip(s, 0, None)
            return 1 - np.exp(-s)

        def g1(s):
            s = np.clip(s, 0, None)
            return 1 - np.exp(-s) * (1 + s)

        D = self.L / self.V
        errs = []
        for dt in (self.DT, self.DT / 2):
            t, x = self.run("linear", dt)
            a, b = self.START, self.STOP
            x0 = self.AMP * (g0(t - a) - g0(t - b))
            x1 = self.W * self.AMP * (g1(t - a - D) - g1(t - b - D))
            np.testing.assert_allclose(x[:, 0], x0, rtol=0, atol=5e-5)
            np.testing.assert_allclose(x[:, 1], x1, rtol=0, atol=5e-5)
            errs.append(np.abs(x[:, 1] - x1).max())
        assert 3.0 < errs[0] / errs[1] < 5.0       # second order: the remaining error is the scheme's, not D's


# ------------------------------------------------------------------------------- (b) homogeneous state
def _homogeneous_check(C, eps, duration=100.0, dt=0.01):
    """The row-normalised network started homogeneous equals the single self-coupled node ('ei_ping' with
    p/ei_ping_op/eps = eps: its self-edge s_e -> s_net has weight 1)."""
    single = integrate("ei_ping", duration, dt, solver="heun", progress=False,
                       outputs={"r_e": "p/ei_ping_op/r_e", "v_e": "p/ei_ping_op/v_e", "s_i": "p/ei_ping_op/s_i"},
                       params={"p/ei_ping_op/eps": eps})
    net = BrainNetwork("ei_ping_pop", C, PING)
    ds = net.simulate(duration, dt, variables=["ei_ping_op/r_e", "ei_ping_op/v_e", "ei_ping_op/s_i"],
                      params={"ei_ping_op/eps": eps}, progress=False)
    for v in ("r_e", "v_e", "s_i"):
        x = ds[v].values
        ref = single[v].to_numpy()
        scale = np.abs(ref).max()
        # Rows sum to 1 up to ~1e-16, so sum_m W_nm s_e,m differs from s_e by round-off only; the oscillation
        # (PING limit cycle, I_ext_e = 10) amplifies such differences slowly (measured on AAL90, eps = 10:
        # spread 3e-15 after 50 ms, 1e-13 after 200 ms). 1e-11 relative to the variable's range bounds this
        # at 100 ms; a real asymmetry (e.g. one row not normalised) gives O(1e-2) or more.
        assert np.abs(x.max(axis=1) - x.min(axis=1)).max() < 1e-11 * scale, v
        np.testing.assert_allclose(x, np.repeat(ref[:, None], C.n_regions, axis=1), rtol=0, atol=1e-11 * scale)
    assert np.ptp(ds["r_e"].values[:, 0]) > 0.1     # it oscillates: not a trivially constant solution


def test_homogeneous_state_synthetic_random_connectome():
    C = random_row_normalised(25, seed=3)
    np.testing.assert_allclose(C.in_strength, 1.0, rtol=0, atol=1e-14)
    assert not C.is_symmetric
    _homogeneous_check(C, eps=10.0)


def test_homogeneous_state_aal90(aal90_dir):
    C = Connectome.from_aal90(aal90_dir).normalise("rows")
    assert C.n_regions == 90
    _homogeneous_check(C, eps=10.0)


def test_non_normalised_connectome_breaks_homogeneity():
    # guard for the test above: without row normalisation the regions receive different input and diverge
    C = random_row_normalised(25, seed=3).scaled(1.0)
    W = np.array(C.weights)
    W[0] *= 1.5
    net = BrainNetwork("ei_ping_pop", Connectome(W), PING)
    ds = net.simulate(100.0, 0.01, variables=["ei_ping_op/r_e"], params={"ei_ping_op/eps": 10.0}, progress=False)
    assert np.abs(ds["r_e"].values[:, 0] - ds["r_e"].values[:, 1]).max() > 1e-3


# --------------------------------------------------------------------------- (c, d) observables, storage
@pytest.fixture(scope="module")
def obs_runs():
    C = random_row_normalised(8, seed=11)
    net = BrainNetwork("ei_ping_pop", C, PING)
    kw = dict(variables=["ei_ping_op/r_e", "ei_ping_op/v_e"], sampling_step_size=0.1, initial="random", seed=5,
              params={"ei_ping_op/eps": 3.0, "ei_ping_op/I_ext_e": np.linspace(6.0, 12.0, 8)},
              fc="ei_ping_op/r_e", bold=dict(variable="ei_ping_op/r_e", tr=0.01), progress=False)
    stored = net.simulate(120.0, 0.01, store=True, **kw)
    streamed = net.simulate(120.0, 0.01, store=False, **kw)
    return stored, streamed


def test_streamed_observables_equal_posthoc(obs_runs):
    ds, _ = obs_runs
    r = ds["r_e"].values
    assert r.shape == (1200, 8) and ds["v_e"].shape == (1200, 8)
    # mean and FC are accumulated chunk by chunk (Chan/Welford merges): equal to batch statistics to round-off
    np.testing.assert_allclose(ds["mean_r_e"].values, r.mean(axis=0), rtol=1e-12, atol=0)
    np.testing.assert_allclose(ds["mean_v_e"].values, ds["v_e"].values.mean(axis=0), rtol=1e-12, atol=0)
    fc = functional_connectivity(r)
    np.testing.assert_allclose(ds["fc"].values, fc, rtol=0, atol=1e-10)
    assert np.abs(fc - np.eye(8)).max() > 0.01          # regions are not trivially (un)correlated
    # BOLD: the Balloon-Windkessel runs on the same samples in chunks; the post-hoc computation on the stored
    # trajectory must agree (the streaming implementation is chunking-invariant)
    t, b = bold_from_activity(r, 0.1, time_unit="ms", tr=0.01)
    np.testing.assert_allclose(ds["bold_time"].values, t, rtol=1e-12)
    np.testing.assert_allclose(ds["bold"].values, b, rtol=1e-10, atol=1e-14)
    assert b.shape == (12, 8) and np.abs(b).max() > 0


def test_store_false_keeps_no_trajectory(obs_runs):
    stored, streamed = obs_runs
    assert "r_e" not in streamed and "v_e" not in streamed and "time" not in streamed.dims
    # same reduced observables; not bit-identical because Model.run sizes its chunks from the wall-clock time
    # of the previous chunk, and the streaming merges then round differently (1 ulp measured)
    for k in ("mean_r_e", "mean_v_e", "fc", "bold"):
        np.testing.assert_allclose(streamed[k].values, stored[k].values, rtol=1e-12, atol=1e-15)


# -------------------------------------------------------------------------------------- (e) bad input
def test_bad_connectomes():
    with pytest.raises(ConnectomeError, match="square"):
        Connectome(np.ones((2, 3)))
    with pytest.raises(ConnectomeError, match="finite|NaN|nan"):
        Connectome(np.array([[0.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(ConnectomeError, match="finite|inf"):
        Connectome(np.array([[0.0, np.inf], [1.0, 0.0]]))
    with pytest.raises(ConnectomeError, match="negative"):
        Connectome(np.array([[0.0, 1.0], [1.0, 0.0]]), tract_lengths=np.array([[0.0, -3.0], [3.0, 0.0]]))


@pytest.mark.parametrize("speed", [0.0, -3.0, np.inf, np.nan])
def test_bad_speed(speed):
    C = Connectome(np.array([[0.0, 1.0], [1.0, 0.0]]), tract_lengths=np.full((2, 2), 10.0))
    with pytest.raises(ConnectomeError, match="speed"):
        BrainNetwork(LIN_NODE, C, Coupling("lin_op/x", "lin_op/c"), speed=speed)


def test_per_region_parameters_of_wrong_length():
    net = BrainNetwork("ei_ping_pop", random_row_normalised(5, 1), PING)
    with pytest.raises(InputError, match=r"one per region \(5\)"):
        net.simulate(1.0, 0.01, params={"ei_ping_op/eps": np.ones(4)}, progress=False)
    with pytest.raises(InputError, match=r"one per region \(5\)"):
        net.simulate(1.0, 0.01, initial={"ei_ping_op/r_e": np.ones(6)}, progress=False)


def test_unknown_coupling_variables_suggest_close_matches():
    C = random_row_normalised(3, 1)
    with pytest.raises(VariablePathError, match="did you mean 'ei_ping_op/s_e'"):
        BrainNetwork("ei_ping_pop", C, Coupling("ei_ping_op/s_ee", "ei_ping_op/s_net"))
    with pytest.raises(VariablePathError, match="did you mean 'ei_ping_op/s_net'"):
        BrainNetwork("ei_ping_pop", C, Coupling("ei_ping_op/s_e", "ei_ping_op/snet"))
    with pytest.raises(VariablePathError, match="input"):      # target must be an input, not a state
        BrainNetwork("ei_ping_pop", C, Coupling("ei_ping_op/s_e", "ei_ping_op/v_e"))
    with pytest.raises(VariablePathError):
        Coupling("s_e", "ei_ping_op/s_net")


def _delay_net(delay):
    C = Connectome(np.array([[0.0, 1.0], [1.0, 0.0]]), tract_lengths=np.full((2, 2), delay))
    return BrainNetwork(LIN_NODE, C, Coupling("lin_op/x", "lin_op/c"), speed=1.0)


def test_delay_shorter_than_step_is_refused():
    with pytest.raises(InputError, match="shorter than the step") as exc:
        _delay_net(0.07).simulate(1.0, 0.1, progress=False)
    assert "delay_mode='step'" in str(exc.value)      # says how to fix it
    _delay_net(0.1).simulate(1.0, 0.1, progress=False)     # a delay of one step is fine


def test_tiny_delay_is_not_silently_dropped():
    with pytest.raises(InputError):
        _delay_net(0.03).simulate(1.0, 0.1, progress=False)


def test_output_over_memory_limit():
    net = BrainNetwork("ei_ping_pop", random_row_normalised(10, 1), PING)
    with pytest.raises(MemoryBudgetError) as exc:
        net.simulate(100.0, 0.01, variables=["ei_ping_op/r_e", "ei_ping_op/v_e"], memory_limit=1e6, progress=False)
    msg = str(exc.value)
    # 10000 samples x 2 variables x 10 regions x 8 bytes = 1.6e6 B = 1.5 MiB; the message gives the size, the
    # budget and the remedy
    assert "10000 times x 2 variables x 10 regions" in msg and "1.5 MiB" in msg and "976.6 KiB" in msg
    assert "sampling step" in msg and "streaming" in msg
    assert isinstance(exc.value, NeurodynError)
    # the same run fits with a coarser sampling step or store=False
    net.simulate(100.0, 0.01, variables=["ei_ping_op/r_e", "ei_ping_op/v_e"], memory_limit=1e6,
                 sampling_step_size=0.1, progress=False)


# ----------------------------------------------------------------------------- (f) heterogeneity, (g) noise
def test_heterogeneous_parameters_take_effect():
    # eps = 0: regions are dynamically independent, so each region must equal the single node with its own
    # drive. I_ext_e = 4 is below the Hopf bifurcation (~5.5, damped), 10 and 14 oscillate.
    drives = np.array([4.0, 10.0, 14.0])
    net = BrainNetwork("ei_ping_pop", random_row_normalised(3, 2), PING)
    ds = net.simulate(50.0, 0.01, variables=["ei_ping_op/r_e"], params={"ei_ping_op/eps": 0.0,
                                                                        "ei_ping_op/I_ext_e": drives},
                      progress=False)
    for k, I in enumerate(drives):
        single = integrate("ei_ping", 50.0, 0.01, solver="heun", outputs={"r_e": "p/ei_ping_op/r_e"},
                           params={"p/ei_ping_op/I_ext_e": I}, progress=False)
        # identical arithmetic per region -> round-off only
        np.testing.assert_allclose(ds["r_e"].values[:, k], single["r_e"].to_numpy(), rtol=0, atol=1e-12)
    r = ds["r_e"].values
    assert np.abs(r[:, 0] - r[:, 1]).max() > 0.05 and np.abs(r[:, 1] - r[:, 2]).max() > 0.05


def test_noise_is_reproducible_with_seed():
    net = BrainNetwork("ei_ping_pop", random_row_normalised(4, 2), PING)
    kw = dict(variables=["ei_ping_op/r_e"], params={"ei_ping_op/eps": 2.0}, noise={"ei_ping_op/v_e": 0.5},
              progress=False)
    a = net.simulate(20.0, 0.01, seed=7, **kw)["r_e"].values
    b = net.simulate(20.0, 0.01, seed=7, **kw)["r_e"].values
    c = net.simulate(20.0, 0.01, seed=8, **kw)["r_e"].values
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-4
    # noise acts independently per region: the homogeneous start does not stay homogeneous
    assert np.abs(a[:, 0] - a[:, 1]).max() > 1e-4


# ------------------------------------------------------------------- (a2) TVB-convention delays, summed in blocks
def _step_mode_reference(W, dsteps, x0, hist, n_steps, dt, derived=False, tau=1.0):
    """Heun with TVB's convention, written out directly: c_i(n) = sum_j W_ij x_j(n - d_ij), read once per step
    from the stored states (``hist[k]`` is step k - H + 1; older steps hold ``hist[0]``). A ``derived`` source
    is stored only after the step's first stage, so a zero delay reads the previous step (step 0 at step 0)."""
    H = hist.shape[0]
    xs = np.zeros((H + n_steps, len(x0)))
    xs[:H] = hist
    xs[H - 1] = x0
    cols = np.arange(len(x0))
    for n in range(n_steps - 1):
        now = H - 1 + n
        read = now - dsteps
        if derived and n > 0:
            read = np.minimum(read, now - 1)
        c = (W * xs[np.maximum(read, 0), cols[None, :]]).sum(axis=1)
        x = xs[now]
        k1 = (c - x) / tau
        k2 = (c - (x + dt * k1)) / tau
        xs[now + 1] = x + dt / 2 * (k1 + k2)
    return xs[H - 1:H - 1 + n_steps]


#: LIN_NODE plus a derived copy m = 2 x, to couple through a derived (not state) source
LIN_DER_NODE = NodeTemplate("lin_der", [OperatorTemplate("lin_d", ["d/dt * x = (u + c - x)/tau", "m = 2*x"], {
    "x": "output(0.0)", "m": "variable(0.0)", "tau": 1.0, "u": "input(0.0)", "c": "input(0.0)"})])


@pytest.mark.parametrize("source, with_history", [("state", False), ("state", True), ("derived", False)])
def test_step_mode_long_delays_summed_in_blocks(source, with_history):
    """neurodyn sums connections delayed by >= K steps K steps at a time (K = 128 here) and the others every
    step. Zero, short (< K) and long delays mixed in one projection, runs cut into chunks that do not align
    with the blocks, a history ring that wraps many times, a user-given history, and a derived source (stored
    after the first stage: blocks computed before that store must be dropped) must all give exactly the
    trajectory of the direct per-step sum (tolerance 1e-12: only the order of the sums differs)."""
    from neurodyn.backends.data import block_length

    n, dt, n_steps = 24, 0.01, 4000
    rng = np.random.default_rng(11)
    W = random_row_normalised(n, seed=5, density=0.6).weights
    dsteps = rng.choice([0, 1, 3, 17, 130, 257, 300, 611], size=(n, n), p=[.05, .05, .05, .05, .2, .2, .2, .2])
    assert block_length(dsteps[W != 0].astype(float)) == 128
    C = Connectome(W, tract_lengths=dsteps * dt)              # speed 1: a delay of dsteps steps
    if source == "state":
        node, op, coupling = LIN_NODE, "lin_op", Coupling("lin_op/x", "lin_op/c")
    else:
        node, op, coupling = LIN_DER_NODE, "lin_d", Coupling("lin_d/m", "lin_d/c", gain=0.5)
    net = BrainNetwork(node, C, coupling, speed=1.0, delay_mode="step")
    x0 = rng.uniform(-1, 1, n)
    hist = rng.uniform(-1, 1, (700, n)) if with_history else x0[None, :]
    hist[-1] = x0
    model = net.model(step_size=dt)
    df = model.run(n_steps * dt, dt, outputs={f"x{i}": f"{r}/{op}/x" for i, r in enumerate(net.region_names)},
                   solver="heun", delay_mode="step",
                   initial_state={f"{r}/{op}/x": v for r, v in zip(net.region_names, x0)},
                   history={f"all/{op}/x": hist} if with_history else None)
    ref = _step_mode_reference(W, dsteps, x0, hist, n_steps, dt, derived=source == "derived")
    assert np.ptp(ref[600:1200], axis=0).min() > 1e-3            # every region still moves when long delays act
    np.testing.assert_allclose(df.to_numpy(), ref, rtol=0, atol=1e-12)


def test_streamed_power_spectrum_equals_welch_of_the_trajectory():
    """psd= accumulates Welch's estimate during the run, chunk by chunk (runs are cut into chunks whose
    boundaries do not fall on segment boundaries); it must equal scipy.signal.welch of the stored trajectory
    (same Hann window, 50 % overlap, constant detrend) to round-off, and its peak must be the E/I node's gamma
    rhythm (PING, I_ext_e = 10: ~46 Hz, REFERENCE section 3)."""
    from scipy import signal

    import neurodyn.solvers.fixed as sim

    C = random_row_normalised(8, seed=2)
    net = BrainNetwork("ei_ping_pop", C, PING)
    old = sim.CHUNK_WORK
    sim.CHUNK_WORK = 300_000                                   # ~ a few hundred steps per chunk
    try:
        ds = net.simulate(600.0, 0.01, variables=["ei_ping_op/r_e"], sampling_step_size=0.1, initial="random",
                          seed=4, params={"ei_ping_op/eps": 2.0, "ei_ping_op/I_ext_e": 10.0}, progress=False,
                          psd=dict(variable="ei_ping_op/r_e", nperseg=2000, band=(20.0, 100.0)))
    finally:
        sim.CHUNK_WORK = old
    f, P = signal.welch(ds["r_e"].values, fs=1e4, nperseg=2000, axis=0)     # 0.1 ms samples: 10 kHz
    np.testing.assert_allclose(ds["frequency"].values, f, rtol=1e-14)
    np.testing.assert_allclose(ds["psd"].values, P, rtol=1e-9, atol=1e-12 * P.max())
    assert ds["frequency"].attrs["units"] == "Hz"
    fdom = ds["dominant_frequency"].values
    # the streamed peak is scipy's Welch peak in the band, refined within its bin (bins of 5 Hz here)
    band = (f >= 20.0) & (f <= 100.0)
    f_peak = f[band][np.argmax(P[band], axis=0)]
    assert np.all(np.abs(fdom - f_peak) <= 2.5), (fdom, f_peak)
    # and it is the PING gamma rhythm (~46 Hz for the isolated node at I_ext_e = 10, REFERENCE section 3; the
    # coupling eps = 2 shifts it by a few Hz): a band check, the exact cycle period being pinned against scipy in
    # tests/library/test_library_science.py
    assert np.all((fdom > 35.0) & (fdom < 60.0)), fdom


def test_psd_option_errors():
    net = BrainNetwork("ei_ping_pop", random_row_normalised(4, seed=1), PING)
    with pytest.raises(InputError, match="psd variable"):
        net.simulate(1.0, 0.01, variables=["ei_ping_op/r_e"], psd="ei_ping_op/v_e", progress=False)
    with pytest.raises(InputError, match="unknown psd option"):
        net.simulate(1.0, 0.01, variables=["ei_ping_op/r_e"], psd=dict(nperseg=10, windw="hann"), progress=False)
    with pytest.raises(InputError, match="fewer samples than one segment"):
        net.simulate(1.0, 0.01, variables=["ei_ping_op/r_e"], psd=dict(nperseg=1000), progress=False)
