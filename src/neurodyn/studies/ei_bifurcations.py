"""Paper study (a): the bifurcation diagram of the homogeneous E/I node in the drive ``I_ext_e`` for several
global couplings ``eps`` (Delicado, Huguet & Clusella 2025, REFERENCE sections 3 and 5).

With row-normalised connectivity the synchronous state of the network obeys one self-coupled node,
``J_ee -> J_ee + eps`` and ``J_ie -> J_ie + eps`` (:func:`neurodyn.analysis.homogeneous_system`). For each ``eps``
this module follows its equilibria in ``I_ext_e`` (:func:`~neurodyn.analysis.continuation`: folds, Hopf points
with their first Lyapunov coefficient), the PING limit cycles born at the Hopf points
(:func:`~neurodyn.analysis.continue_cycles`, orthogonal collocation: period, min/max of every state, Floquet
multipliers, folds of cycles, period doubling and Neimark-Sacker points) and, up to ``doubling_depth``
generations, the period-doubled branches that leave the period-doubling points. A doubled branch usually joins
two period-doubling points of its base branch (the cascade opens and closes again as the drive grows).

Examples
--------
>>> from neurodyn.studies.ei_bifurcations import ei_bifurcation_diagram
>>> d = ei_bifurcation_diagram(eps=(10.0,), I_range=(0.0, 20.0), doubling_depth=0)
>>> d.hopf_points[["eps", "I_ext_e"]].round(3).values.tolist()
[[10.0, 3.537], [10.0, 13.663]]
>>> d.cycle_bifurcations[["type", "I_ext_e"]].round(3).values.tolist()
[['period_doubling', 8.907], ['period_doubling', 11.547]]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neurodyn.analysis import (AnalysisError, Branch, CycleBranch, SymbolicSystem, continuation, continue_cycles,
                               find_fixed_points, homogeneous_system)
from neurodyn.errors import InputError
from neurodyn.studies._common import EI_NODE, PING
from neurodyn.studies.whole_brain import COUPLING

__all__ = ["EIBifurcationDiagram", "CycleFamily", "homogeneous_ei_system", "ei_bifurcation_diagram",
           "HOM_DRIVE", "hom_path"]

#: The drive as a parameter path of the homogeneous node.
HOM_DRIVE = f"node/{PING}/I_ext_e"
STATES = ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")


def hom_path(name: str) -> str:
    """``'v_e'`` -> ``'node/ei_ping_op/v_e'`` (a state or parameter of the homogeneous node)."""
    return f"node/{PING}/{name}"


def homogeneous_ei_system(eps: float, **params) -> SymbolicSystem:
    """The self-coupled E/I node that the synchronous state of any row-normalised network obeys
    (``J_ee + eps``, ``J_ie + eps``); ``params`` are further ``ei_ping_op`` parameters by short name."""
    p = {f"{PING}/{k}": float(v) for k, v in dict(params, eps=eps).items()}
    return homogeneous_system(EI_NODE, COUPLING, p)


@dataclass
class CycleFamily:
    """One branch of periodic orbits of the diagram: ``generation`` 0 for cycles born at a Hopf point, g for
    the branch after g period doublings (period ~2^g times the base period); ``origin`` says where it
    started."""

    eps: float
    generation: int
    origin: str
    branch: CycleBranch = field(repr=False)

    @property
    def points(self) -> pd.DataFrame:
        """The branch's orbits: ``I_ext_e``, ``period``, ``stable``, ``n_unstable``, ``min <state>``, ``max <state>``
        (short state names)."""
        df = self.branch.points.rename(columns=lambda c: c.replace(f"node/{PING}/", ""))
        return df

    def __repr__(self) -> str:
        b = self.branch
        return (f"<CycleFamily eps = {self.eps:g}, generation {self.generation} ({self.origin}): {len(b.orbits)} "
                f"orbits, {[x.type for x in b.bifurcations]}, stopped: {b.stop_reason}>")


@dataclass
class EIBifurcationDiagram:
    """Equilibria and cycles of the homogeneous E/I node in ``I_ext_e`` for several ``eps``.

    Attributes
    ----------
    eps : tuple of float
    I_range : (float, float)
    equilibria : dict eps -> Branch
        The branch of equilibria (stability, folds, Hopf points with ``l1``).
    cycles : dict eps -> list of CycleFamily
        The cycle branches from every Hopf point not already reached, and the doubled branches.
    """

    eps: tuple
    I_range: tuple
    equilibria: dict
    cycles: dict
    params: dict = field(default_factory=dict)

    @property
    def hopf_points(self) -> pd.DataFrame:
        """One row per Hopf point: eps, I_ext_e, frequency (Hz), l1, criticality, v_e, r_e."""
        rows = []
        for e, b in self.equilibria.items():
            for h in b.special("hopf"):
                rows.append({"eps": e, "I_ext_e": h[HOM_DRIVE], "frequency_hz": h["frequency"] * 1e3,
                             "l1": h["l1"], "criticality": h["criticality"], "v_e": h[hom_path("v_e")],
                             "r_e": h[hom_path("r_e")]})
        return pd.DataFrame(rows, columns=["eps", "I_ext_e", "frequency_hz", "l1", "criticality", "v_e", "r_e"])

    @property
    def folds(self) -> pd.DataFrame:
        """Folds (saddle-nodes) of equilibria: eps, I_ext_e, v_e."""
        rows = [{"eps": e, "I_ext_e": f[HOM_DRIVE], "v_e": f[hom_path("v_e")]}
                for e, b in self.equilibria.items() for f in b.special("fold")]
        return pd.DataFrame(rows, columns=["eps", "I_ext_e", "v_e"])

    @property
    def cycle_bifurcations(self) -> pd.DataFrame:
        """Bifurcations of cycles: eps, generation, type ('fold', 'period_doubling', 'neimark_sacker',
        'branch_point'), I_ext_e, period (ms), multiplier; sorted by eps, generation and I_ext_e."""
        rows = []
        for e, fams in self.cycles.items():
            for fam in fams:
                for x in fam.branch.bifurcations:
                    rows.append({"eps": e, "generation": fam.generation, "type": x.type, "I_ext_e": x.value,
                                 "period": x.period, "multiplier": x.multiplier})
        df = pd.DataFrame(rows, columns=["eps", "generation", "type", "I_ext_e", "period", "multiplier"])
        return df.sort_values(["eps", "generation", "I_ext_e"], kind="stable").reset_index(drop=True)

    def period_doubling_points(self, eps: float, generation: int = 0) -> np.ndarray:
        """I_ext_e of the period-doubling points on the branches of one generation at one eps."""
        df = self.cycle_bifurcations
        sel = (df["eps"] == eps) & (df["generation"] == generation) & (df["type"] == "period_doubling")
        return np.sort(df.loc[sel, "I_ext_e"].to_numpy())

    @property
    def summary(self) -> pd.DataFrame:
        """Per eps: Hopf points, folds of equilibria, and the cycle bifurcations by kind."""
        rows = []
        hp, cb = self.hopf_points, self.cycle_bifurcations
        for e in self.eps:
            c = cb[cb["eps"] == e]
            rows.append({"eps": e,
                         "hopf": np.round(hp.loc[hp["eps"] == e, "I_ext_e"].to_numpy(), 4).tolist(),
                         "folds": np.round(self.folds.loc[self.folds["eps"] == e, "I_ext_e"].to_numpy(), 4).tolist(),
                         **{k: np.round(c.loc[c["type"] == k, "I_ext_e"].to_numpy(), 4).tolist()
                            for k in ("period_doubling", "fold", "neimark_sacker")},
                         "cycle_branches": len(self.cycles[e])})
        return pd.DataFrame(rows).rename(columns={"fold": "cycle_folds"})

    def plot(self, variable: str = "v_e", axes=None, frequency: bool = True, zoom: bool = True):
        """Top row, one panel per eps: equilibria (stable solid, unstable dashed), the min and max of ``variable``
        on every cycle branch (stable solid, unstable dotted; one colour per generation of period doubling), Hopf
        points (H), folds (LP), folds of cycles (LPC), period doubling (PD), Neimark-Sacker (NS). Bottom row (if
        ``frequency``): the cycles' frequency 1000 / period (Hz; period-2^g orbits at 2^g times theirs).
        ``zoom``: each panel ends a little beyond its last Hopf point or cycle (else the whole I_range).
        Returns the figure."""
        import matplotlib.pyplot as plt
        if variable not in STATES:
            raise InputError(f"variable must be one of {STATES}, got {variable!r}")
        n = len(self.eps)
        rows = 2 if frequency else 1
        if axes is None:
            fig, axes = plt.subplots(rows, n, figsize=(4.0 * n, 3.3 * rows), squeeze=False)
        else:
            axes = np.asarray(axes, dtype=object).reshape(rows, n)
            fig = axes[0, 0].figure
        y = hom_path(variable)
        marks = {"fold": ("s", "LPC"), "period_doubling": ("D", "PD"), "neimark_sacker": ("^", "NS"),
                 "branch_point": ("x", "BP")}
        colours = ["tab:blue", "tab:purple", "tab:red", "tab:brown"]
        for j, e in enumerate(self.eps):
            ax = axes[0, j]
            pts = self.equilibria[e].points
            for stable, ls in ((True, "-"), (False, "--")):
                ax.plot(pts[HOM_DRIVE], np.where(pts["stable"] == stable, pts[y], np.nan), "k" + ls, lw=1.2,
                        label=("stable" if stable else "unstable") + " equilibria")
            for fam in self.cycles[e]:
                c = colours[min(fam.generation, len(colours) - 1)]
                p = fam.branch.points
                for stable, ls in ((True, "-"), (False, ":")):
                    for which in ("min", "max"):
                        ax.plot(p[HOM_DRIVE], np.where(p["stable"] == stable, p[f"{which} {y}"], np.nan), ls,
                                color=c, lw=1.2,
                                label=(f"{2 ** fam.generation}T cycles, {'stable' if stable else 'unstable'} "
                                       f"(min, max)") if which == "max" else None)
                    if frequency:
                        axes[1, j].plot(p[HOM_DRIVE], np.where(p["stable"] == stable,
                                                               1e3 * 2 ** fam.generation / p["period"], np.nan),
                                        ls, color=c, lw=1.2)
                for x in fam.branch.bifurcations:
                    m, lab = marks[x.type]
                    vals = x.orbit[y]
                    for v in (vals.min(), vals.max()):
                        ax.plot(x.value, v, m, color=c, ms=5, mfc="w")
                    ax.annotate(lab, (x.value, vals.max()), fontsize=6, textcoords="offset points", xytext=(2, 3))
                    if frequency:
                        axes[1, j].plot(x.value, 1e3 * 2 ** fam.generation / x.period, m, color=c, ms=5, mfc="w")
            for h in self.equilibria[e].special("hopf"):
                ax.plot(h[HOM_DRIVE], h[y], "o", color="tab:orange", ms=6, zorder=5)
                ax.annotate("H", (h[HOM_DRIVE], h[y]), fontsize=7, textcoords="offset points", xytext=(3, -10))
                if frequency:
                    axes[1, j].plot(h[HOM_DRIVE], h["frequency"] * 1e3, "o", color="tab:orange", ms=6)
            for f in self.equilibria[e].special("fold"):
                ax.plot(f[HOM_DRIVE], f[y], "s", color="k", ms=4)
                ax.annotate("LP", (f[HOM_DRIVE], f[y]), fontsize=7, textcoords="offset points", xytext=(3, 3))
            xlim = self._xlim(e) if zoom else self.I_range
            ax.set_xlim(*xlim)
            ax.set_ylabel(variable)
            ax.set_title(f"homogeneous node, eps = {e:g}", fontsize=9)
            if frequency:
                a1 = axes[1, j]
                a1.set_xlim(*xlim)
                a1.axhspan(30, 80, color="0.92", zorder=0)
                a1.set_xlabel("I_ext_e")
                a1.set_ylabel("frequency (Hz) of the base cycle")
            else:
                ax.set_xlabel("I_ext_e")
        handles, labels = [], []
        for ax in axes[0]:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=min(len(labels), 4),
                   bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.04 * (4 if rows == 1 else 2.5) / rows, 1, 1))
        return fig

    def _xlim(self, e: float) -> tuple:
        lo, hi = self.I_range
        xs = [h[HOM_DRIVE] for h in self.equilibria[e].special("hopf")]
        xs += [f[HOM_DRIVE] for f in self.equilibria[e].special("fold")]
        xs += [v for fam in self.cycles[e] for v in fam.branch.points[HOM_DRIVE]]
        if not xs:
            return lo, hi
        top = max(xs)
        return lo, min(hi, top + 0.15 * (top - lo))

    def __repr__(self) -> str:
        hp = self.hopf_points
        cb = self.cycle_bifurcations
        parts = [f"eps = {e:g}: Hopf at {np.round(hp.loc[hp['eps'] == e, 'I_ext_e'].to_numpy(), 3).tolist()}, "
                 f"{len(cb[(cb['eps'] == e) & (cb['type'] == 'period_doubling')])} period doublings, "
                 f"{len(cb[(cb['eps'] == e) & (cb['type'] == 'fold')])} folds of cycles" for e in self.eps]
        return "<EIBifurcationDiagram in I_ext_e " + f"{self.I_range}:\n  " + "\n  ".join(parts) + ">"


def _low_equilibrium(s: SymbolicSystem, I0: float):
    bounds = {hom_path("r_e"): (1e-9, 2.0), hom_path("r_i"): (1e-9, 2.0)}
    fps = find_fixed_points(s, params={HOM_DRIVE: I0}, bounds=bounds, n_random=60)
    if not fps:
        raise AnalysisError(f"no equilibrium with positive rates at I_ext_e = {I0}: start the diagram at another "
                            f"I_range[0]")
    return min(fps, key=lambda fp: fp[hom_path("r_e")])


def _reached(value: float, ends: list, tol: float) -> bool:
    return any(abs(value - v) <= tol for v in ends)


def ei_bifurcation_diagram(eps=(0.0, 5.0, 12.0, 20.0), I_range=(-5.0, 80.0), doubling_depth: int = 1, *,
                           max_steps: int = 300, ds_max: float = 0.5, max_period: float = 300.0,
                           **params) -> EIBifurcationDiagram:
    """The bifurcation diagram of the homogeneous E/I node in ``I_ext_e`` for each ``eps``.

    Parameters
    ----------
    eps : sequence of float
        Global couplings (the self-coupled node has ``J_ee + eps``, ``J_ie + eps``).
    I_range : (low, high)
        Interval of the drive; the equilibria are followed from the lowest-rate equilibrium at ``low``.
    doubling_depth : int
        Generations of period-doubled branches to follow (0: only the cycles born at Hopf points; 1: also the
        period-2 branches leaving their period-doubling points; ...). A doubled branch that joins two
        period-doubling points is started from the first of them only.
    max_steps, ds_max, max_period : passed to :func:`~neurodyn.analysis.continue_cycles` (``max_period`` in ms:
        the branch stops there, e.g. on the approach to a homoclinic orbit).
    params : further ``ei_ping_op`` parameters by short name (e.g. ``J_ee=0``).

    Returns
    -------
    EIBifurcationDiagram
    """
    eps = tuple(float(e) for e in np.atleast_1d(eps))
    try:
        lo, hi = sorted(float(v) for v in I_range)
    except (TypeError, ValueError):
        raise InputError(f"I_range must be (low, high), got {I_range!r}") from None
    if not lo < hi:
        raise InputError(f"I_range needs low < high, got {I_range!r}")
    if int(doubling_depth) != doubling_depth or doubling_depth < 0:
        raise InputError(f"doubling_depth must be a non-negative integer, got {doubling_depth!r}")
    kw = dict(max_steps=max_steps, ds_max=ds_max, max_period=max_period)
    equilibria, cycles = {}, {}
    for e in eps:
        s = homogeneous_ei_system(e, **params)
        eq: Branch = continuation(s, HOM_DRIVE, _low_equilibrium(s, lo), lo, hi)
        equilibria[e] = eq
        fams: list = []
        tol = 1e-3 * max(1.0, hi - lo)
        ends: list = []
        for _, h in eq.bifurcations[eq.bifurcations["type"] == "hopf"].iterrows():
            if _reached(float(h[HOM_DRIVE]), ends, tol):
                continue                                  # the branch from an earlier Hopf point ends here
            br = continue_cycles(s, HOM_DRIVE, h, (lo, hi), **kw)
            fams.append(CycleFamily(e, 0, f"Hopf point at I_ext_e = {h[HOM_DRIVE]:.6g}", br))
            if br.stop_reason == "amplitude":
                ends.append(br.stopped_at)
        frontier = list(fams)
        for g in range(1, int(doubling_depth) + 1):
            nxt = []
            for fam in frontier:
                pd_ends: list = []
                for x in fam.branch.bifurcations:
                    if x.type != "period_doubling" or _reached(x.value, pd_ends, tol):
                        continue
                    br = continue_cycles(s, HOM_DRIVE, x, (lo, hi), **kw)
                    new = CycleFamily(e, g, f"period doubling at I_ext_e = {x.value:.6g} (generation {g - 1})", br)
                    nxt.append(new)
                    if br.stop_reason == "period_doubling":
                        pd_ends.append(br.stopped_at)
            fams += nxt
            frontier = nxt
        cycles[e] = fams
    return EIBifurcationDiagram(eps, (lo, hi), equilibria, cycles, dict(params))
