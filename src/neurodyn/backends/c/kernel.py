"""A compiled C kernel library as a kernel object: ``rhs`` and ``run_fixed`` with the Numba kernel's signatures.

The data tuple ``M`` (:mod:`neurodyn.backends.data`) becomes one C struct of pointers (built once per tuple);
every array handed to the library is checked for dtype, contiguity and writeability first, so a mismatch is a
typed error, never memory corruption.
"""
from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from neurodyn.errors import NeurodynError

__all__ = ["ABI_VERSION", "CKernel", "CKernelError"]

#: version of the exported C interface (checked after a library is loaded)
ABI_VERSION = 1

_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_P = ctypes.c_void_p
_D = ctypes.c_double
_L = ctypes.c_int64


class CKernelError(NeurodynError, TypeError):
    """An array handed to a C kernel has the wrong dtype, layout or shape."""


class _Data(ctypes.Structure):
    _fields_ = [("sizes", _P), ("off", _P), ("hdr", _P), ("indptr", _P), ("idx", _P), ("w", _P), ("d", _P),
                ("ext", _P), ("ext_rows", _L), ("ext_cols", _L), ("ext_pos", _P), ("n_ext_pos", _L),
                ("tinfo", _P), ("buf", _P), ("buf_stride", _L), ("bstate", _P), ("n_bstate", _L), ("hs", _P),
                ("n_hs", _L), ("dcache", _P), ("dblock", _P), ("dint", _P), ("split", _P)]


def _ptr(arr: np.ndarray, dtype: np.dtype, name: str, writeable: bool = False) -> int:
    if not isinstance(arr, np.ndarray) or arr.dtype != dtype or not arr.flags.c_contiguous:
        got = f"{arr.dtype} {'contiguous' if arr.flags.c_contiguous else 'strided'}" \
            if isinstance(arr, np.ndarray) else type(arr).__name__
        raise CKernelError(f"C kernel argument {name!r} must be a C-contiguous {dtype} array, got {got}")
    if writeable and not arr.flags.writeable:
        raise CKernelError(f"C kernel argument {name!r} must be writeable")
    return arr.ctypes.data


_M_FIELDS = (("sizes", _I64), ("off", _I64), ("hdr", _I64), ("indptr", _I64), ("idx", _I64), ("w", _F64),
             ("d", _F64), ("ext", _F64), ("ext_pos", _I64), ("tinfo", _F64), ("buf", _F64), ("bstate", _I64),
             ("hs", _I64), ("dcache", _F64), ("dblock", _F64), ("dint", _I64), ("split", _I64))


class CKernel:
    """The entry points of one compiled kernel library (``path``)."""

    backend = "c"

    def __init__(self, lib: ctypes.CDLL, abi: int):
        self.path = Path(lib._name)
        if lib.nd_abi() != abi:
            raise OSError(f"{self.path} has ABI {lib.nd_abi()}, expected {abi}")
        self._lib = lib
        lib.nd_rhs.argtypes = [_D, _D, _P, _P, _P, _P, _P]
        lib.nd_rhs.restype = None
        lib.nd_run_fixed.argtypes = ([_P, _P, _P, _P, _D, _D, _L, _L, _P, _P, _P, _P, _L, _P, _P, _L, _P, _L, _P,
                                      _P, _L, _P, _L, _L, _P, _P, _P, _L, _P, _P, _P, _L, _P])
        lib.nd_run_fixed.restype = None
        self._structs: dict[int, tuple] = {}

    def _data(self, M: tuple) -> ctypes.Structure:
        hit = self._structs.get(id(M))
        if hit is not None and hit[0] is M:
            return hit[1]
        if len(M) != len(_M_FIELDS):
            raise CKernelError(f"kernel data has {len(M)} arrays, expected {len(_M_FIELDS)}")
        ptrs = {}
        for (name, dtype), arr in zip(_M_FIELDS, M):
            ptrs[name] = _ptr(arr, dtype, f"M.{name}", writeable=name in ("buf", "bstate", "dcache", "dblock"))
        ext, buf = M[7], M[10]
        s = _Data(ptrs["sizes"], ptrs["off"], ptrs["hdr"], ptrs["indptr"], ptrs["idx"], ptrs["w"], ptrs["d"],
                  ptrs["ext"], ext.shape[0], ext.shape[1], ptrs["ext_pos"], M[8].size, ptrs["tinfo"], ptrs["buf"],
                  buf.shape[1], ptrs["bstate"], M[11].size, ptrs["hs"], M[12].shape[0], ptrs["dcache"],
                  ptrs["dblock"], ptrs["dint"], ptrs["split"])
        if len(self._structs) > 16:
            self._structs.clear()
        self._structs[id(M)] = (M, s)       # keeps M alive while its struct is cached
        return s

    def rhs(self, t, tn, y, dy, a, p, M) -> None:
        """Derivatives ``dy`` at time ``t`` (within the step from ``tn``); fills the work array ``a``."""
        self._lib.nd_rhs(float(t), float(tn), _ptr(y, _F64, "y"), _ptr(dy, _F64, "dy", True),
                         _ptr(a, _F64, "a", True), _ptr(p, _F64, "p"), ctypes.byref(self._data(M)))

    def run_fixed(self, y, a, p, M, t0, h, step0, nsteps, A, B, C, noise_stage, g_pos, g_sig, xi, rec_every,
                  rec_kind, rec_pos, out, row0, c_pos, c_lo, c_hi, K, ytmp, acc_v):
        """The compiled fixed-step loop (see :mod:`neurodyn.backends.pysource`); returns (bad state, step)."""
        s, ny, nn = B.size, y.size, g_pos.size
        if A.shape != (s, s) or K.shape != (s, ny) or xi.shape != (int(nsteps), nn) or \
                (out.ndim != 2 or out.shape[1] != rec_pos.size) or rec_kind.size != rec_pos.size:
            raise CKernelError("C kernel run_fixed: inconsistent array shapes "
                               f"(A {A.shape}, K {K.shape}, xi {xi.shape}, out {out.shape}, s {s}, ny {ny})")
        result = np.zeros(2, dtype=np.int64)
        self._lib.nd_run_fixed(
            _ptr(y, _F64, "y", True), _ptr(a, _F64, "a", True), _ptr(p, _F64, "p"), ctypes.byref(self._data(M)),
            float(t0), float(h), int(step0), int(nsteps), _ptr(A, _F64, "A"), _ptr(B, _F64, "B"),
            _ptr(C, _F64, "C"), _ptr(noise_stage, _I64, "noise_stage"), s, _ptr(g_pos, _I64, "g_pos"),
            _ptr(g_sig, _F64, "g_sig"), nn, _ptr(xi, _F64, "xi"), int(rec_every), _ptr(rec_kind, _I64, "rec_kind"),
            _ptr(rec_pos, _I64, "rec_pos"), rec_pos.size, _ptr(out, _F64, "out", True), out.shape[0], int(row0),
            _ptr(c_pos, _I64, "c_pos"), _ptr(c_lo, _F64, "c_lo"), _ptr(c_hi, _F64, "c_hi"), c_pos.size,
            _ptr(K, _F64, "K", True), _ptr(ytmp, _F64, "ytmp", True), _ptr(acc_v, _F64, "acc_v", True), ny,
            result.ctypes.data)
        return int(result[0]), int(result[1])

    def maybe_build_aot(self):
        """Nothing to do: a C kernel is compiled ahead of time already."""
        return None

    def __repr__(self) -> str:
        return f"<CKernel {self.path.name}>"
