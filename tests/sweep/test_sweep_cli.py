"""``neurodyn sweep``: a YAML configuration runs the sweep it describes into its store (equal to the same sweep built
in Python), --resume continues it, --status reports it, --plot draws a summary over two axes; bad files are
refused with the section at fault."""
import re

import numpy as np
import pytest

from neurodyn.cli import main
from neurodyn.sweep import grid_view, load_config, open_sweep, sweep_status
from neurodyn.sweep.plot import map_values

from sweep_nets import small_connectome
from sweep_defs import same_results

CONFIG = """
model:
  node: ei_ping_pop
  coupling: {source: ei_ping_op/s_e, target: ei_ping_op/s_net}
connectome: {path: w.npy, normalise: rows, self_connections: false}
axes:
  ei_ping_op/eps: {start: 2.0, stop: 6.0, num: 3}
  ei_ping_op/I_ext_e: [3.0, 5.0]
grid: true
run: {simulation_time: 40.0, step_size: 0.01, sampling_step_size: 0.1, discard: 5.0,
      noise: {ei_ping_op/v_e: 0.05}, seed: 3, block_size: 2}
observables:
  - {kind: fc, variable: ei_ping_op/r_e}
  - {kind: fc_similarity, variable: ei_ping_op/r_e, reference: connectome}
  - {kind: spectrum, variable: ei_ping_op/v_e, nperseg: 100}
  - {kind: synchrony, variable: ei_ping_op/r_e}
store: out/s.zarr
cluster: {kind: local, n_workers: 2}
"""


@pytest.fixture
def config(tmp_path):
    np.save(tmp_path / "w.npy", np.asarray(small_connectome().weights))
    p = tmp_path / "sweep.yaml"
    p.write_text(CONFIG)
    return p


def test_run_resume_status_and_plot(config, tmp_path, capsys):
    assert main(["sweep", str(config), "--serial", "--quiet"]) == 0
    store = tmp_path / "out" / "s.zarr"
    assert sweep_status(store).complete
    same_results(open_sweep(store), load_config(config).sweep.run(client="serial"))
    assert main(["sweep", str(config), "--serial", "--quiet"]) == 2        # the store exists
    assert "exists; resume it" in capsys.readouterr().err
    assert main(["sweep", str(config), "--serial", "--quiet", "--resume"]) == 0
    assert "0 of 3 blocks computed, 3 skipped" in capsys.readouterr().out
    assert main(["sweep", "--status", str(store)]) == 0
    assert "6 done" in capsys.readouterr().out
    png = tmp_path / "map.png"
    assert main(["sweep", "--plot", str(store), "--var", "dominant_frequency", "--x", "eps", "--y", "I_ext_e",
                 "--output", str(png)]) == 0
    assert png.stat().st_size > 1000
    x, y, z = map_values(open_sweep(store), "dominant_frequency", "eps", "I_ext_e")
    g = grid_view(open_sweep(store))
    np.testing.assert_allclose(z, g["dominant_frequency"].mean("region").values.T)
    assert x.tolist() == [2.0, 4.0, 6.0] and y.tolist() == [3.0, 5.0]


@pytest.mark.parametrize("change,message", [
    (("run:", "runs:"), "unknown section 'runs'"),
    (("kind: synchrony", "kind: sync"), r"observables\[3\]\.kind must be one of"),
    (("ei_ping_op/eps: {start", "ei_ping_op/epss: {start"), "did you mean 'ei_ping_op/eps'"),
    (("seed: 3", "sed: 3"), "unknown run option 'sed'"),
])
def test_bad_configurations(config, capsys, change, message):
    config.write_text(CONFIG.replace(*change))
    assert main(["sweep", str(config), "--serial", "--quiet"]) == 2
    assert re.search(message, capsys.readouterr().err)
