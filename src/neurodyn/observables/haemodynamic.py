"""Observables of the haemodynamic response: the BOLD signal (Balloon-Windkessel, integrated while the run goes)
and functional connectivity dynamics (FCD) of that BOLD signal, for the observables protocol.

Both read the whole run, transient included (the haemodynamics start from rest at t = 0); FCD leaves out the
first ``bold_discard`` seconds of BOLD (the haemodynamic transient) before windowing.

Examples
--------
>>> import numpy as np
>>> from neurodyn.observables import ObservableSet, RunContext
>>> ctx = RunContext(sample_period=1.0, n_samples=20000, channels={"op/r": 3}, time_unit="ms")
>>> obs = ObservableSet([BOLD("op/r", tr=1.0)], ctx, {"op/r": slice(0, 3)})
>>> obs.specs["bold"].shape
(20, 3)
"""
from __future__ import annotations

import numpy as np
from neurodyn._xr import xr

from neurodyn.errors import InputError
from neurodyn.observables._arrays import seconds_per_unit
from neurodyn.observables.bold import BalloonWindkessel
from neurodyn.observables.fc import fcd, fcd_window_starts
from neurodyn.observables.protocol import Observable, ResultSpec

__all__ = ["BOLD", "FCD"]


class BOLD(Observable):
    """Balloon-Windkessel BOLD signal of ``variable`` (:class:`~neurodyn.observables.BalloonWindkessel`),
    sampled every ``tr`` seconds: result ``name`` (``<name>_time`` in s, channel).

    Parameters
    ----------
    tr : float
        Repetition time, seconds.
    params : str or BalloonParameters
        Haemodynamic parameter set ('spm' default).
    time_unit : {'ms', 's', 'us'} or float, optional
        The model's time unit (default: the run's, else 'ms').
    substep, input_scale
        As :class:`~neurodyn.observables.BalloonWindkessel`.
    """

    uses_transient = True

    def __init__(self, variable: str, tr: float = 2.0, params="spm", time_unit=None, substep: float = 1e-3,
                 input_scale: float = 1.0, name: str = "bold"):
        if not isinstance(variable, str) or not variable:
            raise InputError(f"BOLD reads one recorded variable ('op/var'), got {variable!r}")
        self.variables = (variable,)
        self.tr = float(tr)
        self.params = params
        self.time_unit = time_unit
        self.substep = float(substep)
        self.input_scale = float(input_scale)
        self.name = str(name)

    def _unit(self, ctx):
        return self.time_unit if self.time_unit is not None else (ctx.time_unit or "ms")

    def balloon(self, ctx) -> BalloonWindkessel:
        return BalloonWindkessel(ctx.channels[self.variables[0]], time_unit=self._unit(ctx), tr=self.tr,
                                 params=self.params, substep=self.substep, input_scale=self.input_scale)

    def check(self, ctx):
        super().check(ctx)
        unit = self._unit(ctx)
        seconds = ctx.duration * seconds_per_unit(unit, f"{type(self).__name__}(time_unit)")
        if seconds < self.tr:
            raise InputError(f"bold: the run lasts {seconds:g} s of model time ({ctx.duration:g} {unit}), shorter "
                             f"than one repetition time tr = {self.tr:g} s, so it would give no BOLD sample; "
                             f"simulate at least {self.tr:g} s, choose a smaller tr, or check time_unit (the "
                             f"model's unit of time)")

    def start(self, ctx):
        self._bw = self.balloon(ctx)

    def update(self, times, values):
        self._bw.update(values[self.variables[0]], self.context.sample_period)

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        return self._bw.pop_samples()

    def _tdim(self) -> str:
        return f"{self.name}_time"

    def finish(self):
        t, b = self.samples()
        tdim = self._tdim()
        coord = xr.DataArray(t, dims=(tdim,), attrs={"units": "s"})
        return {self.name: xr.DataArray(b, dims=(tdim, self.context.channel_dim), coords={tdim: coord})}

    def n_bold(self, ctx) -> int:
        return self.balloon(ctx).expected_samples(ctx.n_samples, ctx.sample_period)

    def describe(self, ctx):
        n = self.n_bold(ctx)
        return {self.name: ResultSpec((self._tdim(), ctx.channel_dim), (n, ctx.channels[self.variables[0]]),
                                      coords={self._tdim(): (self.tr * np.arange(1, n + 1), {"units": "s"})})}


class FCD(BOLD):
    """Functional connectivity dynamics of the BOLD signal of ``variable``: the correlations between the FC
    patterns of sliding windows (:func:`~neurodyn.observables.fcd`) and the distribution of its upper-triangle
    values (the usual fitting target).

    Results: ``<name>`` (``<name>_window``, ``<name>_window_2``) and ``<name>_histogram`` (``<name>_bin``; a
    density over ``bins`` equal bins of [-1, 1]).

    Parameters
    ----------
    window, step : float
        Window length and shift in seconds (whole multiples of ``tr``).
    bold_discard : float
        BOLD time (s) left out at the start (the haemodynamic transient from rest).
    Other parameters as :class:`BOLD`.
    """

    def __init__(self, variable: str, tr: float = 2.0, window: float = 60.0, step: float = 2.0,
                 bold_discard: float = 0.0, bins: int = 40, params="spm", time_unit=None, substep: float = 1e-3,
                 input_scale: float = 1.0, name: str = "fcd"):
        super().__init__(variable, tr=tr, params=params, time_unit=time_unit, substep=substep,
                         input_scale=input_scale, name=name)
        self.window, self.step, self.bold_discard = float(window), float(step), float(bold_discard)
        if int(bins) != bins or bins < 2:
            raise InputError(f"FCD: bins must be an integer >= 2, got {bins!r}")
        self.bins = int(bins)
        for what, v in (("window", self.window), ("step", self.step)):
            k = v / self.tr
            if not (v > 0 and abs(k - round(k)) <= 1e-9 * max(1.0, k)):
                raise InputError(f"FCD: {what} = {v:g} s must be a positive whole multiple of tr = {self.tr:g} s")

    def _layout(self, ctx) -> tuple[int, int, int, int]:
        """(first BOLD sample kept, kept samples, window and step in samples)."""
        n = self.n_bold(ctx)
        first = int(np.searchsorted(self.tr * np.arange(1, n + 1), self.bold_discard, side="right"))
        return first, n - first, int(round(self.window / self.tr)), int(round(self.step / self.tr))

    def check(self, ctx):
        super().check(ctx)
        first, kept, w, s = self._layout(ctx)
        if w < 3 or kept < w:
            raise InputError(f"{self!r}: the run gives {kept} BOLD samples after bold_discard = "
                             f"{self.bold_discard:g} s, fewer than one window of {w} samples (window = "
                             f"{self.window:g} s, tr = {self.tr:g} s; at least 3 per window): simulate longer or "
                             f"use a shorter window")

    def _edges(self) -> np.ndarray:
        return np.linspace(-1.0, 1.0, self.bins + 1)

    def finish(self):
        t, b = self.samples()
        first, kept, w, s = self._layout(self.context)
        m = fcd(b[first:], window=w, step=s)
        vals = m[np.triu_indices(m.shape[0], 1)]
        hist, edges = np.histogram(np.clip(vals, -1.0, 1.0), bins=self._edges(), density=True)
        wdim, bdim = f"{self.name}_window", f"{self.name}_bin"
        centres = 0.5 * (edges[1:] + edges[:-1])
        return {self.name: xr.DataArray(m, dims=(wdim, f"{wdim}_2")),
                f"{self.name}_histogram": xr.DataArray(hist, dims=(bdim,), coords={bdim: centres})}

    def describe(self, ctx):
        first, kept, w, s = self._layout(ctx)
        nw = fcd_window_starts(kept, w, s).size
        wdim, bdim = f"{self.name}_window", f"{self.name}_bin"
        edges = self._edges()
        return {self.name: ResultSpec((wdim, f"{wdim}_2"), (nw, nw)),
                f"{self.name}_histogram": ResultSpec((bdim,), (self.bins,),
                                                     coords={bdim: (0.5 * (edges[1:] + edges[:-1]), {})})}
