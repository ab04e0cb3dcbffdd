"""Network sweeps on Dask.distributed: with 1 and 2 worker processes the results equal the serial run bit for bit
(each block is the same computation wherever it runs, and each point's noise comes from its own seed), hence
equal the single runs (tests/sweep/test_network_sweep.py); a killed worker is replaced and its block recomputed;
a store left by a killed client resumes on a cluster.
"""
import numpy as np
import pytest

from neurodyn.sweep import sweep_status

from sweep_defs import KillWorkerOnce, same_results, small_sweep
from test_sweep_store import run_killed_after

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install neurodyn[dask])")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as c:
        yield c


@pytest.fixture(scope="module")
def serial():
    return {v: small_sweep(vectorise=v).run(client="serial") for v in (True, False)}


@pytest.mark.parametrize("vectorise", [True, False])
def test_two_workers_equal_serial(client, serial, tmp_path, vectorise):
    sw = small_sweep(vectorise=vectorise)
    same_results(sw.run(client=client), serial[vectorise])
    assert sorted(sw.report.computed) == [0, 1, 2, 3]
    same_results(small_sweep(vectorise=vectorise).run(client=client, store=tmp_path / "s.zarr"), serial[vectorise])


def test_one_worker_local_cluster_equals_serial(serial, tmp_path):
    sw = small_sweep(vectorise=True)
    ds = sw.run(client="local", n_workers=1, store=tmp_path / "s.zarr")
    assert sw.report.where.startswith("LocalCluster(1 processes)")
    same_results(ds, serial[True])


def test_a_killed_worker_is_replaced(client, serial, tmp_path):
    marker = tmp_path / "killed-once"
    kill = KillWorkerOnce(marker)
    sw = small_sweep(vectorise=True, extra_observables=[kill])
    ds = sw.run(client=client, store=tmp_path / "s.zarr")
    assert marker.exists()                                        # a worker did die mid-task
    assert sweep_status(tmp_path / "s.zarr").complete and sw.report.task_errors == []
    same_results(ds, serial[True], names=["fc", "psd", "synchrony", "dominant_frequency", "status", "seed"])
    reference = small_sweep(vectorise=True, extra_observables=[kill]).run(client="serial")
    np.testing.assert_array_equal(ds["mean_r_e"].values, reference["mean_r_e"].values)


def test_a_store_from_a_killed_client_resumes_on_a_cluster(client, serial, tmp_path):
    store = tmp_path / "killed.zarr"
    assert run_killed_after(store, 1, True) == -9
    sw = small_sweep(vectorise=True)
    ds = sw.run(client=client, store=store, resume=True)
    assert sw.report.skipped == 1 and sorted(sw.report.computed) == [1, 2, 3]
    same_results(ds, serial[True])


def test_fit_trials_run_on_the_cluster(client):
    from test_fit import BOX, RUN, make_problem
    from neurodyn.sweep.fitting import fit
    net, targets = make_problem()
    kw = dict(simulation_time=RUN["simulation_time"], step_size=RUN["step_size"], seed=5, n_trials=12,
              **{k: v for k, v in RUN.items() if k not in ("simulation_time", "step_size")})
    here = fit(net, BOX, targets, client="serial", batch_size=6, **kw)
    there = fit(net, BOX, targets, client=client, batch_size=6, **kw)
    # same sampler seed and the same losses (one trial per task, each equal to its single run) give the same study
    assert [t.params for t in there.study.trials] == [t.params for t in here.study.trials]
    assert [t.value for t in there.study.trials] == [t.value for t in here.study.trials]
