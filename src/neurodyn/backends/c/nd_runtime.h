/* neurodyn C kernel runtime: the helpers a generated kernel calls.
 *
 * Every function mirrors its Numba counterpart in neurodyn/backends/numba/runtime.py operation by operation
 * (same order of floating-point operations, same branches), so that a C kernel and a Numba kernel compute
 * bit-identical trajectories. Compile with -ffp-contract=off (no fused multiply-add) and without -ffast-math.
 * Layouts are described in neurodyn/backends/numba/runtime.py and neurodyn/backends/data.py.
 */
#include <math.h>
#include <stdint.h>

#define ND_BLOCK_START 5

typedef struct {
    const int64_t *sizes, *off, *hdr, *indptr, *idx;
    const double *w, *d;
    const double *ext;
    int64_t ext_rows, ext_cols;
    const int64_t *ext_pos;
    int64_t n_ext_pos;
    const double *tinfo;
    double *buf;
    int64_t buf_stride;
    int64_t *bstate;
    int64_t n_bstate;
    const int64_t *hs;
    int64_t n_hs;
    double *dcache, *dblock;
    const int64_t *dint, *split;
} nd_data;

/* a loop whose iterations touch disjoint elements: vectorise it without run-time alias checks */
#if defined(__clang__)
#define ND_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define ND_IVDEP _Pragma("GCC ivdep")
#else
#define ND_IVDEP
#endif

#define HDR(k, c) (M->hdr[(k) * 7 + (c)])

static inline double nd_heaviside(double x) { return x > 0 ? 1.0 : (x < 0 ? 0.0 : 0.5); }
static inline double nd_max(double x, double y) { return x >= y ? x : y; }
static inline double nd_min(double x, double y) { return x <= y ? x : y; }
/* numpy.sign of a float in Numba: 1, -1, or the value itself (0, -0 or NaN) */
static inline double nd_sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); }

/* x ** n for a literal integer n, as Numba's static_power_impl: binary exponentiation from 1 */
static inline __attribute__((always_inline)) double nd_powi(double x, long n) {
    int invert = n < 0;
    unsigned long e = invert ? (unsigned long)(-n) : (unsigned long)n;
    double res = 1.0, val = x;
    if (e < 64UL) {
        /* the same steps without a loop: with a literal n every branch folds away, leaving straight-line
           multiplications that a node loop can vectorise */
        if (e & 1UL) res = res * val;
        val = val * val;
        if (e & 2UL) res = res * val;
        val = val * val;
        if (e & 4UL) res = res * val;
        val = val * val;
        if (e & 8UL) res = res * val;
        val = val * val;
        if (e & 16UL) res = res * val;
        val = val * val;
        if (e & 32UL) res = res * val;
        return invert ? 1.0 / res : res;
    }
    while (e != 0) {
        if (e & 1UL) res = res * val;
        e >>= 1;
        val = val * val;
    }
    return invert ? 1.0 / res : res;
}

/* out[c n_t + i] += sum_j W[i, j] src[c n_s + j] for every copy c; W dense, column-major, shared by the copies */
static void nd_dense_accum(double *a, int64_t o_t, int64_t n_t, const double *src, int64_t o_s, int64_t n_s,
                           const double *w, int64_t nz, int64_t copies) {
    for (int64_t j = 0; j < n_s; j++) {
        const double *col = w + nz + j * n_t;
        for (int64_t c = 0; c < copies; c++) {
            const double xj = src[o_s + c * n_s + j];
            double *out = a + o_t + c * n_t;
            for (int64_t i = 0; i < n_t; i++) out[i] += col[i] * xj;
        }
    }
}

static void nd_csr_accum(double *a, int64_t o_t, int64_t n_t, const double *src, int64_t o_s, int64_t k,
                         const nd_data *M) {
    int64_t ip = HDR(k, 0), nz = HDR(k, 1), copies = HDR(k, 6), n_sc = HDR(k, 4);
    int64_t n_tc = n_t / copies;
    if (HDR(k, 3) == 1) {
        nd_dense_accum(a, o_t, n_tc, src, o_s, n_sc, M->w, nz, copies);
        return;
    }
    for (int64_t c = 0; c < copies; c++) {
        double *out = a + o_t + c * n_tc;
        const int64_t os = o_s + c * n_sc;
        for (int64_t i = 0; i < n_tc; i++) {
            double acc = out[i];
            for (int64_t q = M->indptr[ip + i]; q < M->indptr[ip + i + 1]; q++)
                acc += M->w[nz + q] * src[os + M->idx[nz + q]];
            out[i] = acc;
        }
    }
}

#define BUF(c, j) (M->buf[(c) * M->buf_stride + (j)])

static double nd_hist_value(const nd_data *M, int64_t c, double x, int64_t newest, int64_t oldest, int64_t L,
                            int64_t mode) {
    if (mode == 2) {
        int64_t j = (int64_t)floor(x + 0.5);
        if (j < oldest) j = oldest;
        if (j > newest) j = newest;
        return BUF(c, j & (L - 1));
    }
    if (x <= oldest) return BUF(c, oldest & (L - 1));
    if (x >= newest) return BUF(c, newest & (L - 1));
    int64_t j = (int64_t)floor(x);
    if (mode == 1 || newest - oldest < 3) {
        double f = x - (double)j;
        return (1.0 - f) * BUF(c, j & (L - 1)) + f * BUF(c, (j + 1) & (L - 1));
    }
    int64_t j0 = j - 1;
    if (j0 < oldest) j0 = oldest;
    if (j0 + 3 > newest) j0 = newest - 3;
    double s = x - (double)j0;
    double l0 = -(s - 1.0) * (s - 2.0) * (s - 3.0) / 6.0;
    double l1 = s * (s - 2.0) * (s - 3.0) / 2.0;
    double l2 = -s * (s - 1.0) * (s - 3.0) / 2.0;
    double l3 = s * (s - 1.0) * (s - 2.0) / 6.0;
    return (l0 * BUF(c, j0 & (L - 1)) + l1 * BUF(c, (j0 + 1) & (L - 1)) + l2 * BUF(c, (j0 + 2) & (L - 1))
            + l3 * BUF(c, (j0 + 3) & (L - 1)));
}

static void nd_block_fill(const nd_data *M, double *blk, int64_t i, int64_t K, int64_t xt, int64_t q0, int64_t q1,
                          int64_t nz, int64_t col, int64_t oldest, int64_t L) {
    double *c = blk + i * K;
    for (int64_t m = 0; m < K; m++) c[m] = c[m] * 0.0;
    for (int64_t q = q0; q < q1; q++) {
        const double *row = M->buf + (col + M->idx[nz + q]) * M->buf_stride;
        double wq = M->w[nz + q];
        int64_t j0 = xt - M->dint[nz + q];
        int64_t p0 = j0 & (L - 1);
        if (j0 >= oldest && p0 + K <= L) {
            const double *seg = row + p0;
            for (int64_t m = 0; m < K; m++) c[m] += wq * seg[m];
        } else {
            for (int64_t m = 0; m < K; m++) {
                int64_t j = j0 + m;
                if (j < oldest) j = oldest;
                c[m] += wq * row[j & (L - 1)];
            }
        }
    }
}

static void nd_delayed_accum(double *a, int64_t o_t, int64_t n_t, int64_t k, double t, double tn, const nd_data *M) {
    int64_t ip = HDR(k, 0), nz = HDR(k, 1), col0 = HDR(k, 2), copies = HDR(k, 6), n_sc = HDR(k, 4);
    int64_t n_tc = n_t / copies;
    int64_t newest = M->bstate[0], L = M->bstate[1], oldest = M->bstate[2], mode = M->bstate[3];
    double h = M->tinfo[1];
    if (mode == 2) {
        double *cache = M->dcache + HDR(k, 5);
        double *out = a + o_t;
        if (t != tn) {
            for (int64_t i = 0; i < n_t; i++) out[i] += cache[i];
            return;
        }
        int64_t xt = (int64_t)floor((tn - M->tinfo[0]) / h + 0.5);
        int64_t K = M->bstate[4];
        double *blk = M->dblock;
        int64_t m = 0;
        if (K > 1) {
            blk = M->dblock + HDR(k, 5) * K;
            int64_t bs = M->bstate[ND_BLOCK_START + k];
            if (bs < 0 || xt < bs || xt >= bs + K) {
                for (int64_t c = 0; c < copies; c++)
                    for (int64_t i = 0; i < n_tc; i++)
                        nd_block_fill(M, blk, c * n_tc + i, K, xt, M->indptr[ip + i], M->split[ip + i], nz,
                                      col0 + c * n_sc, oldest, L);
                M->bstate[ND_BLOCK_START + k] = xt;
                bs = xt;
            }
            m = xt - bs;
        }
        for (int64_t c = 0; c < copies; c++) {
            const int64_t col = col0 + c * n_sc;
            for (int64_t i = 0; i < n_tc; i++) {
                const int64_t r = c * n_tc + i;
                double acc = out[r] * 0.0;
                int64_t q0;
                if (K > 1) {
                    acc += blk[r * K + m];
                    q0 = M->split[ip + i];
                } else {
                    q0 = M->indptr[ip + i];
                }
                for (int64_t q = q0; q < M->indptr[ip + i + 1]; q++) {
                    int64_t j = xt - M->dint[nz + q];
                    if (j < oldest) j = oldest;
                    else if (j > newest) j = newest;
                    acc += M->w[nz + q] * BUF(col + M->idx[nz + q], j & (L - 1));
                }
                cache[r] = acc;
                out[r] += acc;
            }
        }
        return;
    }
    double xt = (t - M->tinfo[0]) / h;
    for (int64_t c = 0; c < copies; c++) {
        double *out = a + o_t + c * n_tc;
        const int64_t col = col0 + c * n_sc;
        for (int64_t i = 0; i < n_tc; i++) {
            double acc = out[i];
            for (int64_t q = M->indptr[ip + i]; q < M->indptr[ip + i + 1]; q++) {
                double x = xt - M->d[nz + q];
                acc += M->w[nz + q] * nd_hist_value(M, col + M->idx[nz + q], x, newest, oldest, L, mode);
            }
            out[i] = acc;
        }
    }
}

static void nd_push_history(const double *y, const double *a, int64_t step, const nd_data *M) {
    int64_t L = M->bstate[1];
    int64_t r = step & (L - 1);
    if (step <= M->bstate[0])
        for (int64_t k = ND_BLOCK_START; k < M->n_bstate; k++) M->bstate[k] = -1;
    for (int64_t j = 0; j < M->n_hs; j++) {
        int64_t g = M->hs[j * 4 + 1], o = M->off[M->hs[j * 4 + 2]], c = M->hs[j * 4 + 3], n = M->sizes[g];
        const double *src = M->hs[j * 4 + 0] == 0 ? y : a;
        for (int64_t i = 0; i < n; i++) BUF(c + i, r) = src[o + i];
    }
    M->bstate[0] = step;
}

static void nd_ext_apply(double t, double tn, double *a, const nd_data *M) {
    int64_t nt = M->ext_rows, nc = M->ext_cols;
    const double *tinfo = M->tinfo;
    if (tinfo[4] == 1.0) {
        int64_t j = (int64_t)floor((tn - tinfo[2]) / tinfo[3] + 1e-6);
        if (j < 0) j = 0;
        if (j > nt - 1) j = nt - 1;
        for (int64_t c = 0; c < M->n_ext_pos; c++) a[M->ext_pos[c]] = M->ext[j * nc + c];
        return;
    }
    double x = (t - tinfo[2]) / tinfo[3];
    if (x <= 0.0) {
        for (int64_t c = 0; c < M->n_ext_pos; c++) a[M->ext_pos[c]] = M->ext[c];
        return;
    }
    int64_t j = (int64_t)floor(x);
    if (j >= nt - 1) {
        for (int64_t c = 0; c < M->n_ext_pos; c++) a[M->ext_pos[c]] = M->ext[(nt - 1) * nc + c];
        return;
    }
    double f = x - (double)j;
    for (int64_t c = 0; c < M->n_ext_pos; c++)
        a[M->ext_pos[c]] = (1.0 - f) * M->ext[j * nc + c] + f * M->ext[(j + 1) * nc + c];
}

static int64_t nd_first_nonfinite(const double *y, int64_t n) {
    for (int64_t q = 0; q < n; q++)
        if (!isfinite(y[q])) return q;
    return -1;
}

static void nd_clip_states(double *y, const int64_t *pos, const double *lo, const double *hi, int64_t n) {
    for (int64_t m = 0; m < n; m++) {
        int64_t q = pos[m];
        if (y[q] < lo[m]) y[q] = lo[m];
        else if (y[q] > hi[m]) y[q] = hi[m];
    }
}

static int nd_all_finite(const double *y, int64_t n) {
    double s0 = y[0] * 0.0, s1 = s0, s2 = s0, s3 = s0;
    int64_t q = 0;
    while (q + 3 < n) {
        s0 += y[q] - y[q];
        s1 += y[q + 1] - y[q + 1];
        s2 += y[q + 2] - y[q + 2];
        s3 += y[q + 3] - y[q + 3];
        q += 4;
    }
    while (q < n) {
        s0 += y[q] - y[q];
        q += 1;
    }
    double t = s0 + s1 + s2 + s3;
    return isfinite(t);
}
