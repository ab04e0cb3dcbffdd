"""Numba kernel of the streaming Balloon-Windkessel integrator (:mod:`neurodyn.observables.bold`).

Kept apart so that importing the observables (and a network that computes no BOLD signal) does not import
Numba.
"""
from __future__ import annotations

import math

import numba

@numba.njit(cache=False, fastmath=False)
def _rhs(s, f, v, q, x, kappa, gamma, inv_tau, inv_alpha, rho, log1m_rho):
    # v**(1/alpha) and (1 - rho)**(1/f) through exp/log: same values to round-off, ~2x cheaper than pow
    fv = math.exp(inv_alpha * math.log(v))
    E = 1.0 - math.exp(log1m_rho / f)
    ds = x - kappa * s - gamma * (f - 1.0)
    df = s
    dv = (f - fv) * inv_tau
    dq = (f * E / rho - fv * q / v) * inv_tau
    return ds, df, dv, dq


@numba.njit(cache=False, fastmath=False)
def advance(x_chunk, scale, state, acc, counters, k, h, per_tr, p, out):
    """Integrate one chunk. counters = [steps in current block, blocks since last sample, blocks total].

    Returns (n_samples_written, bad_region, bad_block) with bad_region = -1 when all went well.
    """
    n_steps, n = x_chunk.shape
    kappa, gamma, tau, alpha, rho = p[0], p[1], p[2], p[3], p[4]
    V0, k1, k2, k3 = p[5], p[6], p[7], p[8]
    inv_tau = 1.0 / tau
    inv_alpha = 1.0 / alpha
    log1m_rho = math.log(1.0 - rho)
    written = 0
    for t in range(n_steps):
        for i in range(n):
            acc[i] += x_chunk[t, i]
        counters[0] += 1
        if counters[0] < k:
            continue
        counters[0] = 0
        for i in range(n):
            x = scale * acc[i] / k
            acc[i] = 0.0
            s, f, v, q = state[0, i], state[1, i], state[2, i], state[3, i]
            a1, b1, c1, d1 = _rhs(s, f, v, q, x, kappa, gamma, inv_tau, inv_alpha, rho, log1m_rho)
            a2, b2, c2, d2 = _rhs(s + 0.5 * h * a1, f + 0.5 * h * b1, v + 0.5 * h * c1, q + 0.5 * h * d1,
                                  x, kappa, gamma, inv_tau, inv_alpha, rho, log1m_rho)
            a3, b3, c3, d3 = _rhs(s + 0.5 * h * a2, f + 0.5 * h * b2, v + 0.5 * h * c2, q + 0.5 * h * d2,
                                  x, kappa, gamma, inv_tau, inv_alpha, rho, log1m_rho)
            a4, b4, c4, d4 = _rhs(s + h * a3, f + h * b3, v + h * c3, q + h * d3,
                                  x, kappa, gamma, inv_tau, inv_alpha, rho, log1m_rho)
            s += h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
            f += h / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
            v += h / 6.0 * (c1 + 2.0 * c2 + 2.0 * c3 + c4)
            q += h / 6.0 * (d1 + 2.0 * d2 + 2.0 * d3 + d4)
            if not (f > 0.0 and v > 0.0 and math.isfinite(s) and math.isfinite(q)):
                return written, i, counters[2]
            state[0, i], state[1, i], state[2, i], state[3, i] = s, f, v, q
        counters[2] += 1
        counters[1] += 1
        if per_tr > 0 and counters[1] == per_tr:
            counters[1] = 0
            for i in range(n):
                v = state[2, i]
                q = state[3, i]
                out[written, i] = V0 * (k1 * (1.0 - q) + k2 * (1.0 - q / v) + k3 * (1.0 - v))
            written += 1
    return written, -1, counters[2]
