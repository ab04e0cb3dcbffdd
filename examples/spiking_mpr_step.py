"""The step protocol of Montbrio, Pazo & Roxin 2015 (Fig. 2): a network of QIF neurons against its firing-rate
equations.

N QIF neurons (V_p = -V_r = 100, refractory 2 tau/V_p with the spike in its middle, deterministic Lorentzian
eta_j with eta_bar = -5, Delta = 1, all-to-all J = 15, Euler dt = 1e-4 tau) start in the low state; I = 3 for
10 <= t < 40 makes the rate overshoot, ring and settle in the high state, where the bistable network stays
after I returns to 0. The mean field is the bundled `qif` template run by `neurodyn.integrate` with the same
input. Prints the agreement in each window and writes out/spiking_mpr_step.png (raster, rates, voltages).

Run: PYTHONPATH=src python examples/spiking_mpr_step.py           (N = 1e4, 60 tau: ~10 s)
     NEURODYN_EXAMPLE_QUICK=1 PYTHONPATH=src python examples/spiking_mpr_step.py   (N = 2000, 32 tau, dt 1e-3)
"""
import os

import matplotlib

matplotlib.use("Agg")

from neurodyn.spiking import mpr_step_protocol, validate_mean_field  # noqa: E402

from _paths import out_path  # noqa: E402

QUICK = os.environ.get("NEURODYN_EXAMPLE_QUICK", "") not in ("", "0")
N = 2000 if QUICK else 10_000
protocol = mpr_step_protocol(short=True, step_size=1e-3) if QUICK else mpr_step_protocol()

report = validate_mean_field("qif", N, protocol=protocol, raster_neurons=300)
print(f"MPR step protocol, N = {N}, {protocol.description}, dt = {protocol.step_size:g}")
print(f"expected finite-size error ~ N^-1/2 = {report.expected['finite_size']:.3g}, "
      f"cut-off error ~ 1/V_p = {report.expected['cutoff']:.3g}")
print(report.table.to_string(float_format=lambda x: f"{x:.4g}"))
print(f"worst relative error of the rate in the steady windows: {report.worst('r', error='rel_error'):.4f}")
report.plot(out_path("spiking_mpr_step"))
print("wrote", out_path("spiking_mpr_step"))
