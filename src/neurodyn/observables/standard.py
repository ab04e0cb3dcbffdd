"""Streaming observables of the protocol (:mod:`neurodyn.observables.protocol`): temporal means, functional
connectivity and its similarity to a reference, Welch spectra with the dominant frequency, synchrony across
channels, and (when asked) the sampled trajectory itself.

Each reduces chunks as they come (the raw trajectory is never kept, except by :class:`Trajectory`) and equals the
batch computation on the stored samples to round-off (tests compare against NumPy and SciPy).

Examples
--------
>>> import numpy as np
>>> from neurodyn.observables import ObservableSet, RunContext
>>> t = np.arange(4000) * 0.25                                    # ms
>>> x = np.column_stack([np.sin(2 * np.pi * 0.04 * t), np.sin(2 * np.pi * 0.04 * t + 0.1)])
>>> ctx = RunContext(sample_period=0.25, n_samples=4000, channels={"op/x": 2}, time_unit="ms")
>>> obs = ObservableSet([Spectrum("op/x", nperseg=1000), Synchrony("op/x")], ctx, {"op/x": slice(0, 2)})
>>> obs.update(t, x)
>>> res = obs.finish()
>>> np.round(res["dominant_frequency"].values, 1).tolist(), round(float(res["synchrony"]), 3)
([40.0, 40.0], 0.999)
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
from neurodyn._xr import xr

from neurodyn.errors import InputError
from neurodyn.observables._arrays import seconds_per_unit
from neurodyn.observables.fc import fc_similarity
from neurodyn.observables.protocol import Observable, ResultSpec, RunContext
from neurodyn.observables.spectra import peak_frequency
from neurodyn.observables.streaming import RunningCovariance, RunningMoments, RunningWelch

__all__ = ["Means", "FC", "FCSimilarity", "Spectrum", "Synchrony", "Trajectory"]

CONSTANT_MODES = ("raise", "nan")


def _one_variable(variable, what: str) -> tuple:
    if not isinstance(variable, str) or not variable:
        raise InputError(f"{what} reads one recorded variable ('op/var'), got {variable!r}")
    return (variable,)


def _dims(ctx: RunContext) -> tuple:
    return ctx.channel_dim, f"{ctx.channel_dim}_2"


class Means(Observable):
    """Temporal mean of each channel of each variable read (default: every recorded variable): results
    ``mean_<name>`` (channel). A running sum (NumPy's sum per chunk) divided by the count.
    """

    def __init__(self, variables=None):
        self.name = "mean"
        self.variables = tuple([variables] if isinstance(variables, str) else (variables or ()))

    def start(self, ctx):
        self._vars = self.resolved_variables(ctx)
        self._total = {v: np.zeros(ctx.channels[v]) for v in self._vars}
        self._count = 0

    def update(self, times, values):
        for v in self._vars:
            self._total[v] += values[v].sum(axis=0)
        self._count += len(times)

    def finish(self):
        if not self._count:
            raise InputError("Means: the run gave no sample after the discarded transient")
        dim = self.context.channel_dim
        return {f"mean_{self.context.name_of(v)}": xr.DataArray(self._total[v] / self._count, dims=(dim,))
                for v in self._vars}

    def describe(self, ctx):
        return {f"mean_{ctx.name_of(v)}": ResultSpec((ctx.channel_dim,), (ctx.channels[v],))
                for v in self.resolved_variables(ctx)}


class FC(Observable):
    """Functional connectivity: Pearson correlation between the channels of ``variable`` over the run
    (:class:`~neurodyn.observables.RunningCovariance`), result ``name`` (channel, channel_2).

    ``constant``: 'raise' (default) when a channel is constant (its correlation is undefined), or 'nan'.
    """

    def __init__(self, variable: str, name: str = "fc", constant: str = "raise"):
        self.variables = _one_variable(variable, "FC")
        self.name = str(name)
        if constant not in CONSTANT_MODES:
            raise InputError(f"FC: constant must be one of {CONSTANT_MODES}, got {constant!r}")
        self.constant = constant

    def check(self, ctx):
        super().check(ctx)
        if ctx.n_kept < 2:
            raise InputError(f"{self!r}: the run keeps {ctx.n_kept} sample(s) after discard = {ctx.discard:g}; "
                             f"a correlation needs at least 2: simulate longer or discard less")

    def start(self, ctx):
        self._cov = RunningCovariance(ctx.channels[self.variables[0]])

    def update(self, times, values):
        self._cov.update(values[self.variables[0]])

    def matrix(self) -> np.ndarray:
        return self._cov.correlation(self.constant)

    def finish(self):
        return {self.name: xr.DataArray(self.matrix(), dims=_dims(self.context))}

    def describe(self, ctx):
        n = ctx.channels[self.variables[0]]
        return {self.name: ResultSpec(_dims(ctx), (n, n))}


class FCSimilarity(FC):
    """Similarity of the run's FC of ``variable`` to a ``reference`` matrix (an empirical FC, or the structural
    connectivity): the Pearson correlation of their upper triangles (:func:`~neurodyn.observables.fc_similarity`),
    a scalar result ``name``.
    """

    def __init__(self, variable: str, reference, name: str = "fc_similarity", constant: str = "raise"):
        super().__init__(variable, name=name, constant=constant)
        ref = np.asarray(reference, dtype=float)
        if ref.ndim != 2 or ref.shape[0] != ref.shape[1] or ref.shape[0] < 3:
            raise InputError(f"FCSimilarity: reference must be a square matrix of at least 3 x 3, got shape "
                             f"{ref.shape}")
        self.reference = ref

    def check(self, ctx):
        super().check(ctx)
        n = ctx.channels[self.variables[0]]
        if self.reference.shape != (n, n):
            raise InputError(f"{self!r}: reference is {self.reference.shape[0]} x {self.reference.shape[1]} but "
                             f"{self.variables[0]!r} has {n} channels")

    def finish(self):
        m = self.matrix()
        value = np.nan if np.isnan(m).any() else fc_similarity(m, self.reference)
        return {self.name: xr.DataArray(value)}

    def describe(self, ctx):
        return {self.name: ResultSpec((), ())}


class Spectrum(Observable):
    """Welch power spectral density per channel of ``variable`` (:class:`~neurodyn.observables.RunningWelch`,
    equal to ``scipy.signal.welch`` of the samples) and the dominant frequency per channel
    (:func:`~neurodyn.observables.spectra.peak_frequency` within ``band``).

    Results: ``psd`` (frequency in Hz, channel) and ``dominant_frequency`` (channel) for the default name;
    ``<name>`` (``<name>_frequency``, channel) and ``<name>_dominant_frequency`` otherwise.

    Parameters
    ----------
    nperseg : int, optional
        Samples per segment (default: 1 s of samples, at most 4096).
    band : (low, high), optional
        Frequency range (Hz) searched for the dominant frequency.
    time_unit : {'ms', 's', 'us'} or float, optional
        The model's time unit (default: the run's, else 'ms').
    """

    def __init__(self, variable: str, nperseg: int | None = None, band=None, time_unit=None, name: str = "psd"):
        self.variables = _one_variable(variable, "Spectrum")
        self.nperseg = None if nperseg is None else int(nperseg)
        if nperseg is not None and (int(nperseg) != nperseg or nperseg < 2):
            raise InputError(f"Spectrum: nperseg must be an integer >= 2, got {nperseg!r}")
        self.band = None if band is None else tuple(float(b) for b in band)
        self.time_unit = time_unit
        self.name = str(name)

    def _names(self) -> tuple[str, str, str]:
        if self.name == "psd":
            return "psd", "dominant_frequency", "frequency"
        return self.name, f"{self.name}_dominant_frequency", f"{self.name}_frequency"

    def _setup(self, ctx) -> tuple[float, int]:
        unit = self.time_unit if self.time_unit is not None else (ctx.time_unit or "ms")
        fs = 1.0 / (ctx.sample_period * seconds_per_unit(unit, f"{type(self).__name__}(time_unit)"))
        nperseg = self.nperseg if self.nperseg is not None else min(4096, max(2, int(round(fs))))
        return fs, nperseg

    def check(self, ctx):
        super().check(ctx)
        fs, nperseg = self._setup(ctx)
        if ctx.n_kept < nperseg:
            raise InputError(f"{self!r}: fewer samples than one segment: the run keeps {ctx.n_kept} samples "
                             f"(after discard) and a segment has nperseg = {nperseg}; run longer or choose a "
                             f"smaller nperseg")

    def start(self, ctx):
        fs, nperseg = self._setup(ctx)
        self._welch = RunningWelch(ctx.channels[self.variables[0]], nperseg, fs)

    def update(self, times, values):
        self._welch.update(values[self.variables[0]])

    def finish(self):
        p = self._welch.psd()
        psd, dom, fdim = self._names()
        f = xr.DataArray(self._welch.frequencies, dims=(fdim,), attrs={"units": "Hz"})
        dim = self.context.channel_dim
        out = {psd: xr.DataArray(p, dims=(fdim, dim), coords={fdim: f}),
               dom: xr.DataArray(peak_frequency(self._welch.frequencies, p, self.band), dims=(dim,),
                                 attrs={"units": "Hz"})}
        return out

    def describe(self, ctx):
        fs, nperseg = self._setup(ctx)
        freqs = np.fft.rfftfreq(nperseg, 1.0 / fs)
        psd, dom, fdim = self._names()
        n = ctx.channels[self.variables[0]]
        return {psd: ResultSpec((fdim, ctx.channel_dim), (freqs.size, n), coords={fdim: (freqs, {"units": "Hz"})}),
                dom: ResultSpec((ctx.channel_dim,), (n,), attrs={"units": "Hz"})}


SYNCHRONY_KINDS = ("chi", "kuramoto", "spread")


class Synchrony(Observable):
    """Synchrony of ``variable`` across channels, a scalar result ``name``.

    kind
        'chi' (default): Golomb's synchrony measure ``chi = sqrt(var_t(mean_j x_j) / mean_j var_t(x_j))``,
        1 for identical channels, ~1/sqrt(N) for independent ones;
        'kuramoto': ``variable`` is a phase; the time average of the Kuramoto order parameter
        ``R(t) = |mean_j exp(i x_j(t))|``, plus ``<name>_metastability`` (its standard deviation over time);
        'spread': the time average of the standard deviation across channels, ``mean_t std_j x_j(t)``.
    """

    def __init__(self, variable: str, kind: str = "chi", name: str = "synchrony"):
        self.variables = _one_variable(variable, "Synchrony")
        if kind not in SYNCHRONY_KINDS:
            raise InputError(f"Synchrony: kind must be one of {SYNCHRONY_KINDS}, got {kind!r}")
        self.kind = kind
        self.name = str(name)

    def check(self, ctx):
        super().check(ctx)
        if ctx.n_kept < 2:
            raise InputError(f"{self!r}: the run keeps {ctx.n_kept} sample(s) after discard; need at least 2")

    def start(self, ctx):
        n = ctx.channels[self.variables[0]]
        self._global = RunningMoments(1)
        self._local = RunningMoments(n) if self.kind == "chi" else None

    def update(self, times, values):
        x = values[self.variables[0]]
        if self.kind == "chi":
            self._global.update(x.mean(axis=1)[:, None])
            self._local.update(x)
        elif self.kind == "kuramoto":
            self._global.update(np.abs(np.exp(1j * x).mean(axis=1))[:, None])
        else:
            self._global.update(x.std(axis=1)[:, None])

    def finish(self):
        out = {}
        if self.kind == "chi":
            local = float(self._local.variance().mean())
            if local <= 0.0:
                raise InputError(f"{self!r}: every channel is constant over the run, so synchrony is undefined "
                                 f"(the run may sit on a fixed point; add noise or use kind='spread')")
            out[self.name] = xr.DataArray(float(np.sqrt(self._global.variance()[0] / local)))
        else:
            out[self.name] = xr.DataArray(float(self._global.mean[0]))
            if self.kind == "kuramoto":
                out[f"{self.name}_metastability"] = xr.DataArray(float(self._global.std()[0]))
        return out

    def describe(self, ctx):
        names = [self.name] + ([f"{self.name}_metastability"] if self.kind == "kuramoto" else [])
        return {n: ResultSpec((), ()) for n in names}


class Trajectory(Observable):
    """The samples of ``variable`` themselves (every ``every``-th sample, the transient included), for when the
    raw trajectory is wanted (sweeps keep nothing else): result ``name`` (``<name>_time``, channel).
    """

    uses_transient = True

    def __init__(self, variable: str, every: int = 1, name: str | None = None):
        self.variables = _one_variable(variable, "Trajectory")
        if int(every) != every or every < 1:
            raise InputError(f"Trajectory: every must be a positive integer, got {every!r}")
        self.every = int(every)
        self.name = name

    def _name(self, ctx) -> str:
        return self.name or ctx.name_of(self.variables[0])

    def start(self, ctx):
        n_rows = -(-ctx.n_samples // self.every)
        self._out = np.empty((n_rows, ctx.channels[self.variables[0]]))
        self._row = 0
        self._seen = 0

    def update(self, times, values):
        x = values[self.variables[0]]
        first = (-self._seen) % self.every                # the next sample index that is kept
        take = x[first::self.every]
        self._out[self._row:self._row + take.shape[0]] = take
        self._row += take.shape[0]
        self._seen += x.shape[0]

    def finish(self):
        name = self._name(self.context)
        tdim = f"{name}_time"
        t = np.arange(self._row) * self.every * self.context.sample_period
        return {name: xr.DataArray(self._out[:self._row], dims=(tdim, self.context.channel_dim),
                                   coords={tdim: t})}

    def describe(self, ctx):
        name = self._name(ctx)
        tdim = f"{name}_time"
        n_rows = -(-ctx.n_samples // self.every)
        t = np.arange(n_rows) * self.every * ctx.sample_period
        return {name: ResultSpec((tdim, ctx.channel_dim), (n_rows, ctx.channels[self.variables[0]]),
                                 coords={tdim: (t, {})})}


def _check_mapping(cfg: Mapping, valid: tuple, what: str) -> None:
    unknown = sorted(set(cfg) - set(valid))
    if unknown:
        raise InputError(f"unknown {what} option(s) {unknown}; valid: {', '.join(valid)}")
