"""Story (c): a whole-brain model, one next-generation E/I node (``ei_ping_pop``) per region of a structural
connectome with row-normalised weights; regional traces and functional connectivity (FC).

Long-range input is excitatory: ``s_net,n = sum_m W_nm s_e,m`` enters both populations with the global coupling
``eps`` (Delicado, Huguet & Clusella 2025). Because the rows of W sum to 1, the homogeneous state of the network
is the fixed point of one self-coupled node (:func:`neurodyn.analysis.homogeneous_node`); we start there and
drive the membrane potentials with weak white noise. Below the Hopf bifurcation of the homogeneous state the
regions fluctuate around it, and their correlations are shaped by the connectome. For weak noise the FC is
predicted exactly by the linearisation (:func:`neurodyn.analysis.network_linearisation`): the stationary
covariance ``S`` of ``dxi = A xi dt + sigma dW`` solves the Lyapunov equation ``A S + S A^T + Q = 0`` with
``A = I (x) DF + W (x) B``.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> rng = np.random.default_rng(0)
>>> C = Connectome(rng.random((6, 6))).without_self_connections()
>>> res = whole_brain(C, duration=200.0, transient=50.0)
>>> res.traces["r_e"].dims, res.fc.shape
(('time', 'region'), (6, 6))
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from neurodyn._xr import xr

from neurodyn.analysis import (AnalysisError, FixedPoint, SymbolicSystem, find_fixed_points, homogeneous_node,
                               modal_noise_covariance, network_linearisation)
from neurodyn.network import BrainNetwork, Connectome, Coupling
from neurodyn.observables import functional_connectivity, upper_triangle
from neurodyn.studies._common import EI_NODE, PING

__all__ = ["WholeBrainResult", "ei_network", "homogeneous_fixed_point", "linear_noise_fc", "linear_fc_from",
           "whole_brain", "COUPLING", "STATES"]

COUPLING = Coupling(f"{PING}/s_e", f"{PING}/s_net")
STATES = ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")


def _row_normalised(connectome: Connectome) -> Connectome:
    w = np.asarray(connectome.weights)
    if np.allclose(w.sum(axis=1), 1.0, rtol=1e-10, atol=1e-12):
        return connectome
    return connectome.without_self_connections().normalise("rows")


def ei_network(connectome: Connectome) -> BrainNetwork:
    """E/I nodes on ``connectome`` (self-connections removed and rows normalised to 1 unless already)."""
    return BrainNetwork(EI_NODE, _row_normalised(connectome), COUPLING)


def homogeneous_fixed_point(eps: float = 5.0, I_ext_e: float = 4.0, **params) -> FixedPoint:
    """The (lowest-rate) fixed point of the homogeneous state: one node with J_ee + eps, J_ie + eps."""
    p = {f"node/{PING}/{k}": float(v) for k, v in dict(params, eps=eps, I_ext_e=I_ext_e).items()}
    s = SymbolicSystem.from_circuit(homogeneous_node(EI_NODE, COUPLING), params=p)
    fps = find_fixed_points(s, bounds={f"node/{PING}/r_e": (1e-9, 2.0), f"node/{PING}/r_i": (1e-9, 2.0)},
                            n_random=40)
    if not fps:
        raise AnalysisError(f"no homogeneous fixed point for eps={eps}, I_ext_e={I_ext_e}")
    return fps[0]


def linear_noise_fc(connectome: Connectome, x: np.ndarray, sigma: float, eps: float = 5.0, I_ext_e: float = 4.0,
                    noisy=("v_e", "v_i"), variable: str = "r_e", **params) -> np.ndarray:
    """FC of ``variable`` predicted by the linearisation around the homogeneous fixed point ``x`` with white
    noise ``sigma`` on the states ``noisy`` (exact in the limit of weak noise; needs a stable state)."""
    W = np.asarray(_row_normalised(connectome).weights)
    p = {f"node/{PING}/{k}": float(v) for k, v in dict(params, eps=eps, I_ext_e=I_ext_e).items()}
    lin = network_linearisation(EI_NODE, COUPLING, x, params=p)
    return linear_fc_from(lin, W, sigma, noisy, variable)


def linear_fc_from(lin, W: np.ndarray, sigma: float, noisy=("v_e", "v_i"), variable: str = "r_e") -> np.ndarray:
    """Linear-noise FC from a :class:`~neurodyn.analysis.NetworkLinearisation` and a connectivity W (by modes,
    :func:`~neurodyn.analysis.modal_noise_covariance`)."""
    q = np.zeros(lin.DF.shape[0])
    for name in noisy:
        q[STATES.index(name)] = sigma ** 2
    try:
        C = modal_noise_covariance(lin.DF, lin.B, W, np.diag(q), components=STATES.index(variable))
    except AnalysisError as e:
        raise AnalysisError(f"the homogeneous state is unstable or W is defective: the linear-noise FC does not "
                            f"exist ({e})") from None
    sd = np.sqrt(np.diag(C))
    return C / np.outer(sd, sd)


@dataclass
class WholeBrainResult:
    """``traces``: Dataset with r_e (time in ms, region); ``fc``: Pearson FC of r_e; ``fc_linear``: the
    linear-noise prediction (or None); ``sc``: the row-normalised weights used."""

    traces: xr.Dataset
    fc: xr.DataArray
    sc: np.ndarray
    fixed_point: FixedPoint
    fc_linear: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    @property
    def fc_sc_correlation(self) -> float:
        """Pearson correlation between the upper triangles of FC and the symmetrised SC."""
        sc = 0.5 * (self.sc + self.sc.T)
        return float(np.corrcoef(upper_triangle(self.fc.values), upper_triangle(sc))[0, 1])

    @property
    def fc_linear_correlation(self) -> float:
        return float(np.corrcoef(upper_triangle(self.fc.values), upper_triangle(self.fc_linear))[0, 1])

    def plot(self, axes=None, n_traces: int = 8):
        import matplotlib.pyplot as plt
        if axes is None:
            _, axes = plt.subplots(1, 4, figsize=(17, 4), layout="constrained")
        r = self.traces["r_e"]
        t = r["time"].values
        sel = t <= t[0] + 200
        labels = r["label"].values
        for k in range(min(n_traces, r.shape[1])):
            axes[0].plot(t[sel], r.values[sel, k] * 1e3 + 3 * k, lw=0.7)
        axes[0].set_yticks([r.values[sel, k].mean() * 1e3 + 3 * k for k in range(min(n_traces, r.shape[1]))])
        axes[0].set_yticklabels(labels[:n_traces], fontsize=6)
        axes[0].set_xlabel("time (ms)")
        axes[0].set_title("r_e of a few regions (offset, Hz)", fontsize=9)
        im = axes[1].imshow(self.sc, cmap="viridis")
        axes[1].set_title("structural connectivity (rows sum to 1)", fontsize=9)
        axes[1].set(xlabel="source region", ylabel="target region")
        axes[1].figure.colorbar(im, ax=axes[1], label="weight")
        fc = self.fc.values.copy()
        np.fill_diagonal(fc, np.nan)
        vmax = float(np.nanmax(np.abs(fc)))
        im = axes[2].imshow(fc, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        axes[2].set_title(f"simulated FC of r_e (corr. with SC {self.fc_sc_correlation:.2f})", fontsize=9)
        axes[2].set(xlabel="region", ylabel="region")
        axes[2].figure.colorbar(im, ax=axes[2], label="Pearson correlation")
        if self.fc_linear is not None:
            axes[3].plot(upper_triangle(self.fc_linear), upper_triangle(self.fc.values), ".", ms=2)
            u = np.concatenate([upper_triangle(self.fc_linear), upper_triangle(self.fc.values)])
            lim = [u.min(), u.max()]
            axes[3].plot(lim, lim, "k--", lw=0.8)
            axes[3].set_xlabel("FC predicted by the linearisation")
            axes[3].set_ylabel("FC simulated")
            axes[3].set_title(f"r = {self.fc_linear_correlation:.3f}", fontsize=9)
        return axes


def whole_brain(connectome: Connectome, duration: float = 20000.0, step_size: float = 0.1, eps: float = 20.0,
                I_ext_e: float = 2.2, sigma: float = 0.05, seed: int = 0, transient: float = 100.0,
                sampling_step_size: float = 1.0, linear_prediction: bool = True, **params) -> WholeBrainResult:
    """Simulate the noisy E/I network (stochastic Heun, time in ms) from its homogeneous fixed point.

    Each region's own noise dominates the input it gets from any single neighbour (rows of W sum to 1), so the
    FC is weak (correlations ~0.05) and needs long runs to be resolved: the sampling error of a correlation is
    ~ 1/sqrt(duration / correlation time). The defaults (20 s, correlation time ~50 ms) resolve it.

    Parameters
    ----------
    connectome : Connectome
        Any connectome; self-connections are removed and rows normalised to 1 (unless rows already sum to 1).
    eps, I_ext_e : float
        Global coupling and drive (defaults: a stable focus below the homogeneous Hopf point, which is at I_ext_e ~ 2.3 for eps = 20).
    sigma : float
        White-noise amplitude on v_e and v_i (``dv = f dt + sigma dW``).
    linear_prediction : bool
        Also compute the linear-noise FC (needs a stable homogeneous state).
    params : further ei_ping_op parameters by short name.
    """
    net = ei_network(connectome)
    fp = homogeneous_fixed_point(eps, I_ext_e, **params)
    init = {f"{PING}/{k}": float(fp[f"node/{PING}/{k}"]) for k in STATES}
    run_params = {f"{PING}/{k}": float(v) for k, v in dict(params, eps=eps, I_ext_e=I_ext_e).items()}
    ds = net.simulate(duration + transient, step_size, variables=[f"{PING}/r_e"], solver="heun",
                      sampling_step_size=sampling_step_size, params=run_params,
                      noise={f"{PING}/v_e": sigma, f"{PING}/v_i": sigma}, seed=seed, initial=init, progress=False)
    ds = ds.sel(time=ds["time"] >= transient)
    ds["time"].attrs["units"] = "ms"
    fc = functional_connectivity(ds["r_e"])
    lin = None
    if linear_prediction:
        lin = linear_noise_fc(connectome, fp.x, sigma, eps, I_ext_e, **params)
    return WholeBrainResult(ds, fc, np.asarray(net.connectome.weights), fp, lin,
                            dict(eps=eps, I_ext_e=I_ext_e, sigma=sigma, seed=seed, **params))
