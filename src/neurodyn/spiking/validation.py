"""Validation built in: a mean-field template against the spiking network it reduces, on one protocol.

:func:`validate_mean_field` runs the template through neurodyn's own ``integrate`` (RK4 at the network's step,
inputs held over each step) and its spiking counterpart with the same inputs, then compares them: time averages
in steady windows, the peak of the rate (height and time) in transient windows, the dominant frequency in
oscillation windows. The report states the errors to expect: the finite-size error O(N^-1/2) (the Lorentzian
truncated at N quantiles, and the rate's fluctuations) and the cut-off error O(1/V_p) of the QIF peak; and it
draws the raster over the two rate traces.

Examples
--------
>>> from neurodyn.spiking import validate_mean_field, mpr_step_protocol
>>> rep = validate_mean_field("qif", N=2000, protocol=mpr_step_protocol(short=True, step_size=1e-3))
>>> rep.worst("r") < 0.15
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from neurodyn._xr import xr

from neurodyn.errors import InputError
from neurodyn.spiking.counterparts import spiking_counterpart
from neurodyn.spiking.protocols import Protocol, mpr_step_protocol, ping_protocol

__all__ = ["validate_mean_field", "ValidationReport", "PROTOCOLS"]

PROTOCOLS = {"mpr_step": mpr_step_protocol, "mpr_step_short": lambda: mpr_step_protocol(short=True),
             "ping": ping_protocol}


def _window(x: np.ndarray, t: np.ndarray, a: float, b: float) -> np.ndarray:
    return x[(t >= a - 1e-9) & (t < b - 1e-9)]


def _dominant_frequency(x: np.ndarray, dt: float) -> float:
    """1 / the mean interval between the maxima of an oscillation (maxima more prominent than a quarter of its
    range; NaN without two of them): finer than a periodogram's 1/window resolution."""
    from scipy.signal import find_peaks
    peaks, _ = find_peaks(x, prominence=0.25 * (np.max(x) - np.min(x)) if x.size else 0.0)
    if peaks.size < 2:
        return float("nan")
    return float((peaks.size - 1) / ((peaks[-1] - peaks[0]) * dt))


@dataclass
class ValidationReport:
    """Agreement of a template with its spiking network.

    ``table``: one row per (quantity, window, variable) with the network and mean-field values, the absolute
    error, the relative error (to the mean-field value) and the normalised error (to the largest mean-field
    magnitude over the run: meaningful for a v near 0); the mean-field rate is smoothed like the network's;
    ``network`` (xarray Dataset of the network run) and ``mean_field`` (DataFrame of the
    mean-field run); ``expected``: the scales N^-1/2 and 1/V_p.
    """

    template: str
    N: dict
    protocol: Protocol
    table: pd.DataFrame
    network: xr.Dataset
    mean_field: pd.DataFrame
    expected: dict
    outputs: dict = field(repr=False, default_factory=dict)

    def __repr__(self) -> str:
        with pd.option_context("display.width", 140, "display.max_columns", 12):
            return (f"<ValidationReport {self.template!r}, N = {self.N}, protocol {self.protocol.name!r}; expected "
                    f"finite-size error ~ {self.expected['finite_size']:.2g}, "
                    f"cut-off ~ {self.expected['cutoff']:.2g}>\n"
                    f"{self.table.to_string(float_format=lambda x: f'{x:.4g}')}")

    def worst(self, variable: str | None = None, quantity: str = "mean", error: str = "norm_error") -> float:
        """Largest error (column ``error``) of the ``quantity`` rows, optionally of one variable."""
        t = self.table[self.table["quantity"] == quantity]
        if variable is not None:
            t = t[t["variable"] == variable]
        if t.empty:
            raise InputError(f"no {quantity!r} rows for variable {variable!r}; variables: "
                             f"{sorted(set(self.table['variable']))}")
        return float(t[error].max())

    def mean_field_rate(self, name: str) -> np.ndarray:
        """The mean-field rate ``name`` smoothed with the protocol's Gaussian, as the network's rate is (and as
        the table compares them)."""
        from scipy.ndimage import gaussian_filter1d
        m = np.real(self.mean_field[name].to_numpy())
        return gaussian_filter1d(m, self.protocol.rate_sigma / self.protocol.sampling_step_size, mode="nearest",
                                 truncate=4.0)

    def plot(self, path=None, raster_neurons: int = 200):
        """Raster (sorted by eta) over the network and mean-field rates, and the other variables; returns the
        figure (and writes it to ``path`` if given)."""
        import matplotlib
        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        ds, mf = self.network, self.mean_field
        rows = [k for k in self.outputs if self.outputs[k][1] != "rate"]
        # the raster's neurons: those with recorded spikes, at most raster_neurons per population
        fig, axes = plt.subplots(2 + len(rows), 1, figsize=(8, 2.2 * (2 + len(rows))), sharex=True,
                                 gridspec_kw={"height_ratios": [2, 2] + [1.3] * len(rows)})
        ax = axes[0]
        if "spike_time" in ds:
            t, i = ds["spike_time"].values, ds["spike_neuron"].values
            eta = ds["eta"].values
            pops = ds["neuron_population"].values
            ypos = np.zeros(eta.size)
            y0 = 0
            for p in range(ds.sizes["population"]):
                idx = np.flatnonzero(pops == p)
                rec = np.unique(i[pops[i] == p]) if i.size else np.array([], dtype=int)
                pick = rec[np.linspace(0, rec.size - 1, min(raster_neurons, rec.size)).astype(int)] if rec.size else rec
                order = pick[np.argsort(eta[pick])]
                ypos[order] = y0 + np.arange(order.size)
                y0 += order.size
                del idx
                sel = np.isin(i, order)
                ax.plot(t[sel], ypos[i[sel]], "|", ms=2, color=f"C{p}")
            ax.set_ylabel("neurons\n(by eta)")
        ax.set_title(f"{self.template}: spiking network (N = {self.N}) vs mean field", fontsize=9)
        ax = axes[1]
        for k, (path_, var, pop) in self.outputs.items():
            if var != "rate":
                continue
            ax.plot(ds["time"], ds["rate"].sel(population=pop), lw=0.8, label=f"{k} network")
            ax.plot(mf.index, self.mean_field_rate(k), "--", lw=1.2, label=f"{k} mean field")
        ax.set_ylabel("rate")
        ax.legend(fontsize=7, loc="upper right")
        for ax, k in zip(axes[2:], rows):
            path_, var, pop = self.outputs[k]
            y = ds[var].sel(population=pop).values
            m = mf[k].to_numpy()
            if np.iscomplexobj(y) or np.iscomplexobj(m):
                y, m = np.abs(y), np.abs(m)
                k = f"|{k}|"
            ax.plot(ds["time"], y, lw=0.8, label="network")
            ax.plot(mf.index, m, "--", lw=1.2, label="mean field")
            ax.set_ylabel(k)
        axes[-1].set_xlabel(f"time ({'ms' if self.expected.get('time_unit') == 'ms' else 'tau'})")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig


def validate_mean_field(template, N, protocol="mpr_step", params=None, connectivity=None, seed: int | None = None,
                        method: str = "euler", v_peak: float = 100.0, placement: str = "quantile",
                        raster_neurons: int = 200, spike_sink=None) -> ValidationReport:
    """Run a template and its spiking network on one protocol and compare them.

    Parameters
    ----------
    template : str or CircuitTemplate
        A template with a spiking counterpart (see :func:`~neurodyn.spiking.spiking_counterpart`).
    N : int or dict
        Neurons per population.
    protocol : Protocol or str
        'mpr_step' (MPR 2015's step, 60 tau), 'mpr_step_short' (32 tau), 'ping' (300 ms at I_ext_e = 10), or a
        :class:`~neurodyn.spiking.Protocol`.
    params, connectivity, seed, method, v_peak, placement
        Passed to :func:`~neurodyn.spiking.spiking_counterpart` and the network run.
    raster_neurons : int
        Spikes are recorded for this many neurons per population (for the raster); rates come from all.

    Returns
    -------
    ValidationReport
    """
    from neurodyn.simulate import integrate

    if isinstance(protocol, str):
        if protocol not in PROTOCOLS:
            raise InputError(f"unknown protocol {protocol!r}; valid: {', '.join(PROTOCOLS)} or a Protocol")
        protocol = PROTOCOLS[protocol]()
    if not isinstance(protocol, Protocol):
        raise InputError(f"protocol must be a Protocol or a name, got {type(protocol).__name__}")
    net = spiking_counterpart(template, N, params=params, connectivity=connectivity, seed=seed, v_peak=v_peak,
                              placement=placement)
    cp = net.counterpart
    drive = next(iter(cp.inputs))
    dt = protocol.step_size
    inputs = protocol.input_arrays(drive, dt)
    if protocol.baseline is None:
        for path, arr in inputs.items():
            pop = cp.inputs[path]
            arr[arr == 0.0] += cp.default_inputs[pop]
    ds = net.run(protocol.duration, dt, inputs=inputs, method=method, sampling_step_size=protocol.sampling_step_size,
                 rate=("gaussian", protocol.rate_sigma), spikes=raster_neurons, spike_sink=spike_sink)
    outputs = {k: v[0] for k, v in cp.outputs.items()}
    mf = integrate(cp.circuit, protocol.duration, dt, outputs=outputs, inputs=inputs or None, solver="rk4",
                   sampling_step_size=protocol.sampling_step_size, input_interpolation="step")
    rows = []
    t_net = ds["time"].values
    t_mf = mf.index.to_numpy()
    series = []
    for name, (path, var, pop) in cp.outputs.items():
        y = ds[var].sel(population=pop).values
        m = mf[name].to_numpy()
        if np.iscomplexobj(y):      # a complex order parameter is compared part by part
            series += [(f"Re {name}", var, y.real, np.real(m)), (f"Im {name}", var, y.imag, np.imag(m))]
        else:
            series.append((name, var, y, np.real(m)))
    for name, var, y, m in series:
        scale = float(np.max(np.abs(m)))
        if var == "rate":
            # the network's rate is smoothed with a Gaussian: compare it with the mean-field rate smoothed alike
            from scipy.ndimage import gaussian_filter1d
            m = gaussian_filter1d(m, protocol.rate_sigma / protocol.sampling_step_size, mode="nearest", truncate=4.0)

        def row(**kw):
            kw["rel_error"] = kw["abs_error"] / max(abs(kw["mean_field"]), 1e-12)
            kw["norm_error"] = kw["abs_error"] / max(scale, 1e-12)
            rows.append(kw)
        for label, a, b in protocol.steady:
            yn, ym = np.mean(_window(y, t_net, a, b)), np.mean(_window(m, t_mf, a, b))
            err = abs(yn - ym)
            row(quantity="mean", window=label, variable=name, network=yn, mean_field=ym, abs_error=err)
        if var == "rate":
            for label, a, b in protocol.transient:
                yw, mw = _window(y, t_net, a, b), _window(m, t_mf, a, b)
                tw = _window(t_net, t_net, a, b)
                pn, pm = float(np.max(yw)), float(np.max(mw))
                row(quantity="peak", window=label, variable=name, network=pn, mean_field=pm, abs_error=abs(pn - pm))
                tn, tm = float(tw[np.argmax(yw)]), float(tw[np.argmax(mw)])
                row(quantity="peak_time", window=label, variable=name, network=tn, mean_field=tm,
                    abs_error=abs(tn - tm))
            for label, a, b in protocol.oscillation:
                fn = _dominant_frequency(_window(y, t_net, a, b), protocol.sampling_step_size)
                fm = _dominant_frequency(_window(m, t_mf, a, b), protocol.sampling_step_size)
                row(quantity="frequency", window=label, variable=name, network=fn, mean_field=fm,
                    abs_error=abs(fn - fm))
    sizes = {p.name: p.n for p in net.populations}
    qif = [p for p in net.populations if p.model == "qif"]
    expected = dict(finite_size=float(min(sizes.values())) ** -0.5,
                    cutoff=(1.0 / min(p.v_peak for p in qif)) if qif else 0.0, time_unit=cp.time_unit)
    ds.attrs.update(validated_template=cp.template, protocol=protocol.name)
    return ValidationReport(cp.template, sizes, protocol, pd.DataFrame(rows), ds, mf, expected, dict(cp.outputs))
