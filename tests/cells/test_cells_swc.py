"""SWC import: files written by the tests themselves."""
from __future__ import annotations

import numpy as np
import pytest

from neurodyn.cells import CellModel
from neurodyn.cells.swc import SwcError, load_swc
from cells_models import BRANCHED_SWC as BRANCHED



def write(tmp_path, text, name="cell.swc"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_branched_structure(tmp_path):
    m = CellModel()
    cell = load_swc(write(tmp_path, BRANCHED), m, nseg=3)
    names = [s.name() for s in cell.sections]
    assert names == ["soma", "dend[0]", "axon[0]", "dend[1]", "dend[2]"]
    soma, d0, ax, d1, d2 = cell.sections
    assert soma.L == pytest.approx(12) and soma.diam == pytest.approx(12)
    assert d0.L == pytest.approx(100) and ax.L == pytest.approx(200)
    assert d1.L == pytest.approx(50) and d2.L == pytest.approx(np.hypot(40, 30))
    assert d0.parentseg().sec is soma and d0.parentseg().x == 0.5
    assert d1.parentseg().sec is d0 and d1.parentseg().x == 1.0
    # tapered branch: diameter interpolated linearly from 2 (branch point) to 1.2
    assert [round(s.diam, 6) for s in d1] == pytest.approx([2 - 0.8 * x for x in (1 / 6, 0.5, 5 / 6)])
    assert set(cell.by_type) == {"soma", "dend", "axon"}


def test_swc_cable_equals_hand_built_model(tmp_path):
    """A straight uniform cable from SWC gives the same traces as the same cable built by hand."""
    text = "1 1 0 0 0 10 -1\n" + "".join(f"{i} 3 {10 + 50 * (i - 2)} 0 0 1 {i - 1}\n" for i in range(2, 12))
    m1 = CellModel()
    cell = load_swc(write(tmp_path, text), m1, nseg=25, Ra=100)
    dend = cell.sections[1]
    assert len(cell.sections) == 2 and dend.L == pytest.approx(450)
    m2 = CellModel()
    soma = m2.section("soma", L=20, diam=20, Ra=100)
    d2 = m2.section("d", L=450, diam=2, nseg=25, Ra=100)
    d2.connect(soma(0.5))
    vs = []
    for m, s, d in ((m1, cell.soma, dend), (m2, soma, d2)):
        for sec in (s, d):
            sec.insert("pas")
        s.insert("hh")
        ic = m.IClamp(s(0.5))
        ic.delay, ic.dur, ic.amp = 1, 2, 0.5
        vs.append((m.record(d(0.9)._ref_v), ic))
        m.run(tstop=10)
    np.testing.assert_allclose(np.asarray(vs[0][0]), np.asarray(vs[1][0]), atol=1e-9)


def test_default_nseg_follows_d_lambda(tmp_path):
    cell = load_swc(write(tmp_path, BRANCHED), CellModel())
    assert all(s.nseg % 2 == 1 for s in cell.sections)
    assert cell.sections[2].nseg >= 1


@pytest.mark.parametrize("text,match", [
    ("1 1 0 0 0 5\n", "7 columns"),
    ("1 1 0 0 0 5 -1\n2 3 1 0 0 1 9\n", "unknown parent"),
    ("1 1 0 0 0 5 -1\n1 3 1 0 0 1 1\n", "duplicate"),
    ("1 1 0 0 0 0 -1\n", "radius"),
    ("1 3 0 0 0 1 2\n2 3 1 0 0 1 1\n", "cycle"),
    ("1 1 a 0 0 1 -1\n", "non-numeric"),
])
def test_malformed_swc(tmp_path, text, match):
    with pytest.raises(SwcError, match=match):
        load_swc(write(tmp_path, text), CellModel())
