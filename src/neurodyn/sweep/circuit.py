"""Parameter sweeps of a circuit, vectorised: every parameter set is a copy of the circuit inside one compiled
model, so a 1000-point sweep is one simulation of 1000 copies (no per-point compilation or Python loop).

With noise, parameter set ``i`` draws its increments from its own generator seeded by
``seed_from_sequence(seed, i)`` (:mod:`neurodyn.solvers.noise`), so the result of a set does not depend on the
other sets, on the chunking or on the number of workers, and equals a single run with that seed.

Examples
--------
>>> import numpy as np
>>> ds = sweep("qif", {"p/qif_op/eta": np.linspace(-6, -4, 3)}, simulation_time=5.0, step_size=1e-3,
...            outputs={"r": "p/qif_op/r"}, sampling_step_size=0.1)
>>> ds["r"].dims, ds.sizes["sweep"]
(('time', 'sweep'), 3)
"""
from __future__ import annotations

import itertools
from typing import Mapping

import numpy as np
from neurodyn._xr import xr

from neurodyn.errors import InputError
from neurodyn.simulate import compile_model, resolve_circuit
from neurodyn.solvers import NoiseStreams, seed_from_sequence

__all__ = ["sweep", "parameter_sets"]


def parameter_sets(params: Mapping[str, object], grid: bool = False) -> dict[str, np.ndarray]:
    """Expand ``{path: values}`` into equal-length columns: zipped (default) or the Cartesian ``grid``."""
    if not params:
        raise InputError("sweep needs at least one parameter: {path: values}")
    cols = {k: np.atleast_1d(np.asarray(v)) for k, v in params.items()}
    for k, v in cols.items():
        if v.ndim != 1 or v.size == 0:
            raise InputError(f"sweep values for {k!r} must be a non-empty 1-d sequence, got shape {v.shape}")
    if grid:
        combos = list(itertools.product(*cols.values()))
        return {k: np.array([c[i] for c in combos]) for i, k in enumerate(cols)}
    sizes = {k: v.size for k, v in cols.items()}
    if len(set(sizes.values())) != 1:
        raise InputError(f"zipped sweep values must have equal lengths, got {sizes}; pass grid=True for the "
                         f"Cartesian product")
    return cols


def sweep(circuit, params: Mapping[str, object], simulation_time: float, step_size: float, outputs=None,
          grid: bool = False, backend: str | None = None, client=None, chunk_size: int | None = None,
          **run_kwargs) -> xr.Dataset:
    """Run one circuit for many parameter sets at once.

    Parameters
    ----------
    circuit : CircuitTemplate or name, or BrainNetwork
        A BrainNetwork makes a :class:`~neurodyn.sweep.NetworkSweep` of ``params`` (its axes) and the other
        keywords (``observables=[...]``, ``store=``, ``resume=``, ...), run on ``client``.
    params : dict {path: values}
        Parameter (constant or input default) or initial-value paths and their values per set.
    grid : bool
        Cartesian product of the values instead of zipping them.
    outputs : dict {name: path}
        Recorded per set. Other arguments go to :meth:`neurodyn.simulate.Model.run` (no ``inputs``);
        ``params``, ``initial_state``, ``noise`` and ``bounds`` apply to every set (swept values win). With
        ``noise``, set ``i`` is seeded by ``seed_from_sequence(seed, i)`` (``seed`` drawn and recorded when
        None): it equals ``Model.run(..., seed=ds["noise_seed"][i])`` of that set alone.
    client : dask.distributed.Client, optional
        Scale out: the parameter sets are split into chunks of ``chunk_size`` (default: as many chunks as the
        cluster has worker threads), each chunk is one vectorised sweep on a worker, and the results are
        concatenated in order: equal to the single-machine sweep, with or without noise.
    chunk_size : int, optional
        Parameter sets per task (with ``client``).

    Returns
    -------
    xarray.Dataset with dims (time, sweep) and the parameter values as ``sweep`` coordinates.
    """
    from neurodyn.network import BrainNetwork
    if isinstance(circuit, BrainNetwork):
        from neurodyn.sweep.network import NetworkSweep
        run_opts = {k: run_kwargs.pop(k) for k in ("store", "resume", "overwrite", "retries", "progress", "on_block",
                                                   "n_workers", "memory_limit") if k in run_kwargs}
        if outputs is not None or chunk_size is not None:
            raise InputError("a network sweep keeps observables, not outputs: pass observables=[...] (and "
                             "block_size= instead of chunk_size=)")
        sw = NetworkSweep(circuit, params, grid=grid, simulation_time=simulation_time, step_size=step_size,
                          backend=backend, **run_kwargs)
        return sw.run(client=client, **run_opts)
    if run_kwargs.get("inputs"):
        raise InputError("sweep does not take time-series inputs; drive them through parameters")
    sets = parameter_sets(params, grid)
    circ = resolve_circuit(circuit)
    if run_kwargs.get("noise") and run_kwargs.get("seed") is None:
        run_kwargs["seed"] = int(np.random.SeedSequence().entropy % (2 ** 63))   # drawn, and recorded
    if client is not None:
        return _sweep_distributed(client, circ, sets, chunk_size, simulation_time, step_size, outputs, backend,
                                  run_kwargs)
    if chunk_size is not None:
        raise InputError("chunk_size applies to distributed sweeps; pass client=dask.distributed.Client(...)")
    return _sweep_sets(circ, sets, 0, simulation_time, step_size, outputs, backend, run_kwargs)


def _sweep_sets(circ, sets: dict, first: int, simulation_time: float, step_size: float, outputs, backend: str,
                run_kwargs: dict) -> xr.Dataset:
    """Sets ``first, first + 1, ...`` of a sweep (zipped ``sets``) as copies of ``circ`` in one run."""
    run_kwargs = dict(run_kwargs)
    n = len(next(iter(sets.values())))
    model = compile_model(circ, backend=backend, step_size=step_size, copies=n)
    base = model.base_ir

    def per_copy(mapping):
        """{path: value} for one circuit -> the same for every copy (node 'name' -> 'name#r'), copy by copy."""
        out = {}
        for r in range(n):
            for path, value in dict(mapping or {}).items():
                for gi, i, v, node in base.find(path):
                    out[f"{node}#{r}/{v.path}"] = value
        return out

    values = per_copy(run_kwargs.pop("params", None))
    for key in ("initial_state", "bounds"):
        if run_kwargs.get(key):
            run_kwargs[key] = per_copy(run_kwargs[key])
    noise = run_kwargs.get("noise")
    seeds = None
    if noise:
        # copy r's noisy states are one block of columns with a generator of its own (copy-major order)
        width = sum(len(base.find(p)) for p in noise)
        run_kwargs["noise"] = per_copy(noise)
        sweep_seed = run_kwargs["seed"]
        seeds = [seed_from_sequence(sweep_seed, first + r) for r in range(n)]
        run_kwargs["seed"] = NoiseStreams([(width, s) for s in seeds])
    for path, vals in sets.items():
        for r, x in enumerate(vals):
            for gi, i, v, node in base.find(path):
                values[f"{node}#{r}/{v.path}"] = x
    if outputs is None:
        outputs = {f"{g.nodes[i]}/{v.path}": f"{g.nodes[i]}/{v.path}" for g in base.groups for v in g.variables
                   if v.kind == "state" for i in range(g.n) if "@" not in g.nodes[i]}
    outs = {}
    for name, path in dict(outputs).items():
        hits = base.find(path)
        if len(hits) != 1:
            raise InputError(f"sweep output {name!r} must name one node's variable, {path!r} matches {len(hits)}")
        gi, i, v, node = hits[0]
        for r in range(n):
            outs[(name, r)] = f"{node}#{r}/{v.path}"
    flat = {f"{k[0]}\x00{k[1]}": p for k, p in outs.items()}
    df = model.run(simulation_time, step_size, outputs=flat, params=values, **run_kwargs)
    data = {}
    for name in dict(outputs):
        data[name] = (("time", "sweep"), np.stack([df[f"{name}\x00{r}"].to_numpy() for r in range(n)], axis=1))
    coords = {"time": df.index.to_numpy(), "sweep": np.arange(first, first + n)}
    for path, vals in sets.items():
        coords[path] = ("sweep", vals)
    if seeds is not None:
        coords["noise_seed"] = ("sweep", np.array(seeds, dtype=np.int64))
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({k: str(v) for k, v in df.attrs["provenance"].items()})
    ds.attrs["sweep_parameters"] = ", ".join(sets)
    if seeds is not None:
        ds.attrs["seed"] = str(sweep_seed)
    return ds


def _sweep_chunk(circ, sets: dict, first: int, simulation_time: float, step_size: float, outputs, backend: str,
                 run_kwargs: dict) -> xr.Dataset:
    """One task of a distributed sweep (runs on a worker): sets ``first, ...`` as one vectorised run."""
    return _sweep_sets(circ, sets, first, simulation_time, step_size, outputs, backend, run_kwargs)


def _sweep_distributed(client, circ, sets: dict, chunk_size, simulation_time, step_size, outputs, backend,
                       run_kwargs: dict) -> xr.Dataset:
    n = len(next(iter(sets.values())))
    if chunk_size is None:
        workers = sum(client.nthreads().values())
        if workers < 1:
            raise InputError("the Dask client has no workers; start a cluster (e.g. LocalCluster) first")
        chunk_size = -(-n // workers)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise InputError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    chunk_size = int(chunk_size)
    bounds = [(a, min(a + chunk_size, n)) for a in range(0, n, chunk_size)]
    circ_f = client.scatter(circ, broadcast=True, hash=False)   # a fresh key: no race with an earlier release
    futures = [client.submit(_sweep_chunk, circ_f, {k: v[a:b] for k, v in sets.items()}, a, simulation_time,
                             step_size, outputs, backend, run_kwargs, pure=False)
               for a, b in bounds]
    parts = client.gather(futures)
    ds = xr.concat(parts, dim="sweep", coords="minimal", compat="override", combine_attrs="override")
    ds = ds.assign_coords(sweep=np.arange(n))
    ds.attrs["distributed"] = f"{len(bounds)} chunks of <= {chunk_size} sets"
    return ds
