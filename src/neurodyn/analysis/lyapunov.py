"""Lyapunov spectra by QR re-orthonormalisation (Benettin et al. 1980; Shimada & Nagashima 1979) on compiled
tangent kernels.

The ``k`` tangent vectors are integrated alongside the trajectory in one compiled loop, with the same scheme
and step as a simulation: the variational equations are generated from the IR (:mod:`neurodyn.ir.tangent`) and
compiled by the default backend (C, or Numba). Every ``renormalise_every`` time units the tangent vectors are
re-orthonormalised (QR), and the logarithms of the diagonal of R accumulate into the exponents. The estimate of
a finite run is reported with its convergence: the running estimates at every renormalisation, and their
spread over the last quarter of the run.

Delayed edges are refused: the tangent space of a delay system includes the history, which re-orthonormalising
the current tangent vectors alone would get wrong. Noise is refused too (the spectrum of the deterministic
flow is what is computed).

Examples
--------
>>> from neurodyn.lang.templates import OperatorTemplate, NodeTemplate
>>> op = OperatorTemplate("lin", ["x' = -0.5*x + y", "y' = -x - 0.5*y", "z' = -2*z"],
...                       {"x": "output(1.0)", "y": "variable(0.0)", "z": "variable(1.0)"})
>>> spec = lyapunov_spectrum(NodeTemplate("lin_node", [op]), simulation_time=40.0, step_size=0.01)
>>> [round(float(x), 2) for x in spec.exponents]        # the real parts of the eigenvalues: -0.5, -0.5, -2
[-0.5, -0.5, -2.0]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from neurodyn.errors import AnalysisError, InputError

__all__ = ["LyapunovSpectrum", "lyapunov_spectrum"]


@dataclass
class LyapunovSpectrum:
    """The first ``k`` Lyapunov exponents of a trajectory (per model time unit, largest first).

    Attributes
    ----------
    exponents : ndarray (k,)
    history : pandas.DataFrame
        Running estimates after each renormalisation (index: time since the end of the transient).
    spread : ndarray (k,)
        Largest minus smallest running estimate over the last quarter of the run: a measure of convergence.
    settings : dict
        Solver, step, times, renormalisation interval, seed, backend.
    final_state : ndarray
        The state at the end of the run (it continues the trajectory).
    """

    exponents: np.ndarray
    history: pd.DataFrame
    spread: np.ndarray
    settings: dict = field(default_factory=dict)
    final_state: np.ndarray | None = None

    @property
    def largest(self) -> float:
        return float(self.exponents[0])

    def kaplan_yorke_dimension(self) -> float:
        """The Kaplan-Yorke (Lyapunov) dimension of the exponents computed (needs enough of them)."""
        s = np.cumsum(self.exponents)
        if s[0] < 0:
            return 0.0
        j = int(np.flatnonzero(s >= 0)[-1])
        if j + 1 >= len(self.exponents):
            raise AnalysisError("the Kaplan-Yorke dimension needs more exponents: their sum is still >= 0; "
                                "compute a larger k")
        return float(j + 1 + s[j] / abs(self.exponents[j + 1]))

    def plot(self, ax=None):
        """The running estimates against time (convergence)."""
        import matplotlib.pyplot as plt
        ax = ax or plt.subplots(figsize=(6, 3.5))[1]
        for c in self.history.columns:
            ax.plot(self.history.index, self.history[c], lw=1, label=c)
        ax.set_xlabel(f"time after the transient ({self.settings.get('time_unit', 'model time units')})")
        ax.set_ylabel("running estimate (1 / time unit)")
        ax.legend(fontsize=7, ncol=2)
        return ax

    def __repr__(self) -> str:
        ex = ", ".join(f"{x:.4g}" for x in self.exponents)
        return (f"<LyapunovSpectrum k={len(self.exponents)}: [{ex}] (spread over the last quarter "
                f"{np.max(self.spread):.2g}; T = {self.settings.get('simulation_time')})>")


def _network_params(net, params: Mapping | None) -> dict:
    """BrainNetwork.simulate-style ``{'op/var': scalar or per-region array}`` as circuit paths."""
    out = {}
    for path, value in dict(params or {}).items():
        arr = np.asarray(value)
        if arr.ndim == 0:
            out[f"all/{path}"] = arr.item()
        elif arr.shape == (len(net.region_names),):
            out.update({f"{r}/{path}": x for r, x in zip(net.region_names, arr)})
        else:
            raise InputError(f"values for {path!r} must be a scalar or one per region "
                             f"({len(net.region_names)}), got shape {arr.shape}")
    return out


def lyapunov_spectrum(model, k: int | None = None, simulation_time: float = 100.0, step_size: float = 0.01, *,
                      transient: float = 0.0, align: float | None = None, renormalise_every: float | None = None,
                      solver: str = "rk4",
                      params: Mapping | None = None, initial_state: Mapping | None = None, seed: int = 0,
                      backend: str | None = None) -> LyapunovSpectrum:
    """The first ``k`` Lyapunov exponents of ``model`` along the trajectory from its initial state.

    Parameters
    ----------
    model : circuit template, template name, NodeTemplate, Model or BrainNetwork
    k : int, optional
        Number of exponents (default: all, the number of real state coordinates).
    simulation_time, step_size : float
        Length of the averaging run (after the transient) and the integration step (model time units).
    transient : float
        Time integrated first, without tangent vectors, so that the trajectory reaches its attractor.
    align : float, optional
        Time over which the tangent vectors are evolved and re-orthonormalised before the averaging starts, so
        that they have turned into the most expanding directions (default: a tenth of ``simulation_time``);
        without it a finite run's estimates carry an O(1/T) bias from the random initial vectors.
    renormalise_every : float, optional
        Interval between QR re-orthonormalisations. Default: adapted as the run goes (from 50 up to 2000 steps),
        so that the tangent vectors' growth factors differ by at most ~e^10 between renormalisations; beyond
        ~e^36 they would be indistinguishable in double precision. A fixed interval is used as given.
    solver : str
        A deterministic fixed-step scheme ('euler', 'heun', 'midpoint', 'rk4').
    params, initial_state : dict, optional
        As for a run (``BrainNetwork`` models take ``{'op/var': scalar or per-region array}``).
    seed : int
        Seed of the random initial tangent vectors.
    backend : str, optional
        Kernel backend (default: the ``backend`` setting).

    Raises
    ------
    AnalysisError
        For delayed edges, complex states, k outside 1..dimension, or a stochastic solver.
    """
    from neurodyn.backends.cache import load_kernel
    from neurodyn.backends.data import build_data
    from neurodyn.ir.cache import cached_build_ir
    from neurodyn.ir.tangent import tangent_ir, tangent_symbol
    from neurodyn.simulate import Model, resolve_backend, resolve_circuit
    from neurodyn.simulate.binding import set_values
    from neurodyn.simulate.grid import TimeGrid, positive, whole_multiple
    from neurodyn.solvers.fixed import Stepper
    from neurodyn.solvers.registry import resolve_solver
    from neurodyn.solvers.tableaux import Tableau

    params = dict(params or {})
    initial_state = dict(initial_state or {})
    if hasattr(model, "connectome") and hasattr(model, "circuit"):           # a BrainNetwork
        params = _network_params(model, params)
        initial_state = _network_params(model, initial_state)
        base = cached_build_ir(model.circuit())
    elif isinstance(model, Model):
        base = model.ir
    else:
        base = cached_build_ir(resolve_circuit(model))
    if base.has_delays:
        raise AnalysisError(f"{base.name!r} has delayed edges: its tangent space includes the delay history, "
                            f"which is not re-orthonormalised here; Lyapunov spectra are computed for systems "
                            f"without delays (set speed=None on a BrainNetwork)")
    if base.complex_system:
        raise AnalysisError(f"{base.name!r} has complex states; write it in real coordinates for its spectrum")
    n = base.n_states
    k = n if k is None else k
    if int(k) != k or not 1 <= k <= n:
        raise AnalysisError(f"k must be an integer in 1..{n} (the number of state coordinates), got {k!r}")
    k = int(k)
    tab = resolve_solver(solver)
    if not isinstance(tab, Tableau) or tab.stochastic:
        raise AnalysisError(f"Lyapunov spectra use a deterministic fixed-step scheme (euler, heun, midpoint, rk4), "
                            f"got {solver!r}")
    grid = TimeGrid.of(simulation_time, step_size)
    dt = grid.step_size
    adaptive = renormalise_every is None
    every = 50 if adaptive else whole_multiple(positive("renormalise_every", renormalise_every),
                                                                  dt, "renormalise_every", "step_size")
    n_transient = 0 if not transient else whole_multiple(positive("transient", transient), dt, "transient",
                                                         "step_size")
    align = 0.1 * grid.simulation_time if align is None else float(align)
    n_align = 0 if align <= 0 else max(1, int(round(align / dt)))
    tir = tangent_ir(base, k)
    kernel = load_kernel(tir, resolve_backend(backend))
    data = build_data(tir, dt)
    set_values(tir, data, params)
    set_values(tir, data, initial_state)
    # positions of the base states and of their tangent copies in the state vector
    base_pos, tan_pos = [], []
    for gi, g in enumerate(base.groups):
        for v in g.variables:
            if v.kind != "state":
                continue
            for i in range(g.n):
                base_pos.append(data.position(gi, v.sym, i)[1])
                tan_pos.append([data.position(gi, tangent_symbol(v.sym, m), i)[1] for m in range(k)])
    base_pos = np.array(base_pos, dtype=np.int64)
    tan_pos = np.array(tan_pos, dtype=np.int64)             # (n, k)
    stepper = Stepper(kernel, data, tab, dt)
    if n_transient:
        stepper.advance(n_transient)                          # tangents are zero: they stay zero
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, k)))

    def renormalise(m: int):
        stepper.y[tan_pos] = Q
        stepper.advance(m)
        q, r = np.linalg.qr(stepper.y[tan_pos])
        d = np.diag(r)
        if not np.all(np.isfinite(d)) or np.any(d == 0):
            raise AnalysisError(f"the tangent vectors became degenerate at t = {stepper.time:g} (a diagonal entry "
                                f"of R is {d[~np.isfinite(d) | (d == 0)][0]}); renormalise more often "
                                f"(renormalise_every) or use a smaller step")
        return q * np.sign(d), d                          # keep the orientation (R's diagonal positive)

    def adapt(d: np.ndarray) -> None:
        nonlocal every
        if not adaptive or k == 1:
            return
        spread = float(np.log(np.max(np.abs(d))) - np.log(np.min(np.abs(d))))
        if spread > 10.0:
            every = max(1, int(every * 5.0 / spread))
        elif spread < 2.0:
            every = min(2000, every * 2)

    aligned = 0
    while aligned < n_align:
        m = min(every, n_align - aligned)
        Q, d = renormalise(m)
        aligned += m
        adapt(d)
    sums = np.zeros(k)
    times, estimates = [], []
    done, start = 0, stepper.step
    while done < grid.n_steps:
        m = min(every, grid.n_steps - done)
        Q, d = renormalise(m)
        done += m
        sums += np.log(np.abs(d))
        adapt(d)
        times.append(done * dt)
        estimates.append(sums / (done * dt))
    est = np.array(estimates)
    tail = est[int(0.75 * len(est)):] if len(est) >= 4 else est
    hist = pd.DataFrame(est, index=pd.Index(np.array(times), name="time"),
                        columns=[f"lambda_{j + 1}" for j in range(k)])
    settings = dict(solver=tab.name, step_size=dt, simulation_time=grid.simulation_time,
                    transient=n_transient * dt, align=n_align * dt,
                    renormalise_every="adaptive" if adaptive else every * dt, seed=seed, k=k,
                    backend=getattr(kernel, "backend", None), model=base.name, start_step=start)
    return LyapunovSpectrum(est[-1], hist, tail.max(axis=0) - tail.min(axis=0), settings,
                            stepper.y[base_pos].copy())
