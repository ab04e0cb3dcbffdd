"""Stimulation protocols for validating mean fields against their spiking networks.

A :class:`Protocol` gives the duration, the step, the input arrays (by template input path, sampled at
t_k = k dt exactly as the mean-field templates take them) and the windows in which network and mean field are
compared: steady windows (time averages) and transient windows (peak height and time), plus optional
oscillation windows (dominant frequency).

Examples
--------
>>> from neurodyn.spiking import mpr_step_protocol
>>> p = mpr_step_protocol(short=True)
>>> p.name, p.duration, p.steady
('mpr_step', 32.0, (('low', 4.0, 8.0), ('high', 18.0, 24.0), ('high after', 28.0, 32.0)))
>>> p.input_arrays("p/qif_op/I_ext", 1e-4)["p/qif_op/I_ext"][[0, 80000, 240000]].tolist()
[0.0, 3.0, 0.0]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neurodyn.errors import InputError

__all__ = ["Protocol", "mpr_step_protocol", "ping_protocol"]


@dataclass(frozen=True)
class Protocol:
    """Inputs and comparison windows.

    Parameters
    ----------
    name : str
    duration, step_size, sampling_step_size : float
        Model time units of the template (tau units, or ms for the E/I templates).
    pulses : tuple of (input, amplitude, start, stop)
        Rectangular pulses on the steps t_k with start <= t_k < stop; ``input`` is 'drive' (the template's
        main drive: I_ext, or I_ext_e) or a template input path.
    baseline : float or None
        Value of the driven input outside the pulses (None: the template's declared value).
    steady : tuple of (label, start, stop)
        Windows compared by their time averages.
    transient : tuple of (label, start, stop)
        Windows compared by the peak of the rate (height and time).
    oscillation : tuple of (label, start, stop)
        Windows compared by the dominant frequency of the rate.
    rate_sigma : float
        Standard deviation of the Gaussian that smooths the network rate (model time units).
    """

    name: str
    duration: float
    step_size: float
    sampling_step_size: float
    pulses: tuple = ()
    baseline: float | None = 0.0
    steady: tuple = ()
    transient: tuple = ()
    oscillation: tuple = ()
    rate_sigma: float = 0.05
    description: str = field(default="", compare=False)

    def __post_init__(self):
        for k in ("duration", "step_size", "sampling_step_size", "rate_sigma"):
            v = getattr(self, k)
            if not (np.isfinite(v) and v > 0):
                raise InputError(f"Protocol {self.name!r}: {k} must be positive, got {v!r}")
        for label, a, b in self.steady + self.transient + self.oscillation:
            if not 0 <= a < b <= self.duration:
                raise InputError(f"Protocol {self.name!r}: window {label!r} = [{a}, {b}) must lie in "
                                 f"[0, {self.duration}]")

    def input_arrays(self, drive_path: str, step_size: float | None = None) -> dict:
        """{input path: samples at t_k = k dt, k = 0 .. round(T/dt) - 1} for the pulses ('drive' ->
        ``drive_path``); empty if the protocol has no pulses."""
        dt = self.step_size if step_size is None else step_size
        n = int(round(self.duration / dt))
        t = np.arange(n) * dt
        out: dict = {}
        for path, amp, start, stop in self.pulses:
            key = drive_path if path == "drive" else path
            if key not in out:
                out[key] = np.full(n, 0.0 if self.baseline is None else float(self.baseline))
            # a tolerance of a millionth of a step keeps grid times that round-off puts just below start
            out[key][(t >= start - 1e-6 * dt) & (t < stop - 1e-6 * dt)] += amp
        return out


def mpr_step_protocol(amplitude: float = 3.0, short: bool = False, step_size: float = 1e-4) -> Protocol:
    """Montbrio, Pazo & Roxin 2015 (Fig. 2): from the low state, a step of I = ``amplitude`` for 30 tau (the
    rate overshoots, rings and settles in the high state), then I = 0 (the bistable network stays high).

    The full protocol runs 60 tau (settle 10, step 10-40, off 40-60); ``short=True`` runs 32 tau (settle 8,
    step 8-24, off 24-32), for tests. Euler steps of 1e-4 tau, as MPR.
    """
    if short:
        T, on, off = 32.0, 8.0, 24.0
        steady = (("low", 4.0, 8.0), ("high", 18.0, 24.0), ("high after", 28.0, 32.0))
    else:
        T, on, off = 60.0, 10.0, 40.0
        steady = (("low", 5.0, 10.0), ("high", 30.0, 40.0), ("high after", 50.0, 60.0))
    return Protocol("mpr_step", T, step_size, 0.01, pulses=(("drive", float(amplitude), on, off),),
                    baseline=0.0, steady=steady, transient=(("overshoot", on, on + 4.0),),
                    description=f"I = {amplitude:g} for {on:g} <= t < {off:g} (tau units), 0 otherwise")


def ping_protocol(drive: float = 10.0, duration: float = 300.0, step_size: float = 1e-3) -> Protocol:
    """The E/I PING node (ei_ping, ping_dg; ms): a constant drive I_ext_e = ``drive`` from the template's
    initial state; after 100 ms the node is on its gamma cycle (mean rates and the dominant frequency are
    compared over [100 ms, end))."""
    return Protocol("ping", duration, step_size, 0.05, pulses=(("drive", float(drive), 0.0, duration),),
                    baseline=0.0, steady=(("cycle", 100.0, duration),), oscillation=(("gamma", 100.0, duration),),
                    rate_sigma=0.2, description=f"I_ext_e = {drive:g} throughout (ms)")
