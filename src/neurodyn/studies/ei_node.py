"""Story (b): the next-generation E/I node with synapses (``ei_ping``): rates, fixed points and their
stability, the Hopf bifurcations in the drive ``I_ext_e``, and the gamma rhythm of the PING limit cycle.

Equations (Delicado, Huguet & Clusella 2025; time in ms, rates in 1/ms, so 1/ms = 1000 Hz)::

    tau_e dr_e/dt = Delta_e/(pi tau_e) + 2 r_e v_e
    tau_e dv_e/dt = v_e^2 + nu_e - (pi tau_e r_e)^2 + I_ext_e + tau_e (J_ee s_e - J_ei s_i + eps s_net)
    tau_se ds_e/dt = -s_e + r_e          (and the same for the I population with J_ie, J_ii, tau_si)

For the isolated node (eps = 0) the fixed point loses stability in a Hopf bifurcation at I_ext_e ~ 6 (frequency
~27 Hz) and regains it at I_ext_e ~ 66; in between the node oscillates (PING: E excites I, I silences E), in the
gamma band (30-80 Hz) for moderate drive (e.g. ~47 Hz at I_ext_e = 10); the frequency grows with the drive.

Examples
--------
>>> from neurodyn.studies.ei_node import ei_fixed_points
>>> [(fp.stability, fp.n_unstable) for fp in ei_fixed_points(I_ext_e=10.0)]
[('saddle-focus', 2)]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from neurodyn._xr import xr

from neurodyn.analysis import Branch, FixedPoint, SymbolicSystem, continuation, find_fixed_points
from neurodyn.observables import dominant_frequency, power_spectrum
from neurodyn.simulate import compile_model
from neurodyn.studies._common import EI, PING, node_params

__all__ = ["EINodeResult", "ei_system", "ei_fixed_points", "ei_hopf_branch", "simulate_ei_node", "ei_node_story"]

RE, RI = f"p/{PING}/r_e", f"p/{PING}/r_i"
DRIVE = f"p/{PING}/I_ext_e"
BOUNDS = {RE: (1e-9, 2.0), RI: (1e-9, 2.0)}


def ei_system(**params) -> SymbolicSystem:
    """The symbolic E/I node; ``params`` are ei_ping_op parameters by short name (``I_ext_e=10, eps=2``)."""
    return SymbolicSystem.from_circuit(EI, params=node_params(PING, params))


def ei_fixed_points(I_ext_e: float = 10.0, **params) -> list[FixedPoint]:
    """Fixed points (positive rates) of the node with their stability."""
    return find_fixed_points(ei_system(**params), params={DRIVE: I_ext_e}, bounds=BOUNDS, n_random=60)


def ei_hopf_branch(I_range=(0.0, 100.0), ds: float | None = None, **params) -> Branch:
    """The branch of fixed points in I_ext_e (pseudo-arclength continuation) with its Hopf points;
    ``branch.bifurcations['omega']`` is in rad/ms (Hz = omega / (2 pi) * 1000, column ``frequency_hz``),
    ``branch.bifurcations['l1']`` the first Lyapunov coefficient (negative: supercritical). ``ds``: initial
    step in scaled arclength (default: the continuation default)."""
    s = ei_system(**params)
    x0 = find_fixed_points(s, params={DRIVE: I_range[0]}, bounds=BOUNDS, n_random=60)
    if not x0:
        from neurodyn.analysis import AnalysisError
        raise AnalysisError(f"no fixed point at I_ext_e = {I_range[0]}")
    b = continuation(s, DRIVE, x0[0].x, I_range[0], I_range[1], ds=ds)
    bif = b.bifurcations
    if len(bif):
        bif["frequency_hz"] = bif["omega"] / (2 * np.pi) * 1e3
    return b


def simulate_ei_node(I_ext_e: float = 10.0, duration: float = 1000.0, step_size: float = 0.01,
                     sampling_step_size: float = 0.1, transient: float = 200.0, **params) -> pd.DataFrame:
    """Rates r_e, r_i (1/ms) after ``transient`` ms; index: time in ms (RK4, from the template's initial state)."""
    model = compile_model(EI)
    p = node_params(PING, params)
    p[DRIVE] = float(I_ext_e)
    df = model.run(duration + transient, step_size, outputs={"r_e": RE, "r_i": RI}, solver="rk4",
                   sampling_step_size=sampling_step_size, params=p)
    df = df[df.index >= transient - 1e-9]
    df.index = pd.Index(df.index.to_numpy() - df.index[0], name="time")
    return df


@dataclass
class EINodeResult:
    """Traces (ms), fixed points at the drive, spectrum of r_e (Hz), dominant frequency (Hz), Hopf branch."""

    I_ext_e: float
    traces: pd.DataFrame
    fixed_points: list
    spectrum: xr.DataArray
    dominant_frequency: float
    branch: Branch | None = None
    params: dict = field(default_factory=dict)

    def plot(self, axes=None):
        """Three panels: traces, spectrum, bifurcation diagram (if the branch was computed)."""
        import matplotlib.pyplot as plt
        if axes is None:
            _, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        ax = axes[0]
        tr = self.traces[self.traces.index <= 200]
        ax.plot(tr.index, tr["r_e"] * 1e3, label="E")
        ax.plot(tr.index, tr["r_i"] * 1e3, label="I")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("rate (Hz)")
        fp = self.fixed_points[0]
        ax.set_title(f"I_ext_e = {self.I_ext_e:g}: fixed point {'stable' if fp.stable else 'unstable'} "
                     f"({fp.stability}, {fp.n_unstable} unstable eigenvalues)", fontsize=8)
        ax.legend(fontsize=8)
        ax = axes[1]
        f = self.spectrum["frequency"].values
        sel = (f > 0) & (f <= 250)
        ax.semilogy(f[sel], self.spectrum.values[sel, 0])
        ax.axvspan(30, 80, color="0.9", zorder=0, label="gamma band")
        ax.axvline(self.dominant_frequency, color="tab:red", ls="--",
                   label=f"peak {self.dominant_frequency:.1f} Hz")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("PSD of r_e")
        ax.legend(fontsize=8)
        if self.branch is not None and len(axes) > 2:
            ax = axes[2]
            pts = self.branch.points
            for stable, ls in ((True, "-"), (False, ":")):
                y = np.where(pts["stable"] == stable, pts[RE] * 1e3, np.nan)
                ax.plot(pts[DRIVE], y, "k" + ls, label="stable" if stable else "unstable")
            for _, h in self.branch.bifurcations.iterrows():
                ax.plot(h[DRIVE], h[RE] * 1e3, "o", color="tab:red")
                ax.annotate(f"Hopf\n{h['frequency_hz']:.0f} Hz", (h[DRIVE], h[RE] * 1e3), fontsize=7,
                            textcoords="offset points", xytext=(4, -22))
            if "scan" in self.params:
                sc = self.params["scan"]
                ax.fill_between(sc["I_ext_e"], sc["r_e_min"] * 1e3, sc["r_e_max"] * 1e3, color="tab:blue",
                                alpha=0.3, label="simulated r_e min-max (t > 1 s)")
            ax.set_xlabel("I_ext_e")
            ax.set_ylabel("r_e (Hz)")
            ax.legend(fontsize=7)
        return axes


def ei_node_story(I_ext_e: float = 10.0, duration: float = 2000.0, with_branch: bool = True,
                  scan=None, **params) -> EINodeResult:
    """Rates, fixed points, spectrum and (optionally) the Hopf branch and a simulated amplitude scan."""
    tr = simulate_ei_node(I_ext_e, duration, **params)
    x = tr[["r_e"]].to_xarray().to_array("region").transpose("time", "region")
    x["time"].attrs["units"] = "ms"
    psd = power_spectrum(x, time_unit="ms", nperseg=min(len(tr), 8192))
    fdom = float(dominant_frequency(x, time_unit="ms", band=(5, 500), nperseg=min(len(tr), 8192))[0])
    extra = {}
    if scan is not None:
        rows = []
        for I in scan:
            # long transient: near the second Hopf point the approach to the fixed point is slow
            d = simulate_ei_node(float(I), 200.0, transient=1000.0, **params)
            rows.append({"I_ext_e": float(I), "r_e_min": d["r_e"].min(), "r_e_max": d["r_e"].max()})
        extra["scan"] = pd.DataFrame(rows)
    return EINodeResult(float(I_ext_e), tr, ei_fixed_points(I_ext_e, **params), psd, fdom,
                        ei_hopf_branch(**params) if with_branch else None, {**params, **extra})
