"""NEURON idioms of ported scripts, each run with NEURON 9 and with neurodyn's ``h`` on the same code
(tests/cells/idiom_scripts.py): NetCon.record(tvec, idvec, id), the Vector methods, h.distance, h.CVode() /
cvode.active honoured by finitialize + continuerun and fadvance, h('hoc') refused with the Python to write,
and the neuron.units constants.

NEURON runs in a fresh subprocess per script (its global state starts clean); neurodyn in this process on a
fresh model. Exact quantities (spike times of the fixed step, vector arithmetic, distances) are compared to
round-off; the CVODE runs at the agreement the adaptive method achieves (see the tolerance comments).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import idiom_scripts as scripts
from neurodyn.cells import CellModel, HocFacade
from neurodyn.cells import errors
from neurodyn.cells.errors import CellError, LocationError

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.peer


def neuron(name: str, *args) -> dict:
    """``idiom_scripts.<name>(h, *args)`` run with NEURON in a fresh process."""
    pytest.importorskip("neuron", reason="NEURON is not installed: the idioms are checked against it")
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import idiom_scripts as s\n"
            "from neuron import h; h.load_file('stdrun.hoc')\n"
            f"print('OUT' + json.dumps(s.{name}(h, *{args!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("OUT")][0][3:])


def ours(name: str, *args) -> dict:
    h = HocFacade(CellModel())
    return json.loads(json.dumps(getattr(scripts, name)(h, *args)))


def test_netcon_record_with_ids_like_neuron():
    ref, got = neuron("netcon_record"), ours("netcon_record")
    # not vacuous: cells 0 and 2 fill one (tvec, idvec) pair, cell 1 went to t1, stim2 stopped recording
    assert set(ref["idvec"]) == {10.0, 12.0} and len(ref["t1"]) >= 1 and ref["s2"] == []
    assert len(ref["ns_t"]) == 1 and ref["ns_id"] == [3.0]
    assert set(got) == set(ref)
    for key in ref:
        # fixed-step spike times are the step start + 1e-10 ms in both simulators: equal to round-off
        np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=1e-9, err_msg=key)


def test_vector_methods_like_neuron():
    ref, got = neuron("vector_methods"), ours("vector_methods")
    assert set(got) == set(ref)
    for key in ref:
        if key in ("rec", "rec_list"):
            # a recorded hh spike: the fixed step equals NEURON's to ~1e-10 mV (test_cells_neuron_match)
            np.testing.assert_allclose(got[key], ref[key], rtol=0, atol=1e-8, err_msg=key)
        else:
            assert got[key] == ref[key], f"{key}: neurodyn {got[key]} vs NEURON {ref[key]}"


def test_vector_errors_are_typed():
    from neurodyn.cells import Vector
    with pytest.raises(errors.VectorError, match="size > 0"):
        Vector().mean()
    with pytest.raises(errors.VectorError, match="size > 1"):
        Vector([1.0]).stdev()
    with pytest.raises(IndexError):
        Vector([1.0]).max(0, 3)
    with pytest.raises(errors.VectorError, match="not supported"):
        Vector([1.0]).play()


def test_distance_like_neuron():
    ref, got = neuron("distances"), ours("distances")
    assert ref["pairs"][0][-1] == 1e20                           # different trees: NEURON's 1e20
    for key in ref:
        # sums of a few lengths x*L: equal to round-off
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-12, atol=1e-12, err_msg=key)


def test_distance_needs_an_origin_or_two_segments():
    h = HocFacade(CellModel())
    s = h.Section(name="s")
    with pytest.raises(LocationError, match="no origin"):
        h.distance(s(0.5))
    with pytest.raises(LocationError, match="segments"):
        h.distance("soma")


def test_cvode_active_is_honoured_by_finitialize_and_continuerun():
    """NEURON's CVODE against neurodyn's adaptive method on the same script; before, the fixed step ran
    silently here (dt = Dt = 0.1 ms: errors of millivolts near the spike). NEURON runs at atol = rtol = 1e-10
    (~1e-5 mV from converged), neurodyn at 1e-8, as in test_cells_adaptive."""
    ref, got = neuron("cvode_continuerun", 1e-10), ours("cvode_continuerun", 1e-8)
    assert got["active"] == ref["active"] == 1
    assert len(ref["spikes_soma"]) == 1 and len(got["spikes_soma"]) == 1
    # NEURON's CVODE takes the last Dt sample before tstop (its record time, accumulated, rounds above 30):
    # 300 samples; the adaptive method also samples t = 30 (test_cells_adaptive compares the same way)
    n = len(ref["t"])
    assert n == 300 and len(got["t"]) == 301
    got = {k: (v[:n] if isinstance(v, list) and len(v) == 301 else v) for k, v in got.items()}
    np.testing.assert_allclose(got["t"], ref["t"], rtol=0, atol=1e-12)
    # NEURON locates a threshold crossing by interpolation inside its step: achieved 6e-5 ms; bound 5e-4 ms
    np.testing.assert_allclose(got["spikes_soma"], ref["spikes_soma"], rtol=0, atol=5e-4)
    np.testing.assert_allclose(got["spikes_ns3"], ref["spikes_ns3"], rtol=0, atol=5e-4)
    for key in ("soma", "d1_end", "d2", "t1"):
        err = np.max(np.abs(np.subtract(got[key], ref[key])))
        # achieved 4e-4 .. 2.1e-3 mV (our 1e-8 run's own error, spike upstrokes); bound 0.01 mV (5x). The
        # fixed step at dt = 0.1 (what ran before) is millivolts off here.
        assert err < 0.01, f"{key}: max |neurodyn adaptive - NEURON CVODE| = {err:.3g} mV"
    np.testing.assert_allclose(got["syn_g"], ref["syn_g"], rtol=0, atol=1e-8)     # achieved 1.2e-9 uS
    # fadvance under CVODE: neurodyn integrates to the next multiple of dt; those values are NEURON's
    # continuerun recording at the same times (NEURON's own fadvance steps at times of its choosing)
    t = np.asarray(got["fadvance_t"])
    np.testing.assert_allclose(t, 0.1 * np.arange(1, len(t) + 1), rtol=0, atol=1e-9)
    ref_v = np.interp(t, ref["t"], ref["soma"])
    assert np.max(np.abs(np.asarray(got["fadvance_v"]) - ref_v)) < 0.005      # achieved 8e-4 mV
    assert ref["fadvance_t"][-1] >= 6 and len(ref["fadvance_t"]) != len(t)   # NEURON: its own steps


def test_switching_cvode_after_finitialize_is_an_error():
    h = HocFacade(CellModel())
    s = h.Section(name="s")
    s.insert("pas")
    h.finitialize(-65)
    h.cvode.active(1)
    with pytest.raises(CellError, match="cvode.active was switched on"):
        h.continuerun(1)
    h.finitialize(-65)
    h.continuerun(1)
    assert h.model.provenance()["kernel_tier"] in ("c", "jit", "aot") and h.model._state.adaptive is not None
    assert h.CVode() is h.cvode


def test_hoc_strings_are_refused_with_the_python_to_write():
    h = HocFacade(CellModel())
    with pytest.raises(errors.HocStringError, match=r"hoc strings are not supported.*h.allsec\(\)"):
        h("forall delete_section()")
    with pytest.raises(errors.HocStringError, match=r"h.Section\(name='soma'\)"):
        h("create soma")
    with pytest.raises(errors.HocStringError, match="not supported"):
        h("objref vec")
    # the replacement the message suggests does in NEURON what the hoc string does
    assert neuron("hoc_delete_all", True) == neuron("hoc_delete_all", False) == ours("hoc_delete_all", False)
    assert ours("hoc_delete_all", False) == {"before": 3, "left": 0}


def test_units_are_neurons():
    units = pytest.importorskip("neuron.units", reason="NEURON is not installed")
    from neurodyn.cells import units as ours_units
    theirs = {k: getattr(units, k) for k in dir(units) if not k.startswith("_")
              and isinstance(getattr(units, k), (int, float))}
    mine = {k: getattr(ours_units, k) for k in ours_units.__all__}
    assert mine == theirs
    assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in theirs.items()}
    from neurodyn.cells.units import mV, ms, um  # noqa: F401  (the NEURON way of writing it)
