/* C twin of neurodyn/cells/_runtime.py: rate helpers, the event queue (a binary heap in preallocated arrays),
 * NetStim logic with NEURON 9's Random123 streams, spike emission. Included at the top of every generated C
 * cell kernel (neurodyn/cells/ckernel.py).
 *
 * Every function performs the floating-point operations of its Python/Numba twin in the same order, so the
 * two tiers give bit-identical results (tests/cells/test_cells_tiers.py). Keep them in step.
 *
 * Arrays: 1-D arrays are (pointer, length); 2-D arrays are (pointer, rows, columns, row stride), element
 * (i, j) at p[i * rs + j]. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define OK 0
#define QUEUE_FULL 1
#define SPIKES_FULL 2
#define NONFINITE 3
#define TARGET_NONE 0
#define TARGET_EXPSYN 1
#define TARGET_EXP2SYN 2
#define TARGET_NETSTIM 3
#define THRESHOLD_TEPS 1e-10

#define A2(p, i, j) (p)[(i) * p##_rs + (j)]
#define ARR1(T, p) T *p, int64_t p##_n0
#define ARR2(T, p) T *p, int64_t p##_n0, int64_t p##_n1, int64_t p##_rs
#define PASS1(p) p, p##_n0
#define PASS2(p) p, p##_n0, p##_n1, p##_rs

#define QUEUE_ARGS ARR1(double, qt), ARR1(int64_t, qs), ARR1(int64_t, qa), ARR1(int64_t, qb), ARR1(int64_t, qstate)
#define QUEUE_PASS PASS1(qt), PASS1(qs), PASS1(qa), PASS1(qb), PASS1(qstate)

int64_t count_steps(double t, double dt, double tstop) {
    int64_t n = 0;
    while (t < tstop - 0.5 * dt) {
        t += 0.5 * dt;
        t += 0.5 * dt;
        n += 1;
    }
    return n;
}

static inline double vtrap(double x, double y) {
    if (fabs(x / y) < 1e-6) return y * (1.0 - x / y / 2.0);
    return x / (exp(x / y) - 1.0);
}

static inline double exprelr(double x) {
    if (fabs(x) < 1e-5) return 1.0 - x / 2.0;
    return x / (exp(x) - 1.0);
}

static inline double efun(double z) {
    if (fabs(z) < 1e-4) return 1.0 - z / 2.0;
    return z / (exp(z) - 1.0);
}

/* Python's min/max on two floats, as Numba lowers them: the later argument wins only if strictly smaller /
 * larger */
static inline double nd_min(double a, double b) { return (b < a) ? b : a; }
static inline double nd_max(double a, double b) { return (b > a) ? b : a; }

/* Python's x ** n for a literal integer n, as Numba computes it (binary powering from 1) */
static inline double nd_powi(double x, int64_t n) {
    int inv = n < 0;
    int64_t e = inv ? -n : n;
    double res = 1.0, val = x;
    while (e != 0) {
        if (e & 1) res = res * val;
        e >>= 1;
        val = val * val;
    }
    return inv ? 1.0 / res : res;
}

static void table_interp(const double *tab, int64_t tab_n0, int64_t tab_rs, double tmin, double mfac,
                         int64_t nint, double v, double *buf) {
    double xi = mfac * (v - tmin);
    int64_t nrow = tab_n0;
    if (xi != xi) {
        for (int64_t j = 0; j < nrow; j++) buf[j] = NAN;
        return;
    }
    if (xi <= 0.0) {
        for (int64_t j = 0; j < nrow; j++) buf[j] = tab[j * tab_rs];
        return;
    }
    if (xi >= (double)nint) {
        for (int64_t j = 0; j < nrow; j++) buf[j] = tab[j * tab_rs + nint];
        return;
    }
    int64_t i = (int64_t)xi;
    double theta = xi - (double)i;
    for (int64_t j = 0; j < nrow; j++)
        buf[j] = tab[j * tab_rs + i] + theta * (tab[j * tab_rs + i + 1] - tab[j * tab_rs + i]);
}

static void heap_push(QUEUE_ARGS, double t, int64_t a, int64_t b) {
    int64_t n = qstate[0];
    if (n >= qt_n0) {
        qstate[2] = 1;
        return;
    }
    int64_t seq = qstate[1];
    qstate[1] = seq + 1;
    int64_t i = n;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (qt[p] < t || (qt[p] == t && qs[p] < seq)) break;
        qt[i] = qt[p];
        qs[i] = qs[p];
        qa[i] = qa[p];
        qb[i] = qb[p];
        i = p;
    }
    qt[i] = t;
    qs[i] = seq;
    qa[i] = a;
    qb[i] = b;
    qstate[0] = n + 1;
}

static void heap_pop(QUEUE_ARGS, double *t0, int64_t *a0, int64_t *b0) {
    *t0 = qt[0];
    *a0 = qa[0];
    *b0 = qb[0];
    int64_t n = qstate[0] - 1;
    qstate[0] = n;
    if (n > 0) {
        double t = qt[n];
        int64_t s = qs[n], a = qa[n], b = qb[n];
        int64_t i = 0;
        for (;;) {
            int64_t c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && (qt[c + 1] < qt[c] || (qt[c + 1] == qt[c] && qs[c + 1] < qs[c]))) c += 1;
            if (qt[c] < t || (qt[c] == t && qs[c] < s)) {
                qt[i] = qt[c];
                qs[i] = qs[c];
                qa[i] = qa[c];
                qb[i] = qb[c];
                i = c;
            } else {
                break;
            }
        }
        qt[i] = t;
        qs[i] = s;
        qa[i] = a;
        qb[i] = b;
    }
}

/* Philox4x32-10 (Random123), words held in uint64 as in the Python twin */
#define PM0 0xD2511F53ULL
#define PM1 0xCD9E8D57ULL
#define PW0 0x9E3779B9ULL
#define PW1 0xBB67AE85ULL
#define MASK32 0xFFFFFFFFULL

static void philox4x32(uint64_t c[4], uint64_t k0, uint64_t k1, uint64_t out[4]) {
    uint64_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k0 = (k0 + PW0) & MASK32;
            k1 = (k1 + PW1) & MASK32;
        }
        uint64_t p0 = PM0 * c0, p1 = PM1 * c2;
        uint64_t n0 = (p1 >> 32) ^ c1 ^ k0, n1 = p1 & MASK32, n2 = (p0 >> 32) ^ c3 ^ k1, n3 = p0 & MASK32;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

static void philox_fill(uint64_t *rng, int64_t rng_rs, int64_t k) {
    uint64_t c[4], r[4];
    for (int j = 0; j < 4; j++) c[j] = rng[k * rng_rs + j];
    philox4x32(c, 0, 0, r);
    for (int j = 0; j < 4; j++) rng[k * rng_rs + 5 + j] = r[j];
}

void r123_setseq(ARR2(uint64_t, rng), int64_t k, int64_t seq) {
    A2(rng, k, 0) = ((uint64_t)seq) & MASK32;
    A2(rng, k, 4) = 0;
    philox_fill(rng, rng_rs, k);
}

void r123_newstream(ARR2(uint64_t, rng), int64_t k, int64_t id1, int64_t id2, int64_t id3) {
    A2(rng, k, 1) = (uint64_t)id3;
    A2(rng, k, 2) = (uint64_t)id1;
    A2(rng, k, 3) = (uint64_t)id2;
    r123_setseq(PASS2(rng), k, 0);
}

static double r123_dblpick(uint64_t *rng, int64_t rng_rs, int64_t k) {
    uint64_t which = rng[k * rng_rs + 4];
    uint64_t u = rng[k * rng_rs + 5 + which];
    which += 1;
    if (which > 3) {
        which = 0;
        for (int j = 0; j < 4; j++) {
            rng[k * rng_rs + j] = (rng[k * rng_rs + j] + 1) & MASK32;
            if (rng[k * rng_rs + j] != 0) break;
        }
        philox_fill(rng, rng_rs, k);
    }
    rng[k * rng_rs + 4] = which;
    return ((double)u + 1.0) * (1.0 / 4294967297.0);
}

static double netstim_invl(ARR2(double, ns_P), uint64_t *ns_rng, int64_t ns_rng_rs, int64_t k, double mean) {
    if (mean <= 0.0) mean = 0.01;
    double noise = A2(ns_P, 3, k);
    if (noise == 0.0) return mean;
    return (1.0 - noise) * mean + noise * mean * (-log(r123_dblpick(ns_rng, ns_rng_rs, k)));
}

#define SPIKE_ARGS ARR1(int64_t, src_ptr), ARR1(int64_t, src_nc), ARR1(int64_t, nc_kind), ARR1(double, nc_delay), \
    QUEUE_ARGS, ARR1(double, sp_t), ARR1(int64_t, sp_s), ARR1(int64_t, spstate)
#define SPIKE_PASS PASS1(src_ptr), PASS1(src_nc), PASS1(nc_kind), PASS1(nc_delay), QUEUE_PASS, PASS1(sp_t), \
    PASS1(sp_s), PASS1(spstate)

void emit_spike(int64_t src, double ts, SPIKE_ARGS) {
    int64_t n = spstate[0];
    if (n < sp_t_n0) {
        sp_t[n] = ts;
        sp_s[n] = src;
        spstate[0] = n + 1;
    } else {
        spstate[1] = 1;
    }
    for (int64_t j = src_ptr[src]; j < src_ptr[src + 1]; j++) {
        int64_t c = src_nc[j];
        if (nc_kind[c] != TARGET_NONE) heap_push(QUEUE_PASS, ts + nc_delay[c], c, 0);
    }
}

static void netstim_next_invl(ARR2(double, ns_P), ARR2(double, ns_S), uint64_t *ns_rng, int64_t ns_rng_rs,
                              int64_t k) {
    if (A2(ns_P, 0, k) > 0.0) A2(ns_S, 2, k) = netstim_invl(PASS2(ns_P), ns_rng, ns_rng_rs, k, A2(ns_P, 2, k));
    if (A2(ns_S, 1, k) >= A2(ns_P, 0, k)) A2(ns_S, 0, k) = 0.0;
}

static void netstim_init_sequence(ARR2(double, ns_P), ARR2(double, ns_S), int64_t k) {
    if (A2(ns_P, 0, k) > 0.0) {
        A2(ns_S, 0, k) = 1.0;
        A2(ns_S, 2, k) = 0.0;
        A2(ns_S, 1, k) = 0.0;
    }
}

#define EVENT_ARGS QUEUE_ARGS, ARR1(int64_t, nc_kind), ARR1(int64_t, nc_tidx), ARR1(double, nc_w), \
    ARR1(double, nc_delay), ARR2(double, es_S), ARR2(double, e2_S), ARR2(double, e2_P), ARR2(double, ns_P), \
    ARR2(double, ns_S), ARR2(uint64_t, ns_rng), ARR1(int64_t, ns_src), ARR1(int64_t, src_ptr), \
    ARR1(int64_t, src_nc), ARR1(double, sp_t), ARR1(int64_t, sp_s), ARR1(int64_t, spstate)
#define EVENT_PASS QUEUE_PASS, PASS1(nc_kind), PASS1(nc_tidx), PASS1(nc_w), PASS1(nc_delay), PASS2(es_S), \
    PASS2(e2_S), PASS2(e2_P), PASS2(ns_P), PASS2(ns_S), PASS2(ns_rng), PASS1(ns_src), PASS1(src_ptr), \
    PASS1(src_nc), PASS1(sp_t), PASS1(sp_s), PASS1(spstate)

void deliver_events(double til, EVENT_ARGS) {
    while (qstate[0] > 0 && qt[0] <= til) {
        double t;
        int64_t a, b;
        heap_pop(QUEUE_PASS, &t, &a, &b);
        if (b == 0) {
            int64_t kind = nc_kind[a], k = nc_tidx[a];
            double w = nc_w[a];
            if (kind == TARGET_EXPSYN) {
                A2(es_S, 0, k) += w;
            } else if (kind == TARGET_EXP2SYN) {
                double f = A2(e2_P, 3, k);
                A2(e2_S, 0, k) += w * f;
                A2(e2_S, 1, k) += w * f;
            } else if (kind == TARGET_NETSTIM) {
                if (w > 0.0 && A2(ns_S, 0, k) == 0.0) {
                    netstim_init_sequence(PASS2(ns_P), PASS2(ns_S), k);
                    netstim_next_invl(PASS2(ns_P), PASS2(ns_S), ns_rng, ns_rng_rs, k);
                    A2(ns_S, 2, k) = A2(ns_S, 2, k) - A2(ns_P, 2, k) * (1.0 - A2(ns_P, 3, k));
                    heap_push(QUEUE_PASS, t + A2(ns_S, 2, k), k, 1);
                } else if (w < 0.0) {
                    A2(ns_S, 0, k) = 0.0;
                }
            }
        } else if (b == 3) {
            if (A2(ns_S, 0, a) == 1.0) {
                netstim_init_sequence(PASS2(ns_P), PASS2(ns_S), a);
                heap_push(QUEUE_PASS, t, a, 1);
            }
        } else if (b == 1) {
            if (A2(ns_S, 0, a) == 1.0) {
                A2(ns_S, 1, a) += 1.0;
                emit_spike(ns_src[a], t, SPIKE_PASS);
                netstim_next_invl(PASS2(ns_P), PASS2(ns_S), ns_rng, ns_rng_rs, a);
                if (A2(ns_S, 0, a) == 1.0) heap_push(QUEUE_PASS, t + A2(ns_S, 2, a), a, 1);
            }
        }
    }
}

void netstim_initialize(ARR2(double, ns_P), ARR2(double, ns_S), ARR2(uint64_t, ns_rng), QUEUE_ARGS) {
    for (int64_t k = 0; k < ns_P_n1; k++) {
        A2(ns_S, 0, k) = 0.0;
        A2(ns_S, 1, k) = 0.0;
        if (A2(ns_P, 3, k) < 0.0) A2(ns_P, 3, k) = 0.0;
        if (A2(ns_P, 3, k) > 1.0) A2(ns_P, 3, k) = 1.0;
        if (A2(ns_P, 1, k) >= 0.0 && A2(ns_P, 0, k) > 0.0) {
            A2(ns_S, 0, k) = 1.0;
            double ev = A2(ns_P, 1, k) + netstim_invl(PASS2(ns_P), ns_rng, ns_rng_rs, k, A2(ns_P, 2, k))
                        - A2(ns_P, 2, k) * (1.0 - A2(ns_P, 3, k));
            if (ev < 0.0) ev = 0.0;
            A2(ns_S, 2, k) = ev;
            heap_push(QUEUE_PASS, ev, k, 3);
        }
    }
}
