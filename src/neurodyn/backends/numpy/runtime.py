"""NumPy (reference) versions of :mod:`neurodyn.backends.numba.runtime`'s helpers, vectorised, no compilation."""
from __future__ import annotations

import numpy as np

#: ``bstate`` = [newest step, ring length, oldest step, delay mode, block length K, block start of projection
#: 0, 1, ...]: the per-projection block starts (-1: none) begin here (see runtime_numba.delayed_accum)
BLOCK_START = 5

nd_heaviside = lambda x: np.heaviside(np.real(x), 0.5)  # noqa: E731
nd_max = np.maximum
nd_min = np.minimum
nd_real = np.real
nd_imag = np.imag


def _rows(indptr, ip, n_t):
    counts = np.diff(indptr[ip:ip + n_t + 1])
    return np.repeat(np.arange(n_t), counts), indptr[ip], indptr[ip + n_t]


def csr_accum(a, o_t, n_t, src, o_s, k, hdr, indptr, idx, w):
    ip, nz, copies, n_s = hdr[k, 0], hdr[k, 1], hdr[k, 6], hdr[k, 4]
    n_tc = n_t // copies
    if hdr[k, 3] == 1:
        W = w[nz:nz + n_tc * n_s].reshape(n_s, n_tc).T                          # column-major, shared
        x = src[o_s:o_s + copies * n_s].reshape(copies, n_s)
        a[o_t:o_t + n_t] += (x @ W.T).ravel()
        return
    rows, q0, q1 = _rows(indptr, ip, n_tc)
    cols = idx[nz + q0:nz + q1]
    for c in range(copies):
        np.add.at(a, o_t + c * n_tc + rows, w[nz + q0:nz + q1] * src[o_s + c * n_s + cols])


def hist_values(buf, cols, x, newest, oldest, L, mode):
    x = np.asarray(x, dtype=float)
    if mode == 2:
        j = np.clip(np.floor(x + 0.5).astype(np.int64), oldest, newest)
        return buf[cols, j % L]
    xc = np.clip(x, oldest, newest)
    j = np.floor(xc).astype(np.int64)
    if mode == 1 or newest - oldest < 3:
        j = np.minimum(j, newest - 1) if newest > oldest else j
        f = xc - j
        return (1 - f) * buf[cols, j % L] + f * buf[cols, np.minimum(j + 1, newest) % L]
    j0 = np.clip(j - 1, oldest, newest - 3)
    s = xc - j0
    l0 = -(s - 1) * (s - 2) * (s - 3) / 6
    l1 = s * (s - 2) * (s - 3) / 2
    l2 = -s * (s - 1) * (s - 3) / 2
    l3 = s * (s - 1) * (s - 2) / 6
    return (l0 * buf[cols, j0 % L] + l1 * buf[cols, (j0 + 1) % L] + l2 * buf[cols, (j0 + 2) % L]
            + l3 * buf[cols, (j0 + 3) % L])


def delayed_accum(a, o_t, n_t, k, t, tn, hdr, indptr, idx, w, d, buf, bstate, tinfo, dcache=None, dblock=None,
                  dint=None, split=None):
    """Delayed sums, read directly from the history at every call (the numba runtime's caches are not needed)."""
    ip, nz, col, copies, n_s = hdr[k, 0], hdr[k, 1], hdr[k, 2], hdr[k, 6], hdr[k, 4]
    n_tc = n_t // copies
    newest, L, oldest, mode = bstate[:4]
    h = tinfo[1]
    rows, q0, q1 = _rows(indptr, ip, n_tc)
    dd = d[nz + q0:nz + q1]
    if mode == 2:
        x = np.floor((tn - tinfo[0]) / h + 0.5) - np.floor(dd + 0.5)
    else:
        x = (t - tinfo[0]) / h - dd
    for c in range(copies):
        vals = hist_values(buf, col + c * n_s + idx[nz + q0:nz + q1], x, newest, oldest, L, mode)
        np.add.at(a, o_t + c * n_tc + rows, w[nz + q0:nz + q1] * vals)


def push_history(y, a, step, hs, sizes, off, buf, bstate):
    r = step % bstate[1]
    if step <= bstate[0]:
        bstate[BLOCK_START:] = -1  # the numba runtime's blocks of delayed sums (see its push_history) are stale
    for kind, g, slot, c in hs:
        src = y if kind == 0 else a
        n = sizes[g]
        buf[c:c + n, r] = src[off[slot]:off[slot] + n]
    bstate[0] = step


def ext_apply(t, tn, a, ext, ext_pos, tinfo):
    nt = ext.shape[0]
    if tinfo[4] == 1.0:
        j = min(max(int(np.floor((tn - tinfo[2]) / tinfo[3] + 1e-6)), 0), nt - 1)
        a[ext_pos] = ext[j]
        return
    x = (t - tinfo[2]) / tinfo[3]
    if x <= 0:
        a[ext_pos] = ext[0]
    elif x >= nt - 1:
        a[ext_pos] = ext[nt - 1]
    else:
        j = int(np.floor(x))
        f = x - j
        a[ext_pos] = (1 - f) * ext[j] + f * ext[j + 1]


def first_nonfinite(y):
    bad = np.flatnonzero(~np.isfinite(y))
    return int(bad[0]) if bad.size else -1


def clip_states(y, pos, lo, hi):
    if pos.size:
        y[pos] = np.clip(y[pos].real, lo, hi)


def all_finite(y):
    return bool(np.all(np.isfinite(y)))
