"""neurodyn.cells against NEURON: same model code (tests/cells/cells_models.py) run in both simulators.

NEURON runs live in a subprocess when it is installed; otherwise the stored traces in
data/neuron_reference.npz (written by make_reference.py from NEURON 9.0.2) are used. Both paths compare
every recorded trace sample by sample and the spike times.

Tolerances: the task asks for 0.01 mV on the three-cell chain and 0.05 mV on the branched cell. Because the
fixed-step scheme is reproduced operation for operation, the observed differences are ~1e-10 mV (round-off);
the asserted tolerances are the task's. Spike times are compared to 1e-9 ms (NEURON reports the step start
time plus 1e-10 ms, a deterministic value).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

import cells_models as cm
from neurodyn.cells import CellModel, HocFacade

mr = cm.make_reference_module()
DATA = cm.DATA
HAVE_NEURON = cm.have_neuron()
TOL = {"chain": 0.01, "branched": 0.05}


@pytest.fixture(scope="module")
def tmpdir_module():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def reference(name: str, tmpdir: Path) -> tuple[dict, int]:
    """NEURON's traces for ``name`` and the stride at which they are sampled."""
    if HAVE_NEURON:
        return mr.run_neuron(name, tmpdir), 1
    if not DATA.exists():
        pytest.skip("NEURON is not installed and tests/cells/data/neuron_reference.npz is missing")
    with np.load(DATA) as f:
        out = {k.split("/", 1)[1]: f[k] for k in f.files if k.startswith(name + "/")}
    return out, mr.CONFIGS[name][4]


def ours(name: str) -> dict:
    builder, tstop, dt, so, _ = mr.CONFIGS[name]
    h = HocFacade(CellModel())
    _, out = cm.run(h, getattr(cm, builder), tstop, dt, so)
    return out


@pytest.mark.peer
@pytest.mark.parametrize("name", list(mr.CONFIGS))
def test_traces_match_neuron(name, tmpdir_module):
    ref, stride = reference(name, tmpdir_module)
    got = ours(name)
    tol = TOL[name.split("_")[0]]
    assert set(ref) == set(got)
    for key, r in ref.items():
        g = got[key]
        if key.startswith("spikes_"):
            assert g.shape == r.shape, f"{name} {key}: spikes {g} vs NEURON {r}"
            np.testing.assert_allclose(g, r, rtol=0, atol=1e-9, err_msg=f"{name} {key}")
            continue
        g = g[::stride]
        assert g.shape == r.shape, f"{name} {key}: {g.shape} samples vs NEURON {r.shape}"
        if key == "t":
            np.testing.assert_allclose(g, r, rtol=0, atol=1e-12)
        else:
            err = np.max(np.abs(g - r))
            assert err < tol, f"{name} {key}: max |neurodyn - NEURON| = {err:.3g} (tolerance {tol})"


def test_chain_fires_like_neuron_at_coarse_dt(tmpdir_module):
    """The chain propagates (cells 0 and 1 spike) at dt = 0.025 and cell 0 stays subthreshold at dt = 0.005,
    as in NEURON (REFERENCE.md section 7)."""
    coarse = ours("chain_be")
    fine = ours("chain_dt005")
    assert coarse["spikes_cell0"].size == 1 and coarse["spikes_cell1"].size == 1
    assert coarse["soma2"].max() > 0
    assert fine["spikes_cell0"].size == 0 and fine["soma0"].max() < -20


@pytest.mark.peer
def test_stored_reference_is_current(tmpdir_module):
    """The committed reference file equals what NEURON produces now (regenerate with make_reference.py)."""
    pytest.importorskip("neuron", reason="NEURON not installed: cannot check the stored reference traces")
    if not DATA.exists():
        pytest.fail("tests/cells/data/neuron_reference.npz is missing; run tests/cells/make_reference.py")
    live = mr.run_neuron("chain_be", tmpdir_module)
    with np.load(DATA) as f:
        for k, v in live.items():
            stored = f[f"chain_be/{k}"]
            np.testing.assert_allclose(stored, v if k.startswith("spikes_") else v[::4], rtol=0, atol=1e-9)
