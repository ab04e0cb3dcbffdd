"""Time grids of a run, checked so that nothing is shortened or rounded in silence.

A fixed-step run of ``simulation_time`` T with ``step_size`` dt takes exactly T/dt steps, and samples every
``sampling_step_size`` ds at t = 0, ds, 2 ds, ..., T - ds (PyRates's convention: T/ds rows, the first is the
initial state). T must therefore be a whole number of steps and of sampling steps, and ds a whole number of
steps; otherwise an :class:`~neurodyn.errors.InputError` names the nearest valid values. "Whole" allows one
part in 10^6 of a step for the rounding of decimal inputs (T = 0.3 with dt = 0.1 is three steps).

Examples
--------
>>> TimeGrid.of(2.0, 1e-4, 1e-3)
TimeGrid(simulation_time=2.0, step_size=0.0001, sampling_step_size=0.001, n_steps=20000, record_every=10, n_samples=2000)
>>> TimeGrid.of(1.05, 0.1)
Traceback (most recent call last):
...
neurodyn.errors.InputError: simulation_time (1.05) is not a whole number of steps of step_size (0.1): use simulation_time=1 or 1.1, or a step_size that divides it
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from neurodyn.errors import InputError

__all__ = ["TimeGrid", "positive", "whole_multiple"]

#: the part of a step by which a total may differ from a whole number of steps (rounding of decimal inputs)
SLACK = 1e-6


def positive(name: str, value) -> float:
    """``value`` as a positive, finite float, or an InputError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise InputError(f"{name} must be positive and finite, got {value!r}")
    return v


def whole_multiple(total: float, step: float, what: str, of: str) -> int:
    """The number of ``step`` in ``total``; an InputError with the nearest valid totals when it is not whole."""
    if step > total * (1 + 1e-12):
        raise InputError(f"{of} ({step:g}) is longer than {what} ({total:g}): the run would take no step; use a "
                         f"{of} of at most {total:g}")
    n = round(total / step)
    if abs(n * step - total) > SLACK * step:
        lo, hi = math.floor(total / step), math.ceil(total / step)
        choices = " or ".join(f"{k * step:.12g}" for k in sorted({max(lo, 1), hi}))
        raise InputError(f"{what} ({total:g}) is not a whole number of steps of {of} ({step:g}): use {what}="
                         f"{choices}, or a {of} that divides it")
    return int(n)


@dataclass(frozen=True)
class TimeGrid:
    """The steps and samples of a fixed-step run (see the module docstring)."""

    simulation_time: float
    step_size: float
    sampling_step_size: float
    n_steps: int
    record_every: int
    n_samples: int

    @classmethod
    def of(cls, simulation_time, step_size, sampling_step_size=None) -> "TimeGrid":
        T = positive("simulation_time", simulation_time)
        dt = positive("step_size", step_size)
        ds = dt if sampling_step_size is None else positive("sampling_step_size", sampling_step_size)
        n_steps = whole_multiple(T, dt, "simulation_time", "step_size")
        every = whole_multiple(ds, dt, "sampling_step_size", "step_size")
        n_samples = whole_multiple(T, ds, "simulation_time", "sampling_step_size")
        if n_samples * every != n_steps:        # pragma: no cover - impossible when the three are whole
            raise InputError(f"simulation_time {T:g}, step_size {dt:g} and sampling_step_size {ds:g} do not fit "
                             f"one grid ({n_steps} steps, {n_samples} samples every {every} steps)")
        return cls(T, dt, ds, n_steps, every, n_samples)
