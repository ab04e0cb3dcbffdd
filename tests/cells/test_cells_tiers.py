"""The cells' kernel tiers give bit-identical results, and every fallback works (neurodyn.cells.kernel).

Tiers: ``c`` (generated C, the default when a compiler exists), ``jit`` (Numba), ``aot`` (numba.pycc library).
They run the same scheme operation for operation, so traces, spike times and states must be EQUAL (not close):
the comparison is ``np.array_equal``. Each tier runs in a fresh process (so the tests also check which
libraries a process imports: the C tier and a loaded AOT library never import Numba), on the three-cell chain
(BE), the branched cell (BE and Crank-Nicolson: IClamps, ExpSyn, Exp2Syn, NetStim switched on by a NetCon, hh
range variables) and a 4-cell ring with a noisy NetStim (Random123 streams, seed()).

Fallbacks: no C compiler -> Numba with a one-line notice (``cells_kernel='c'`` -> CellError instead);
numba.pycc missing -> JIT with a one-line notice; a damaged library -> rebuilt with a warning; processes
compiling the same kernel at once -> all succeed with the same results.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurodyn import set_options
from neurodyn.backends import cbuild
from neurodyn.cells import CellModel, Mechanism, register_mechanism
from neurodyn.cells.errors import CellError

HERE = Path(__file__).resolve().parent
SCRIPT = r'''
import json, sys
sys.path.insert(0, {here!r})
{prelude}
import numpy as np
import cells_models as cm
from neurodyn.cells import CellModel, HocFacade, h
out, tiers = {{}}, set()
for name, so in (("build_chain", 0), ("build_branched", 0), ("build_branched", 2)):
    hh = HocFacade(CellModel())
    keep, res = cm.run(hh, getattr(cm, name), 40.0, 0.025, so)
    tiers.add(hh.model.kernel_tier)
    out.update({{f"{{name}}{{so}}/{{k}}": v for k, v in res.items()}})
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
noisy = h.NetStim(); noisy.number = 20; noisy.start = 2; noisy.interval = 5; noisy.noise = 0.7
for src, tgt in ((stim, 0), (noisy, 2)):
    nc = h.NetCon(src, cells[tgt][2]); nc.delay = 1; nc.weight[0] = 0.04; keep.append(nc)
rec = [h.Vector().record(c[0](0.5)._ref_v) for c in cells]
h.dt = 0.025
h.finitialize(-65)
noisy.seed(3)
h.continuerun(30.0)
h.continuerun(60.0)
tiers.add(h.model.kernel_tier)
out.update({{f"ring/v{{i}}": np.array(v) for i, v in enumerate(rec)}})
out.update({{f"ring/spikes{{i}}": np.array(v) for i, v in enumerate(spikes)}})
np.savez(sys.argv[1], **out)
print("FACTS" + json.dumps({{"numba": "numba" in sys.modules, "tiers": sorted(tiers),
                             "kernel": h.model.provenance()["kernel"]}}))
'''


def _run(tmp_path: Path, label: str, tier: str, cache: Path, env_extra=None, prelude: str = "") -> dict:
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(cache), NEURODYN_CELLS_KERNEL=tier)
    env.pop("NEURODYN_AOT", None)
    env.update(env_extra or {})
    out = tmp_path / f"{label}.npz"
    code = SCRIPT.format(here=str(HERE), prelude=prelude)
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("FACTS")][0][5:])
    facts["stderr"] = proc.stderr
    with np.load(out) as f:
        facts["out"] = {k: f[k] for k in f.files}
    return facts


def _assert_equal(a: dict, b: dict, what: str) -> None:
    assert set(a) == set(b)
    for k in a:
        assert a[k].shape == b[k].shape, f"{what} {k}: shapes {a[k].shape} vs {b[k].shape}"
        assert np.array_equal(a[k], b[k]), (f"{what} {k}: not bit-identical, max difference "
                                            f"{np.max(np.abs(a[k] - b[k])) if a[k].size else 0:.3g}")


needs_cc = pytest.mark.skipif(cbuild.find_compiler() is None, reason="no C compiler (cc/gcc/clang) on this machine")


@needs_cc
def test_every_tier_gives_bit_identical_traces(tmp_path):
    pytest.importorskip("numba.pycc", reason="numba.pycc (Numba's AOT compiler) is not available")
    cache = tmp_path / "cache"
    c = _run(tmp_path, "c", "c", cache)
    assert c["tiers"] == ["c"] and c["kernel"].startswith("C (")
    assert not c["numba"], "the C tier must not import Numba"
    jit = _run(tmp_path, "jit", "jit", cache)
    assert jit["tiers"] == ["jit"] and jit["numba"]
    built = _run(tmp_path, "aot_build", "aot", cache)      # JIT run that builds the library in finitialize
    assert "built the ahead-of-time kernel library" in built["stderr"], built["stderr"][-2000:]
    aot = _run(tmp_path, "aot", "aot", cache)
    assert aot["tiers"] == ["aot"] and not aot["numba"]
    auto = _run(tmp_path, "auto", "auto", cache)           # the default picks C when a compiler exists
    assert auto["tiers"] == ["c"]
    # not vacuous: the chain propagates, the ring fires, the noisy train is there
    assert c["out"]["build_chain0/spikes_cell1"].size == 1
    assert sum(c["out"][f"ring/spikes{i}"].size for i in range(4)) >= 4
    for other, name in ((jit, "jit"), (built, "aot (building run)"), (aot, "aot"), (auto, "auto")):
        _assert_equal(c["out"], other["out"], f"c vs {name}")


@needs_cc
def test_user_mechanisms_and_the_adaptive_method_are_bit_identical_across_tiers():
    """Expressions the printer must reproduce exactly: integer powers (Numba's binary powering), ``pow``,
    ``min``/``max``, ``a if c else b`` with ``and``, vtrap/exprelr/efun, a rate table; and the adaptive
    method's right-hand side (ode_rhs) and event handling."""
    register_mechanism(Mechanism(
        "tier_na", parameters={"gbar": 0.1, "e": 50.0},
        states={"m": {"alpha": "0.1*vtrap(-(v + 40), 10)", "beta": "4*exp(-(v + 65)/18)"},
                "h": {"inf": "1/(1 + exp((v + 62)/7))",
                      "tau": "max(0.1, min(8, 1 + 4*exprelr((v + 50)/12)))"}},
        currents={"ina": "gbar*m^3*h*(v - e)"}, assigned={"g": "gbar*m**3*h"}), replace=True)
    register_mechanism(Mechanism(
        "tier_k", parameters={"gbar": 0.03, "e": -85.0},
        states={"n": {"inf": "1/(1 + exp(-(v + 45)/9))",
                      "tau": "0.5 + tq*(4 if v > -60 and v < 20 else 2.5 + efun(v/30)**2)"}},
        rates={"tq": "pow(3, (celsius - 6.3)/10)"}, currents={"ik": "gbar*n^4*(v - e) + 1e-6*n**-2"},
        table=(-100, 100, 200)), replace=True)

    def build(model):
        s = model.section("s", L=20, diam=20, nseg=3)
        d = model.section("d", L=150, diam=1.5, nseg=9)
        d.connect(s(1))
        s.insert("tier_na").insert("tier_k").insert("pas")
        d.insert("pas")
        ic = model.IClamp(s(0.5)); ic.delay = 1; ic.dur = 2; ic.amp = 0.4
        syn = model.Exp2Syn(d(0.8)); syn.tau1 = 0.3; syn.tau2 = 3
        ns = model.NetStim(); ns.number = 3; ns.start = 6; ns.interval = 4
        nc = model.NetCon(ns, syn, delay=0.5, weight=0.01)
        recs = [model.record(s(0.5)._ref_v), model.record(d(0.9)._ref_v), model.record(s(0.5).tier_na._ref_g),
                model.record(s(0.5).tier_k._ref_n), model.record(syn._ref_g)]
        return (s, d, ic, syn, ns, nc), recs

    results = {}
    for tier in ("c", "jit"):
        with set_options(cells_kernel=tier):
            for method in ("fixed", "cn", "adaptive"):
                m = CellModel()
                m.celsius = 18.5
                keep, recs = build(m)
                if method == "adaptive":
                    m.dt = 0.25
                m.run(tstop=20, method=method, rtol=1e-6, atol=1e-6)
                assert m.kernel_tier == tier
                results[tier, method] = [np.array(r) for r in recs]
    assert results["c", "fixed"][0].max() > 0            # it fires
    for method in ("fixed", "cn", "adaptive"):
        for a, b in zip(results["c", method], results["jit", method]):
            assert np.array_equal(a, b), f"{method}: max difference {np.max(np.abs(a - b)):.3g}"


def test_without_a_c_compiler_the_cells_use_numba_with_a_notice(tmp_path):
    env = {"PATH": str(tmp_path / "empty-bin"), "CC": ""}
    res = _run(tmp_path, "nocc", "auto", tmp_path / "cache", env_extra=env)
    assert res["tiers"] == ["jit"]
    notes = [ln for ln in res["stderr"].splitlines() if "C kernel not available" in ln]
    assert len(notes) == 1 and "no C compiler found" in notes[0], res["stderr"][-2000:]
    if cbuild.find_compiler() is not None:      # the same traces as the C tier
        c = _run(tmp_path, "withcc", "c", tmp_path / "cache")
        _assert_equal(c["out"], res["out"], "c vs jit fallback")


def test_c_tier_without_a_compiler_is_an_error(monkeypatch):
    monkeypatch.setattr(cbuild, "find_compiler", lambda: None)
    from neurodyn.cells import ckernel
    monkeypatch.setattr(ckernel, "_LOADED", {})
    m = CellModel()
    sec = m.section("s").insert("pas")          # noqa: F841 (sections are held weakly)
    with set_options(cells_kernel="c"), pytest.raises(CellError, match="C kernel tier is not available"):
        m.finitialize(-65)


def test_without_numba_pycc_the_aot_tier_stays_jit_with_a_notice(tmp_path):
    res = _run(tmp_path, "nopycc", "aot", tmp_path / "cache", prelude='sys.modules["numba.pycc"] = None')
    assert res["tiers"] == ["jit"]
    notes = [ln for ln in res["stderr"].splitlines() if "numba.pycc is not available" in ln]
    assert len(notes) == 1, res["stderr"][-2000:]
    assert "Traceback" not in res["stderr"]


@needs_cc
def test_a_damaged_library_is_detected_and_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURODYN_CACHE_DIR", str(tmp_path))
    src = "double nd_test_add(double x, double y) { return x + y; }\n"
    path = cbuild.build_library(src, "damage_test")           # built, not loaded (a mapped file is not cut)
    path.write_bytes(path.read_bytes()[:100])                 # truncated
    with pytest.warns(RuntimeWarning, match="does not match its recorded checksum"):
        lib2 = cbuild.load_source(src, "damage_test")
    import ctypes
    f = lib2.nd_test_add
    f.restype, f.argtypes = ctypes.c_double, [ctypes.c_double, ctypes.c_double]
    assert f(1.5, 2.25) == 3.75
    record = next(tmp_path.glob("clib/damage_test-*.json"))
    record.write_text("{not json")
    with pytest.warns(RuntimeWarning, match="unreadable"):
        cbuild.load_source(src, "damage_test")


@needs_cc
def test_concurrent_processes_compiling_the_same_kernel(tmp_path):
    """Three processes start on an empty cache at once: all compile or load the kernel, none fails, and they
    give the same traces."""
    cache = tmp_path / "cache"
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(cache), NEURODYN_CELLS_KERNEL="c")
    code = SCRIPT.format(here=str(HERE), prelude="")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / f"p{i}.npz")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(3)]
    outs = [p.communicate(timeout=900) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    loaded = []
    for i in range(3):
        with np.load(tmp_path / f"p{i}.npz") as f:
            loaded.append({k: f[k] for k in f.files})
    for other in loaded[1:]:
        _assert_equal(loaded[0], other, "concurrent processes")
