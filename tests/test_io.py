"""neurodyn.io: exact round trips of every kind of result, atomic writes, damaged and foreign files refused.

Exactness: NetCDF-4 stores float64 and complex parts bit for bit, so every comparison here is exact
(``assert_frame_equal`` with ``check_exact=True``, ``xarray.testing.assert_identical``), attributes included.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import neurodyn
from neurodyn.errors import InputError, ResultFileError
from neurodyn.io import load, save


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert list(a.columns) == list(b.columns)
    assert a.attrs == b.attrs


def test_default_output_names_with_slashes_round_trip(tmp_path):
    """Default outputs are 'node/op/var' paths; NetCDF forbids '/' in names (the README's command crashed)."""
    df = neurodyn.integrate("JRC", 0.05, 1e-4, sampling_step_size=1e-3, solver="rk4")
    assert all("/" in c for c in df.columns)
    back = load(save(df, tmp_path / "jrc.nc"))
    _same_frame(back, df)
    assert back.attrs["provenance"]["solver"] == "rk4"


def test_all_outputs_multiindex_round_trip(tmp_path):
    df = neurodyn.integrate("kmo_2coupled", 0.2, 1e-3, outputs={"theta": "all/phase_op/theta"}, solver="rk4")
    assert isinstance(df.columns, pd.MultiIndex)
    _same_frame(load(save(df, tmp_path / "m.nc")), df)
    df.columns = df.columns.set_names(["output", "node"])
    _same_frame(load(save(df, tmp_path / "m2.nc")), df)


def test_complex_columns_stay_complex(tmp_path):
    df = neurodyn.integrate("kmo_theta", 0.5, 1e-3, solver="rk4")       # default column 'p/theta_op/z'
    back = load(save(df, tmp_path / "z.nc"))
    assert back["p/theta_op/z"].dtype == np.complex128
    _same_frame(back, df)


def test_unusual_labels_and_attrs_round_trip(tmp_path):
    df = pd.DataFrame({"a%2Fb": [1.0, 2.0], "x.real": [1j, 2j], "x": [3.0, 4.0], 7: [5, 6], "s": ["u", "vé"]},
                      index=pd.Index([0.5, 1.5], name="t/ms"))
    df.attrs = {"provenance": {"seed": None, "shape": (2, 3), "flags": [True, False], "w": np.arange(3.0)},
                "json:odd": "json:looks like json", "note": "plain", "n": 3, "on": True}
    back = load(save(df, tmp_path / "u.nc"))
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert back.attrs["provenance"]["shape"] == (2, 3) and back.attrs["provenance"]["seed"] is None
    np.testing.assert_array_equal(back.attrs["provenance"]["w"], np.arange(3.0))
    assert back.attrs["json:odd"] == "json:looks like json" and back.attrs["on"] is True
    dup = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])                  # repeated labels are kept
    pd.testing.assert_frame_equal(load(save(dup, tmp_path / "d.nc")), dup, check_exact=True)


def test_network_dataset_round_trip(tmp_path):
    from neurodyn.network import BrainNetwork, Connectome, Coupling
    W = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.3, 0.7, 0.0]])
    net = BrainNetwork("ei_ping_pop", Connectome(W, labels=["A", "B/x", "C"]),
                       Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    ds = net.simulate(50.0, 0.01, variables=["ei_ping_op/r_e"], sampling_step_size=0.1, fc="ei_ping_op/r_e",
                      psd={"variable": "ei_ping_op/r_e", "nperseg": 128}, params={"ei_ping_op/eps": 2.0},
                      initial="random", seed=1, progress=False)
    assert {"r_e", "fc", "psd", "mean_r_e"} <= set(ds.data_vars)
    xr.testing.assert_identical(load(save(ds, tmp_path / "net.nc")), ds)


def test_dataset_with_slashes_complex_and_variable_attrs(tmp_path):
    ds = xr.Dataset({"p/z": (("time", "node/k"), np.array([[1 + 1j, 2], [3, 4 - 2j]]), {"units": "1", "d": {"a": 1}}),
                     "flag": ((), np.float64(2.5))},
                    coords={"time": [0.0, 0.1], "node/k": ["a", "b"], "lab": ("node/k", ["x", "y"])},
                    attrs={"seed": 3, "solver": "heun", "nested": {"x": [1, 2]}})
    back = load(save(ds, tmp_path / "c.nc"))
    xr.testing.assert_identical(back, ds)
    assert back["p/z"].attrs["d"] == {"a": 1} and back["p/z"].dtype == np.complex128


def test_failed_save_leaves_nothing_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "r.nc"
    good = pd.DataFrame({"x": [1.0, 2.0]})
    save(good, target)
    before = target.read_bytes()
    bad = xr.Dataset({"a": ("i", np.arange(3.0)), "b": ("i", np.array([1, "two", 3.0], dtype=object))})
    with pytest.raises(Exception):
        save(bad, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc"]          # no temporary file left behind
    assert target.read_bytes() == before
    with pytest.raises(InputError, match="Python objects"):
        save(pd.DataFrame({"o": [object(), 1]}), tmp_path / "o.nc")
    assert not (tmp_path / "o.nc").exists()


def test_unwritable_directory_is_a_typed_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write"):
        save(pd.DataFrame({"x": [1.0]}), blocker / "sub" / "r.nc")


def _data_offset(raw: bytes, values: np.ndarray) -> int:
    k = raw.find(np.ascontiguousarray(values).tobytes())
    assert k > 0, "array bytes not found in the file"
    return k


def test_damaged_data_is_detected(tmp_path):
    """A flipped byte inside an array fails its Fletcher-32 checksum: a typed error, never other numbers."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"p/op/x": rng.standard_normal(500), "p/op/z": rng.standard_normal(500) * (1 + 1j)})
    path = save(df, tmp_path / "d.nc")
    raw = bytearray(path.read_bytes())
    for values in (df["p/op/x"].to_numpy(), df["p/op/z"].to_numpy().imag, df.index.to_numpy()):
        k = _data_offset(bytes(raw), values) + 8 * 17 + 3
        damaged = bytearray(raw)
        damaged[k] ^= 0x10
        bad = tmp_path / "bad.nc"
        bad.write_bytes(bytes(damaged))
        with pytest.raises(ResultFileError, match="damaged"):
            load(bad)
        # the second line of defence, for any NetCDF-4 reader: the array's own Fletcher-32 checksum
        import h5py
        with h5py.File(bad, "r") as f:
            assert all(f[k].fletcher32 for k in ("p%2Fop%2Fx", "p%2Fop%2Fz.real", "p%2Fop%2Fz.imag", "index"))
            with pytest.raises(OSError):
                for k in f:
                    f[k][()]


def test_every_flipped_byte_is_detected(tmp_path):
    """Flip every third byte of a written file in turn (all 8 bits): every load raises ResultFileError, wherever
    the byte is (data, HDF5 structures, attributes, unused space), since the whole file carries a SHA-256 that
    is checked before HDF5 reads it."""
    df = pd.DataFrame({"n/op/r": np.linspace(0.0, 1.0, 40), "n/op/z": np.exp(1j * np.linspace(0, 3, 40))},
                      index=pd.Index(np.arange(40) * 0.1, name="time"))
    df.attrs["provenance"] = {"solver": "rk4", "step_size": 0.01}
    path = save(df, tmp_path / "f.nc")
    raw = path.read_bytes()
    bad = tmp_path / "flip.nc"
    not_refused = []
    for k in range(0, len(raw), 3):
        damaged = bytearray(raw)
        damaged[k] ^= 0xFF
        bad.write_bytes(bytes(damaged))
        try:
            load(bad)
        except ResultFileError:
            continue
        not_refused.append(k)
    assert not not_refused, f"flipped bytes at {not_refused[:10]} were not detected"
    _same_frame(load(path), df)


def test_foreign_and_truncated_files_are_typed_errors(tmp_path):
    xr.Dataset({"x": ("t", [1.0, 2.0])}).to_netcdf(tmp_path / "plain.nc", engine="h5netcdf")
    with pytest.raises(ResultFileError, match="not written by neurodyn"):
        load(tmp_path / "plain.nc")
    (tmp_path / "table.nc").write_text("time,x\n0,1\n")
    with pytest.raises(ResultFileError, match="not a NetCDF-4"):
        load(tmp_path / "table.nc")
    path = save(pd.DataFrame({"x": np.arange(100.0)}), tmp_path / "whole.nc")
    (tmp_path / "cut.nc").write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(ResultFileError, match="damaged"):
        load(tmp_path / "cut.nc")
    (tmp_path / "empty.nc").write_bytes(b"")
    with pytest.raises(ResultFileError):
        load(tmp_path / "empty.nc")


def test_other_tools_read_the_file(tmp_path):
    """The file is plain NetCDF-4: xarray opens it without neurodyn (encoded names, real/imag parts)."""
    df = pd.DataFrame({"p/op/z": [1 + 2j, 3 - 1j]}, index=pd.Index([0.0, 0.1], name="time"))
    with xr.open_dataset(save(df, tmp_path / "o.nc"), engine="h5netcdf") as f:
        assert set(f.data_vars) == {"p%2Fop%2Fz.real", "p%2Fop%2Fz.imag"}
        np.testing.assert_array_equal(f["p%2Fop%2Fz.imag"].values, [2.0, -1.0])
        assert f.attrs["neurodyn_format"] == neurodyn.io.FORMAT
    assert os.path.getsize(tmp_path / "o.nc") > 0
