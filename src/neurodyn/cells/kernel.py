"""Generate, cache and load the time-stepping kernel for a set of density mechanisms (the Numba tiers here).

Three tiers run the same scheme with bit-identical results; :func:`load_kernel` picks one by the
``cells_kernel`` setting (:mod:`neurodyn.config`, ``NEURODYN_CELLS_KERNEL``):

- ``c`` (what ``auto``, the default, picks when a C compiler exists): generated C compiled once per mechanism
  set and loaded with ctypes (:mod:`neurodyn.cells.ckernel`); a later process never imports Numba;
- ``jit`` (``auto`` without a compiler, with a one-line notice): the Numba module described below;
- ``aot``: the Numba module frozen by ``numba.pycc`` into an extension module after the first JIT run
  (:mod:`neurodyn.backends.numba.aot`; also what ``auto`` does without a compiler when ``NEURODYN_AOT=1``). If
  ``numba.pycc`` is missing or fails, the JIT kernel stays in use, with a one-line notice.

The Numba kernel source is produced from the mechanisms' equations, written to a file in a cache directory named by
the hash of the source, and imported from there, so that ``numba.njit(cache=True)`` can store the compiled
machine code: a second process with the same mechanisms does not recompile.

The generated module contains, for mechanism number ``j``: ``m{j}_rates`` (inf/tau of every state into a
buffer), ``m{j}_current`` (total current at a voltage), ``m{j}_assigned`` (store currents and assigned values),
``m{j}_init`` and ``m{j}_table``; and the whole-model functions ``advance`` (the fixed-step loop: threshold
detection, event delivery, matrix assembly, Hines solve, state update, recording), ``record`` and
``initialize_states``. Array ids used by recordings: 0 node voltage, 1 time, 2..7 point-process parameter/state
arrays (IClamp, ExpSyn, Exp2Syn), then ``8 + 3 j`` parameters, ``9 + 3 j`` states and ``10 + 3 j`` assigned
values of mechanism ``j``.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import textwrap
import warnings
from pathlib import Path

from neurodyn.cells.errors import CellError
from neurodyn.cells.mechanisms import Mechanism
from neurodyn.backends.cbuild import CBuildError
from neurodyn.backends.numba.aot import EntryPoints
from neurodyn.caching import cache_subdir, source_hash
from neurodyn.config import get_option, set_options

ARR_V, ARR_T = 0, 1
ARR_IC_P, ARR_IC_S, ARR_ES_P, ARR_ES_S, ARR_E2_P, ARR_E2_S = 2, 3, 4, 5, 6, 7
ARR_MECH0 = 8
_KERNEL_VERSION = "5"
_LOADED: dict[tuple, object] = {}
_NOTICES: set = set()


def cache_dir() -> Path:
    """Directory holding generated kernel modules (``$NEURODYN_CACHE_DIR`` or ``~/.cache/neurodyn``)."""
    return cache_subdir("cells_kernels")


def _names(mech: Mechanism) -> dict[str, str]:
    mapping = {n: f"u_{n}" for n in mech.range_names}
    mapping.update({n: f"u_{n}" for n in mech.globals})
    mapping.update({n: f"u_{n}" for n in mech.rates})
    mapping.update({"v": "v", "celsius": "celsius", "dt": "dt"})
    return mapping


def _needed_rates(mech: Mechanism, exprs) -> list[str]:
    """Rates (in declaration order) that ``exprs`` need, transitively."""
    need: set[str] = set()
    stack = [n for e in exprs for n in e.names]
    while stack:
        n = stack.pop()
        if n in mech.rates and n not in need:
            need.add(n)
            stack.extend(mech.rates[n].names)
    return [r for r in mech.rates if r in need]


def _unpack(mech: Mechanism, used: set[str], with_states: bool) -> list[str]:
    lines = []
    for r, p in enumerate(mech.parameter_names):
        if p in used:
            lines.append(f"u_{p} = P[{r}, k]")
    for r, g in enumerate(mech.globals):
        if g in used:
            lines.append(f"u_{g} = G[{r}]")
    if with_states:
        for r, s in enumerate(mech.state_names):
            if s in used:
                lines.append(f"u_{s} = S[{r}, k]")
    return lines


def _mechanism_source(j: int, mech: Mechanism) -> str:
    m = _names(mech)
    out = []
    # ---- rates: inf, tau of each state into buf[2*r], buf[2*r+1]
    gate_exprs = [e for pair in mech.gates.values() for e in pair]
    rates = _needed_rates(mech, gate_exprs)
    used = set().union(*(e.names for e in gate_exprs), *(mech.rates[r].names for r in rates)) if gate_exprs else set()
    body = _unpack(mech, used, with_states=False)
    body += [f"u_{r} = {mech.rates[r].code(m)}" for r in rates]
    for r, (s, (inf, tau)) in enumerate(mech.gates.items()):
        body.append(f"buf[{2 * r}] = {inf.code(m)}")
        body.append(f"buf[{2 * r + 1}] = {tau.code(m)}")
    body.append("return")
    out.append(f"@njit(cache=True)\ndef m{j}_rates(v, celsius, dt, P, G, k, buf):\n"
               + textwrap.indent("\n".join(body), "    "))
    # ---- current: total membrane current (mA/cm2)
    cur_exprs = list(mech.currents.values())
    rates_c = _needed_rates(mech, cur_exprs)
    used = set().union(*(e.names for e in cur_exprs), *(mech.rates[r].names for r in rates_c))
    body = _unpack(mech, used, with_states=True)
    body += [f"u_{r} = {mech.rates[r].code(m)}" for r in rates_c]
    body.append("cur = 0.0")
    for c, e in mech.currents.items():
        body.append(f"cur += {e.code(m)}")
    body.append("return cur")
    out.append(f"@njit(cache=True)\ndef m{j}_current(v, celsius, dt, P, S, G, k):\n"
               + textwrap.indent("\n".join(body), "    "))
    # ---- assigned: currents and assigned expressions into A[:, k]
    all_exprs = cur_exprs + list(mech.assigned.values())
    rates_a = _needed_rates(mech, all_exprs)
    used = set().union(*(e.names for e in all_exprs), *(mech.rates[r].names for r in rates_a))
    body = _unpack(mech, used, with_states=True)
    body += [f"u_{r} = {mech.rates[r].code(m)}" for r in rates_a]
    for r, name in enumerate(mech.assigned_names):
        e = mech.currents.get(name) or mech.assigned[name]
        body.append(f"A[{r}, k] = {e.code(m)}")
    body.append("return")
    out.append(f"@njit(cache=True)\ndef m{j}_assigned(v, celsius, dt, P, S, G, A, k):\n"
               + textwrap.indent("\n".join(body), "    "))
    # ---- table (rates on the grid) and initial states
    out.append(textwrap.dedent(f"""\
        @njit(cache=True)
        def m{j}_table(celsius, P, G, tab, tmin, tmax, nint):
            buf = np.empty(max(tab.shape[0], 1))
            dx = (tmax - tmin) / nint
            x = tmin
            for i in range(nint + 1):
                m{j}_rates(x, celsius, 0.0, P, G, 0, buf)
                for r in range(tab.shape[0]):
                    tab[r, i] = buf[r]
                x += dx

        @njit(cache=True)
        def m{j}_init(v, celsius, node, P, S, G, tab, ti, fl):
            buf = np.empty(max(tab.shape[0], {2 * len(mech.gates)}, 1))
            for k in range(node.shape[0]):
                vk = v[node[k]]
                if fl[0] != 0:
                    table_interp(tab, ti[0], ti[1], int(ti[2]), vk, buf)
                else:
                    m{j}_rates(vk, celsius, 0.0, P, G, k, buf)
                for r in range(S.shape[0]):
                    S[r, k] = buf[2 * r]
        """))
    return "\n\n".join(out)


_HEADER = '''\
# Generated by neurodyn.cells.kernel -- do not edit. Mechanisms: {names}
import math
import numpy as np
from numba import njit
from neurodyn.cells._runtime import (vtrap, exprelr, efun, table_interp, deliver_events, emit_spike,
                                     QUEUE_FULL, SPIKES_FULL, NONFINITE, OK, THRESHOLD_TEPS)
'''


def _kernel_source(mechs: list[Mechanism]) -> str:
    parts = [_HEADER.format(names=", ".join(m.name for m in mechs))]
    for j, mech in enumerate(mechs):
        parts.append(f"# ---- mechanism {j}: {mech.name}\n" + _mechanism_source(j, mech))
    margs = "".join(f"m{j}_node, m{j}_runs, m{j}_P, m{j}_S, m{j}_A, m{j}_G, m{j}_tab, m{j}_ti, m{j}_fl, "
                    for j in range(len(mechs)))
    pp_args = "ic_node, ic_P, ic_S, es_node, es_P, es_S, e2_node, e2_P, e2_S"
    # record
    rec_lines = ["aid = rec_arr[r]", "row = rec_row[r]", "col = rec_col[r]", "if aid == 0:",
                 "    val = v[col]", "elif aid == 1:", "    val = t"]
    for aid, arr in ((2, "ic_P"), (3, "ic_S"), (4, "es_P"), (5, "es_S"), (6, "e2_P"), (7, "e2_S")):
        rec_lines += [f"elif aid == {aid}:", f"    val = {arr}[row, col]"]
    for j in range(len(mechs)):
        for off, arr in ((0, "P"), (1, "S"), (2, "A")):
            rec_lines += [f"elif aid == {ARR_MECH0 + 3 * j + off}:", f"    val = m{j}_{arr}[row, col]"]
    rec_lines += ["else:", "    val = np.nan", "rec_out[r, jcol] = val"]
    parts.append("@njit(cache=True)\ndef record(jcol, t, v, rec_arr, rec_row, rec_col, rec_out, "
                 f"{margs}{pp_args}):\n    for r in range(rec_arr.shape[0]):\n"
                 + textwrap.indent("\n".join(rec_lines), "        "))
    # initialize
    init_lines = [f"m{j}_init(v, celsius, m{j}_node, m{j}_P, m{j}_S, m{j}_G, m{j}_tab, m{j}_ti, m{j}_fl)"
                  for j in range(len(mechs))] or ["pass"]
    init_lines += [f"if m{j}_fl[1] != 0:\n    for k in range(m{j}_node.shape[0]):\n"
                   f"        m{j}_assigned(v[m{j}_node[k]], celsius, 0.0, m{j}_P, m{j}_S, m{j}_G, m{j}_A, k)"
                   for j in range(len(mechs))]
    parts.append(f"@njit(cache=True)\ndef initialize_states(v, celsius, {margs}dummy):\n"
                 + textwrap.indent("\n".join(init_lines), "    "))
    # ---- current and state blocks of advance()
    cur_blocks, state_blocks = [], []
    for j, mech in enumerate(mechs):
        cur_blocks.append(textwrap.dedent(f"""\
            for r in range(m{j}_runs.shape[0]):
                i0 = m{j}_runs[r, 0]
                k0 = m{j}_runs[r, 1]
                for q in range(m{j}_runs[r, 2]):
                    i = i0 + q
                    k = k0 + q
                    vk = v[i]
                    g = m{j}_current(vk + 0.001, celsius, dt, m{j}_P, m{j}_S, m{j}_G, k)
                    cur = m{j}_current(vk, celsius, dt, m{j}_P, m{j}_S, m{j}_G, k)
                    rhs[i] -= cur
                    d[i] += (g - cur) / 0.001
            if m{j}_fl[1] != 0:
                for k in range(m{j}_node.shape[0]):
                    m{j}_assigned(v[m{j}_node[k]], celsius, dt, m{j}_P, m{j}_S, m{j}_G, m{j}_A, k)
            """))
        if mech.gates:
            ns = len(mech.gates)
            state_blocks.append(textwrap.dedent(f"""\
                for k in range(m{j}_node.shape[0]):
                    vk = v[m{j}_node[k]]
                    if m{j}_fl[0] != 0:
                        table_interp(m{j}_tab, m{j}_ti[0], m{j}_ti[1], int(m{j}_ti[2]), vk, buf)
                    else:
                        m{j}_rates(vk, celsius, dt, m{j}_P, m{j}_G, k, buf)
                    for r in range({ns}):
                        x = m{j}_S[r, k]
                        m{j}_S[r, k] = x + (1.0 - math.exp(-dt / buf[2 * r + 1])) * (buf[2 * r] - x)
                """))
    ev_sig = ("qt, qs, qa, qb, qstate, nc_kind, nc_tidx, nc_w, nc_delay, ns_P, ns_S, ns_rng, ns_src, src_ptr, "
              "src_nc, sp_t, sp_s, spstate")
    maxbuf = max([2 * len(m.gates) for m in mechs] + [1])
    ev_args = ("qt, qs, qa, qb, qstate, nc_kind, nc_tidx, nc_w, nc_delay, es_S, e2_S, e2_P, ns_P, ns_S, ns_rng, "
               "ns_src, src_ptr, src_nc, sp_t, sp_s, spstate")
    adv = f'''\
@njit(cache=True)
def advance(nsteps, t, dt, vfac, celsius, jcol0, v, parent, a, b, d, rhs, dstat, ppf, ncell,
            {margs}{pp_args},
            vs_node, vs_thr, vs_flag, vs_src, {ev_sig}, qmargin, spmargin,
            rec_arr, rec_row, rec_col, rec_out, info):
    """Advance ``nsteps`` fixed steps; returns (status, steps_done, t)."""
    n = v.shape[0]
    buf = np.empty({maxbuf})
    # cnexp factors of the synaptic decays: constant during a run (tau and dt fixed)
    es_decay = np.empty(es_node.shape[0])
    for k in range(es_node.shape[0]):
        es_decay[k] = 1.0 - math.exp(-dt / es_P[0, k])
    e2_decay = np.empty((2, e2_node.shape[0]))
    for k in range(e2_node.shape[0]):
        e2_decay[0, k] = 1.0 - math.exp(-dt / e2_P[0, k])
        e2_decay[1, k] = 1.0 - math.exp(-dt / e2_P[1, k])
    for step in range(nsteps):
        if qt.shape[0] - qstate[0] < qmargin:
            return QUEUE_FULL, step, t
        if sp_t.shape[0] - spstate[0] < spmargin:
            return SPIKES_FULL, step, t
        # threshold detection on v(t_n), then events due by t_n + dt/2
        for s in range(vs_node.shape[0]):
            if v[vs_node[s]] - vs_thr[s] > 0.0:
                if vs_flag[s] == 0:
                    vs_flag[s] = 1
                    emit_spike(vs_src[s], t + THRESHOLD_TEPS, src_ptr, src_nc, nc_kind, nc_delay,
                               qt, qs, qa, qb, qstate, sp_t, sp_s, spstate)
            else:
                vs_flag[s] = 0
        deliver_events(t + 0.5 * dt, {ev_args})
        t += 0.5 * dt
        # static diagonal (capacitance and axial coupling) and axial currents; parent[i] < i, so rhs[p]
        # is initialised before children add to it
        for i in range(ncell):
            rhs[i] = 0.0
            d[i] = dstat[i]
        for i in range(ncell, n):
            p = parent[i]
            dv = v[p] - v[i]
            rhs[i] = -b[i] * dv
            rhs[p] += a[i] * dv
            d[i] = dstat[i]
{textwrap.indent("".join(cur_blocks), " " * 8)}
        for k in range(ic_node.shape[0]):
            i = ic_node[k]
            if t < ic_P[0, k] + ic_P[1, k] and t >= ic_P[0, k]:
                ic_S[0, k] = ic_P[2, k]
            else:
                ic_S[0, k] = 0.0
            rhs[i] += ic_S[0, k] * ppf[i]
        for k in range(es_node.shape[0]):
            i = es_node[k]
            vk = v[i]
            gs = es_S[0, k]
            g = gs * (vk + 0.001 - es_P[1, k])
            cur = gs * (vk - es_P[1, k])
            es_S[1, k] = cur
            rhs[i] -= cur * ppf[i]
            d[i] += (g - cur) / 0.001 * ppf[i]
        for k in range(e2_node.shape[0]):
            i = e2_node[k]
            vk = v[i]
            gs = e2_S[1, k] - e2_S[0, k]
            e2_S[2, k] = gs
            g = gs * (vk + 0.001 - e2_P[2, k])
            cur = gs * (vk - e2_P[2, k])
            e2_S[3, k] = cur
            rhs[i] -= cur * ppf[i]
            d[i] += (g - cur) / 0.001 * ppf[i]
        # Hines elimination, then back substitution fused with the voltage update
        for i in range(n - 1, ncell - 1, -1):
            p = parent[i]
            f = a[i] / d[i]
            d[p] -= f * b[i]
            rhs[p] -= f * rhs[i]
        bad = -1
        for i in range(ncell):
            x = rhs[i] / d[i]
            rhs[i] = x
            v[i] += vfac * x
            if v[i] - v[i] != 0.0:
                bad = i
        for i in range(ncell, n):
            x = (rhs[i] - b[i] * rhs[parent[i]]) / d[i]
            rhs[i] = x
            v[i] += vfac * x
            if v[i] - v[i] != 0.0:
                bad = i
        t += 0.5 * dt
        if bad >= 0:
            info[0] = bad
            return NONFINITE, step, t
        # states with the new voltage (cnexp)
{textwrap.indent("".join(state_blocks), " " * 8)}
        for k in range(es_node.shape[0]):
            x = es_S[0, k]
            es_S[0, k] = x + es_decay[k] * (-x)
        for k in range(e2_node.shape[0]):
            x = e2_S[0, k]
            e2_S[0, k] = x + e2_decay[0, k] * (-x)
            x = e2_S[1, k]
            e2_S[1, k] = x + e2_decay[1, k] * (-x)
        if rec_arr.shape[0] > 0:
            record(jcol0 + step, t, v, rec_arr, rec_row, rec_col, rec_out, {margs}{pp_args})
        deliver_events(t, {ev_args})
    return OK, nsteps, t
'''
    parts.append(adv)
    # ---- right-hand side of the cable ODE for the adaptive method
    ode_unpack, ode_gates = [], []
    for j, mech in enumerate(mechs):
        if mech.gates:
            ode_unpack.append(textwrap.dedent(f"""\
                nk = m{j}_S.shape[1]
                for r in range(m{j}_S.shape[0]):
                    for k in range(nk):
                        m{j}_S[r, k] = y[off + r * nk + k]
                off += m{j}_S.shape[0] * nk
                """))
            ode_gates.append(textwrap.dedent(f"""\
                nk = m{j}_S.shape[1]
                for k in range(nk):
                    vk = v[m{j}_node[k]]
                    if m{j}_fl[0] != 0:
                        table_interp(m{j}_tab, m{j}_ti[0], m{j}_ti[1], int(m{j}_ti[2]), vk, buf)
                    else:
                        m{j}_rates(vk, celsius, 0.0, m{j}_P, m{j}_G, k, buf)
                    for r in range(m{j}_S.shape[0]):
                        dydt[off + r * nk + k] = (buf[2 * r] - m{j}_S[r, k]) / buf[2 * r + 1]
                off += m{j}_S.shape[0] * nk
                """))
    ode_cur = "".join(textwrap.dedent(f"""\
        for k in range(m{j}_node.shape[0]):
            i = m{j}_node[k]
            rhs[i] -= m{j}_current(v[i], celsius, 0.0, m{j}_P, m{j}_S, m{j}_G, k)
        """) for j in range(len(mechs)))
    ode_assigned = "".join(f"for k in range(m{j}_node.shape[0]):\n"
                           f"    m{j}_assigned(v[m{j}_node[k]], celsius, 0.0, m{j}_P, m{j}_S, m{j}_G, m{j}_A, k)\n"
                           for j in range(len(mechs))) or "pass\n"
    ode = f"""
@njit(cache=True)
def ode_rhs(y, dydt, capidx, iscap, ic_on, v, parent, a, b, cm, ppf, ncell, num, den, rhs, celsius,
            {margs}{pp_args}, fill_assigned):
    n = v.shape[0]
    ncap = capidx.shape[0]
    buf = np.empty({maxbuf})
    for c in range(ncap):
        v[capidx[c]] = y[c]
    off = ncap
{textwrap.indent("".join(ode_unpack), "    ")}
    nes = es_S.shape[1]
    for k in range(nes):
        es_S[0, k] = y[off + k]
    off += nes
    ne2 = e2_S.shape[1]
    for k in range(ne2):
        e2_S[0, k] = y[off + k]
        e2_S[1, k] = y[off + ne2 + k]
        e2_S[2, k] = e2_S[1, k] - e2_S[0, k]
    off += 2 * ne2
    # zero-area nodes: v is the conductance-weighted mean of the neighbours (plus point-process terms)
    for i in range(n):
        num[i] = 0.0
        den[i] = 0.0
        rhs[i] = 0.0
    for k in range(ic_node.shape[0]):
        ic_S[0, k] = ic_P[2, k] * ic_on[k]
        num[ic_node[k]] += ppf[ic_node[k]] * ic_S[0, k]
    for k in range(nes):
        i = es_node[k]
        num[i] += ppf[i] * es_S[0, k] * es_P[1, k]
        den[i] += ppf[i] * es_S[0, k]
    for k in range(ne2):
        i = e2_node[k]
        num[i] += ppf[i] * e2_S[2, k] * e2_P[2, k]
        den[i] += ppf[i] * e2_S[2, k]
    for i in range(n):
        if iscap[i]:
            num[i] = 0.0
            den[i] = 0.0
    for i in range(ncell, n):
        p = parent[i]
        if iscap[i]:
            if not iscap[p]:
                num[p] -= a[i] * v[i]
                den[p] -= a[i]
        else:
            num[i] -= b[i] * v[p]
            den[i] -= b[i]
    for i in range(n):
        if not iscap[i]:
            v[i] = num[i] / den[i]
{textwrap.indent(ode_cur, "    ")}
    for k in range(ic_node.shape[0]):
        rhs[ic_node[k]] += ic_S[0, k] * ppf[ic_node[k]]
    for k in range(nes):
        i = es_node[k]
        es_S[1, k] = es_S[0, k] * (v[i] - es_P[1, k])
        rhs[i] -= es_S[1, k] * ppf[i]
    for k in range(ne2):
        i = e2_node[k]
        e2_S[3, k] = e2_S[2, k] * (v[i] - e2_P[2, k])
        rhs[i] -= e2_S[3, k] * ppf[i]
    for i in range(ncell, n):
        p = parent[i]
        dv = v[p] - v[i]
        rhs[i] -= b[i] * dv
        rhs[p] += a[i] * dv
    for c in range(ncap):
        i = capidx[c]
        dydt[c] = rhs[i] / (0.001 * cm[i])
    off = ncap
{textwrap.indent("".join(ode_gates), "    ")}
    for k in range(nes):
        dydt[off + k] = -es_S[0, k] / es_P[0, k]
    off += nes
    for k in range(ne2):
        dydt[off + k] = -e2_S[0, k] / e2_P[0, k]
        dydt[off + ne2 + k] = -e2_S[1, k] / e2_P[1, k]
    if fill_assigned:
{textwrap.indent(ode_assigned, " " * 8)}
"""
    parts.append(ode)
    return "\n\n".join(parts) + "\n"


#: functions of the generated module that Python code calls (``m{j}_table`` is added per mechanism)
MODULE_ENTRIES = ("advance", "record", "initialize_states", "ode_rhs")
#: functions of :mod:`neurodyn.cells._runtime` that Python code calls
RUNTIME_ENTRIES = ("count_steps", "r123_newstream", "r123_setseq", "netstim_initialize", "deliver_events",
                   "emit_spike")
_RUNTIME_MODULE = "neurodyn.cells._runtime"


class CellKernel(EntryPoints):
    """The entry points of the Numba time-stepping kernel for one mechanism set (see
    :class:`neurodyn.backends.numba.aot.EntryPoints`): the Numba functions of the generated module and of
    :mod:`neurodyn.cells._runtime` (tier ``jit``) or, with ``aot`` and a library built for this kernel on this
    machine, the library's functions (tier ``aot``: the process never imports Numba). With ``aot``, the model
    builds the library at the end of its first ``finitialize`` with a JIT kernel.
    """

    def __init__(self, key: str, path: Path, mechs: list[Mechanism], aot: bool = False):
        self.mechs = list(mechs)
        self._want_aot = bool(aot)
        entries = {n: None for n in MODULE_ENTRIES + tuple(f"m{j}_table" for j in range(len(self.mechs)))}
        entries.update({n: _RUNTIME_MODULE for n in RUNTIME_ENTRIES})
        with set_options(aot=self._want_aot):
            super().__init__(key, path, path.stem, entries)

    @property
    def tier(self) -> str:
        """``"aot"`` when the entry points are a numba.pycc library's, else ``"jit"``."""
        return "aot" if self.aot is not None else "jit"

    def describe(self) -> str:
        return f"Numba AOT ({self.aot.path.name})" if self.aot is not None else "Numba JIT"

    def maybe_build_aot(self):
        """With the ``aot`` tier and a JIT kernel: build the numba.pycc library now. Without numba.pycc, or
        if the build fails, the JIT kernel stays in use (a one-line notice, never an error)."""
        if not self._want_aot or self.aot is not None or self._aot_tried:
            return None
        if importlib.util.find_spec("numba.pycc") is None:
            self._aot_tried = True
            _notice("numba.pycc is not available: the cells kernel stays Numba JIT (no ahead-of-time library)")
            return None
        # entry points a run may call after finitialize (NetStim.seed between finitialize and the run) are
        # compiled now with the argument types the model passes, so that the library exports them too
        import numpy as np
        from neurodyn.cells._codes import R123_COLS
        self.r123_setseq(np.zeros((1, R123_COLS), dtype=np.uint64), 0, 0)
        with set_options(aot=True), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            path = super().maybe_build_aot()
        failed = [w for w in caught if issubclass(w.category, RuntimeWarning)]
        if path is None and failed:
            last = str(failed[0].message).strip().splitlines()
            _notice(f"building the ahead-of-time library failed ({last[-2] if len(last) > 1 else last[0]}); "
                    "the cells kernel stays Numba JIT")
        return path


def _notice(text: str) -> None:
    """A one-line RuntimeWarning, once per process and text."""
    if text not in _NOTICES:
        _NOTICES.add(text)
        warnings.warn(f"neurodyn: {text}", RuntimeWarning, stacklevel=3)


def _runtime_hash() -> str:
    here = Path(__file__).resolve().parent
    return source_hash((here / "_runtime.py", here / "_codes.py"), length=12)


def load_numba_kernel(mechs: list[Mechanism], aot: bool = False) -> CellKernel:
    """The Numba kernel for ``mechs`` (its module generated and written once per source); ``aot`` uses (and
    builds at the first ``finitialize``) the numba.pycc library."""
    src = _kernel_source(list(mechs))
    key = hashlib.sha256((_KERNEL_VERSION + _runtime_hash() + src).encode()).hexdigest()[:20]
    if ("numba", aot, key) in _LOADED:
        return _LOADED[("numba", aot, key)]
    name = f"neurodyn_cells_kernel_{key}"
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != src:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
    kernel = CellKernel(key, path, mechs, aot=aot)
    _LOADED[("numba", aot, key)] = kernel
    return kernel


def load_kernel(mechs: list[Mechanism], tier: str | None = None):
    """The kernel for ``mechs`` in the tier ``tier`` (default: the ``cells_kernel`` setting, ``auto``).

    ``auto``: the C kernel (:mod:`neurodyn.cells.ckernel`) if a C compiler exists and compiles it, else the
    Numba kernel with a one-line notice (``aot`` too when ``NEURODYN_AOT=1``). ``c`` fails with a
    :class:`~neurodyn.cells.errors.CellError` instead of falling back. Every tier gives bit-identical results.

    Examples
    --------
    >>> from neurodyn.cells.mechanisms import HH, PAS
    >>> kern = load_kernel([PAS, HH])
    >>> kern.tier in ("c", "jit", "aot")
    True
    """
    tier = get_option("cells_kernel") if tier is None else tier
    if tier not in ("auto", "c", "jit", "aot"):
        raise CellError(f"unknown cells kernel tier {tier!r}; valid: 'auto', 'c', 'jit', 'aot'")
    if tier in ("auto", "c"):
        from neurodyn.cells.ckernel import load_c_kernel
        try:
            return load_c_kernel(mechs)
        except CBuildError as exc:
            first = str(exc).strip().splitlines()[0]
            if tier == "c":
                raise CellError(f"the C kernel tier is not available: {first}; use cells_kernel='auto' "
                                "(falls back to Numba) or install a C compiler") from None
            _notice(f"C kernel not available ({first}); the cells use the Numba kernel (slower first start)")
    aot = tier == "aot" or (tier == "auto" and bool(get_option("aot")))
    return load_numba_kernel(mechs, aot=aot)


def kernel_source(mechs: list[Mechanism]) -> str:
    """The generated source for ``mechs`` (for inspection and debugging)."""
    return _kernel_source(list(mechs))


def evaluate_rates(mech: Mechanism, v, celsius: float = 6.3, table: bool = False, params=None) -> dict:
    """Steady states and time constants of ``mech``'s gates at voltages ``v`` (mV).

    Parameters
    ----------
    table : bool
        Use the mechanism's rate table with linear interpolation (as the simulation does by default).
    params : mapping, optional
        Parameter values (defaults from the specification).

    Returns
    -------
    dict
        ``{state: (inf, tau)}`` with arrays shaped like ``v``.

    Examples
    --------
    >>> from neurodyn.cells.mechanisms import HH
    >>> r = evaluate_rates(HH, [-65.0])
    >>> round(float(r["m"][0][0]), 4), round(float(r["h"][0][0]), 4)
    (0.0529, 0.5961)
    """
    import numpy as np
    from neurodyn.cells._runtime import table_interp

    mod = load_numba_kernel([mech]).module
    v = np.atleast_1d(np.asarray(v, dtype=float))
    vals = dict(mech.parameters)
    vals.update(params or {})
    P = np.array([[vals[p]] for p in mech.parameter_names], dtype=float).reshape(len(mech.parameters), 1)
    G = np.array(list(mech.globals.values()), dtype=float)
    ng = len(mech.gates)
    buf = np.empty(max(2 * ng, 1))
    out = np.empty((2 * ng, v.size))
    if table:
        if mech.table is None:
            raise ValueError(f"mechanism {mech.name!r} has no rate table")
        lo, hi, nint = mech.table
        tab = np.zeros((2 * ng, nint + 1))
        mod.m0_table(float(celsius), P, G, tab, lo, hi, nint)
        for i, x in enumerate(v.ravel()):
            table_interp(tab, lo, 1.0 / ((hi - lo) / nint), nint, x, buf)
            out[:, i] = buf[:2 * ng]
    else:
        for i, x in enumerate(v.ravel()):
            mod.m0_rates(x, float(celsius), 0.0, P, G, 0, buf)
            out[:, i] = buf[:2 * ng]
    return {s: (out[2 * r].reshape(v.shape), out[2 * r + 1].reshape(v.shape)) for r, s in enumerate(mech.gates)}
