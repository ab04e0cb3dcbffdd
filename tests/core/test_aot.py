"""Ahead-of-time kernel libraries for the core (``NEURODYN_AOT=1``, :mod:`neurodyn.backends.numba.aot`).

Three fresh processes per case, sharing one cache directory: JIT only (``NEURODYN_AOT=0``), the first AOT
process (runs the JIT kernel, then builds the library), and a process that loads the library. Must hold: the
last one never imports Numba, says so in the provenance, and every output is bit-identical to the JIT run's
(the library is the same compiled code for the same CPU); a run whose argument types differ from the
library's goes to the JIT instead of reading memory with the wrong type.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

# JRC with a driven input (Euler), and a delayed two-oscillator ring with additive noise (stochastic Heun): the
# delayed one also calls the kernel's rhs from Python (history initialisation).
SCRIPT = r'''
import json, sys
import numpy as np
import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
u = 120.0 + 40.0 * np.sin(np.linspace(0.0, 20.0, 5000))
jrc = nd.integrate("model_templates.neural_mass_models.jansenrit.JRC", 0.5, 1e-4,
                   outputs={"v": "pc/rpo_e_in/v"}, inputs={"pc/rpo_e_in/u": u}, solver="euler")
rot = OperatorTemplate("aot_rot", ["x' = -0.1*x - w*y + c", "y' = w*x - 0.1*y"],
                       {"x": "output(1.0)", "y": "variable(0.0)", "w": 3.0, "c": "input(0.0)"})
circ = CircuitTemplate("aot_ring", nodes={"a": NodeTemplate("aot_rot_node", [rot]),
                                          "b": NodeTemplate("aot_rot_node", [rot])},
                       edges=[("a/aot_rot/x", "b/aot_rot/c", None, {"weight": 0.5, "delay": 0.2}),
                              ("b/aot_rot/x", "a/aot_rot/c", None, {"weight": 0.5, "delay": 0.3})])
ring = nd.integrate(circ, 2.0, 1e-3, outputs={"x": "all/aot_rot/x", "y": "all/aot_rot/y"}, solver="heun",
                    noise={"a/aot_rot/x": 0.05}, seed=7)
np.savez(sys.argv[1], jrc=jrc.to_numpy(), ring=ring.to_numpy())
print("FACTS" + json.dumps({"numba": "numba" in sys.modules,
                            "aot": [df.attrs["provenance"].get("aot_library") for df in (jrc, ring)]}))
'''


def _run(tmp_path, out: str, flag: str) -> dict:
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path / "cache"), NEURODYN_AOT=flag)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / out)], capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("FACTS")][0]
    facts = json.loads(line[5:])
    facts["stderr"] = proc.stderr
    facts["data"] = dict(np.load(tmp_path / out))
    return facts


def test_core_aot_library_matches_jit_without_numba(tmp_path):
    pytest.importorskip("numba.pycc", reason="numba.pycc (Numba's AOT compiler) is not available")
    jit = _run(tmp_path, "jit.npz", "0")
    assert jit["numba"] and jit["aot"] == [None, None]
    built = _run(tmp_path, "built.npz", "1")
    assert built["stderr"].count("built the ahead-of-time kernel library") == 2, built["stderr"][-2000:]
    lib = _run(tmp_path, "lib.npz", "1")
    assert not lib["numba"], "a process with AOT libraries must not import Numba"
    assert all(name and name.startswith("nd_aot_") for name in lib["aot"])
    for key in ("jrc", "ring"):
        assert lib["data"][key].dtype == jit["data"][key].dtype
        assert np.array_equal(lib["data"][key], jit["data"][key]), key
        assert np.array_equal(built["data"][key], jit["data"][key]), key
    assert np.ptp(lib["data"]["jrc"]) > 1e-3 and np.ptp(lib["data"]["ring"]) > 0.5     # not vacuous


def test_mismatched_arguments_go_to_the_jit(tmp_path, monkeypatch):
    """An EntryPoints object whose library exports other types: the run still gives the JIT's result."""
    pytest.importorskip("numba.pycc", reason="numba.pycc (Numba's AOT compiler) is not available")
    import neurodyn as nd
    from neurodyn.backends.numba import aot
    from numba import types

    model = nd.compile_model("model_templates.neural_mass_models.jansenrit.JRC")
    ref = model.run(0.05, 1e-4, outputs={"v": "pc/rpo_e_in/v"}).to_numpy()
    k = model.kernel
    calls = []
    wrong = [aot._guard_of(types.float32[::1])]       # a signature no real call matches
    guarded = aot.GuardedFunction("run_fixed", lambda *a: calls.append(a), wrong,
                                  lambda: k.module.run_fixed)
    monkeypatch.setattr(k, "run_fixed", guarded)
    got = model.run(0.05, 1e-4, outputs={"v": "pc/rpo_e_in/v"}).to_numpy()
    assert not calls and guarded.fallbacks >= 1
    assert np.array_equal(got, ref)
