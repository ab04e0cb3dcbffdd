"""Helpers that run TVB (tvb-library) on the Montbrió-Pazó-Roxin network, for side-by-side benchmarks.

Not a benchmark itself: the benchmark scripts import :func:`run_tvb_mpr` (or the two shortcuts
:func:`mpr_tvb76` and :func:`mpr_tvb998`) and run neurodyn on the *same work* using the returned
``settings`` (coupling, model parameters, connectome, integer delays and the exact initial history).

TVB conventions that matter for matching it (read from tvb-library 2.10 sources; see
docs/network_data.md, section "TVB conventions", for the full account):

* delays in steps: ``idelays = numpy.rint(tract_lengths / speed / dt)`` (round half to even), over *all*
  pairs (zero-weight ones too); history length ``horizon = idelays.max() + 1``;
* the coupling is evaluated **once per step**, before the Heun predictor, from the history at step
  ``n - 1 - idelays[i, j]`` (``n`` = step being computed), and the same value is used in both Heun stages;
  zero-delay entries (the 76-region diagonal) therefore use the state at the start of the step;
* MPR: ``tau dV/dt = V^2 - (pi tau r)^2 + eta + J tau r + I + cr * c_r + cv * c_V`` with
  ``c = a * sum_j W[i, j] x_j(t - d_ij) + b`` (Linear coupling on both r and V; cr = 1, cv = 0 by default);
* Heun's predictor and corrector are each followed by clipping r to ``[0, inf)``.

Everything here needs ``tvb-library`` (and ``tvb-data`` for the 76-region connectome); import errors name
the missing package. Nothing from TVB is copied: its code runs from the installed package.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurodyn.network import Connectome, load_connectome

#: Defaults of TVB's MontbrioPazoRoxin (tvb-library 2.10).
MPR_DEFAULTS = {"tau": 1.0, "Delta": 1.0, "eta": -5.0, "J": 15.0, "I": 0.0, "cr": 1.0, "cv": 0.0}
#: TVB's MontbrioPazoRoxin.state_variable_range, used by TVB to draw random initial history.
MPR_STATE_RANGE = {"r": (0.0, 2.0), "V": (-2.0, 1.5)}
#: Path of the 998-region connectome next to the checkout (../shared/data/tvb998).
TVB998_ZIP = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "tvb998" / "connectivity_998.zip"


def require_tvb():
    """Import and return ``tvb.simulator.lab``; raise ImportError naming the package when absent."""
    try:
        from tvb.simulator import lab  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without TVB
        raise ImportError(
            "TVB (tvb-library) is not installed: `pip install neurodyn[peers]` or `pip install tvb-library tvb-data`"
            f" ({exc})"
        ) from exc
    return lab


@dataclass
class TVBRunResult:
    """Output of one TVB run.

    ``time`` (ms) has one entry per recorded step: with ``record_every = 1``, ``t_k = k dt`` for ``k = 1..n_steps``
    (the state *after* step k); ``r`` and ``V`` are ``(n_recorded, n_regions)``. (TVB's ``SubSample`` monitor
    records the steps whose counter is a multiple of its period, counted from the history length: its times are
    TVB's own, not necessarily multiples of the period.) ``settings`` holds everything needed to
    redo the same work elsewhere (see :func:`run_tvb_mpr`).
    """

    time: np.ndarray
    r: np.ndarray
    V: np.ndarray
    settings: dict[str, Any] = field(repr=False)
    wall_time: float = 0.0

    def __repr__(self) -> str:
        s = self.settings
        return (f"TVBRunResult({self.r.shape[1]} regions, {self.r.shape[0]} steps of dt={s['dt']} ms, "
                f"backend={s['backend']!r}, horizon={s['horizon']}, wall={self.wall_time:.2f} s)")


def make_initial_history(horizon: int, n_regions: int, kind: str | tuple = "random", seed: int = 42) -> np.ndarray:
    """Initial history ``(horizon, 2, n_regions)`` for (r, V), ordered oldest first: entry ``k`` is the state at
    ``t = (k - horizon + 1) dt``, so the last entry is the state at t = 0.

    ``kind='random'``: independent uniform draws in TVB's state-variable ranges for every time point and region
    (what TVB itself does when given no initial conditions, but with our own seeded generator so that both
    sides can reuse it); a tuple ``(r0, V0)``: constant history.
    """
    if isinstance(kind, tuple):
        r0, v0 = kind
        hist = np.empty((horizon, 2, n_regions))
        hist[:, 0] = r0
        hist[:, 1] = v0
        return hist
    if kind != "random":
        raise ValueError(f"initial history kind must be 'random' or a tuple (r0, V0), got {kind!r}")
    rng = np.random.default_rng(seed)
    hist = np.empty((horizon, 2, n_regions))
    hist[:, 0] = rng.uniform(*MPR_STATE_RANGE["r"], size=(horizon, n_regions))
    hist[:, 1] = rng.uniform(*MPR_STATE_RANGE["V"], size=(horizon, n_regions))
    return hist


def tvb_connectivity(conn: Connectome, speed: float):
    """A configured ``tvb.datatypes.connectivity.Connectivity`` holding exactly ``conn``'s arrays."""
    require_tvb()
    from tvb.datatypes.connectivity import Connectivity

    tvb_conn = Connectivity(
        weights=np.array(conn.weights),
        tract_lengths=np.array(conn.tract_lengths),
        region_labels=np.array(conn.labels),
        centres=np.array(conn.centres) if conn.centres is not None else np.zeros((conn.n_regions, 3)),
        speed=np.array([float(speed)]),
    )
    tvb_conn.configure()
    return tvb_conn


def run_tvb_mpr(connectome: Connectome | str | Path, duration: float, *, dt: float = 0.01, speed: float = 3.0,
                coupling_a: float = 0.00390625, coupling_b: float = 0.0, model_params: dict | None = None,
                initial_history: str | tuple | np.ndarray = "random", seed: int = 42, backend: str = "python",
                compatibility_mode: bool = True, record_every: int = 1) -> TVBRunResult:
    """Run TVB's MontbrioPazoRoxin network with Linear coupling, delays and deterministic Heun.

    Parameters
    ----------
    connectome : Connectome, name or path
        E.g. ``load_connectome("tvb76")``. Weights are used as given (TVB does not normalise them).
    duration : float
        Simulated time in ms; ``n_steps = ceil(duration / dt)`` as in TVB.
    dt : float
        Integration step (ms).
    speed : float
        Conduction speed (mm/ms); delays ``tract_lengths / speed``.
    coupling_a, coupling_b : float
        TVB ``coupling.Linear``: ``c_i = a sum_j W_ij x_j(t - d_ij) + b`` (applied to r and to V; the model's
        ``cr``/``cv`` select which reaches dV/dt).
    model_params : dict, optional
        Overrides of :data:`MPR_DEFAULTS` (tau, Delta, eta, J, I, cr, cv).
    initial_history : 'random', (r0, V0) or array (horizon, 2, n_regions)
        See :func:`make_initial_history` (oldest first, last entry = state at t = 0).
    backend : {'python', 'numba'}
        ``'python'``: TVB's reference ``Simulator`` with ``HeunDeterministic`` and a ``Raw`` monitor.
        ``'numba'``: TVB's ``NbMPRBackend`` (tvb.simulator.backend.nb_mpr), which only accepts
        ``HeunStochastic``; it is given zero noise (``nsig = 0``), hence deterministic.
    compatibility_mode : bool
        Numba backend only. ``True`` (default here) evaluates the delayed coupling once per step like the
        Python simulator. TVB's own default ``False`` re-evaluates it for the corrector at step ``n - d``,
        which for zero-delay connections (e.g. the 76-region diagonal) reads a not-yet-written buffer slot.
    record_every : int
        Record the state after every ``record_every``-th step only (steps k = record_every, 2 record_every, ...).
        The Python simulator then uses TVB's ``SubSample`` monitor (period ``record_every * dt``) instead of
        ``Raw``; the numba backend has no sub-sampling monitor (its kernel writes every step into the buffer it
        returns, which is also its history), so its every-step output is sub-sampled afterwards, at no cost.

    Returns
    -------
    TVBRunResult
        ``settings`` keys: dt, speed, n_steps, duration, coupling_a, coupling_b, model_params, weights,
        tract_lengths, idelays, horizon, initial_history (horizon, 2, N; oldest first), initial_state (2, N),
        backend, compatibility_mode, integrator, tvb_version, labels.
    """
    lab = require_tvb()
    from tvb.simulator import coupling, integrators, models, monitors, noise

    conn = connectome if isinstance(connectome, Connectome) else load_connectome(connectome)
    if conn.tract_lengths is None:
        raise ValueError("run_tvb_mpr: the connectome has no tract lengths; delays need them")
    if not duration > 0 or not dt > 0 or not speed > 0:
        raise ValueError("run_tvb_mpr: duration, dt and speed must be > 0")
    params = dict(MPR_DEFAULTS)
    unknown = set(model_params or {}) - set(params)
    if unknown:
        raise ValueError(f"run_tvb_mpr: unknown MPR parameters {sorted(unknown)}; valid: {sorted(params)}")
    params.update(model_params or {})

    tvb_conn = tvb_connectivity(conn, speed)
    tvb_conn.set_idelays(dt)
    idelays = np.array(tvb_conn.idelays)
    horizon = int(tvb_conn.horizon)
    n = conn.n_regions
    if isinstance(initial_history, np.ndarray):
        hist = np.array(initial_history, dtype=float)
        if hist.shape != (horizon, 2, n):
            raise ValueError(f"run_tvb_mpr: initial_history must have shape {(horizon, 2, n)}, got {hist.shape}")
    else:
        hist = make_initial_history(horizon, n, initial_history, seed)
    # TVB keeps the history in float32 (and the numba backend even starts from that float32 copy): round the
    # history to float32-representable values so that every consumer starts from exactly the same numbers.
    hist = hist.astype(np.float32).astype(np.float64)

    model = models.MontbrioPazoRoxin(**{k: np.array([float(v)]) for k, v in params.items()})
    coup = coupling.Linear(a=np.array([float(coupling_a)]), b=np.array([float(coupling_b)]))
    n_steps = int(np.ceil(duration / dt))
    record_every = int(record_every)
    if record_every < 1 or n_steps % record_every:
        raise ValueError(f"run_tvb_mpr: record_every must be a positive divisor of the {n_steps} steps, got "
                         f"{record_every}")
    if backend == "python":
        integ = integrators.HeunDeterministic(dt=dt)
        sim = lab.simulator.Simulator(
            model=model, connectivity=tvb_conn, coupling=coup, integrator=integ,
            monitors=(monitors.Raw() if record_every == 1 else monitors.SubSample(period=record_every * dt),),
            simulation_length=n_steps * dt, initial_conditions=hist[:, :, :, None],
        ).configure()
        # TVB took the last `horizon` entries: buffer[k] = hist[k]; current state = hist[-1]; the first step
        # computed is `horizon`, reading buffer[(step - 1 - d) % horizon] -> hist[-1 - d].
        assert np.array_equal(sim.current_state[:, :, 0], hist[-1])
        t0 = _time.perf_counter()
        (t_tvb, data), = sim.run()
        # TVB counts steps from the history length: the state after our step k has TVB time (horizon - 1 + k) dt
        t_rows = dt * (np.rint(np.asarray(t_tvb, dtype=float) / dt) - (horizon - 1))
        wall = _time.perf_counter() - t0
        if data.shape[0] != n_steps // record_every:
            raise RuntimeError(f"TVB returned {data.shape[0]} samples, expected {n_steps // record_every}")
        r, V = data[:, 0, :, 0], data[:, 1, :, 0]
        integrator_name = "HeunDeterministic"
        integrate_time = wall
    elif backend == "numba":
        from tvb.simulator.backend.nb_mpr import NbMPRBackend

        integ = integrators.HeunStochastic(dt=dt, noise=noise.Additive(nsig=np.array([0.0])))
        sim = lab.simulator.Simulator(
            model=model, connectivity=tvb_conn, coupling=coup, integrator=integ,
            monitors=(monitors.Raw(),), simulation_length=n_steps * dt,
        ).configure()
        # NbMPRBackend reads sim.history.buffer assuming TVB's own layout (buffer[0] = t = 0, buffer[k] =
        # t = (k - horizon) dt) and un-rolls it by one; put our history in that layout.
        sim.history.buffer[:] = np.roll(hist, 1, axis=0)[:, :, :, None]
        backend_obj = _TimedNbMPRBackend()
        t0 = _time.perf_counter()
        (t_nb, data), = backend_obj.run_sim(sim, nstep=n_steps, compatibility_mode=compatibility_mode)
        wall = _time.perf_counter() - t0
        integrate_time = backend_obj.integrate_time
        data = data[record_every - 1::record_every]
        t_rows = dt * record_every * np.arange(1, data.shape[0] + 1)
        r, V = data[:, 0, :, 0], data[:, 1, :, 0]
        integrator_name = "HeunStochastic(nsig=0)"
    else:
        raise ValueError(f"run_tvb_mpr: backend must be 'python' or 'numba', got {backend!r}")

    import tvb

    settings = {
        "dt": dt, "speed": speed, "n_steps": n_steps, "duration": n_steps * dt,
        "coupling_a": coupling_a, "coupling_b": coupling_b, "model_params": params,
        "weights": np.array(conn.weights), "tract_lengths": np.array(conn.tract_lengths),
        "idelays": idelays, "horizon": horizon, "initial_history": hist, "initial_state": hist[-1].copy(),
        "backend": backend, "compatibility_mode": compatibility_mode if backend == "numba" else None,
        "record_every": record_every,
        "integrator": integrator_name, "labels": conn.labels,
        "tvb_version": getattr(tvb, "__version__", None) or _tvb_version(),
        # time spent in the time loop only (numba backend: without rendering/compiling its kernel)
        "integrate_time": integrate_time,
    }
    return TVBRunResult(time=t_rows, r=np.ascontiguousarray(r), V=np.ascontiguousarray(V), settings=settings,
                        wall_time=wall)


def _timed_nb_backend_class():
    from tvb.simulator.backend.nb_mpr import NbMPRBackend

    class TimedNbMPRBackend(NbMPRBackend):
        """TVB's numba MPR backend, recording the time of the integration loop alone (``integrate_time``).

        ``run_sim`` renders its kernel and Numba compiles it at its first call, on every ``run_sim``;
        ``wall_time`` includes that. Here the kernel is first called for one step on copies of the buffers
        (which compiles it), then the real run is timed."""

        integrate_time = float("nan")

        def _run_integrate(self, integrate, sim, N, nstep, svar_bufs, stimulus):
            warm = [b.copy() for b in svar_bufs]
            super()._run_integrate(integrate, sim, N, 1, warm, stimulus)
            t0 = _time.perf_counter()
            out = super()._run_integrate(integrate, sim, N, nstep, svar_bufs, stimulus)
            self.integrate_time = _time.perf_counter() - t0
            return out

    return TimedNbMPRBackend


def _TimedNbMPRBackend():
    return _timed_nb_backend_class()()


def _tvb_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("tvb-library")
    except Exception:  # pragma: no cover
        return None


def mpr_tvb76(duration: float, **kwargs) -> TVBRunResult:
    """MPR on TVB's 76-region connectome (tvb-data's connectivity_76.zip), speed 3 mm/ms, dt 0.01 ms."""
    return run_tvb_mpr(load_connectome("tvb76"), duration, **kwargs)


def mpr_tvb998(duration: float, path: str | Path | None = None, **kwargs) -> TVBRunResult:
    """MPR on the 998-region connectome (../shared/data/tvb998/connectivity_998.zip by default)."""
    p = Path(path) if path is not None else TVB998_ZIP
    if not p.is_file():
        raise FileNotFoundError(f"998-region connectome not found at {p}; pass path=")
    return run_tvb_mpr(load_connectome(p), duration, **kwargs)


def reference_heun_delayed_mpr(settings: dict, history_dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Plain-NumPy re-implementation of the scheme documented above (for checking the conventions only;
    slow, meant for small networks and short runs). Returns ``(r, V)`` of shape ``(n_steps, N)``.

    ``history_dtype=np.float32`` mimics TVB's Python simulator, whose history buffer and coupling weights
    are float32 (the integrated state itself is float64)."""
    p = settings["model_params"]
    tau, Delta, eta, J, I, cr, cv = (p[k] for k in ("tau", "Delta", "eta", "J", "I", "cr", "cv"))
    a, b, dt = settings["coupling_a"], settings["coupling_b"], settings["dt"]
    W, D = settings["weights"], settings["idelays"]
    hist = settings["initial_history"]
    H, _, N = hist.shape
    n_steps = settings["n_steps"]
    buf = np.empty((H + n_steps, 2, N))      # buf[H - 1] = state at t = 0 (float64 states)
    buf[:H] = hist
    hbuf = buf.astype(history_dtype)          # what the coupling reads (float32 in TVB's Python simulator)
    Wc = W.astype(history_dtype)
    cols = np.arange(N)[None, :]

    def f(r, V, cr_, cv_):
        dr = (Delta / (np.pi * tau) + 2 * V * r) / tau
        dV = (V * V - (np.pi * tau * r) ** 2 + eta + J * tau * r + I + cr * cr_ + cv * cv_) / tau
        return dr, dV

    for k in range(1, n_steps + 1):
        now = H - 1 + k - 1                  # index of the state at the start of step k
        delayed = hbuf[now - D, :, cols]     # (N_to, N_from, 2) state at step (k - 1 - d_ij)
        c_r = a * np.sum(Wc * delayed[..., 0], axis=1, dtype=np.float64) + b
        c_V = a * np.sum(Wc * delayed[..., 1], axis=1, dtype=np.float64) + b
        r, V = buf[now, 0], buf[now, 1]
        dr0, dV0 = f(r, V, c_r, c_V)
        ri, Vi = np.maximum(r + dt * dr0, 0.0), V + dt * dV0
        dr1, dV1 = f(ri, Vi, c_r, c_V)
        buf[now + 1, 0] = np.maximum(r + 0.5 * dt * (dr0 + dr1), 0.0)
        buf[now + 1, 1] = V + 0.5 * dt * (dV0 + dV1)
        hbuf[now + 1] = buf[now + 1]
    return buf[H:, 0].copy(), buf[H:, 1].copy()
