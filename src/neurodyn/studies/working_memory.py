"""Story (e): a bistable population as a working memory.

The QIF population with a first-order synapse (``qif_syn``; time in units of tau) is bistable for a range of
constant inputs ``I``: there the low (no memory) and the high (memory) states are both stable, separated by a
saddle. The range is bounded by two saddle-node bifurcations, found here by continuation of the fixed points
in ``I`` (:func:`neurodyn.analysis.continuation`); for the MPR equations they lie on the analytic curve
``J(r) = 2 pi^2 r + Delta^2/(2 pi^2 r^3)``, ``eta + I = -pi^2 r^2 - 3 Delta^2/(4 pi^2 r^2)`` (tau = 1). With a
background input inside the range, a brief positive cue that carries the input above the upper fold switches
the population to the high state, which persists after the cue (the memory); a brief negative cue that carries
it below the lower fold erases it.

Examples
--------
>>> rng = bistable_range(eta=-5.0, J=15.0)
>>> round(rng.I_low, 3), round(rng.I_high, 3)
(-0.744, 1.864)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neurodyn.analysis import AnalysisError, Branch, SymbolicSystem, continuation, find_fixed_points
from neurodyn.simulate import compile_model
from neurodyn.studies._common import SYN, node_params, pulse, qif_syn_circuit
from neurodyn.studies.single_population import qif_syn_fixed_points

__all__ = ["BistableRange", "bistable_range", "WorkingMemoryTrial", "working_memory_trial"]

R, V, S, I = (f"p/{SYN}/{x}" for x in ("r", "v", "s", "I_ext"))


@dataclass
class BistableRange:
    """Inputs ``I_low < I < I_high`` where the population is bistable, and the continuation branch."""

    I_low: float
    I_high: float
    branch: Branch

    def __contains__(self, I: float) -> bool:
        return self.I_low < I < self.I_high

    def __repr__(self) -> str:
        return f"<BistableRange {self.I_low:.4g} < I < {self.I_high:.4g}>"


def bistable_range(eta: float = -5.0, J: float = 15.0, Delta: float = 1.0, tau: float = 1.0, tau_s: float = 1.0,
                   I_span=(-20.0, 20.0)) -> BistableRange:
    """The two folds of the fixed-point branch in the input ``I`` (continuation from the low state at
    ``I_span[0]``)."""
    s = SymbolicSystem.from_circuit(qif_syn_circuit(J), params=node_params(
        SYN, dict(eta=eta, Delta=Delta, tau=tau, tau_s=tau_s)))
    start = find_fixed_points(s, params={I: I_span[0]}, bounds={R: (1e-9, 100.0)}, n_random=40)
    if not start:
        raise AnalysisError(f"no fixed point at I = {I_span[0]}")
    b = continuation(s, I, start[0].x, I_span[0], I_span[1])
    folds = b.bifurcations[b.bifurcations["type"] == "fold"] if len(b.bifurcations) else b.bifurcations
    if len(folds) != 2:
        raise AnalysisError(f"eta={eta}, J={J}: {len(folds)} folds in I within {I_span}; the population is not "
                            f"bistable there (the cusp is at eta + I = -sqrt(3) Delta for the MPR equations)")
    lo, hi = sorted(folds[I])
    return BistableRange(float(lo), float(hi), b)


@dataclass
class WorkingMemoryTrial:
    """``traces``: r, v, s and the total input I (time index); ``range``: the bistable range; ``states``: the
    low and high fixed points at the background input; ``params``: protocol."""

    traces: pd.DataFrame
    range: BistableRange
    states: dict
    params: dict = field(default_factory=dict)

    def memory_at(self, t: float) -> bool:
        """Is the population in the high (memory) state at time ``t``? (rate above the saddle)."""
        k = int(np.argmin(np.abs(self.traces.index.to_numpy() - t)))
        return bool(self.traces["r"].iloc[k] > self.states["saddle"])

    def plot(self, axes=None):
        import matplotlib.pyplot as plt
        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(12, 4))
        ax = axes[0]
        b = self.range.branch.points
        for stable, ls in ((True, "-"), (False, ":")):
            ax.plot(b[I], np.where(b["stable"] == stable, b[R], np.nan), "k" + ls,
                    label="stable" if stable else "unstable")
        ax.axvspan(self.range.I_low, self.range.I_high, color="tab:green", alpha=0.15, label="bistable range")
        ax.axvline(self.params["I_bias"], color="tab:blue", ls="--", lw=1, label="background input")
        ax.set_xlim(self.range.I_low - 3, self.range.I_high + 3)
        ax.set_ylim(0, 1.2 * float(b[R][b[I] < self.range.I_high + 3].max()))
        ax.set_xlabel("constant input I")
        ax.set_ylabel("fixed-point rate r")
        ax.legend(fontsize=8)
        ax.set_title("fixed points (continuation): two folds bound the bistable range", fontsize=9)
        ax = axes[1]
        t = self.traces.index.to_numpy()
        ax.plot(t, self.traces["r"], "k", label="r")
        ax.axhline(self.states["low"], color="tab:blue", ls=":", lw=1, label="low / high state")
        ax.axhline(self.states["high"], color="tab:blue", ls=":", lw=1)
        ax2 = ax.twinx()
        ax2.plot(t, self.traces["I"], color="tab:red", lw=1)
        ax2.set_ylabel("input I", color="tab:red")
        ax.set_xlabel("time (units of tau)")
        ax.set_ylabel("rate r")
        ax.legend(fontsize=8, loc="upper right")
        ax.set_title("cue -> memory persists; negative cue -> erased", fontsize=9)
        return axes


def working_memory_trial(I_bias: float | None = None, cue=(20.0, 24.0, None), erase=(60.0, 66.0, None),
                         duration: float = 100.0, step_size: float = 1e-3, eta: float = -5.0, J: float = 15.0,
                         Delta: float = 1.0, tau: float = 1.0, tau_s: float = 1.0,
                         sampling_step_size: float = 0.01) -> WorkingMemoryTrial:
    """Background input ``I_bias`` (default: the middle of the bistable range), a cue ``(start, stop,
    amplitude)`` and an erasing cue. Amplitudes ``None`` are set from the bistable range: the cue takes the
    input 1.5 above the upper fold for 4 tau, the eraser 3 below the lower fold for 6 tau (near a fold the
    trajectory slows down in the 'ghost' of the vanished fixed point, so a cue must be strong or long enough)."""
    rng = bistable_range(eta, J, Delta, tau, tau_s)
    if I_bias is None:
        I_bias = 0.5 * (rng.I_low + rng.I_high)
    if I_bias not in rng:
        raise AnalysisError(f"background input {I_bias} is outside the bistable range {rng}: no memory possible")
    cue = (cue[0], cue[1], rng.I_high + 1.5 - I_bias if cue[2] is None else cue[2])
    erase = (erase[0], erase[1], rng.I_low - 3.0 - I_bias if erase[2] is None else erase[2])
    fps = qif_syn_fixed_points(I_bias, eta, J, Delta, tau, tau_s)
    low, saddle, high = fps
    n = int(round(duration / step_size))
    model = compile_model(qif_syn_circuit(J), driven=[I])
    p = node_params(SYN, dict(eta=eta, Delta=Delta, tau=tau, tau_s=tau_s))
    # a driven input replaces the input's default: the background is part of the time series
    df = model.run(duration, step_size, outputs={"r": R, "v": V, "s": S},
                   inputs={I: I_bias + pulse(n, step_size, [cue, erase])}, solver="rk4",
                   sampling_step_size=sampling_step_size, params=p,
                   initial_state={R: low[R], V: low[V], S: low[S]})
    df["I"] = I_bias + pulse(len(df), sampling_step_size, [cue, erase])
    return WorkingMemoryTrial(df, rng, {"low": low[R], "saddle": saddle[R], "high": high[R]},
                              dict(I_bias=I_bias, cue=cue, erase=erase, eta=eta, J=J))
