"""The C backend as the default compiled tier (:mod:`neurodyn.backends.c`).

Fresh processes sharing one cache directory: Numba only (``NEURODYN_BACKEND=numba``), the first ``auto`` process
(generates and compiles the C kernel), and a warm ``auto`` process. Must hold: the warm process imports neither
Numba nor SymPy; every output is bit-identical to Numba's; a damaged library is detected by its checksum and
rebuilt with a warning; without a compiler, or when it fails, Numba runs the model (a failure says so); a C kernel
refuses arrays of the wrong type instead of reading memory with the wrong type.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from neurodyn.backends.cbuild import find_compiler

pytestmark = pytest.mark.skipif(find_compiler() is None, reason="no C compiler: the C backend is off")

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
rot = OperatorTemplate("cb_rot", ["x' = -0.1*x - w*y + c", "y' = w*x - 0.1*y"],
                       {"x": "output(1.0)", "y": "variable(0.0)", "w": 3.0, "c": "input(0.0)"})
circ = CircuitTemplate("cb_ring", nodes={"a": NodeTemplate("cb_rot_node", [rot]),
                                         "b": NodeTemplate("cb_rot_node", [rot])},
                       edges=[("a/cb_rot/x", "b/cb_rot/c", None, {"weight": 0.5, "delay": 0.2}),
                              ("b/cb_rot/x", "a/cb_rot/c", None, {"weight": 0.5, "delay": 0.3})])
ring = nd.integrate(circ, 2.0, 1e-3, outputs={"x": "all/cb_rot/x", "y": "all/cb_rot/y"}, solver="heun",
                    noise={"a/cb_rot/x": 0.05}, seed=7)
np.savez(sys.argv[1], jrc=jrc.to_numpy(), ring=ring.to_numpy())
print("FACTS" + json.dumps({"numba": "numba" in sys.modules, "sympy": "sympy" in sys.modules,
                            "backend": [df.attrs["provenance"]["backend"] for df in (jrc, ring)]}))
'''


def _run(tmp_path, out: str, **env_extra) -> dict:
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path / "cache"), **env_extra)
    env.setdefault("NEURODYN_BACKEND", "auto")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / out)], capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("FACTS")][0][5:])
    facts["stderr"] = proc.stderr
    facts["data"] = dict(np.load(tmp_path / out))
    return facts


def _same(a, b):
    for key in ("jrc", "ring"):
        assert np.array_equal(a["data"][key], b["data"][key]), key


def test_warm_process_runs_without_numba_or_sympy_and_matches_numba(tmp_path):
    ref = _run(tmp_path, "numba.npz", NEURODYN_BACKEND="numba")
    assert ref["numba"] and ref["backend"] == ["numba", "numba"]
    first = _run(tmp_path, "first.npz")
    assert first["backend"] == ["c", "c"] and not first["numba"]
    warm = _run(tmp_path, "warm.npz")
    assert warm["backend"] == ["c", "c"]
    assert not warm["numba"] and not warm["sympy"], "a warm process must import neither Numba nor SymPy"
    _same(first, ref)
    _same(warm, ref)
    assert np.ptp(warm["data"]["jrc"]) > 1e-3 and np.ptp(warm["data"]["ring"]) > 0.5     # not vacuous


def test_damaged_library_is_rebuilt_with_a_warning(tmp_path):
    ref = _run(tmp_path, "first.npz")
    libs = sorted((tmp_path / "cache").rglob("*.so"))
    assert len(libs) == 2
    data = bytearray(libs[0].read_bytes())
    data[len(data) // 2] ^= 0xFF                     # one flipped byte
    libs[0].write_bytes(bytes(data))
    again = _run(tmp_path, "again.npz")
    assert "is damaged" in again["stderr"] and again["backend"] == ["c", "c"]
    _same(again, ref)


def test_no_compiler_or_a_failing_one_falls_back_to_numba(tmp_path):
    ref = _run(tmp_path, "ref.npz", NEURODYN_BACKEND="numba")
    off = _run(tmp_path, "off.npz", NEURODYN_CC="none")
    assert off["backend"] == ["numba", "numba"] and "Numba backend instead" not in off["stderr"]
    _same(off, ref)
    other = tmp_path / "other"
    other.mkdir()
    bad = _run(other, "bad.npz", NEURODYN_CC="/bin/false")              # a "compiler" that always fails
    assert bad["backend"] == ["numba", "numba"]
    assert "/bin/false failed" in bad["stderr"] and "using the Numba backend instead" in bad["stderr"], \
        bad["stderr"][-2000:]


def test_c_kernel_refuses_arrays_of_the_wrong_type():
    import neurodyn as nd
    from neurodyn.backends.c.kernel import CKernelError
    from neurodyn.backends.data import build_data
    model = nd.compile_model("qif", backend="c")
    data = build_data(model.ir, 1e-3)
    y, a = data.y0.copy(), np.zeros(max(data.n_a, 1))
    dy = np.empty_like(y)
    model.kernel.rhs(0.0, 0.0, y, dy, a, data.p, data.M)            # the right types work
    with pytest.raises(CKernelError, match="float64"):
        model.kernel.rhs(0.0, 0.0, y.astype(np.float32), dy, a, data.p, data.M)
    with pytest.raises(CKernelError, match="contiguous"):
        model.kernel.rhs(0.0, 0.0, np.repeat(y, 2)[::2], dy, a, data.p, data.M)
    with pytest.raises(CKernelError, match="int64"):
        model.kernel.rhs(0.0, 0.0, y, dy, a, data.p, (data.M[0].astype(np.int32),) + data.M[1:])


def test_a_new_kernel_compiles_in_the_background_and_is_the_loaded_one(tmp_path):
    """start_kernel returns while the compiler runs (compile_model stores the IR and imports pandas meanwhile);
    its result is the kernel load_kernel gives, and it computes what Numba computes."""
    import neurodyn as nd
    from neurodyn.backends.cache import load_kernel, start_kernel
    from neurodyn.backends.data import build_data
    from neurodyn.ir import build_ir
    from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate
    op = OperatorTemplate("bg_leak", ["x' = -x/tau + u"], {"x": "output(1.0)", "tau": 0.7, "u": "input(0.3)"})
    ir = build_ir(CircuitTemplate("bg", nodes={"n": NodeTemplate("bg_node", [op])}))
    with nd.set_options(cache_dir=str(tmp_path)):
        build = start_kernel(ir, "c")
        assert build.building                     # a new structure: gcc is still running when start_kernel returns
        kernel = build.result()
        assert not build.building and kernel.backend == "c"
        assert load_kernel(ir, "c") is kernel
        numba = load_kernel(ir, "numba")
    data = build_data(ir, 1e-3)
    outs = []
    for k in (kernel, numba):
        y, a, dy = data.y0.copy(), np.zeros(max(data.n_a, 1)), np.empty_like(data.y0)
        k.rhs(0.0, 0.0, y, dy, a, data.p, data.M)
        outs.append(dy.copy())
    np.testing.assert_array_equal(outs[0], outs[1])
    assert outs[0][0] == pytest.approx(-1.0 / 0.7 + 0.3, rel=1e-15)
