"""SWC import of a real reconstruction, compared with NEURON's own Import3d of the same file.

The morphology is navis's ``data/swc/722817260.swc`` (a Drosophila DA1 projection neuron from the Janelia
hemibrain, Scheffer et al. eLife 2020): 4332 points labelled 0 (undefined), 5 (fork) and 6 (end), root of
type 0, coordinates and radii in 8 nm voxels. The file is located without importing navis (slow import);
the tests skip with the reason printed when navis (or NEURON, for the comparisons) is not installed.

Both sides keep the 3-D points and integrate segment areas and axial resistances over frustums, so the
geometry agrees up to NEURON's single-precision storage of pt3d points (coordinates ~300 um stored in
float32, error ~1e-5 um on pieces as short as 0.02 um): measured 4e-4 relative on single segments and
~1e-7 on the totals. The asserted tolerances are 1e-5 relative on total length and area (two orders above
that round-off, far below any modelling difference: cylinders of the mean diameter would change the total
area by the taper term, see test_frustum_area_differs_from_cylinders) and 3e-3 relative per segment.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from neurodyn.cells import CellModel, GeometryError, HocFacade
from neurodyn.cells.pt3d import frustum_geometry
from neurodyn.cells.swc import SwcError, load_swc
from cells_models import BRANCHED_SWC

SCALE = 0.008                     # um per 8 nm voxel
RA = 100.0


def navis_swc(name: str = "722817260.swc") -> Path:
    spec = importlib.util.find_spec("navis")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(reason="navis is not installed: the real reconstructions it ships "
                           "(navis/data/swc/*.swc) are not available")
    path = Path(spec.submodule_search_locations[0]) / "data" / "swc" / name
    if not path.exists():
        pytest.skip(reason=f"this navis version does not ship {path}")
    return path


@pytest.fixture(scope="module")
def swc_path():
    return navis_swc()


@pytest.fixture(scope="module")
def ours(swc_path):
    m = CellModel()
    return m, load_swc(swc_path, m, scale=SCALE, Ra=RA)


@pytest.fixture(scope="module")
def neuron_cell(swc_path):
    """NEURON 9: Import3d_SWC_read + Import3d_GUI.instantiate(None), then every pt3d point scaled."""
    neuron = pytest.importorskip("neuron", reason="NEURON is not installed: cannot compare with Import3d")
    h = neuron.h
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    secs = import3d(h, swc_path)
    for s in secs:
        for i in range(s.n3d()):
            h.pt3dchange(i, s.x3d(i) * SCALE, s.y3d(i) * SCALE, s.z3d(i) * SCALE, s.diam3d(i) * SCALE, sec=s)
        s.Ra = RA
    yield h, secs
    for s in secs:
        h.delete_section(sec=s)


class _Cell:
    """Holder of one Import3d instantiation (its sections are attributes, so that two cells can coexist)."""

    def __str__(self) -> str:
        return f"cell{id(self)}"


def import3d(h, path) -> list:
    """NEURON's Import3d of ``path`` (Import3d_SWC_read + Import3d_GUI.instantiate), as a list of sections."""
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))
    cell = _Cell()
    h.Import3d_GUI(reader, 0).instantiate(cell)
    return list(cell.all)


def _key(xyz) -> tuple:
    return tuple(np.round(np.asarray(xyz, dtype=float), 2))


def pair_sections(ours_cell, secs) -> list:
    """(our section, NEURON section) pairs matched by their first and last 3-D points."""
    mine = {}
    for s in ours_cell.sections:
        xyz, _ = s.pt3d()
        mine[(_key(xyz[0]), _key(xyz[-1]))] = s
    pairs = []
    for s in secs:
        n = s.n3d() - 1
        k = (_key([s.x3d(0), s.y3d(0), s.z3d(0)]), _key([s.x3d(n), s.y3d(n), s.z3d(n)]))
        assert k in mine, f"NEURON section {s.name()} has no counterpart"
        pairs.append((mine.pop(k), s))
    assert not mine, f"{len(mine)} of our sections have no NEURON counterpart"
    return pairs


def test_real_file_structure(ours):
    """Types 0/5/6 become dend_0/dend_5/dend_6 (Import3d's names); the root is an ordinary neurite point."""
    _, cell = ours
    assert cell.soma is None
    assert set(cell.by_type) == {"dend_0", "dend_5", "dend_6"}
    root = cell.sections[0]
    assert root.parentseg() is None and root.name() == "dend_0[0]"
    assert all(s.parentseg() is not None for s in cell.sections[1:])
    assert all(s.n3d() >= 2 for s in cell.sections)


@pytest.mark.peer
def test_morphology_matches_import3d(ours, neuron_cell):
    _, cell = ours
    h, secs = neuron_cell
    assert len(cell.sections) == len(secs)
    L_ours = sum(s.L for s in cell.sections)
    L_nrn = sum(s.L for s in secs)
    assert L_ours == pytest.approx(L_nrn, rel=1e-5)
    for s, n in pair_sections(cell, secs):
        n.nseg = s.nseg
    A_ours = sum(seg.area() for s in cell.sections for seg in s)
    A_nrn = sum(seg.area() for s in secs for seg in s)
    assert A_ours == pytest.approx(A_nrn, rel=1e-5)
    pairs = pair_sections(cell, secs)
    seg_o = np.array([x.area() for s, _ in pairs for x in s])
    seg_n = np.array([x.area() for _, n in pairs for x in n])
    ri_o = np.array([x.ri() for s, _ in pairs for x in s])
    ri_n = np.array([x.ri() for _, n in pairs for x in n])
    np.testing.assert_allclose(seg_o, seg_n, rtol=3e-3)
    np.testing.assert_allclose(ri_o, ri_n, rtol=3e-3)


def test_frustum_area_differs_from_cylinders(ours):
    """Cylinders of each segment's mean diameter (the former importer) miss the taper term of the
    frustums' slant height; on this tree the difference is a few per cent, too large to ignore."""
    _, cell = ours
    frustum = sum(seg.area() for s in cell.sections for seg in s)
    cylinders = sum(np.pi * seg.diam * s.L / s.nseg for s in cell.sections for seg in s)
    rel = (frustum - cylinders) / frustum
    print(f"frustum area {frustum:.2f} um2, cylinders {cylinders:.2f} um2, relative difference {rel:.4f}")
    assert rel > 0          # slant height >= axial length


def test_merged_types_keep_length_and_area(swc_path, ours):
    """type_names={0,5,6: 'dend'} joins fork/end points into their neurites: fewer sections, same geometry."""
    _, cell = ours
    m = CellModel()
    merged = load_swc(swc_path, m, scale=SCALE, Ra=RA, type_names={0: "dend", 5: "dend", 6: "dend"}, nseg=1)
    assert set(merged.by_type) == {"dend"}
    assert len(merged.sections) < len(cell.sections)
    assert sum(s.L for s in merged.sections) == pytest.approx(sum(s.L for s in cell.sections), rel=1e-12)
    area = sum(seg.area() for s in merged.sections for seg in s)
    assert area == pytest.approx(sum(seg.area() for s in cell.sections for seg in s), rel=1e-12)


def _tips(cell):
    """The leaf farthest (path length) from the root and the leaf whose end is farthest from that one."""
    def pathlen(s):
        total = 0.0
        while s is not None:
            total, s = total + s.L, s._parent
        return total
    leaves = [s for s in cell.sections if not s.children()]
    far = max(leaves, key=pathlen)
    end = far.pt3d()[0][-1]
    other = max(leaves, key=lambda s: np.linalg.norm(s.pt3d()[0][-1] - end))
    return far, other


def _setup(h, sections, root, tips):
    for s in sections:
        s.insert("pas")
        s.cm = 1
        for seg in s:
            seg.pas.g = 1e-4
            seg.pas.e = -65
    root.insert("hh")
    ic = h.IClamp(root(0.5))
    ic.delay, ic.dur, ic.amp = 1, 20, 0.3
    vecs = [h.Vector().record(root(0.5)._ref_v)] + [h.Vector().record(t(1)._ref_v) for t in tips]
    return ic, vecs


@pytest.mark.peer
def test_simulation_matches_neuron(ours, neuron_cell):
    """pas everywhere (g 1e-4 S/cm2, e -65 mV), hh + IClamp at the root section, Ra 100, cm 1, d_lambda nseg
    (ours, copied to NEURON), backward Euler dt 0.025 for 30 ms: v at the root and at two distal tips.

    With the same frustum geometry the remaining difference is NEURON's float32 pt3d storage (~1e-4 relative
    per segment): measured 3e-5 mV at the root, 2e-5 mV at the tips. Tolerance 3e-4 mV: ten times what is
    achieved, so that a regression of 1e-3 mV fails (cylinders of each segment's mean diameter instead of
    frustums give 1.5 mV)."""
    m, cell = ours
    h, secs = neuron_cell
    pairs = pair_sections(cell, secs)
    for s, n in pairs:
        n.nseg = s.nseg
    counterpart = {id(s): n for s, n in pairs}
    root = cell.sections[0]
    tips = _tips(cell)
    ic_n, v_nrn = _setup(h, secs, counterpart[id(root)], [counterpart[id(t)] for t in tips])
    h.dt = 0.025
    h.tstop = 30
    h.v_init = -65
    h.run()
    ic_o, v_ours = _setup(HocFacade(m), cell.sections, root, tips)
    m.dt = 0.025
    m.run(tstop=30)
    names = ["root", f"tip {tips[0].name()}", f"tip {tips[1].name()}"]
    v_root = np.asarray(v_nrn[0])
    assert v_root.max() > 0, "the root section should fire (test drives hh above threshold)"
    for name, a, b in zip(names, v_ours, v_nrn):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape == (1201,)
        err = np.max(np.abs(a - b))
        print(f"{name}: max |neurodyn - NEURON| = {err:.3g} mV (range {b.min():.2f} .. {b.max():.2f})")
        assert err < 3e-4, f"{name}: max |neurodyn - NEURON| = {err:.3g} mV"


ROOT_BRANCHES = """# a non-soma root with three children (on the next line, and two further down)
1 0 0 0 0 1.0 -1
2 0 10 0 0 1.0 1
3 0 20 0 0 0.8 2
4 6 30 0 0 0.6 3
5 0 0 10 0 0.5 1
6 0 0 20 0 0.5 5
7 0 -10 0 0 0.7 1
8 5 -20 0 0 0.7 7
"""


def test_root_with_several_children(tmp_path):
    """The root continues into the child on the next line; the other children attach at its 0 end."""
    p = tmp_path / "root.swc"
    p.write_text(ROOT_BRANCHES)
    cell = load_swc(p, CellModel(), nseg=1)
    root = cell.sections[0]
    assert root.name() == "dend_0[0]" and root.L == pytest.approx(20)
    kids = [s for s in cell.sections if s.parentseg() is not None and s.parentseg().sec is root]
    assert sorted((s.parentseg().x, round(s.L, 6)) for s in kids) == [(0.0, 10.0), (0.0, 20.0), (1.0, 10.0)]
    # a type-6 end point and a type-5 fork point are their own sections (Import3d splits at type changes)
    assert sorted(s.name() for s in cell.sections) == ["dend_0[0]", "dend_0[1]", "dend_0[2]", "dend_5[0]",
                                                       "dend_6[0]"]


MULTI_SOMA = """# a 3-point soma whose middle point has two soma children (the soma splits in three sections),
# dendrites from the middle point (a 'wire' connection), from the last soma point, from the proximal point
# of a dendrite (attached at its 0 end), an axon from the root point, a dendrite at the end of a soma branch
1 1 0 0 0 5 -1
2 1 5 0 0 6 1
3 1 10 0 0 5 2
4 3 10 20 0 1 2
5 3 10 40 0 1 4
6 3 15 0 0 1 3
7 3 40 0 0 1 6
8 3 15 -20 0 1 6
9 2 0 -10 0 0.5 1
10 2 0 -50 0 0.5 9
11 1 5 5 0 4 2
12 1 5 10 0 3 11
13 3 5 30 0 0.8 12
"""

ONE_POINT_SOMA = BRANCHED_SWC + "9 4 0 6 0 0.8 1\n"      # plus an apical dendrite on the soma


def assert_same_as_import3d(h, path, scale=1.0):
    """Same section names, parents and attachment points, 3-D point counts, lengths and areas as NEURON.

    NEURON stores pt3d points in single precision: each coordinate is off by up to 2**-24 of its magnitude,
    so lengths are compared to 1e-6 relative plus 1e-6 * (largest |coordinate|) per 3-D point, areas to the
    corresponding pi * diam * dL plus 1e-6 relative."""
    secs = import3d(h, path)
    try:
        cell = load_swc(path, CellModel(), nseg=1, scale=scale)

        def name(s):            # Import3d names a lone soma soma[0]; ours is soma (hoc's soma means soma[0])
            n = s.name().split(".", 1)[-1]
            return "soma" if n == "soma[0]" and cell.soma is not None and cell.soma.name() == "soma" else n

        def describe(s):
            ps = s.parentseg()
            return (None if ps is None else (name(ps.sec), ps.x)), s.n3d()
        cmax = max(float(np.abs(s.pt3d()[0]).max()) for s in cell.sections)
        ours = {name(s): s for s in cell.sections}
        theirs = {name(s): s for s in secs}
        assert sorted(ours) == sorted(theirs)
        for k, n in theirs.items():
            o = ours[k]
            assert describe(o) == describe(n), k
            tol_L = 1e-6 * cmax * n.n3d()
            assert o.L == pytest.approx(n.L * scale, rel=1e-6, abs=tol_L), k
            assert o(0.5).area() == pytest.approx(n(0.5).area() * scale ** 2, rel=1e-6,
                                                  abs=np.pi * o.diam * tol_L), k
    finally:
        for s in secs:
            h.delete_section(sec=s)


THREE_POINT_SOMA = """# neuromorpho.org convention: a sphere of radius 5 as three points
1 1 0 0 0 5 -1
2 1 0 -5 0 5 1
3 1 0 5 0 5 1
4 3 5 0 0 1 1
5 3 50 0 0 1 4
6 2 -5 0 0 0.5 1
"""


@pytest.mark.peer
@pytest.mark.parametrize("text", [ROOT_BRANCHES, MULTI_SOMA, ONE_POINT_SOMA, THREE_POINT_SOMA],
                         ids=["nonsoma_root", "multipoint_soma", "one_point_soma", "three_point_soma"])
def test_written_files_match_import3d(tmp_path, text):
    neuron = pytest.importorskip("neuron", reason="NEURON is not installed: cannot compare with Import3d")
    p = tmp_path / "cell.swc"
    p.write_text(text)
    assert_same_as_import3d(neuron.h, p)


@pytest.mark.peer
def test_real_file_with_soma_point_matches_import3d():
    """1734350788.swc has one soma point (type 1) in the middle of the tree, 1993 sections in Import3d.

    Compared in file units (scale 1, coordinates ~3e4 voxels, where float32 resolves ~2e-3 voxel)."""
    neuron = pytest.importorskip("neuron", reason="NEURON is not installed: cannot compare with Import3d")
    assert_same_as_import3d(neuron.h, navis_swc("1734350788.swc"))


@pytest.mark.parametrize("kwargs,match", [
    ({"scale": 0}, "scale must be a positive"),
    ({"scale": -0.008}, "scale must be a positive"),
    ({"scale": float("nan")}, "scale must be a positive"),
    ({"scale": "8nm"}, "scale must be a positive"),
    ({"type_names": {0: "my dend"}}, "section name"),
    ({"type_names": {"0": "dend"}}, "integer SWC types"),
    ({"nseg": 0}, "nseg must be"),
])
def test_bad_options(tmp_path, kwargs, match):
    p = tmp_path / "root.swc"
    p.write_text(ROOT_BRANCHES)
    with pytest.raises(SwcError, match=match):
        load_swc(p, CellModel(), **kwargs)


def test_scale_multiplies_lengths_and_diameters(tmp_path):
    p = tmp_path / "root.swc"
    p.write_text(ROOT_BRANCHES)
    a = load_swc(p, CellModel(), nseg=1)
    b = load_swc(p, CellModel(), nseg=1, scale=0.5)
    for s, t in zip(a.sections, b.sections):
        assert t.L == pytest.approx(0.5 * s.L) and t.diam == pytest.approx(0.5 * s.diam)
        assert t(0.5).area() == pytest.approx(0.25 * s(0.5).area())


def test_frustum_geometry_analytic():
    """A cone of radii r1 -> r2 over length L: lateral area pi (r1 + r2) sqrt(L^2 + (r1 - r2)^2) and axial
    resistance Ra L / (pi r1 r2) (the integral of Ra dx / (pi r(x)^2)), whatever nseg and however the cone
    is split into 3-D points (all three quantities are integrated exactly, so 1e-12 relative)."""
    r1, r2, L, Ra = 3.0, 1.0, 80.0, 150.0
    area = np.pi * (r1 + r2) * np.hypot(L, r1 - r2)
    resistance = 1e-2 * Ra * L / (np.pi * r1 * r2)          # ohm cm * um / um2 -> megohm
    for npts in (2, 5):
        s = np.linspace(0, 1, npts)
        xyz = np.stack([s * L, 0 * s, 0 * s], axis=1)
        for nseg in (1, 3, 8):
            sec = CellModel().section("cone", Ra=Ra)
            sec.set_pt3d(xyz, 2 * (r1 + (r2 - r1) * s))
            sec.nseg = nseg
            assert sum(seg.area() for seg in sec) == pytest.approx(area, rel=1e-12)
            # ri() of segment i is the half-segment resistances either side of node i; add the last half
            g = frustum_geometry(np.linspace(0, L, npts), 2 * (r1 + (r2 - r1) * s), nseg, Ra)
            assert sum(seg.ri() for seg in sec) + g.rright[-1] == pytest.approx(resistance, rel=1e-12)
            assert sec.L == pytest.approx(L)
    sec.L = 40                                   # setting L or diam turns the section back into a cylinder
    assert sec.n3d() == 0 and sec(0.5).area() == pytest.approx(np.pi * sec.diam * 40 / sec.nseg)
    with pytest.raises(GeometryError, match="n >= 2"):
        sec.set_pt3d([[0, 0, 0]], [1])
    with pytest.raises(GeometryError, match="positive"):
        sec.set_pt3d([[0, 0, 0], [1, 0, 0]], [1, 0])
    with pytest.raises(GeometryError, match="zero length"):
        sec.set_pt3d([[0, 0, 0], [0, 0, 0]], [1, 1])
