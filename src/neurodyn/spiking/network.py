"""A spiking network: populations of QIF or theta neurons, coupled all-to-all or sparsely, run by the kernels.

Examples
--------
>>> import numpy as np
>>> from neurodyn.spiking import Population, SpikingNetwork
>>> net = SpikingNetwork([Population("p", 1000, eta=-5.0, delta=1.0, r0=0.0, v0=-2.0)], coupling={("p", "p"): 15.0})
>>> ds = net.run(2.0, 1e-3, sampling_step_size=0.1)
>>> ds["rate"].dims, ds.sizes["time"]
(('time', 'population'), 20)
"""
from __future__ import annotations

import datetime as _dt
import math
import time as _time
from typing import Mapping, Sequence

import numpy as np
from neurodyn._xr import xr

from neurodyn._version import __version__
from neurodyn.errors import InputError, MemoryBudgetError
from neurodyn.observables.memory import format_bytes
from neurodyn.spiking import kernels as K
from neurodyn.spiking.connectivity import AllToAll, csr_by_source
from neurodyn.spiking.neurons import Population, refractory_steps
from neurodyn.spiking.outputs import (SpikeSink, binned_rate, check_spike_memory, gaussian_rate, memory_budget)

__all__ = ["SpikingNetwork", "METHODS"]

METHODS = {"euler": K.EULER, "exact": K.EXACT}
#: neuron updates per kernel call (~0.1 s of work): spikes are flushed and memory checked between calls
CHUNK_WORK = 200_000_000


def _whole_steps(total: float, step: float, what: str) -> int:
    n = int(round(total / step))
    if n < 1 or abs(n * step - total) > 1e-6 * max(abs(total), step):
        raise InputError(f"{what} ({total:g}) must be a whole multiple of the step ({step:g}); e.g. "
                         f"{max(n, 1) * step:g}")
    return n


class SpikingNetwork:
    """Populations of spiking neurons and their coupling.

    Parameters
    ----------
    populations : list of Population
    coupling : dict {(target, source): J}, optional
        Coupling strength from population ``source`` into ``target`` (negative: inhibitory). A delta synapse
        moves V of every target by ``J g / N_source`` per spike (all-to-all); a first-order synapse adds
        ``tau_target J s_source`` to the target's drive.
    connectivity : AllToAll, FixedInDegree or ErdosRenyi
        The same rule for every coupled pair (weights J/N, J/K or J/(p N)).
    seed : int, optional
        Seeds the random placements, connections and noise (independent streams); drawn and recorded when a
        run needs randomness and none is given.
    name : str, optional
    """

    def __init__(self, populations: Sequence[Population], coupling: Mapping | None = None,
                 connectivity=None, seed: int | None = None, name: str | None = None):
        self.populations = tuple(populations)
        if not self.populations or not all(isinstance(p, Population) for p in self.populations):
            raise InputError("SpikingNetwork needs a list of Population objects")
        names = [p.name for p in self.populations]
        if len(set(names)) != len(names):
            raise InputError(f"population names repeat: {names}")
        self.names = names
        P = len(names)
        self.J = np.zeros((P, P))
        for key, val in dict(coupling or {}).items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise InputError(f"coupling keys are (target, source) population names, got {key!r}")
            for nm in key:
                if nm not in names:
                    raise InputError(f"coupling {key!r}: unknown population {nm!r}; populations: {names}")
            v = float(val)
            if not np.isfinite(v):
                raise InputError(f"coupling {key!r} must be finite, got {val!r}")
            self.J[names.index(key[0]), names.index(key[1])] = v
        self.connectivity = AllToAll() if connectivity is None else connectivity
        if not hasattr(self.connectivity, "sparse"):
            raise InputError(f"connectivity must be AllToAll(), FixedInDegree(k) or ErdosRenyi(p), got "
                             f"{self.connectivity!r}")
        self.seed = seed
        self.name = name or "+".join(names)
        self.sizes = np.array([p.n for p in self.populations], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.n_total = int(self.sizes.sum())
        self._csr = None
        self._drawn_seed = None
        #: set by :func:`~neurodyn.spiking.spiking_counterpart`: the template this network stands for
        self.counterpart = None

    def __repr__(self) -> str:
        pops = ", ".join(f"{p.name} {p.n} {p.model}" for p in self.populations)
        return f"<SpikingNetwork {self.name!r}: {pops}; {self.connectivity!r}; seed {self.seed}>"

    # --------------------------------------------------------------------------------------------- random
    def _needs_random(self, noisy: bool) -> bool:
        return noisy or self.connectivity.sparse or any(p.placement == "random" for p in self.populations)

    def _streams(self, noisy: bool):
        seed = self.seed
        if seed is None and self._needs_random(noisy):
            if self._drawn_seed is None:
                self._drawn_seed = int(np.random.SeedSequence().entropy % (2 ** 63))
            seed = self._drawn_seed
        ss = np.random.SeedSequence(0 if seed is None else seed)
        placement, wiring, noise = ss.spawn(3)
        return seed, np.random.default_rng(placement), np.random.default_rng(wiring), int(
            noise.generate_state(1, np.uint64)[0] % (2 ** 32))

    def excitabilities(self) -> np.ndarray:
        """eta_j of every neuron (populations in order)."""
        _, rng, _, _ = self._streams(False)
        return np.concatenate([p.excitabilities(rng) for p in self.populations])

    def connections(self):
        """(indptr, targets, weights): the sparse connections as CSR by source (None when all-to-all)."""
        if not self.connectivity.sparse:
            return None
        if self._csr is None:
            _, _, rng, _ = self._streams(False)
            pres, posts, ws = [], [], []
            for a, pa in enumerate(self.populations):
                for b, pb in enumerate(self.populations):
                    if self.J[a, b] == 0.0:
                        continue
                    pre, post = self.connectivity.draw(pb.n, pa.n, rng, same_population=(a == b))
                    pres.append(pre + self.offsets[b])
                    posts.append(post + self.offsets[a])
                    ws.append(np.full(pre.size, self.J[a, b] * self.connectivity.scale(pb.n)))
            if pres:
                pre, post, w = np.concatenate(pres), np.concatenate(posts), np.concatenate(ws)
            else:
                pre = post = np.empty(0, dtype=np.int64)
                w = np.empty(0)
            self._csr = csr_by_source(pre, post, w, self.n_total)
        return self._csr

    # ------------------------------------------------------------------------------------------------ run
    def run(self, simulation_time: float, step_size: float, inputs: Mapping | None = None, method: str = "euler",
            sampling_step_size: float | None = None, rate="binned", rate_bin: float | None = None,
            spikes=True, spike_sink=None, memory_limit="auto", progress: bool = False) -> xr.Dataset:
        """Simulate; returns an xarray Dataset (see docs/spiking.md for every variable).

        Parameters
        ----------
        simulation_time, step_size : float
            Duration and step (model time units); ``round(T/dt)`` steps.
        inputs : dict {population or template input path: array or float}, optional
            External drive added to eta_j (the mean field's ``I_ext``): an array of ``round(T/dt)`` samples
            (sample k drives the step from t_k = k dt, as the mean-field templates' inputs) or a constant. For a
            network from :func:`~neurodyn.spiking.spiking_counterpart`, the template's paths
            (``'p/qif_op/I_ext'``) work too, and inputs not given keep the template's declared value.
        method : {'euler', 'exact'}
            'euler': forward Euler for V (or theta), as MPR 2015 and Brian2. 'exact': the exact solution of
            ``tau V' = V^2 + c`` over a step with the drive c held (no time-discretisation error for
            piecewise-constant drive; 3-5x slower).
        sampling_step_size : float, optional
            Output interval (a whole number of steps; default 100 steps).
        rate : 'binned' or ('gaussian', sigma)
            Population-rate estimator (see :mod:`neurodyn.spiking.outputs`); ``rate_bin`` sets the bin width
            (default: the sampling step).
        spikes : bool, int or array of neuron ids
            Which spikes to record: all (True), none (False), k neurons of each population spread evenly over
            its indices (int; over the range of eta when placed at quantiles), or the given global neuron ids.
        spike_sink : None, callable or path
            Hold spikes in memory (None), stream them to ``f(times, neurons)`` or to an HDF5 file (.h5).
        memory_limit : 'auto', float or None
            Bytes the held outputs may take (default half the available memory); a run that would exceed it
            stops with a MemoryBudgetError that says how large it would be.
        progress : bool
            Print progress after each chunk.
        """
        t_wall = _time.perf_counter()
        T = float(simulation_time)
        dt = float(step_size)
        if not (np.isfinite(T) and T > 0 and np.isfinite(dt) and dt > 0):
            raise InputError(f"simulation_time and step_size must be positive, got {simulation_time!r}, {step_size!r}")
        if method not in METHODS:
            raise InputError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
        n_steps = _whole_steps(T, dt, "simulation_time")
        every = 100 if sampling_step_size is None else _whole_steps(float(sampling_step_size), dt,
                                                                    "sampling_step_size")
        ds_ = every * dt
        n_samples = max(1, int(round(T / ds_)))
        P = len(self.populations)
        noisy = any(p.noise > 0 for p in self.populations)
        seed, rng_place, _, noise_seed = self._streams(noisy)
        # ---------------------------------------------------------------------------- per-population data
        ipar = np.zeros((P, 6), dtype=np.int64)
        fpar = np.zeros((P, 8))
        Mad = np.zeros((P, 3, 2))
        S = np.zeros(P)
        A = np.zeros((P, 2))
        steps_info = {}
        for p, pop in enumerate(self.populations):
            m1 = m2 = 0
            if pop.model == "qif":
                m1, m2 = refractory_steps(pop.tau, pop.v_peak, pop.v_reset, dt, f"population {pop.name!r}")
            steps_info[pop.name] = (m1, m2)
            ipar[p] = (self.offsets[p], pop.n, K.QIF if pop.model == "qif" else K.THETA, m1, m1 + m2,
                       self.offsets[p] + p)
            delta = pop.synapse_tau is None
            if delta:
                decay, gain = 0.0, pop.synapse_gain
            else:
                decay = math.exp(-dt / pop.synapse_tau) if method == "exact" else 1.0 - dt / pop.synapse_tau
                gain = pop.synapse_gain / pop.synapse_tau
            fpar[p] = (dt / pop.tau, pop.tau, pop.v_peak, pop.v_reset, pop.noise * math.sqrt(dt), decay, gain,
                       1.0 if delta else 0.0)
            S[p] = pop.s0
            if pop.adaptation is not None:
                alpha, tau_a = pop.adaptation
                gen = np.array([[0.0, 1.0 / tau_a], [-1.0 / tau_a, -2.0 / tau_a]])
                if method == "exact":
                    from scipy.linalg import expm
                    Mad[p, :2] = expm(dt * gen)
                else:
                    Mad[p, :2] = np.eye(2) + dt * gen
                Mad[p, 2, 0] = alpha
                A[p] = (pop.a0, pop.x0)
            else:
                Mad[p, :2] = np.eye(2)
        # ---------------------------------------------------------------------------------------- inputs
        ext = np.zeros((n_steps, P))
        cp = self.counterpart
        given = set()
        for key, val in dict(inputs or {}).items():
            pop = key if key in self.names else (cp.inputs.get(key) if cp is not None else None)
            if pop is None:
                valid = self.names + (list(cp.inputs) if cp is not None else [])
                raise InputError(f"inputs: {key!r} is neither a population nor an input path; valid: {valid}")
            q = self.names.index(pop)
            arr = np.asarray(val, dtype=float)
            if arr.ndim == 0:
                ext[:, q] = float(arr)
            elif arr.shape == (n_steps,):
                ext[:, q] = arr
            else:
                raise InputError(f"inputs[{key!r}] must be a number or {n_steps} samples (one per step of "
                                 f"{dt:g} over {T:g}), got shape {arr.shape}")
            if not np.all(np.isfinite(ext[:, q])):
                raise InputError(f"inputs[{key!r}] contains non-finite values")
            given.add(pop)
        if cp is not None:   # an input that is not driven keeps its declared value, as in the mean field
            for pop, val in cp.default_inputs.items():
                if pop not in given:
                    ext[:, self.names.index(pop)] = val
        # ------------------------------------------------------------------------------- spike recording
        rec_mask = np.zeros(self.n_total, dtype=np.uint8)
        if spikes is True:
            rec_mask[:] = 1
        elif spikes is False or spikes is None:
            pass
        elif isinstance(spikes, (int, np.integer)):
            if spikes < 0:
                raise InputError(f"spikes must be True, False, a number of neurons per population >= 0 or ids, "
                                 f"got {spikes}")
            for p in range(P):     # k neurons spread evenly over the population (over eta, at quantiles)
                k = min(int(spikes), int(self.sizes[p]))
                if k:
                    rec_mask[self.offsets[p] + np.unique(np.linspace(0, self.sizes[p] - 1, k).round().astype(int))] = 1
        else:
            ids = np.asarray(spikes)
            if (ids.dtype.kind not in "iu" or ids.ndim != 1
                    or (ids.size and (ids.min() < 0 or ids.max() >= self.n_total))):
                raise InputError(f"spikes: neuron ids must be integers in 0..{self.n_total - 1}")
            rec_mask[ids] = 1
        n_rec = int(rec_mask.sum())
        # ------------------------------------------------------------------------------------ memory check
        budget = memory_budget(memory_limit)
        fixed = (n_steps * P * 4 + n_samples * P * (8 * 4 + 16) + self.n_total * (8 * 2 + 16 + 1)
                 + (0 if not self.connectivity.sparse else self.n_total * 8 * (P + 1)))
        if budget is not None and fixed > budget:
            raise MemoryBudgetError(
                f"a run of {n_steps} steps with {self.n_total} neurons needs {format_bytes(fixed)} for its state, "
                f"per-step spike counts and samples, more than the budget {format_bytes(budget)}; use a shorter "
                f"run (or several), a larger sampling step or fewer neurons, or raise memory_limit")
        # ------------------------------------------------------------------------------------------- state
        eta = np.concatenate([p.excitabilities(rng_place) for p in self.populations])
        V = np.concatenate([p.initial_state(rng_place) for p in self.populations])
        emin = np.array([eta[o:o + n].min() for o, n in zip(self.offsets, self.sizes)])
        emax = np.array([eta[o:o + n].max() for o, n in zip(self.offsets, self.sizes)])
        tover = np.zeros(self.n_total)
        qid = np.zeros(self.n_total + P, dtype=np.int64)
        qstep = np.zeros(self.n_total + P, dtype=np.int64)
        qptr = np.zeros((P, 3), dtype=np.int64)
        nprev = np.zeros(P, dtype=np.int64)
        csr = self.connections()
        sparse = 0 if csr is None else 1
        if csr is None:
            indptr, idx, w = np.zeros(1, np.int64), np.zeros(1, np.int32), np.zeros(1)
            Kbuf, Sn = np.zeros(1), np.zeros((P, 1))
        else:
            indptr, idx, w = csr
            Kbuf = np.zeros(self.n_total)
            Sn = np.zeros((P, self.n_total))
            for a in range(P):          # filtered inputs start at the all-to-all value J s0
                lo, hi = self.offsets[a], self.offsets[a] + self.sizes[a]
                for b, pb in enumerate(self.populations):
                    if pb.synapse_tau is not None:
                        Sn[b, lo:hi] = self.J[a, b] * pb.s0
        counts = np.zeros((n_steps, P), dtype=np.int32)
        mv = np.full((n_samples, P), np.nan)
        zz = np.zeros((n_samples, P), dtype=np.complex128)
        ss = np.zeros((n_samples, P))
        aa = np.zeros((n_samples, P))
        cap = max(4 * n_rec, 1 << 16) if n_rec else 1
        spk_step = np.zeros(cap, dtype=np.int64)
        spk_id = np.zeros(cap, dtype=np.int32)
        spk_ctr = np.array([0, n_rec], dtype=np.int64)
        emitted = np.zeros(self.n_total, dtype=np.int64)
        blk = (np.zeros((K.TBLOCK, P)), np.zeros((K.TBLOCK + 1, P)), np.zeros((K.TBLOCK, 4)),
               *(np.zeros(self.n_total, dtype=np.int64) for _ in range(4)),
               np.zeros(self.n_total // K.BLOCK + 2, dtype=np.int64))
        for p in range(P):
            K.sample_state(0, p, ipar, fpar, 0.0, V, Kbuf, sparse, mv, zz)
        ss[0], aa[0] = S, A[:, 0]
        if noisy:
            K.seed_noise(noise_seed)
        sink = SpikeSink(spike_sink)
        prov = self._provenance(seed, method, dt, T, ds_, rate, steps_info, n_rec, sink)
        sink.open(prov)
        chunk = max(1, CHUNK_WORK // max(self.n_total, 1))
        s = 0
        kernel_time = 0.0
        args = (METHODS[method], ipar, fpar, self.J, V, eta, emin, emax, tover, qid, qstep, qptr, S, A, Mad, nprev,
                sparse, Kbuf, Sn, indptr, idx, w, ext, counts, every, mv, zz, ss, aa, rec_mask, spk_step, spk_id,
                spk_ctr, emitted, *blk)
        K.run_steps(0, 0, *args)      # no step: loads (or compiles) the kernel, so the time below is the loop's
        try:
            while s < n_steps:
                s_end = min(n_steps, s + chunk)
                t_k = _time.perf_counter()
                s = K.run_steps(s, s_end, *args)
                kernel_time += _time.perf_counter() - t_k
                m = int(spk_ctr[0])
                if m:
                    sink.write((spk_step[:m] + 1) * dt, spk_id[:m].copy())
                    spk_ctr[0] = 0
                check_spike_memory(sink, budget, s, n_steps, dt)
                if progress:
                    print(f"{self.name}: t = {s * dt:g} of {T:g} ({s / n_steps:.0%}), "
                          f"{_time.perf_counter() - t_wall:.1f} s", flush=True)
        finally:
            sink.close()
        prov["wall_time_s"] = round(_time.perf_counter() - t_wall, 4)
        prov["kernel_time_s"] = round(kernel_time, 4)
        #: the state at the end of the last run: V (QIF, NaN while refractory) or theta, per neuron
        self.final_state = {"V": V, "S": S, "A": A}
        return self._dataset(counts, mv, zz, ss, aa, eta, sink, dt, every, n_samples, rate, rate_bin, prov)

    # ------------------------------------------------------------------------------------------- results
    def _provenance(self, seed, method, dt, T, ds_, rate, steps_info, n_rec, sink) -> dict:
        prov = dict(neurodyn_version=__version__, kind="spiking network", network=self.name,
                    created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    populations=repr(list(self.populations)), coupling=repr(self.J.tolist()),
                    connectivity=repr(self.connectivity), seed="none" if seed is None else int(seed),
                    method=method, step_size=dt, simulation_time=T, sampling_step_size=ds_, rate=str(rate),
                    spikes_recorded_neurons=n_rec, spike_sink=sink.kind)
        for name, (m1, m2) in steps_info.items():
            prov[f"refractory_steps_{name}"] = f"{m1} to the spike + {m2} to the reset"
        if sink.kind == "file":
            prov["spike_file"] = str(sink.path)
        return prov

    def _dataset(self, counts, mv, zz, ss, aa, eta, sink, dt, every, n_samples, rate, rate_bin, prov):
        n = self.sizes
        if isinstance(rate, str) and rate == "binned":
            width = every if rate_bin is None else _whole_steps(float(rate_bin), dt, "rate_bin")
            r = binned_rate(counts, n, dt, every, n_samples, width)
        elif isinstance(rate, (tuple, list)) and len(rate) == 2 and rate[0] == "gaussian" and float(rate[1]) > 0:
            r = gaussian_rate(counts, n, dt, every, n_samples, float(rate[1]))
        else:
            raise InputError(f"rate must be 'binned' or ('gaussian', sigma > 0), got {rate!r}")
        coords = {"time": np.arange(n_samples) * every * dt, "population": list(self.names),
                  "step_time": np.arange(1, counts.shape[0] + 1) * dt}
        data = {"rate": (("time", "population"), r), "v": (("time", "population"), mv),
                "z": (("time", "population"), zz),
                "spike_count": (("step_time", "population"), counts)}
        if any(p.synapse_tau is not None for p in self.populations):
            s = ss.copy()
            for p, pop in enumerate(self.populations):
                if pop.synapse_tau is None:
                    s[:, p] = np.nan
            data["s"] = (("time", "population"), s)
        if any(p.adaptation is not None for p in self.populations):
            data["a"] = (("time", "population"), aa)
        data["eta"] = (("neuron",), eta)
        data["neuron_population"] = (("neuron",), np.repeat(np.arange(len(n), dtype=np.int16), n))
        if sink.kind == "memory":
            t, i = sink.arrays()
            data["spike_time"] = (("spike",), t)
            data["spike_neuron"] = (("spike",), i)
        ds = xr.Dataset(data, coords=coords)
        ds["rate"].attrs.update(units="spikes per neuron per time unit", estimator=str(rate))
        ds["v"].attrs["description"] = "mean membrane potential of the non-refractory neurons (QIF; NaN for theta)"
        ds["z"].attrs["description"] = "Kuramoto order parameter mean(exp(i theta)), theta = 2 atan V for QIF"
        ds["spike_count"].attrs["description"] = "spikes per step (emitted in the step ending at step_time)"
        prov["spikes_total"] = int(counts.sum())
        ds.attrs.update({k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in prov.items()})
        return ds
