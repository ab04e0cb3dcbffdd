"""Story (a): one next-generation population with a synapse (``qif_syn``) driven by a step of input.

The model is the exact mean field of QIF neurons with a first-order synapse (Devalle, Roxin & Montbrio 2017):

    tau dr/dt = Delta/(pi tau) + 2 r v
    tau dv/dt = v^2 + eta + I(t) + tau s - (pi tau r)^2
    tau_s ds/dt = -s + J r

(not the seed document's form, whose extra -r^2, missing v^2 and "-v" leak break the exact reduction). Time is
in units of tau. With the default eta = -5, J = 15 the population is bistable: a step of input I = 3 drives it
from the low to the high state, through an overshoot and damped oscillations (transient synchrony), and it
stays there after the step.

Examples
--------
>>> from neurodyn.studies.single_population import step_response
>>> res = step_response(duration=40.0, onset=5.0, offset=15.0)
>>> res.traces.columns.tolist()
['r', 'v', 's', 'I']
>>> [fp.stability for fp in res.fixed_points["before"]]
['stable focus', 'saddle-focus', 'stable focus']
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from neurodyn.analysis import FixedPoint, SymbolicSystem, find_fixed_points
from neurodyn.simulate import compile_model
from neurodyn.studies._common import SYN, node_params, pulse, qif_syn_circuit

__all__ = ["StepResponse", "qif_syn_fixed_points", "step_response"]

R, V, S, I = (f"p/{SYN}/{x}" for x in ("r", "v", "s", "I_ext"))


def qif_syn_fixed_points(I_ext: float = 0.0, eta: float = -5.0, J: float = 15.0, Delta: float = 1.0,
                         tau: float = 1.0, tau_s: float = 1.0) -> list[FixedPoint]:
    """Fixed points (r > 0) of the population with constant input ``I_ext``, sorted by rate, with stability."""
    s = SymbolicSystem.from_circuit(qif_syn_circuit(J), params=node_params(
        SYN, dict(eta=eta, Delta=Delta, tau=tau, tau_s=tau_s, I_ext=I_ext)))
    r_max = 10.0 / tau + J
    return find_fixed_points(s, bounds={R: (1e-9, r_max), V: (-10.0, 10.0), S: (0.0, J * r_max)}, n_random=60)


@dataclass
class StepResponse:
    """Traces (time index; r, v, s and the input I) and the fixed points with the input off ('before') and on
    ('during')."""

    traces: pd.DataFrame
    fixed_points: dict
    params: dict = field(default_factory=dict)

    def plot(self, ax=None):
        """Rate trace with the step and the fixed-point rates (dashed: stable, dotted: unstable)."""
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        t = self.traces.index.to_numpy()
        ax.plot(t, self.traces["r"], color="k", lw=1.2, label="r (simulated)")
        p = self.params
        for key, color, (t0, t1) in (("before", "tab:blue", (t[0], t[-1])), ("during", "tab:red",
                                                                               (p["onset"], p["offset"]))):
            for fp in self.fixed_points[key]:
                ax.hlines(fp[R], t0, t1, colors=color, linestyles="--" if fp.stable else ":", lw=1,
                          label=f"fixed point, I = {0 if key == 'before' else p['amplitude']:g} "
                                f"({'stable' if fp.stable else 'unstable'})")
        ax.axvspan(p["onset"], p["offset"], color="0.9", zorder=0, label=f"input I = {p['amplitude']:g}")
        h, l = ax.get_legend_handles_labels()
        uniq = dict(zip(l, h))
        ax.legend(uniq.values(), uniq.keys(), fontsize=7, loc="upper right")
        ax.set_xlabel("time (units of tau)")
        ax.set_ylabel("firing rate r (1/tau)")
        return ax


def step_response(amplitude: float = 3.0, onset: float = 20.0, offset: float = 50.0, duration: float = 100.0,
                  step_size: float = 1e-3, eta: float = -5.0, J: float = 15.0, Delta: float = 1.0,
                  tau: float = 1.0, tau_s: float = 1.0, sampling_step_size: float = 0.01) -> StepResponse:
    """Simulate the population, starting at its low fixed point, with input ``amplitude`` for
    ``onset <= t < offset``; also return the fixed points without and with the input.

    Parameters are the model's (time in units of tau). Integration: RK4 with ``step_size``.
    """
    before = qif_syn_fixed_points(0.0, eta, J, Delta, tau, tau_s)
    during = qif_syn_fixed_points(amplitude, eta, J, Delta, tau, tau_s)
    stable = [fp for fp in before if fp.stable]
    if not stable:
        from neurodyn.analysis import AnalysisError
        raise AnalysisError(f"no stable fixed point without input for eta={eta}, J={J}: nothing to start from")
    start = stable[0]
    n = int(round(duration / step_size))
    model = compile_model(qif_syn_circuit(J), driven=[I])
    df = model.run(duration, step_size, outputs={"r": R, "v": V, "s": S}, inputs={I: pulse(n, step_size, [
        (onset, offset, amplitude)])}, solver="rk4", sampling_step_size=sampling_step_size,
        params=node_params(SYN, dict(eta=eta, Delta=Delta, tau=tau, tau_s=tau_s)),
        initial_state={R: start[R], V: start[V], S: start[S]})
    t = df.index.to_numpy()
    df["I"] = amplitude * ((t >= onset) & (t < offset))
    return StepResponse(df, {"before": before, "during": during},
                        dict(amplitude=amplitude, onset=onset, offset=offset, eta=eta, J=J, Delta=Delta, tau=tau,
                             tau_s=tau_s))
