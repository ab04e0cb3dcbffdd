"""Kernels are cached on disk by structure: a second Python process neither regenerates nor recompiles (Numba
kernels, and C libraries).

Evidence (no wall-clock thresholds): the generated module and numba's cache files (index ``.nbi`` and data
``.nbc``) exist after the first process; the second process finds every file unchanged (same set, same mtimes
and sizes) and numba's own dispatcher statistics report cache hits and no cache misses.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

SCRIPT = r"""
import json, sys
import numpy as np
import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
from neurodyn.backends.cache import cache_dir
# a structure used nowhere else in the test suite
op = OperatorTemplate("cache_probe", ["x' = -a*x + sin(b*t)", "q = x^3"],
                      {"x": "output(0.5)", "q": "variable(0.0)", "a": 1.5, "b": 2.0})
circ = CircuitTemplate("cache_probe", nodes={"p": NodeTemplate("cache_probe_node", [op])})
m = nd.compile_model(circ, backend="numba")
df = m.run(1.0, 0.01, outputs={"x": "p/cache_probe/x", "q": "p/cache_probe/q"}, solver="rk4")
k = m.kernel
stats = {name: (sum(getattr(k, name).stats.cache_hits.values()), sum(getattr(k, name).stats.cache_misses.values()))
         for name in ("rhs", "run_fixed")}
print(json.dumps({"file": str(k.path), "cache_dir": str(cache_dir()), "stats": stats,
                  "last": float(df["x"].iloc[-1])}))
"""


def _run(env):
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _snapshot(root: Path):
    # stored IRs (ir-<version>/) are touched when used (least-recently-used bound): compare their content
    return {str(p.relative_to(root)): ((p.read_bytes() if p.relative_to(root).parts[0].startswith("ir-")
                                        else p.stat().st_mtime_ns), p.stat().st_size)
            for p in root.rglob("*") if p.is_file()}


C_SCRIPT = r"""
import json, sys
import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
op = OperatorTemplate("cache_probe", ["x' = -a*x + sin(b*t)", "q = x^3"],
                      {"x": "output(0.5)", "q": "variable(0.0)", "a": 1.5, "b": 2.0})
circ = CircuitTemplate("cache_probe", nodes={"p": NodeTemplate("cache_probe_node", [op])})
m = nd.compile_model(circ, backend="c")
df = m.run(1.0, 0.01, outputs={"x": "p/cache_probe/x"}, solver="rk4")
print(json.dumps({"file": str(m.kernel.path), "last": float(df["x"].iloc[-1]), "sympy": "sympy" in sys.modules}))
"""


def test_second_process_loads_the_c_library(tmp_path):
    """The C backend: the library is built once; a second process loads it (no file written, no SymPy)."""
    from neurodyn.backends.cbuild import find_compiler
    if find_compiler() is None:
        pytest.skip("no C compiler: the C backend is off")
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path), PYTHONPATH=str(SRC))
    run = lambda: json.loads(subprocess.run([sys.executable, "-c", C_SCRIPT], env=env, capture_output=True,  # noqa
                                            text=True, timeout=300, check=True).stdout.strip().splitlines()[-1])
    first = run()
    lib = Path(first["file"])
    assert lib.suffix == ".so" and lib.is_file() and list(lib.parent.glob("*.json"))   # checksummed record
    before = _snapshot(tmp_path)
    second = run()
    assert second["file"] == first["file"] and second["last"] == first["last"]
    assert _snapshot(tmp_path) == before and not second["sympy"]


def test_second_process_does_not_recompile(tmp_path):
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path), PYTHONPATH=str(SRC))
    first = _run(env)
    kdir = Path(first["cache_dir"])
    assert kdir.is_relative_to(tmp_path)
    kfile = Path(first["file"])
    assert kfile.is_file() and kfile.parent == kdir and kfile.suffix == ".py"
    nbi = list(kdir.rglob("*.nbi"))
    nbc = list(kdir.rglob("*.nbc"))
    assert any(p.name.startswith(kfile.stem) for p in nbi), nbi
    assert nbc
    # the first process compiled (cache misses or, if numba found nothing, at least no hits)
    assert first["stats"]["run_fixed"][0] == 0
    before = _snapshot(tmp_path)

    second = _run(env)
    assert second["file"] == first["file"]
    assert _snapshot(tmp_path) == before          # nothing written, nothing rewritten
    # run_fixed is the entry point called from Python (rhs is called inside it, in compiled code)
    hits, misses = second["stats"]["run_fixed"]
    assert hits >= 1 and misses == 0, second["stats"]
    assert second["last"] == first["last"]


def _run_with_stderr(env):
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


@pytest.mark.parametrize("damage", ["numba_index", "numba_data", "kernel_module"])
def test_damaged_numba_cache_or_kernel_module_is_rebuilt_with_a_warning(tmp_path, damage):
    """A truncated Numba cache entry (index .nbi or data .nbc) or a generated kernel module that is no longer valid
    Python: the next process warns, rebuilds it and computes the same numbers; the process after it runs cleanly
    from the rebuilt files (no warning)."""
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path), PYTHONPATH=str(SRC))
    first = _run(env)
    kfile = Path(first["file"])
    if damage == "kernel_module":
        targets = [kfile]
        kfile.write_text(kfile.read_text()[: len(kfile.read_text()) // 2] + "\n)(\n")   # cut, then a syntax error
    else:
        suffix = ".nbi" if damage == "numba_index" else ".nbc"
        targets = [p for p in Path(first["cache_dir"]).rglob(f"{kfile.stem}*{suffix}")]
        assert targets, list(Path(first["cache_dir"]).rglob("*"))
        for p in targets:
            p.write_bytes(p.read_bytes()[:7])                                 # truncated
    again, err = _run_with_stderr(env)
    assert again["last"] == first["last"]
    assert "RuntimeWarning" in err and ("damaged" in err or "could not be loaded" in err), err[-2000:]
    third, err3 = _run_with_stderr(env)
    assert third["last"] == first["last"] and "RuntimeWarning" not in err3, err3[-2000:]
