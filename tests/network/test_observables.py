"""FC, FCD, spectra, streaming reducers and memory checks, against analytic or independent results.

- FC: Gaussian samples with a prescribed covariance -> Pearson matrix equals the prescribed correlation within
  the sampling error; also equals numpy.corrcoef (a separate implementation) to round-off.
- streaming FC / moments equal the batch statistics to round-off for any chunking.
- spectra: sinusoids of known frequency -> dominant frequency; white noise -> flat PSD of known level.
"""
import numpy as np
import pytest
import xarray as xr

from neurodyn.errors import InputError, MemoryBudgetError, NeurodynError
from neurodyn.observables import (
    RunningCovariance,
    RunningMoments,
    bandpass,
    bold_functional_connectivity,
    check_output_memory,
    dominant_frequency,
    estimate_output_bytes,
    fc_similarity,
    fcd,
    fcd_window_starts,
    functional_connectivity,
    power_spectrum,
)


def _known_covariance_samples(n, seed=0):
    rng = np.random.default_rng(seed)
    corr = np.array([[1.0, 0.8, -0.3, 0.0],
                     [0.8, 1.0, -0.1, 0.2],
                     [-0.3, -0.1, 1.0, 0.5],
                     [0.0, 0.2, 0.5, 1.0]])
    sd = np.array([1.0, 2.0, 0.5, 3.0])
    cov = corr * np.outer(sd, sd)
    x = rng.multivariate_normal(np.array([1.0, -2.0, 0.0, 5.0]), cov, size=n)
    return x, corr


# ---------------------------------------------------------------- FC
def test_fc_known_covariance():
    x, corr = _known_covariance_samples(200_000)
    fc = functional_connectivity(x)
    # standard error of a sample correlation ~ (1 - rho^2)/sqrt(n) <= 2.3e-3 here; 5 sigma = 0.012
    np.testing.assert_allclose(fc, corr, atol=0.012)
    np.testing.assert_allclose(fc, np.corrcoef(x.T), atol=1e-12)    # independent implementation
    assert np.all(np.diag(fc) == 1.0) and np.allclose(fc, fc.T)


def test_fc_fisher_and_xarray():
    x, _ = _known_covariance_samples(5000)
    z = functional_connectivity(x, fisher_z=True)
    np.testing.assert_allclose(z[0, 1], np.arctanh(np.corrcoef(x.T)[0, 1]), rtol=1e-10)
    assert np.all(np.diag(z) == 0)
    da = xr.DataArray(x, dims=("time", "region"), coords={"time": np.arange(5000) * 0.5, "region": list("abcd")})
    fc = functional_connectivity(da)
    assert fc.dims == ("region", "region_2") and list(fc.region.values) == list("abcd")
    np.testing.assert_allclose(fc.values, np.corrcoef(x.T), atol=1e-12)
    # region axis first is transposed to (time, region)
    np.testing.assert_allclose(functional_connectivity(da.T).values, fc.values, atol=1e-14)


def test_fc_errors():
    x = np.random.default_rng(0).standard_normal((100, 3))
    x[:, 1] = 4.0
    with pytest.raises(InputError, match="constant"):
        functional_connectivity(x)
    y = np.random.default_rng(0).standard_normal((100, 3))
    y[5, 2] = np.nan
    with pytest.raises(InputError, match="non-finite.*region 2"):
        functional_connectivity(y)
    with pytest.raises(InputError, match="2-D"):
        functional_connectivity(np.zeros((3, 3, 3)))
    with pytest.raises(InputError, match="sample_period"):
        functional_connectivity(y[:, :2], band=(0.1, 0.2))
    with pytest.raises(NeurodynError):
        functional_connectivity(np.zeros((2, 3)))


def test_bandpass_selects_frequency():
    dt = 1e-3  # s
    t = np.arange(20_000) * dt
    slow, fast = np.sin(2 * np.pi * 2 * t), np.sin(2 * np.pi * 60 * t)
    y = bandpass(np.column_stack([slow + fast]), 40, 80, sample_period=dt)[:, 0]
    core = slice(2000, -2000)   # away from the filtfilt edges
    # a 4th-order Butterworth applied twice: 60 Hz passes with gain ~1, 2 Hz is attenuated by > 1e6; measured
    # max |y - fast| = 4e-7 away from the edges, 1e-5 asserted (a filter that let 2 Hz through at 1e-4 fails)
    np.testing.assert_allclose(y[core], fast[core], atol=1e-5)
    # FC after band-pass: two signals sharing only a 60 Hz component are correlated in the band only
    rng = np.random.default_rng(0)
    a = fast + 3 * np.sin(2 * np.pi * 1 * t + rng.random())
    b = fast + 3 * np.cos(2 * np.pi * 1.3 * t)
    fc = functional_connectivity(np.column_stack([a, b]), band=(40, 80), sample_period=dt)
    assert fc[0, 1] > 0.999
    with pytest.raises(InputError, match="Nyquist"):
        bandpass(np.column_stack([a]), 40, 600, sample_period=dt)


def test_bold_fc_follows_shared_slow_drive():
    # regions 0 and 1 share a slow (0.05 Hz) component, region 2 gets an independent one; the balloon
    # low-passes away the fast noise, so BOLD FC is ~1 for (0, 1) and ~0 for (0, 2) (measured 0.998 and
    # -0.06..-0.08 over seeds; the residual comes from two sinusoids over a finite 180 s window)
    dt = 1.0  # ms
    t = np.arange(0, 200_000.0, dt) * 1e-3          # 200 s in seconds
    rng = np.random.default_rng(2)
    shared = 0.3 * (1 + np.sin(2 * np.pi * 0.05 * t))
    other = 0.3 * (1 + np.sin(2 * np.pi * 0.031 * t + 1.0))
    x = np.column_stack([shared, shared, other]) + 0.5 * rng.standard_normal((t.size, 3))
    fc, bold = bold_functional_connectivity(x, dt, time_unit="ms", tr=1.0, discard=20.0)
    assert bold.shape == (180, 3)
    assert fc[0, 1] > 0.99 and abs(fc[0, 2]) < 0.3
    with pytest.raises(InputError, match="simulate longer"):
        bold_functional_connectivity(x[:5000], dt, time_unit="ms", tr=1.0, discard=20.0)


def test_fc_similarity():
    x, corr = _known_covariance_samples(2000)
    assert fc_similarity(corr, corr) == pytest.approx(1.0)
    assert fc_similarity(corr, -corr) == pytest.approx(-1.0)


# ---------------------------------------------------------------- FCD
def test_fcd_structure_and_values():
    rng = np.random.default_rng(3)
    n_w, w = 6, 400
    # windows alternate between two correlation structures A and B: FCD ~ +1 for same, lower across
    corr_a = np.array([[1, .9, 0], [.9, 1, 0], [0, 0, 1.]])
    corr_b = np.array([[1, 0, .9], [0, 1, 0], [.9, 0, 1.]])
    chunks = [rng.multivariate_normal(np.zeros(3), corr_a if k % 2 == 0 else corr_b, size=w) for k in range(n_w)]
    x = np.concatenate(chunks)
    m = fcd(x, window=w, step=w)
    assert m.shape == (n_w, n_w)
    np.testing.assert_allclose(np.diag(m), 1.0)
    # independent check: correlate the upper triangles of numpy.corrcoef per window
    iu = np.triu_indices(3, 1)
    pats = [np.corrcoef(c.T)[iu] for c in chunks]
    expected = np.corrcoef(np.array(pats))
    np.testing.assert_allclose(m, expected, atol=1e-12)
    assert m[0, 2] > 0.9 and m[0, 1] < 0
    # time units: sample period 0.5 -> window 200.0 time units = 400 samples
    np.testing.assert_allclose(fcd(x, window=200.0, step=200.0, sample_period=0.5), m, atol=1e-14)
    assert fcd_window_starts(2400, 400, 200).tolist() == [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]
    assert fcd(x, window=400, step=200).shape == (11, 11)


def test_fcd_errors():
    x = np.random.default_rng(0).standard_normal((100, 4))
    with pytest.raises(InputError, match="longer than the data"):
        fcd(x, window=200, step=10)
    with pytest.raises(InputError, match="whole multiple"):
        fcd(x, window=10.3, step=1.0, sample_period=1.0)
    with pytest.raises(InputError, match="whole number of samples"):
        fcd(x, window=10.5, step=1)
    with pytest.raises(InputError, match="at least 3 regions"):
        fcd(x[:, :2], window=20, step=10)


# ---------------------------------------------------------------- spectra
def test_dominant_frequency_of_sinusoids_ms_time():
    dt = 0.1  # ms
    t = np.arange(0, 4000.0, dt)    # 4 s
    freqs_hz = np.array([7.3, 23.0, 41.7, 65.2])
    rng = np.random.default_rng(0)
    x = np.sin(2 * np.pi * freqs_hz * 1e-3 * t[:, None] + rng.random(4)) + 0.1 * rng.standard_normal((t.size, 4))
    f_peak = dominant_frequency(x, sample_period=dt, time_unit="ms", nperseg=20_000, interpolate=False)
    df = 1.0 / (20_000 * dt * 1e-3)   # bin width 0.5 Hz
    assert np.all(np.abs(f_peak - freqs_hz) <= df / 2 + 1e-12)
    f_int = dominant_frequency(x, sample_period=dt, time_unit="ms", nperseg=20_000)
    assert np.all(np.abs(f_int - freqs_hz) < 0.15)   # sub-bin refinement (measured < 0.1 Hz)
    # band restricts the search: in 30-80 Hz region 0 (7.3 Hz) has no peak, the noise floor wins elsewhere
    f_band = dominant_frequency(x[:, 2:], sample_period=dt, time_unit="ms", band=(30, 80), nperseg=20_000)
    np.testing.assert_allclose(f_band, [41.7, 65.2], atol=0.15)


def test_spectrum_xarray_and_units():
    dt = 0.5  # ms
    t = np.arange(0, 2000.0, dt)
    da = xr.DataArray(np.sin(2 * np.pi * 0.02 * t)[:, None] * [1.0, 2.0], dims=("time", "region"),
                      coords={"time": t, "region": ["a", "b"]})
    da["time"].attrs["units"] = "ms"
    psd = power_spectrum(da, nperseg=4000)
    assert psd.dims == ("frequency", "region") and psd["frequency"].attrs["units"] == "Hz"
    f = dominant_frequency(da, nperseg=4000)
    np.testing.assert_allclose(f.values, 20.0, atol=0.05)
    # amplitude 2 -> 4x power
    np.testing.assert_allclose(psd.sel(region="b").values.max() / psd.sel(region="a").values.max(), 4.0, rtol=1e-10)
    # no unit -> cycles per ms
    f_raw = dominant_frequency(da.values, sample_period=dt, nperseg=4000)
    np.testing.assert_allclose(f_raw, 0.02, atol=5e-5)


def test_white_noise_psd_level():
    # one-sided PSD of white noise with variance s2 at sample rate fs is 2 s2 / fs
    rng = np.random.default_rng(5)
    fs, s2 = 1000.0, 4.0
    x = rng.normal(0, np.sqrt(s2), size=(200_000, 1))
    f, p = power_spectrum(x, sample_period=1 / fs, time_unit="s", nperseg=1000)
    inner = (f > 5) & (f < 495)
    # Welch average over ~400 segments: each bin scatters by ~5 % (1/sqrt(400), measured 5.0 %); the mean over
    # the 489 inner bins (neighbours correlated through the Hann window) by ~0.3 %: measured 0.34 % with this
    # seed. 1 % is ~3 standard deviations; a wrong normalisation (one-sided factor 2, fs, window power) is >= 50 %
    assert p[inner].mean() == pytest.approx(2 * s2 / fs, rel=0.01)


def test_spectra_errors():
    x = np.random.default_rng(0).standard_normal((100, 2))
    with pytest.raises(InputError, match="sample_period"):
        power_spectrum(x)
    with pytest.raises(InputError, match="no frequency bin"):
        dominant_frequency(x, sample_period=1.0, band=(0.6, 0.7))
    with pytest.raises(InputError, match="time unit"):
        power_spectrum(x, sample_period=1.0, time_unit="hours")
    t = np.array([0, 1, 2, 4.0])
    with pytest.raises(InputError, match="uniformly"):
        power_spectrum(xr.DataArray(np.ones((4, 1)), dims=("time", "region"), coords={"time": t}))


# ---------------------------------------------------------------- streaming
@pytest.mark.parametrize("n_chunks", [1, 3, 17, 1000])
def test_streaming_fc_equals_batch(n_chunks):
    x, _ = _known_covariance_samples(20_000, seed=n_chunks)
    x = x + 1e4    # large offset: a naive sum-of-squares would lose ~8 digits, Welford/Chan does not
    acc = RunningCovariance(4)
    for chunk in np.array_split(x, n_chunks):
        acc.update(chunk)
    assert acc.count == 20_000
    np.testing.assert_allclose(acc.correlation(), np.corrcoef(x.T), atol=1e-10)
    np.testing.assert_allclose(acc.covariance(), np.cov(x.T), rtol=1e-9)
    np.testing.assert_allclose(acc.mean, x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(acc.variance(ddof=1), x.var(axis=0, ddof=1), rtol=1e-9)
    np.testing.assert_allclose(acc.correlation(), functional_connectivity(x), atol=1e-10)


def test_running_moments_single_samples_and_errors():
    x = np.random.default_rng(0).standard_normal((50, 3)) * [1, 2, 3] + 7
    m = RunningMoments(3)
    for row in x:
        m.update(row)     # one time point at a time (Welford's original form)
    np.testing.assert_allclose(m.mean, x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(m.variance(), x.var(axis=0), rtol=1e-12)
    np.testing.assert_allclose(m.std(ddof=1), x.std(axis=0, ddof=1), rtol=1e-12)
    with pytest.raises(InputError, match=r"\(n_times, 3\)"):
        m.update(np.zeros((4, 2)))
    with pytest.raises(InputError, match="non-finite"):
        m.update(np.array([[1.0, np.inf, 0.0]]))
    with pytest.raises(InputError, match="not enough"):
        RunningMoments(2).variance()
    c = RunningCovariance(2)
    c.update(np.column_stack([np.arange(10.0), np.ones(10)]))
    with pytest.raises(InputError, match="constant"):
        c.correlation()


# ---------------------------------------------------------------- memory
def test_memory_estimate_and_budget():
    assert estimate_output_bytes(1000, 90, 2, np.float64) == 1000 * 90 * 2 * 8
    assert estimate_output_bytes(1000, 90, 2, np.float32) == 1000 * 90 * 2 * 4
    assert estimate_output_bytes(10, 10, 1, np.complex128) == 1600
    assert check_output_memory(100, 10, budget=8000) == 8000
    with pytest.raises(MemoryBudgetError) as info:
        check_output_memory(10_000_000, 1000, 2, budget=2**30, sample_step=0.1)
    msg = str(info.value)
    assert "149.0 GiB" in msg and "sampling step 150x larger (>= 15)" in msg and "fewer" in msg
    assert isinstance(info.value, MemoryError) and isinstance(info.value, NeurodynError)
    # default budget: half the available memory; a petabyte never fits
    with pytest.raises(MemoryBudgetError, match="available memory"):
        check_output_memory(10**12, 1000)
    with pytest.raises(InputError):
        estimate_output_bytes(-1, 10)
    with pytest.raises(InputError, match="dtype"):
        estimate_output_bytes(1, 1, 1, "notatype")
