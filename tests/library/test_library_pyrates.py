"""The bundled YAML run by PyRates itself, side by side with the hand-written scipy references.

This checks the templates independently of neurodyn's core: PyRates (the format's reference
implementation, a test-only peer) loads our files and must reproduce the equations of the papers.
It reuses ``pyrates_check.py`` (the by-hand script that runs every circuit and prints the table recorded in
docs/library.md) on a fast subset that still covers each file and each format feature (inheritance with
replace/add, intra-node input summation, edges, edge operators, complex states, inputs, update_var).

Tolerance: PyRates runs RK45 at rtol = atol = 1e-12 in float64 and the reference DOP853 at 1e-12; the
measured agreement is 1e-11 .. 1.3e-8 relative to max |reference| (the larger values come from PyRates's
handling of input arrays). We assert 1e-6: a wrong term, parameter, sign or unit gives >= 1e-3.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("pyrates", reason="PyRates (test peer) not installed: cannot run the YAML in PyRates")

import pyrates_check  # noqa: E402  (same folder; needs pyrates only when a case runs)

FAST = ["qif_syn", "kmo_theta", "JRC", "ei_ping(eps=4)", "WC", "kmo_2coupled", "kmo_mf", "sl"]
CASES = {case[0]: case for case in pyrates_check.cases()}


@pytest.fixture(scope="module")
def ndlib_package(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pyrates_library")
    pyrates_check.make_package(tmp)
    sys.path.insert(0, str(tmp))
    yield tmp
    sys.path.remove(str(tmp))


@pytest.mark.peer
@pytest.mark.parametrize("name", FAST)
def test_pyrates_runs_our_template_like_the_reference(name, ndlib_package, monkeypatch):
    monkeypatch.chdir(ndlib_package)   # PyRates writes its generated module to the working directory
    case = CASES[name]
    rows, _, n = pyrates_check.run_case(*case)
    assert n > 10
    for key, err, rel in rows:
        assert rel < 1e-6, f"{name}/{key}: PyRates differs from the reference by {rel:.2e} (relative)"


def test_every_pyrates_case_names_a_bundled_circuit():
    library = Path(__file__).resolve().parents[2] / "src" / "neurodyn" / "library"
    for name, case in CASES.items():
        parts = case[1].template.split(".")
        assert (library.joinpath(*parts[1:-1]).with_suffix(".yaml")).exists(), name
