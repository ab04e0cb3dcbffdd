"""Save/load round trips, the command line, and user-given delay history."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import neurodyn
from neurodyn.cli import main
from neurodyn.errors import InputError
from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate


def test_dataframe_roundtrip_keeps_complex_and_provenance(tmp_path):
    df = neurodyn.integrate("kmo_theta", simulation_time=1.0, step_size=1e-3, sampling_step_size=0.1,
                            outputs={"z": "p/theta_op/z"}, solver="rk4")
    path = neurodyn.save(df, tmp_path / "run.nc")
    back = neurodyn.load(path)
    assert back["z"].dtype == np.complex128
    np.testing.assert_array_equal(back["z"].to_numpy(), df["z"].to_numpy())   # NetCDF stores float64 exactly
    np.testing.assert_array_equal(back.index.to_numpy(), df.index.to_numpy())
    prov = back.attrs["provenance"]
    assert prov["solver"] == "rk4" and prov["step_size"] == 1e-3
    assert prov["template_hash"] == df.attrs["provenance"]["template_hash"]


def test_dataset_roundtrip(tmp_path):
    ds = xr.Dataset({"x": (("time", "region"), np.arange(6.0).reshape(3, 2)),
                     "c": (("region",), np.array([1 + 1j, 2 - 3j]))},
                    coords={"time": [0.0, 0.1, 0.2], "region": [0, 1]}, attrs={"seed": 3, "solver": "heun"})
    back = neurodyn.load(neurodyn.save(ds, tmp_path / "net.nc"))
    xr.testing.assert_identical(back, ds)


def test_save_rejects_wrong_things(tmp_path):
    with pytest.raises(InputError, match=".nc"):
        neurodyn.save(pd.DataFrame({"a": [1.0]}), tmp_path / "x.csv")
    with pytest.raises(InputError, match="DataFrame or an xarray Dataset"):
        neurodyn.save([1, 2], tmp_path / "x.nc")
    with pytest.raises(InputError, match="no result file"):
        neurodyn.load(tmp_path / "missing.nc")


def test_cli_templates_lists_library(capsys):
    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    for name in ("JRC", "qif", "kmo_theta", "ei_ping"):
        assert any(line.split()[0] == name for line in out.splitlines())


def test_cli_run_writes_results_and_plot(tmp_path):
    nc, png, csv = tmp_path / "q.nc", tmp_path / "q.png", tmp_path / "q.csv"
    assert main(["run", "qif", "--time", "2", "--dt", "1e-3", "--sampling", "0.1", "--out", "r=p/qif_op/r",
                 "--output", str(nc), "--plot", str(png), "--quiet"]) == 0
    df = neurodyn.load(nc)
    ref = neurodyn.integrate("qif", 2.0, 1e-3, outputs={"r": "p/qif_op/r"}, solver="rk4", sampling_step_size=0.1)
    np.testing.assert_allclose(df["r"].to_numpy(), ref["r"].to_numpy(), rtol=1e-14)
    assert png.stat().st_size > 10_000
    assert main(["run", "qif", "--time", "1", "--dt", "1e-3", "--output", str(csv), "--quiet"]) == 0
    assert len(pd.read_csv(csv)) == 1000


def test_cli_reports_bad_input_without_traceback(capsys):
    assert main(["run", "no_such_template", "--time", "1", "--dt", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err


def test_cli_brain_on_a_matrix_file(tmp_path):
    rng = np.random.default_rng(0)
    W = rng.uniform(0, 1, (6, 6))
    np.fill_diagonal(W, 0)
    np.save(tmp_path / "w.npy", W)
    out = tmp_path / "b.nc"
    assert main(["brain", "--connectome", str(tmp_path / "w.npy"), "--normalise", "rows", "--coupling", "5",
                 "--time", "20", "--dt", "0.01", "--sampling", "0.1", "--var", "ei_ping_op/r_e",
                 "--output", str(out), "--plot", str(tmp_path / "b.png"), "--quiet"]) == 0
    ds = neurodyn.load(out)
    assert ds["r_e"].shape == (200, 6)
    assert ds["fc"].shape == (6, 6)
    np.testing.assert_allclose(np.diag(ds["fc"].values), 1.0)


def test_console_script_entry_point():
    """The installed entry point runs (python -m neurodyn.cli as a fallback in source checkouts)."""
    r = subprocess.run([sys.executable, "-m", "neurodyn.cli", "templates"], capture_output=True, text=True)
    assert r.returncode == 0 and "JRC" in r.stdout


def _delay_pair(delay: float) -> CircuitTemplate:
    src = OperatorTemplate("src", ["x' = k"], {"x": "output(0.0)", "k": 0.0})
    tgt = OperatorTemplate("tgt", ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    return CircuitTemplate("pair", nodes={"a": NodeTemplate("A", [src]), "b": NodeTemplate("B", [tgt])},
                           edges=[("a/src/x", "b/tgt/u", None, {"weight": 1.0, "delay": delay})])


@pytest.mark.parametrize("solver", ["heun", "rk4"])
def test_given_history_is_used_before_t0(solver):
    """x(t) = t for t in [-1, 0], x = 0 afterwards; y' = x(t - 1) gives y(1) = -1/2 exactly (linear history;
    linear interpolation is exact for it, and Heun/RK4 integrate the piecewise-linear integrand exactly)."""
    model = neurodyn.compile_model(_delay_pair(1.0))
    dt = 0.01
    hist = np.linspace(-1.0, 0.0, 101)
    df = model.run(2.0, dt, outputs={"y": "b/tgt/y"}, solver=solver, history={"a/src/x": hist},
                   delay_mode="linear")
    assert df["y"].iloc[100] == pytest.approx(-0.5, abs=1e-13)
    assert df["y"].iloc[-1] == pytest.approx(-0.5, abs=1e-13)


def test_history_errors():
    model = neurodyn.compile_model(_delay_pair(1.0))
    with pytest.raises(InputError, match="shape"):
        model.run(1.0, 0.01, outputs={"y": "b/tgt/y"}, solver="heun", history={"a/src/x": np.zeros((3, 2))})
    with pytest.raises(InputError, match="non-finite"):
        model.run(1.0, 0.01, outputs={"y": "b/tgt/y"}, solver="heun", history={"a/src/x": [0.0, np.nan]})
    with pytest.raises(InputError, match="not the source of a delayed edge"):
        model.run(1.0, 0.01, outputs={"y": "b/tgt/y"}, solver="heun", history={"b/tgt/y": [0.0, 0.0]})


def test_cli_cache_lists_and_clears(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEURODYN_CACHE_DIR", str(tmp_path))
    import neurodyn as nd
    nd.integrate(CircuitTemplate("cli_cache_probe", nodes={"p": NodeTemplate("cli_cache_node", [
        OperatorTemplate("cli_cache_op", ["x' = -x"], {"x": "output(1.0)"})])}), 0.1, 0.01, solver="euler")
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path) in out and "kernels-" in out and "ir-" in out
    assert any(tmp_path.glob("ir-*/*.pkl"))
    assert main(["cache", "--clear"]) == 0
    assert "cleared" in capsys.readouterr().out
    assert not any(tmp_path.glob("ir-*")) and not any(tmp_path.glob("kernels-*"))
    assert main(["cache"]) == 0 and "(empty)" in capsys.readouterr().out
