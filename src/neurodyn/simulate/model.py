"""A compiled model and its runs: :class:`Model` (IR + kernel), whose ``run`` returns a time-indexed DataFrame
(the PyRates habit) and ``run_array`` the same samples as arrays.

Examples
--------
>>> from neurodyn import compile_model
>>> m = compile_model("qif")
>>> df = m.run(10.0, 1e-3, outputs={"r": "p/qif_op/r"}, solver="rk4")
>>> bool(df["r"].iloc[-1] > 0)
True
"""
from __future__ import annotations

import datetime as _dt
import inspect
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from neurodyn._lazy import pandas as pd

from neurodyn._version import __version__
from neurodyn.backends.data import build_data, prime_history
from neurodyn.errors import InputError, SolverError, close_matches
from neurodyn.ir import CircuitIR
from neurodyn.lang.templates import CircuitTemplate
from neurodyn.memory import check_output_memory
from neurodyn.simulate.grid import TimeGrid
from neurodyn.simulate.binding import (bound_positions, external_inputs, fill_history, noise_positions,
                                       output_columns, set_values)
from neurodyn.solvers.adaptive import run_adaptive
from neurodyn.solvers.fixed import run_fixed
from neurodyn.solvers.registry import resolve_solver
from neurodyn.solvers.tableaux import Tableau

__all__ = ["Model", "RunArrays"]


@dataclass
class RunArrays:
    """Samples of a run as one array: ``values[k, c]`` is column ``labels[c]`` at ``times[k]``."""

    times: np.ndarray
    values: np.ndarray
    labels: list
    is_complex: list
    provenance: dict
    observables: dict = None     # {name: DataArray} of the run's observables (``observables=[...]``)


@dataclass
class Model:
    """A compiled circuit: IR plus kernel. Run it as often as you like; runs never change it.

    Create with :func:`neurodyn.compile_model`.
    """

    ir: CircuitIR
    kernel: Any
    backend: str
    circuit: CircuitTemplate | None = None
    driven: tuple = ()
    base_ir: CircuitIR | None = None      # the one-copy IR of a model of several copies (sweeps)

    def __repr__(self) -> str:
        return f"<Model {self.ir.name!r} ({self.backend}): {self.ir!r}>"

    def output_columns(self, outputs, data):
        """Resolve outputs {name: path} into (column labels, storage kinds, positions, is_complex)."""
        return output_columns(self.ir, outputs, data)

    # --------------------------------------------------------------------------------------------------- run
    def run_array(self, simulation_time: float, step_size: float, outputs=None, inputs: Mapping | None = None,
                  solver: str = "euler", sampling_step_size: float | None = None, method: str | None = None,
                  rtol: float = 1e-6, atol: float = 1e-9, noise: Mapping | None = None, seed: int | None = None,
                  params: Mapping | None = None, initial_state: Mapping | None = None, delay_mode: str = "cubic",
                  progress: bool | None = None, bounds: Mapping | None = None, on_chunk=None, store: bool = True,
                  history: Mapping | None = None, input_interpolation: str = "linear", cutoff: float = 0.0,
                  observables=None, **pyrates_options) -> RunArrays:
        """Integrate. ``run`` returns a time-indexed DataFrame (provenance in ``df.attrs``); ``run_array``
        returns the same samples as one :class:`RunArrays` (no DataFrame, no copy: for large outputs).

        Parameters
        ----------
        simulation_time, step_size : float
            Duration and integration step (model time units). The run takes exactly T/dt steps: T must be a whole
            number of steps (and of sampling steps), else an InputError names the nearest valid values
            (:mod:`neurodyn.simulate.grid`); nothing is shortened silently.
        outputs : dict {name: path} or list of paths, optional
            What to record; paths are ``node/op/var`` or ``all/op/var`` (one column per node). Default: every
            state variable.
        inputs : dict {path: array}, optional
            Time series of length ``round(T/dt)``; sample k is the value at t = k dt, held after the last
            sample. Driving an input adds to what else drives it; driving a constant replaces it.
        input_interpolation : {'linear', 'step'}
            How the stages of a step read ``inputs``: 'linear' (default, as PyRates) interpolates between
            samples at each stage time; 'step' uses sample k for every stage of the step from t_k to t_k + dt,
            so a rectangular pulse on the grid acts on exactly the steps it covers, whatever the solver (as
            TVB's stimuli; with an adaptive solver, sample k holds on [t_k, t_k + dt)).
        solver : str
            'euler', 'heun', 'midpoint', 'rk4' (fixed step), 'euler_maruyama', 'stochastic_heun' (with
            ``noise``), or adaptive 'scipy' / 'RK45', 'RK23', 'DOP853', 'LSODA', 'BDF', 'Radau'.
        sampling_step_size : float, optional
            Output interval, a multiple of ``step_size``; sample k is the state at t = k * sampling_step_size,
            k = 0 .. round(T/ds) - 1 (row 0 is the initial state).
        method, rtol, atol
            For adaptive solvers (``method`` overrides the method of solver='scipy').
        noise : dict {state path: sigma}, optional
            Additive white noise, ``dx = f dt + sigma dW``; ``seed`` makes it reproducible: an integer seeds
            the one generator of every noise column, a :class:`~neurodyn.solvers.NoiseStreams` gives blocks of
            columns (in the order of ``noise``) generators of their own (vectorised sweeps).
        params, initial_state : dict {path: value}, optional
            Parameter values / initial values for this run only.
        delay_mode : {'cubic', 'linear', 'step'}
            How delayed edges read history (see :mod:`neurodyn.backends.numba.runtime`).
        progress : bool, optional
            Show a progress bar (default: automatically for runs expected to take more than ~2 s).
        bounds : dict {state path: (low, high)}, optional
            Clip states into [low, high] after every stage (e.g. a rate that must stay >= 0, as TVB does).
        history : dict {path: array}, optional
            Values of delayed sources before t = 0: row k of an array with H rows is the value at
            t = (k - H + 1) * step_size (the last row is t = 0); shape (H,) or (H, nodes). Default: the
            initial value, held constant.
        on_chunk : callable(times, values), optional
            Called with each chunk of recorded samples as the run proceeds (fixed-step solvers), so that
            observables can be reduced on the fly; with ``store=False`` nothing else is kept. ``values`` is
            the block of stored samples itself (a view): read it, do not modify it.
        cutoff : float
            Initial time left out of the result (PyRates's ``cutoff``): rows with t >= cutoff are returned, with
            their absolute times.
        observables : list of :class:`~neurodyn.observables.Observable`, optional
            Summaries computed while the run goes (fixed-step solvers), reading outputs by name (an output path
            that hits several nodes gives one channel per node, dimension ``node``); they leave out the samples
            before ``cutoff`` (except those that need the transient, e.g. BOLD). Results:
            ``RunArrays.observables`` ({name: DataArray}); ``run`` puts them in ``df.attrs["observables"]`` (an
            xarray Dataset).
        verbose, vectorize, in_place, float_precision
            PyRates's options, accepted so that PyRates scripts run unchanged; they change nothing here (neurodyn
            is always vectorised, never mutates templates, and computes in float64 or complex128:
            ``float_precision`` must be one of those).

        Examples
        --------
        >>> import neurodyn as nd
        >>> df = nd.integrate("qif", simulation_time=1.0, step_size=1e-3, sampling_step_size=0.1, cutoff=0.5,
        ...                   outputs={"r": "p/qif_op/r"}, verbose=False)
        >>> [round(t, 3) for t in df.index]
        [0.5, 0.6, 0.7, 0.8, 0.9]
        """
        _check_pyrates_options(pyrates_options)
        grid = TimeGrid.of(simulation_time, step_size, sampling_step_size)
        T, dt, ds = grid.simulation_time, grid.step_size, grid.sampling_step_size
        n_steps, rec_every, n_samples = grid.n_steps, grid.record_every, grid.n_samples
        if cutoff and not 0.0 <= float(cutoff) < T:
            raise InputError(f"cutoff must be in [0, simulation_time = {T:g}), got {cutoff!r}")
        scheme = resolve_solver(method if (method and str(solver).lower() == "scipy") else solver,
                                noise=bool(noise))
        inputs = dict(inputs or {})
        if tuple(sorted(inputs)) != tuple(sorted(self.driven)):
            raise InputError(f"this model was compiled for inputs {sorted(self.driven)}, got {sorted(inputs)}; "
                             f"compile_model(..., driven={sorted(inputs)})")
        ext, targets = external_inputs(self.ir, inputs, n_steps)
        if self.ir.has_delays:
            dmin = min(float(np.min(p.delays)) for p in self.ir.projections if p.delayed)
            if dmin < dt * (1 - 1e-9) and delay_mode != "step":
                raise InputError(f"an edge delay ({dmin:g}) is shorter than the step ({dt:g}); use a step of at "
                                 f"most {dmin:g} or delay_mode='step'")
        hist_len = max([np.asarray(v).shape[0] for v in dict(history or {}).values()] or [1])
        data = build_data(self.ir, dt, 0.0, ext, targets, dt, delay_mode, history_len=hist_len,
                          input_mode=input_interpolation)
        set_values(self.ir, data, params)
        set_values(self.ir, data, initial_state)
        if noise and seed is None:
            seed = int(np.random.SeedSequence().entropy % (2 ** 63))  # drawn, and recorded in the provenance
        labels, kinds, pos, cplx = output_columns(self.ir, outputs, data)
        if store:                                  # before allocating: a typed error, not NumPy's MemoryError
            check_output_memory(n_samples, len(labels), 1, data.dtype, sample_step=ds)
        out = np.zeros((n_samples if store else 0, len(labels)), dtype=data.dtype)
        obs = None
        if observables:
            obs = _observable_set(observables, labels, ds, n_samples, float(cutoff or 0.0))
            on_chunk = obs.update if on_chunk is None else _both(on_chunk, obs.update)
        if isinstance(scheme, Tableau):
            g_pos, g_sig = noise_positions(self.ir, noise, data)
            clip = bound_positions(self.ir, bounds, data)
            if self.ir.has_delays:
                prime_history(self.kernel, data)       # before t = 0: the initial values, held
                if history:
                    fill_history(self.ir, data, history)
            elif history:
                raise InputError("history was given but the model has no delayed edges")
            run_fixed(self.kernel, data, scheme, dt, n_steps, rec_every, kinds, pos, out, g_pos, g_sig, seed,
                      progress, clip, on_chunk, n_samples)
        else:
            if on_chunk is not None or not store or bounds:
                raise SolverError("on_chunk, observables, store=False and bounds need a fixed-step solver")
            if self.ir.has_delays:
                raise SolverError("adaptive solvers cannot integrate delayed edges; use a fixed-step solver "
                                  "('heun' or 'rk4') with a small step")
            run_adaptive(self.kernel, data, scheme, ds, n_samples, kinds, pos, out, rtol, atol, T)
        prov = self.provenance(
            solver=scheme.name if isinstance(scheme, Tableau) else scheme, step_size=dt, sampling_step_size=ds,
            simulation_time=T, seed=seed, rtol=None if isinstance(scheme, Tableau) else rtol,
            atol=None if isinstance(scheme, Tableau) else atol, delay_mode=delay_mode if self.ir.has_delays else None,
            input_interpolation=input_interpolation if inputs else None)
        times = np.arange(out.shape[0]) * ds
        if cutoff:
            keep = int(np.searchsorted(times, float(cutoff) - 1e-9 * ds))   # first sample at t >= cutoff
            times, out = times[keep:], out[keep:]
            prov["cutoff"] = float(cutoff)
        return RunArrays(times, out, list(labels), list(cplx), prov, obs.finish() if obs is not None else {})

    def run(self, simulation_time: float, step_size: float, outputs=None, **run) -> pd.DataFrame:
        res = self.run_array(simulation_time, step_size, outputs, **run)
        cols = {}
        for c, lab in enumerate(res.labels):
            cols[lab] = res.values[:, c] if res.is_complex[c] else res.values[:, c].real
        df = pd.DataFrame(cols, index=pd.Index(res.times, name="time"))
        if res.labels and isinstance(res.labels[0], tuple):
            df.columns = pd.MultiIndex.from_tuples(res.labels)
        df.attrs["provenance"] = res.provenance
        if res.observables:
            from neurodyn._xr import xr
            df.attrs["observables"] = xr.Dataset(res.observables)
        return df

    run.__doc__ = run_array.__doc__

    def provenance(self, **run) -> dict:
        """Version, hashes, backend and the run's solver settings."""
        prov = dict(neurodyn_version=__version__, template=self.ir.name, template_hash=self.ir.template_hash,
                    structure_hash=self.ir.structure_hash(), backend=self.backend,
                    created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
        lib = getattr(self.kernel, "aot", None)
        if lib is not None:
            prov["aot_library"] = lib.path.name       # machine code identical to the JIT kernel's
        prov.update({k: v for k, v in run.items() if v is not None})
        return prov


def _observable_set(observables, labels, sample_period: float, n_samples: int, discard: float):
    """Observables of a circuit run: a variable is an output name, its channels the columns of that name."""
    from neurodyn.observables import ObservableSet, RunContext
    cols: dict = {}
    for c, lab in enumerate(labels):
        cols.setdefault(lab[0] if isinstance(lab, tuple) else lab, []).append(c)
    ctx = RunContext(sample_period=sample_period, n_samples=n_samples, channels={k: len(v) for k, v in cols.items()},
                     names={k: str(k) for k in cols}, discard=discard, channel_dim="node")
    return ObservableSet(list(observables), ctx, {k: np.array(v) if len(v) > 1 and v != list(range(v[0], v[-1] + 1))
                                                  else slice(v[0], v[-1] + 1) for k, v in cols.items()})


def _both(first, second):
    def on_chunk(times, values):
        first(times, values)
        second(times, values)
    return on_chunk


#: PyRates ``run`` options that have no effect in neurodyn, with the values that mean "as neurodyn does"
#: (None: any value)
_PYRATES_NOOPS = {"verbose": None, "vectorize": None, "in_place": None,
                  "float_precision": ("float64", "double", "complex128")}


def _check_pyrates_options(options: Mapping) -> None:
    """Accept PyRates's no-op keywords; anything else is an error (never silently dropped)."""
    for key, value in options.items():
        if key not in _PYRATES_NOOPS:
            valid = [p for p in inspect.signature(Model.run_array).parameters if p not in ("self", "pyrates_options")]
            raise InputError(f"unknown run option {key!r}; " + close_matches(key, valid + list(_PYRATES_NOOPS)))
        allowed = _PYRATES_NOOPS[key]
        if allowed is not None and value not in allowed:
            raise InputError(f"{key}={value!r}: neurodyn computes in float64 (complex128 for complex models) and "
                             f"never casts down; pass float_precision='float64' or leave it out")
