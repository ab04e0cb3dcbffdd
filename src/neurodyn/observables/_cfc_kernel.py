"""Numba kernel of the phase-binned amplitude sums (:mod:`neurodyn.observables.cfc_measures`).

Kept apart so that importing the observables does not import Numba; loaded the first time a binned measure
(modulation index, heights ratio) is computed.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, fastmath=False)
def binned_sums(bins, amp, n_bins):
    """``out[r, a, p, k] = sum_t amp[r, a, t] [bins[r, p, t] == k]`` for bins (R, P, n), amp (R, A, n).

    Four interleaved partial sums break the dependency chain of consecutive samples that fall in the same bin
    (a slow phase stays in one bin for many samples).
    """
    n_reg, n_pha, n = bins.shape
    n_amp = amp.shape[1]
    out = np.zeros((n_reg, n_amp, n_pha, n_bins))
    acc = np.zeros((4, n_bins))
    n4 = n - n % 4
    for r in range(n_reg):
        for a in range(n_amp):
            for p in range(n_pha):
                acc[:] = 0.0
                for t in range(0, n4, 4):
                    acc[0, bins[r, p, t]] += amp[r, a, t]
                    acc[1, bins[r, p, t + 1]] += amp[r, a, t + 1]
                    acc[2, bins[r, p, t + 2]] += amp[r, a, t + 2]
                    acc[3, bins[r, p, t + 3]] += amp[r, a, t + 3]
                for t in range(n4, n):
                    acc[0, bins[r, p, t]] += amp[r, a, t]
                for k in range(n_bins):
                    out[r, a, p, k] = (acc[0, k] + acc[1, k]) + (acc[2, k] + acc[3, k])
    return out


@numba.njit(cache=True, fastmath=False)
def bin_counts(bins, n_bins):
    """``out[r, p, k]`` = number of samples of phase series (r, p) in bin k."""
    n_reg, n_pha, n = bins.shape
    out = np.zeros((n_reg, n_pha, n_bins), dtype=np.int64)
    for r in range(n_reg):
        for p in range(n_pha):
            for t in range(n):
                out[r, p, bins[r, p, t]] += 1
    return out
