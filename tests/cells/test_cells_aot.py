"""Ahead-of-time kernel libraries for cells (``NEURODYN_AOT=1``, :mod:`neurodyn.backends.numba.aot`).

What must hold: a library call with argument types other than those it was built for goes to the JIT instead of
reinterpreting memory; library names depend on the machine and the source. That a process loading the library
runs without Numba and gives traces bit-identical to the other tiers is tested in test_cells_tiers.py.
"""
from __future__ import annotations


import numpy as np
import pytest

from neurodyn.backends.numba import aot
from neurodyn.errors import InputError

def test_guard_sends_other_argument_types_to_the_jit():
    numba = pytest.importorskip("numba")
    from numba import types
    sig = (types.float64[:, ::1], types.int64, types.float64, types.boolean, types.uint64[::1])
    guards = [aot._guard_of(t) for t in sig]
    got = []
    fn = aot.GuardedFunction("f", lambda *a: got.append("aot") or "aot", guards,
                             lambda: (lambda *a: got.append("jit") or "jit"))
    good = (np.zeros((2, 3)), 3, 1.5, True, np.zeros(4, dtype=np.uint64))
    assert fn(*good) == "aot"
    bad = [
        (np.zeros((2, 3), dtype=np.int64),) + good[1:],          # dtype
        (np.zeros((3, 2)).T,) + good[1:],                         # not C-contiguous
        (np.zeros(6),) + good[1:],                                # ndim
        good[:1] + (3.0,) + good[2:],                             # float for int
        good[:1] + (True,) + good[2:],                            # bool for int
        good[:1] + (2 ** 63,) + good[2:],                         # out of int64 range
        good[:2] + (np.float32(1.5),) + good[3:],                 # float32 scalar
        good[:4] + (np.zeros(4, dtype=np.int64),),                # uint64 expected
        good[:4],                                                 # missing argument
    ]
    ro = np.zeros((2, 3))
    ro.flags.writeable = False
    bad.append((ro,) + good[1:])                                  # read-only: Numba types it separately
    for args in bad:
        assert fn(*args) == "jit", [type(a) for a in args]
    assert fn.calls == 1 + len(bad) and fn.fallbacks == len(bad)
    # tuples (the core kernels take their index arrays as one tuple) are checked element by element
    tup = aot._make_checker(aot._guard_of(types.Tuple((types.float64[::1], types.int64[::1]))))
    assert tup((np.zeros(2), np.zeros(3, dtype=np.int64)))
    assert not tup((np.zeros(2), np.zeros(3)))
    assert not tup([np.zeros(2), np.zeros(3, dtype=np.int64)])
    assert not tup((np.zeros(2),))
    assert aot._guard_of(types.unicode_type) is None              # not guardable: never exported
    del numba


def test_library_name_depends_on_machine_and_source(monkeypatch):
    a = aot.library_name("k1")
    assert aot.library_name("k2") != a
    monkeypatch.setattr(aot, "_cpu_description", lambda: "model name: another CPU\nflags: sse2")
    assert aot.library_name("k1") != a


def test_env_switch_is_validated(monkeypatch):
    for value, expected in (("1", True), ("on", True), ("0", False), ("", False), ("off", False)):
        monkeypatch.setenv(aot.ENV, value)
        assert aot.enabled() is expected
    monkeypatch.setenv(aot.ENV, "maybe")
    with pytest.raises(InputError, match="NEURODYN_AOT"):
        aot.enabled()


def test_missing_library_loads_as_none(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURODYN_CACHE_DIR", str(tmp_path))
    assert aot.load_library("no-such-kernel") is None
    with pytest.raises(aot.AotBuildError, match="nothing to build"):
        aot.build_library("k", [])
