"""Build the data arrays a generated kernel reads (the ``M`` tuple) from an IR and run settings."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurodyn.ir.hoist import HOIST, hoisted_values
from neurodyn.backends.layout import DEF, EXT, SNAP, Layout
from neurodyn.errors import InputError
from neurodyn.ir import CircuitIR

__all__ = ["KernelData", "build_data", "prime_history", "DELAY_MODES", "INPUT_MODES"]

#: columns of ``hdr`` per projection: (indptr offset, nnz offset, history column, dense flag, source nodes per
#: copy, step-cache offset, copies)
HDR_COLUMNS = 7
#: projections with at least this fraction of non-zero weights are stored and applied as dense matrices
DENSE_FRACTION = 0.25
#: how delayed values are read from history: at each stage time by cubic or linear interpolation, or once per
#: step at the nearest grid point (TVB's convention)
DELAY_MODES = {"cubic": 0, "linear": 1, "step": 2}
#: how input time series are read: 'linear' interpolates between samples at each stage time (PyRates's
#: convention for inputs); 'step' holds sample k for every stage of the step that starts at t_k, so that a
#: rectangular pulse on the grid acts on exactly the steps it covers, with every solver (TVB's convention)
INPUT_MODES = {"linear": 0, "step": 1}
#: candidate block lengths (steps) for summing long delays in 'step' mode, and the cost model that picks one:
#: per connection and step, a blocked sum costs about BLOCK_COST[0] / K + BLOCK_COST[1] ns and a per-step
#: scattered read BLOCK_COST[2] ns (measured on TVB's 76- and 998-region connectomes)
BLOCK_LENGTHS = (1, 2, 4, 8, 16, 32, 64, 128)
BLOCK_COST = (30.0, 0.5, 8.0)


def block_length(step_delays: np.ndarray) -> int:
    """Block length ``K`` for 'step'-mode delayed sums: connections delayed by at least ``K`` steps are summed
    ``K`` steps at a time (their values are all in the history already); shorter ones are read every step.

    >>> block_length(np.array([0.0, 200.0, 300.0]))
    128
    >>> block_length(np.zeros(5))
    1
    """
    d = np.asarray(step_delays)
    if d.size == 0:
        return 1

    def cost(K):
        n_long = int(np.count_nonzero(d >= K)) if K > 1 else 0
        return n_long * (BLOCK_COST[0] / K + BLOCK_COST[1]) + (d.size - n_long) * BLOCK_COST[2]

    return min(BLOCK_LENGTHS, key=cost)


def _long_first(indptr: np.ndarray, cols, w, d, K: int):
    """Reorder each row's connections so that those delayed by >= K steps come first; return the split points."""
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    short = d < K
    order = np.lexsort((short, rows))
    n_long = np.bincount(rows[~short], minlength=len(indptr) - 1) if len(rows) else np.zeros(len(indptr) - 1, int)
    split = np.concatenate([indptr[:-1] + n_long, indptr[-1:]])
    return cols[order], w[order], d[order], split.astype(np.int64)


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
    hoists: tuple = ()     # (group index, Hoisting, number of nodes) of groups with hoisted constants
    ir: CircuitIR | None = None

    def state_name(self, q: int) -> str:
        """'node/op/var' of position ``q`` of the state vector (for messages)."""
        for k, (g, sym, st) in enumerate(self.layout.slots):
            o, n = self.off[k], self.ir.groups[g].n
            if st == "y" and o <= q < o + n:
                return f"{self.ir.groups[g].nodes[q - o]}/{self.ir.groups[g].var(sym).path}"
        return f"state[{q}]"

    def position(self, g: int, sym: str, i: int) -> tuple[str, int]:
        slot = self.layout.slot_of[(g, sym)]
        return self.layout.slots[slot][2], int(self.off[slot] + i)

    def refresh_hoisted(self) -> None:
        """Recompute the hoisted constants (:mod:`neurodyn.ir.hoist`) from the current parameters in
        ``p``. Called when the data are built and whenever parameters change (``Model.run(params=...)``)."""
        for gi, h, n in self.hoists:
            for name, val in h.evaluate({s: self._p_block(gi, s, n) for s in h.constants()}).items():
                self._p_block(gi, name, n)[:] = val

    def _p_block(self, g: int, sym: str, n: int) -> np.ndarray:
        """The values of parameter slot ``sym`` of group ``g`` (n nodes): a view of ``p``."""
        o = self.off[self.layout.slot_of[(g, sym)]]
        return self.p[o:o + n]


def build_data(ir: CircuitIR, step_size: float, t0: float = 0.0, ext: np.ndarray | None = None,
               ext_targets: list | None = None, ext_dt: float | None = None, delay_mode: str = "cubic",
               history_len: int = 1, input_mode: str = "linear") -> KernelData:
    """Assemble the kernel data.

    ``ext`` has one column per entry of ``ext_targets`` = [(group, sym, node index)], sampled every
    ``ext_dt`` from ``t0``; ``input_mode`` is how stages read it (see :data:`INPUT_MODES`).
    """
    if input_mode not in INPUT_MODES:
        raise InputError(f"input_interpolation must be one of {sorted(INPUT_MODES)}, got {input_mode!r}")
    layout = Layout.from_ir(ir)
    sizes = np.array([g.n for g in ir.groups], dtype=np.int64)
    off, total = layout.offsets(sizes)
    dtype = np.complex128 if ir.complex_system else np.float64
    y0 = np.zeros(total["y"], dtype=dtype)
    p = np.zeros(total["p"], dtype=dtype)
    for k, (g, sym, st) in enumerate(layout.slots):
        if sym.startswith((EXT, SNAP, HOIST)):
            continue
        vals = ir.groups[g].values[sym[len(DEF):] if sym.startswith(DEF) else sym]
        if st == "y":
            y0[off[k]:off[k] + sizes[g]] = vals
        elif st == "p":
            p[off[k]:off[k] + sizes[g]] = vals
    # projections, concatenated CSR
    hdr = np.zeros((max(len(ir.projections), 1), HDR_COLUMNS), dtype=np.int64)
    n_cache = 0
    indptrs, idxs, ws, ds = [], [], [], []
    ip = nz = 0
    delayed = []
    hist_cols: dict[tuple, int] = {}
    hs = []
    ncol = 0
    for k, pj in enumerate(ir.projections):
        tg = pj.target[0]
        indptr, cols, w, d = pj.csr(int(sizes[tg]))          # one copy's connections
        n_tgt, n_src = int(sizes[tg]) // pj.copies, int(sizes[pj.source[0]]) // pj.copies
        hdr[k, 0], hdr[k, 1], hdr[k, 4], hdr[k, 6] = ip, nz, n_src, pj.copies
        if not pj.delayed and len(cols) >= DENSE_FRACTION * n_tgt * n_src:
            # dense enough: store the full matrix, column-major (w[j * n_target + i] = W[i, j]): every backend
            # sums each row in source order, vectorised across rows (see runtime ``dense_accum``)
            dense = np.zeros((n_tgt, n_src))
            rows = np.repeat(np.arange(n_tgt), np.diff(indptr))
            np.add.at(dense, (rows, cols), w)
            hdr[k, 3] = 1
            cols, w, d = np.zeros(dense.size, dtype=np.int64), dense.ravel(order="F"), np.zeros(dense.size)
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
        delayed.append(pj.delayed)
        indptrs.append(indptr)
        idxs.append(cols)
        ws.append(w)
        ds.append(d)
        ip += len(indptr)
        nz += len(cols)
    # 'step' mode: long delays are summed in blocks of K steps (runtime_numba._block_fill), long ones first
    K = 1
    if delay_mode == "step" and any(delayed):
        K = block_length(np.concatenate([dd for dd, dl in zip(ds, delayed) if dl]))
    splits = []
    for k in range(len(indptrs)):
        if delayed[k] and K > 1:
            idxs[k], ws[k], ds[k], sp = _long_first(indptrs[k], idxs[k], ws[k], ds[k], K)
        else:
            sp = indptrs[k].copy()
        splits.append(sp)
    cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(1, dtype=dt)  # noqa: E731
    indptr, idx, w, d = cat(indptrs, np.int64), cat(idxs, np.int64), cat(ws, np.float64), cat(ds, np.float64)
    # history ring
    if hist_cols:
        max_d = max(float(np.max(pj.delays)) for pj in ir.projections if pj.delayed) / step_size
        L = max(int(np.ceil(max_d)) + 8, int(history_len) + 8)
        L = 1 << (L - 1).bit_length()  # a power of two: ring positions are a bit mask
        # rows are padded by one cache line: with a power-of-two row stride every row would map to the same
        # cache sets, and writing one step (a column) would evict itself (measured 2-3x slower per step)
        buf = np.zeros((ncol, L + 8), dtype=dtype)
    else:
        L = 1
        buf = np.zeros((1, 1), dtype=dtype)
    if delay_mode not in DELAY_MODES:
        raise InputError(f"unknown delay_mode {delay_mode!r}; valid: {sorted(DELAY_MODES)}")
    # [newest step, ring length, oldest step, mode, block length, block start per projection from BLOCK_START]
    bstate = np.array([0, L, 0, DELAY_MODES[delay_mode], K] + [-1] * len(ir.projections), dtype=np.int64)
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
    tinfo = np.array([t0, step_size, t0, edt, INPUT_MODES[input_mode]], dtype=np.float64)
    dcache = np.zeros(max(n_cache, 1), dtype=dtype)
    dblock = np.zeros(max(n_cache * K, 1) if K > 1 else 1, dtype=dtype)
    dint = np.rint(d).astype(np.int64) if delay_mode == "step" else np.zeros(1, dtype=np.int64)
    split = cat(splits, np.int64)
    M = (sizes, off, hdr, indptr, idx, w, d, ext_arr, ext_pos, tinfo, buf, bstate, hs_arr, dcache, dblock, dint,
         split)
    hoists = tuple((gi, h, g.n) for gi, g in enumerate(ir.groups) if (h := hoisted_values(g)).hoisted)
    data = KernelData(layout, off, y0, p, total["a"], M, np.dtype(dtype), hoists, ir)
    data.refresh_hoisted()
    return data


def prime_history(kernel, data: KernelData) -> None:
    """Fill the history ring of delayed sources with their values at t = 0 (held constant before it).

    Derived sources are evaluated twice, so that those depending on delayed inputs see a consistent history.
    """
    from neurodyn.backends.numpy.runtime import push_history
    y = data.y0.copy()
    a = np.zeros(max(data.n_a, 1), dtype=data.dtype)
    dy = np.zeros_like(y)
    M = data.M
    for _ in range(2):
        kernel.rhs(0.0, 0.0, y, dy, a, data.p, M)
        push_history(y, a, 0, M[12], M[0], M[1], M[10], M[11])
