"""Story (f): hubs by virtual lesions. Disconnect each region in turn (remove its rows and columns from the
connectome), recompute the functional connectivity of the remaining regions, and rank regions by how much the
FC changes; compare with node strength.

Model: the noisy whole-brain E/I network of :mod:`neurodyn.studies.whole_brain` (row-normalised weights, so the
homogeneous state, hence the operating point of every region, is the same with and without the lesion; the
lesion changes only who talks to whom). FC is computed from the linearisation around the homogeneous fixed
point (exact for weak noise, validated against simulation in story (c)): the stationary covariance of the
linear network, obtained mode by mode (:func:`neurodyn.analysis.modal_noise_covariance`), so all 90 lesions of
AAL90 take a second. ``method='simulation'`` simulates instead (slow: long runs are needed to resolve the weak
FC).

The change for lesion k is ``mean |FC_lesioned - FC_intact|`` over the pairs of remaining regions.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> rng = np.random.default_rng(0)
>>> res = virtual_lesions(Connectome(rng.random((8, 8))).without_self_connections())
>>> res.table.columns.tolist()
['label', 'strength', 'delta_fc', 'rank']
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neurodyn.analysis import network_linearisation
from neurodyn.network import Connectome
from neurodyn.observables import upper_triangle
from neurodyn.studies._common import EI_NODE, PING
from neurodyn.studies.whole_brain import (COUPLING, homogeneous_fixed_point, linear_fc_from, whole_brain)

__all__ = ["LesionResult", "virtual_lesions"]


@dataclass
class LesionResult:
    """``table``: per region its strength (raw weights, in + out), ``delta_fc`` and rank (1 = largest change);
    ``fc_intact``: FC of the intact network; ``spearman``: rank correlation of strength and delta_fc."""

    table: pd.DataFrame
    fc_intact: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def spearman(self) -> float:
        return float(self.table[["strength", "delta_fc"]].corr(method="spearman").iloc[0, 1])

    def top(self, k: int = 10) -> pd.DataFrame:
        return self.table.sort_values("rank").head(k)

    def plot(self, axes=None, k: int = 15):
        import matplotlib.pyplot as plt
        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        t = self.table
        axes[0].scatter(t["strength"], t["delta_fc"], s=12)
        for _, row in self.top(5).iterrows():
            axes[0].annotate(row["label"], (row["strength"], row["delta_fc"]), fontsize=7)
        axes[0].set_xlabel("node strength (in + out, raw weights)")
        axes[0].set_ylabel("mean |change of FC| after the lesion")
        axes[0].set_title(f"Spearman rho = {self.spearman:.2f}", fontsize=9)
        top = self.top(k)
        axes[1].barh(range(len(top))[::-1], top["delta_fc"], color="tab:red")
        axes[1].set_yticks(range(len(top))[::-1])
        axes[1].set_yticklabels(top["label"], fontsize=7)
        axes[1].set_xlabel("mean |change of FC|")
        axes[1].set_title(f"top {k} regions by lesion effect", fontsize=9)
        return axes


def virtual_lesions(connectome: Connectome, eps: float = 20.0, I_ext_e: float = 2.2, sigma: float = 0.05,
                    method: str = "linear", regions=None, **sim_kwargs) -> LesionResult:
    """Lesion each region (or those in ``regions``) and measure the change of FC.

    Parameters
    ----------
    connectome : Connectome
        Any connectome (self-connections removed; rows normalised to 1 for the model, before and after each
        lesion).
    eps, I_ext_e, sigma : float
        Operating point and noise as in :func:`~neurodyn.studies.whole_brain.whole_brain` (must be a stable
        homogeneous state for ``method='linear'``).
    method : {'linear', 'simulation'}
        FC from the linear-noise covariance (fast, exact for weak noise) or from simulations
        (``sim_kwargs`` passed to :func:`~neurodyn.studies.whole_brain.whole_brain`).
    """
    if method not in ("linear", "simulation"):
        from neurodyn.analysis import AnalysisError
        raise AnalysisError(f"method must be 'linear' or 'simulation', got {method!r}")
    conn = connectome.without_self_connections()
    n = conn.n_regions
    labels = list(conn.labels) if conn.labels is not None else [f"r{i}" for i in range(n)]
    raw = np.asarray(conn.weights)
    strength = raw.sum(axis=0) + raw.sum(axis=1)

    if method == "linear":
        fp = homogeneous_fixed_point(eps, I_ext_e)
        lin = network_linearisation(EI_NODE, COUPLING, fp.x,
                                    params={f"node/{PING}/eps": eps, f"node/{PING}/I_ext_e": I_ext_e})

        def fc_of(c: Connectome) -> np.ndarray:
            return linear_fc_from(lin, np.asarray(c.normalise("rows").weights), sigma)
    else:
        def fc_of(c: Connectome) -> np.ndarray:
            return whole_brain(c, eps=eps, I_ext_e=I_ext_e, sigma=sigma, linear_prediction=False,
                               **sim_kwargs).fc.values

    fc0 = fc_of(conn)
    idx = range(n) if regions is None else [conn.index(r) if isinstance(r, str) else int(r) for r in regions]
    delta = np.full(n, np.nan)
    for k in idx:
        keep = np.array([i for i in range(n) if i != k])
        fck = fc_of(conn.subset(keep))
        delta[k] = float(np.mean(np.abs(upper_triangle(fck) - upper_triangle(fc0[np.ix_(keep, keep)]))))
    table = pd.DataFrame({"label": labels, "strength": strength, "delta_fc": delta})
    table["rank"] = table["delta_fc"].rank(ascending=False, method="min").astype("Int64")
    table.index.name = "region"
    return LesionResult(table, fc0, dict(eps=eps, I_ext_e=I_ext_e, sigma=sigma, method=method))
