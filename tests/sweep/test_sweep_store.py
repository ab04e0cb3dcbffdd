"""Sweep stores: results written block by block to Zarr, a sweep killed mid-run resumes without recomputing the
finished blocks and ends equal (bit for bit) to an uninterrupted run; a store of another definition is refused
with what differs; in-memory results equal the store's.

The killed run is a real process killed with SIGKILL right after its second block was recorded (from its own
``on_block`` callback), so nothing after that point ran: no clean-up, no flush.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from neurodyn.errors import InputError, SweepDefinitionError
from neurodyn.observables import FC
from neurodyn.sweep import grid_view, open_sweep, sweep_status

from sweep_nets import VE
from sweep_defs import same_results, small_sweep

HERE = Path(__file__).resolve().parent


def run_killed_after(store: Path, n_blocks: int, vectorise) -> int:
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(HERE)!r})
        from sweep_defs import small_sweep
        done = []
        def on_block(block):
            done.append(block)
            if len(done) == {n_blocks}:
                os.kill(os.getpid(), signal.SIGKILL)
        small_sweep(vectorise={vectorise!r}).run(store={str(store)!r}, client="serial", on_block=on_block)
    """)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parents[1] / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True).returncode


@pytest.mark.parametrize("vectorise", [True, False])
def test_a_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path, vectorise):
    store = tmp_path / "killed.zarr"
    assert run_killed_after(store, 2, vectorise) == -9          # killed by SIGKILL, not finished
    st = sweep_status(store)
    assert st.blocks_done == 2 and st.counts["done"] == 6 and st.counts["pending"] == 6 and not st.complete
    sw = small_sweep(vectorise=vectorise)
    assert len(sw.blocks) == 4
    seen = []
    resumed = sw.run(store=store, resume=True, client="serial", on_block=seen.append)
    assert sw.report.skipped == 2 and sorted(sw.report.computed) == [2, 3]
    assert [b.start for b in seen] == [6, 9]                     # only the unfinished blocks ran again
    assert sweep_status(store).complete
    whole = small_sweep(vectorise=vectorise).run(store=tmp_path / "whole.zarr", client="serial")
    same_results(resumed, whole)
    assert json.loads(resumed.attrs["neurodyn_sweep"]) == json.loads(whole.attrs["neurodyn_sweep"])
    # and a resume of a finished store computes nothing; a sweep without a seed takes the store's
    again = small_sweep(vectorise=vectorise, seed=None)
    again.run(store=store, resume=True, client="serial")
    assert again.report.computed == [] and again.report.skipped == 4 and again.seed == 17


def test_store_equals_memory_and_grid_view(tmp_path):
    sw = small_sweep()
    mem = sw.run(client="serial")
    disk = small_sweep().run(store=tmp_path / "s.zarr", client="serial")
    same_results(mem, disk)
    g = grid_view(open_sweep(tmp_path / "s.zarr"))
    assert g["synchrony"].dims == ("eps", "I_ext_e") and g["fc"].dims == ("eps", "I_ext_e", "region", "region_2")
    assert g["eps"].values.tolist() == [2.0, 4.0, 6.0] and g["I_ext_e"].values.tolist() == [2.0, 3.5, 5.0, 6.5]
    np.testing.assert_array_equal(g["synchrony"].values.ravel(), mem["synchrony"].values)
    s = str(sweep_status(tmp_path / "s.zarr"))
    assert "12 done" in s and "4 of 4 finished" in s


def test_a_store_of_another_definition_is_refused(tmp_path):
    store = tmp_path / "s.zarr"
    small_sweep(block_size=6).run(store=store, client="serial")
    with pytest.raises(SweepDefinitionError, match=r"(?s)different sweep definition.*run\.step_size: store has 0\.01, "
                                                   r"this sweep has 0\.02"):
        small_sweep(block_size=6, step_size=0.02).run(store=store, resume=True, client="serial")
    with pytest.raises(SweepDefinitionError, match=r"seed: store has 17, this sweep has 18"):
        small_sweep(block_size=6, seed=18).run(store=store, resume=True, client="serial")
    with pytest.raises(SweepDefinitionError, match=r"observables\[3\]: not in the store, this sweep has .*'fc_v'"):
        small_sweep(block_size=6, extra_observables=[FC(VE, name="fc_v")]).run(store=store, resume=True,
                                                                                client="serial")
    with pytest.raises(InputError, match=r"exists; resume it"):
        small_sweep(block_size=6).run(store=store, client="serial")
    with pytest.raises(InputError, match=r"no such store"):
        small_sweep(block_size=6).run(store=tmp_path / "none.zarr", resume=True, client="serial")
