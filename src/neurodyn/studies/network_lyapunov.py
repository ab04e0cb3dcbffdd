"""Paper study (c): the largest Lyapunov exponents of the E/I network against the drive ``I_ext_e``.

For each drive the network starts near its synchronous state (the template's homogeneous initial state with a
small seeded random perturbation in every region) and :func:`neurodyn.analysis.lyapunov_spectrum` integrates
``k`` tangent vectors alongside it on the compiled tangent kernel (RK4, QR re-orthonormalisation), after a
transient. Where the synchronous state is an attracting cycle the largest exponent is 0 (the direction along
the flow) and the next ones are the Floquet exponents of the network's modes; where it is transversally
unstable the network leaves it, and a positive largest exponent marks chaotic heterogeneous dynamics. The same
exponents of the homogeneous (self-coupled) node are computed alongside: the dynamics on the synchronous
manifold alone (its period-doubling cascade, Delicado, Huguet & Clusella 2025).

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> from neurodyn.studies.network_lyapunov import network_lyapunov
>>> scan = network_lyapunov(Connectome(np.ones((3, 3))), eps=3.0, I_values=[2.0], k=2,
...                         simulation_time=300.0, transient=200.0)
>>> bool(scan.table["lambda_1"].iloc[0] < 0)              # a stable synchronous fixed point
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neurodyn.analysis import homogeneous_node, lyapunov_spectrum
from neurodyn.errors import InputError
from neurodyn.network import Connectome
from neurodyn.studies._common import EI_NODE, PING
from neurodyn.studies.whole_brain import COUPLING, STATES, ei_network

__all__ = ["LyapunovScan", "network_lyapunov", "network_initial_state"]


def network_initial_state(n_regions: int, perturbation: float = 0.01, seed: int = 0) -> dict:
    """The template's homogeneous initial state with every state of every region multiplied by
    ``1 + perturbation * U(-1, 1)`` (seeded), as ``{'ei_ping_op/<state>': per-region array}``."""
    from neurodyn.lang.templates import template_from_yaml
    rng = np.random.default_rng(seed)
    d = {v: float(x.value) for v, x in template_from_yaml(EI_NODE).operators[0].variables.items() if v in STATES}
    return {f"{PING}/{s}": d[s] * (1 + perturbation * rng.uniform(-1, 1, n_regions)) for s in STATES}


@dataclass
class LyapunovScan:
    """Lyapunov exponents against ``I_ext_e``.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per drive: ``I_ext_e``, ``lambda_1..k`` (1/ms) of the network, ``spread`` (largest spread of
        the running estimates over the last quarter of the run: their convergence), and ``hom_lambda_1..k``
        of the homogeneous node (if computed).
    spectra : list of LyapunovSpectrum
        The network's spectra (with their convergence histories).
    """

    eps: float
    table: pd.DataFrame
    spectra: list = field(repr=False)
    settings: dict = field(default_factory=dict)

    @property
    def k(self) -> int:
        return sum(c.startswith("lambda_") for c in self.table.columns)

    def chaotic(self, threshold: float | None = None) -> np.ndarray:
        """Drives where the largest exponent exceeds ``threshold`` (default: three times its spread, at least
        1e-3 / ms)."""
        t = self.table
        thr = np.maximum(3 * t["spread"], 1e-3) if threshold is None else threshold
        return t.loc[t["lambda_1"] > thr, "I_ext_e"].to_numpy()

    def plot(self, ax=None):
        """The network's exponents against I_ext_e (and the homogeneous node's largest, dashed)."""
        import matplotlib.pyplot as plt
        ax = ax or plt.subplots(figsize=(6.5, 4))[1]
        t = self.table
        for j in range(self.k):
            ax.errorbar(t["I_ext_e"], t[f"lambda_{j + 1}"], yerr=t["spread"] if j == 0 else None, marker="o",
                        ms=3, lw=1, capsize=2, label=f"network lambda_{j + 1}")
        if "hom_lambda_1" in t:
            ax.plot(t["I_ext_e"], t["hom_lambda_1"], "k--", lw=1, marker=".", label="homogeneous node lambda_1")
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_xlabel("I_ext_e")
        ax.set_ylabel("Lyapunov exponent (1/ms)")
        ax.set_title(f"eps = {self.eps:g}: largest Lyapunov exponents", fontsize=9)
        ax.legend(fontsize=7)
        return ax

    def __repr__(self) -> str:
        t = self.table
        return (f"<LyapunovScan eps = {self.eps:g}, {len(t)} drives in [{t['I_ext_e'].min():g}, "
                f"{t['I_ext_e'].max():g}], k = {self.k}: lambda_1 in [{t['lambda_1'].min():.3g}, "
                f"{t['lambda_1'].max():.3g}] /ms, chaotic at {np.round(self.chaotic(), 3).tolist()}>")


def network_lyapunov(connectome, eps: float = 10.0, I_values=(4.0, 6.0, 8.0, 10.0, 12.0, 14.0), k: int = 3,
                     simulation_time: float = 2000.0, transient: float = 1000.0, step_size: float = 0.01,
                     perturbation: float = 0.01, seed: int = 0, homogeneous: bool = True,
                     **params) -> LyapunovScan:
    """The ``k`` largest Lyapunov exponents of the E/I network (and of its homogeneous node) for each drive.

    Parameters
    ----------
    connectome : Connectome
        Rows are normalised (self-connections removed) unless they already sum to 1.
    eps : float
        Global coupling.
    I_values : sequence of float
        Drives ``I_ext_e``.
    k : int
        Number of exponents.
    simulation_time, transient, step_size : float
        Averaging time after the transient, and the RK4 step (ms); see
        :func:`neurodyn.analysis.lyapunov_spectrum` (whose ``align`` default, a tenth of the averaging time,
        is kept).
    perturbation, seed : float, int
        Relative random perturbation of the homogeneous initial state (:func:`network_initial_state`).
    homogeneous : bool
        Also compute the exponents of the self-coupled node (its 6 states; ``min(k, 6)`` exponents).
    params : further ``ei_ping_op`` parameters by short name.
    """
    if not isinstance(connectome, Connectome):
        from neurodyn.network import load_connectome
        connectome = load_connectome(connectome)
    I_values = np.atleast_1d(np.asarray(I_values, dtype=float))
    if I_values.ndim != 1 or I_values.size == 0 or not np.all(np.isfinite(I_values)):
        raise InputError(f"I_values must be a non-empty 1-d sequence of finite drives, got {I_values!r}")
    net = ei_network(connectome)
    init = network_initial_state(connectome.n_regions, perturbation, seed)
    hom = homogeneous_node(EI_NODE, COUPLING) if homogeneous else None
    kh = min(int(k), len(STATES))
    rows, spectra = [], []
    for I in I_values:
        p = {f"{PING}/{kk}": float(v) for kk, v in dict(params, eps=eps, I_ext_e=float(I)).items()}
        sp = lyapunov_spectrum(net, k, simulation_time, step_size, transient=transient, params=p,
                               initial_state=init, seed=seed)
        spectra.append(sp)
        row = {"I_ext_e": float(I), **{f"lambda_{j + 1}": float(x) for j, x in enumerate(sp.exponents)},
               "spread": float(np.max(sp.spread))}
        if hom is not None:
            ph = {f"node/{kk}": v for kk, v in p.items()}
            sh = lyapunov_spectrum(hom, kh, simulation_time, step_size, transient=transient, params=ph, seed=seed)
            row.update({f"hom_lambda_{j + 1}": float(x) for j, x in enumerate(sh.exponents)})
        rows.append(row)
    return LyapunovScan(float(eps), pd.DataFrame(rows), spectra,
                        dict(k=k, simulation_time=simulation_time, transient=transient, step_size=step_size,
                             perturbation=perturbation, seed=seed, **params))
