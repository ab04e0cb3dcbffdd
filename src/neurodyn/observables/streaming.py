"""Streaming reducers for use during a run: per-region running mean/variance and a running covariance /
FC accumulator. Chunks of ``(time, region)`` samples are merged with the pairwise (Chan et al. 1979)
update of Welford's algorithm, so results equal the batch statistics to round-off whatever the chunking,
without storing the trajectory.

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(0).standard_normal((1000, 3))
>>> acc = RunningCovariance(3)
>>> for chunk in np.array_split(x, 7):
...     acc.update(chunk)
>>> bool(np.allclose(acc.correlation(), np.corrcoef(x.T)))
True
"""
from __future__ import annotations

import numpy as np

from neurodyn.errors import InputError

__all__ = ["RunningMoments", "RunningCovariance", "RunningWelch"]


def _chunk(x, n_regions: int, where: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim == 1 and n_regions == 1:
        a = a[:, None]
    if a.ndim == 1 and a.shape[0] == n_regions:
        a = a[None, :]                       # a single time point
    if a.ndim != 2 or a.shape[1] != n_regions:
        raise InputError(f"{where}: chunk must have shape (n_times, {n_regions}) [time x region], got {a.shape}.")
    if np.iscomplexobj(a):
        raise InputError(f"{where}: complex data; pass a real observable.")
    a = np.asarray(a, dtype=np.float64)
    if not np.isfinite(a).all():
        t, r = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"{where}: non-finite value in the chunk (row {t}, region {r}); the run may have diverged.")
    return a


class RunningMoments:
    """Running count, mean and variance per region (Welford / Chan merge of chunks).

    Examples
    --------
    >>> import numpy as np
    >>> m = RunningMoments(2)
    >>> m.update(np.array([[1.0, 2.0], [3.0, 6.0]]))
    >>> m.mean.tolist(), m.variance().tolist()
    ([2.0, 4.0], [1.0, 4.0])
    """

    def __init__(self, n_regions: int):
        if int(n_regions) != n_regions or n_regions < 1:
            raise InputError(f"RunningMoments: n_regions must be a positive integer, got {n_regions!r}.")
        self.n_regions = int(n_regions)
        self.count = 0
        self._mean = np.zeros(self.n_regions)
        self._m2 = np.zeros(self.n_regions)

    def update(self, chunk) -> None:
        """Add samples ``(n_times, n_regions)`` (or one sample ``(n_regions,)``)."""
        x = _chunk(chunk, self.n_regions, "RunningMoments.update")
        nb = x.shape[0]
        if nb == 0:
            return
        mb = x.mean(axis=0)
        d = np.subtract(x, mb)
        m2b = np.einsum("ij,ij->j", d, d)        # sum of squared deviations without a second temporary
        na = self.count
        n = na + nb
        delta = mb - self._mean
        self._mean = self._mean + delta * (nb / n)
        self._m2 = self._m2 + m2b + delta ** 2 * (na * nb / n)
        self.count = n

    @property
    def mean(self) -> np.ndarray:
        return self._mean.copy()

    def variance(self, ddof: int = 0) -> np.ndarray:
        """Variance per region (``ddof=0`` population, 1 sample)."""
        if self.count - ddof <= 0:
            raise InputError(f"RunningMoments.variance: {self.count} samples are not enough for ddof={ddof}.")
        return self._m2 / (self.count - ddof)

    def std(self, ddof: int = 0) -> np.ndarray:
        return np.sqrt(self.variance(ddof))

    def __repr__(self) -> str:
        return f"RunningMoments({self.n_regions} regions, {self.count} samples)"


class RunningCovariance(RunningMoments):
    """Running covariance matrix and Pearson FC between regions (co-moment merge of chunks).

    Memory: one ``n_regions x n_regions`` float64 matrix (8 MB for 1000 regions); each update costs a
    BLAS product ``chunk.T @ chunk``, so feed chunks of hundreds of samples or more.
    """

    def __init__(self, n_regions: int):
        super().__init__(n_regions)
        self._c = np.zeros((self.n_regions, self.n_regions))

    def update(self, chunk) -> None:
        x = _chunk(chunk, self.n_regions, "RunningCovariance.update")
        nb = x.shape[0]
        if nb == 0:
            return
        mb = x.mean(axis=0)
        xc = x - mb
        cb = xc.T @ xc
        na = self.count
        n = na + nb
        delta = mb - self._mean
        self._c += cb + np.outer(delta, delta) * (na * nb / n)
        self._mean = self._mean + delta * (nb / n)
        self._m2 = np.diag(self._c).copy()
        self.count = n

    def covariance(self, ddof: int = 1) -> np.ndarray:
        """Covariance matrix (``ddof=1`` like ``numpy.cov``)."""
        if self.count - ddof <= 0:
            raise InputError(f"RunningCovariance.covariance: {self.count} samples are not enough for ddof={ddof}.")
        return self._c / (self.count - ddof)

    def correlation(self, constant: str = "raise") -> np.ndarray:
        """Pearson correlation matrix (functional connectivity).

        ``constant``: what to do with constant regions (zero variance), whose correlation is undefined:
        'raise' (default) an InputError, or 'nan' give their rows and columns NaN (diagonal included).
        """
        if constant not in ("raise", "nan"):
            raise InputError(f"RunningCovariance.correlation: constant must be 'raise' or 'nan', got {constant!r}.")
        if self.count < 2:
            raise InputError(f"RunningCovariance.correlation: need at least 2 samples, have {self.count}.")
        d = np.sqrt(np.diag(self._c))
        flat = d <= 1e-12 * np.maximum(1.0, np.abs(self._mean)) * np.sqrt(self.count)
        if flat.any() and constant == "raise":
            idx = np.flatnonzero(flat)
            raise InputError(f"RunningCovariance.correlation: {idx.size} region(s) are constant (zero variance), "
                             f"e.g. {idx[:10].tolist()}; their correlation is undefined.")
        if flat.any():
            d = np.where(flat, np.nan, d)
        with np.errstate(invalid="ignore"):
            c = self._c / np.outer(d, d)
        np.clip(c, -1.0, 1.0, out=c)
        np.fill_diagonal(c, np.where(flat, np.nan, 1.0))
        return c

    functional_connectivity = correlation

    def __repr__(self) -> str:
        return f"RunningCovariance({self.n_regions} regions, {self.count} samples)"


class RunningWelch:
    """Welch power spectral density per region, accumulated chunk by chunk (no stored trajectory).

    Equals ``scipy.signal.welch(x, fs, nperseg=nperseg)`` of the concatenated chunks (Hann window, 50 %
    overlap, constant detrend, one-sided density, mean over segments) to round-off, whatever the chunking:
    samples that do not yet fill a segment are kept for the next chunk (at most ``nperseg`` per region).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import signal
    >>> x = np.random.default_rng(1).standard_normal((5000, 2))
    >>> w = RunningWelch(2, nperseg=256, fs=100.0)
    >>> for chunk in np.array_split(x, 7):
    ...     w.update(chunk)
    >>> f, P = signal.welch(x, fs=100.0, nperseg=256, axis=0)
    >>> bool(np.allclose(w.frequencies, f) and np.allclose(w.psd(), P, rtol=1e-12))
    True
    """

    def __init__(self, n_regions: int, nperseg: int, fs: float):
        from scipy import signal

        if int(n_regions) != n_regions or n_regions < 1:
            raise InputError(f"RunningWelch: n_regions must be a positive integer, got {n_regions!r}.")
        if int(nperseg) != nperseg or nperseg < 2:
            raise InputError(f"RunningWelch: nperseg must be an integer >= 2, got {nperseg!r}.")
        if not (np.isfinite(fs) and fs > 0):
            raise InputError(f"RunningWelch: fs must be a positive sampling frequency, got {fs!r}.")
        self.n_regions, self.nperseg, self.fs = int(n_regions), int(nperseg), float(fs)
        self.step = self.nperseg - self.nperseg // 2                  # scipy's default noverlap = nperseg // 2
        self.window = signal.get_window("hann", self.nperseg)
        self.frequencies = np.fft.rfftfreq(self.nperseg, 1.0 / self.fs)
        self._sum = np.zeros((len(self.frequencies), self.n_regions))
        self._tail = np.zeros((0, self.n_regions))
        self.segments = 0

    def update(self, chunk) -> None:
        """Add samples ``(n_times, n_regions)``."""
        x = np.concatenate([self._tail, _chunk(chunk, self.n_regions, "RunningWelch.update")])
        start = 0
        while start + self.nperseg <= x.shape[0]:
            seg = x[start:start + self.nperseg]
            seg = (seg - seg.mean(axis=0)) * self.window[:, None]
            spec = np.fft.rfft(seg, axis=0)
            self._sum += spec.real ** 2 + spec.imag ** 2
            self.segments += 1
            start += self.step
        self._tail = x[start:].copy()

    def psd(self) -> np.ndarray:
        """One-sided density ``(n_freqs, n_regions)`` (units of x^2 per unit of ``fs``)."""
        if self.segments == 0:
            raise InputError(f"RunningWelch.psd: fewer samples than one segment ({self.nperseg}); run longer or "
                             f"choose a smaller nperseg.")
        p = self._sum / (self.segments * self.fs * np.sum(self.window ** 2))
        p[1:] *= 2.0
        if self.nperseg % 2 == 0:
            p[-1] /= 2.0                                             # the Nyquist bin is not doubled
        return p

    def __repr__(self) -> str:
        return f"<RunningWelch {self.n_regions} regions, nperseg={self.nperseg}, {self.segments} segments>"
