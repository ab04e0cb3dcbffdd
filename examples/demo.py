"""neurodyn demo: four models from the bundled library, each checked against what theory says.

1. Jansen-Rit column at p = 220/s: an alpha-band (8-13 Hz) rhythm in the EEG-like signal y1 - y2.
2. Montbrio-Pazo-Roxin QIF mean field (eta = -5, J = 15, Delta = 1): a current step I = 3 for 0 < t < 30 switches
   the bistable population from the low to the high state, with the overshoot and damped ringing that reflect
   transient synchrony.
3. The theta-neuron (Ott-Antonsen) population equals the QIF mean field through the conformal map
   W = pi tau r + i v, Z = (1 - conj(W)) / (1 + conj(W)).
4. The next-generation E/I node (Delicado, Huguet & Clusella 2025) in its PING regime: a gamma rhythm.

Writes out/demo.png (in the working directory) and prints the numbers behind each panel.
Run: python examples/demo.py        (NEURODYN_EXAMPLE_QUICK=1: shorter Jansen-Rit and E/I runs)
"""
from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import neurodyn  # noqa: E402
from neurodyn.frontend import CircuitTemplate  # noqa: E402
from neurodyn.observables import dominant_frequency, power_spectrum  # noqa: E402

from _paths import QUICK, out_path  # noqa: E402

JR_TIME = 3.0 if QUICK else 4.0          # s; the first second is a transient
EI_TIME = 600.0 if QUICK else 1000.0     # ms; the first 200 ms are a transient


def main() -> None:
    t0 = time.perf_counter()
    fig, ax = plt.subplots(2, 2, figsize=(12, 7))

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

    # 2. MPR step response: low state -> high state
    T, dt = 60.0, 1e-3
    I = np.zeros(round(T / dt))
    I[round(0 / dt):round(30 / dt)] = 3.0
    mpr = neurodyn.integrate("qif", simulation_time=T, step_size=dt, sampling_step_size=0.01, solver="rk4",
                             outputs={"r": "p/qif_op/r", "v": "p/qif_op/v"}, inputs={"p/qif_op/I_ext": I})
    ax[0, 1].plot(mpr.index, mpr["r"], lw=1)
    ax[0, 1].axvspan(0, 30, color="0.9")
    ax[0, 1].set(title="QIF mean field: step I = 3 (grey) switches it to the high state", xlabel="time",
                 ylabel="rate r")
    print(f"MPR: r before {mpr['r'].iloc[0]:.6f}, peak {mpr['r'].max():.6f}, after the step "
          f"{mpr['r'].iloc[-1]:.6f} (bistable: stays high)")

    # 3. theta neurons == QIF mean field through the conformal map
    W = np.pi * mpr["r"].to_numpy() + 1j * mpr["v"].to_numpy()
    Z = (1 - np.conj(W)) / (1 + np.conj(W))
    kmo = neurodyn.integrate("kmo_theta", simulation_time=T, step_size=dt, sampling_step_size=0.01, solver="rk4",
                             outputs={"z": "p/theta_op/z"}, inputs={"p/theta_op/I_ext": I},
                             initial_state={"p/theta_op/z": Z[0]})   # the same initial state, mapped
    z = kmo["z"].to_numpy()
    ax[1, 0].plot(mpr.index, np.abs(z), lw=2, label="|z| theta neurons")
    ax[1, 0].plot(mpr.index, np.abs(Z), "--", lw=1.5, label="|Z| from QIF (r, v)")
    ax[1, 0].set(title=f"Kuramoto order parameter: max |z - Z| = {np.max(np.abs(z - Z)):.1e}", xlabel="time")
    ax[1, 0].legend()
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

    fig.suptitle(f"neurodyn {neurodyn.__version__}")
    fig.tight_layout()
    fig.savefig(out_path("demo"), dpi=110)
    print(f"wrote {out_path('demo')} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
