"""The command line as a new user meets it: complex models, own YAML files, the whole-brain options, mistakes
reported in one line before anything runs, figures with units and readable layouts.

Numbers are checked against the Python API run with the same settings (the command line must add nothing and
lose nothing: exact equality), against NumPy on the stored trajectories (FC after --discard), and against
closed forms (a leaky integrator).
"""
from __future__ import annotations

import itertools
import textwrap

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import neurodyn  # noqa: E402
from neurodyn.cli import main  # noqa: E402


@pytest.fixture
def figures(monkeypatch):
    """Every figure the command saves, kept for inspection."""
    saved = []
    original = Figure.savefig

    def keep(self, *args, **kwargs):
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def _labels(fig):
    return [ax.get_xlabel() for ax in fig.axes], [ax.get_ylabel() for ax in fig.axes]


def _overlapping_axes(fig, tol=1.0):
    """Pairs of axes (colour bars included) whose drawn areas, labels and ticks included, overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)            # a closed figure has lost its canvas
    canvas.draw()
    r = canvas.get_renderer()
    boxes = [(ax, ax.get_tightbbox(r)) for ax in fig.axes if ax.get_visible() and ax.axison]
    bad = []
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        w, h = min(ba.x1, bb.x1) - max(ba.x0, bb.x0), min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
        if w > tol and h > tol:
            bad.append((a.get_title() or a.get_label(), b.get_title() or b.get_label()))
    return bad


# ----------------------------------------------------------------------------------- complex models
@pytest.mark.parametrize("name, z", [("kmo_theta", "p/theta_op/z"), ("theta_pop", "theta_pop/theta_op/z"),
                                     ("kmo_mf", "p/kmo_op/z")])
def test_complex_models_print_plot_save_and_load(name, z, tmp_path, capsys, figures):
    nc, png = tmp_path / "z.nc", tmp_path / "z.png"
    assert main(["run", name, "--time", "5", "--dt", "1e-3", "--sampling", "0.01", "--output", str(nc),
                 "--plot", str(png), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"|{z}|" in out and f"arg {z}" in out
    back = neurodyn.load(nc)
    assert back[z].dtype == np.complex128
    ref = neurodyn.integrate(name, 5.0, 1e-3, sampling_step_size=0.01, solver="rk4", outputs={z: z})
    np.testing.assert_array_equal(back[z].to_numpy(), ref[z].to_numpy())
    xl, yl = _labels(figures[-1])
    assert any(y.startswith(f"|{z}|") for y in yl) and f"arg {z} (rad)" in yl
    if name != "kmo_mf":                           # theta populations define their firing rate r: shown, real
        r = z[:-1] + "r"
        assert back[r].dtype == np.float64 and any(y.startswith(r) and "1/tau" in y for y in yl)
    assert png.stat().st_size > 20_000


def test_csv_of_a_complex_run_keeps_both_parts(tmp_path, capsys):
    csv = tmp_path / "z.csv"
    assert main(["run", "kmo_mf", "--time", "1", "--dt", "1e-3", "--sampling", "0.1", "--output", str(csv),
                 "--quiet"]) == 0
    table = pd.read_csv(csv, index_col=0)
    ref = neurodyn.integrate("kmo_mf", 1.0, 1e-3, sampling_step_size=0.1, solver="rk4")
    np.testing.assert_allclose(table["p/kmo_op/z.real"] + 1j * table["p/kmo_op/z.imag"], ref["p/kmo_op/z"],
                               rtol=1e-15)
    assert "complex columns written as .real and .imag" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ own YAML files
LEAK = """
leak_op:
  base: OperatorTemplate
  equations: "x' = (I - x)/tau"
  variables:
    x: {default: output(0.0), unit: mV}
    tau: {default: 2.0, unit: ms}
    I: 3.0
leak_pop:
  base: NodeTemplate
  operators: [leak_op]
"""


def test_run_my_yaml_file(tmp_path, monkeypatch, figures):
    """A file with one node runs by its path; x = I (1 - exp(-t/tau)) (RK4 at dt 1e-3: error ~1e-14)."""
    (tmp_path / "my.yaml").write_text(LEAK)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "my.yaml", "--time", "4", "--dt", "1e-3", "--sampling", "0.1", "--output", "m.nc",
                 "--plot", "m.png", "--time-unit", "ms", "--param", "leak_pop/leak_op/tau=0.5", "--quiet"]) == 0
    df = neurodyn.load(tmp_path / "m.nc")
    t = df.index.to_numpy()
    np.testing.assert_allclose(df["leak_pop/leak_op/x"], 3.0 * (1 - np.exp(-t / 0.5)), rtol=0, atol=1e-12)
    xl, yl = _labels(figures[-1])
    assert "time (ms)" in xl and "leak_pop/leak_op/x (mV)" in yl
    assert main(["run", "./my", "--time", "1", "--dt", "1e-3", "--quiet"]) == 0        # ./my -> ./my.yaml


def test_several_circuits_or_a_path_to_nothing_say_what_to_write(tmp_path, monkeypatch, capsys):
    (tmp_path / "two.yaml").write_text(LEAK + textwrap.dedent("""
    a:
      base: CircuitTemplate
      nodes: {p: leak_pop}
    b:
      base: CircuitTemplate
      nodes: {p: leak_pop, q: leak_pop}
    """))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "two.yaml", "--time", "1", "--dt", "1e-3"]) == 2
    err = capsys.readouterr().err
    assert "several circuits (a, b)" in err and "'two.yaml/a' or 'two.yaml/b'" in err and "Traceback" not in err
    assert main(["run", "two.yaml/b", "--time", "1", "--dt", "1e-3", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["run", "./JRC", "--time", "1", "--dt", "1e-4"]) == 2
    assert "The bundled template is written 'JRC', without a path" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ hygiene
@pytest.fixture
def no_run(monkeypatch):
    """Fail the test if a model is compiled: the mistake must be found before anything runs."""
    import neurodyn.network.builder as nb           # imported first: it binds compile_model when imported
    import neurodyn.simulate as sim

    def refuse(*a, **k):
        raise AssertionError("the command compiled a model before checking its arguments")

    monkeypatch.setattr(sim, "compile_model", refuse)
    monkeypatch.setattr(nb, "compile_model", refuse)


@pytest.mark.parametrize("argv, message", [
    (["run", "qif", "--time", "1", "--dt", "1e-3", "--param", "p/qif_op/eta=fast"], "'fast' is not a number"),
    (["run", "qif", "--time", "1", "--dt", "1e-3", "--param", "p/qif_op/eta"], "write PATH=VALUE"),
    (["run", "qif", "--time", "1", "--dt", "1e-3", "--plot", "q.pgn"], "matplotlib cannot write '.pgn'"),
    (["run", "qif", "--time", "1", "--dt", "1e-3", "--output", "q.xlsx"], "unknown suffix '.xlsx'"),
    (["run", "qif", "--time", "1", "--dt", "1e-3", "--solver", "rk5"], "unknown solver 'rk5'"),
    (["brain", "--connectome", "tvb76", "--time", "1", "--dt", "0.01", "--param", "ei_ping_op/eps=x"],
     "'x' is not a number"),
    (["brain", "--connectome", "tvb76", "--time", "1", "--dt", "0.01", "--plot", "b.jpgg"], "cannot write '.jpgg'"),
])
def test_mistakes_are_one_line_before_the_run(argv, message, capsys, no_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_unwritable_output_is_found_before_the_run(tmp_path, capsys, no_run):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", "qif", "--time", "1", "--dt", "1e-3", "--output", str(blocker / "q.nc")]) == 2
    assert "cannot write in" in capsys.readouterr().err
    (tmp_path / "d.png").mkdir()
    assert main(["run", "qif", "--time", "1", "--dt", "1e-3", "--plot", str(tmp_path / "d.png")]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_misspelt_node_says_the_template_does_not_exist(capsys, no_run):
    assert main(["brain", "--node", "ei_pin_pop", "--connectome", "tvb76", "--time", "1", "--dt", "0.01"]) == 2
    err = capsys.readouterr().err
    assert "template 'ei_pin_pop' not found" in err and "did you mean 'ei_ping_pop'" in err


@pytest.mark.parametrize("argv", [["run", "qif", "--tim", "1", "--time", "2", "--dt", "1e-3"],
                                  ["run", "qif", "--time", "1", "--dt", "1e-3", "--samp", "0.1"],
                                  ["brain", "--connectome", "tvb76", "--time", "1", "--dt", "0.01", "--coup", "5"]])
def test_options_are_never_abbreviated(argv, capsys, no_run):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err or "required" in err


def test_default_solver_is_announced(tmp_path, capsys):
    assert main(["run", "qif", "--time", "0.1", "--dt", "1e-3", "--quiet"]) == 0
    assert "note: solver rk4 (the default of `neurodyn run`; neurodyn.integrate and PyRates default to 'euler')" \
        in capsys.readouterr().err
    assert main(["run", "qif", "--time", "0.1", "--dt", "1e-3", "--solver", "euler", "--quiet"]) == 0
    cap = capsys.readouterr()
    assert "note: solver" not in cap.err and "solver euler" in cap.out


# ------------------------------------------------------------------------------------------ figures
def test_run_figure_carries_units(tmp_path, figures):
    assert main(["run", "JRC", "--time", "0.2", "--dt", "1e-4", "--sampling", "1e-3", "--plot",
                 str(tmp_path / "j.png"), "--quiet"]) == 0
    xl, yl = _labels(figures[-1])
    assert xl[-1] == "time (s)"
    assert "pc/rpo_e_in/v (V)" in yl and "rpo_e/v (V)" in yl and "pro/m (1/s)" in yl
    assert not _overlapping_axes(figures[-1])


def test_many_nodes_are_an_image_not_a_wall_of_traces(tmp_path, figures):
    nodes = "\n".join(f"    n{k}: leak_pop" for k in range(20))
    (tmp_path / "many.yaml").write_text(LEAK + f"many:\n  base: CircuitTemplate\n  nodes:\n{nodes}\n")
    assert main(["run", str(tmp_path / "many.yaml"), "--time", "1", "--dt", "1e-2", "--out", "x=all/leak_op/x",
                 "--plot", str(tmp_path / "m.png"), "--quiet"]) == 0
    fig = figures[-1]
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 1 and len(panels[0].get_images()) == 1 and len(panels[0].get_lines()) == 0
    assert panels[0].get_images()[0].get_array().shape == (20, 100)
    assert any(ax.get_label() == "<colorbar>" and ax.get_ylabel() == "x (mV)" for ax in fig.axes)


# ----------------------------------------------------------------------------------------- brain
def _matrix(tmp_path, zero_row: bool = False):
    rng = np.random.default_rng(0)
    W = rng.uniform(0, 1, (8, 8))
    np.fill_diagonal(W, 0)
    if zero_row:
        W[3] = 0.0                                 # region 3 receives no input
    path = tmp_path / ("w0.npy" if zero_row else "w.npy")
    np.save(path, W)
    return path, W


def test_brain_zero_rows(tmp_path, capsys):
    path, W = _matrix(tmp_path, zero_row=True)
    base = ["brain", "--connectome", str(path), "--normalise", "rows", "--time", "5", "--dt", "0.01", "--quiet"]
    assert main(base) == 2
    assert "receive no input" in capsys.readouterr().err
    assert main(base + ["--zero-rows", "drop", "--output", str(tmp_path / "d.nc")]) == 0
    ds = neurodyn.load(tmp_path / "d.nc")
    assert list(ds["label"].values) == [f"r{i}" for i in (0, 1, 2, 4, 5, 6, 7)]      # r3 dropped
    assert main(base + ["--zero-rows", "keep", "--output", str(tmp_path / "k.nc")]) == 0
    assert neurodyn.load(tmp_path / "k.nc").sizes["region"] == 8


def test_brain_structure_initial_noise_discard_and_csv(tmp_path):
    """Random initial states (seeded) and noise break the symmetry of identical regions; FC after --discard
    equals numpy.corrcoef of the stored trajectory from t = discard (to 1e-12: the same numbers)."""
    path, W = _matrix(tmp_path)
    common = ["brain", "--connectome", str(path), "--normalise", "rows", "--coupling", "2", "--time", "60",
              "--dt", "0.01", "--sampling", "0.1", "--quiet"]
    assert main(common + ["--output", str(tmp_path / "flat.nc")]) == 0
    flat = neurodyn.load(tmp_path / "flat.nc")
    np.testing.assert_allclose(flat["fc"].values, 1.0, atol=1e-9)    # identical regions: FC = 1 everywhere
    run = common + ["--initial", "random", "--seed", "4", "--noise", "0.01", "--discard", "20"]
    assert main(run + ["--output", str(tmp_path / "a.nc")]) == 0
    assert main(run + ["--output", str(tmp_path / "b.nc")]) == 0
    a, b = neurodyn.load(tmp_path / "a.nc"), neurodyn.load(tmp_path / "b.nc")
    np.testing.assert_array_equal(a["r_e"].values, b["r_e"].values)           # seeded: reproducible
    x = a["r_e"].values[a["time"].values >= 20 - 1e-9]
    np.testing.assert_allclose(a["fc"].values, np.corrcoef(x.T), rtol=0, atol=1e-12)
    off = a["fc"].values[~np.eye(8, dtype=bool)]
    assert off.min() < 0.99                                                    # structure, not FC = 1
    assert main(run + ["--output", str(tmp_path / "a.csv")]) == 0
    table = pd.read_csv(tmp_path / "a.csv", index_col=0)
    assert table.shape == (600, 8)                                             # a row per time, a column per region
    np.testing.assert_allclose(table.to_numpy(), a["r_e"].values, rtol=1e-15)


def test_brain_regions_and_euclidean_lengths(tmp_path, figures):
    pytest.importorskip("tvb_data", reason="tvb-data (an optional extra) provides the tvb76 connectome")
    from neurodyn.network import load_connectome
    C = load_connectome("tvb76")
    assert main(["brain", "--connectome", "tvb76", "--regions", "0:6,lCC", "--euclidean", "--speed", "3",
                 "--normalise", "rows", "--zero-rows", "keep", "--time", "20", "--dt", "0.01", "--sampling", "0.1",
                 "--initial", "random", "--seed", "1", "--output", str(tmp_path / "e.nc"),
                 "--plot", str(tmp_path / "e.png"), "--quiet"]) == 0
    ds = neurodyn.load(tmp_path / "e.nc")
    assert list(ds["label"].values) == list(C.labels[:6]) + ["lCC"]
    fig = figures[-1]
    assert not _overlapping_axes(fig)
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 2
    xl, yl = _labels(fig)
    assert "time (ms)" in xl and "r_e (1/ms)" in yl


def test_brain_euclidean_needs_centres(tmp_path, capsys):
    path, _ = _matrix(tmp_path)
    assert main(["brain", "--connectome", str(path), "--euclidean", "--time", "1", "--dt", "0.01"]) == 2
    assert "no centres" in capsys.readouterr().err


def test_study_figures_do_not_overlap():
    from neurodyn.network import Connectome
    from neurodyn.studies.spread import focal_stimulation
    from neurodyn.studies.whole_brain import whole_brain
    rng = np.random.default_rng(1)
    C = rng.random((12, 12)) * 0.1
    C[:6, :6] += 1.0
    C[6:, 6:] += 1.0
    res = whole_brain(Connectome(C).without_self_connections(), duration=400.0, linear_prediction=True)
    axes = res.plot()
    assert not _overlapping_axes(axes[0].figure)
    ring = np.zeros((12, 12))
    for i in range(12):
        ring[i, (i + 1) % 12] = ring[i, (i - 1) % 12] = 1.0
    axes = focal_stimulation(Connectome(ring), 0, G=8.0, duration=30.0).plot()
    assert not _overlapping_axes(axes[0].figure)
