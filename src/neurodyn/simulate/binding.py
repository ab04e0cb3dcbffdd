"""Path binding: ``node/op/var`` paths of a run's outputs, inputs, parameters, initial values, noise, bounds
and history resolved to positions in the kernel data.

Examples
--------
>>> from neurodyn import compile_model
>>> from neurodyn.backends.data import build_data
>>> m = compile_model("qif")
>>> labels, kinds, pos, cplx = output_columns(m.ir, {"r": "p/qif_op/r"}, build_data(m.ir, 1e-3))
>>> labels, kinds.tolist()
(['r'], [0])
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from neurodyn.backends.data import KernelData
from neurodyn.backends.layout import DEF
from neurodyn.backends.numpy.runtime import BLOCK_START
from neurodyn.errors import InputError
from neurodyn.ir import CircuitIR

__all__ = ["output_columns", "external_inputs", "noise_positions", "set_values", "state_name", "bound_positions",
           "fill_history"]


def _per_node(path: str, val, n: int, what: str) -> np.ndarray:
    """``val`` as numbers, one per node matched by ``path`` (a scalar applies to all ``n``); typed errors for
    values that are not numbers, or whose length is not ``n``."""
    a = np.asarray(val)
    if a.dtype.kind not in "fciu":
        raise InputError(f"{what} {path!r} must be a number or an array of numbers, got {val!r}"
                         + (" (None is not a value: leave the entry out to keep the default)" if val is None
                            else ""))
    if a.ndim > 1 or (a.ndim == 1 and a.size != n):
        raise InputError(f"{what} {path!r} has shape {a.shape}; {path!r} matches {n} node(s): give one value "
                         f"or {n} (one per node, in the order of the model's node names)")
    return np.broadcast_to(a, (n,))


def output_columns(ir: CircuitIR, outputs, data: KernelData) -> tuple[list, np.ndarray, np.ndarray, list]:
    """Resolve outputs {name: path} into (column labels, storage kinds, positions, is_complex)."""
    if outputs is None:
        outputs = {f"{g.nodes[i]}/{v.path}": f"{g.nodes[i]}/{v.path}" for g in ir.groups
                   for v in g.variables if v.kind == "state" for i in range(g.n)
                   if "@" not in g.nodes[i]}
    elif isinstance(outputs, (list, tuple)):
        outputs = {p: p for p in outputs}
    labels, kinds, pos, cplx = [], [], [], []
    for name, path in dict(outputs).items():
        hits = ir.find(path)
        for gi, i, v, node in hits:
            st, q = data.position(gi, v.sym, i)
            labels.append(name if len(hits) == 1 else (name, node))
            kinds.append({"y": 0, "a": 1, "p": 2}[st])
            pos.append(q)
            cplx.append(v.dtype == "complex")
    return labels, np.array(kinds, dtype=np.int64), np.array(pos, dtype=np.int64), cplx


def external_inputs(ir: CircuitIR, inputs: Mapping, n_steps: int):
    """Input time series as one array (a column per driven node) and its targets [(group, sym, node)]."""
    if not inputs:
        return None, []
    cols, targets = [], []
    for path, arr in inputs.items():
        hits = ir.find(path)
        a = np.asarray(arr)
        if a.dtype.kind not in "fciu":
            raise InputError(f"input {path!r}: values must be numeric, got dtype {a.dtype}")
        if a.dtype.kind == "c" and not ir.complex_system:
            raise InputError(f"input {path!r} is complex but the model is real; pass real values "
                             f"(neurodyn never drops an imaginary part silently)")
        if a.ndim == 1:
            a = np.repeat(a[:, None], len(hits), axis=1)
        if a.ndim != 2 or a.shape[0] != n_steps or a.shape[1] != len(hits):
            raise InputError(f"input {path!r} has shape {np.asarray(arr).shape}; expected ({n_steps},) "
                             f"(one value per step: simulation_time/step_size = {n_steps})"
                             + (f" or ({n_steps}, {len(hits)}) for its {len(hits)} nodes" if len(hits) > 1
                                else ""))
        if not np.all(np.isfinite(a)):
            bad = int(np.argwhere(~np.isfinite(a))[0][0])
            raise InputError(f"input {path!r} has a non-finite value at step {bad}")
        for c, (gi, i, v, node) in enumerate(hits):
            cols.append(a[:, c])
            targets.append((gi, v.sym, i))
    return np.stack(cols, axis=1), targets


def noise_positions(ir: CircuitIR, noise: Mapping | None, data: KernelData):
    """Positions in the state vector of noise-driven states, and their amplitudes."""
    pos, sig = [], []
    for path, s in dict(noise or {}).items():
        hits = ir.find(path)
        s = _per_node(path, s, len(hits), "noise amplitude")
        if np.iscomplexobj(s):
            raise InputError(f"noise amplitude for {path!r} must be real, got {s}")
        s = s.astype(float)
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise InputError(f"noise amplitude for {path!r} must be finite and >= 0, got {s}")
        for (gi, i, v, node), si in zip(hits, s):
            if v.kind != "state":
                raise InputError(f"noise can only drive state variables; {path!r} is a {v.kind}")
            st, q = data.position(gi, v.sym, i)
            if v.dtype == "complex":
                raise InputError(f"noise on complex state {path!r} is not supported; split it into real "
                                 f"and imaginary parts")
            pos.append(q)
            sig.append(si)
    return np.array(pos, dtype=np.int64), np.array(sig, dtype=float)


def set_values(ir: CircuitIR, data: KernelData, params: Mapping | None) -> None:
    """Write ``{path: value}`` (parameters, input defaults or initial states) into the kernel data."""
    for path, val in dict(params or {}).items():
        hits = ir.find(path)
        vals = _per_node(path, val, len(hits), "parameter")
        if not np.all(np.isfinite(vals)):
            raise InputError(f"parameter {path!r} must be finite, got {val!r}")
        for (gi, i, v, node), x in zip(hits, vals):
            sym = DEF + v.sym if v.kind == "input" and v.uses_default else v.sym
            st, q = data.position(gi, sym, i)
            if np.iscomplexobj(x) and not ir.complex_system:
                raise InputError(f"parameter {path!r} is complex but the model is real")
            if st == "p":
                data.p[q] = x
            elif st == "y":
                data.y0[q] = x
            else:
                raise InputError(f"{path!r} is a derived quantity ({v.kind}); set the constants it depends on")
    if params:
        data.refresh_hoisted()


def state_name(ir: CircuitIR, data: KernelData, q: int) -> str:
    """'node/op/var' of position ``q`` of the state vector."""
    for k, (g, sym, st) in enumerate(data.layout.slots):
        o, n = data.off[k], ir.groups[g].n
        if st == "y" and o <= q < o + n:
            return f"{ir.groups[g].nodes[q - o]}/{ir.groups[g].var(sym).path}"
    return f"state[{q}]"


def bound_positions(ir: CircuitIR, bounds: Mapping | None, data: KernelData):
    """Positions and (low, high) limits of clipped states."""
    pos, lo, hi = [], [], []
    for path, (low, high) in dict(bounds or {}).items():
        for gi, i, v, node in ir.find(path):
            if v.kind != "state" or v.dtype == "complex":
                raise InputError(f"bounds apply to real state variables; {path!r} is a {v.dtype} {v.kind}")
            low = -np.inf if low is None else float(low)
            high = np.inf if high is None else float(high)
            if not low < high:
                raise InputError(f"bounds for {path!r}: low ({low}) must be below high ({high})")
            pos.append(data.position(gi, v.sym, i)[1])
            lo.append(low)
            hi.append(high)
    return np.array(pos, dtype=np.int64), np.array(lo, dtype=float), np.array(hi, dtype=float)


def fill_history(ir: CircuitIR, data: KernelData, history: Mapping) -> None:
    """Write user-given values of delayed sources at steps -(H-1) .. 0 into the history ring."""
    buf, bstate, hs = data.M[10], data.M[11], data.M[12]
    L = int(bstate[1])
    oldest = 0
    for path, arr in history.items():
        hits = ir.find(path)
        a = np.asarray(arr)
        if a.ndim == 1:
            a = np.repeat(a[:, None], len(hits), axis=1)
        if a.ndim != 2 or a.shape[1] != len(hits) or a.shape[0] < 1:
            raise InputError(f"history for {path!r} must have shape (H,) or (H, {len(hits)}), got {np.shape(arr)}")
        if not np.all(np.isfinite(a)):
            raise InputError(f"history for {path!r} contains non-finite values")
        H = a.shape[0]
        for c, (gi, i, v, node) in enumerate(hits):
            slot = data.layout.slot_of[(gi, v.sym)]
            rows = [r for r in hs if r[1] == gi and r[2] == slot]
            if not rows:
                raise InputError(f"history given for {path!r}, which is not the source of a delayed edge")
            col = int(rows[0][3]) + i
            for k in range(H):
                buf[col, (k - H + 1) % L] = a[k, c]
        oldest = min(oldest, -(H - 1))
    bstate[2] = oldest
    bstate[BLOCK_START:] = -1  # blocks of delayed sums computed from the old history are stale
