"""neurodyn demo: four models from the bundled library, each checked against what theory says.

1. Jansen-Rit column at p = 220/s: an alpha-band (8-13 Hz) rhythm in the EEG-like signal y1 - y2.
2. Montbrio-Pazo-Roxin QIF mean field (eta = -5, J = 15, Delta = 1): the population rests in its low state until a
   current step I = 3 for 10 <= t < 30 switches it to the high state, with the overshoot and damped ringing that
   reflect transient synchrony; it stays high after the step (bistability).
3. The theta-neuron (Ott-Antonsen) population equals the QIF mean field through the conformal map
   W = pi tau r + i v, Z = (1 - conj(W)) / (1 + conj(W)).
4. The next-generation E/I node (Delicado, Huguet & Clusella 2025) in its PING regime: a gamma rhythm.

Writes out/demo.png (in the working directory) and prints the numbers behind each panel.
Run: python examples/demo.py        (NEURODYN_EXAMPLE_QUICK=1: shorter Jansen-Rit and E/I runs, same panels)
"""
from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import neurodyn
from neurodyn.frontend import CircuitTemplate
from neurodyn.observables import dominant_frequency, power_spectrum

from _paths import QUICK, out_path  # noqa: E402

JR_TIME = 3.0 if QUICK else 4.0          # s; the first second is a transient
EI_TIME = 600.0 if QUICK else 1000.0     # ms; the first 200 ms are a transient
#: the current step of panels 2 and 3: on at STEP_ON (after the low state has settled), off at STEP_OFF
STEP_ON, STEP_OFF, STEP = 10.0, 30.0, 3.0


def build():
    """Run the four models and draw the figure; returns (figure, {panel: number shown})."""
    numbers = {}
    fig, ax = plt.subplots(2, 2, figsize=(12, 7), layout="constrained")

    # 1. Jansen-Rit: alpha rhythm (SI units: s, V)
    jrc = CircuitTemplate.from_yaml("model_templates.neural_mass_models.jansenrit.JRC")
    res = jrc.run(simulation_time=JR_TIME, step_size=1e-4, sampling_step_size=1e-3, solver="rk4",
                  outputs={"V_pce": "pc/rpo_e_in/v", "V_pci": "pc/rpo_i/v"})
    eeg = (res["V_pce"] + res["V_pci"]).to_numpy()[1000:]   # y1 - y2 (rpo_i carries the negative sign)
    f_alpha = float(dominant_frequency(eeg[:, None], sample_period=1e-3, time_unit="s")[0])
    ax[0, 0].plot(res.index[1000:], 1e3 * eeg, lw=0.8)
    ax[0, 0].set(title=f"Jansen-Rit, p = 220/s: dominant frequency {f_alpha:.1f} Hz", xlabel="time (s)",
                 ylabel="y1 - y2 (mV)")
    print(f"Jansen-Rit: dominant frequency {f_alpha:.3f} Hz (alpha band 8-13 Hz; resolution "
          f"{1.0 / (eeg.size * 1e-3):.3f} Hz)")
    numbers["jrc_frequency_hz"] = f_alpha

    # 2. MPR step response: low state -> high state (time in units of tau = 1, r in 1/tau)
    T, dt = 60.0, 1e-3
    t_in = np.arange(round(T / dt)) * dt
    I = np.where((t_in >= STEP_ON) & (t_in < STEP_OFF), STEP, 0.0)
    mpr = neurodyn.integrate("qif", simulation_time=T, step_size=dt, sampling_step_size=0.01, solver="rk4",
                             outputs={"r": "p/qif_op/r", "v": "p/qif_op/v"}, inputs={"p/qif_op/I_ext": I})
    ax[0, 1].plot(mpr.index, mpr["r"], lw=1)
    ax[0, 1].axvspan(STEP_ON, STEP_OFF, color="0.9")
    ax[0, 1].set(title=f"QIF mean field: the step I = {STEP:g} (grey) switches it to the high state",
                 xlabel="time (units of tau)", ylabel="rate r (1/tau)")
    before = float(mpr["r"][mpr.index < STEP_ON].iloc[-1])
    numbers["mpr_rate_before_step"], numbers["mpr_rate_after_step"] = before, float(mpr["r"].iloc[-1])
    print(f"MPR: r before {before:.6f}, peak {mpr['r'].max():.6f}, after the step {mpr['r'].iloc[-1]:.6f} "
          f"(bistable: stays high)")

    # 3. theta neurons == QIF mean field through the conformal map
    W = np.pi * mpr["r"].to_numpy() + 1j * mpr["v"].to_numpy()
    Z = (1 - np.conj(W)) / (1 + np.conj(W))
    kmo = neurodyn.integrate("kmo_theta", simulation_time=T, step_size=dt, sampling_step_size=0.01, solver="rk4",
                             outputs={"z": "p/theta_op/z"}, inputs={"p/theta_op/I_ext": I},
                             initial_state={"p/theta_op/z": Z[0]})   # the same initial state, mapped
    z = kmo["z"].to_numpy()
    ax[1, 0].plot(mpr.index, np.abs(z), lw=2, label="|z| theta neurons")
    ax[1, 0].plot(mpr.index, np.abs(Z), "--", lw=1.5, label="|Z| from QIF (r, v)")
    ax[1, 0].axvspan(STEP_ON, STEP_OFF, color="0.9")
    ax[1, 0].set(title=f"theta neurons = QIF mean field: max |z - Z| = {np.max(np.abs(z - Z)):.1e}",
                 xlabel="time (units of tau)", ylabel="Kuramoto order parameter |z| (dimensionless)")
    ax[1, 0].legend()
    numbers["theta_vs_mpr_max_error"] = float(np.max(np.abs(z - Z)))
    print(f"theta vs MPR through the conformal map: max |z - Z| = {np.max(np.abs(z - Z)):.2e}")

    # 4. NG E/I node: PING gamma (time in ms)
    ei = neurodyn.integrate("ei_ping", simulation_time=EI_TIME, step_size=0.01, sampling_step_size=0.1,
                            solver="rk4", outputs={"r_e": "p/ei_ping_op/r_e", "r_i": "p/ei_ping_op/r_i"})
    x = ei[["r_e"]].to_numpy()[2000:]
    f, pxx = power_spectrum(x, sample_period=0.1, time_unit="ms")
    f_gamma = float(f[np.argmax(pxx[:, 0])])
    ax[1, 1].plot(ei.index[-1000:], 1e3 * ei["r_e"].to_numpy()[-1000:], label="E")
    ax[1, 1].plot(ei.index[-1000:], 1e3 * ei["r_i"].to_numpy()[-1000:], label="I")
    ax[1, 1].set(title=f"NG E/I node (PING): {f_gamma:.0f} Hz gamma", xlabel="time (ms)", ylabel="rate (Hz)")
    ax[1, 1].legend()
    print(f"E/I PING node: dominant frequency {f_gamma:.3f} Hz (gamma band 30-100 Hz; resolution "
          f"{float(f[1] - f[0]):.3f} Hz)")
    numbers["ping_frequency_hz"] = f_gamma
    fig.suptitle(f"neurodyn {neurodyn.__version__}")
    return fig, numbers


def main() -> None:
    t0 = time.perf_counter()
    fig, _ = build()
    fig.savefig(out_path("demo"), dpi=110)
    plt.close(fig)
    print(f"wrote {out_path('demo')} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
