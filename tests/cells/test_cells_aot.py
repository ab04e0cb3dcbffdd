"""Ahead-of-time kernel libraries for cells (``NEURODYN_AOT=1``, :mod:`neurodyn.backends.numba.aot`).

What must hold: a process that loads the library runs without importing Numba (or SciPy) and gives traces
and spike times bit-identical to the JIT kernel's (same machine code source, same CPU flags); a library call
with argument types other than those it was built for goes to the JIT instead of reinterpreting memory.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurodyn.backends.numba import aot
from neurodyn.errors import InputError

# A ring of 4 cells (hh soma + pas dendrite), NetCon chain, one regular and one noisy NetStim (Random123
# streams, seed()), recorded soma voltages and spikes; prints what the test compares plus the process facts.
SCRIPT = r'''
import json, sys
import numpy as np
from neurodyn.cells import h
cells = []
for i in range(4):
    soma = h.Section(name="soma"); soma.L = soma.diam = 12.6157; soma.insert("hh")
    dend = h.Section(name="dend"); dend.L = 200; dend.nseg = 11; dend.diam = 1; dend.insert("pas")
    dend.g_pas = 0.001; dend.e_pas = -65
    dend.connect(soma(1))
    cells.append((soma, dend, h.ExpSyn(dend(0.5))))
keep, spikes = [], []
for i in range(4):
    nc = h.NetCon(cells[i][0](0.5)._ref_v, cells[(i + 1) % 4][2], sec=cells[i][0])
    nc.weight[0] = 0.04; nc.delay = 1
    vec = h.Vector(); nc.record(vec); spikes.append(vec); keep.append(nc)
stim = h.NetStim(); stim.number = 1; stim.start = 5
noisy = h.NetStim(); noisy.number = 20; noisy.start = 2; noisy.interval = 5; noisy.noise = 0.7; noisy.seed(3)
for src, tgt in ((stim, 0), (noisy, 2)):
    nc = h.NetCon(src, cells[tgt][2]); nc.delay = 1; nc.weight[0] = 0.04; keep.append(nc)
rec = [h.Vector().record(c[0](0.5)._ref_v) for c in cells]
h.dt = 0.025
h.finitialize(-65)
h.continuerun(60.0)
from neurodyn.cells.model import default_model
k = default_model()._state.kernel
calls = {n: [getattr(getattr(k, n), "calls", -1), getattr(getattr(k, n), "fallbacks", -1)]
         for n in ("advance", "record", "initialize_states", "count_steps", "deliver_events")}
np.save(sys.argv[1], np.array([np.array(v) for v in rec]))
print("FACTS" + json.dumps({"numba": "numba" in sys.modules, "scipy": "scipy" in sys.modules,
                            "aot": k.aot is not None, "calls": calls,
                            "spikes": [list(np.array(v)) for v in spikes]}))
'''


def _run(tmp_path: Path, out: str, aot_flag: str) -> dict:
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path / "cache"), NEURODYN_AOT=aot_flag)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / out)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = [ln for ln in proc.stdout.splitlines() if ln.startswith("FACTS")]
    assert facts, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(facts[0][5:])
    result["stderr"] = proc.stderr
    result["v"] = np.load(tmp_path / out)
    return result


def test_aot_library_runs_without_numba_and_matches_jit(tmp_path):
    pytest.importorskip("numba.pycc", reason="numba.pycc (Numba's AOT compiler) is not available")
    jit = _run(tmp_path, "jit.npy", "0")
    assert jit["numba"] and not jit["aot"]
    built = _run(tmp_path, "built.npy", "1")            # JIT run that builds the library in finitialize
    assert "built the ahead-of-time kernel library" in built["stderr"], built["stderr"][-2000:]
    lib = _run(tmp_path, "aot.npy", "1")                # loads the library
    assert lib["aot"]
    assert not lib["numba"], "a process with an AOT library must not import Numba"
    assert not lib["scipy"]
    for name, (calls, fallbacks) in lib["calls"].items():
        assert calls >= 1 and fallbacks == 0, (name, calls, fallbacks)
    # the same machine code from the same source: bit-identical traces and spike times
    assert np.array_equal(lib["v"], jit["v"])
    assert np.array_equal(built["v"], jit["v"])
    assert lib["spikes"] == jit["spikes"]
    assert sum(map(len, jit["spikes"])) >= 4          # the ring fired (the comparison is not vacuous)
    # without the switch the library is ignored
    off = _run(tmp_path, "off.npy", "0")
    assert off["numba"] and not off["aot"]


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
