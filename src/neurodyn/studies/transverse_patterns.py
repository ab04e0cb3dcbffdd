"""Paper studies (b) and (d): stability of the synchronous state of an E/I network against perturbations along
every eigenmode of its connectome (dispersion relation), and the spatiotemporal pattern that grows from it
when it is transversally unstable (Delicado, Huguet & Clusella 2025; REFERENCE section 5).

The synchronous state is an attractor of the self-coupled node (a fixed point or a PING cycle,
:func:`homogeneous_attractor`). Each eigenvalue ``Lambda`` of the row-normalised connectivity ``W`` gives a
mode ``d xi/dt = [DF(x(t)) + Lambda B(x(t))] xi``; its growth rate is the largest real part of the eigenvalues
(fixed point) or ``ln|mu| / T`` of the largest Floquet multiplier (cycle), from
:func:`neurodyn.analysis.dispersion_relation`.

:func:`transverse_pattern` tests the prediction on the full network: it starts the network on the homogeneous
state plus a perturbation ``amplitude * v_a[n] * w`` along one mode (``v_a`` the mode's eigenvector over
regions, ``w`` the leading eigenvector of its linearised dynamics), simulates it, projects the regional states
on the mode (left eigenvectors of ``W``: the homogeneous part drops out exactly) and measures the growth of
that projection while it is small. Beyond that the pattern saturates into heterogeneous dynamics.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> from neurodyn.studies.transverse_patterns import network_dispersion
>>> rng = np.random.default_rng(0)
>>> C = rng.random((8, 8)); C = C + C.T
>>> nd = network_dispersion(Connectome(C), eps=10.0, I_ext_e=8.0)        # a PING cycle, 22.1 ms
>>> nd.kind, nd.n_unstable, bool(nd.most_unstable["growth_rate"] > 0)
('cycle', 7, True)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from neurodyn._xr import xr

from neurodyn.analysis import (AnalysisError, DispersionRelation, FixedPoint, PeriodicOrbit, dispersion_relation,
                               find_cycle, find_fixed_points)
from neurodyn.errors import InputError
from neurodyn.network import BrainNetwork, Connectome
from neurodyn.studies._common import PING
from neurodyn.studies.ei_bifurcations import homogeneous_ei_system, hom_path
from neurodyn.studies.whole_brain import STATES, ei_network

__all__ = ["homogeneous_attractor", "NetworkDispersion", "network_dispersion", "TransversePattern",
           "transverse_pattern"]

KINDS = ("auto", "cycle", "fixed_point")


def _run_params(eps: float, I_ext_e: float, params: dict) -> dict:
    return {f"{PING}/{k}": float(v) for k, v in dict(params, eps=eps, I_ext_e=I_ext_e).items()}


def homogeneous_attractor(eps: float, I_ext_e: float, kind: str = "auto", *, transient: float = 1000.0,
                          period: float | None = None, **params):
    """The attractor of the synchronous state reached from the template's initial state: a
    :class:`~neurodyn.analysis.PeriodicOrbit` or a :class:`~neurodyn.analysis.FixedPoint` of the self-coupled node.

    ``kind='auto'`` integrates the node for ``transient`` + 400 ms (LSODA, analytic Jacobian) and decides by the
    last 200 ms: a steady state or a damped oscillation (its range shrinking by half in 100 ms) near a stable
    equilibrium is that equilibrium (Newton's method); a sustained oscillation is refined into a cycle by
    collocation (:func:`~neurodyn.analysis.find_cycle`). ``'cycle'`` / ``'fixed_point'`` insist on one (the
    fixed point then is the stable one, else the one with the lowest rate).
    """
    from scipy.integrate import solve_ivp
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}, got {kind!r}")
    s = homogeneous_ei_system(eps, I_ext_e=I_ext_e, **params)
    bounds = {hom_path("r_e"): (1e-9, 2.0), hom_path("r_i"): (1e-9, 2.0)}
    if kind == "fixed_point":
        fps = find_fixed_points(s, bounds=bounds, n_random=60)
        if not fps:
            raise AnalysisError(f"the homogeneous node has no equilibrium with positive rates at eps = {eps}, "
                                f"I_ext_e = {I_ext_e}")
        stable = [fp for fp in fps if fp.stable]
        return stable[0] if stable else min(fps, key=lambda fp: fp[hom_path("r_e")])
    t_end = float(transient) + 400.0
    sol = solve_ivp(lambda t, x: s.f(x), (0.0, t_end), s.x0, method="LSODA", jac=lambda t, x: s.jacobian(x),
                    rtol=1e-9, atol=1e-12, t_eval=np.arange(0.0, t_end, 0.1))
    if not sol.success:
        raise AnalysisError(f"integrating the homogeneous node failed at eps = {eps}, I_ext_e = {I_ext_e}: "
                            f"{sol.message}")
    X = sol.y.T

    def spread(a, b):
        seg = X[(sol.t >= a) & (sol.t < b)]
        return float(np.max((seg.max(axis=0) - seg.min(axis=0)) / np.maximum(np.abs(seg).max(axis=0), 1e-12)))

    late, early = spread(t_end - 100.0, t_end), spread(t_end - 200.0, t_end - 100.0)
    if late < 1e-6 or (kind == "auto" and late < 0.5 * early):          # at rest, or a damped oscillation
        fps = find_fixed_points(s, guesses=[X[-1]], n_random=0, bounds=bounds)
        near = [fp for fp in fps if fp.stable]
        if kind == "auto" and near:
            return min(near, key=lambda fp: float(np.linalg.norm(fp.x - X[-1])))
        if kind == "cycle":
            raise AnalysisError(f"the homogeneous node does not oscillate at eps = {eps}, I_ext_e = {I_ext_e} "
                                f"(it settles on a steady state); use kind='fixed_point' or 'auto'")
    keep = sol.t >= transient
    return find_cycle(s, (sol.t[keep], X[keep]), period=period)


@dataclass
class NetworkDispersion:
    """The dispersion relation of an E/I network about its synchronous state.

    Attributes
    ----------
    network : BrainNetwork
        E/I nodes on the row-normalised connectome.
    eps, I_ext_e : float
    state : PeriodicOrbit or FixedPoint
        The synchronous state (of :func:`homogeneous_attractor`).
    relation : DispersionRelation
        Growth rate of every eigenmode (``relation.table``, ``relation.curve``, ``relation.patterns``).
    """

    network: BrainNetwork
    eps: float
    I_ext_e: float
    state: object
    relation: DispersionRelation
    params: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "cycle" if isinstance(self.state, PeriodicOrbit) else "fixed point"

    @property
    def n_unstable(self) -> int:
        return self.relation.n_unstable

    @property
    def run_params(self) -> dict:
        """The parameters as for ``BrainNetwork.simulate`` (``op/var``)."""
        return _run_params(self.eps, self.I_ext_e, self.params)

    @property
    def most_unstable(self) -> dict:
        """The mode with the largest growth rate among the transverse ones (not the synchronous mode): ``index``,
        ``Lambda``, ``growth_rate`` (1/ms), ``multiplier`` (cycles) or ``eigenvalue`` (fixed points),
        ``pattern`` (Series over regions)."""
        return self.mode(self.transverse_order[0])

    @property
    def transverse_order(self) -> np.ndarray:
        """Indices of the transverse modes, by decreasing growth rate."""
        idx = np.arange(len(self.relation.eigenvalues))
        return idx[idx != self.relation.synchronous_index]

    def mode(self, index: int) -> dict:
        """Data of mode ``index`` of ``relation`` (its modes are ordered by decreasing growth rate)."""
        dr = self.relation
        L = dr.eigenvalues[index]
        out = {"index": int(index), "Lambda": L, "growth_rate": float(dr.growth_rates[index]),
               "pattern": pd.Series(dr.eigenvectors[:, index], index=pd.Index(dr.labels, name="region"))}
        ev, vec = _leading(dr.msf, L)
        out["multiplier" if dr.msf.is_cycle else "eigenvalue"] = ev
        out["direction"] = vec
        return out

    def plot(self, axes=None):
        """The dispersion relation (growth rate over Lambda with every mode), the growth rate of every mode
        against its index, and the most unstable mode's pattern on the region centres (or over regions).
        Returns the figure."""
        import matplotlib.pyplot as plt
        if axes is None:
            fig, axes = plt.subplots(1, 3, figsize=(15, 4))
        else:
            fig = axes[0].figure
        self.relation.plot(ax=axes[0])
        what = f"cycle (T = {self.state.period:.2f} ms)" if self.kind == "cycle" else "fixed point"
        axes[0].set_title(f"eps = {self.eps:g}, I_ext_e = {self.I_ext_e:g}, {what}: {self.n_unstable} unstable "
                          f"modes", fontsize=9)
        axes[0].set_ylabel("growth rate (1/ms)")
        g = self.relation.growth_rates
        axes[1].plot(np.arange(len(g)), g, ".-", lw=0.8)
        axes[1].axhline(0, color="0.6", lw=0.8)
        axes[1].set_xlabel("mode (ordered by growth rate)")
        axes[1].set_ylabel("growth rate (1/ms)")
        axes[1].set_title("growth rate of every connectome eigenmode", fontsize=9)
        m = self.most_unstable
        v = np.real(m["pattern"].to_numpy())
        c = self.network.connectome.centres
        if c is not None:
            vmax = np.abs(v).max()
            sc = axes[2].scatter(c[:, 0], c[:, 1], c=v, cmap="RdBu_r", vmin=-vmax, vmax=vmax, s=30,
                                 edgecolors="k", linewidths=0.3)
            fig.colorbar(sc, ax=axes[2], label="mode eigenvector")
            axes[2].set_xlabel("x (mm)")
            axes[2].set_ylabel("y (mm)")
            axes[2].set_aspect("equal")
        else:
            axes[2].bar(np.arange(len(v)), v)
            axes[2].set_xlabel("region")
        axes[2].set_title(f"most unstable mode: Lambda = {np.round(m['Lambda'], 4)}, growth "
                          f"{m['growth_rate']:.4f}/ms", fontsize=9)
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        m = self.most_unstable
        return (f"<NetworkDispersion eps = {self.eps:g}, I_ext_e = {self.I_ext_e:g} about a {self.kind}: "
                f"{self.n_unstable} of {len(self.relation.eigenvalues)} modes unstable, most unstable Lambda = "
                f"{np.round(m['Lambda'], 4)} (growth rate {m['growth_rate']:.4g}/ms)>")


def _leading(msf, L):
    """The leading multiplier (cycle, at the orbit's phase 0) or eigenvalue (fixed point) of mode ``L``, with its
    right eigenvector."""
    if msf.is_cycle:
        M = msf.monodromy([L])[0]
    else:
        M = msf.mode_matrix(L)
    ev, V = np.linalg.eig(M)
    key = np.abs(ev) if msf.is_cycle else ev.real
    if msf.is_cycle and abs(L - msf.synchronous_lambda) <= 1e-9:
        key = np.where(np.abs(ev - 1.0) == np.abs(ev - 1.0).min(), -np.inf, key)     # skip the trivial one
    k = int(np.argmax(key))
    return ev[k], V[:, k]


def network_dispersion(connectome, eps: float = 10.0, I_ext_e: float = 8.0, state=None, kind: str = "auto",
                       **params) -> NetworkDispersion:
    """The growth rate of every eigenmode of the row-normalised ``connectome`` about the synchronous state.

    Parameters
    ----------
    connectome : Connectome (or anything ``load_connectome`` reads)
        Self-connections are removed and rows normalised to 1 unless rows already sum to 1.
    eps, I_ext_e : float
        Global coupling and drive.
    state : PeriodicOrbit or FixedPoint, optional
        A state of the self-coupled node at these parameters (default: :func:`homogeneous_attractor`).
    kind : {'auto', 'cycle', 'fixed_point'}
        Passed to :func:`homogeneous_attractor` when ``state`` is not given.
    params : further ``ei_ping_op`` parameters by short name.
    """
    if not isinstance(connectome, Connectome):
        from neurodyn.network import load_connectome
        connectome = load_connectome(connectome)
    net = ei_network(connectome)
    if state is None:
        state = homogeneous_attractor(eps, I_ext_e, kind, **params)
    elif not isinstance(state, (PeriodicOrbit, FixedPoint)):
        raise InputError(f"state must be a PeriodicOrbit or FixedPoint of the homogeneous node, got "
                         f"{type(state).__name__}")
    dr = dispersion_relation(net, state, _run_params(eps, I_ext_e, params))
    return NetworkDispersion(net, float(eps), float(I_ext_e), state, dr, dict(params))


# ------------------------------------------------------------------------------------------------ (d)
@dataclass
class TransversePattern:
    """A perturbation along one eigenmode of the connectome, grown in a simulation of the full network.

    Attributes
    ----------
    dispersion : NetworkDispersion
    mode : dict
        The perturbed mode (see :meth:`NetworkDispersion.mode`).
    traces : xarray.Dataset
        The simulated states (time in ms, region).
    amplitude : pandas.DataFrame
        Index: time (ms; the start of every period for a cycle). ``mode``: modulus of the perturbed mode's
        projection on its leading direction, relative to its initial value; ``other_modes``: the largest norm of
        any other transverse mode's projection, relative to the same initial value.
    fit_window : (float, float)
        Times over which the growth rate is measured (the perturbation below ``linear_limit``).
    measured_growth_rate, predicted_growth_rate : float
        Slope of ``log amplitude`` over the window (least squares) and the dispersion relation's value (1/ms).
    """

    dispersion: NetworkDispersion
    mode: dict
    traces: xr.Dataset
    amplitude: pd.DataFrame
    fit_window: tuple
    measured_growth_rate: float
    predicted_growth_rate: float
    settings: dict = field(default_factory=dict)

    @property
    def relative_error(self) -> float:
        return abs(self.measured_growth_rate - self.predicted_growth_rate) / abs(self.predicted_growth_rate)

    @property
    def pattern_correlation(self) -> float:
        """How well the deviation of r_e from its regional mean, at the end of the fit window, is explained by
        the mode's eigenvector: the norm of its projection on the span of the (centred) real and imaginary
        parts of the eigenvector, relative to its norm; for a real eigenvector this is |Pearson correlation|.
        The best-aligned sample of the last period (or 10 ms) before the end of the window is taken."""
        r = self.traces["r_e"]
        t1 = self.fit_window[1]
        period = self.dispersion.state.period if self.dispersion.kind == "cycle" else 10.0
        sel = (r["time"] >= t1 - period) & (r["time"] <= t1)
        dev = (r.sel(time=sel) - r.sel(time=sel).mean("region")).values
        v = self.mode["pattern"].to_numpy()
        basis = [b - b.mean() for b in (np.real(v), np.imag(v))]
        basis = [b for b in basis if np.linalg.norm(b) > 1e-12 * np.abs(v).max()]
        Q, _ = np.linalg.qr(np.array(basis).T)
        scores = [np.linalg.norm(Q.T @ d) / np.linalg.norm(d) for d in dev if np.linalg.norm(d) > 0]
        return float(max(scores)) if scores else float("nan")

    def plot(self, axes=None, window: float = 200.0):
        """Growth of the perturbation against the prediction; r_e of every region over time (regions ordered
        by the mode's eigenvector) during the growth and after saturation; the pattern against the eigenvector.
        Returns the figure."""
        import matplotlib.pyplot as plt
        if axes is None:
            fig, axes = plt.subplots(1, 3, figsize=(16, 4.2), gridspec_kw={"width_ratios": [1.1, 1.6, 0.9]})
        else:
            fig = axes[0].figure
        a = self.amplitude
        ax = axes[0]
        ax.semilogy(a.index, a["mode"], ".", ms=3, label="perturbed mode (simulation)")
        ax.semilogy(a.index, a["other_modes"], ".", ms=2, color="0.6", label="largest other mode")
        t0, t1 = self.fit_window
        tt = np.linspace(0, t1, 50)
        ax.semilogy(tt, np.exp(self.predicted_growth_rate * tt), "r-", lw=1,
                    label=f"predicted exp({self.predicted_growth_rate:.4f} t)")
        ax.axvspan(t0, t1, color="0.93", zorder=0)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("mode amplitude / initial")
        ax.set_title(f"measured {self.measured_growth_rate:.5f}/ms vs predicted {self.predicted_growth_rate:.5f}/ms",
                     fontsize=9)
        ax.legend(fontsize=7)
        r = self.traces["r_e"]
        order = np.argsort(np.real(self.mode["pattern"].to_numpy()))
        t = r["time"].values
        ve = self.traces["v_e"].values
        sel = t >= t[-1] - window
        vmax = float(np.abs(ve[sel]).max())
        im = axes[1].imshow(ve[sel][:, order].T, aspect="auto", origin="lower", cmap="RdBu_r", vmin=-vmax,
                            vmax=vmax, extent=(t[sel][0], t[sel][-1], 0, r.shape[1]))
        fig.colorbar(im, ax=axes[1], label="v_e")
        axes[1].set_xlabel("time (ms)")
        axes[1].set_ylabel("region (ordered by the mode's eigenvector)")
        axes[1].set_title(f"the pattern after saturation (last {window:g} ms; linear regime ends at {t1:.0f} ms)",
                          fontsize=9)
        sel = (t >= t1 - 50) & (t <= t1)
        dev = r.values[sel] - r.values[sel].mean(axis=1, keepdims=True)
        k = int(np.argmax(np.abs(dev).max(axis=1)))
        v = np.real(self.mode["pattern"].to_numpy())
        axes[2].plot(v, dev[k] * 1e3, ".", ms=4)
        axes[2].set_xlabel("mode eigenvector v_a[n]")
        axes[2].set_ylabel("r_e - regional mean (Hz)")
        axes[2].set_title(f"pattern vs eigenvector: |corr| = {self.pattern_correlation:.3f}", fontsize=9)
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        return (f"<TransversePattern mode Lambda = {np.round(self.mode['Lambda'], 4)}: growth rate measured "
                f"{self.measured_growth_rate:.6g}/ms, predicted {self.predicted_growth_rate:.6g}/ms (relative error "
                f"{self.relative_error:.2g}) over t in [{self.fit_window[0]:g}, {self.fit_window[1]:.4g}] ms>")


def transverse_pattern(dispersion: NetworkDispersion, mode: int | None = None, amplitude: float = 1e-6,
                       duration: float | None = None, step_size: float = 0.01, sampling_step_size: float = 0.1,
                       linear_limit: float = 1e-3) -> TransversePattern:
    """Perturb the synchronous state along one eigenmode, simulate the full network, measure the growth.

    Parameters
    ----------
    dispersion : NetworkDispersion
        From :func:`network_dispersion`.
    mode : int, optional
        Index into ``dispersion.relation`` (modes ordered by decreasing growth rate); default the most
        unstable transverse mode.
    amplitude : float
        Size of the perturbation, relative to each state's scale (its peak-to-peak amplitude on the cycle, or
        its magnitude at the fixed point).
    duration : float, optional
        Simulated time (ms); default: long enough for the perturbation to grow to O(1) and saturate.
    step_size, sampling_step_size : float
        RK4 step and output interval (ms).
    linear_limit : float
        The growth rate is measured while the mode's amplitude, relative to the state scales, is below this.
    """
    from scipy.interpolate import CubicSpline
    if not isinstance(dispersion, NetworkDispersion):
        raise InputError(f"dispersion must be a NetworkDispersion (from network_dispersion), got "
                         f"{type(dispersion).__name__}")
    if not 0 < amplitude < linear_limit:
        raise InputError(f"need 0 < amplitude < linear_limit, got amplitude = {amplitude}, linear_limit = "
                         f"{linear_limit}")
    dr = dispersion.relation
    idx = int(dispersion.transverse_order[0]) if mode is None else int(mode)
    if not 0 <= idx < len(dr.eigenvalues):
        raise InputError(f"mode must be in 0..{len(dr.eigenvalues) - 1}, got {mode}")
    if idx == dr.synchronous_index:
        raise InputError("mode is the synchronous mode (Lambda = 1): perturbing along it moves along the "
                         "homogeneous state; choose a transverse mode")
    m = dispersion.mode(idx)
    g = m["growth_rate"]
    state = dispersion.state
    cycle = dispersion.kind == "cycle"
    x0 = state(0.0)[0] if cycle else np.asarray(state.x, dtype=float)
    scale = (np.asarray([state.amplitude[k] for k in state.labels]) if cycle else np.abs(x0))
    scale = np.maximum(scale, 1e-6 * max(scale.max(), 1e-12))
    w = np.real(m["direction"] * np.exp(-1j * np.angle(m["direction"][np.argmax(np.abs(m["direction"]))])))
    w = w / np.max(np.abs(w) / scale)
    v = m["pattern"].to_numpy()
    vr = np.real(v * np.exp(-1j * np.angle(v[np.argmax(np.abs(v))])))
    vr = vr / np.abs(vr).max()
    if duration is None:
        duration = float(np.clip(1.5 * np.log(1.0 / amplitude) / max(abs(g), 1e-4) + 100.0, 100.0, 10000.0))
        duration = float(np.ceil(duration / 10.0) * 10.0)                  # on the time grid
    init = {f"{PING}/{name}": x0[j] + amplitude * w[j] * vr for j, name in enumerate(STATES)}
    net = dispersion.network
    ds = net.simulate(duration, step_size, variables=[f"{PING}/{s}" for s in STATES], solver="rk4",
                      sampling_step_size=sampling_step_size, params=dispersion.run_params, initial=init,
                      progress=False)
    ds["time"].attrs["units"] = "ms"
    X = np.stack([ds[s].values for s in STATES], axis=-1)                 # (time, region, state)
    Vinv = np.linalg.inv(dr.eigenvectors)
    C = np.einsum("an,tnj->taj", Vinv, X) / scale[None, None, :]          # mode projections, scaled states
    t = ds["time"].values
    # the leading left eigenvector: z = l^H c grows as exp(lambda t) (fixed point) or mu^k at t = k T (cycle)
    ev, right = m.get("multiplier", m.get("eigenvalue")), m["direction"] / scale
    M = (dr.msf.monodromy([m["Lambda"]])[0] if cycle else dr.msf.mode_matrix(m["Lambda"]))
    Ms = M / scale[:, None] * scale[None, :]                               # in scaled coordinates
    evl, L = np.linalg.eig(Ms.T)
    left = L[:, int(np.argmin(np.abs(evl - ev)))]
    left = left / (left @ right)
    others = np.array([i for i in dispersion.transverse_order if i != idx], dtype=int)
    if cycle:
        T = state.period
        tk = np.arange(0.0, t[-1] - 1e-9, T)
        Ck = CubicSpline(t, C[:, idx, :], axis=0)(tk)
        Co = CubicSpline(t, np.linalg.norm(C[:, others, :], axis=2), axis=0)(tk) if others.size else None
        times = tk
    else:
        Ck, times = C[:, idx, :], t
        Co = np.linalg.norm(C[:, others, :], axis=2) if others.size else None
    z = np.abs(Ck @ left)
    z0 = z[0]
    amp = pd.DataFrame({"mode": z / z0,
                        "other_modes": (np.max(Co, axis=1) if Co is not None else np.zeros_like(z)) / z0},
                       index=pd.Index(times, name="time"))
    # linear regime: until the projection (in state scales) first exceeds linear_limit
    size = np.linalg.norm(Ck, axis=1)
    over = np.flatnonzero(size > linear_limit)
    end = int(over[0]) if over.size else len(times)
    if end < 3:
        raise AnalysisError(f"the perturbation leaves the linear regime within {end} samples; lower amplitude "
                            f"(now {amplitude:g}) or raise linear_limit (now {linear_limit:g})")
    win = slice(0, end)
    slope = float(np.polyfit(times[win], np.log(z[win]), 1)[0])
    return TransversePattern(dispersion, m, ds, amp, (float(times[0]), float(times[end - 1])), slope, g,
                             dict(amplitude=amplitude, duration=duration, step_size=step_size,
                                  sampling_step_size=sampling_step_size, linear_limit=linear_limit))
