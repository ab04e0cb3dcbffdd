"""C source of a kernel, rendered from the same plan as the Numba kernel (:mod:`neurodyn.backends.plan`).

The generated translation unit holds the runtime (``nd_runtime.h``, inlined so that each library stands alone),
``rhs`` and the fixed-step loop, and exports ``nd_rhs``, ``nd_run_fixed`` and ``nd_abi``. Every statement
mirrors the Numba kernel's (:mod:`neurodyn.backends.pysource`): the same expressions printed by the same
printer structure (:mod:`neurodyn.backends.printing`), the same loops, the same order of operations in the
Runge-Kutta combination, so the two compute bit-identical trajectories.

Only real-valued models are rendered; :func:`generate_c_source` raises
:class:`~neurodyn.backends.printing.NotExactInC` for anything else (complex states, functions without an exact C
counterpart), and the model stays on the Numba backend.

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> src = generate_c_source(build_ir(CircuitTemplate.from_yaml("qif")), "0")
>>> "void nd_run_fixed(" in src and "static void rhs(" in src
True
"""
from __future__ import annotations

from pathlib import Path

from neurodyn.backends.plan import Elementwise, KernelPlan, Projection, Repeat, Snapshot, kernel_plan
from neurodyn.backends.c.kernel import ABI_VERSION
from neurodyn.backends.printing import C, NotExactInC
from neurodyn.ir import CircuitIR

__all__ = ["RUNTIME_HEADER", "generate_c_source"]

RUNTIME_HEADER = Path(__file__).resolve().parent / "nd_runtime.h"

_STORAGE = {"y": "y", "a": "a", "p": "p", "dy": "dy"}

LOOP = r'''
void nd_run_fixed(double *y, double *a, const double *p, const nd_data *M, double t0, double h, int64_t step0,
                  int64_t nsteps, const double *A, const double *B, const double *C, const int64_t *noise_stage,
                  int64_t s, const int64_t *g_pos, const double *g_sig, int64_t nn, const double *xi,
                  int64_t rec_every, const int64_t *rec_kind, const int64_t *rec_pos, int64_t n_rec, double *out,
                  int64_t nrow, int64_t row0, const int64_t *c_pos, const double *c_lo, const double *c_hi,
                  int64_t n_clip, double *K, double *ytmp, double *acc_v, int64_t ny, int64_t *result) {
    for (int64_t j = 0; j < nsteps; j++) {
        int64_t step = step0 + j;
        double tn = t0 + (double)step * h;
        PUSH_BEFORE
        rhs(tn, tn, y, K, a, p, M);
        PUSH_AFTER
        if (step % rec_every == 0) {
            int64_t r = step / rec_every - row0;
            if (r >= 0 && r < nrow) {
                for (int64_t c = 0; c < n_rec; c++) {
                    int64_t k = rec_kind[c];
                    const double *srcs = k == 0 ? y : (k == 1 ? a : p);
                    out[r * n_rec + c] = srcs[rec_pos[c]];
                }
            }
        }
        for (int64_t st = 1; st < s; st++) {
            for (int64_t q = 0; q < ny; q++) ytmp[q] = y[q];
            for (int64_t m = 0; m < st; m++) {
                if (A[st * s + m] != 0.0) {
                    double c = h * A[st * s + m];
                    const double *Km = K + m * ny;
                    for (int64_t q = 0; q < ny; q++) ytmp[q] += c * Km[q];
                }
            }
            if (noise_stage[st] != 0)
                for (int64_t m = 0; m < nn; m++) ytmp[g_pos[m]] += g_sig[m] * xi[j * nn + m];
            nd_clip_states(ytmp, c_pos, c_lo, c_hi, n_clip);
            rhs(tn + C[st] * h, tn, ytmp, K + st * ny, a, p, M);
        }
        {
            const double b0 = B[0];
            for (int64_t q = 0; q < ny; q++) acc_v[q] = K[q] * b0;
            for (int64_t m = 1; m < s; m++) {
                const double bm = B[m];
                const double *Km = K + m * ny;
                for (int64_t q = 0; q < ny; q++) acc_v[q] += bm * Km[q];
            }
        }
        for (int64_t q = 0; q < ny; q++) y[q] += h * acc_v[q];
        for (int64_t m = 0; m < nn; m++) y[g_pos[m]] += g_sig[m] * xi[j * nn + m];
        nd_clip_states(y, c_pos, c_lo, c_hi, n_clip);
        if (!nd_all_finite(y, ny)) {
            result[0] = nd_first_nonfinite(y, ny);
            result[1] = step;
            return;
        }
    }
    result[0] = -1;
    result[1] = step0 + nsteps;
}

void nd_rhs(double t, double tn, const double *y, double *dy, double *a, const double *p, const nd_data *M) {
    rhs(t, tn, y, dy, a, p, M);
}

int64_t nd_abi(void) { return ABI; }
'''


def _terms(terms, first: list) -> str:
    out = []
    for t in terms:
        if t.kind == "link":
            out.append(t.ref)
            continue
        arr, tag = ("p", "od") if t.kind == "default" else ("a", "oe")
        name = f"{tag}{t.ref}"
        first.append(f"const uint64_t {name} = (uint64_t)off[{t.ref}];")
        out.append(f"{arr}[{name}+i]")
    return " + ".join(out) if out else "0.0"


def _elementwise(op: Elementwise) -> list[str]:
    """One loop over the nodes of a group, marked ``ND_IVDEP``: a block never reads an element it writes (a
    variable's value does not depend on itself, and every variable has its own slot), so the compiler may
    vectorise the loop without run-time alias checks; each lane computes what the scalar loop computes."""
    first, pre, ld, assigns = [], [], [], []
    for sym, storage, slot in op.loads:
        pre.append(f"const uint64_t o_{sym} = (uint64_t)off[{slot}];")
        ld.append(f"const double {sym} = {_STORAGE[storage]}[o_{sym} + i];")
    for storage, slot, value in op.targets:
        src = _terms(value, first) if isinstance(value, tuple) else C.doprint(value)
        assigns.append((storage, slot, src))
    lines = ["{"] + ["    " + x for x in first + [f"const int64_t n = sizes[{op.group}];"] + pre]
    lines += [f"    const uint64_t to_{slot} = (uint64_t)off[{slot}];" for _, slot, _ in assigns]
    lines.append("    ND_IVDEP")
    lines.append("    for (uint64_t i = 0; i < (uint64_t)n; i++) {")
    lines += ["        " + x for x in ld]
    lines += [f"        {_STORAGE[storage]}[to_{slot} + i] = {src};" for storage, slot, src in assigns]
    lines += ["    }", "}"]
    return lines


def _render(ops) -> list[str]:
    lines: list[str] = []
    for op in ops:
        if isinstance(op, Elementwise):
            lines += _elementwise(op)
        elif isinstance(op, Snapshot):
            g, s, d = op.group, op.source, op.target
            lines.append(f"for (int64_t i = 0; i < sizes[{g}]; i++) a[off[{d}] + i] = a[off[{s}] + i];")
        elif isinstance(op, Projection):
            if op.source is None:
                lines.append(f"nd_delayed_accum(a, off[{op.target}], sizes[{op.group}], {op.index}, t, tn, M);")
            else:
                storage, slot = op.source
                lines.append(f"nd_csr_accum(a, off[{op.target}], sizes[{op.group}], {_STORAGE[storage]}, "
                             f"off[{slot}], {op.index}, M);")
        elif isinstance(op, Repeat):
            lines.append(f"for (int _pass = 0; _pass < {op.passes}; _pass++) {{")
            lines += ["    " + x for x in _render(op.ops)]
            lines.append("}")
    return lines


def _render_rhs(plan: KernelPlan) -> list[str]:
    body = ["const int64_t *sizes = M->sizes;", "const int64_t *off = M->off;",
            "(void)sizes; (void)off; (void)t; (void)tn; (void)y; (void)p;"]
    if plan.drives:
        body.append("nd_ext_apply(t, tn, a, M);")
    body += _render(plan.ops)
    return (["static void rhs(double t, double tn, const double *y, double *dy, double *a, const double *p, "
             "const nd_data *M) {"] + ["    " + x for x in body] + ["}"])


def generate_c_source(ir: CircuitIR, version: str) -> str:
    """C source of the kernel library for ``ir`` (real-valued models only; see the module docstring)."""
    if ir.complex_system:
        raise NotExactInC("complex-valued models are left to the Numba backend")
    plan = kernel_plan(ir)
    head = [f"/* Generated by neurodyn {version} for circuit structure {ir.structure_hash()} (C backend). "
            f"Do not edit. */", f"#define ABI {ABI_VERSION}", RUNTIME_HEADER.read_text()]
    push = "nd_push_history(y, a, step, M);"
    before = push if plan.has_delays and not plan.push_after_first_stage else ""
    after = push if plan.push_after_first_stage else ""
    loop = LOOP.replace("PUSH_BEFORE", before).replace("PUSH_AFTER", after)
    return "\n".join(head + _render_rhs(plan) + [loop])
