"""Numba helpers shared by every generated cell kernel: rate helpers, event queue, NetStim logic.

The event queue is a binary heap held in preallocated arrays (time, sequence number, payload a, payload b);
ties in time are delivered in insertion order. Payload ``b`` says what the event is: ``0`` a NetCon delivery
(``a`` = NetCon index), ``1`` or ``3`` a NetStim self-event with that flag (``a`` = NetStim index).
Spikes (threshold crossings and NetStim firings) are appended to preallocated arrays.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from neurodyn.cells._codes import (OK, QUEUE_FULL, SPIKES_FULL, NONFINITE, TARGET_NONE, TARGET_EXPSYN,  # noqa: F401
                                   TARGET_EXP2SYN, TARGET_NETSTIM, THRESHOLD_TEPS, R123_COLS)


@njit(cache=True)
def count_steps(t, dt, tstop):
    """Number of fixed steps NEURON's continuerun takes from t to tstop (t advances by dt/2 twice)."""
    n = 0
    while t < tstop - 0.5 * dt:
        t += 0.5 * dt
        t += 0.5 * dt
        n += 1
    return n


@njit(cache=True)
def vtrap(x, y):
    """x/(exp(x/y) - 1) with NEURON hh.mod's guard near x = 0."""
    if abs(x / y) < 1e-6:
        return y * (1.0 - x / y / 2.0)
    return x / (math.exp(x / y) - 1.0)


@njit(cache=True)
def exprelr(x):
    """x/(exp(x) - 1), continuous at 0 (NMODL's exprelr)."""
    if abs(x) < 1e-5:
        return 1.0 - x / 2.0
    return x / (math.exp(x) - 1.0)


@njit(cache=True)
def efun(z):
    """z/(exp(z) - 1) with the usual series near 0."""
    if abs(z) < 1e-4:
        return 1.0 - z / 2.0
    return z / (math.exp(z) - 1.0)


@njit(cache=True)
def table_interp(tab, tmin, mfac, nint, v, buf):
    """Linear interpolation of every row of ``tab`` at ``v`` into ``buf`` (NEURON TABLE semantics)."""
    xi = mfac * (v - tmin)
    nrow = tab.shape[0]
    if xi != xi:
        for j in range(nrow):
            buf[j] = np.nan
        return
    if xi <= 0.0:
        for j in range(nrow):
            buf[j] = tab[j, 0]
        return
    if xi >= nint:
        for j in range(nrow):
            buf[j] = tab[j, nint]
        return
    i = int(xi)
    theta = xi - i
    for j in range(nrow):
        buf[j] = tab[j, i] + theta * (tab[j, i + 1] - tab[j, i])


@njit(cache=True)
def heap_push(qt, qs, qa, qb, qstate, t, a, b):
    n = qstate[0]
    if n >= qt.shape[0]:
        qstate[2] = 1  # overflow flag
        return
    seq = qstate[1]
    qstate[1] = seq + 1
    i = n
    while i > 0:
        p = (i - 1) // 2
        if qt[p] < t or (qt[p] == t and qs[p] < seq):
            break
        qt[i] = qt[p]
        qs[i] = qs[p]
        qa[i] = qa[p]
        qb[i] = qb[p]
        i = p
    qt[i] = t
    qs[i] = seq
    qa[i] = a
    qb[i] = b
    qstate[0] = n + 1


@njit(cache=True)
def heap_pop(qt, qs, qa, qb, qstate):
    t0 = qt[0]
    a0 = qa[0]
    b0 = qb[0]
    n = qstate[0] - 1
    qstate[0] = n
    if n > 0:
        t = qt[n]
        s = qs[n]
        a = qa[n]
        b = qb[n]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and (qt[c + 1] < qt[c] or (qt[c + 1] == qt[c] and qs[c + 1] < qs[c])):
                c += 1
            if qt[c] < t or (qt[c] == t and qs[c] < s):
                qt[i] = qt[c]
                qs[i] = qs[c]
                qa[i] = qa[c]
                qb[i] = qb[c]
                i = c
            else:
                break
        qt[i] = t
        qs[i] = s
        qa[i] = a
        qb[i] = b
    return t0, a0, b0


# NetStim noise: NEURON 9's per-instance Random123 streams (Philox4x32-10, as nrnran123). Row k of ``ns_rng``
# (uint64 holding 32-bit words) is [counter c0..c3, which, r0..r3]: counter = (sequence, id3, id1, id2), key
# (global index 0, 0); the four outputs r of philox(counter) are used in turn, then the counter is incremented.
_PM0, _PM1, _PW0, _PW1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85


@njit(cache=True)
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 (Salmon et al. 2011, Random123) of counter (c0..c3) with key (k0, k1): four 32-bit words
    (all arguments and results are uint64 holding 32-bit values)."""
    mask = np.uint64(0xFFFFFFFF)
    for r in range(10):
        if r > 0:
            k0 = (k0 + np.uint64(_PW0)) & mask
            k1 = (k1 + np.uint64(_PW1)) & mask
        p0 = np.uint64(_PM0) * c0
        p1 = np.uint64(_PM1) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0), p1 & mask, ((p0 >> np.uint64(32)) ^ c3 ^ k1), p0 & mask
    return c0, c1, c2, c3


@njit(cache=True)
def _philox_fill(rng, k):
    """r = Philox4x32-10(counter of row k, key (global index 0, 0)), as nrnran123."""
    r = philox4x32(rng[k, 0], rng[k, 1], rng[k, 2], rng[k, 3], np.uint64(0), np.uint64(0))
    for j in range(4):
        rng[k, 5 + j] = r[j]


@njit(cache=True)
def r123_newstream(rng, k, id1, id2, id3):
    """nrnran123_newstream3: stream k gets the ids (id1, id2, id3) and starts at sequence 0."""
    rng[k, 1] = np.uint64(id3)
    rng[k, 2] = np.uint64(id1)
    rng[k, 3] = np.uint64(id2)
    r123_setseq(rng, k, 0)


@njit(cache=True)
def r123_setseq(rng, k, seq):
    """nrnran123_setseq(stream k, seq, 0)."""
    rng[k, 0] = np.uint64(seq) & np.uint64(0xFFFFFFFF)
    rng[k, 4] = 0
    _philox_fill(rng, k)


@njit(cache=True)
def r123_dblpick(rng, k):
    """nrnran123_dblpick: the next 32-bit output u of stream k as (u + 1) / (2^32 + 1), in (0, 1)."""
    which = rng[k, 4]
    u = rng[k, 5 + which]
    which += 1
    if which > 3:
        which = 0
        for j in range(4):        # 128-bit counter increment
            rng[k, j] = (rng[k, j] + np.uint64(1)) & np.uint64(0xFFFFFFFF)
            if rng[k, j] != 0:
                break
        _philox_fill(rng, k)
    rng[k, 4] = which
    return (float(u) + 1.0) * (1.0 / 4294967297.0)


@njit(cache=True)
def netstim_invl(ns_P, ns_rng, k, mean):
    """netstim.mod's invl(): ``(1 - noise) mean + noise mean erand()``, erand = random_negexp(ranvar)."""
    if mean <= 0.0:
        mean = 0.01
    noise = ns_P[3, k]
    if noise == 0.0:
        return mean
    return (1.0 - noise) * mean + noise * mean * (-math.log(r123_dblpick(ns_rng, k)))


@njit(cache=True)
def emit_spike(src, ts, src_ptr, src_nc, nc_kind, nc_delay, qt, qs, qa, qb, qstate, sp_t, sp_s, spstate):
    n = spstate[0]
    if n < sp_t.shape[0]:
        sp_t[n] = ts
        sp_s[n] = src
        spstate[0] = n + 1
    else:
        spstate[1] = 1
    for j in range(src_ptr[src], src_ptr[src + 1]):
        c = src_nc[j]
        if nc_kind[c] != TARGET_NONE:
            heap_push(qt, qs, qa, qb, qstate, ts + nc_delay[c], c, 0)


@njit(cache=True)
def netstim_next_invl(ns_P, ns_S, ns_rng, k):
    # ns_S rows: on, ispike, event
    if ns_P[0, k] > 0.0:
        ns_S[2, k] = netstim_invl(ns_P, ns_rng, k, ns_P[2, k])
    if ns_S[1, k] >= ns_P[0, k]:
        ns_S[0, k] = 0.0


@njit(cache=True)
def netstim_init_sequence(ns_P, ns_S, k):
    if ns_P[0, k] > 0.0:
        ns_S[0, k] = 1.0
        ns_S[2, k] = 0.0
        ns_S[1, k] = 0.0


@njit(cache=True)
def deliver_events(til, qt, qs, qa, qb, qstate, nc_kind, nc_tidx, nc_w, nc_delay, es_S, e2_S, e2_P,
                   ns_P, ns_S, ns_rng, ns_src, src_ptr, src_nc, sp_t, sp_s, spstate):
    """Deliver every queued event with time <= til, in time order (NEURON's deliver_events)."""
    while qstate[0] > 0 and qt[0] <= til:
        t, a, b = heap_pop(qt, qs, qa, qb, qstate)
        if b == 0:
            kind = nc_kind[a]
            k = nc_tidx[a]
            w = nc_w[a]
            if kind == TARGET_EXPSYN:
                es_S[0, k] += w
            elif kind == TARGET_EXP2SYN:
                f = e2_P[3, k]
                e2_S[0, k] += w * f
                e2_S[1, k] += w * f
            elif kind == TARGET_NETSTIM:
                if w > 0.0 and ns_S[0, k] == 0.0:
                    netstim_init_sequence(ns_P, ns_S, k)
                    netstim_next_invl(ns_P, ns_S, ns_rng, k)
                    ns_S[2, k] = ns_S[2, k] - ns_P[2, k] * (1.0 - ns_P[3, k])
                    heap_push(qt, qs, qa, qb, qstate, t + ns_S[2, k], k, 1)
                elif w < 0.0:
                    ns_S[0, k] = 0.0
        elif b == 3:
            if ns_S[0, a] == 1.0:
                netstim_init_sequence(ns_P, ns_S, a)
                heap_push(qt, qs, qa, qb, qstate, t, a, 1)
        elif b == 1:
            if ns_S[0, a] == 1.0:
                ns_S[1, a] += 1.0
                emit_spike(ns_src[a], t, src_ptr, src_nc, nc_kind, nc_delay, qt, qs, qa, qb, qstate,
                           sp_t, sp_s, spstate)
                netstim_next_invl(ns_P, ns_S, ns_rng, a)
                if ns_S[0, a] == 1.0:
                    heap_push(qt, qs, qa, qb, qstate, t + ns_S[2, a], a, 1)


@njit(cache=True)
def netstim_initialize(ns_P, ns_S, ns_rng, qt, qs, qa, qb, qstate):
    """NetStim INITIAL blocks: schedule the first (flag 3) event of every stimulator."""
    for k in range(ns_P.shape[1]):
        ns_S[0, k] = 0.0
        ns_S[1, k] = 0.0
        if ns_P[3, k] < 0.0:
            ns_P[3, k] = 0.0
        if ns_P[3, k] > 1.0:
            ns_P[3, k] = 1.0
        if ns_P[1, k] >= 0.0 and ns_P[0, k] > 0.0:
            ns_S[0, k] = 1.0
            ev = ns_P[1, k] + netstim_invl(ns_P, ns_rng, k, ns_P[2, k]) - ns_P[2, k] * (1.0 - ns_P[3, k])
            if ev < 0.0:
                ev = 0.0
            ns_S[2, k] = ev
            heap_push(qt, qs, qa, qb, qstate, ev, k, 3)
