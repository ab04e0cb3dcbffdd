"""neurodyn.cells against NEURON: same model code (tests/cells/cells_models.py) run in both simulators.

NEURON runs live in a subprocess when it is installed; otherwise the stored traces in
data/neuron_reference.npz (written by make_reference.py from NEURON 9.0.2) are used. Both paths compare
every recorded trace sample by sample and the spike times.

Tolerances at the level of the claim: the fixed-step scheme is reproduced operation for operation, and the
largest difference observed over every trace of every configuration is 4.7e-10 mV (chain, Crank-Nicolson;
the others 4e-12 .. 1e-10 mV: round-off in a different order of summation). Voltages, states, currents and
conductances are asserted to 1e-8 (20x margin), so a regression of 1e-4 mV fails; the task's own bounds
(0.01 mV chain, 0.05 mV branched) are 10^6 times looser. Spike times are compared to 1e-9 ms (NEURON reports
the step start time plus 1e-10 ms, a deterministic value; observed identical).

Temperature: hh's rates scale by q10 = 3^((celsius - 6.3)/10), which is 1 at NEURON's default 6.3 degC, so
the same models also run at 16 degC (q10 2.9: faster spikes, the branched soma fires twice) and 37 degC
(q10 29: hh is heat-blocked, no spike, the subthreshold response depends on the 29x faster gates). A wrong
Q10 exponent changes these traces by millivolts.
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
#: mV; achieved <= 4.7e-10 mV (see the module docstring)
TOL = 1e-8


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
    if name in mr.TEMPERATURE_CONFIGS:
        builder, tstop, dt, so, celsius = mr.TEMPERATURE_CONFIGS[name]
    else:
        (builder, tstop, dt, so, _), celsius = mr.CONFIGS[name], 6.3
    h = HocFacade(CellModel())
    _, out = cm.run(h, getattr(cm, builder), tstop, dt, so, celsius)
    return out


def _compare(name: str, ref: dict, got: dict, stride: int) -> None:
    tol = TOL
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


@pytest.mark.peer
@pytest.mark.parametrize("name", list(mr.CONFIGS))
def test_traces_match_neuron(name, tmpdir_module):
    ref, stride = reference(name, tmpdir_module)
    _compare(name, ref, ours(name), stride)


@pytest.mark.peer
@pytest.mark.parametrize("name", list(mr.TEMPERATURE_CONFIGS))
def test_traces_match_neuron_at_other_temperatures(name, tmpdir_module):
    pytest.importorskip("neuron", reason="NEURON is not installed: the temperature runs are compared live only")
    ref = mr.run_neuron(name, tmpdir_module)
    got = ours(name)
    _compare(name, ref, got, 1)
    # not vacuous: at 16 degC the soma spikes (earlier than at 6.3 degC); at 37 degC it is heat-blocked
    soma = "soma0" if name.startswith("chain") else "soma"
    base = ours(name.replace("_16C", "").replace("_37C", "")) if name.endswith("16C") else None
    if base is not None:
        k = "spikes_cell0" if name.startswith("chain") else "spikes_soma"
        assert got[k].size >= 1 and got[k][0] < base[k][0] - 0.3     # 6.3 degC: 9.475 and 4.25 ms
    else:
        assert got[soma].max() < -20 and np.ptp(got[soma]) > 5


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
