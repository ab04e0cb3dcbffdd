"""PING gamma in the E/I next-generation node and in the spiking network it reduces.

The `ei_ping` template (Delicado, Huguet & Clusella 2025; tau_e = tau_i = 8 ms, tau_se = 1 ms, tau_si = 5 ms,
J_ee = 5, J_ei = 13, J_ie = 13, J_ii = 5, I_ext_e = 10) and its counterpart: an excitatory and an inhibitory
population of QIF neurons with first-order synapses. Both oscillate in the gamma band; the example prints the
mean rates and the frequency of each and writes out/spiking_ping.png (raster of E and I neurons, the rates of
network and mean field, and their power spectra).

Run: PYTHONPATH=src python examples/spiking_ping.py             (N = 1e4 per population, 500 ms)
     NEURODYN_EXAMPLE_QUICK=1 PYTHONPATH=src python examples/spiking_ping.py   (N = 2000, 200 ms)
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.signal import welch  # noqa: E402

from neurodyn.spiking import ping_protocol, validate_mean_field  # noqa: E402

from _paths import out_path  # noqa: E402

QUICK = os.environ.get("NEURODYN_EXAMPLE_QUICK", "") not in ("", "0")
N = 2000 if QUICK else 10_000
protocol = ping_protocol(drive=10.0, duration=200.0 if QUICK else 500.0)

report = validate_mean_field("ei_ping", N, protocol=protocol, raster_neurons=100)
t = report.table
ds, mf = report.network, report.mean_field
print(f"E/I PING node, N = {N} per population, I_ext_e = 10, {protocol.duration:g} ms at "
      f"dt = {protocol.step_size:g} ms")
for var in ("r_e", "r_i"):
    row = t[(t.quantity == "mean") & (t.variable == var)].iloc[0]
    print(f"mean {var} (1/ms): network {row.network:.4f}, mean field {row.mean_field:.4f}, "
          f"relative error {row.rel_error:.4f}")
f = t[(t.quantity == "frequency") & (t.variable == "r_e")].iloc[0]
print(f"gamma frequency: network {1000 * f.network:.1f} Hz, mean field {1000 * f.mean_field:.1f} Hz")

fig, axes = plt.subplots(3, 1, figsize=(8, 8), gridspec_kw={"height_ratios": [2, 2, 2]})
ax = axes[0]
spk_t, spk_i = ds["spike_time"].values, ds["spike_neuron"].values
ids = np.unique(spk_i)
ypos = {j: k for k, j in enumerate(ids)}
is_i = spk_i >= N
ax.plot(spk_t[~is_i], [ypos[j] for j in spk_i[~is_i]], "|", ms=2, color="C0", label="E")
ax.plot(spk_t[is_i], [ypos[j] for j in spk_i[is_i]], "|", ms=2, color="C3", label="I")
ax.set_xlim(protocol.duration - 100, protocol.duration)
ax.set_ylabel("neurons")
ax.set_title("E/I PING: spiking network (QIF neurons) and its next-generation mean field", fontsize=9)
ax = axes[1]
for pop, var, c in (("e", "r_e", "C0"), ("i", "r_i", "C3")):
    ax.plot(ds["time"], ds["rate"].sel(population=pop), color=c, lw=0.8, label=f"{var} network")
    ax.plot(mf.index, report.mean_field_rate(var), "--", color="k" if pop == "e" else "0.5", lw=1,
            label=f"{var} mean field (smoothed alike)")
ax.set_xlim(protocol.duration - 100, protocol.duration)
ax.set_xlabel("time (ms)")
ax.set_ylabel("rate (1/ms)")
ax.legend(fontsize=7, loc="upper right")
ax = axes[2]
fs = 1000.0 / protocol.sampling_step_size                 # samples per second
keep = ds["time"].values >= 100.0
top = 0.0
for y, lab, st in ((ds["rate"].sel(population="e").values[keep], "network", "-"),
                   (mf["r_e"].to_numpy()[mf.index.to_numpy() >= 100.0], "mean field", "--")):
    fr, p = welch(y - y.mean(), fs=fs, nperseg=min(4096, y.size))
    ax.semilogy(fr, p, st, label=lab)
    top = max(top, p.max())
ax.set_ylim(top * 1e-8, top * 10)
ax.set_xlim(0, 200)
ax.set_xlabel("frequency (Hz)")
ax.set_ylabel("power of r_e")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(out_path("spiking_ping"), dpi=110)
print("wrote", out_path("spiking_ping"))
