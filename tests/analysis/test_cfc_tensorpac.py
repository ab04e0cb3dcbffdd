"""Phase-amplitude coupling against tensorpac (the peer) on identical inputs.

tensorpac 0.6.5 lays data out as (band, trial, time) and returns (amplitude band, phase band, trial); here the
trial axis is our region axis. Required agreement: 1e-6 relative (the brief); measured ~1e-13 (round-off of
sums of 10^3-10^4 terms in a different order), so any definition mismatch (a missing ddof, a different bin
edge, a different filter order) fails by orders of magnitude.
"""
import logging

import numpy as np
import pytest

tensorpac = pytest.importorskip("tensorpac", reason="tensorpac (extra neurodyn[peers]) not installed")
from tensorpac import Pac  # noqa: E402
from tensorpac.methods import meth_pac as T  # noqa: E402
from tensorpac.methods import meth_pac_nb as TN  # noqa: E402
from tensorpac.spectral import hilbertm  # noqa: E402

from neurodyn.observables import analytic_signal, comodulogram, pac, pac_surrogate_test, phase_amplitude  # noqa: E402

logging.getLogger("tensorpac").setLevel(logging.ERROR)
# tensorpac 0.6.5 calls the deprecated scipy.fftpack.helper
pytestmark = [pytest.mark.peer, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
RTOL = 1e-6
FS = 1000.0
F_PHA = [[4, 8], [6, 10], [2, 4]]
F_AMP = [[60, 100], [70, 90]]


def ours(x):
    """Our (band, time, region) layout from tensorpac's (band, trial, time)."""
    return np.ascontiguousarray(x.transpose(0, 2, 1))


def theirs(da):
    """tensorpac's (amplitude band, phase band, trial) from our result."""
    return da.transpose("f_amplitude", "f_phase", "region").values


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(0)
    pha = rng.uniform(-np.pi, np.pi, (3, 5, 2000))     # 3 phase bands, 5 trials, 2000 samples
    amp = rng.gamma(2.0, 1.0, (4, 5, 2000))
    return pha, amp


@pytest.fixture(scope="module")
def record():
    """3 regions x 10 s at 1 kHz: noise plus 6 Hz -> 80 Hz coupling. 10000 samples is 5-smooth, so tensorpac's
    Hilbert transform (zero padded to scipy's next fast length) works on the same length as ours."""
    rng = np.random.default_rng(1)
    t = np.arange(10000) / FS
    return rng.standard_normal((3, t.size)) + (1 + 0.5 * np.cos(2 * np.pi * 6 * t)) * np.cos(2 * np.pi * 80 * t)


def test_vector_measures_match(series):
    pha, amp = series
    np.testing.assert_allclose(theirs(pac(ours(pha), ours(amp), "mvl")), T.mean_vector_length(pha, amp), rtol=RTOL)
    np.testing.assert_allclose(theirs(pac(ours(pha), ours(amp), "ndpac")), T.norm_direct_pac(pha, amp, p=None),
                               rtol=RTOL)
    # Ozkurt's threshold at p = 0.05 (tensorpac's default) zeroes the non-significant cells identically
    ref = T.norm_direct_pac(pha, amp, p=0.05)
    got = theirs(pac(ours(pha), ours(amp), "ndpac", ndpac_p=0.05))
    assert (ref == 0).any() and (ref > 0).any()      # the test data exercise both sides of the threshold
    np.testing.assert_array_equal(got == 0, ref == 0)
    np.testing.assert_allclose(got, ref, rtol=RTOL)


def test_binned_measures_match_numba_implementation(series):
    """tensorpac's Numba MI / HR normalise each phase series by its own bin counts (Tort et al.'s definition)."""
    pha, amp = series
    refs = (("tort", TN.modulation_index_nb(pha, amp, 18)), ("heights_ratio", TN.heights_ratio_nb(pha, amp, 18)))
    for method, ref in refs:
        np.testing.assert_allclose(theirs(pac(ours(pha), ours(amp), method)), ref, rtol=RTOL, err_msg=method)
    ref = TN.modulation_index_nb(pha, amp, 7)
    np.testing.assert_allclose(theirs(pac(ours(pha), ours(amp), "tort", n_bins=7)), ref, rtol=RTOL)


def test_binned_measures_match_tensor_implementation_on_one_phase_series(series):
    """tensorpac's default (tensor) MI / HR pool the bin counts over phase bands and trials; for a single phase
    series that pooling is the per-series count, and the two implementations must agree."""
    pha, amp = series
    p1, a1 = pha[:1, :1], amp[:, :1]
    np.testing.assert_allclose(theirs(pac(ours(p1), ours(a1), "tort")), T.modulation_index(p1, a1), rtol=RTOL)
    np.testing.assert_allclose(theirs(pac(ours(p1), ours(a1), "heights_ratio")), T.heights_ratio(p1, a1), rtol=RTOL)


def test_phase_sync_matches_plv(series):
    pha, amp = series
    # default for precomputed series: phase of the Hilbert transform of the envelope (n = 2000 is 5-smooth)
    ref = T.phase_locking_value(pha, np.angle(hilbertm(amp)))
    np.testing.assert_allclose(theirs(pac(ours(pha), ours(amp), "plv")), ref, rtol=RTOL)
    # an explicit envelope phase
    psi = np.random.default_rng(2).uniform(-np.pi, np.pi, amp.shape)
    got = pac(ours(pha), ours(amp), "phase_sync", amplitude_phase=ours(psi))
    np.testing.assert_allclose(theirs(got), T.phase_locking_value(pha, psi), rtol=RTOL)


def test_fir_filter_phase_and_amplitude_match(record):
    p = Pac(idpac=(1, 0, 0), f_pha=F_PHA, f_amp=F_AMP, dcomplex="hilbert", cycle=(3, 6), verbose=False)
    filt = p.filter(FS, record, "phase", keepfilt=True, n_jobs=1)            # the real filtered signal
    z = analytic_signal(record.T, F_PHA, sample_period=1 / FS, time_unit="s", cycles=3, hilbert="record")
    np.testing.assert_allclose(z.real.transpose("frequency", "region", "time").values, filt,
                               atol=1e-9 * np.abs(filt).max())
    pa = phase_amplitude(record.T, F_PHA, F_AMP, sample_period=1.0, time_unit="ms", hilbert="record")  # in ms
    tp_pha = p.filter(FS, record, "phase", n_jobs=1)
    tp_amp = p.filter(FS, record, "amplitude", n_jobs=1)
    d = np.angle(np.exp(1j * (pa.phase.transpose("f_phase", "region", "time").values - tp_pha)))
    assert np.abs(d).max() < 1e-9
    np.testing.assert_allclose(pa.amplitude.transpose("f_amplitude", "region", "time").values, tp_amp,
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("idpac,method", [(1, "mvl"), (4, "ndpac")])
def test_comodulogram_matches_filterfit(record, idpac, method):
    p = Pac(idpac=(idpac, 0, 0), f_pha=F_PHA, f_amp=F_AMP, dcomplex="hilbert", cycle=(3, 6), verbose=False)
    ref = p.filterfit(FS, record, n_jobs=1, p=1.0)                         # p = 1: no ndPAC threshold
    got = comodulogram(record.T, F_PHA, F_AMP, method, sample_period=1 / FS, time_unit="s", hilbert="record")
    np.testing.assert_allclose(theirs(got), ref, rtol=RTOL)


def test_comodulogram_binned_and_phase_sync_on_tensorpac_filtering(record):
    """From raw data: MI / HR against tensorpac's Numba measures on tensorpac's own phases and amplitudes, and the
    PLV against tensorpac's PLV of the envelope's Hilbert phase (Pac.filterfit 0.6.5 takes the Hilbert phase twice
    for PLV, once in filterfit and again in fit, so its output is not that measure)."""
    p = Pac(idpac=(1, 0, 0), f_pha=F_PHA, f_amp=F_AMP, dcomplex="hilbert", cycle=(3, 6), verbose=False)
    tp_pha = p.filter(FS, record, "phase", n_jobs=1)
    tp_amp = p.filter(FS, record, "amplitude", n_jobs=1)
    kw = dict(sample_period=1 / FS, time_unit="s", hilbert="record")
    np.testing.assert_allclose(theirs(comodulogram(record.T, F_PHA, F_AMP, "tort", **kw)),
                               TN.modulation_index_nb(tp_pha, tp_amp, 18), rtol=RTOL)
    np.testing.assert_allclose(theirs(comodulogram(record.T, F_PHA, F_AMP, "heights_ratio", **kw)),
                               TN.heights_ratio_nb(tp_pha, tp_amp, 18), rtol=RTOL)
    got = comodulogram(record.T, F_PHA, F_AMP, "phase_sync", envelope_phase="unfiltered", **kw)
    np.testing.assert_allclose(theirs(got), T.phase_locking_value(tp_pha, np.angle(hilbertm(tp_amp))), rtol=RTOL)


def test_time_shift_surrogates_reproduce_tensorpac(series):
    """tensorpac's time-lag surrogate k rolls the phase by RandomState(random_state + k).randint(n_times); rolling
    the amplitude by minus that lag gives the same surrogate value. Its z-normalisation (idpac[2] = 4) uses the
    mean and the ddof=0 standard deviation of the surrogates, as ours."""
    pha, amp = series
    n_perm, seed = 30, 7
    lags = [-np.random.RandomState(seed + k).randint(pha.shape[-1]) for k in range(n_perm)]
    p = Pac(idpac=(1, 3, 4), verbose=False)
    z_ref = p.fit(pha, amp, n_perm=n_perm, n_jobs=1, random_state=seed)
    st = pac_surrogate_test(ours(pha), ours(amp), "mvl", lags=lags, keep_surrogates=True)
    np.testing.assert_allclose(st["surrogates"].transpose("surrogate", "f_amplitude", "f_phase", "region").values,
                               p.surrogates, rtol=RTOL)
    np.testing.assert_allclose(theirs(st["z"]), z_ref, rtol=RTOL)
    np.testing.assert_allclose(theirs(st["pac"]), p.pac, rtol=RTOL)
