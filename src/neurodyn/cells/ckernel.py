"""The cells' time-stepping kernel as generated C, compiled by the system compiler and called through ctypes.

This is the default tier (see :func:`neurodyn.cells.kernel.load_kernel`): the C twin of the Numba module that
:mod:`neurodyn.cells.kernel` generates, function for function and operation for operation (traces are
bit-identical, tests/cells/test_cells_tiers.py). The library is built once per mechanism set, compiler and
CPU by :mod:`neurodyn.backends.cbuild` (about a second) and later processes only load it: no Numba, no LLVM.

Entry points have the Numba functions' signatures (NumPy arrays and scalars, in the same order); each call
checks every array's dtype, dimensions and layout and passes pointers, lengths and row strides to C. The
helpers of ``runtime.c`` (event queue, NetStim, Random123) are the twins of :mod:`neurodyn.cells._runtime`.

Examples
--------
>>> from neurodyn.backends.cbuild import find_compiler
>>> from neurodyn.cells.mechanisms import PAS
>>> if find_compiler() is not None:
...     print(load_c_kernel([PAS]).count_steps(0.0, 0.025, 1.0))
... else:
...     print(40)
40
"""
from __future__ import annotations

import ctypes
import operator
import textwrap
from pathlib import Path

import numpy as np

from neurodyn.backends import cbuild
from neurodyn.caching import source_hash
from neurodyn.cells.cexpr import c_code
from neurodyn.cells.errors import CellError
from neurodyn.cells.mechanisms import Mechanism

__all__ = ["CKernel", "load_c_kernel", "c_kernel_source", "RUNTIME_C"]

#: the hand-written part (included at the top of every generated kernel)
RUNTIME_C = Path(__file__).with_name("runtime.c")
_GENERATOR_FILES = (RUNTIME_C, Path(__file__), Path(__file__).with_name("cexpr.py"),
                    Path(__file__).with_name("mechanisms.py"))
_CTYPE = {"f": "double", "i": "int64_t", "u": "uint32_t", "U": "uint64_t"}
_DTYPE = {"f": np.dtype(np.float64), "i": np.dtype(np.int64), "u": np.dtype(np.uint32),
          "U": np.dtype(np.uint64)}


# -------------------------------------------------------------------------------------------- signatures
# An argument is (kind, name): "f"/"i" a double/int64 scalar, "<t>1"/"<t>2" a 1-D/2-D array of type t
# (f float64, i int64, u uint32, U uint64).
def _mech_spec(j: int) -> list:
    return [("u1", f"m{j}_node"), ("i2", f"m{j}_runs"), ("f2", f"m{j}_P"), ("f2", f"m{j}_S"), ("f2", f"m{j}_A"),
            ("f1", f"m{j}_G"), ("f2", f"m{j}_tab"), ("f1", f"m{j}_ti"), ("i1", f"m{j}_fl")]


_PP = [("u1", "ic_node"), ("f2", "ic_P"), ("f2", "ic_S"), ("u1", "es_node"), ("f2", "es_P"), ("f2", "es_S"),
       ("u1", "e2_node"), ("f2", "e2_P"), ("f2", "e2_S")]
_QUEUE = [("f1", "qt"), ("i1", "qs"), ("i1", "qa"), ("i1", "qb"), ("i1", "qstate")]
_EV_TAIL = [("i1", "nc_kind"), ("i1", "nc_tidx"), ("f1", "nc_w"), ("f1", "nc_delay")]
_NS = [("f2", "ns_P"), ("f2", "ns_S"), ("U2", "ns_rng"), ("i1", "ns_src"), ("i1", "src_ptr"), ("i1", "src_nc"),
       ("f1", "sp_t"), ("i1", "sp_s"), ("i1", "spstate")]
_REC = [("i1", "rec_arr"), ("i1", "rec_row"), ("i1", "rec_col"), ("f2", "rec_out")]
#: signatures of runtime.c's entry points (they must match its ARR1/ARR2 macros)
RUNTIME_SPECS = {
    "count_steps": ([("f", "t"), ("f", "dt"), ("f", "tstop")], "i"),
    "r123_setseq": ([("U2", "rng"), ("i", "k"), ("i", "seq")], None),
    "r123_newstream": ([("U2", "rng"), ("i", "k"), ("i", "id1"), ("i", "id2"), ("i", "id3")], None),
    "emit_spike": ([("i", "src"), ("f", "ts"), ("i1", "src_ptr"), ("i1", "src_nc"), ("i1", "nc_kind"),
                    ("f1", "nc_delay")] + _QUEUE + [("f1", "sp_t"), ("i1", "sp_s"), ("i1", "spstate")], None),
    "deliver_events": ([("f", "til")] + _QUEUE + _EV_TAIL + [("f2", "es_S"), ("f2", "e2_S"), ("f2", "e2_P")] + _NS,
                       None),
    "netstim_initialize": ([("f2", "ns_P"), ("f2", "ns_S"), ("U2", "ns_rng")] + _QUEUE, None),
}


def _kernel_specs(nmech: int) -> dict:
    margs = [a for j in range(nmech) for a in _mech_spec(j)]
    specs = {
        "record": ([("i", "jcol"), ("f", "t"), ("f1", "v")] + _REC + margs + _PP, None),
        "initialize_states": ([("f1", "v"), ("f", "celsius")] + margs + [("i", "dummy")], None),
        "advance": ([("i", "nsteps"), ("f", "t"), ("f", "dt"), ("f", "vfac"), ("f", "celsius"), ("i", "jcol0"),
                     ("f1", "v"), ("u1", "parent"), ("f1", "a"), ("f1", "b"), ("f1", "d"), ("f1", "rhs"),
                     ("f1", "dstat"), ("f1", "ppf"), ("i", "ncell")] + margs + _PP
                    + [("u1", "vs_node"), ("f1", "vs_thr"), ("i1", "vs_flag"), ("i1", "vs_src")] + _QUEUE
                    + _EV_TAIL + _NS + [("i", "qmargin"), ("i", "spmargin")] + _REC + [("f1", "info")], "status"),
        "ode_rhs": ([("f1", "y"), ("f1", "dydt"), ("i1", "capidx"), ("i1", "iscap"), ("f1", "ic_on"), ("f1", "v"),
                     ("u1", "parent"), ("f1", "a"), ("f1", "b"), ("f1", "cm"), ("f1", "ppf"), ("i", "ncell"),
                     ("f1", "num"), ("f1", "den"), ("f1", "rhs"), ("f", "celsius")] + margs + _PP
                    + [("i", "fill_assigned")], None),
    }
    for j in range(nmech):
        specs[f"m{j}_table"] = ([("f", "celsius"), ("f2", "P"), ("f1", "G"), ("f2", "tab"), ("f", "tmin"),
                                 ("f", "tmax"), ("i", "nint")], None)
    return specs


def _params(spec: list) -> str:
    out = []
    for kind, name in spec:
        if len(kind) == 1:
            out.append(f"{_CTYPE[kind]} {name}")
        elif kind[1] == "1":
            out.append(f"ARR1({_CTYPE[kind[0]]}, {name})")
        else:
            out.append(f"ARR2({_CTYPE[kind[0]]}, {name})")
    return ", ".join(out)


def _pass(names: list) -> str:
    return ", ".join(f"PASS2({n})" if k[1:] == "2" else (f"PASS1({n})" if k[1:] == "1" else n) for k, n in names)


# -------------------------------------------------------------------------------------------- generation
def _names(mech: Mechanism) -> dict[str, str]:
    mapping = {n: f"u_{n}" for n in mech.range_names}
    mapping.update({n: f"u_{n}" for n in mech.globals})
    mapping.update({n: f"u_{n}" for n in mech.rates})
    return mapping


def _needed_rates(mech: Mechanism, exprs) -> list[str]:
    need: set[str] = set()
    stack = [n for e in exprs for n in e.names]
    while stack:
        n = stack.pop()
        if n in mech.rates and n not in need:
            need.add(n)
            stack.extend(mech.rates[n].names)
    return [r for r in mech.rates if r in need]


def _unpack(mech: Mechanism, used: set[str], with_states: bool) -> list[str]:
    lines = [f"double u_{p} = A2(P, {r}, k);" for r, p in enumerate(mech.parameter_names) if p in used]
    lines += [f"double u_{g} = G[{r}];" for r, g in enumerate(mech.globals) if g in used]
    if with_states:
        lines += [f"double u_{s} = A2(S, {r}, k);" for r, s in enumerate(mech.state_names) if s in used]
    return lines


def _body(mech: Mechanism, exprs, with_states: bool) -> list[str]:
    m = _names(mech)
    rates = _needed_rates(mech, exprs)
    used = set().union(*(e.names for e in exprs), *(mech.rates[r].names for r in rates)) if exprs else set()
    return _unpack(mech, used, with_states) + [f"double u_{r} = {c_code(mech.rates[r], m)};" for r in rates]


def _fn(head: str, lines: list[str]) -> str:
    return head + " {\n" + textwrap.indent("\n".join(lines + ["(void)v; (void)celsius; (void)dt;"]), "    ") + "\n}\n"


def _mechanism_source(j: int, mech: Mechanism) -> str:
    m = _names(mech)
    gate_exprs = [e for pair in mech.gates.values() for e in pair]
    body = _body(mech, gate_exprs, False)
    for r, (inf, tau) in enumerate(mech.gates.values()):
        body += [f"buf[{2 * r}] = {c_code(inf, m)};", f"buf[{2 * r + 1}] = {c_code(tau, m)};"]
    out = [_fn(f"static void m{j}_rates(double v, double celsius, double dt, const double *P, int64_t P_rs, "
               "const double *G, int64_t k, double *buf)", body)]
    cur = list(mech.currents.values())
    body = _body(mech, cur, True) + ["double cur = 0.0;"] + [f"cur += {c_code(e, m)};" for e in cur]
    out.append(_fn(f"static inline double m{j}_current(double v, double celsius, double dt, const double *P, "
                   "int64_t P_rs, const double *S, int64_t S_rs, const double *G, int64_t k)", body)
               .replace("(void)dt;\n}", "(void)dt;\n    return cur;\n}"))
    allx = cur + list(mech.assigned.values())
    body = _body(mech, allx, True)
    for r, name in enumerate(mech.assigned_names):
        e = mech.currents.get(name) or mech.assigned[name]
        body.append(f"A2(A, {r}, k) = {c_code(e, m)};")
    out.append(_fn(f"static void m{j}_assigned(double v, double celsius, double dt, const double *P, int64_t P_rs, "
                   "const double *S, int64_t S_rs, const double *G, double *A, int64_t A_rs, int64_t k)", body))
    nb = max(2 * len(mech.gates), 1)
    out.append(textwrap.dedent(f"""\
        void m{j}_table({_params(_kernel_specs(j + 1)[f"m{j}_table"][0])}) {{
            double buf[{nb}];
            double dx = (tmax - tmin) / (double)nint;
            double x = tmin;
            for (int64_t i = 0; i < nint + 1; i++) {{
                m{j}_rates(x, celsius, 0.0, P, P_rs, G, 0, buf);
                for (int64_t r = 0; r < tab_n0; r++) A2(tab, r, i) = buf[r];
                x += dx;
            }}
            (void)P_n0; (void)P_n1; (void)G_n0; (void)tab_n1;
        }}

        static void m{j}_init(const double *v, double celsius, {_params(_mech_spec(j))}) {{
            double buf[{nb}];
            for (int64_t k = 0; k < m{j}_node_n0; k++) {{
                double vk = v[m{j}_node[k]];
                if (m{j}_fl[0] != 0)
                    table_interp(m{j}_tab, m{j}_tab_n0, m{j}_tab_rs, m{j}_ti[0], m{j}_ti[1], (int64_t)m{j}_ti[2], vk, buf);
                else
                    m{j}_rates(vk, celsius, 0.0, m{j}_P, m{j}_P_rs, m{j}_G, k, buf);
                for (int64_t r = 0; r < m{j}_S_n0; r++) A2(m{j}_S, r, k) = buf[2 * r];
            }}
        }}
        """))
    return "\n".join(out)


def _call_current(j: int, v: str) -> str:
    return f"m{j}_current({v}, celsius, dt, m{j}_P, m{j}_P_rs, m{j}_S, m{j}_S_rs, m{j}_G, k)"


def _call_assigned(j: int, dt: str = "dt") -> str:
    return (f"m{j}_assigned(v[m{j}_node[k]], celsius, {dt}, m{j}_P, m{j}_P_rs, m{j}_S, m{j}_S_rs, m{j}_G, "
            f"m{j}_A, m{j}_A_rs, k)")


def _interp_or_rates(j: int, dt: str) -> str:
    return (f"if (m{j}_fl[0] != 0)\n"
            f"    table_interp(m{j}_tab, m{j}_tab_n0, m{j}_tab_rs, m{j}_ti[0], m{j}_ti[1], (int64_t)m{j}_ti[2], vk, buf);\n"
            f"else\n    m{j}_rates(vk, celsius, {dt}, m{j}_P, m{j}_P_rs, m{j}_G, k, buf);\n")


def c_kernel_source(mechs: list[Mechanism]) -> str:
    """The complete C source of the kernel for ``mechs`` (runtime.c included), for inspection."""
    mechs = list(mechs)
    nm = len(mechs)
    specs = _kernel_specs(nm)
    parts = [f"/* Generated by neurodyn.cells.ckernel -- do not edit. Mechanisms: "
             f"{', '.join(x.name for x in mechs)} */\n", RUNTIME_C.read_text()]
    parts += [f"/* ---- mechanism {j}: {x.name} */\n" + _mechanism_source(j, x) for j, x in enumerate(mechs)]
    mpass = _pass([a for j in range(nm) for a in _mech_spec(j)])
    pp_pass = _pass(_PP)
    # record
    rec = ["int64_t aid = rec_arr[r], row = rec_row[r], col = rec_col[r];", "double val;",
           "if (aid == 0) val = v[col];", "else if (aid == 1) val = t;"]
    for aid, arr in ((2, "ic_P"), (3, "ic_S"), (4, "es_P"), (5, "es_S"), (6, "e2_P"), (7, "e2_S")):
        rec.append(f"else if (aid == {aid}) val = A2({arr}, row, col);")
    for j in range(nm):
        for off, arr in ((0, "P"), (1, "S"), (2, "A")):
            rec.append(f"else if (aid == {8 + 3 * j + off}) val = A2(m{j}_{arr}, row, col);")
    rec += ["else val = NAN;", "A2(rec_out, r, jcol) = val;"]
    parts.append(f"void record({_params(specs['record'][0])}) {{\n"
                 "    for (int64_t r = 0; r < rec_arr_n0; r++) {\n"
                 + textwrap.indent("\n".join(rec), " " * 8) + "\n    }\n}\n")
    # initialize_states
    init = [f"m{j}_init(v, celsius, {_pass(_mech_spec(j))});" for j in range(nm)]
    init += [f"if (m{j}_fl[1] != 0)\n    for (int64_t k = 0; k < m{j}_node_n0; k++) {_call_assigned(j, '0.0')};"
             for j in range(nm)]
    parts.append(f"void initialize_states({_params(specs['initialize_states'][0])}) {{\n"
                 + textwrap.indent("\n".join(init + ["(void)dummy; (void)v_n0;"]), "    ") + "\n}\n")
    parts.append(_advance_source(mechs, specs, mpass, pp_pass))
    parts.append(_ode_source(mechs, specs))
    return "\n".join(parts)


def _advance_source(mechs, specs, mpass: str, pp_pass: str) -> str:
    cur_blocks, state_blocks = [], []
    for j, mech in enumerate(mechs):
        cur_blocks.append(textwrap.dedent(f"""\
            for (int64_t r = 0; r < m{j}_runs_n0; r++) {{
                int64_t i0 = A2(m{j}_runs, r, 0), k0 = A2(m{j}_runs, r, 1), cnt = A2(m{j}_runs, r, 2);
                for (int64_t q = 0; q < cnt; q++) {{
                    int64_t i = i0 + q, k = k0 + q;
                    double vk = v[i];
                    double g = {_call_current(j, "vk + 0.001")};
                    double cur = {_call_current(j, "vk")};
                    rhs[i] -= cur;
                    d[i] += (g - cur) / 0.001;
                }}
            }}
            if (m{j}_fl[1] != 0)
                for (int64_t k = 0; k < m{j}_node_n0; k++) {_call_assigned(j)};
            """))
        if mech.gates:
            state_blocks.append(textwrap.dedent(f"""\
                for (int64_t k = 0; k < m{j}_node_n0; k++) {{
                    double vk = v[m{j}_node[k]];
                {textwrap.indent(_interp_or_rates(j, "dt"), "    ")}
                    for (int64_t r = 0; r < {len(mech.gates)}; r++) {{
                        double x = A2(m{j}_S, r, k);
                        A2(m{j}_S, r, k) = x + (1.0 - exp(-dt / buf[2 * r + 1])) * (buf[2 * r] - x);
                    }}
                }}
                """))
    maxbuf = max([2 * len(m.gates) for m in mechs] + [1])
    ev_pass = _pass(_QUEUE + _EV_TAIL + [("f2", "es_S"), ("f2", "e2_S"), ("f2", "e2_P")] + _NS)
    sp_pass = _pass([("i1", "src_ptr"), ("i1", "src_nc"), ("i1", "nc_kind"), ("f1", "nc_delay")] + _QUEUE
                    + [("f1", "sp_t"), ("i1", "sp_s"), ("i1", "spstate")])
    rec_call = (f"record(jcol0 + step, t, PASS1(v), {_pass(_REC)}, {mpass + ', ' if mpass else ''}"
                f"{pp_pass});")
    return f"""
int64_t advance({_params(specs['advance'][0])}, double *ret) {{
    int64_t n = v_n0;
    double buf[{maxbuf}];
    double *es_decay = (double *)malloc(sizeof(double) * (es_node_n0 > 0 ? es_node_n0 : 1));
    double *e2_decay = (double *)malloc(sizeof(double) * 2 * (e2_node_n0 > 0 ? e2_node_n0 : 1));
    int64_t status = OK, step;
    for (int64_t k = 0; k < es_node_n0; k++) es_decay[k] = 1.0 - exp(-dt / A2(es_P, 0, k));
    for (int64_t k = 0; k < e2_node_n0; k++) {{
        e2_decay[k] = 1.0 - exp(-dt / A2(e2_P, 0, k));
        e2_decay[e2_node_n0 + k] = 1.0 - exp(-dt / A2(e2_P, 1, k));
    }}
    for (step = 0; step < nsteps; step++) {{
        if (qt_n0 - qstate[0] < qmargin) {{ status = QUEUE_FULL; break; }}
        if (sp_t_n0 - spstate[0] < spmargin) {{ status = SPIKES_FULL; break; }}
        for (int64_t s = 0; s < vs_node_n0; s++) {{
            if (v[vs_node[s]] - vs_thr[s] > 0.0) {{
                if (vs_flag[s] == 0) {{
                    vs_flag[s] = 1;
                    emit_spike(vs_src[s], t + THRESHOLD_TEPS, {sp_pass});
                }}
            }} else {{
                vs_flag[s] = 0;
            }}
        }}
        deliver_events(t + 0.5 * dt, {ev_pass});
        t += 0.5 * dt;
        for (int64_t i = 0; i < ncell; i++) {{
            rhs[i] = 0.0;
            d[i] = dstat[i];
        }}
        for (int64_t i = ncell; i < n; i++) {{
            int64_t p = parent[i];
            double dv = v[p] - v[i];
            rhs[i] = -b[i] * dv;
            rhs[p] += a[i] * dv;
            d[i] = dstat[i];
        }}
{textwrap.indent("".join(cur_blocks), " " * 8)}
        for (int64_t k = 0; k < ic_node_n0; k++) {{
            int64_t i = ic_node[k];
            if (t < A2(ic_P, 0, k) + A2(ic_P, 1, k) && t >= A2(ic_P, 0, k)) A2(ic_S, 0, k) = A2(ic_P, 2, k);
            else A2(ic_S, 0, k) = 0.0;
            rhs[i] += A2(ic_S, 0, k) * ppf[i];
        }}
        for (int64_t k = 0; k < es_node_n0; k++) {{
            int64_t i = es_node[k];
            double vk = v[i], gs = A2(es_S, 0, k);
            double g = gs * (vk + 0.001 - A2(es_P, 1, k));
            double cur = gs * (vk - A2(es_P, 1, k));
            A2(es_S, 1, k) = cur;
            rhs[i] -= cur * ppf[i];
            d[i] += (g - cur) / 0.001 * ppf[i];
        }}
        for (int64_t k = 0; k < e2_node_n0; k++) {{
            int64_t i = e2_node[k];
            double vk = v[i], gs = A2(e2_S, 1, k) - A2(e2_S, 0, k);
            A2(e2_S, 2, k) = gs;
            double g = gs * (vk + 0.001 - A2(e2_P, 2, k));
            double cur = gs * (vk - A2(e2_P, 2, k));
            A2(e2_S, 3, k) = cur;
            rhs[i] -= cur * ppf[i];
            d[i] += (g - cur) / 0.001 * ppf[i];
        }}
        for (int64_t i = n - 1; i > ncell - 1; i--) {{
            int64_t p = parent[i];
            double f = a[i] / d[i];
            d[p] -= f * b[i];
            rhs[p] -= f * rhs[i];
        }}
        int64_t bad = -1;
        for (int64_t i = 0; i < ncell; i++) {{
            double x = rhs[i] / d[i];
            rhs[i] = x;
            v[i] += vfac * x;
            if (v[i] - v[i] != 0.0) bad = i;
        }}
        for (int64_t i = ncell; i < n; i++) {{
            double x = (rhs[i] - b[i] * rhs[parent[i]]) / d[i];
            rhs[i] = x;
            v[i] += vfac * x;
            if (v[i] - v[i] != 0.0) bad = i;
        }}
        t += 0.5 * dt;
        if (bad >= 0) {{
            info[0] = (double)bad;
            status = NONFINITE;
            break;
        }}
{textwrap.indent("".join(state_blocks), " " * 8)}
        for (int64_t k = 0; k < es_node_n0; k++) {{
            double x = A2(es_S, 0, k);
            A2(es_S, 0, k) = x + es_decay[k] * (-x);
        }}
        for (int64_t k = 0; k < e2_node_n0; k++) {{
            double x = A2(e2_S, 0, k);
            A2(e2_S, 0, k) = x + e2_decay[k] * (-x);
            x = A2(e2_S, 1, k);
            A2(e2_S, 1, k) = x + e2_decay[e2_node_n0 + k] * (-x);
        }}
        if (rec_arr_n0 > 0) {rec_call}
        deliver_events(t, {ev_pass});
    }}
    free(es_decay);
    free(e2_decay);
    ret[0] = (double)step;
    ret[1] = t;
    (void)buf; (void)info_n0; (void)vs_thr_n0; (void)vs_flag_n0; (void)vs_src_n0;
    return status;
}}
"""


def _ode_source(mechs, specs) -> str:
    unpack, gates, cur, assigned = [], [], [], []
    for j, mech in enumerate(mechs):
        if mech.gates:
            unpack.append(textwrap.dedent(f"""\
                {{
                    int64_t nk = m{j}_S_n1;
                    for (int64_t r = 0; r < m{j}_S_n0; r++)
                        for (int64_t k = 0; k < nk; k++) A2(m{j}_S, r, k) = y[off + r * nk + k];
                    off += m{j}_S_n0 * nk;
                }}
                """))
            gates.append(textwrap.dedent(f"""\
                {{
                    int64_t nk = m{j}_S_n1;
                    for (int64_t k = 0; k < nk; k++) {{
                        double vk = v[m{j}_node[k]];
                    {textwrap.indent(_interp_or_rates(j, "0.0"), "        ").lstrip()}
                        for (int64_t r = 0; r < m{j}_S_n0; r++)
                            dydt[off + r * nk + k] = (buf[2 * r] - A2(m{j}_S, r, k)) / buf[2 * r + 1];
                    }}
                    off += m{j}_S_n0 * nk;
                }}
                """))
        cur.append(f"for (int64_t k = 0; k < m{j}_node_n0; k++) {{\n    int64_t i = m{j}_node[k];\n"
                   f"    rhs[i] -= m{j}_current(v[i], celsius, 0.0, m{j}_P, m{j}_P_rs, m{j}_S, m{j}_S_rs, m{j}_G, k);\n}}\n")
        assigned.append(f"for (int64_t k = 0; k < m{j}_node_n0; k++) {_call_assigned(j, '0.0')};\n")
    maxbuf = max([2 * len(m.gates) for m in mechs] + [1])
    return f"""
void ode_rhs({_params(specs['ode_rhs'][0])}) {{
    int64_t n = v_n0, ncap = capidx_n0, off;
    double buf[{maxbuf}];
    for (int64_t c = 0; c < ncap; c++) v[capidx[c]] = y[c];
    off = ncap;
{textwrap.indent("".join(unpack), "    ")}
    int64_t nes = es_S_n1;
    for (int64_t k = 0; k < nes; k++) A2(es_S, 0, k) = y[off + k];
    off += nes;
    int64_t ne2 = e2_S_n1;
    for (int64_t k = 0; k < ne2; k++) {{
        A2(e2_S, 0, k) = y[off + k];
        A2(e2_S, 1, k) = y[off + ne2 + k];
        A2(e2_S, 2, k) = A2(e2_S, 1, k) - A2(e2_S, 0, k);
    }}
    off += 2 * ne2;
    for (int64_t i = 0; i < n; i++) {{
        num[i] = 0.0;
        den[i] = 0.0;
        rhs[i] = 0.0;
    }}
    for (int64_t k = 0; k < ic_node_n0; k++) {{
        A2(ic_S, 0, k) = A2(ic_P, 2, k) * ic_on[k];
        num[ic_node[k]] += ppf[ic_node[k]] * A2(ic_S, 0, k);
    }}
    for (int64_t k = 0; k < nes; k++) {{
        int64_t i = es_node[k];
        num[i] += ppf[i] * A2(es_S, 0, k) * A2(es_P, 1, k);
        den[i] += ppf[i] * A2(es_S, 0, k);
    }}
    for (int64_t k = 0; k < ne2; k++) {{
        int64_t i = e2_node[k];
        num[i] += ppf[i] * A2(e2_S, 2, k) * A2(e2_P, 2, k);
        den[i] += ppf[i] * A2(e2_S, 2, k);
    }}
    for (int64_t i = 0; i < n; i++)
        if (iscap[i]) {{
            num[i] = 0.0;
            den[i] = 0.0;
        }}
    for (int64_t i = ncell; i < n; i++) {{
        int64_t p = parent[i];
        if (iscap[i]) {{
            if (!iscap[p]) {{
                num[p] -= a[i] * v[i];
                den[p] -= a[i];
            }}
        }} else {{
            num[i] -= b[i] * v[p];
            den[i] -= b[i];
        }}
    }}
    for (int64_t i = 0; i < n; i++)
        if (!iscap[i]) v[i] = num[i] / den[i];
{textwrap.indent("".join(cur), "    ")}
    for (int64_t k = 0; k < ic_node_n0; k++) rhs[ic_node[k]] += A2(ic_S, 0, k) * ppf[ic_node[k]];
    for (int64_t k = 0; k < nes; k++) {{
        int64_t i = es_node[k];
        A2(es_S, 1, k) = A2(es_S, 0, k) * (v[i] - A2(es_P, 1, k));
        rhs[i] -= A2(es_S, 1, k) * ppf[i];
    }}
    for (int64_t k = 0; k < ne2; k++) {{
        int64_t i = e2_node[k];
        A2(e2_S, 3, k) = A2(e2_S, 2, k) * (v[i] - A2(e2_P, 2, k));
        rhs[i] -= A2(e2_S, 3, k) * ppf[i];
    }}
    for (int64_t i = ncell; i < n; i++) {{
        int64_t p = parent[i];
        double dv = v[p] - v[i];
        rhs[i] -= b[i] * dv;
        rhs[p] += a[i] * dv;
    }}
    for (int64_t c = 0; c < ncap; c++) {{
        int64_t i = capidx[c];
        dydt[c] = rhs[i] / (0.001 * cm[i]);
    }}
    off = ncap;
{textwrap.indent("".join(gates), "    ")}
    for (int64_t k = 0; k < nes; k++) dydt[off + k] = -A2(es_S, 0, k) / A2(es_P, 0, k);
    off += nes;
    for (int64_t k = 0; k < ne2; k++) {{
        dydt[off + k] = -A2(e2_S, 0, k) / A2(e2_P, 0, k);
        dydt[off + ne2 + k] = -A2(e2_S, 1, k) / A2(e2_P, 1, k);
    }}
    if (fill_assigned) {{
{textwrap.indent("".join(assigned), " " * 8)}
    }}
    (void)buf;
}}
"""


# -------------------------------------------------------------------------------------------- calling
def _converter(kind: str, name: str, fname: str):
    """A function appending the C arguments of one Python argument to a list (checked, never cast)."""
    if kind == "f":
        def conv(x, out):
            out.append(float(x))
    elif kind == "i":
        def conv(x, out):
            out.append(operator.index(x))
    else:
        dtype, ndim = _DTYPE[kind[0]], int(kind[1])
        size = dtype.itemsize

        def conv(x, out):
            if type(x) is not np.ndarray or x.dtype != dtype or x.ndim != ndim or not x.flags.writeable:
                raise CellError(f"C kernel {fname}: argument {name} must be a writeable {ndim}-D {dtype} array, "
                                f"got {getattr(x, 'dtype', type(x).__name__)} {getattr(x, 'shape', '')}")
            st = x.strides
            if x.size > 0 and (st[-1] != size and x.shape[-1] > 1 or (ndim == 2 and st[0] % size)):
                raise CellError(f"C kernel {fname}: argument {name} has strides {st}; rows must be contiguous")
            if ndim == 1:
                out += (x.ctypes.data, x.shape[0])
            else:
                out += (x.ctypes.data, x.shape[0], x.shape[1], st[0] // size if x.size else x.shape[1])
    return conv


class CFunction:
    """One entry point of a C kernel, called with the Numba twin's arguments."""

    __slots__ = ("name", "_c", "_conv", "_ret", "calls")

    def __init__(self, lib: ctypes.CDLL, name: str, spec: list, ret: str | None):
        self.name = name
        self._c = getattr(lib, name)
        argtypes = []
        for kind, _ in spec:
            if len(kind) == 1:
                argtypes.append(ctypes.c_double if kind == "f" else ctypes.c_int64)
            else:
                argtypes += [ctypes.c_void_p] + [ctypes.c_int64] * (1 if kind[1] == "1" else 3)
        if ret == "status":
            argtypes.append(ctypes.c_void_p)
        self._c.argtypes = argtypes
        self._c.restype = None if ret is None else ctypes.c_int64
        self._conv = tuple(_converter(k, n, name) for k, n in spec)
        self._ret = ret
        self.calls = 0

    def __call__(self, *args):
        if len(args) != len(self._conv):
            raise CellError(f"C kernel {self.name}: {len(args)} arguments given, {len(self._conv)} expected")
        flat: list = []
        for conv, x in zip(self._conv, args):
            conv(x, flat)
        self.calls += 1
        if self._ret == "status":
            ret = np.zeros(2)
            status = self._c(*flat, ret.ctypes.data)
            return status, int(ret[0]), float(ret[1])
        return self._c(*flat)

    def __repr__(self) -> str:
        return f"<CFunction {self.name}: {len(self._conv)} args, {self.calls} calls>"


class CKernel:
    """The C kernel for one mechanism set: the entry points of the Numba kernel, as :class:`CFunction`\\ s.

    Attributes
    ----------
    tier : str
        ``"c"``.
    library : Path
        The shared library loaded.
    """

    tier = "c"

    def __init__(self, mechs: list[Mechanism], lib: ctypes.CDLL):
        self.mechs = list(mechs)
        self.library = Path(lib._name)
        specs = dict(RUNTIME_SPECS)
        specs.update(_kernel_specs(len(self.mechs)))
        self.entries = tuple(specs)
        for name, (spec, ret) in specs.items():
            setattr(self, name, CFunction(lib, name, spec, ret))

    @property
    def source(self) -> str:
        """The C source of this kernel."""
        return c_kernel_source(self.mechs)

    def maybe_build_aot(self) -> None:
        """Nothing to do: the C library is already ahead-of-time code (kept for the Numba tier's interface)."""
        return None

    def describe(self) -> str:
        cc = cbuild.find_compiler()
        return f"C ({cc.name if cc else 'cc'}, {self.library.name})"

    def __repr__(self) -> str:
        return f"<CKernel {', '.join(m.name for m in self.mechs) or 'no mechanisms'}: {self.describe()}>"


_LOADED: dict[tuple, CKernel] = {}    # by the mechanisms' signatures (their generated code)


def load_c_kernel(mechs: list[Mechanism]) -> CKernel:
    """The C kernel for ``mechs``: loaded from the cache or compiled once (see :mod:`neurodyn.backends.cbuild`).

    Raises
    ------
    neurodyn.backends.cbuild.CompilerNotFoundError, neurodyn.backends.cbuild.CBuildError
    """
    sig = tuple(m.signature() for m in mechs)
    kern = _LOADED.get(sig)
    if kern is None:
        # the source is determined by the generator's files and the mechanisms' signatures: look the library
        # up by those, and generate the source only to build it
        key = source_hash(_GENERATOR_FILES, salt="\x00".join(sig), length=32)
        lib = cbuild.load_source(lambda: c_kernel_source(mechs), "cells_kernel", key=key, subdir="cells_clib")
        kern = _LOADED[sig] = CKernel(mechs, lib)
    return kern
