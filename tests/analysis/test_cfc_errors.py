"""Bad input to the cross-frequency coupling functions: typed errors that say where and how to fix."""
import numpy as np
import pytest
import xarray as xr

from neurodyn.errors import InputError
from neurodyn.observables import (
    analytic_signal,
    comodulogram,
    frequency_bands,
    pac,
    pac_surrogate_test,
    phase_amplitude,
    plot_comodulogram,
)

FS = 1000.0
X = np.random.default_rng(0).standard_normal((3000, 2))
KW = dict(sample_period=1 / FS, time_unit="s")


def test_band_above_nyquist():
    with pytest.raises(InputError, match="Nyquist frequency 500"):
        comodulogram(X, (4, 8), (400, 520), **KW)


def test_band_too_narrow_for_the_record():
    with pytest.raises(InputError, match="narrower than the frequency resolution"):
        comodulogram(X, (4, 4.2), (60, 100), **KW)                  # 3 s: resolution 0.33 Hz
    with pytest.raises(InputError, match=r"needs at least 3 x 1500 = 4500 samples"):
        comodulogram(X, (2, 4), (60, 100), **KW)                    # 3 cycles of 2 Hz: order 1500
    with pytest.raises(InputError, match="Morlet wavelet"):
        comodulogram(X[:500], (1, 3), (60, 100), filter="morlet", **KW)
    with pytest.raises(InputError, match="Butterworth kernel"):
        comodulogram(X[:600], (2, 4), (60, 100), filter="butter", **KW)


def test_bad_bands():
    with pytest.raises(InputError, match="0 < low < high"):
        comodulogram(X, (8, 4), (60, 100), **KW)
    with pytest.raises(InputError, match=r"shape \(n, 2\)"):
        comodulogram(X, [4, 8, 12], (60, 100), **KW)
    with pytest.raises(InputError, match="exactly one of width"):
        frequency_bands([4, 8])
    with pytest.raises(InputError, match="would start at"):
        frequency_bands([4], width=10)


def test_non_finite_data():
    bad = X.copy()
    bad[100, 1] = np.nan
    with pytest.raises(InputError, match="time index 100, region 1"):
        comodulogram(bad, (4, 8), (60, 100), **KW)
    phase = np.zeros((1000, 2))
    amp = np.ones((1000, 2))
    amp[5, 0] = np.inf
    with pytest.raises(InputError, match="amplitude has non-finite values.*time index 5, region index 0"):
        pac(phase, amp)


def test_mismatched_shapes():
    rng = np.random.default_rng(1)
    with pytest.raises(InputError, match="phase has 1000 time points and amplitude 900"):
        pac(rng.uniform(-3, 3, (1000, 2)), rng.random((900, 2)))
    with pytest.raises(InputError, match="phase has 2 regions and amplitude 3"):
        pac(rng.uniform(-3, 3, (1000, 2)), rng.random((1000, 3)))
    with pytest.raises(InputError, match="amplitude_data has shape"):
        comodulogram(X, (4, 8), (60, 100), amplitude_data=X[:, :1], **KW)
    with pytest.raises(InputError, match="amplitude_phase has shape"):
        pac(rng.uniform(-3, 3, (1000, 2)), rng.random((1000, 2)), "plv", amplitude_phase=np.zeros((1000, 3)))
    a = xr.DataArray(rng.random((1000, 2)), dims=("time", "region"), coords={"region": [0, 1]})
    p = xr.DataArray(rng.uniform(-3, 3, (1000, 2)), dims=("time", "region"), coords={"region": [5, 6]})
    with pytest.raises(InputError, match="different region coordinates"):
        pac(p, a)


def test_unknown_names_suggest_close_matches():
    with pytest.raises(InputError, match="did you mean 'tort'"):
        comodulogram(X, (4, 8), (60, 100), "trot", **KW)
    with pytest.raises(InputError, match="did you mean 'ndpac'"):
        pac(np.zeros(100), np.ones(100), "ndpak")
    with pytest.raises(InputError, match="did you mean 'butter'"):
        comodulogram(X, (4, 8), (60, 100), filter="buttter", **KW)
    with pytest.raises(InputError, match="did you mean 'time_shift'"):
        pac_surrogate_test(np.zeros(100), np.ones(100), kind="time_shif")
    with pytest.raises(InputError, match="hilbert must be 'extended'"):
        comodulogram(X, (4, 8), (60, 100), hilbert="padded", **KW)
    with pytest.raises(InputError, match="envelope_phase must be"):
        comodulogram(X, (4, 8), (60, 100), "plv", envelope_phase="hilbert", **KW)


def test_bad_values():
    phi = np.linspace(-np.pi, np.pi, 1000)
    with pytest.raises(InputError, match="radians.*deg2rad"):
        pac(np.degrees(phi), np.ones_like(phi))
    with pytest.raises(InputError, match="must be non-negative"):
        pac(phi, np.cos(phi), "tort")
    with pytest.raises(InputError, match="phase bin .* holds no sample"):
        pac(np.full(1000, 0.5), np.ones(1000), "tort")
    with pytest.raises(InputError, match="amplitude is constant"):
        pac(phi, np.ones_like(phi), "ndpac")
    with pytest.raises(InputError, match="n_bins must be an integer >= 2"):
        pac(phi, np.ones_like(phi), "tort", n_bins=1)
    with pytest.raises(InputError, match="ndpac_p is a significance level"):
        pac(phi, 1 + np.cos(phi), "ndpac", ndpac_p=5)
    with pytest.raises(InputError, match="phase is complex"):
        pac(np.exp(1j * phi), np.ones_like(phi))


def test_bad_settings():
    with pytest.raises(InputError, match="give sample_period="):
        comodulogram(X, (4, 8), (60, 100))
    with pytest.raises(InputError, match="edges .* must be an integer"):
        comodulogram(X, (4, 8), (60, 100), edges=1600, **KW)
    with pytest.raises(InputError, match="Butterworth order must be a positive integer"):
        comodulogram(X, (4, 8), (60, 100), filter="butter", order=2.5, **KW)
    with pytest.raises(InputError, match="cycles is one number or a"):
        comodulogram(X, (4, 8), (60, 100), cycles=(3, 6, 9), **KW)
    with pytest.raises(InputError, match="time unit 'min' unknown"):
        analytic_signal(X, (4, 8), sample_period=1.0, time_unit="min")
    with pytest.raises(InputError, match="min_shift = 600 leaves no lag"):
        pac_surrogate_test(np.linspace(-3, 3, 1000), np.ones(1000), "mvl", min_shift=600)
    with pytest.raises(InputError, match="lags= applies to kind='time_shift'"):
        pac_surrogate_test(np.linspace(-3, 3, 1000), np.ones(1000), "mvl", kind="block_resampling", lags=[1])


def test_plot_needs_one_region():
    import matplotlib

    matplotlib.use("Agg")
    pa = phase_amplitude(X, [(4, 8), (8, 12)], [(60, 100), (100, 140)], **KW)
    como = pa.pac("mvl")
    with pytest.raises(InputError, match="choose one with region="):
        plot_comodulogram(como)
    ax = plot_comodulogram(pa.surrogate_test("mvl", n_surrogates=9), region=1)
    assert ax.get_xlabel() == "phase frequency (Hz)"
    with pytest.raises(InputError, match="needs dims f_amplitude and f_phase"):
        plot_comodulogram(como.isel(f_phase=0))
