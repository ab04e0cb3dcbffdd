"""The fixed-step driver: explicit Runge-Kutta schemes (Butcher tableaux) and their stochastic versions, run by
a backend's compiled time loop (``run_fixed``) in chunks of about :data:`CHUNK_WORK` updates.

Examples
--------
>>> from neurodyn import integrate
>>> df = integrate("qif", simulation_time=1.0, step_size=1e-3, solver="heun", outputs={"r": "p/qif_op/r"})
>>> df.attrs["provenance"]["solver"]
'heun'
"""
from __future__ import annotations

import time as _time

import numpy as np

from neurodyn.backends.data import KernelData
from neurodyn.errors import SimulationError
from neurodyn.solvers.noise import NoiseStreams
from neurodyn.solvers.tableaux import Tableau

__all__ = ["CHUNK_WORK", "Stepper", "run_fixed", "nonfinite_error"]

#: state and coupling updates per chunk of a fixed-step run (about 0.1-0.3 s of work)
CHUNK_WORK = 50_000_000


def run_fixed(kernel, data: KernelData, tab: Tableau, dt: float, n_steps: int, rec_every: int, kinds, pos, out,
              g_pos, g_sig, seed, progress, clip, on_chunk, n_samples: int) -> None:
    """Integrate ``n_steps`` fixed steps of ``tab`` in chunks of the compiled loop ``kernel.run_fixed``, writing
    samples into ``out`` (and handing each chunk to ``on_chunk``); a non-finite state is a SimulationError that
    names the variable, node and time.

    ``seed`` is an integer (or None), the seed of the one generator that draws every noise column, or a
    :class:`~neurodyn.solvers.noise.NoiseStreams` that gives blocks of columns generators of their own."""
    k = kernel
    y = data.y0.copy()
    a = np.zeros(max(data.n_a, 1), dtype=data.dtype)
    M = data.M
    nn = g_pos.size
    noise = (seed if isinstance(seed, NoiseStreams) else NoiseStreams.single(seed)).start(nn)
    # the kernel allocates nothing (it is compiled without Numba's runtime): stage derivatives and scratch
    work = (np.zeros((tab.b.size, y.size), dtype=y.dtype), np.empty_like(y), np.empty_like(y))
    step = 0
    # chunk lengths depend on the problem only (never on wall time), so that observables reduced chunk by
    # chunk (on_chunk) are bit-identical between identical runs; ~CHUNK_WORK state and coupling updates each
    chunk = min(n_steps, max(1, CHUNK_WORK // max(1, y.size + len(M[5]))))
    bar = None
    while step < n_steps:
        nst = min(chunk, n_steps - step)
        xi = noise.draw(nst, dt)
        row0 = -(-step // rec_every)                      # first sample row in this chunk
        row1 = min(n_samples, -(-(step + nst) // rec_every))
        # samples go straight into ``out`` (when stored) and on_chunk sees that same block
        buf = out[row0:row1] if out.shape[0] else np.zeros((max(row1 - row0, 0), len(pos)), out.dtype)
        t_chunk = _time.perf_counter()
        bad, at = k.run_fixed(y, a, data.p, M, 0.0, dt, step, nst, tab.A, tab.b, tab.c, tab.noise_stage,
                              g_pos, g_sig, xi, rec_every, kinds, pos, buf, row0, *clip, *work)
        elapsed = _time.perf_counter() - t_chunk
        if bad >= 0:
            if bar is not None:
                bar.close()
            nonfinite_error(data, y, int(bad), int(at), dt, tab.name)
        step += nst
        if on_chunk is not None and buf.shape[0]:
            on_chunk(np.arange(row0, row1) * rec_every * dt, buf)
        if bar is not None:
            bar.update(nst)
        elif step < n_steps and (progress or (progress is None and elapsed / nst * (n_steps - step) > 2.0)):
            from tqdm.auto import tqdm
            bar = tqdm(total=n_steps, initial=step, unit="step", desc=f"neurodyn {data.ir.name}")
    if bar is not None:
        bar.close()


def nonfinite_error(data: KernelData, y: np.ndarray, bad: int, step: int, dt: float, solver: str):
    """Raise the SimulationError for state position ``bad`` that became non-finite at ``step``."""
    raise SimulationError(
        f"state {data.state_name(bad)} became non-finite ({y[bad]}) at t = {(step + 1) * dt:g} (step {step + 1}, "
        f"solver {solver!r}, step_size {dt:g}). Try a smaller step_size, an adaptive solver (solver='scipy'), or "
        f"check the parameters and inputs.")


class Stepper:
    """A kernel's state advanced in place by deterministic fixed steps, without samples or noise: for drivers
    that work between steps (re-orthonormalising tangent vectors, shooting). ``y`` is the state (read and write
    it between calls); time is ``step * dt``.

    Examples
    --------
    >>> from neurodyn import compile_model
    >>> from neurodyn.backends.data import build_data
    >>> from neurodyn.solvers import resolve_solver
    >>> m = compile_model("qif")
    >>> s = Stepper(m.kernel, build_data(m.ir, 1e-3), resolve_solver("rk4"), 1e-3)
    >>> s.advance(100); s.step
    100
    """

    def __init__(self, kernel, data: KernelData, tab: Tableau, dt: float):
        from neurodyn.backends.data import prime_history
        if tab.stochastic:
            raise SimulationError(f"Stepper runs deterministic schemes; {tab.name!r} is stochastic")
        self.kernel, self.data, self.tab, self.dt = kernel, data, tab, float(dt)
        self.y = data.y0.copy()
        self.a = np.zeros(max(data.n_a, 1), dtype=data.dtype)
        self.step = 0
        self._work = (np.zeros((tab.b.size, self.y.size), dtype=self.y.dtype), np.empty_like(self.y),
                      np.empty_like(self.y))
        self._i0, self._f0 = np.zeros(0, dtype=np.int64), np.zeros(0)
        self._out = np.zeros((0, 0), dtype=data.dtype)
        if data.ir is not None and data.ir.has_delays:
            prime_history(kernel, data)

    @property
    def time(self) -> float:
        return self.step * self.dt

    def advance(self, nsteps: int) -> None:
        """``nsteps`` steps from the current state (a non-finite state is a SimulationError naming it)."""
        i0, f0, tab = self._i0, self._f0, self.tab
        bad, at = self.kernel.run_fixed(self.y, self.a, self.data.p, self.data.M, 0.0, self.dt, self.step,
                                        int(nsteps), tab.A, tab.b, tab.c, tab.noise_stage, i0, f0,
                                        np.zeros((int(nsteps), 0)), 1, i0, i0, self._out, 0, i0, f0, f0,
                                        *self._work)
        if bad >= 0:
            nonfinite_error(self.data, self.y, int(bad), int(at), self.dt, tab.name)
        self.step += int(nsteps)
