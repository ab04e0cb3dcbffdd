"""Compile a circuit and integrate it: the PyRates-compatible ``integrate`` and the reusable :class:`Model`.

Examples
--------
>>> from neurodyn import integrate
>>> res = integrate("qif", simulation_time=10.0, step_size=1e-3, outputs={"r": "p/qif_op/r"}, solver="rk4")
>>> round(float(res["r"].iloc[-1]), 3) > 0
True
"""
from __future__ import annotations

import datetime as _dt
import inspect
import math
import time as _time
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from neurodyn._version import __version__
from neurodyn.compiler.cache import load_kernel
from neurodyn.compiler.data import KernelData, build_data
from neurodyn.compiler.ir_cache import cached_build_ir
from neurodyn.compiler.layout import DEF
from neurodyn.compiler.runtime_numpy import BLOCK_START
from neurodyn.errors import InputError, SimulationError, SolverError, TemplateError, close_matches
from neurodyn.ir import CircuitIR
from neurodyn.lang.templates import CircuitTemplate
from neurodyn.solvers.tableaux import Tableau, resolve_solver

__all__ = ["Model", "compile_model", "integrate", "resolve_circuit"]

BACKENDS = ("numba", "numpy")


def resolve_circuit(circuit) -> CircuitTemplate:
    """Accept a CircuitTemplate, a template name/path, or a NodeTemplate."""
    if isinstance(circuit, CircuitTemplate):
        return circuit
    if isinstance(circuit, str):
        return CircuitTemplate.from_yaml(circuit)
    from neurodyn.lang.templates import NodeTemplate
    if isinstance(circuit, NodeTemplate):
        return CircuitTemplate(circuit.name, nodes={circuit.name: circuit})
    raise TemplateError(f"expected a CircuitTemplate or a template name, got {type(circuit).__name__}")


def _backend(backend: str) -> str:
    b = "numba" if backend in (None, "default", "numba") else backend
    if b not in BACKENDS:
        raise SolverError(f"unknown backend {backend!r}; valid: 'numba' (default), 'numpy'")
    return b


def _positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be positive and finite, got {value!r}")
    return v


def _steps(total: float, step: float, what: str, of: str) -> int:
    n = int(round(total / step))
    if n < 1 or abs(n * step - total) > 1e-6 * max(abs(total), step):
        raise InputError(f"{what} ({total}) must be a whole multiple of {of} ({step}); e.g. use "
                         f"{max(n, 1) * step:g}")
    return n


#: state and coupling updates per chunk of a fixed-step run (about 0.1-0.3 s of work)
CHUNK_WORK = 50_000_000


@dataclass
class RunArrays:
    """Samples of a run as one array: ``values[k, c]`` is column ``labels[c]`` at ``times[k]``."""

    times: np.ndarray
    values: np.ndarray
    labels: list
    is_complex: list
    provenance: dict


@dataclass
class Model:
    """A compiled circuit: IR plus kernel. Run it as often as you like; runs never change it.

    Create with :func:`compile_model`.
    """

    ir: CircuitIR
    kernel: Any
    backend: str
    circuit: CircuitTemplate | None = None
    driven: tuple = ()

    def __repr__(self) -> str:
        return f"<Model {self.ir.name!r} ({self.backend}): {self.ir!r}>"

    # -------------------------------------------------------------------------------------------- outputs
    def output_columns(self, outputs, data: KernelData) -> tuple[list, np.ndarray, np.ndarray, list]:
        """Resolve outputs {name: path} into (column labels, storage kinds, positions, is_complex)."""
        if outputs is None:
            outputs = {f"{g.nodes[i]}/{v.path}": f"{g.nodes[i]}/{v.path}" for g in self.ir.groups
                       for v in g.variables if v.kind == "state" for i in range(g.n)
                       if "@" not in g.nodes[i]}
        elif isinstance(outputs, (list, tuple)):
            outputs = {p: p for p in outputs}
        labels, kinds, pos, cplx = [], [], [], []
        for name, path in dict(outputs).items():
            hits = self.ir.find(path)
            for gi, i, v, node in hits:
                st, q = data.position(gi, v.sym, i)
                labels.append(name if len(hits) == 1 else (name, node))
                kinds.append({"y": 0, "a": 1, "p": 2}[st])
                pos.append(q)
                cplx.append(v.dtype == "complex")
        return labels, np.array(kinds, dtype=np.int64), np.array(pos, dtype=np.int64), cplx

    # ----------------------------------------------------------------------------------------------- inputs
    def _ext(self, inputs: Mapping, n_steps: int):
        if not inputs:
            return None, []
        cols, targets = [], []
        for path, arr in inputs.items():
            hits = self.ir.find(path)
            a = np.asarray(arr)
            if a.dtype.kind not in "fciu":
                raise InputError(f"input {path!r}: values must be numeric, got dtype {a.dtype}")
            if a.dtype.kind == "c" and not self.ir.complex_system:
                raise InputError(f"input {path!r} is complex but the model is real; pass real values "
                                 f"(neurodyn never drops an imaginary part silently)")
            if a.ndim == 1:
                a = np.repeat(a[:, None], len(hits), axis=1)
            if a.ndim != 2 or a.shape[0] != n_steps or a.shape[1] != len(hits):
                raise InputError(f"input {path!r} has shape {np.asarray(arr).shape}; expected ({n_steps},) "
                                 f"(one value per step: simulation_time/step_size = {n_steps})"
                                 + (f" or ({n_steps}, {len(hits)}) for its {len(hits)} nodes" if len(hits) > 1
                                    else ""))
            if not np.all(np.isfinite(a)):
                bad = int(np.argwhere(~np.isfinite(a))[0][0])
                raise InputError(f"input {path!r} has a non-finite value at step {bad}")
            for c, (gi, i, v, node) in enumerate(hits):
                cols.append(a[:, c])
                targets.append((gi, v.sym, i))
        return np.stack(cols, axis=1), targets

    # ------------------------------------------------------------------------------------------------- noise
    def _noise(self, noise: Mapping | None, data: KernelData):
        pos, sig = [], []
        for path, s in dict(noise or {}).items():
            hits = self.ir.find(path)
            s = np.broadcast_to(np.asarray(s, dtype=float), (len(hits),))
            if not np.all(np.isfinite(s)) or np.any(s < 0):
                raise InputError(f"noise amplitude for {path!r} must be finite and >= 0, got {s}")
            for (gi, i, v, node), si in zip(hits, s):
                if v.kind != "state":
                    raise InputError(f"noise can only drive state variables; {path!r} is a {v.kind}")
                st, q = data.position(gi, v.sym, i)
                if v.dtype == "complex":
                    raise InputError(f"noise on complex state {path!r} is not supported; split it into real "
                                     f"and imaginary parts")
                pos.append(q)
                sig.append(si)
        return np.array(pos, dtype=np.int64), np.array(sig, dtype=float)

    def _set_params(self, data: KernelData, params: Mapping | None) -> None:
        for path, val in dict(params or {}).items():
            hits = self.ir.find(path)
            vals = np.broadcast_to(np.asarray(val), (len(hits),))
            if not np.all(np.isfinite(vals)):
                raise InputError(f"parameter {path!r} must be finite, got {val!r}")
            for (gi, i, v, node), x in zip(hits, vals):
                sym = DEF + v.sym if v.kind == "input" and v.uses_default else v.sym
                st, q = data.position(gi, sym, i)
                if np.iscomplexobj(x) and not self.ir.complex_system:
                    raise InputError(f"parameter {path!r} is complex but the model is real")
                if st == "p":
                    data.p[q] = x
                elif st == "y":
                    data.y0[q] = x
                else:
                    raise InputError(f"{path!r} is a derived quantity ({v.kind}); set the constants it depends on")
        if params:
            data.refresh_hoisted()

    # --------------------------------------------------------------------------------------------------- run
    def run_array(self, simulation_time: float, step_size: float, outputs=None, inputs: Mapping | None = None,
                  solver: str = "euler", sampling_step_size: float | None = None, method: str | None = None,
                  rtol: float = 1e-6, atol: float = 1e-9, noise: Mapping | None = None, seed: int | None = None,
                  params: Mapping | None = None, initial_state: Mapping | None = None, delay_mode: str = "cubic",
                  progress: bool | None = None, bounds: Mapping | None = None, on_chunk=None, store: bool = True,
                  history: Mapping | None = None, input_interpolation: str = "linear", cutoff: float = 0.0,
                  **pyrates_options) -> RunArrays:
        """Integrate. ``run`` returns a time-indexed DataFrame (provenance in ``df.attrs``); ``run_array``
        returns the same samples as one :class:`RunArrays` (no DataFrame, no copy: for large outputs).

        Parameters
        ----------
        simulation_time, step_size : float
            Duration and integration step (model time units). Fixed-step solvers take ``round(T/dt)`` steps.
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
            Additive white noise, ``dx = f dt + sigma dW``; ``seed`` makes it reproducible.
        params, initial_state : dict {path: value}, optional
            Parameter values / initial values for this run only.
        delay_mode : {'cubic', 'linear', 'step'}
            How delayed edges read history (see :mod:`neurodyn.compiler.runtime_numba`).
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
        T = _positive("simulation_time", simulation_time)
        dt = _positive("step_size", step_size)
        ds = dt if sampling_step_size is None else _positive("sampling_step_size", sampling_step_size)
        n_steps = int(round(T / dt))
        if n_steps < 1:
            raise InputError(f"simulation_time {T} is shorter than one step ({dt})")
        rec_every = _steps(ds, dt, "sampling_step_size", "step_size")
        if cutoff and not 0.0 <= float(cutoff) < T:
            raise InputError(f"cutoff must be in [0, simulation_time = {T:g}), got {cutoff!r}")
        n_samples = max(1, int(round(T / ds)))
        scheme = resolve_solver(method if (method and str(solver).lower() == "scipy") else solver,
                                noise=bool(noise))
        inputs = dict(inputs or {})
        if tuple(sorted(inputs)) != tuple(sorted(self.driven)):
            raise InputError(f"this model was compiled for inputs {sorted(self.driven)}, got {sorted(inputs)}; "
                             f"compile_model(..., driven={sorted(inputs)})")
        ext, targets = self._ext(inputs, n_steps)
        if self.ir.has_delays:
            dmin = min(float(np.min(p.delays)) for p in self.ir.projections if p.delayed)
            if dmin < dt * (1 - 1e-9) and delay_mode != "step":
                raise InputError(f"an edge delay ({dmin:g}) is shorter than the step ({dt:g}); use a step of at "
                                 f"most {dmin:g} or delay_mode='step'")
        hist_len = max([np.asarray(v).shape[0] for v in dict(history or {}).values()] or [1])
        data = build_data(self.ir, dt, 0.0, ext, targets, dt, delay_mode, history_len=hist_len,
                          input_mode=input_interpolation)
        self._set_params(data, params)
        self._set_params(data, initial_state)
        if noise and seed is None:
            seed = int(np.random.SeedSequence().entropy % (2 ** 63))  # drawn, and recorded in the provenance
        labels, kinds, pos, cplx = self.output_columns(outputs, data)
        out = np.zeros((n_samples if store else 0, len(labels)), dtype=data.dtype)
        if isinstance(scheme, Tableau):
            g_pos, g_sig = self._noise(noise, data)
            clip = self._bounds(bounds, data)
            self._run_fixed(data, scheme, dt, n_steps, rec_every, kinds, pos, out, g_pos, g_sig, seed, progress,
                            clip, on_chunk, n_samples, history)
        else:
            if on_chunk is not None or not store or bounds:
                raise SolverError("on_chunk, store=False and bounds need a fixed-step solver")
            if self.ir.has_delays:
                raise SolverError("adaptive solvers cannot integrate delayed edges; use a fixed-step solver "
                                  "('heun' or 'rk4') with a small step")
            self._run_adaptive(data, scheme, ds, n_samples, kinds, pos, out, rtol, atol, T)
        if self.backend == "numba":
            self.kernel.maybe_build_aot()     # NEURODYN_AOT=1: freeze the kernel for later processes
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
        return RunArrays(times, out, list(labels), list(cplx), prov)

    def run(self, simulation_time: float, step_size: float, outputs=None, **run) -> pd.DataFrame:
        res = self.run_array(simulation_time, step_size, outputs, **run)
        cols = {}
        for c, lab in enumerate(res.labels):
            cols[lab] = res.values[:, c] if res.is_complex[c] else res.values[:, c].real
        df = pd.DataFrame(cols, index=pd.Index(res.times, name="time"))
        if res.labels and isinstance(res.labels[0], tuple):
            df.columns = pd.MultiIndex.from_tuples(res.labels)
        df.attrs["provenance"] = res.provenance
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

    def _state_name(self, data: KernelData, q: int) -> str:
        """'node/op/var' of position ``q`` of the state vector."""
        for k, (g, sym, st) in enumerate(data.layout.slots):
            o, n = data.off[k], self.ir.groups[g].n
            if st == "y" and o <= q < o + n:
                return f"{self.ir.groups[g].nodes[q - o]}/{self.ir.groups[g].var(sym).path}"
        return f"state[{q}]"

    def _fail(self, data: KernelData, y: np.ndarray, bad: int, step: int, dt: float, solver: str):
        for k, (g, sym, st) in enumerate(data.layout.slots):
            if st != "y":
                continue
            o, n = data.off[k], self.ir.groups[g].n
            if o <= bad < o + n:
                node = self.ir.groups[g].nodes[bad - o]
                var = self.ir.groups[g].var(sym).path
                raise SimulationError(
                    f"state {node}/{var} became non-finite ({y[bad]}) at t = {(step + 1) * dt:g} (step {step + 1}, "
                    f"solver {solver!r}, step_size {dt:g}). Try a smaller step_size, an adaptive solver "
                    f"(solver='scipy'), or check the parameters and inputs.")
        raise SimulationError(f"the state became non-finite at step {step + 1}")

    def _bounds(self, bounds, data):
        pos, lo, hi = [], [], []
        for path, (low, high) in dict(bounds or {}).items():
            for gi, i, v, node in self.ir.find(path):
                if v.kind != "state" or v.dtype == "complex":
                    raise InputError(f"bounds apply to real state variables; {path!r} is a {v.dtype} {v.kind}")
                low = -np.inf if low is None else float(low)
                high = np.inf if high is None else float(high)
                if not low < high:
                    raise InputError(f"bounds for {path!r}: low ({low}) must be below high ({high})")
                pos.append(data.position(gi, v.sym, i)[1])
                lo.append(low)
                hi.append(high)
        return np.array(pos, dtype=np.int64), np.array(lo, dtype=float), np.array(hi, dtype=float)

    def _run_fixed(self, data, tab: Tableau, dt, n_steps, rec_every, kinds, pos, out, g_pos, g_sig, seed,
                   progress, clip, on_chunk, n_samples, history=None):
        k = self.kernel
        y = data.y0.copy()
        a = np.zeros(max(data.n_a, 1), dtype=data.dtype)
        M = data.M
        if self.ir.has_delays:
            # history before t0 is the initial value of each delayed source; derived sources are evaluated
            # twice so that ones depending on delayed inputs see a consistent history
            from neurodyn.compiler.runtime_numpy import push_history
            dy = np.zeros_like(y)
            for _ in range(2):
                k.rhs(0.0, 0.0, y, dy, a, data.p, M)
                push_history(y, a, 0, M[12], M[0], M[1], M[10], M[11])
            if history:
                self._fill_history(data, history)
        elif history:
            raise InputError("history was given but the model has no delayed edges")
        rng = np.random.default_rng(seed)
        nn = g_pos.size
        # the kernel allocates nothing (it is compiled without Numba's runtime): stage derivatives and scratch
        work = (np.zeros((tab.b.size, y.size), dtype=y.dtype), np.empty_like(y), np.empty_like(y))
        step = 0
        # chunk lengths depend on the problem only (never on wall time), so that observables reduced chunk by
        # chunk (on_chunk) are bit-identical between identical runs; ~CHUNK_WORK state and coupling updates each
        chunk = min(n_steps, max(1, CHUNK_WORK // max(1, y.size + len(M[5]))))
        bar = None
        while step < n_steps:
            nst = min(chunk, n_steps - step)
            xi = (rng.standard_normal((nst, nn)) * math.sqrt(dt)) if nn else np.zeros((nst, 0))
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
                self._fail(data, y, int(bad), int(at), dt, tab.name)
            step += nst
            if on_chunk is not None and buf.shape[0]:
                on_chunk(np.arange(row0, row1) * rec_every * dt, buf)
            if bar is not None:
                bar.update(nst)
            elif step < n_steps and (progress or (progress is None and elapsed / nst * (n_steps - step) > 2.0)):
                from tqdm.auto import tqdm
                bar = tqdm(total=n_steps, initial=step, unit="step", desc=f"neurodyn {self.ir.name}")
        if bar is not None:
            bar.close()

    def _fill_history(self, data: KernelData, history: Mapping) -> None:
        """Write user-given values of delayed sources at steps -(H-1) .. 0 into the history ring."""
        buf, bstate, hs = data.M[10], data.M[11], data.M[12]
        L = int(bstate[1])
        oldest = 0
        for path, arr in history.items():
            hits = self.ir.find(path)
            a = np.asarray(arr)
            if a.ndim == 1:
                a = np.repeat(a[:, None], len(hits), axis=1)
            if a.ndim != 2 or a.shape[1] != len(hits) or a.shape[0] < 1:
                raise InputError(f"history for {path!r} must have shape (H,) or (H, {len(hits)}), got {np.shape(arr)}")
            if not np.all(np.isfinite(a)):
                raise InputError(f"history for {path!r} contains non-finite values")
            H = a.shape[0]
            for c, (gi, i, v, node) in enumerate(hits):
                slot = data.layout.slot_of[(gi, v.sym)]
                rows = [r for r in hs if r[1] == gi and r[2] == slot]
                if not rows:
                    raise InputError(f"history given for {path!r}, which is not the source of a delayed edge")
                col = int(rows[0][3]) + i
                for k in range(H):
                    buf[col, (k - H + 1) % L] = a[k, c]
            oldest = min(oldest, -(H - 1))
        bstate[2] = oldest
        bstate[BLOCK_START:] = -1  # blocks of delayed sums computed from the old history are stale

    def _run_adaptive(self, data, method, ds, n_samples, kinds, pos, out, rtol, atol, T):
        from scipy.integrate import solve_ivp
        k, M, p = self.kernel, data.M, data.p
        a = np.zeros(max(data.n_a, 1), dtype=data.dtype)
        cplx = data.dtype == np.complex128
        ny = data.y0.size

        def f(t, yr):
            y = yr.view(np.complex128) if cplx else yr
            dy = np.empty(ny, dtype=data.dtype)
            k.rhs(t, t, y, dy, a, p, M)
            if not np.isfinite(dy).all():
                # stop here: some methods (LSODA) otherwise retry with ever smaller steps and never return
                raise _NonFinite(t, int(np.flatnonzero(~np.isfinite(dy))[0]), y.copy())
            return dy.view(np.float64) if cplx else dy

        y0 = data.y0.view(np.float64).copy() if cplx else data.y0.copy()
        t_eval = np.arange(n_samples) * ds
        try:
            sol = solve_ivp(f, (0.0, max(T, t_eval[-1])), y0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
        except _NonFinite as exc:
            raise SimulationError(
                f"the derivative of state {self._state_name(data, exc.index)} became non-finite at t = {exc.t:g} "
                f"(adaptive solver {method!r}; that state was {exc.y[exc.index]:.3g}): the solution diverges. "
                f"Check the parameters and initial values, or try a stiff method (method='BDF' or 'Radau')."
            ) from None
        except (ValueError, FloatingPointError, ZeroDivisionError) as exc:
            raise SimulationError(f"adaptive solver {method!r} failed: {exc}. A state probably became non-finite; "
                                  f"check parameters and initial values, or try another method.") from None
        t_reached = np.asarray(sol.t)
        if not sol.success or np.asarray(sol.y).shape[1] != n_samples:
            last = np.asarray(sol.y)[:, -1] if np.asarray(sol.y).size else y0
            last = last.view(np.complex128) if cplx else last
            where = ""
            if last.size:
                q = int(np.argmax(np.abs(np.nan_to_num(last, nan=np.inf))))
                where = f" The largest state is {self._state_name(data, q)} = {last[q]:.3g}."
            t_end = float(t_reached[-1]) if t_reached.size else 0.0
            raise SimulationError(f"adaptive solver {method!r} stopped at t = {t_end:g}: {sol.message}.{where} "
                                  f"Try a stiff method (method='BDF' or 'Radau'), looser rtol/atol, or check the "
                                  f"parameters and initial values.")
        Y = sol.y.T
        for r in range(n_samples):
            y = np.ascontiguousarray(Y[r]).view(np.complex128) if cplx else np.ascontiguousarray(Y[r])
            if not np.all(np.isfinite(y)):
                bad = int(np.flatnonzero(~np.isfinite(y))[0])
                raise SimulationError(f"state {self._state_name(data, bad)} became non-finite ({y[bad]}) by "
                                      f"t = {t_eval[r]:g} (adaptive solver {method!r}). Check the parameters and "
                                      f"initial values, or use tighter rtol/atol.")
            if np.any(kinds == 1):
                k.rhs(t_eval[r], t_eval[r], y, np.empty(ny, dtype=data.dtype), a, p, M)
            for c in range(len(pos)):
                out[r, c] = (y, a, p)[kinds[c]][pos[c]]


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


class _NonFinite(Exception):
    """Raised inside an adaptive solver's right-hand side when a derivative is not finite."""

    def __init__(self, t: float, index: int, y: np.ndarray):
        super().__init__(t, index)
        self.t, self.index, self.y = t, index, y


def compile_model(circuit, driven=(), backend: str = "numba", step_size: float | None = None) -> Model:
    """Parse, flatten and compile ``circuit`` (template, name or path); ``driven`` lists input paths that will
    receive time series. The IR is cached on disk by the circuit's definition and the kernel by structure
    (:mod:`neurodyn.compiler.ir_cache`, :mod:`neurodyn.compiler.cache`): a second process neither reparses
    nor recompiles."""
    circ = resolve_circuit(circuit)
    b = _backend(backend)
    ir = cached_build_ir(circ, driven=tuple(sorted(driven)), step_size=step_size)
    return Model(ir, load_kernel(ir, b), b, circ, tuple(sorted(driven)))


def integrate(circuit, simulation_time: float, step_size: float, outputs=None, inputs: Mapping | None = None,
              solver: str = "euler", backend: str = "numba", clear: bool = True, **kwargs) -> pd.DataFrame:
    """Compile and integrate a circuit in one call (PyRates's ``integrate``); see :meth:`Model.run`.

    ``circuit`` is a CircuitTemplate, a dotted template name (``model_templates.neural_mass_models.qif.qif``),
    a short library name (``qif``) or a path. ``clear`` is accepted for PyRates compatibility (nothing is ever
    left behind to clear). The template is never modified.
    """
    model = compile_model(circuit, driven=tuple((inputs or {}).keys()), backend=backend, step_size=step_size)
    return model.run(simulation_time, step_size, outputs=outputs, inputs=inputs, solver=solver, **kwargs)
