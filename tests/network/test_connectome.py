"""Tests of neurodyn.network.connectome: validation, operations, loaders and round trips.

Expected values come from hand-built matrices whose properties are known by construction, from the data
files' own documentation (SOURCE.md), or from TVB's own reader (an independent implementation).
"""
import bz2
import importlib.util
import zipfile

import numpy as np
import pytest
import scipy.io

from neurodyn.errors import ConnectomeError, NeurodynError
from neurodyn.network import Connectome, load_connectome, read_aal_table
from neurodyn.network import formats as connectome_mod


@pytest.fixture
def small():
    # 3 regions, target x source; known strengths/degrees by construction
    w = np.array([[0.0, 2.0, 0.0],
                  [1.0, 0.0, 4.0],
                  [0.0, 0.0, 0.5]])
    tl = np.array([[0.0, 30.0, 60.0],
                   [30.0, 0.0, 90.0],
                   [60.0, 90.0, 0.0]])
    return Connectome(w, tract_lengths=tl, labels=["a", "b", "c"], centres=np.zeros((3, 3)),
                      areas=[1.0, 2.0, 3.0], cortical=[1, 0, 1], hemispheres=[False, True, True])


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, fragment", [
    (dict(weights=np.ones((2, 3))), "square"),
    (dict(weights=np.array([[0, np.nan], [1, 0]])), "non-finite"),
    (dict(weights=np.array([[0, np.inf], [1, 0]])), "non-finite"),
    (dict(weights=np.array([[0, -1.0], [1, 0]])), "allow_negative"),
    (dict(weights=np.ones((2, 2)), tract_lengths=np.ones((3, 3))), "same regions"),
    (dict(weights=np.ones((2, 2)), tract_lengths=-np.ones((2, 2))), ">= 0"),
    (dict(weights=np.ones((2, 2)), labels=["a"]), "1 labels for 2 regions"),
    (dict(weights=np.ones((2, 2)), labels="ab"), "sequence of strings"),
    (dict(weights=np.ones((2, 2)), centres=np.zeros((2, 2))), "expected (2, 3)"),
    (dict(weights=np.ones((2, 2)), areas=[1.0]), "areas has 1 values"),
    (dict(weights=np.ones((2, 2)), cortical=[1, 0, 1]), "cortical has 3"),
    (dict(weights=np.ones((2, 2)), hemispheres=[2, 0]), "boolean"),
    (dict(weights=np.ones((2, 2)) * 1j), "complex"),
])
def test_bad_input_raises_connectome_error(kwargs, fragment):
    with pytest.raises(ConnectomeError, match=None) as info:
        Connectome(**kwargs)
    assert fragment in str(info.value)
    assert isinstance(info.value, NeurodynError) and isinstance(info.value, ValueError)


def test_negative_weights_allowed_when_asked():
    c = Connectome(np.array([[0, -1.0], [1, 0]]), allow_negative=True)
    assert c.weights[0, 1] == -1.0
    with pytest.raises(ConnectomeError, match="signed"):
        c.normalise("rows")


def test_immutable_and_copied(small):
    w = np.array([[0.0, 1.0], [2.0, 0.0]])
    c = Connectome(w)
    w[0, 1] = 99.0
    assert c.weights[0, 1] == 1.0           # stored a copy
    with pytest.raises(ValueError):
        c.weights[0, 0] = 1.0               # read-only
    with pytest.raises(AttributeError):
        c.weights = w                       # frozen dataclass
    assert c.weights.dtype == np.float64
    assert c.labels == ("r0", "r1")


def test_inspection(small):
    assert small.n_regions == len(small) == 3
    # off-diagonal non-zeros: (0,1), (1,0), (1,2) -> 3 of 6
    assert small.density == 0.5
    np.testing.assert_array_equal(small.in_strength, [2.0, 5.0, 0.5])
    np.testing.assert_array_equal(small.out_strength, [1.0, 2.0, 4.5])
    np.testing.assert_array_equal(small.in_degree, [1, 2, 0])
    np.testing.assert_array_equal(small.out_degree, [1, 1, 1])
    np.testing.assert_array_equal(small.degree, [1, 2, 1])
    assert not small.is_symmetric
    assert small.index("b") == 1
    with pytest.raises(ConnectomeError, match="did you mean 'b'|valid choices"):
        small.index("bb")
    r = repr(small)
    assert "3 regions" in r and "density 0.5" in r and "weights in [1, 4]" in r and "self-connections" in r
    assert "tract lengths in [30, 90] mm" in r


def test_duplicate_labels_allowed_but_index_ambiguous():
    c = Connectome(np.ones((2, 2)), labels=["x", "x"])
    with pytest.raises(ConnectomeError, match="names 2 regions"):
        c.index("x")


def test_delays(small):
    np.testing.assert_allclose(small.delays(3.0), small.tract_lengths / 3.0)
    assert small.delays(3.0)[1, 2] == 30.0
    assert np.all(small.delays(np.inf) == 0)
    for bad in (0.0, -1.0, np.nan, "fast"):
        with pytest.raises(ConnectomeError, match="speed"):
            small.delays(bad)
    with pytest.raises(ConnectomeError, match="no tract_lengths"):
        Connectome(np.ones((2, 2))).delays(3.0)


def test_euclidean_lengths():
    c = Connectome(np.ones((2, 2)), centres=[[0, 0, 0], [3, 4, 0]]).with_euclidean_lengths()
    np.testing.assert_allclose(c.tract_lengths, [[0, 5], [5, 0]])


# ---------------------------------------------------------------- operations
def test_normalise_max_and_none(small):
    assert small.normalise("max").weights.max() == 1.0
    np.testing.assert_allclose(small.normalise("max").weights, small.weights / 4.0)
    np.testing.assert_array_equal(small.normalise("none").weights, small.weights)
    with pytest.raises(ConnectomeError, match="unknown method"):
        small.normalise("row")


def test_normalise_rows():
    w = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 2.0], [5.0, 5.0, 0.0]])
    r = Connectome(w).normalise("rows")
    np.testing.assert_allclose(r.weights.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(r.weights[0], [0, 0.25, 0.75])
    zero_row = Connectome(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ConnectomeError, match="receive no input"):
        zero_row.normalise("rows")
    kept = zero_row.normalise("rows", zero_rows="keep")
    np.testing.assert_array_equal(kept.weights, [[0, 1], [0, 0]])


def test_normalise_spectral():
    # [[0, a], [b, 0]] has eigenvalues +-sqrt(a b): spectral radius sqrt(8) = 2 sqrt(2)
    c = Connectome(np.array([[0.0, 2.0], [4.0, 0.0]])).normalise("spectral")
    np.testing.assert_allclose(c.weights, np.array([[0, 2.0], [4.0, 0]]) / np.sqrt(8.0), rtol=1e-14)
    # a directed 3-cycle with weight 2 has eigenvalues 2 * cube roots of unity (complex): radius 2
    cyc = Connectome(2.0 * np.roll(np.eye(3), 1, axis=1)).normalise("spectral")
    np.testing.assert_allclose(cyc.weights.max(), 1.0, rtol=1e-14)
    with pytest.raises(ConnectomeError, match="spectral radius is 0"):
        Connectome(np.array([[0.0, 1.0], [0.0, 0.0]])).normalise("spectral")


def test_symmetrise(small):
    s = small.symmetrise()
    assert s.is_symmetric
    np.testing.assert_allclose(s.weights, 0.5 * (small.weights + small.weights.T))
    m = small.symmetrise("max")
    assert m.weights[0, 1] == 2.0 and m.weights[2, 1] == 4.0
    u = small.symmetrise("upper")
    assert u.weights[1, 0] == 2.0 and u.weights[2, 1] == 4.0 and u.weights[2, 2] == 0.5
    with pytest.raises(ConnectomeError, match="unknown how"):
        small.symmetrise("avg")


def test_threshold():
    w = np.arange(16.0).reshape(4, 4)
    c = Connectome(w)
    a = c.threshold(5.0)
    assert (a.weights[(w < 5)] == 0).all() and (a.weights[w >= 5] == w[w >= 5]).all()
    p = c.threshold(density=0.25)   # 3 of the 12 off-diagonal entries: 14, 13, 12 (diagonal 0, 5, 10, 15)
    off = ~np.eye(4, dtype=bool)
    kept = sorted(p.weights[off][p.weights[off] > 0])
    assert kept == [12.0, 13.0, 14.0]
    assert np.array_equal(np.diag(p.weights), np.diag(w))   # diagonal untouched
    assert c.threshold(density=0.0).density == 0.0
    with pytest.raises(ConnectomeError, match="exactly one"):
        c.threshold()
    with pytest.raises(ConnectomeError, match=r"\[0, 1\]"):
        c.threshold(density=1.5)


def test_self_connections_and_subset(small):
    z = small.without_self_connections()
    assert np.all(np.diag(z.weights) == 0) and z.weights[1, 2] == 4.0
    s = small.subset(["c", "a"])
    np.testing.assert_array_equal(s.weights, [[0.5, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(s.tract_lengths, [[0, 60], [60, 0]])
    assert s.labels == ("c", "a")
    np.testing.assert_array_equal(s.areas, [3.0, 1.0])
    np.testing.assert_array_equal(s.hemispheres, [True, False])
    assert small.subset(np.array([True, False, True])).labels == ("a", "c")
    with pytest.raises(ConnectomeError, match="out of range"):
        small.subset([0, 7])
    with pytest.raises(ConnectomeError, match="twice"):
        small.subset([0, 0])


def test_plot_agg(small):
    import matplotlib.pyplot as plt

    ax = small.plot()
    assert ax.get_xlabel() == "source region" and ax.images[0].get_array().shape == (3, 3)
    ax2 = small.plot(what="tract_lengths", log=True)
    assert ax2.images
    plt.close("all")


# ---------------------------------------------------------------- saving / loading
@pytest.mark.parametrize("suffix", [".npz", ".zip"])
def test_save_roundtrip(small, tmp_path, suffix):
    p = small.save(tmp_path / f"c{suffix}")
    back = load_connectome(p)
    np.testing.assert_array_equal(back.weights, small.weights)
    np.testing.assert_array_equal(back.tract_lengths, small.tract_lengths)
    assert back.labels == small.labels
    np.testing.assert_array_equal(back.centres, small.centres)
    np.testing.assert_array_equal(back.areas, small.areas)
    np.testing.assert_array_equal(back.cortical, small.cortical)
    np.testing.assert_array_equal(back.hemispheres, small.hemispheres)


def test_save_rejects_unknown_suffix(small, tmp_path):
    with pytest.raises(ConnectomeError, match=".npz or .zip"):
        small.save(tmp_path / "c.h5")


def test_tvb_zip_subfolder_and_bz2(tmp_path):
    w = np.array([[0.0, 1.5], [2.5, 0.0]])
    p = tmp_path / "conn.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("sub/weights.txt.bz2", bz2.compress(b"0 1.5\n2.5 0\n"))
        z.writestr("sub/tract_lengths.txt", "0 10\n20 0\n")
        z.writestr("sub/centres.txt", "lA 1 2 3 None\nrB 4 5 6 None\n")
        z.writestr("sub/info.txt", "ignored")
    c = load_connectome(p)
    np.testing.assert_array_equal(c.weights, w)
    assert c.labels == ("lA", "rB") and c.tract_lengths[1, 0] == 20
    np.testing.assert_array_equal(c.centres, [[1, 2, 3], [4, 5, 6]])


def test_tvb_zip_errors(tmp_path):
    p = tmp_path / "bad.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("tract_lengths.txt", "0 1\n1 0\n")
    with pytest.raises(ConnectomeError, match="no weights.txt"):
        load_connectome(p)
    q = tmp_path / "ragged.zip"
    with zipfile.ZipFile(q, "w") as z:
        z.writestr("weights.txt", "0 1 2\n1 0 2\n")
    with pytest.raises(ConnectomeError, match="square"):
        load_connectome(q)
    r = tmp_path / "labels.zip"
    with zipfile.ZipFile(r, "w") as z:
        z.writestr("weights.txt", "0 1\n1 0\n")
        z.writestr("centres.txt", "a 0 0 0\nb 0 0 0\nc 0 0 0\n")
    with pytest.raises(ConnectomeError, match="3 labels for 2 regions"):
        load_connectome(r)


def test_mat_loader(tmp_path):
    w = np.array([[0.0, 0.3], [0.7, 0.0]])
    d = np.array([[0.0, 12.0], [12.0, 0.0]])
    p = tmp_path / "sc.mat"
    scipy.io.savemat(p, {"Cmat": w, "Dmat": d})
    c = load_connectome(p)
    np.testing.assert_array_equal(c.weights, w)
    np.testing.assert_array_equal(c.tract_lengths, d)
    scipy.io.savemat(tmp_path / "other.mat", {"SC": w})
    with pytest.raises(ConnectomeError, match="'SC'"):
        load_connectome(tmp_path / "other.mat")
    c2 = Connectome.from_mat(tmp_path / "other.mat", weights_key="SC", lengths_key=None)
    assert c2.tract_lengths is None


def test_plain_matrix_loaders(tmp_path):
    w = np.array([[0.0, 0.25, 1.0], [0.5, 0.0, 2.0], [3.0, 0.0, 0.0]])
    np.save(tmp_path / "w.npy", w)
    np.savetxt(tmp_path / "w.csv", w, delimiter=",")
    np.savetxt(tmp_path / "w.txt", w)
    np.savetxt(tmp_path / "tl.txt", 10 * w)
    for name in ("w.npy", "w.csv", "w.txt"):
        np.testing.assert_array_equal(load_connectome(tmp_path / name).weights, w)
    c = Connectome.from_matrices(tmp_path / "w.csv", tmp_path / "tl.txt")
    np.testing.assert_array_equal(c.tract_lengths, 10 * w)
    with pytest.raises(ConnectomeError, match="does not exist"):
        Connectome.from_matrices(tmp_path / "nope.npy")
    with pytest.raises(ConnectomeError, match="unsupported"):
        load_connectome(tmp_path / "w.npy").save(tmp_path / "x.xlsx")


def test_triplets_loader(tmp_path):
    p = tmp_path / "t.dat"
    p.write_text("3\n0 1 0.5\n2 0 1.25\n")
    c = load_connectome(p)   # dispatch: first line is a single integer -> triplets
    expected = np.zeros((3, 3))
    expected[0, 1], expected[2, 0] = 0.5, 1.25
    np.testing.assert_array_equal(c.weights, expected)
    q = tmp_path / "t1.dat"
    q.write_text("3\n1 2 0.5\n3 1 1.25\n")
    np.testing.assert_array_equal(Connectome.from_triplets(q, index_base=1).weights, expected)
    with pytest.raises(ConnectomeError, match="index_base"):
        Connectome.from_triplets(q)        # 0-based reading of a 1-based file: index 3 out of range
    r = tmp_path / "dup.dat"
    r.write_text("2\n0 1 0.5\n0 1 0.7\n")
    with pytest.raises(ConnectomeError, match="twice"):
        Connectome.from_triplets(r)


def test_npz_single_matrix_and_key(tmp_path):
    w = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.savez(tmp_path / "one.npz", normalized_matrix=w)
    np.testing.assert_array_equal(load_connectome(tmp_path / "one.npz").weights, w)
    np.savez(tmp_path / "two.npz", a=w, b=2 * w)
    with pytest.raises(ConnectomeError, match="pass key"):
        load_connectome(tmp_path / "two.npz")
    np.testing.assert_array_equal(load_connectome(tmp_path / "two.npz", key="b").weights, 2 * w)


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ConnectomeError) as info:
        load_connectome("tvb77")
    msg = str(info.value)
    for n in (66, 68, 76, 96, 192):
        assert f"tvb{n}" in msg
    with pytest.raises(ConnectomeError, match="valid names"):
        Connectome.from_tvb_data(100)


def test_missing_tvb_data_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(connectome_mod.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tvb_data" else real(name, *a))
    with pytest.raises(ConnectomeError) as info:
        load_connectome("tvb76")
    assert "neurodyn[peers]" in str(info.value) and "tvb-data" in str(info.value)


# ---------------------------------------------------------------- real data
def test_aal90(aal90_dir):
    raw = load_connectome(aal90_dir)                       # folder dispatch -> sc2017.dat + aal.dat
    assert raw.n_regions == 90
    assert raw.labels[:2] == ("PreCG.L", "PreCG.R") and raw.labels[-1] == "ITG.R"
    np.testing.assert_allclose(raw.centres[0], [-38.65, -5.68, 50.94])
    assert raw.hemispheres.sum() == 45 and not raw.hemispheres[0] and raw.hemispheres[1]
    assert np.all(np.diag(raw.weights) == 0)               # SOURCE.md: diagonal 0
    assert 0.97 < raw.density < 0.995                       # SOURCE.md: density about 0.98
    assert not raw.is_symmetric                             # SOURCE.md: not exactly symmetric
    # SOURCE.md: W = C / C.sum(axis=1): our 'rows' normalisation reproduces the authors' file
    norm = Connectome.from_aal90(aal90_dir, "normalized")
    np.testing.assert_allclose(raw.normalise("rows").weights, norm.weights, rtol=1e-14, atol=0)
    np.testing.assert_allclose(norm.weights.sum(axis=1), 1.0, atol=1e-14)
    # first data line of sc2017.dat is "0 1 0.15271": 0-based, row 0 column 1
    assert raw.weights[0, 1] == 0.15271
    table = read_aal_table(aal90_dir / "aal.dat")
    assert table["lobes"][0] == "Frontal"


def test_tvb998(tvb998_zip):
    c = load_connectome(tvb998_zip)
    assert c.n_regions == 998
    assert abs(c.density - 0.036) < 0.002                   # SOURCE.md: about 3.6% non-zero
    assert 185 < c.tract_lengths.max() < 195                # SOURCE.md: longest tract about 190 mm
    assert c.centres.shape == (998, 3) and c.areas.shape == (998,)
    assert np.all(np.diag(c.weights) == 0)
    assert load_connectome(tvb998_zip.parent).n_regions == 998     # folder holding one connectivity_*.zip


def test_unpacked_tvb_folder(tmp_path):
    w = np.array([[0.0, 1.0], [2.0, 0.0]])
    np.savetxt(tmp_path / "weights.txt", w)
    np.savetxt(tmp_path / "tract_lengths.txt", 5 * w)
    (tmp_path / "centres.txt").write_text("a 0 0 0\nb 1 1 1\n")
    c = load_connectome(tmp_path)
    np.testing.assert_array_equal(c.weights, w)
    np.testing.assert_array_equal(c.tract_lengths, 5 * w)
    assert c.labels == ("a", "b")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConnectomeError, match="no recognised connectome"):
        load_connectome(tmp_path / "empty")


def test_tvb_data_connectomes_match_tvb_reader():
    pytest.importorskip("tvb_data", reason="tvb-data (optional extra neurodyn[peers]) not installed")
    tvb_conn = pytest.importorskip("tvb.datatypes.connectivity",
                                   reason="tvb-library not installed: cannot compare with TVB's own reader")
    for n in (66, 68, 76, 96, 192):
        ours = load_connectome(f"tvb{n}")
        theirs = tvb_conn.Connectivity.from_file(f"connectivity_{n}.zip")
        assert ours.n_regions == n
        np.testing.assert_array_equal(ours.weights, theirs.weights)
        np.testing.assert_array_equal(ours.tract_lengths, theirs.tract_lengths)
        assert list(ours.labels) == [str(s) for s in theirs.region_labels]
        np.testing.assert_array_equal(ours.centres, theirs.centres)
        if theirs.areas is not None and theirs.areas.size:
            np.testing.assert_array_equal(ours.areas, theirs.areas)
    assert load_connectome(76).name == "tvb76"
    assert load_connectome("connectivity_96.zip").n_regions == 96
