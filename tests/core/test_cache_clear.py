"""``neurodyn cache --clear`` while other processes compile and run must not break them, and says what it could not
delete; an unwritable cache directory falls back to a temporary one with a warning.

The race: worker processes each compile and run several models never compiled before (new structures, on the C
backend and on Numba), while another process clears the whole cache again and again. Every worker must finish
with the right numbers (each model is a leaky integrator with a known closed form).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

WORKER = r"""
import sys
import numpy as np
import neurodyn as nd
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
tag, backend = sys.argv[1], sys.argv[2]
for k in range(3):
    # a structure of its own per worker and model (the operator name is part of the structure)
    op = OperatorTemplate(f"clr_{tag}_{k}", [f"x' = -x/tau + {k + 1}*u"],
                          {"x": "output(0.0)", "tau": 0.5, "u": "input(1.0)"})
    circ = CircuitTemplate(f"clr_{tag}_{k}", nodes={"n": NodeTemplate(f"clr_node_{tag}_{k}", [op])})
    df = nd.integrate(circ, 2.0, 1e-3, solver="rk4", backend=backend, sampling_step_size=0.5)
    x = df.iloc[:, 0].to_numpy()
    t = df.index.to_numpy()
    exact = (k + 1) * 0.5 * (1 - np.exp(-t / 0.5))
    assert np.allclose(x, exact, rtol=1e-9, atol=1e-12), (tag, k, x, exact)
print("OK", tag)
"""

CLEARER = r"""
import sys, time
from neurodyn.cli import main
for _ in range(int(sys.argv[1])):
    main(["cache", "--clear"])
    time.sleep(0.05)
"""


def _env(cache: Path) -> dict:
    return dict(os.environ, NEURODYN_CACHE_DIR=str(cache), PYTHONPATH=str(SRC))


def test_clear_while_other_processes_compile(tmp_path):
    cache = tmp_path / "cache"
    env = _env(cache)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, f"w{i}", backend], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for i, backend in enumerate(["auto", "numba", "auto", "numba"])]
    clearer = subprocess.run([sys.executable, "-c", CLEARER, "40"], env=env, capture_output=True, text=True,
                             timeout=900)
    assert clearer.returncode == 0, clearer.stderr[-3000:]
    for i, w in enumerate(workers):
        out, err = w.communicate(timeout=900)
        assert w.returncode == 0 and f"OK w{i}" in out, f"worker {i} failed:\n{err[-4000:]}"
        # a module deleted under a compiling process is written again (with a warning), never a failure
        assert "Traceback" not in err


def test_clear_reports_what_it_could_not_delete(tmp_path, monkeypatch, capsys):
    """A file that cannot be removed (here: the removal reports a permission error, as for a read-only folder of
    another user) is listed and the command fails (exit status 1) instead of claiming success."""
    import neurodyn
    from neurodyn.cli import cache as cache_cli
    part = tmp_path / "ir-0.0"
    part.mkdir()
    (part / "entry.pkl").write_bytes(b"x")

    def rmtree(path, onerror):
        onerror(os.unlink, str(Path(path) / "entry.pkl"), (PermissionError, PermissionError(13, "Permission denied"),
                                                           None))
    monkeypatch.setattr(cache_cli.shutil, "rmtree", rmtree)
    with neurodyn.set_options(cache_dir=tmp_path):
        status = cache_cli.cmd_cache(type("Args", (), {"clear": True})())
    out = capsys.readouterr().out
    assert status == 1 and "could not delete 1 item(s)" in out and "entry.pkl" in out and "Permission denied" in out


def test_clear_deletes_every_part_and_reports_nothing_left(tmp_path):
    cache = tmp_path / "cache"
    env = _env(cache)
    subprocess.run([sys.executable, "-c", WORKER, "solo", "auto"], env=env, check=True, capture_output=True)
    assert any(cache.iterdir())
    r = subprocess.run([sys.executable, "-m", "neurodyn.cli", "cache", "--clear"], env=env, capture_output=True,
                       text=True)
    assert r.returncode == 0 and "cleared" in r.stdout
    left = [p for p in cache.rglob("*") if p.is_file()]
    assert not left, left


def test_unwritable_cache_directory_falls_back_with_a_warning(tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache directory should be")
    r = subprocess.run([sys.executable, "-c", WORKER, "fb", "auto"], env=_env(blocker / "cache"),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "cannot be created or written" in r.stderr and "OK fb" in r.stdout
    np.testing.assert_equal(blocker.read_text(), "a file where the cache directory should be")
