"""Build the data arrays a generated kernel reads (the ``M`` tuple) from an IR and run settings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurodyn.compiler.layout import DEF, EXT, Layout
from neurodyn.errors import InputError
from neurodyn.ir import CircuitIR

__all__ = ["KernelData", "build_data", "DELAY_MODES"]

#: projections with at least this fraction of non-zero weights are stored and applied as dense matrices
DENSE_FRACTION = 0.25
#: how delayed values are read from history: at each stage time by cubic or linear interpolation, or once per
#: step at the nearest grid point (TVB's convention)
DELAY_MODES = {"cubic": 0, "linear": 1, "step": 2}


@dataclass
class KernelData:
    """Everything a kernel needs besides its code: layout, offsets, initial state, parameters, ``M``."""

    layout: Layout
    off: np.ndarray
    y0: np.ndarray
    p: np.ndarray
    n_a: int
    M: tuple
    dtype: np.dtype

    def position(self, g: int, sym: str, i: int) -> tuple[str, int]:
        slot = self.layout.slot_of[(g, sym)]
        return self.layout.slots[slot][2], int(self.off[slot] + i)


def build_data(ir: CircuitIR, step_size: float, t0: float = 0.0, ext: np.ndarray | None = None,
               ext_targets: list | None = None, ext_dt: float | None = None, delay_mode: str = "cubic",
               history_len: int = 1) -> KernelData:
    """Assemble the kernel data.

    ``ext`` has one column per entry of ``ext_targets`` = [(group, sym, node index)], sampled every
    ``ext_dt`` from ``t0``.
    """
    layout = Layout.from_ir(ir)
    sizes = np.array([g.n for g in ir.groups], dtype=np.int64)
    off, total = layout.offsets(sizes)
    dtype = np.complex128 if ir.complex_system else np.float64
    y0 = np.zeros(total["y"], dtype=dtype)
    p = np.zeros(total["p"], dtype=dtype)
    for k, (g, sym, st) in enumerate(layout.slots):
        if sym.startswith(EXT):
            continue
        vals = ir.groups[g].values[sym[len(DEF):] if sym.startswith(DEF) else sym]
        if st == "y":
            y0[off[k]:off[k] + sizes[g]] = vals
        elif st == "p":
            p[off[k]:off[k] + sizes[g]] = vals
    # projections, concatenated CSR
    hdr = np.zeros((max(len(ir.projections), 1), 6), dtype=np.int64)
    n_cache = 0
    indptrs, idxs, ws, ds = [], [], [], []
    ip = nz = 0
    hist_cols: dict[tuple, int] = {}
    hs = []
    ncol = 0
    for k, pj in enumerate(ir.projections):
        tg = pj.target[0]
        indptr, cols, w, d = pj.csr(int(sizes[tg]))
        n_src = int(sizes[pj.source[0]])
        hdr[k, 0], hdr[k, 1], hdr[k, 4] = ip, nz, n_src
        if not pj.delayed and len(cols) >= DENSE_FRACTION * int(sizes[tg]) * n_src:
            # dense enough: store the full matrix (contiguous, vectorisable inner loop)
            dense = np.zeros((int(sizes[tg]), n_src))
            rows = np.repeat(np.arange(int(sizes[tg])), np.diff(indptr))
            np.add.at(dense, (rows, cols), w)
            hdr[k, 3] = 1
            cols, w, d = np.zeros(dense.size, dtype=np.int64), dense.ravel(), np.zeros(dense.size)
        if pj.delayed:
            if pj.source not in hist_cols:
                sg, ss = pj.source
                st = layout.storage(sg, ss)
                if st == "p":
                    raise InputError(f"a delayed edge from constant {ss!r} is meaningless; remove its delay")
                hist_cols[pj.source] = ncol
                hs.append((0 if st == "y" else 1, sg, layout.slot_of[(sg, ss)], ncol))
                ncol += int(sizes[sg])
            hdr[k, 2] = hist_cols[pj.source]
            hdr[k, 5] = n_cache  # per-step cache of this projection's delayed sums (delay_mode 'step')
            n_cache += int(sizes[tg])
            d = d / step_size
            if delay_mode == "step":
                d = np.rint(d)  # TVB's rounding of delays to steps: half to even
        indptrs.append(indptr)
        idxs.append(cols)
        ws.append(w)
        ds.append(d)
        ip += len(indptr)
        nz += len(cols)
    cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(1, dtype=dt)  # noqa: E731
    indptr, idx, w, d = cat(indptrs, np.int64), cat(idxs, np.int64), cat(ws, np.float64), cat(ds, np.float64)
    # history ring
    if hist_cols:
        max_d = max(float(np.max(pj.delays)) for pj in ir.projections if pj.delayed) / step_size
        L = max(int(np.ceil(max_d)) + 8, int(history_len) + 8)
        L = 1 << (L - 1).bit_length()  # a power of two: ring positions are a bit mask
        buf = np.zeros((ncol, L), dtype=dtype)
    else:
        L = 1
        buf = np.zeros((1, 1), dtype=dtype)
    if delay_mode not in DELAY_MODES:
        raise InputError(f"unknown delay_mode {delay_mode!r}; valid: {sorted(DELAY_MODES)}")
    bstate = np.array([0, L, 0, DELAY_MODES[delay_mode]], dtype=np.int64)
    hs_arr = np.array(hs, dtype=np.int64).reshape(-1, 4)
    # external inputs
    if ext is None or not ext_targets:
        ext_arr = np.zeros((1, 1), dtype=dtype)
        ext_pos = np.zeros(0, dtype=np.int64)
        edt = 1.0
    else:
        ext_arr = np.ascontiguousarray(ext, dtype=dtype)
        ext_pos = np.array([off[layout.slot_of[(g, EXT + s)]] + i for g, s, i in ext_targets], dtype=np.int64)
        edt = float(ext_dt)
    tinfo = np.array([t0, step_size, t0, edt], dtype=np.float64)
    dcache = np.zeros(max(n_cache, 1), dtype=dtype)
    M = (sizes, off, hdr, indptr, idx, w, d, ext_arr, ext_pos, tinfo, buf, bstate, hs_arr, dcache)
    return KernelData(layout, off, y0, p, total["a"], M, np.dtype(dtype))
