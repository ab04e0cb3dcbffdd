"""Result types of continuation: :class:`Branch` (a curve of equilibria, fold points or Hopf points with a
pandas table of its points), :class:`SpecialPoint` (a located bifurcation with its data) and the bifurcation
diagram plot."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from neurodyn.analysis.continuation import StopInfo

__all__ = ["Branch", "SpecialPoint", "SHORT_NAMES"]

#: short labels used in plots and reprs (MatCont's conventions)
SHORT_NAMES = {"fold": "LP", "branch_point": "BP", "hopf": "H", "cusp": "CP", "bogdanov_takens": "BT",
               "bautin": "GH", "zero_hopf": "ZH", "double_hopf": "HH", "start": "", "end": ""}

_CURVE_NAMES = {"equilibrium": "equilibria", "fold": "fold points", "hopf": "Hopf points"}


def _n_unstable(ev, tol=1e-9) -> int:
    ev = np.asarray(ev)
    scale = max(1.0, float(np.max(np.abs(ev)))) if ev.size else 1.0
    return int(np.sum(ev.real > tol * scale))


@dataclass(repr=False, eq=False)
class SpecialPoint:
    """A special point of a branch: fold ('fold', LP), branch point ('branch_point', BP), Hopf ('hopf', H) on
    branches of equilibria; cusp, Bogdanov-Takens, Bautin (generalised Hopf), zero-Hopf and double Hopf on
    curves of folds and Hopf points.

    Attributes
    ----------
    kind : str
    index : int
        Row of the point in ``branch.points``.
    parameters : dict
        Values of the continuation parameter(s) at the point.
    x : ndarray
        The equilibrium (coordinates ``labels``).
    eigenvalues : ndarray
    data : dict
        Hopf: ``omega`` (angular frequency, rad per model time unit), ``frequency`` (omega / 2 pi),
        ``l1`` (first Lyapunov coefficient) and ``criticality``; fold: ``a`` (normal-form coefficient);
        Bogdanov-Takens: ``a``, ``b``; zero-Hopf, double Hopf: ``omega`` (and ``omega2``).
    located : bool
        False if the location did not converge (the point is then the nearer end of the step).
    system, params, context :
        The system, the fixed parameters and how the branch was computed (parameter, interval, bounds,
        settings): what :func:`~neurodyn.analysis.fold_curve`, :func:`~neurodyn.analysis.hopf_curve` and
        :func:`~neurodyn.analysis.switch_branch` start from.
    tangent : ndarray
        Tangent of the branch at the point (original coordinates).
    """

    kind: str
    index: int
    parameters: dict
    x: np.ndarray
    labels: list
    eigenvalues: np.ndarray
    data: dict = field(default_factory=dict)
    located: bool = True
    system: object = None
    params: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    tangent: np.ndarray | None = None

    @property
    def short(self) -> str:
        return SHORT_NAMES.get(self.kind, self.kind)

    @property
    def all_params(self) -> dict:
        """Every parameter set at the point: the fixed ones and the continuation parameters."""
        return {**self.params, **self.parameters}

    def __getitem__(self, key: str):
        if key in self.parameters:
            return self.parameters[key]
        if key in self.labels:
            return float(self.x[self.labels.index(key)])
        if key in self.data:
            return self.data[key]
        from neurodyn.errors import AnalysisError, close_matches
        raise AnalysisError(f"special point has no {key!r}; "
                            f"{close_matches(key, list(self.parameters) + self.labels + list(self.data))}")

    def describe(self) -> str:
        at = ", ".join(f"{k.split('/')[-1]} = {v:.6g}" for k, v in self.parameters.items())
        extra = []
        if self.kind == "hopf":
            extra.append(f"{self.data.get('criticality', '?')}, l1 = {self.data.get('l1', np.nan):.4g}, "
                         f"omega = {self.data.get('omega', np.nan):.4g}")
        elif self.kind == "fold" and "a" in self.data:
            extra.append(f"a = {self.data['a']:.4g}")
        elif self.kind == "bogdanov_takens":
            extra.append(f"a = {self.data.get('a', np.nan):.4g}, b = {self.data.get('b', np.nan):.4g}")
        elif "omega" in self.data:
            extra.append(f"omega = {self.data['omega']:.4g}")
        if not self.located:
            extra.append("not located to tolerance")
        return f"{self.kind} ({self.short}) at {at}" + (f" [{'; '.join(extra)}]" if extra else "")

    def __repr__(self) -> str:
        return f"<SpecialPoint {self.describe()}>"


@dataclass(repr=False, eq=False)
class Branch:
    """A continued curve: equilibria in one parameter (``kind='equilibrium'``), or fold or Hopf points in two
    (``kind='fold'`` / ``'hopf'``).

    Attributes
    ----------
    parameters : tuple of str
        The continuation parameter(s); ``parameter`` is the first.
    points : DataFrame
        One row per point in order along the curve: the parameter(s), the states (``labels``), ``n_unstable``
        (eigenvalues with positive real part), ``stable``, ``max_re``, ``stability`` (see
        :func:`~neurodyn.analysis.classify`), ``special`` (kind of a special point, or ''), and for curves
        ``a`` (folds) or ``omega``, ``frequency``, ``l1``, ``neutral_saddle`` (Hopf curves).
    eigenvalues : ndarray (n_points, n)
    special_points : list of SpecialPoint
    stops : list of StopInfo
        Why each end traced stopped (one for a branch traced in one direction, two for both directions:
        first the start of the table, then its end).
    """

    kind: str
    parameters: tuple
    labels: list
    points: pd.DataFrame
    eigenvalues: np.ndarray
    special_points: list
    stops: list
    system: object = None
    params: dict = field(default_factory=dict)
    _bifurcations: pd.DataFrame | None = field(default=None, init=False)

    @property
    def parameter(self) -> str:
        return self.parameters[0]

    @property
    def stop(self) -> StopInfo:
        """Why the curve ended (at the end of the table)."""
        return self.stops[-1]

    @property
    def complete(self) -> bool:
        """True if every traced end stopped where it should (interval end, bounds, closed curve)."""
        return all(s.complete for s in self.stops)

    def special(self, kind: str | None = None) -> list:
        """The special points, or those of one kind ('fold', 'hopf', 'branch_point', 'cusp', ...)."""
        return [p for p in self.special_points if kind is None or p.kind == kind]

    @property
    def bifurcations(self) -> pd.DataFrame:
        """One row per special point: ``type``, the parameter(s), the states, ``omega`` (Hopf; rad per
        model time unit), ``frequency``, ``l1``, ``criticality``, ``a``, ``b``, ``located``, ``index`` (row in
        ``points``). Built once and kept (columns you add stay)."""
        if self._bifurcations is None:
            self._bifurcations = self._bifurcation_table()
        return self._bifurcations

    def _bifurcation_table(self) -> pd.DataFrame:
        rows = []
        for p in self.special_points:
            row = {"type": p.kind, **p.parameters, **dict(zip(self.labels, p.x.tolist()))}
            row["omega"] = p.data.get("omega", 0.0 if p.kind in ("fold", "branch_point", "cusp") else np.nan)
            for k, v in p.data.items():
                if k != "omega":
                    row[k] = v
            if "omega" in p.data:
                row["frequency"] = p.data["omega"] / (2 * np.pi)
            row["located"] = p.located
            row["index"] = p.index
            rows.append(row)
        cols = ["type", *self.parameters, *self.labels, "omega"]
        return pd.DataFrame(rows, columns=None if rows else cols)

    def __len__(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        name = _CURVE_NAMES.get(self.kind, self.kind)
        ps = " and ".join(repr(p) for p in self.parameters)
        lo = ", ".join(f"{self.points[p].min():.6g}..{self.points[p].max():.6g}" for p in self.parameters)
        lines = [f"<Branch of {name} in {ps}: {len(self.points)} points over {lo}"]
        if self.kind == "equilibrium" and len(self.points):
            st = self.points["stable"].to_numpy()
            lines.append(f"  stable at {int(st.sum())} of {len(st)} points")
        if self.special_points:
            lines.append("  special points:")
            lines += [f"    {p.describe()}" for p in self.special_points]
        else:
            lines.append("  no special points")
        for s in self.stops:
            lines.append(f"  stop ({s.reason}): {s}")
        return "\n".join(lines) + ">"

    # ---------------------------------------------------------------------------------------- plot
    def plot(self, y: str | None = None, x: str | None = None, ax=None, color="k", label: str | None = None,
             annotate: bool = True):
        """Bifurcation diagram: ``y`` against ``x`` (default: the parameter against the first state for
        equilibria, the two parameters for curves); stable parts solid, unstable dashed, special points
        marked and labelled (LP, BP, H, CP, BT, GH, ZH, HH).

        Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        pts = self.points
        if x is None:
            x = self.parameters[0]
        if y is None:
            y = self.parameters[1] if len(self.parameters) > 1 else self.labels[0]
        for col in (x, y):
            if col not in pts.columns:
                from neurodyn.errors import AnalysisError, close_matches
                raise AnalysisError(f"no column {col!r} in the branch; {close_matches(col, pts.columns)}")
        X, Y = pts[x].to_numpy(), pts[y].to_numpy()
        if self.kind == "equilibrium":
            st = pts["stable"].to_numpy()
            # a segment is stable if both ends are (special points sit on the boundary of both styles)
            seg_st = st[:-1] & st[1:]
            for flag, ls in ((True, "-"), (False, "--")):
                idx = np.flatnonzero(seg_st == flag)
                if not idx.size:
                    continue
                runs = np.split(idx, np.flatnonzero(np.diff(idx) != 1) + 1)
                Xs = np.concatenate([np.append(X[r[0]:r[-1] + 2], np.nan) for r in runs])
                Ys = np.concatenate([np.append(Y[r[0]:r[-1] + 2], np.nan) for r in runs])
                ax.plot(Xs, Ys, ls, color=color, lw=1.5 if flag else 1.0,
                        label=f"{label + ' ' if label else ''}{'stable' if flag else 'unstable'}")
        else:
            ax.plot(X, Y, "-", color=color, lw=1.2, label=label or f"{self.kind} curve")
        if annotate:
            for p in self.special_points:
                px, py = pts[x].iloc[p.index], pts[y].iloc[p.index]
                ax.plot(px, py, "o", ms=5, color="tab:red" if p.kind in ("hopf", "bautin", "double_hopf")
                        else "tab:blue", zorder=5)
                ax.annotate(p.short, (px, py), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        return ax


def build_branch(kind, parameters, labels, problem, records, stops, system, params, specials_context=None):
    """Assemble a :class:`Branch` from traced records (see :func:`neurodyn.analysis.continuation.trace`)."""
    from neurodyn.analysis.fixed_points import classify
    n = len(labels)
    m = len(parameters)
    Y = np.array([r.y for r in records])
    ev = np.array([r.eigenvalues for r in records])
    df = pd.DataFrame(Y[:, n:n + m], columns=list(parameters))
    for i, lab in enumerate(labels):
        df[lab] = Y[:, i]
    nun = [_n_unstable(e) for e in ev]
    df["n_unstable"] = nun
    df["stable"] = [k == 0 for k in nun]
    df["max_re"] = [float(np.max(e.real)) for e in ev]
    df["stability"] = [classify(e) for e in ev]
    df["special"] = [r.special for r in records]
    if hasattr(problem, "columns"):
        extra = [problem.columns(r.y, r.tests, r.eigenvalues) for r in records]
        for k in (extra[0] if extra else {}):
            df[k] = [e[k] for e in extra]
    sps = []
    for i, r in enumerate(records):
        if not r.special:
            continue
        sps.append(SpecialPoint(r.special, i, dict(zip(parameters, r.y[n:n + m].tolist())), r.y[:n].copy(),
                                list(labels), r.eigenvalues.copy(), dict(r.data), r.located, system, dict(params),
                                dict(specials_context or {}), r.t.copy()))
    return Branch(kind, tuple(parameters), list(labels), df, ev, sps, list(stops), system, dict(params))
