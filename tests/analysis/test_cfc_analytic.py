"""Phase-amplitude coupling against analytic results: exact discrete formulas for a sinusoidally modulated
amplitude on an equispaced phase, a synthetic coupled signal through every filter, and no coupling."""
import math

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, signal

from neurodyn.observables import (
    amplitude_distribution,
    analytic_signal,
    comodulogram,
    frequency_bands,
    pac,
    phase_amplitude,
    preferred_phase,
)
from neurodyn.observables.cfc_filters import design_bank, hilbert_analytic

N_BINS, M_PER_BIN, CYCLES = 18, 25, 4
M_DEPTH, PHI0 = 0.6, 0.7


@pytest.fixture(scope="module")
def equispaced():
    """theta on an equispaced grid, M samples per phase bin placed symmetrically about the bin centre, CYCLES
    full turns; amplitude 1 + m cos(theta - phi0)."""
    delta = 2 * np.pi / (N_BINS * M_PER_BIN)
    theta = -np.pi + (np.arange(N_BINS * M_PER_BIN) + 0.5) * delta
    theta = np.tile(theta, CYCLES)
    return theta, 1 + M_DEPTH * np.cos(theta - PHI0)


def exact_distribution():
    """P_k = (1 + m D cos(c_k - phi0)) / N: the mean of cos over M equispaced points of spacing delta around
    c_k is cos(c_k - phi0) D with the Dirichlet factor D = sin(M delta / 2) / (M sin(delta / 2))."""
    delta = 2 * np.pi / (N_BINS * M_PER_BIN)
    d = math.sin(M_PER_BIN * delta / 2) / (M_PER_BIN * math.sin(delta / 2))
    c = -np.pi + (np.arange(N_BINS) + 0.5) * 2 * np.pi / N_BINS
    return (1 + M_DEPTH * d * np.cos(c - PHI0)) / N_BINS


def test_binned_measures_exact(equispaced):
    theta, amp = equispaced
    p = exact_distribution()
    # exact formulas; round-off of sums of 1800 terms: 1e-12 relative
    np.testing.assert_allclose(float(pac(theta, amp, "tort")), 1 + np.sum(p * np.log(p)) / np.log(N_BINS), rtol=1e-10)
    np.testing.assert_allclose(float(pac(theta, amp, "hr")), (p.max() - p.min()) / p.max(), rtol=1e-12)
    np.testing.assert_allclose(amplitude_distribution(theta, amp).values, p, rtol=1e-12)


def test_vector_measures_exact(equispaced):
    theta, amp = equispaced
    n = theta.size
    # sum_t cos(theta_t - phi0) exp(i theta_t) = (n / 2) exp(i phi0) on a full equispaced circle
    np.testing.assert_allclose(float(pac(theta, amp, "mvl")), M_DEPTH / 2, rtol=1e-12)
    np.testing.assert_allclose(float(preferred_phase(theta, amp)), PHI0, atol=1e-12)
    # z = m cos(.) / (m sqrt(n / (2 (n - 1)))) with the ddof=1 deviation -> ndPAC = sqrt((n - 1) / (2 n))
    np.testing.assert_allclose(float(pac(theta, amp, "ndpac")), math.sqrt((n - 1) / (2 * n)), rtol=1e-12)
    # an envelope phase locked to theta with a constant lag: synchrony 1
    np.testing.assert_allclose(float(pac(theta, amp, "phase_sync", amplitude_phase=theta - PHI0)), 1.0, rtol=1e-12)


def test_uniform_and_concentrated_amplitude(equispaced):
    theta, _ = equispaced
    flat = np.full_like(theta, 3.0)
    assert abs(float(pac(theta, flat, "tort"))) < 1e-14        # KL(uniform, uniform) = 0
    assert abs(float(pac(theta, flat, "heights_ratio"))) < 1e-14
    assert abs(float(pac(theta, flat, "mvl"))) < 1e-12
    one_bin = np.where((theta >= 0) & (theta < 2 * np.pi / N_BINS), 1.0, 0.0)
    np.testing.assert_allclose(float(pac(theta, one_bin, "tort")), 1.0, rtol=1e-14)   # all mass in one bin
    np.testing.assert_allclose(float(pac(theta, one_bin, "heights_ratio")), 1.0, rtol=1e-14)


def test_phase_sync_of_the_hilbert_envelope_phase():
    """A = 1 + m cos(theta) over whole cycles: the DFT Hilbert transform is exact, psi = atan2(m sin, 1 + m cos),
    and the synchrony is (1/2pi) int cos(theta - psi(theta)) dtheta (quad; the periodic sum converges
    spectrally, so 1e-10)."""
    m, n, k = 0.5, 4000, 8
    theta = np.angle(np.exp(2j * np.pi * k * np.arange(n) / n))
    expected = integrate.quad(lambda th: math.cos(th - math.atan2(m * math.sin(th), 1 + m * math.cos(th))),
                              0, 2 * np.pi, epsabs=1e-13)[0] / (2 * np.pi)
    np.testing.assert_allclose(float(pac(theta, 1 + m * np.cos(theta), "phase_sync")), expected, rtol=1e-10)


def test_hilbert_matches_scipy():
    x = np.random.default_rng(0).standard_normal((3, 1001))
    for n in (1001, 1000):
        np.testing.assert_allclose(hilbert_analytic(x[:, :n]), signal.hilbert(x[:, :n], axis=-1), atol=1e-12)


def test_fir_by_fft_equals_filtfilt():
    """The FFT forward-backward FIR equals scipy.signal.filtfilt with the same taps and padlen = order inside
    the record (to round-off), for every band of a bank (the bank shares one padding of the largest order)."""
    fs, n = 500.0, 3000
    x = np.random.default_rng(1).standard_normal((2, n))
    bands = np.array([[4.0, 8.0], [20.0, 30.0]])
    bank = design_bank(bands, fs, n, "fir", 3.0, "Hz", "test")
    for k, z in bank.analytic(x):
        order = int(3 * (fs // bands[k, 0]))
        h = signal.firwin(order + 1, bands[k], pass_zero=False, window="hamming", fs=fs)
        ref = signal.filtfilt(h, 1.0, x, padlen=order, axis=-1)
        np.testing.assert_allclose(z.real, ref, atol=1e-12 * np.abs(ref).max())


def _sinusoid_errors(filt, hilbert):
    """Largest amplitude and phase errors of the analytic signal of a sinusoid at the band centre (Butterworth:
    the geometric centre, where |H|^2 = 1), more than 0.5 s from the ends of a 3 s record."""
    fs, f = 1000.0, math.sqrt(20 * 40)
    t = np.arange(0, 3.0, 1 / fs)
    x = 2.0 * np.cos(2 * np.pi * f * t + 0.3)
    band = (f - 10, f + 10) if filt != "butter" else (20.0, 40.0)
    z = analytic_signal(x, band, sample_period=1 / fs, time_unit="s", filter=filt, hilbert=hilbert).values[0]
    core = slice(500, -500)
    damp = np.abs(np.abs(z[core]) / 2.0 - 1.0).max()
    dphi = np.abs(np.angle(z[core] * np.exp(-1j * (2 * np.pi * f * t[core] + 0.3)))).max()
    return damp, dphi


@pytest.mark.parametrize("filt", ["fir", "butter", "morlet"])
def test_analytic_signal_of_a_sinusoid(filt):
    """Zero-phase filters with unit gain at the frequency keep amplitude and phase. 1e-4: the FIR's stop-band
    leakage (measured 3e-6) and the Butterworth's edge transient still ringing 0.5 s in (7e-5); the Morlet
    product is exact (1e-11)."""
    damp, dphi = _sinusoid_errors(filt, "extended")
    assert damp < 1e-4 and dphi < 1e-4


def test_hilbert_of_the_record_has_larger_edge_effects():
    """The documented cost of hilbert='record' (tensorpac's order): the record's ends act as a jump for the
    circular Hilbert transform; half a second in, a 28 Hz rhythm still has ~0.6 % amplitude error."""
    ext, rec = _sinusoid_errors("fir", "extended"), _sinusoid_errors("fir", "record")
    assert 1e-3 < rec[0] < 1e-2 and rec[0] > 100 * ext[0]


FP, FA, A_AMP, M_RAW, PHI_RAW = 6.0, 80.0, 0.5, 0.8, -1.2


@pytest.fixture(scope="module")
def coupled():
    """10 s at 1 kHz: a 6 Hz rhythm and an 80 Hz rhythm of amplitude a (1 + m cos(theta - phi0))."""
    t = np.arange(0, 10.0, 1e-3)
    theta = 2 * np.pi * FP * t
    return np.cos(theta) + A_AMP * (1 + M_RAW * np.cos(theta - PHI_RAW)) * np.cos(2 * np.pi * FA * t)


@pytest.mark.parametrize("filt", ["fir", "butter", "morlet"])
def test_raw_signal_recovers_coupling(coupled, filt):
    """Band (4, 8) holds the 6 Hz phase; band (50, 110) holds 80 Hz and its sidebands 74, 86 Hz. The FIR's zero-
    phase gain there is 1.0005 and 1.0018 relative to the centre (Butterworth: 1.0000, 0.9998), so the measured
    depth m is up to 0.2 % high: tolerance 3e-3 for the MVL, 6e-3 for the MI (~ m^2). The Morlet wavelet (width 7
    at the 80 Hz centre) has the Gaussian gain g = exp(-(6 Hz)^2 / (2 sigma_f^2)), sigma_f = 80 / 7 Hz, on the
    sidebands, so the envelope is a (1 + g m cos) exactly. ndPAC of a sinusoidal envelope is 1 / sqrt(2) for any
    depth; the band-passed envelope's phase follows theta exactly (measured errors 1e-4 and 1e-7)."""
    g = math.exp(-0.5 * (FP / (FA / 7.0)) ** 2) if filt == "morlet" else 1.0
    pa = phase_amplitude(coupled, (4, 8), (50, 110), sample_period=1e-3, time_unit="s", filter=filt, edges=1500)
    np.testing.assert_allclose(float(pa.pac("mvl")), A_AMP * g * M_RAW / 2, rtol=3e-3)
    np.testing.assert_allclose(float(pa.preferred_phase()), PHI_RAW, atol=1e-3)
    # continuous P(theta) ~ 1 + g m cos(theta - phi0) averaged over bins: sinc factor sin(pi/N) / (pi/N)
    c = -np.pi + (np.arange(18) + 0.5) * 2 * np.pi / 18
    p = 1 + g * M_RAW * math.sin(np.pi / 18) / (np.pi / 18) * np.cos(c - PHI_RAW)
    p /= p.sum()
    np.testing.assert_allclose(float(pa.pac("tort")), 1 + np.sum(p * np.log(p)) / np.log(18), rtol=6e-3)
    np.testing.assert_allclose(float(pa.pac("ndpac")), 1 / math.sqrt(2), rtol=1e-3)
    # the band-passed envelope follows theta with the lag phi0: synchrony 1
    np.testing.assert_allclose(float(pa.pac("phase_sync")), 1.0, rtol=1e-4)


def test_comodulogram_peaks_at_the_coupled_bands(coupled):
    x = coupled + np.random.default_rng(3).standard_normal(coupled.size)
    fp = frequency_bands(np.arange(4.0, 13.0, 2.0), width=2.0)
    fa = frequency_bands(np.arange(40.0, 141.0, 20.0), width=30.0)
    for method in ("tort", "mvl", "ndpac"):
        como = comodulogram(x, fp, fa, method, sample_period=1.0, time_unit="ms", edges=1000)
        best = como.argmax(dim=["f_amplitude", "f_phase"])
        assert float(como["f_phase"][best["f_phase"]]) == FP, method
        assert float(como["f_amplitude"][best["f_amplitude"]]) == FA, method


def test_no_coupling_is_near_zero(coupled):
    """Independent noise: every value is far below the coupled signal's (MI bias ~ (N - 1) / (2 n_eff))."""
    rng = np.random.default_rng(4)
    noise = rng.standard_normal((10000, 3))
    kw = dict(sample_period=1e-3, time_unit="s", edges=1000)
    for method in ("tort", "mvl", "ndpac", "phase_sync"):
        null = comodulogram(noise, (4, 8), (50, 110), method, **kw)
        sig = comodulogram(coupled + rng.standard_normal(coupled.size), (4, 8), (50, 110), method, **kw)
        assert float(null.max()) < 0.1 * float(sig), method


def test_time_units_and_dataarray_input(coupled):
    """The same record in seconds, in ms, without a unit (cycles per ms) and as a network-style DataArray."""
    x = np.column_stack([coupled, coupled[::-1]])
    kw = dict(edges=500)
    ref = comodulogram(x, (4, 8), (50, 110), "tort", sample_period=1e-3, time_unit="s", **kw)
    ms = comodulogram(x, (4, 8), (50, 110), "tort", sample_period=1.0, time_unit="ms", **kw)
    unitless = comodulogram(x, (0.004, 0.008), (0.05, 0.11), "tort", sample_period=1.0, **kw)
    np.testing.assert_allclose(ms.values, ref.values, rtol=1e-12)
    np.testing.assert_allclose(unitless.values, ref.values, rtol=1e-12)
    assert ref["f_phase"].attrs["units"] == "Hz" and unitless["f_phase"].attrs["units"] == "1/time unit"
    ds = xr.Dataset({"r_e": (("time", "region"), x)},
                    coords={"time": np.arange(x.shape[0]) * 1.0, "region": [0, 1], "label": ("region", ["a", "b"])})
    da = comodulogram(ds["r_e"], (4, 8), (50, 110), "tort", time_unit="ms", **kw)
    assert da.dims == ("region",) and list(da["label"].values) == ["a", "b"]
    np.testing.assert_allclose(da.values, ref.values, rtol=1e-12)
    one = comodulogram(coupled, (4, 8), [(50, 110), (120, 160)], "tort", sample_period=1e-3, time_unit="s", **kw)
    assert one.dims == ("f_amplitude",) and float(one["f_phase"]) == 6.0       # a bare pair: a scalar coordinate
    listed = comodulogram(coupled, [(4, 8)], [(50, 110), (120, 160)], "tort", sample_period=1e-3, time_unit="s", **kw)
    assert listed.dims == ("f_amplitude", "f_phase") and listed.shape == (2, 1)
    np.testing.assert_allclose(listed.values[:, 0], one.values, rtol=1e-14)


def test_amplitude_from_another_signal(coupled):
    """amplitude_data: theta phase of one record, gamma amplitude of another. The gamma of the second record is
    modulated by the first record's theta, which the second record does not contain."""
    t = np.arange(coupled.size) * 1e-3
    theta = 2 * np.pi * FP * t
    rng = np.random.default_rng(5)
    x1 = np.cos(theta) + 0.3 * rng.standard_normal(t.size)
    x2 = (1 + 0.8 * np.cos(theta)) * np.cos(2 * np.pi * FA * t) + 0.3 * rng.standard_normal(t.size)
    kw = dict(sample_period=1e-3, time_unit="s", edges=1000)
    cross = float(comodulogram(x1, (4, 8), (50, 110), "tort", amplitude_data=x2, **kw))
    within = float(comodulogram(x2, (4, 8), (50, 110), "tort", **kw))
    assert cross > 0.02 and within < 0.05 * cross


@pytest.mark.parametrize("method", ["mvl", "tort", "heights_ratio", "ndpac", "phase_sync"])
def test_comodulogram_equals_phase_amplitude_path(coupled, method):
    """comodulogram (chunked; cos/sin of the phase from the analytic signal) and PhaseAmplitude.pac (stored
    phases; np.cos / np.sin) are two code paths for one quantity: equal to round-off."""
    x = np.column_stack([coupled, coupled[::-1], np.roll(coupled, 777)])
    kw = dict(sample_period=1e-3, time_unit="s", edges=700)
    fp, fa = [(4, 8), (8, 12)], [(50, 110), (60, 100)]
    ref = phase_amplitude(x, fp, fa, **kw).pac(method)
    np.testing.assert_allclose(comodulogram(x, fp, fa, method, **kw).values, ref.values, rtol=1e-10)
