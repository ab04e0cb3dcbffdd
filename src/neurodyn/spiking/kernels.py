"""The compiled time loop of the spiking networks: hand-written Numba kernels, no reference-counted runtime.

One call of :func:`run_steps` advances a network by a range of steps. Everything it touches is preallocated by
the caller (:mod:`neurodyn.spiking.network`), so the kernels compile with ``_nrt=False`` (see
``neurodyn.compiler.runtime_numba`` for why) and are cached on disk (``cache=True``).

The step from t_n to t_n+1 (docs/spiking.md, "The step"), for each population:

1. every active neuron receives the kick of the spikes emitted in step n - 1 (delta synapses), then one step of
   the single-neuron equation ``tau V' = V^2 + eta_j + c(t_n)`` with the drive ``c`` held over the step
   (forward Euler, or its exact solution for constant ``c``), then additive noise;
2. a QIF neuron with ``V >= v_peak`` is refractory (stored as NaN, which drops it from every sum and every
   kick) for ``R`` steps; QIF neurons whose refractory period is over restart from ``v_reset`` with this step;
3. a QIF neuron's spike is emitted ``m1`` steps after its crossing; a theta neuron spikes when theta passes pi;
4. spikes emitted in step n update the synaptic and adaptation variables and are recorded at t_n+1.

All-to-all QIF networks with Euler steps and no noise take a faster path with the same arithmetic
(:func:`_block_steps`): up to m1 steps at a time, each block of 1024 neurons advanced through them while it
stays in cache (the kicks of those steps come from spikes that crossed the peak before, so they are known).

Layouts: ``ipar[p] = (first neuron, size, model, m1, R, queue offset)``; ``fpar[p] = (dt/tau, tau, v_peak,
v_reset, noise sigma sqrt(dt), synaptic decay per step, synaptic gain / tau_s, 1 if delta synapse)``;
``J[a, b]`` couples population b into a; ``qptr[p] = (head, next to emit, tail)`` of population p's refractory
queue (neurons in order of crossing: all share m1 and R, so the queue is first in, first out).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["KERNEL_OPTIONS", "run_steps", "sample_state", "seed_noise", "QIF", "THETA", "EULER", "EXACT", "BLOCK",
           "TBLOCK"]

#: the house options (neurodyn.compiler.runtime_numba.KERNEL_OPTIONS): no reference-counted runtime (nothing
#: here allocates), cached machine code, and IEEE division (inf/nan, no ZeroDivisionError branches)
KERNEL_OPTIONS = dict(cache=True, nogil=True, _nrt=False, error_model="numpy")

QIF, THETA = 0, 1
EULER, EXACT = 0, 1
#: neurons per block of the vectorised Euler loop; a block with a threshold crossing is scanned again
BLOCK = 1024
#: |c (dt/tau)^2| up to which the exact step uses its power series (error below 2e-16 relative)
_SERIES_MAX = 0.5
_C1, _C2, _C3, _C4, _C5, _C6, _C7 = (1.0 / math.factorial(2 * k) for k in range(1, 8))
_S1, _S2, _S3, _S4, _S5, _S6, _S7 = (1.0 / math.factorial(2 * k + 1) for k in range(1, 8))


@njit(**KERNEL_OPTIONS)
def seed_noise(seed):
    """Seed the generator the kernels draw their noise from (one per process)."""
    np.random.seed(seed)


@njit(**KERNEL_OPTIONS)
def _cs(u):
    """C = cos(sqrt(u)) and S = sin(sqrt(u))/sqrt(u) for any real u (cosh/sinh for u < 0)."""
    if abs(u) <= _SERIES_MAX:
        # sum_k (-u)^k/(2k)! and sum_k (-u)^k/(2k+1)!, eight terms each (Horner, multiplications only)
        m = -u
        C = _C7
        S = _S7
        C = C * m + _C6
        S = S * m + _S6
        C = C * m + _C5
        S = S * m + _S5
        C = C * m + _C4
        S = S * m + _S4
        C = C * m + _C3
        S = S * m + _S3
        C = C * m + _C2
        S = S * m + _S2
        C = C * m + _C1
        S = S * m + _S1
        C = C * m + 1.0
        S = S * m + 1.0
        return C, S
    if u > 0.0:
        q = math.sqrt(u)
        return math.cos(q), math.sin(q) / q
    q = math.sqrt(-u)
    return math.cosh(q), math.sinh(q) / q


@njit(**KERNEL_OPTIONS)
def _theta_kick(th, k):
    """theta -> 2 atan(tan(theta/2) + k): the exact effect of a jump k of V = tan(theta/2)."""
    if k == 0.0:
        return th
    c = math.cos(th)
    return th + 2.0 * math.atan2(0.5 * k * (1.0 + c), 1.0 + 0.5 * k * math.sin(th))


@njit(**KERNEL_OPTIONS)
def _qif_step(x, cj, h, method):
    """One step of tau V' = V^2 + cj; +inf if V passed through infinity within the step (exact method)."""
    if method == EULER:
        return x + h * (x * x + cj)
    C, S = _cs(cj * h * h)
    S = S * h
    den = C - S * x
    if den <= 0.0:
        return np.inf
    return (C * x + cj * S) / den


@njit(**KERNEL_OPTIONS)
def _theta_step(th, cj, h, method):
    """One step of tau theta' = (1 - cos theta) + (1 + cos theta) cj (not wrapped)."""
    if method == EULER:
        c = math.cos(th)
        return th + h * ((1.0 - c) + (1.0 + c) * cj)
    # the flow of V = tan(theta/2) is linear on (cos(theta/2), sin(theta/2)): rotate and measure the angle
    C, S = _cs(cj * h * h)
    S = S * h
    y = math.cos(0.5 * th)
    w = math.sin(0.5 * th)
    y2 = C * y - S * w
    w2 = cj * S * y + C * w
    return th + 2.0 * math.atan2(y * w2 - w * y2, y * y2 + w * w2)


@njit(fastmath={"contract"}, **KERNEL_OPTIONS)
def _euler_block(V, eta, c, h, kick, vp):
    """V <- (V + kick) + h ((V + kick)^2 + eta + c) over a block; returns how many reached vp (NaN: none)."""
    cnt = 0
    for j in range(V.size):
        x = V[j] + kick
        x = x + h * (x * x + (eta[j] + c))
        V[j] = x
        cnt += x >= vp
    return cnt


@njit(fastmath={"contract"}, **KERNEL_OPTIONS)
def _exact_block(V, eta, c, h, kick, vp):
    """The exact step of tau V' = V^2 + eta + c over a block whose |(eta + c) h^2| <= _SERIES_MAX (checked by
    the caller); a neuron that passes through infinity within the step gets +inf. Returns the count >= vp."""
    cnt = 0
    hh = h * h
    for j in range(V.size):
        x = V[j] + kick
        cj = eta[j] + c
        m = -cj * hh
        C = _C7
        S = _S7
        C = C * m + _C6
        S = S * m + _S6
        C = C * m + _C5
        S = S * m + _S5
        C = C * m + _C4
        S = S * m + _S4
        C = C * m + _C3
        S = S * m + _S3
        C = C * m + _C2
        S = S * m + _S2
        C = C * m + _C1
        S = S * m + _S1
        C = C * m + 1.0
        S = (S * m + 1.0) * h
        den = C - S * x
        y = (C * x + cj * S) / den
        y = y if den > 0.0 else np.inf
        y = y if x == x else x         # refractory (NaN) stays NaN
        V[j] = y
        cnt += y >= vp
    return cnt


@njit(**KERNEL_OPTIONS)
def _push(j, s, q0, qptr, p, qid, qstep, cap):
    t = qptr[p, 2]
    qid[q0 + t % cap] = j
    qstep[q0 + t % cap] = s
    qptr[p, 2] = t + 1


@njit(**KERNEL_OPTIONS)
def _advance_population(p, s, ipar, fpar, c, kick, V, eta, emin, emax, tover, qid, qstep, qptr, Kbuf, Sn, sparse, P,
                        method, emitted, ne):
    """Advance the neurons of population p by step s; threshold crossings are queued (QIF) or emitted (theta).
    Returns the new number of entries in ``emitted``."""
    lo = ipar[p, 0]
    n = ipar[p, 1]
    hi = lo + n
    model = ipar[p, 2]
    q0 = ipar[p, 5]
    cap = n + 1
    h = fpar[p, 0]
    tau = fpar[p, 1]
    vp = fpar[p, 2]
    amp = fpar[p, 4]
    exact_fast = False
    if model == QIF and method == EXACT and amp == 0.0 and sparse == 0:
        # the series of the exact step holds for every neuron of the population this step
        exact_fast = max(abs(emin[p] + c), abs(emax[p] + c)) * h * h <= _SERIES_MAX
    if model == QIF and amp == 0.0 and sparse == 0 and (method == EULER or exact_fast):
        # fast path: blocks of the vectorised loop, a second look only at blocks with a crossing
        b = lo
        while b < hi:
            e = min(b + BLOCK, hi)
            if method == EULER:
                hits = _euler_block(V[b:e], eta[b:e], c, h, kick, vp)
            else:
                hits = _exact_block(V[b:e], eta[b:e], c, h, kick, vp)
            if hits > 0:
                for j in range(b, e):
                    if V[j] >= vp:
                        if method == EXACT:
                            tover[j] = _overshoot(V[j], vp, tau, h)
                        V[j] = np.nan
                        _push(j, s, q0, qptr, p, qid, qstep, cap)
            b = e
        _restart(p, s, ipar, fpar, c, V, eta, tover, qid, qstep, qptr, Sn, sparse, P, method)
        return ne
    for j in range(lo, hi):
        x = V[j]
        cj = eta[j] + c
        kj = kick
        if sparse != 0:
            kj += Kbuf[j]
            Kbuf[j] = 0.0
            for bb in range(P):
                cj += tau * Sn[bb, j]
        if model == QIF:
            x = _qif_step(x + kj, cj, h, method)
            if amp > 0.0:
                x += amp * np.random.standard_normal()
            if x >= vp:
                if method == EXACT:
                    tover[j] = _overshoot(x, vp, tau, h)
                x = np.nan
                _push(j, s, q0, qptr, p, qid, qstep, cap)
        else:
            x = _theta_step(_theta_kick(x, kj), cj, h, method)
            if amp > 0.0:
                x = _theta_kick(x, amp * np.random.standard_normal())
            if x > math.pi:
                x -= 2.0 * math.pi
                emitted[ne] = j
                ne += 1
        V[j] = x
    if model == QIF:
        _restart(p, s, ipar, fpar, c, V, eta, tover, qid, qstep, qptr, Sn, sparse, P, method)
    return ne


@njit(**KERNEL_OPTIONS)
def _overshoot(x, vp, tau, h):
    """Time a QIF neuron found at x >= vp after a step has spent beyond vp (tau (1/vp - 1/x), at most a step;
    exact to O(eta/vp^3))."""
    return min(tau * (1.0 / vp - 1.0 / x), h * tau)


@njit(**KERNEL_OPTIONS)
def _restart(p, s, ipar, fpar, c, V, eta, tover, qid, qstep, qptr, Sn, sparse, P, method):
    """QIF neurons whose refractory period ends with step s - 1 restart at v_reset and take step s; the kicks
    of the previous step found them refractory and are not applied (as in Brian2, where every write to a
    refractory neuron's V is dropped). With the exact method, the time the neuron had overshot v_peak in its
    last step is carried through the reset (it restarts that much past v_reset), so spike times do not lag by
    up to a step per spike."""
    q0 = ipar[p, 5]
    cap = ipar[p, 1] + 1
    R = ipar[p, 4]
    h = fpar[p, 0]
    tau = fpar[p, 1]
    vp = fpar[p, 2]
    vr = fpar[p, 3]
    amp = fpar[p, 4]
    # the crossings of this step were pushed already; they are younger than R + 1 steps and stay queued
    while qptr[p, 0] < qptr[p, 1] and qstep[q0 + qptr[p, 0] % cap] + R + 1 <= s:
        j = qid[q0 + qptr[p, 0] % cap]
        qptr[p, 0] += 1
        cj = eta[j] + c
        if sparse != 0:
            for bb in range(P):
                cj += tau * Sn[bb, j]
        x = vr
        if method == EXACT and tover[j] > 0.0:
            x = _qif_step(x, cj, tover[j] / tau, EXACT)
        x = _qif_step(x, cj, h, method)
        if amp > 0.0:
            x += amp * np.random.standard_normal()
        if x >= vp:
            x = np.nan
            _push(j, s, q0, qptr, p, qid, qstep, cap)
        V[j] = x


@njit(**KERNEL_OPTIONS)
def sample_state(k, p, ipar, fpar, kick, V, Kbuf, sparse, mv, zz):
    """Mean voltage of the active neurons and Kuramoto order parameter of population p into sample k.

    QIF: V includes the kick still to be applied at the start of the next step; a refractory neuron counts as
    theta = pi (e^{i theta} = -1) in the order parameter and not at all in the mean voltage. Theta: the mean
    voltage is not defined (NaN); theta includes the pending kick.
    """
    lo = ipar[p, 0]
    n = ipar[p, 1]
    zr = 0.0
    zi = 0.0
    if ipar[p, 2] == QIF:
        tot = 0.0
        cnt = 0
        for j in range(lo, lo + n):
            x = V[j]
            if x == x:
                x += kick
                if sparse != 0:
                    x += Kbuf[j]
                tot += x
                cnt += 1
                d = 1.0 + x * x          # e^{i 2 atan x} = (1 - x^2 + 2 i x)/(1 + x^2)
                zr += (1.0 - x * x) / d
                zi += 2.0 * x / d
            else:
                zr -= 1.0
        mv[k, p] = tot / cnt if cnt > 0 else np.nan
    else:
        for j in range(lo, lo + n):
            kj = kick + (Kbuf[j] if sparse != 0 else 0.0)
            th = _theta_kick(V[j], kj)
            zr += math.cos(th)
            zi += math.sin(th)
        mv[k, p] = np.nan
    zz[k, p] = complex(zr / n, zi / n)


@njit(**KERNEL_OPTIONS)
def _kicks(p, P, ipar, fpar, J, nprev):
    """Kick of the delta synapses (spikes of the previous step) and the part of the drive from filtered ones."""
    k = 0.0
    for b in range(P):
        if fpar[b, 7] != 0.0:
            k += J[p, b] * fpar[b, 6] * nprev[b] / ipar[b, 1]
    return k



#: steps advanced together by the temporal-blocking path (at most m1: the kicks of the next m1 steps come from
#: spikes that crossed the peak before the block, so they are known before the block starts)
TBLOCK = 64


@njit(**KERNEL_OPTIONS)
def _sample_block(Vb, kick, tot_cnt_z):
    """Add a block of QIF voltages (with the pending kick) to (sum V, count, Re z, Im z) of one sample, in neuron
    order (the same sums, in the same order, as :func:`sample_state`)."""
    tot = tot_cnt_z[0]
    cnt = tot_cnt_z[1]
    zr = tot_cnt_z[2]
    zi = tot_cnt_z[3]
    for j in range(Vb.size):
        x = Vb[j]
        if x == x:
            x += kick
            tot += x
            cnt += 1.0
            d = 1.0 + x * x
            zr += (1.0 - x * x) / d
            zi += 2.0 * x / d
        else:
            zr -= 1.0
    tot_cnt_z[0] = tot
    tot_cnt_z[1] = cnt
    tot_cnt_z[2] = zr
    tot_cnt_z[3] = zi


@njit(**KERNEL_OPTIONS)
def _block_steps(s, K, ipar, fpar, J, V, eta, qid, qstep, qptr, S, A, Mad, nprev, ext, counts, every, mv, zz, ss,
                 aa, rec_mask, spk_step, spk_id, spk_ctr, blk_c, blk_k, acc, cr_id, cr_t, re_id, re_t, bstart):
    """Steps s .. s + K - 1 of an all-to-all network of QIF populations (Euler, no noise), K <= every m1.

    The same arithmetic, per neuron and step, as the step-by-step path, reordered: the drives, kicks, emissions,
    synapses and adaptation of the K steps are computed first (they depend only on crossings older than the
    block), then each block of BLOCK neurons is advanced K steps while it stays in the L1 cache, then the
    crossings are queued in step order.
    """
    P = ipar.shape[0]
    n_samples = mv.shape[0]
    # 1. bookkeeping of the K steps
    for t in range(K):
        g = s + t
        for p in range(P):
            c = ext[g, p] - A[p, 0]
            for b in range(P):
                if fpar[b, 7] == 0.0:
                    c += fpar[p, 1] * J[p, b] * S[b]
            blk_c[t, p] = c
            blk_k[t, p] = _kicks(p, P, ipar, fpar, J, nprev)
        for p in range(P):
            q0 = ipar[p, 5]
            cap = ipar[p, 1] + 1
            m1 = ipar[p, 3]
            n = 0
            while qptr[p, 1] < qptr[p, 2] and qstep[q0 + qptr[p, 1] % cap] + m1 <= g:
                j = qid[q0 + qptr[p, 1] % cap]
                if rec_mask[j] != 0:
                    spk_step[spk_ctr[0]] = g
                    spk_id[spk_ctr[0]] = j
                    spk_ctr[0] += 1
                n += 1
                qptr[p, 1] += 1
            nprev[p] = n
        for p in range(P):
            counts[g, p] = nprev[p]
            S[p] = fpar[p, 5] * S[p] + fpar[p, 6] * nprev[p] / ipar[p, 1]
            a = A[p, 0]
            x = A[p, 1]
            A[p, 0] = Mad[p, 0, 0] * a + Mad[p, 0, 1] * x
            A[p, 1] = Mad[p, 1, 0] * a + Mad[p, 1, 1] * x + Mad[p, 2, 0] * nprev[p] / ipar[p, 1]
        if (g + 1) % every == 0 and (g + 1) // every < n_samples:
            k = (g + 1) // every
            for p in range(P):
                ss[k, p] = S[p]
                aa[k, p] = A[p, 0]
    for p in range(P):
        blk_k[K, p] = _kicks(p, P, ipar, fpar, J, nprev)
    # 2. per population: restarts due in the block, the neuron pass, the crossings queued in step order
    for p in range(P):
        lo = ipar[p, 0]
        n = ipar[p, 1]
        hi = lo + n
        q0 = ipar[p, 5]
        cap = n + 1
        R = ipar[p, 4]
        h = fpar[p, 0]
        vp = fpar[p, 2]
        vr = fpar[p, 3]
        # restarts due in the block, sorted by neuron block (counting sort, queue order kept within a block)
        nb = (n + BLOCK - 1) // BLOCK
        for m in range(nb + 1):
            bstart[m] = 0
        nre = 0
        while qptr[p, 0] < qptr[p, 1] and qstep[q0 + qptr[p, 0] % cap] + R + 1 < s + K:
            j = qid[q0 + qptr[p, 0] % cap]
            cr_id[nre] = j
            cr_t[nre] = qstep[q0 + qptr[p, 0] % cap] + R + 1 - s
            bstart[(j - lo) // BLOCK + 1] += 1
            nre += 1
            qptr[p, 0] += 1
        for m in range(nb):
            bstart[m + 1] += bstart[m]
        for m in range(nre):
            bi = (cr_id[m] - lo) // BLOCK
            q = bstart[bi]
            re_id[q] = cr_id[m]
            re_t[q] = cr_t[m]
            bstart[bi] = q + 1
        for m in range(nb, 0, -1):       # bstart[bi] is now the end of block bi: shift back to starts
            bstart[m] = bstart[m - 1]
        bstart[0] = 0
        for t in range(K):
            for m in range(4):
                acc[t, m] = 0.0
        ncr = 0
        b = lo
        bi = 0
        while b < hi:
            e = min(b + BLOCK, hi)
            r0 = bstart[bi]
            r1 = bstart[bi + 1]
            bi += 1
            Vb = V[b:e]
            eb = eta[b:e]
            for t in range(K):
                g = s + t
                if _euler_block(Vb, eb, blk_c[t, p], h, blk_k[t, p], vp) > 0:
                    for j in range(b, e):
                        if V[j] >= vp:
                            V[j] = np.nan
                            cr_id[ncr] = j
                            cr_t[ncr] = t
                            ncr += 1
                for m in range(r0, r1):
                    j = re_id[m]
                    if re_t[m] == t:
                        x = _qif_step(vr, eta[j] + blk_c[t, p], h, EULER)
                        if x >= vp:
                            x = np.nan
                            cr_id[ncr] = j
                            cr_t[ncr] = t
                            ncr += 1
                        V[j] = x
                if (g + 1) % every == 0 and (g + 1) // every < n_samples:
                    _sample_block(Vb, blk_k[t + 1, p], acc[t])
            b = e
        for t in range(K):          # queue in step order (neuron order within a step)
            for m in range(ncr):
                if cr_t[m] == t:
                    _push(cr_id[m], s + t, q0, qptr, p, qid, qstep, cap)
        for t in range(K):
            g = s + t
            if (g + 1) % every == 0 and (g + 1) // every < n_samples:
                k = (g + 1) // every
                mv[k, p] = acc[t, 0] / acc[t, 1] if acc[t, 1] > 0 else np.nan
                zz[k, p] = complex(acc[t, 2] / n, acc[t, 3] / n)

@njit(**KERNEL_OPTIONS)
def run_steps(s0, s1, method, ipar, fpar, J, V, eta, emin, emax, tover, qid, qstep, qptr, S, A, Mad, nprev, sparse,
              Kbuf, Sn, indptr, idx, w, ext, counts, every, mv, zz, ss, aa, rec_mask, spk_step, spk_id, spk_ctr,
              emitted, blk_c, blk_k, acc, cr_id, cr_t, re_id, re_t, bstart):
    """Advance steps s0 .. s1 - 1; returns the first step not done (early when the spike buffer could fill).

    ``S[p]``: filtered rate of population p (its synapse); ``A[p] = (a, x)``: adaptation, updated by the 2 x 2
    matrix ``Mad[p]`` plus ``alpha n / N`` into x (``fpar`` has no alpha: it is ``Mad[p, 2, 0]``); ``nprev``:
    spikes of the previous step; ``emin``/``emax``: smallest and largest eta of each population; ``tover``:
    overshoot times (exact method); ``Kbuf``/``Sn``: per-neuron kicks and filtered inputs of sparse networks.
    Samples k (every ``every`` steps, at t = k every dt) of mean voltage ``mv``, order parameter ``zz``,
    synapse ``ss`` and adaptation ``aa``; spikes of neurons with ``rec_mask`` set into ``spk_step``/``spk_id``.
    ``blk_c`` (TBLOCK, P), ``blk_k`` (TBLOCK + 1, P), ``acc`` (TBLOCK, 4) and the int arrays ``cr_id``, ``cr_t``,
    ``re_id``, ``re_t`` (N each) and ``bstart`` (N/BLOCK + 2) are workspaces of the temporal-blocking path
    (:func:`_block_steps`).
    """
    P = ipar.shape[0]
    n_samples = mv.shape[0]
    cap_spk = spk_step.size
    # temporal blocking for all-to-all QIF populations with Euler and no noise
    K = TBLOCK if (sparse == 0 and method == EULER) else 1
    for p in range(P):
        if ipar[p, 2] != QIF or fpar[p, 4] != 0.0:
            K = 1
        elif ipar[p, 3] < K:
            K = ipar[p, 3]
    s = s0
    while s < s1:
        if spk_ctr[0] + spk_ctr[1] > cap_spk:      # spk_ctr[1]: how many neurons are recorded
            return s
        if K > 1 and s + K <= s1:
            _block_steps(s, K, ipar, fpar, J, V, eta, qid, qstep, qptr, S, A, Mad, nprev, ext, counts, every, mv,
                         zz, ss, aa, rec_mask, spk_step, spk_id, spk_ctr, blk_c, blk_k, acc, cr_id, cr_t, re_id,
                         re_t, bstart)
            s += K
            continue
        ne = 0
        for p in range(P):
            # drive held over the step and kicks of the previous step's spikes
            c = ext[s, p] - A[p, 0]
            for b in range(P):
                if fpar[b, 7] == 0.0 and sparse == 0:
                    c += fpar[p, 1] * J[p, b] * S[b]
            kick = _kicks(p, P, ipar, fpar, J, nprev) if sparse == 0 else 0.0
            ne = _advance_population(p, s, ipar, fpar, c, kick, V, eta, emin, emax, tover, qid, qstep, qptr, Kbuf, Sn,
                                     sparse, P, method, emitted, ne)
        # 3. emission: QIF spikes m1 steps after their crossing
        for p in range(P):
            if ipar[p, 2] == QIF:
                q0 = ipar[p, 5]
                cap = ipar[p, 1] + 1
                m1 = ipar[p, 3]
                while qptr[p, 1] < qptr[p, 2] and qstep[q0 + qptr[p, 1] % cap] + m1 <= s:
                    emitted[ne] = qid[q0 + qptr[p, 1] % cap]
                    ne += 1
                    qptr[p, 1] += 1
        # 4. counts, records, sparse delivery (filtered inputs decay first: a spike of this step is not decayed)
        for p in range(P):
            nprev[p] = 0
            if sparse != 0 and fpar[p, 7] == 0.0:
                d = fpar[p, 5]
                for j in range(Sn.shape[1]):
                    Sn[p, j] *= d
        for m in range(ne):
            j = emitted[m]
            p = 0
            while p + 1 < P and j >= ipar[p + 1, 0]:
                p += 1
            nprev[p] += 1
            if rec_mask[j] != 0:
                spk_step[spk_ctr[0]] = s
                spk_id[spk_ctr[0]] = j
                spk_ctr[0] += 1
            if sparse != 0:
                gain = fpar[p, 6]
                if fpar[p, 7] != 0.0:
                    for q in range(indptr[j], indptr[j + 1]):
                        Kbuf[idx[q]] += w[q] * gain
                else:
                    for q in range(indptr[j], indptr[j + 1]):
                        Sn[p, idx[q]] += w[q] * gain
        for p in range(P):
            counts[s, p] = nprev[p]
            # filtered rate (its synapse) and adaptation of the population
            S[p] = fpar[p, 5] * S[p] + fpar[p, 6] * nprev[p] / ipar[p, 1]
            a = A[p, 0]
            x = A[p, 1]
            A[p, 0] = Mad[p, 0, 0] * a + Mad[p, 0, 1] * x
            A[p, 1] = Mad[p, 1, 0] * a + Mad[p, 1, 1] * x + Mad[p, 2, 0] * nprev[p] / ipar[p, 1]
        # 5. samples at t = k * every * dt
        if (s + 1) % every == 0:
            k = (s + 1) // every
            if k < n_samples:
                for p in range(P):
                    kick = _kicks(p, P, ipar, fpar, J, nprev) if sparse == 0 else 0.0
                    sample_state(k, p, ipar, fpar, kick, V, Kbuf, sparse, mv, zz)
                    ss[k, p] = S[p]
                    aa[k, p] = A[p, 0]
        s += 1
    return s1
