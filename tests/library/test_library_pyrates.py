"""The bundled YAML run by PyRates itself, side by side with the hand-written scipy references and with neurodyn.

Two kinds of test, labelled as such:

* **Checks of the references (no neurodyn code runs):** PyRates, the format's reference implementation and a
  test-only peer, loads our files and must reproduce the equations of the papers as written in
  ``libref_models.py``. This validates the YAML files and the references independently of neurodyn's core.
  It reuses ``pyrates_check.py`` (the by-hand script that runs every circuit and prints the table recorded in
  docs/library.md) on a fast subset that still covers each file and each format feature (inheritance with
  replace/add, intra-node input summation, edges, edge operators, complex states, inputs, update_var).
* **What that implies for neurodyn:** neurodyn, on the same files, cases and output times, must give PyRates's
  trajectories (the cases without input arrays; with inputs the two tools place the samples on different time
  grids, see docs/library.md, so for those the neurodyn side is test_library_vs_scipy.py's cases
  ``qif_syn-step`` and ``WC`` against the same references on neurodyn's grid).

Tolerance: PyRates runs RK45 at rtol = atol = 1e-12 in float64 and the reference DOP853 at 1e-12; the
measured agreement is 1e-11 .. 1.3e-8 relative to max |reference| (the larger values come from PyRates's
handling of input arrays). We assert 1e-6: a wrong term, parameter, sign or unit gives >= 1e-3. neurodyn runs
DOP853 at 1e-12 too; against PyRates the measured differences are 3e-12 .. 3.6e-10 relative (largest: v_i of
ei_ping with eps = 4), asserted 1e-8.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyrates", reason="PyRates (test peer) not installed: cannot run the YAML in PyRates")

import pyrates_check  # noqa: E402  (same folder; needs pyrates only when a case runs)

FAST = ["qif_syn", "kmo_theta", "JRC", "ei_ping(eps=4)", "WC", "kmo_2coupled", "kmo_mf", "sl"]
CASES = {case[0]: case for case in pyrates_check.cases()}
NO_INPUT = [name for name in FAST if not CASES[name][5]]


@pytest.fixture(scope="module")
def ndlib_package(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pyrates_library")
    pyrates_check.make_package(tmp)
    sys.path.insert(0, str(tmp))
    yield tmp
    sys.path.remove(str(tmp))


@pytest.fixture(scope="module")
def pyrates_runs(ndlib_package):
    """PyRates's result per case, computed once for both kinds of test: name -> (times, outputs)."""
    cache = {}

    def get(name):
        if name not in cache:
            import os
            here = os.getcwd()
            os.chdir(ndlib_package)   # PyRates writes its generated module to the working directory
            try:
                times, outputs, _ = pyrates_check.run_pyrates(*CASES[name])
            finally:
                os.chdir(here)
            cache[name] = (times, outputs)
        return cache[name]
    return get


@pytest.mark.peer
@pytest.mark.parametrize("name", FAST)
def test_reference_check_pyrates_runs_our_template_like_the_reference(name, pyrates_runs):
    """Check of the references (no neurodyn code): PyRates on our YAML == the hand-written equations."""
    times, outputs = pyrates_runs(name)
    assert len(times) > 10
    for key, err, rel in pyrates_check.compare_with_reference(CASES[name][1], times, outputs):
        assert rel < 1e-6, f"{name}/{key}: PyRates differs from the reference by {rel:.2e} (relative)"


@pytest.mark.peer
@pytest.mark.parametrize("name", NO_INPUT)
def test_neurodyn_gives_pyrates_trajectory_on_the_same_yaml(name, pyrates_runs):
    from neurodyn.frontend import CircuitTemplate

    _, reference, T, dt, ds, inputs, node_vars = CASES[name]
    times, outputs = pyrates_runs(name)
    template = CircuitTemplate.from_yaml(reference.template)
    if node_vars:
        template = template.update_var(node_vars=node_vars)
    res = template.run(simulation_time=T, step_size=dt, sampling_step_size=ds,
                       outputs={k: reference.outputs[k] for k in outputs}, solver="scipy", method="DOP853",
                       rtol=1e-12, atol=1e-12)
    ours_t = np.asarray(res.index, dtype=float)
    assert len(ours_t) == len(times)
    np.testing.assert_allclose(ours_t, times, rtol=0, atol=1e-9 * ds)
    for key, theirs in outputs.items():
        got = res[key].to_numpy()
        if np.iscomplexobj(theirs):
            assert np.iscomplexobj(got), f"{name}/{key}: neurodyn must keep the state complex"
        # DOP853 and RK45 solutions at 1e-12 of the same equations: measured <= 3.6e-10 relative; 1e-8 asserted
        np.testing.assert_allclose(got, theirs, rtol=0, atol=1e-8 * np.abs(theirs).max(),
                                   err_msg=f"{name}/{key}: neurodyn vs PyRates")


def test_every_pyrates_case_names_a_bundled_circuit():
    library = Path(__file__).resolve().parents[2] / "src" / "neurodyn" / "library"
    for name, case in CASES.items():
        parts = case[1].template.split(".")
        assert (library.joinpath(*parts[1:-1]).with_suffix(".yaml")).exists(), name
