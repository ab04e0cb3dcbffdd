"""The on-disk IR cache (:mod:`neurodyn.ir.cache`).

Must hold: a second process compiling the same circuit loads the IR instead of building it and never imports
SymPy, with bit-identical results (also after ``params=`` changes, which re-evaluate the hoisted constants from
their stored NumPy evaluators); anything that changes the circuit changes the key (so a stale IR is never used);
a damaged entry is rebuilt with a warning; the directory stays bounded.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.ir import cache as ir_cache
from neurodyn.frontend import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.lang.templates import MatrixEdges

JRC = "model_templates.neural_mass_models.jansenrit.JRC"

SCRIPT = r'''
import json, sys
import numpy as np
from neurodyn import compile_model
from neurodyn.ir.cache import ir_cache_dir
m = compile_model("model_templates.neural_mass_models.jansenrit.JRC")
a = m.run(0.2, 1e-4, outputs={"v": "pc/rpo_e_in/v"}).to_numpy()
b = m.run(0.2, 1e-4, outputs={"v": "pc/rpo_e_in/v"}, params={"pc/rpo_e_in/tau": 0.012}).to_numpy()
np.savez(sys.argv[1], a=a, b=b)
print("FACTS" + json.dumps({"sympy": "sympy" in sys.modules, "files": len(list(ir_cache_dir().glob("*.pkl")))}))
'''


def _run(tmp_path, out):
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path / "cache"), NEURODYN_AOT="0")
    env.pop(ir_cache.ENV, None)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / out)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("FACTS")][0][5:])
    facts.update(np.load(tmp_path / out))
    return facts


def test_second_process_loads_the_ir_without_sympy(tmp_path):
    first = _run(tmp_path, "first.npz")
    assert first["sympy"] and first["files"] == 1
    second = _run(tmp_path, "second.npz")
    assert not second["sympy"], "a cached IR must run without importing SymPy"
    assert second["files"] == 1
    assert np.array_equal(first["a"], second["a"])
    assert np.array_equal(first["b"], second["b"])           # hoisted constants refreshed after params=
    assert not np.array_equal(first["a"], first["b"])         # the parameter change mattered


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURODYN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(ir_cache.ENV, raising=False)
    return tmp_path


def _op(eq="x' = -x/tau + u", tau=0.5):
    return OperatorTemplate("irc_op", [eq], {"x": "output(1.0)", "tau": tau, "u": "input(0.0)"})


def _circuit(eq="x' = -x/tau + u", tau=0.5, weight=0.3, order=("a", "b"), name="irc"):
    node = NodeTemplate("irc_node", [_op(eq, tau)])
    return CircuitTemplate(name, nodes={k: node for k in order},
                           edges=[("a/irc_op/x", "b/irc_op/u", None, {"weight": weight})])


def test_every_change_of_the_circuit_changes_the_key():
    base = ir_cache.circuit_key(_circuit(), (), None)
    assert ir_cache.circuit_key(_circuit(), (), None) == base
    variants = [
        ir_cache.circuit_key(_circuit(eq="x' = -x/tau + 2*u"), (), None),
        ir_cache.circuit_key(_circuit(tau=0.25), (), None),
        ir_cache.circuit_key(_circuit(weight=0.31), (), None),
        ir_cache.circuit_key(_circuit(order=("b", "a")), (), None),
        ir_cache.circuit_key(_circuit(name="other"), (), None),
        ir_cache.circuit_key(_circuit(), ("a/irc_op/u",), None),
        ir_cache.circuit_key(_circuit(), (), 1e-3),
    ]
    assert len(set(variants + [base])) == len(variants) + 1
    # a large weight matrix differing in one element (its repr would be abbreviated and look the same)
    names = [f"n{i}" for i in range(40)]
    node = NodeTemplate("irc_node", [_op()])
    W = np.full((40, 40), 0.01)
    W2 = W.copy()
    W2[19, 17] = 0.02
    assert repr(W) == repr(W2)                                # what a repr-based hash would have seen
    keys = []
    for w in (W, W.copy(), W2):
        c = CircuitTemplate("irc_m", nodes={k: node for k in names},
                            matrix_edges=[MatrixEdges("irc_op/x", "irc_op/u", names, names, w)])
        keys.append(ir_cache.circuit_key(c, (), None))
    assert keys[0] == keys[1] != keys[2]


def test_loaded_ir_equals_the_built_one(cache):
    from neurodyn.ir import build_ir
    circ = CircuitTemplate.from_yaml(JRC)
    built = build_ir(circ)
    first = ir_cache.cached_build_ir(circ)                    # builds and stores
    path = ir_cache.ir_cache_dir() / f"{ir_cache.circuit_key(circ, (), None)}.pkl"
    assert path.is_file()
    with open(path, "rb") as f:
        loaded = pickle.load(f)["ir"]
    assert loaded.structure_hash() == built.structure_hash() == first.structure_hash()
    for gb, gl in zip(built.groups, loaded.groups):
        assert gb.nodes == gl.nodes
        for vb, vl in zip(gb.variables, gl.variables):
            assert vb == vl                                   # includes the lazily unpickled expression
        for k in gb.values:
            assert np.array_equal(gb.values[k], gl.values[k])


def test_results_identical_with_and_without_the_cache(cache, monkeypatch):
    kw = dict(outputs={"v": "pc/rpo_e_in/v"}, params={"pc/rpo_e_in/h": 3.5})
    fresh = nd.compile_model(JRC).run(0.1, 1e-4, **kw).to_numpy()
    from neurodyn.ir import hoist
    cached = ir_cache.cached_build_ir(CircuitTemplate.from_yaml(JRC))
    for g in cached.groups:        # forget the in-process hoisting so the stored evaluators are used
        hoist._VALUES.pop(g, None)
    path = next(ir_cache.ir_cache_dir().glob("*.pkl"))
    with open(path, "rb") as f:
        entry = pickle.load(f)
    for gi, values in entry["hoists"].items():
        hoist.install_hoisted_values(entry["ir"].groups[gi], values)
        assert all(f is None for (_a, _s, _g, f) in values.funcs.values())   # rebuilt from source
    from neurodyn.backends.cache import load_kernel
    from neurodyn.simulate import Model
    model = Model(entry["ir"], load_kernel(entry["ir"], "numba"), "numba")
    again = model.run(0.1, 1e-4, **kw).to_numpy()
    assert np.array_equal(fresh, again)


def test_damaged_entry_is_rebuilt_with_a_warning(cache):
    circ = _circuit(name="irc_damaged")
    ir_cache.cached_build_ir(circ)
    path = ir_cache.ir_cache_dir() / f"{ir_cache.circuit_key(circ, (), None)}.pkl"
    path.write_bytes(b"not a pickle")
    with pytest.warns(RuntimeWarning, match="ignoring the cached IR"):
        ir = ir_cache.cached_build_ir(circ)
    assert ir.groups and pickle.loads(path.read_bytes())["ir"].structure_hash() == ir.structure_hash()


def test_cache_is_bounded_and_can_be_switched_off(cache, monkeypatch):
    monkeypatch.setattr(ir_cache, "MAX_ENTRIES", 2)
    for tau in (0.1, 0.2, 0.3):
        ir_cache.cached_build_ir(_circuit(tau=tau, name="irc_lru"))
    assert len(list(ir_cache.ir_cache_dir().glob("*.pkl"))) == 2
    monkeypatch.setenv(ir_cache.ENV, "0")
    before = set(ir_cache.ir_cache_dir().glob("*.pkl"))
    ir_cache.cached_build_ir(_circuit(tau=0.4, name="irc_off"))
    assert set(ir_cache.ir_cache_dir().glob("*.pkl")) == before


def test_a_swapped_entry_is_never_run_as_another_model(cache):
    """Each entry carries its own key: copying model A's file over model B's name is detected (B is rebuilt,
    with a warning), so B never runs A's equations."""
    a, b = _circuit(tau=0.1, name="irc_swap_a"), _circuit(tau=0.7, name="irc_swap_b")
    ir_a = ir_cache.cached_build_ir(a)
    ir_cache.cached_build_ir(b)
    d = ir_cache.ir_cache_dir()
    path_a, path_b = d / f"{ir_cache.circuit_key(a, (), None)}.pkl", d / f"{ir_cache.circuit_key(b, (), None)}.pkl"
    path_b.write_bytes(path_a.read_bytes())
    with pytest.warns(RuntimeWarning, match="stored under the key"):
        ir_b = ir_cache.cached_build_ir(b)
    assert ir_b.name == "irc_swap_b" and ir_a.name == "irc_swap_a"
    assert pickle.loads(path_b.read_bytes())["key"] == path_b.stem       # rebuilt and stored under its own key


def test_total_bytes_are_capped_and_huge_irs_are_not_stored(cache, monkeypatch):
    for tau in (0.1, 0.2, 0.3):
        ir_cache.cached_build_ir(_circuit(tau=tau, name="irc_bytes"))
    sizes = [p.stat().st_size for p in ir_cache.ir_cache_dir().glob("*.pkl")]
    monkeypatch.setattr(ir_cache, "MAX_BYTES", int(1.5 * max(sizes)))
    ir_cache.cached_build_ir(_circuit(tau=0.4, name="irc_bytes"))
    assert len(list(ir_cache.ir_cache_dir().glob("*.pkl"))) == 1        # only the newest fits the cap
    monkeypatch.setattr(ir_cache, "MAX_ENTRY_BYTES", 10)
    circ = _circuit(tau=0.5, name="irc_bytes")
    ir_cache.cached_build_ir(circ)
    assert not (ir_cache.ir_cache_dir() / f"{ir_cache.circuit_key(circ, (), None)}.pkl").exists()
