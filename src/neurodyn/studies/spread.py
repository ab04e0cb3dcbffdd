"""Story (d): focal stimulation of one region and the spread of activity through the connectome.

Each region is a bistable QIF population with a first-order synapse (``qif_syn``, Devalle et al. 2017; time in
units of tau) whose synaptic input combines local recurrence and long-range excitation::

    tau_s ds_n/dt = -s_n + J r_n + G sum_m W_nm r_m,      W row-normalised (sum_m W_nm = 1)

so every region receives the same total weight J + G in the homogeneous state, which is then the fixed point
of one population with recurrent weight J + G. We choose (eta, J, G) such that this population is bistable:
all regions rest in the low state, which is stable. A brief input to one region switches it to its high
state; its extra output drives its neighbours, and when G is large enough the neighbours cross their
threshold (the saddle between the low and high states) and switch too, recruiting region after region:
a propagating front, whose order follows the connectome. With weak G the stimulated region switches alone
(it stays high: bistability) but nothing spreads. For AAL90 with eta = -5, J = 15 spread needs G ~ 8 (found
by runs, see ``examples/story_spread.py``).

Onset of a region: the first time its rate exceeds the saddle rate of the homogeneous population (the
separatrix between the two states).

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> res = focal_stimulation(Connectome(np.ones((3, 3))), seed_region=0, G=2.0, duration=20.0)
>>> res.onsets["recruited"].tolist()               # weak coupling: only the stimulated region switches
[True, False, False]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from neurodyn._xr import xr

from neurodyn.analysis import AnalysisError
from neurodyn.network import BrainNetwork, Connectome, Coupling, Stimulus
from neurodyn.studies._common import QIF_SYN_NODE, SYN
from neurodyn.studies.single_population import qif_syn_fixed_points

__all__ = ["SpreadResult", "qif_syn_network", "focal_stimulation", "hop_distance"]


def qif_syn_network(connectome: Connectome, J: float = 15.0, G: float = 9.0) -> BrainNetwork:
    """Bistable QIF populations: synaptic input ``J r_n + G sum_m W_nm r_m`` with W row-normalised (self-
    connections of the connectome removed first)."""
    W = np.asarray(connectome.without_self_connections().normalise("rows").weights)
    conn = Connectome(J * np.eye(W.shape[0]) + G * W, labels=connectome.labels, name=connectome.name)
    return BrainNetwork(QIF_SYN_NODE, conn, Coupling(f"{SYN}/r", f"{SYN}/r_in"))


def hop_distance(weights: np.ndarray, source: int) -> np.ndarray:
    """Shortest path length in hops from ``source`` along connections (``weights[target, source] > 0``)."""
    A = np.asarray(weights) > 0
    n = A.shape[0]
    d = np.full(n, np.inf)
    d[source] = 0
    frontier = [source]
    k = 0
    while frontier:
        k += 1
        nxt = np.flatnonzero(A[:, frontier].any(axis=1) & ~np.isfinite(d))
        d[nxt] = k
        frontier = list(nxt)
    return d


@dataclass
class SpreadResult:
    """``traces``: Dataset with r (time, region); ``onsets``: per region onset time (NaN if never recruited),
    ``recruited``, the weight it receives from the seed and its hop distance; ``states``: the homogeneous low,
    saddle and high rates."""

    traces: xr.Dataset
    onsets: pd.DataFrame
    states: dict
    params: dict = field(default_factory=dict)

    @property
    def n_recruited(self) -> int:
        return int(self.onsets["recruited"].sum())

    def plot(self, axes=None):
        import matplotlib.pyplot as plt
        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
        r = self.traces["r"]
        order = np.argsort(self.onsets["onset"].fillna(np.inf).to_numpy())
        t = r["time"].values
        im = axes[0].imshow(r.values[:, order].T, aspect="auto", origin="lower", cmap="magma",
                            extent=[t[0], t[-1], -0.5, r.shape[1] - 0.5])
        axes[0].set_xlabel("time (units of tau)")
        axes[0].set_ylabel("region (sorted by onset)")
        axes[0].set_title(f"rate r; stimulus to {self.params['seed_label']} at "
                          f"{self.params['start']:g}-{self.params['stop']:g}", fontsize=9)
        axes[0].figure.colorbar(im, ax=axes[0], label="r (1/tau)")
        rec = self.onsets[self.onsets["recruited"] & (self.onsets.index != self.params["seed_region"])]
        axes[1].semilogx(rec["weight_from_seed"].clip(lower=1e-5), rec["onset"], ".")
        axes[1].set_xlabel("weight from the stimulated region W[n, seed] (row-normalised)")
        axes[1].set_ylabel("onset time (units of tau)")
        axes[1].set_title(f"{self.n_recruited}/{len(self.onsets)} regions recruited", fontsize=9)
        return axes


def focal_stimulation(connectome: Connectome, seed_region=0, G: float = 9.0, eta: float = -5.0, J: float = 15.0,
                      amplitude: float = 5.0, start: float = 5.0, stop: float = 10.0, duration: float = 100.0,
                      step_size: float = 0.005, sampling_step_size: float = 0.1, Delta: float = 1.0,
                      tau: float = 1.0, tau_s: float = 1.0) -> SpreadResult:
    """Start every region in the low state, stimulate ``seed_region`` (index or label) with ``amplitude`` for
    ``start <= t < stop`` and record who is recruited when (Heun, time in units of tau)."""
    fps = qif_syn_fixed_points(0.0, eta, J + G, Delta, tau, tau_s)
    if len(fps) != 3 or not fps[0].stable:
        raise AnalysisError(f"with eta={eta}, J + G = {J + G} the homogeneous population is not bistable "
                            f"({len(fps)} fixed point(s)); spread from a low resting state needs bistability: "
                            f"lower G or change eta")
    R = "p/qif_syn_op/r"
    low, saddle, high = fps
    net = qif_syn_network(connectome, J, G)
    k = net.region_index(seed_region)
    init = {f"{SYN}/{v}": low[f"p/{SYN}/{v}"] for v in ("r", "v", "s")}
    ds = net.simulate(duration, step_size, variables=[f"{SYN}/r"], solver="heun",
                      sampling_step_size=sampling_step_size, initial=init, progress=False,
                      params={f"{SYN}/eta": eta, f"{SYN}/Delta": Delta, f"{SYN}/tau": tau, f"{SYN}/tau_s": tau_s},
                      stimuli=[Stimulus(f"{SYN}/I_ext", [k], amplitude, start, stop)])
    r = ds["r"].values
    t = ds["time"].values
    above = r > saddle[R]
    recruited = above.any(axis=0)
    onset = np.where(recruited, t[np.argmax(above, axis=0)], np.nan)
    W = np.asarray(connectome.without_self_connections().normalise("rows").weights)
    onsets = pd.DataFrame({"label": net.labels, "onset": onset, "recruited": recruited,
                           "weight_from_seed": W[:, k], "hops": hop_distance(W, k)})
    onsets.index.name = "region"
    return SpreadResult(ds, onsets, {"low": low[R], "saddle": saddle[R], "high": high[R]},
                        dict(seed_region=k, seed_label=net.labels[k], G=G, eta=eta, J=J, amplitude=amplitude,
                             start=start, stop=stop))
