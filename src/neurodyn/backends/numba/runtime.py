"""Helpers called by generated Numba kernels: sparse coupling, delay history, external inputs.

All take plain arrays so that kernels compiled for one connectivity run on any other of the same structure.
Layouts (built by :mod:`neurodyn.backends.data`):

- ``hdr[k] = (indptr offset, nnz offset, history column, dense flag, source nodes per copy, step-cache offset,
  copies)`` for projection k; a dense projection stores its column-major weight matrix (one copy's) at the nnz
  offset; with ``copies > 1`` the same connections couple every copy (nodes copy-major);
- ``buf[column, step & (L - 1)]`` holds the history of each delayed source element (column-major ring);
- ``bstate = (newest step in history, ring length L, oldest valid step, mode)``; mode 0 cubic Lagrange,
  1 linear, 2 per-step nearest (the delayed value at t_n - round(d/h) h held for all stages, as TVB does);
- ``tinfo = (t0, h, ext_t0, ext_dt, input mode)``; input mode 0 interpolates inputs linearly at each stage
  time, 1 holds sample k on [t_k, t_k+1): every stage of a fixed step reads the sample at the step's start.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from neurodyn.backends.numpy.runtime import BLOCK_START

#: Options of every compiled kernel function and helper. ``_nrt=False`` compiles without Numba's reference-
#: counted runtime: nothing here allocates (workspaces come from the caller), and without it every array that
#: crosses a call or a branch is increfed and decrefed with atomic operations, which cost more than the
#: arithmetic of a small model (Jansen-Rit: 600 -> ~200 ns per Euler step). A function compiled this way
#: cannot create arrays; a kernel that tries fails to compile, loudly. ``error_model='numpy'``: a division by
#: zero gives inf/nan (caught by the finiteness check after each step, which names the variable, node and time)
#: instead of a branch to a ZeroDivisionError in every division, which also kept loops from vectorising.
KERNEL_OPTIONS = dict(cache=True, nogil=True, _nrt=False, error_model="numpy")


@njit(**KERNEL_OPTIONS)
def nd_heaviside(x):
    return 1.0 if x > 0 else (0.0 if x < 0 else 0.5)


@njit(**KERNEL_OPTIONS)
def nd_max(x, y):
    return x if x >= y else y


@njit(**KERNEL_OPTIONS)
def nd_min(x, y):
    return x if x <= y else y


@njit(**KERNEL_OPTIONS)
def nd_real(x):
    return x.real


@njit(**KERNEL_OPTIONS)
def nd_imag(x):
    return x.imag


@njit(**KERNEL_OPTIONS)
def _dense_accum(a, o_t, n_t, src, o_s, n_s, w, nz, copies):
    """``a[o_t + c n_t + i] += sum_j W[i, j] src[o_s + c n_s + j]`` for every copy ``c``, with a dense,
    column-major W (``w[nz + j n_t + i]``) shared by all copies (``n_t``, ``n_s``: nodes of one copy).

    Each row is summed in source order starting from its current value, exactly as the sparse path does, so the
    result depends neither on the storage, nor on the number of copies, nor on the CPU's vector width (no
    reassociation, no fastmath): one column at a time is added to all rows of every copy, a loop the compiler
    vectorises across rows, and each column is read once for all copies.
    """
    for j in range(n_s):
        col = w[nz + j * n_t:nz + (j + 1) * n_t]
        for c in range(copies):
            xj = src[o_s + c * n_s + j]
            out = a[o_t + c * n_t:o_t + (c + 1) * n_t]
            for i in range(n_t):
                out[i] += col[i] * xj


@njit(**KERNEL_OPTIONS)
def csr_accum(a, o_t, n_t, src, o_s, k, hdr, indptr, idx, w):
    ip = hdr[k, 0]
    nz = hdr[k, 1]
    copies = hdr[k, 6]
    n_tc = n_t // copies
    n_sc = hdr[k, 4]
    if hdr[k, 3] == 1:
        _dense_accum(a, o_t, n_tc, src, o_s, n_sc, w, nz, copies)
        return
    for c in range(copies):
        out = a[o_t + c * n_tc:o_t + (c + 1) * n_tc]
        os_c = o_s + c * n_sc
        for i in range(n_tc):
            acc = out[i]
            for q in range(indptr[ip + i], indptr[ip + i + 1]):
                acc += w[nz + q] * src[os_c + idx[nz + q]]
            out[i] = acc


@njit(**KERNEL_OPTIONS)
def hist_value(buf, c, x, newest, oldest, L, mode):
    """Value of history column ``c`` at fractional step position ``x``."""
    if mode == 2:
        j = int(math.floor(x + 0.5))
        if j < oldest:
            j = oldest
        if j > newest:
            j = newest
        return buf[c, j & (L - 1)]
    if x <= oldest:
        return buf[c, oldest & (L - 1)]
    if x >= newest:
        return buf[c, newest & (L - 1)]
    j = int(math.floor(x))
    if mode == 1 or newest - oldest < 3:
        f = x - j
        return (1.0 - f) * buf[c, j & (L - 1)] + f * buf[c, (j + 1) & (L - 1)]
    j0 = j - 1
    if j0 < oldest:
        j0 = oldest
    if j0 + 3 > newest:
        j0 = newest - 3
    s = x - j0
    l0 = -(s - 1.0) * (s - 2.0) * (s - 3.0) / 6.0
    l1 = s * (s - 2.0) * (s - 3.0) / 2.0
    l2 = -s * (s - 1.0) * (s - 3.0) / 2.0
    l3 = s * (s - 1.0) * (s - 2.0) / 6.0
    return (l0 * buf[c, j0 & (L - 1)] + l1 * buf[c, (j0 + 1) & (L - 1)] + l2 * buf[c, (j0 + 2) & (L - 1)]
            + l3 * buf[c, (j0 + 3) & (L - 1)])


@njit(**KERNEL_OPTIONS)
def _block_fill(blk, i, K, xt, q0, q1, nz, col, idx, w, dint, buf, oldest, L):
    """Delayed sums of target ``i`` over the long-delay connections ``q0:q1`` for steps ``xt .. xt+K-1``.

    Every such connection has a delay of at least ``K`` steps, so all values it reads are already in the
    history: each reads ``K`` consecutive history entries, a contiguous, vectorisable slice of its ring row.
    """
    c = blk[i * K:(i + 1) * K]
    for m in range(K):
        c[m] = c[m] * 0.0
    for q in range(q0, q1):
        row = buf[col + idx[nz + q]]
        wq = w[nz + q]
        j0 = xt - dint[nz + q]
        p0 = j0 & (L - 1)
        if j0 >= oldest and p0 + K <= L:
            seg = row[p0:p0 + K]
            for m in range(K):
                c[m] += wq * seg[m]
        else:
            for m in range(K):
                j = j0 + m
                if j < oldest:
                    j = oldest
                c[m] += wq * row[j & (L - 1)]


@njit(**KERNEL_OPTIONS)
def delayed_accum(a, o_t, n_t, k, t, tn, hdr, indptr, idx, w, d, buf, bstate, tinfo, dcache, dblock, dint, split):
    ip = hdr[k, 0]
    nz = hdr[k, 1]
    col0 = hdr[k, 2]
    copies = hdr[k, 6]
    n_tc = n_t // copies
    n_sc = hdr[k, 4]
    newest = bstate[0]
    L = bstate[1]
    oldest = bstate[2]
    mode = bstate[3]
    h = tinfo[1]
    if mode == 2:
        # per-step convention: the delayed values of step n are read once (first stage) and held
        cache = dcache[hdr[k, 5]:hdr[k, 5] + n_t]
        out = a[o_t:o_t + n_t]
        if t != tn:
            for i in range(n_t):
                out[i] += cache[i]
            return
        xt = int(math.floor((tn - tinfo[0]) / h + 0.5))
        # connections with delays of at least K steps are summed K steps at a time (see _block_fill); the
        # block is recomputed when a step falls outside it or the history was rewritten (bstate[BLOCK_START + k] = -1)
        K = bstate[4]
        blk = dblock[0:0]
        m = 0
        if K > 1:
            blk = dblock[hdr[k, 5] * K:(hdr[k, 5] + n_t) * K]
            bs = bstate[BLOCK_START + k]
            if bs < 0 or xt < bs or xt >= bs + K:
                for c in range(copies):
                    for i in range(n_tc):
                        _block_fill(blk, c * n_tc + i, K, xt, indptr[ip + i], split[ip + i], nz, col0 + c * n_sc,
                                    idx, w, dint, buf, oldest, L)
                bstate[BLOCK_START + k] = xt
                bs = xt
            m = xt - bs
        for c in range(copies):
            col = col0 + c * n_sc
            for i in range(n_tc):
                r = c * n_tc + i
                acc = out[r] * 0.0
                if K > 1:
                    acc += blk[r * K + m]
                    q0 = split[ip + i]
                else:
                    q0 = indptr[ip + i]
                for q in range(q0, indptr[ip + i + 1]):
                    j = xt - dint[nz + q]
                    if j < oldest:
                        j = oldest
                    elif j > newest:
                        j = newest
                    acc += w[nz + q] * buf[col + idx[nz + q], j & (L - 1)]
                cache[r] = acc
                out[r] += acc
        return
    xt = (t - tinfo[0]) / h
    for c in range(copies):
        out = a[o_t + c * n_tc:o_t + (c + 1) * n_tc]
        col = col0 + c * n_sc
        for i in range(n_tc):
            acc = out[i]
            for q in range(indptr[ip + i], indptr[ip + i + 1]):
                x = xt - d[nz + q]
                acc += w[nz + q] * hist_value(buf, col + idx[nz + q], x, newest, oldest, L, mode)
            out[i] = acc


@njit(**KERNEL_OPTIONS)
def push_history(y, a, step, hs, sizes, off, buf, bstate):
    """Store the delayed sources' values at ``step`` (columns ``hs[j, 3]:...``) and mark it the newest."""
    L = bstate[1]
    r = step & (L - 1)
    if step <= bstate[0]:
        # rewriting the newest (or an older) step: blocks of delayed sums computed from it are stale
        for k in range(BLOCK_START, bstate.size):
            bstate[k] = -1
    for j in range(hs.shape[0]):
        g = hs[j, 1]
        o = off[hs[j, 2]]
        c = hs[j, 3]
        n = sizes[g]
        if hs[j, 0] == 0:
            for i in range(n):
                buf[c + i, r] = y[o + i]
        else:
            for i in range(n):
                buf[c + i, r] = a[o + i]
    bstate[0] = step


@njit(**KERNEL_OPTIONS)
def ext_apply(t, tn, a, ext, ext_pos, tinfo):
    nt = ext.shape[0]
    if tinfo[4] == 1.0:
        j = int(math.floor((tn - tinfo[2]) / tinfo[3] + 1e-6))  # tn is a grid time up to round-off
        j = min(max(j, 0), nt - 1)
        for c in range(ext_pos.size):
            a[ext_pos[c]] = ext[j, c]
        return
    x = (t - tinfo[2]) / tinfo[3]
    if x <= 0.0:
        for c in range(ext_pos.size):
            a[ext_pos[c]] = ext[0, c]
        return
    j = int(math.floor(x))
    if j >= nt - 1:
        for c in range(ext_pos.size):
            a[ext_pos[c]] = ext[nt - 1, c]
        return
    f = x - j
    for c in range(ext_pos.size):
        a[ext_pos[c]] = (1.0 - f) * ext[j, c] + f * ext[j + 1, c]


@njit(**KERNEL_OPTIONS)
def first_nonfinite(y):
    for q in range(y.size):
        v = y[q]
        if not (np.isfinite(v.real) and np.isfinite(v.imag)):
            return q
    return -1


@njit(**KERNEL_OPTIONS)
def clip_states(y, pos, lo, hi):
    for m in range(pos.size):
        q = pos[m]
        if y[q].real < lo[m]:
            y[q] = lo[m]
        elif y[q].real > hi[m]:
            y[q] = hi[m]


@njit(**KERNEL_OPTIONS)
def all_finite(y):
    """True if every element is finite: four partial sums of y - y (0, or NaN for inf/NaN) keep it cheap."""
    n = y.size
    s0 = y[0] * 0.0
    s1 = s0
    s2 = s0
    s3 = s0
    q = 0
    while q + 3 < n:
        s0 += y[q] - y[q]
        s1 += y[q + 1] - y[q + 1]
        s2 += y[q + 2] - y[q + 2]
        s3 += y[q + 3] - y[q + 3]
        q += 4
    while q < n:
        s0 += y[q] - y[q]
        q += 1
    t = s0 + s1 + s2 + s3
    return np.isfinite(t.real) and np.isfinite(t.imag)
