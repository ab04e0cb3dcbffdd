"""Running a network sweep's blocks: in this process, or on Dask.distributed (a LocalCluster of worker processes by
default, any Client for a cluster), with a bounded number of blocks in flight, retries for tasks that raise,
progress (points done, rate, time left) here and task progress on the Dask dashboard, and results written to the
store by the worker that computed them.

Examples
--------
>>> report = SweepReport(n_blocks=4, skipped=1)
>>> report.computed.append(2); report
<SweepReport: 1 of 4 blocks computed, 1 skipped (finished before), 0 task errors>
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from neurodyn.errors import InputError
from neurodyn.sweep.store import (check_budget, create_store, open_sweep, resume_store, stored_definition,
                                  template_dataset, write_block, write_task_error)

__all__ = ["SweepReport", "run_sweep", "start_local_cluster"]

#: blocks in flight per worker (the scheduler holds at most this many tasks per worker at a time)
IN_FLIGHT_PER_WORKER = 2


@dataclass
class SweepReport:
    """What a run of a sweep did: blocks computed (their indices), skipped (finished in the store before), task
    errors (block index, message), and the wall time."""

    n_blocks: int
    skipped: int = 0
    computed: list = field(default_factory=list)
    task_errors: list = field(default_factory=list)
    failed_points: int = 0
    seconds: float = 0.0
    where: str = ""

    def __repr__(self) -> str:
        return (f"<SweepReport: {len(self.computed)} of {self.n_blocks} blocks computed, {self.skipped} skipped "
                f"(finished before), {len(self.task_errors)} task errors>")


def _block_task(sweep, k: int, store, specs):
    """One Dask task: run block ``k``; with a store, write it there and return only its status."""
    block = sweep.run_block(k)
    if store is not None:
        write_block(store, block, specs)
        block.results = {}
    return block


def start_local_cluster(n_workers: int, dashboard: bool = True):
    """A LocalCluster of ``n_workers`` single-threaded worker processes and a Client to it."""
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0" if dashboard else None)
    return Client(cluster), cluster


class _Progress:
    """Points done, rate and time left, on a tqdm bar (shown on a terminal by default)."""

    def __init__(self, total: int, done: int, show: bool | None, desc: str):
        if show is None:
            show = sys.stderr.isatty()
        self.bar = None
        if show:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=done, unit="point", desc=desc, smoothing=0.1)

    def update(self, n: int, failed: int) -> None:
        if self.bar is not None:
            self.bar.update(n)
            if failed:
                self.bar.set_postfix(failed=failed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_sweep(sweep, store=None, client=None, resume: bool = False, overwrite: bool = False, retries: int = 2,
              progress: bool | None = None, on_block=None, n_workers: int | None = None, memory_limit=None):
    """See :meth:`NetworkSweep.run`."""
    t0 = time.perf_counter()
    specs = sweep.result_specs()
    check_budget(sweep, specs, store, memory_limit)
    blocks = sweep.blocks
    if store is not None:
        store = os.fspath(store)
        if resume:
            if not sweep.seed_given and os.path.exists(store):
                sweep.seed = int(stored_definition(store).get("seed", sweep.seed))
            status = resume_store(store, sweep)
        else:
            create_store(store, sweep, specs, overwrite=overwrite)
            status = np.zeros(sweep.n_points, dtype=np.int8)
        result = None
    else:
        if resume:
            raise InputError("resume=True needs the store to resume (store='...zarr')")
        result = template_dataset(sweep, specs, lazy=False)
        status = np.zeros(sweep.n_points, dtype=np.int8)
    finished = [bool(np.all((status[a:b] == 1) | (status[a:b] == 2))) for a, b in blocks]
    todo = [k for k, f in enumerate(finished) if not f]
    report = SweepReport(n_blocks=len(blocks), skipped=len(blocks) - len(todo))
    bar = _Progress(sweep.n_points, sum(b - a for (a, b), f in zip(blocks, finished) if f), progress,
                    desc=f"sweep ({len(blocks)} blocks)")

    def record(block) -> None:
        if result is not None:
            sl = slice(block.start, block.stop)
            for name in specs:
                result[name].values[sl] = block.results[name]
            result["status"].values[sl] = block.status
            result["error"].values[sl] = np.array(block.errors, dtype=object)
        k = block.start // sweep.block_size
        report.computed.append(k)
        failed = int(np.sum(block.status == 2))
        report.failed_points += failed
        bar.update(block.stop - block.start, report.failed_points)
        if on_block is not None:
            on_block(block)

    def task_error(k: int, exc: BaseException) -> None:
        a, b = blocks[k]
        msg = f"{type(exc).__name__}: {exc}"
        report.task_errors.append((k, msg))
        if result is not None:
            result["status"].values[a:b] = 3
            result["error"].values[a:b] = msg
        else:
            write_task_error(store, a, b, msg)

    mode = client
    if mode is None:
        mode = "serial" if len(todo) <= 1 else "local"
    try:
        if isinstance(mode, str) and mode == "serial":
            report.where = "serial"
            for k in todo:
                block = sweep.run_block(k)
                if store is not None:
                    write_block(store, block, specs)
                record(block)
        elif isinstance(mode, str) and mode == "local":
            cpus = os.cpu_count() or 1
            nw = n_workers or max(1, min(cpus, len(todo)))
            c, cluster = start_local_cluster(nw)
            try:
                report.where = f"LocalCluster({nw} processes), dashboard {c.dashboard_link}"
                if bar.bar is not None:
                    print(f"neurodyn sweep: Dask dashboard at {c.dashboard_link}", file=sys.stderr)
                _run_dask(c, sweep, todo, store, specs, retries, record, task_error)
            finally:
                c.close()
                cluster.close()
        elif isinstance(mode, str):
            raise InputError(f"client must be a dask.distributed Client, 'local', 'serial' or None, got {mode!r}")
        else:
            report.where = f"Dask client {mode!r}"
            _run_dask(mode, sweep, todo, store, specs, retries, record, task_error)
    finally:
        bar.close()
    report.seconds = time.perf_counter() - t0
    sweep.report = report
    return open_sweep(store) if store is not None else result


def _run_dask(client, sweep, todo, store, specs, retries, record, task_error) -> None:
    """Blocks ``todo`` as Dask tasks, at most IN_FLIGHT_PER_WORKER per worker at a time (memory stays bounded
    for any number of points), recorded as they complete."""
    from distributed import as_completed
    workers = max(1, sum(client.nthreads().values()))
    limit = IN_FLIGHT_PER_WORKER * workers
    sweep_f = client.scatter(sweep, broadcast=True, hash=False)
    tag = sweep.provenance()["definition_hash"][:8]
    pending = list(todo)
    index = {}

    def submit(k):
        fut = client.submit(_block_task, sweep_f, k, store, specs, retries=retries, pure=False,
                            key=f"neurodyn-sweep-{tag}-block-{k}-{os.urandom(4).hex()}")
        index[fut.key] = k
        return fut

    first = [submit(pending.pop(0)) for _ in range(min(limit, len(pending)))]
    done = as_completed(first, with_results=False)
    for fut in done:
        k = index.pop(fut.key)
        try:
            block = fut.result()
        except Exception as exc:  # noqa: BLE001 - a task that still raises after its retries is recorded
            task_error(k, exc)
        else:
            record(block)
        fut.release()
        if pending:
            done.add(submit(pending.pop(0)))
