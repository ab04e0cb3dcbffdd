"""The command line's figures: labelled axes with units, one panel per quantity, few traces per panel.

- :func:`plot_frame` (``neurodyn run``): one panel per quantity (``op/var`` or output name), a line per node for
  up to :data:`MAX_LINES` nodes and an image of all nodes beyond; a complex quantity gets two panels, its
  modulus and its argument.
- :func:`plot_network` (``neurodyn brain``): a few representative regions' traces, an image of every region
  over time, and the functional connectivity, each with its own colour bar (constrained layout: nothing
  overlaps).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurodyn.cli.units import axis_label, time_label

__all__ = ["plot_frame", "plot_network", "MAX_LINES", "MAX_PANELS", "panels_of"]

#: traces drawn as lines in one panel; more nodes are drawn as an image (node x time)
MAX_LINES = 8
#: panels in one figure; further quantities are listed, not drawn
MAX_PANELS = 10


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


@dataclass
class Panel:
    """One quantity: its label, unit and one trace per member (node)."""

    label: str
    unit: str | None
    members: list = field(default_factory=list)
    traces: list = field(default_factory=list)


def panels_of(df, units: dict) -> list[Panel]:
    """Group the columns of a run by quantity: ``node/op/var`` -> ``op/var`` with one member per node,
    ``(name, node)`` -> ``name``; complex quantities become |x| and arg x."""
    panels: dict[tuple, Panel] = {}
    for label in df.columns:
        if isinstance(label, tuple):
            key, member = str(label[0]), str(label[1])
        elif str(label).count("/") >= 2:
            parts = str(label).split("/")
            key, member = "/".join(parts[-2:]), "/".join(parts[:-2])
        else:
            key, member = str(label), ""
        y = df[label].to_numpy()
        unit = units.get(label)
        parts = [(key, unit, y)] if not np.iscomplexobj(y) else [
            (f"|{key}|", unit, np.abs(y)), (f"arg {key}", "rad", np.angle(y))]
        for name, u, values in parts:
            p = panels.setdefault((name, u), Panel(name, u))
            p.members.append(member)
            p.traces.append(values)
    return list(panels.values())


def _draw_panel(fig, ax, t, panel: Panel) -> None:
    name = panel.label
    if len(panel.members) == 1 and panel.members[0]:        # one node: name it on the axis
        m = panel.members[0]
        name = f"|{m}/{name[1:-1]}|" if name.startswith("|") else (
            f"arg {m}/{name[4:]}" if name.startswith("arg ") else f"{m}/{name}")
    ylabel = axis_label(name, panel.unit)
    if len(panel.traces) <= MAX_LINES:
        for m, y in zip(panel.members, panel.traces):
            ax.plot(t, y, lw=0.9, label=m or None)
        if len(panel.traces) > 1:
            ax.legend(fontsize=7, loc="upper right", ncol=min(4, len(panel.traces)), frameon=False)
        ax.set_ylabel(ylabel, fontsize=8)
    else:
        data = np.vstack(panel.traces)
        im = ax.imshow(data, aspect="auto", origin="lower", interpolation="nearest",
                       extent=[t[0], t[-1], -0.5, data.shape[0] - 0.5], cmap="viridis")
        fig.colorbar(im, ax=ax, pad=0.01).set_label(ylabel, fontsize=8)
        ax.set_ylabel(f"node ({len(panel.traces)})", fontsize=8)
        if len(panel.members) <= 24:
            ax.set_yticks(range(len(panel.members)), panel.members, fontsize=6)


def plot_frame(df, path: str | Path, title: str, units: dict, time_unit: str | None) -> list[str]:
    """Draw a run's columns (see module docstring) into ``path``; returns the quantities not drawn."""
    plt = _pyplot()
    panels = panels_of(df, units)
    shown, left = panels[:MAX_PANELS], panels[MAX_PANELS:]
    fig = plt.figure(figsize=(9, 1.7 * len(shown) + 1.0), layout="constrained")
    axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    t = df.index.to_numpy()
    for ax, panel in zip(axes, shown):
        _draw_panel(fig, ax, t, panel)
    axes[-1].set_xlabel(time_label(time_unit))
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [p.label for p in left]


def representative_regions(x: np.ndarray, k: int = 5) -> list[int]:
    """Indices of ``k`` regions spread over the ranks of their temporal mean (lowest, quartiles, highest)."""
    n = x.shape[1]
    order = np.argsort(x.mean(axis=0), kind="stable")
    picks = np.unique(np.round(np.linspace(0, n - 1, min(k, n))).astype(int))
    return [int(order[i]) for i in picks]


def plot_network(ds, var: str, unit: str | None, time_unit: str | None, path: str | Path, title: str,
                 discard: float = 0.0) -> None:
    """Representative traces, every region over time and the FC of ``var`` (see module docstring)."""
    plt = _pyplot()
    x = ds[var].values
    x = x if not np.iscomplexobj(x) else np.abs(x)
    t = ds["time"].values
    labels = [str(v) for v in ds["label"].values]
    fig = plt.figure(figsize=(15, 4.4), layout="constrained")
    a1, a2, a3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 1.25, 1.0]})
    window = t >= max(discard, t[-1] - 0.2 * (t[-1] - t[0]))
    for r in representative_regions(x[t >= discard] if (t >= discard).sum() > 1 else x):
        a1.plot(t[window], x[window, r], lw=0.9, label=labels[r])
    a1.set(xlabel=time_label(time_unit), ylabel=axis_label(var, unit))
    a1.set_title("regions from lowest to highest mean (last 20 % of the run)", fontsize=9)
    a1.legend(fontsize=7, loc="upper right", frameon=False)
    im = a2.imshow(x.T, aspect="auto", origin="lower", interpolation="nearest", cmap="viridis",
                   extent=[t[0], t[-1], -0.5, x.shape[1] - 0.5])
    fig.colorbar(im, ax=a2, pad=0.01).set_label(axis_label(var, unit))
    a2.set(xlabel=time_label(time_unit), ylabel=f"region (of {x.shape[1]})")
    a2.set_title(f"{var} in every region", fontsize=9)
    if "fc" in ds:
        fc = np.array(ds["fc"].values, dtype=float)
        np.fill_diagonal(fc, np.nan)
        im = a3.imshow(fc, vmin=-1, vmax=1, cmap="RdBu_r", interpolation="nearest")
        fig.colorbar(im, ax=a3, pad=0.01).set_label("Pearson correlation")
        off = fc[~np.isnan(fc)]
        since = f", t >= {discard:g}" if discard else ""
        a3.set_title(f"FC of {var}{since}: mean {np.mean(off):.2f}, range [{off.min():.2f}, {off.max():.2f}]",
                     fontsize=9)
        a3.set(xlabel="region", ylabel="region")
    else:
        a3.set_axis_off()
        a3.text(0.5, 0.5, "no FC (fewer than two samples)", ha="center", va="center")
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
