"""Paper study (e): gamma-theta phase-amplitude coupling (PAC) of the regional activity of an E/I network.

Two sources of a slow rhythm that modulates the PING gamma amplitude:

* a **theta-modulated drive**: every region receives ``I_ext_e + A_theta sin(phi_n)`` from its own theta
  pacemaker ``dphi_n = 2 pi f_theta dt + sigma_phi dW_n`` (a rhythm that slowly loses its phase, as recorded
  theta does; a strictly periodic phase would make every time-shifted surrogate as coupled as the data);
* the **network's own dynamics** (``theta_depth=0``): beyond a transverse instability of the synchronous
  PING cycle the regions' gamma bursts wax and wane on slower time scales (Delicado, Huguet & Clusella 2025:
  the connectome gives rise to gamma with amplitude modulated by slower rhythms).

The regional ``r_e`` is filtered in a theta band (phase) and around the gamma peak (amplitude), the modulation
index (Tort et al. 2010, or any measure of :func:`neurodyn.observables.pac`) is computed per region and tested
against time-shift surrogates (:meth:`~neurodyn.observables.PhaseAmplitude.surrogate_test`: z-scores and
p-values). With the pacemaker, the test is also run with the pacemaker's own phase (``pacemaker_test``): the
coupling that is built into the model.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> from neurodyn.studies.ei_pac import theta_gamma_pac
>>> res = theta_gamma_pac(Connectome(np.ones((3, 3))), duration=3000.0, n_surrogates=19, comodulogram=False)
>>> bool((res.test["z"] > 2).all())           # the theta-paced gamma is coupled in every region
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from neurodyn._xr import xr

from neurodyn.errors import InputError
from neurodyn.lang.templates import NodeTemplate, OperatorTemplate, template_from_yaml
from neurodyn.network import BrainNetwork, Connectome, Coupling
from neurodyn.observables import comodulogram as compute_comodulogram
from neurodyn.observables import frequency_bands, pac_surrogate_test, phase_amplitude, power_spectrum
from neurodyn.studies._common import EI_NODE, PING
from neurodyn.studies.whole_brain import STATES, ei_network

__all__ = ["THETA_OP", "theta_ei_node", "theta_ei_network", "PACResult", "theta_gamma_pac"]

THETA_OP = "ei_theta_op"


def theta_ei_node() -> NodeTemplate:
    """The E/I node (``ei_ping_op``'s equations and parameters) with a theta pacemaker: ``I_ext_e`` replaced by
    ``I_ext_e + A_theta sin(phi)``, ``dphi/dt = 2 pi f_theta`` (``f_theta`` in 1/ms; ``A_theta = 0`` by default).
    Operator ``ei_theta_op``; its long-range coupling is ``Coupling('ei_theta_op/s_e', 'ei_theta_op/s_net')``."""
    op = template_from_yaml(EI_NODE).operators[0]
    eqs = [e.replace("+ I_ext_e +", "+ (I_ext_e + A_theta*sin(phi)) +") for e in op.equations]
    if sum("A_theta" in e for e in eqs) != 1:
        raise InputError(f"the v_e equation of {op.name!r} no longer has the form '... + I_ext_e + ...'; update "
                         f"theta_ei_node")
    variables = dict(op.variables)
    variables.update({"phi": "variable(0.0)", "A_theta": 0.0, "f_theta": 0.006})
    return NodeTemplate("ei_theta_pop", [OperatorTemplate(THETA_OP, eqs + ["d/dt * phi = 2*pi*f_theta"],
                                                          variables)])


def theta_ei_network(connectome: Connectome) -> BrainNetwork:
    """Theta-paced E/I nodes on the row-normalised connectome (self-connections removed)."""
    base = ei_network(connectome)
    return BrainNetwork(theta_ei_node(), base.connectome, Coupling(f"{THETA_OP}/s_e", f"{THETA_OP}/s_net"))


@dataclass
class PACResult:
    """Gamma-theta PAC of every region.

    Attributes
    ----------
    traces : xarray.DataArray
        r_e (time in ms after the transient, region).
    gamma_frequency : float
        Peak of the mean regional spectrum above 20 Hz (Hz).
    phase_band, amplitude_band : (float, float)
        In Hz.
    test : xarray.Dataset
        Per region: ``pac``, ``z``, ``p_value`` (surrogates of the regional gamma envelope against the regional
        theta phase).
    pacemaker_test : xarray.Dataset or None
        The same with the pacemaker's phase (theta-modulated drive only).
    comodulogram : xarray.DataArray or None
        Of the region with the median z (phase bands centred at 3-14 Hz, amplitude 25-140 Hz).
    """

    traces: xr.DataArray
    gamma_frequency: float
    phase_band: tuple
    amplitude_band: tuple
    test: xr.Dataset
    pacemaker_test: xr.Dataset | None = None
    comodulogram: xr.DataArray | None = None
    settings: dict = field(default_factory=dict)

    @property
    def z(self) -> np.ndarray:
        return np.asarray(self.test["z"]).ravel()

    @property
    def fraction_significant(self) -> float:
        """Fraction of regions with p <= 0.05."""
        return float(np.mean(np.asarray(self.test["p_value"]).ravel() <= 0.05))

    def plot(self, axes=None):
        """A region's r_e with its theta-band signal and gamma envelope; the comodulogram; z per region.
        Returns the figure."""
        import matplotlib.pyplot as plt
        from neurodyn.observables import analytic_signal, plot_comodulogram
        if axes is None:
            fig, axes = plt.subplots(1, 3, figsize=(16, 4), gridspec_kw={"width_ratios": [1.6, 1, 1]})
        else:
            fig = axes[0].figure
        k = int(np.argsort(self.z)[len(self.z) // 2])
        r = self.traces.isel(region=k)
        t = r["time"].values
        sel = t <= t[0] + 1000.0
        th = analytic_signal(r, [self.phase_band], time_unit="ms")
        ga = analytic_signal(r, [self.amplitude_band], time_unit="ms")
        ax = axes[0]
        ax.plot(t[sel], r.values[sel] * 1e3, lw=0.6, color="0.3", label="r_e")
        ax.plot(t[sel], np.abs(np.asarray(ga)).ravel()[sel] * 1e3 + float(r.mean()) * 1e3, color="tab:red", lw=1,
                label=f"gamma envelope {self.amplitude_band[0]:.0f}-{self.amplitude_band[1]:.0f} Hz (+ mean)")
        ax.plot(t[sel], np.real(np.asarray(th)).ravel()[sel] * 1e3 + float(r.mean()) * 1e3, color="tab:blue", lw=1,
                label=f"theta {self.phase_band[0]:.1f}-{self.phase_band[1]:.1f} Hz (+ mean)")
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("Hz")
        ax.set_title(f"region {r['label'].item() if 'label' in r.coords else k}", fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
        if self.comodulogram is not None:
            plot_comodulogram(self.comodulogram, ax=axes[1])
            axes[1].set_title("comodulogram (Tort MI) of that region", fontsize=9)
        zs = np.sort(self.z)
        axes[2].plot(np.arange(len(zs)), zs, ".", label="regional theta phase")
        if self.pacemaker_test is not None:
            axes[2].plot(np.arange(len(zs)), np.sort(np.asarray(self.pacemaker_test["z"]).ravel()), "x", ms=4,
                         label="pacemaker phase")
        axes[2].axhline(1.645, color="0.5", ls="--", lw=0.8, label="z = 1.645 (one-sided 5 %)")
        axes[2].set_xlabel("region (sorted)")
        axes[2].set_ylabel("PAC z-score against surrogates")
        axes[2].set_title(f"{self.fraction_significant:.0%} of regions with p <= 0.05", fontsize=9)
        axes[2].legend(fontsize=7)
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        pm = "" if self.pacemaker_test is None else \
            f", with the pacemaker's phase median z = {np.median(np.asarray(self.pacemaker_test['z'])):.3g}"
        return (f"<PACResult theta {self.phase_band[0]:.3g}-{self.phase_band[1]:.3g} Hz x gamma "
                f"{self.amplitude_band[0]:.3g}-{self.amplitude_band[1]:.3g} Hz over {self.traces.shape[1]} regions: "
                f"median z = {np.median(self.z):.3g}, {self.fraction_significant:.0%} with p <= 0.05{pm}>")


def _slow_peak(r: xr.DataArray, band: tuple, lo: float = 2.0, hi: float = 14.0) -> float:
    """Peak frequency (Hz) in [lo, hi] of the mean spectrum of the regional gamma envelopes."""
    from neurodyn.observables import analytic_signal
    env = np.abs(np.asarray(analytic_signal(r, [band], time_unit="ms"))).reshape(r.shape)
    e = xr.DataArray(env - env.mean(axis=0), coords=r.coords, dims=r.dims)
    e["time"].attrs["units"] = "ms"
    psd = power_spectrum(e, time_unit="ms", nperseg=min(r.shape[0], 4096))
    f = psd["frequency"].values
    m = psd.values.mean(axis=1)
    sel = (f >= lo) & (f <= hi)
    return float(f[sel][np.argmax(m[sel])])


def theta_gamma_pac(connectome, eps: float = 5.0, I_ext_e: float = 8.0, theta_hz: float = 6.0,
                    theta_depth: float = 2.0, phase_diffusion: float = 0.05, sigma: float = 0.0,
                    duration: float = 10000.0, transient: float = 1000.0, step_size: float = 0.01,
                    phase_band=None, amplitude_band=None, method: str = "tort", n_surrogates: int = 99,
                    seed: int = 0, comodulogram: bool = True, pacemaker: bool | None = None,
                    **params) -> PACResult:
    """Simulate the E/I network and test gamma-theta PAC in every region.

    Parameters
    ----------
    connectome : Connectome
        Rows are normalised (self-connections removed) unless they already sum to 1.
    eps, I_ext_e : float
        Global coupling and mean drive.
    theta_hz, theta_depth : float
        Frequency (Hz) and amplitude of the theta modulation of the drive; ``theta_depth=0`` removes the
        pacemaker (the slow rhythm, if any, comes from the network's own dynamics).
    phase_diffusion : float
        Noise on the pacemaker phase (``sigma_phi``, rad / sqrt(ms); the phase coherence time is
        ``2 / sigma_phi^2`` ms).
    sigma : float
        White noise on v_e and v_i (0: none).
    duration, transient, step_size : float
        Recorded time after ``transient``, and the integration step (ms); RK4, or stochastic Heun with noise.
    phase_band, amplitude_band : (low, high) in Hz, optional
        Defaults: theta +- 25 % (with the pacemaker) or the peak of the gamma envelopes' spectrum in 2-14 Hz +-
        25 % (without); the gamma peak of the mean spectrum +- 10 Hz.
    method : str
        PAC measure (:func:`neurodyn.observables.pac`).
    n_surrogates, seed : int
        Time-shift surrogates for the z-scores and p-values.
    comodulogram : bool
        Also compute the comodulogram of the median region.
    pacemaker : bool, optional
        Simulate the theta pacemakers (default: when ``theta_depth > 0``). With ``theta_depth=0`` and
        ``pacemaker=True`` the pacemakers run without reaching the drive: ``pacemaker_test`` is then a test
        where the coupling is absent by construction.
    params : further ``ei_ping_op`` parameters by short name.
    """
    if not isinstance(connectome, Connectome):
        from neurodyn.network import load_connectome
        connectome = load_connectome(connectome)
    if theta_depth < 0 or theta_hz <= 0 or phase_diffusion < 0 or sigma < 0:
        raise InputError(f"need theta_depth >= 0, theta_hz > 0, phase_diffusion >= 0, sigma >= 0; got "
                         f"{theta_depth}, {theta_hz}, {phase_diffusion}, {sigma}")
    rng = np.random.default_rng(seed)
    paced = theta_depth > 0 if pacemaker is None else bool(pacemaker)
    if theta_depth > 0 and not paced:
        raise InputError("theta_depth > 0 needs the pacemaker (pacemaker=True or None)")
    net = theta_ei_network(connectome) if paced else ei_network(connectome)
    op = THETA_OP if paced else PING
    n = connectome.n_regions
    p = {f"{op}/{k}": float(v) for k, v in dict(params, eps=eps, I_ext_e=I_ext_e).items()}
    defaults = {v: float(d.value) for v, d in net.node.operators[0].variables.items() if v in STATES}
    init = {f"{op}/{s}": defaults[s] * (1 + 0.1 * rng.uniform(-1, 1, n)) for s in STATES}
    noise = {}
    if paced:
        p.update({f"{op}/A_theta": float(theta_depth), f"{op}/f_theta": float(theta_hz) / 1e3})
        init[f"{op}/phi"] = rng.uniform(0.0, 2 * np.pi, n)
        if phase_diffusion:
            noise[f"{op}/phi"] = float(phase_diffusion)
    if sigma:
        noise.update({f"{op}/v_e": float(sigma), f"{op}/v_i": float(sigma)})
    variables = [f"{op}/r_e"] + ([f"{op}/phi"] if paced else [])
    ds = net.simulate(duration + transient, step_size, variables=variables, solver="heun" if noise else "rk4",
                      sampling_step_size=1.0, params=p, initial=init, noise=noise or None,
                      seed=int(rng.integers(2 ** 31)) if noise else None, progress=False)
    ds = ds.sel(time=ds["time"] >= transient)
    ds["time"].attrs["units"] = "ms"
    r = ds["r_e"]
    psd = power_spectrum(r, time_unit="ms", nperseg=min(r.shape[0], 4096))
    f = psd["frequency"].values
    g = f >= 20.0
    f_gamma = float(f[g][np.argmax(psd.values[g].mean(axis=1))])
    amp_band = tuple(float(x) for x in (amplitude_band or (max(f_gamma - 10.0, 15.0), f_gamma + 10.0)))
    if phase_band is None:
        f_slow = theta_hz if paced else _slow_peak(r, amp_band)
        phase_band = (0.75 * f_slow, 1.25 * f_slow)
    ph_band = tuple(float(x) for x in phase_band)
    edges = int(min(1000, r.shape[0] // 10))
    pa = phase_amplitude(r, [ph_band], [amp_band], time_unit="ms", edges=edges)
    test = pa.surrogate_test(method, n_surrogates=n_surrogates, seed=seed).squeeze(drop=True)
    pm = None
    if paced:
        # the pacemaker phase wrapped to (-pi, pi] and the regional gamma envelopes, both (time, region) with
        # the same edges discarded
        phi = np.angle(np.exp(1j * ds["phi"].transpose("time", "region").values))[edges:r.shape[0] - edges]
        amp = np.asarray(pa.amplitude.isel(f_amplitude=0).transpose("time", "region"))
        pm = pac_surrogate_test(phi, amp, method, n_surrogates=n_surrogates, seed=seed).squeeze(drop=True)
    como = None
    if comodulogram:
        k = int(np.argsort(np.asarray(test["z"]).ravel())[n // 2])
        # phase bands f +- f/4 from 3 Hz, or higher for short records (the FIR filter of 3 cycles of the low
        # edge must fit three times into the record: f_low >= 9 fs / n)
        f0 = max(3.0, float(np.ceil(4.0 / 3.0 * 9.0 * 1e3 / r.shape[0])))
        como = compute_comodulogram(r.isel(region=k), frequency_bands(np.arange(f0, 14.5, 1.0), relative=0.5),
                                    frequency_bands(np.arange(25.0, 141.0, 5.0), relative=0.25), method,
                                    time_unit="ms", edges=edges)
    return PACResult(r, f_gamma, ph_band, amp_band, test, pm, como,
                     dict(eps=eps, I_ext_e=I_ext_e, theta_hz=theta_hz, theta_depth=theta_depth,
                          phase_diffusion=phase_diffusion, sigma=sigma, duration=duration, transient=transient,
                          method=method, n_surrogates=n_surrogates, seed=seed, **params))
