"""Parameter sweeps, vectorised: every parameter set is a copy of the circuit inside one compiled model, so a
1000-point sweep is one simulation of 1000 copies (no per-point compilation or Python loop).

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
import xarray as xr

from neurodyn.errors import InputError
from neurodyn.simulate import compile_model, resolve_circuit

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
    circuit : CircuitTemplate or name
    params : dict {path: values}
        Parameter (constant or input default) or initial-value paths and their values per set.
    grid : bool
        Cartesian product of the values instead of zipping them.
    outputs : dict {name: path}
        Recorded per set. Other arguments go to :meth:`neurodyn.simulate.Model.run` (no ``inputs``);
        ``params``, ``initial_state``, ``noise`` and ``bounds`` apply to every set (swept values win).
    client : dask.distributed.Client, optional
        Scale out: the parameter sets are split into chunks of ``chunk_size`` (default: as many chunks as the
        cluster has worker threads), each chunk is one vectorised sweep on a worker, and the results are
        concatenated in order. Without noise the result equals the single-machine sweep exactly; with noise,
        chunk ``k`` draws from ``SeedSequence(seed).spawn(n_chunks)[k]`` (reproducible for a given chunking).
    chunk_size : int, optional
        Parameter sets per task (with ``client``).

    Returns
    -------
    xarray.Dataset with dims (time, sweep) and the parameter values as ``sweep`` coordinates.
    """
    if run_kwargs.get("inputs"):
        raise InputError("sweep does not take time-series inputs; drive them through parameters")
    sets = parameter_sets(params, grid)
    n = len(next(iter(sets.values())))
    circ = resolve_circuit(circuit)
    if client is not None:
        return _sweep_distributed(client, circ, sets, chunk_size, simulation_time, step_size, outputs, backend,
                                  run_kwargs)
    if chunk_size is not None:
        raise InputError("chunk_size applies to distributed sweeps; pass client=dask.distributed.Client(...)")
    model = compile_model(circ, backend=backend, step_size=step_size, copies=n)
    base = model.base_ir
    def per_copy(mapping, what):
        """{path: value} for one circuit -> the same for every copy (node 'name' -> 'name#r')."""
        out = {}
        for path, value in dict(mapping or {}).items():
            for gi, i, v, node in base.find(path):
                for r in range(n):
                    out[f"{node}#{r}/{v.path}"] = value
        return out

    values = per_copy(run_kwargs.pop("params", None), "params")
    for key in ("initial_state", "noise", "bounds"):
        if run_kwargs.get(key):
            run_kwargs[key] = per_copy(run_kwargs[key], key)
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
    coords = {"time": df.index.to_numpy(), "sweep": np.arange(n)}
    for path, vals in sets.items():
        coords[path] = ("sweep", vals)
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({k: str(v) for k, v in df.attrs["provenance"].items()})
    ds.attrs["sweep_parameters"] = ", ".join(sets)
    return ds


def _sweep_chunk(circ, sets: dict, simulation_time: float, step_size: float, outputs, backend: str,
                 run_kwargs: dict) -> xr.Dataset:
    """One task of a distributed sweep (runs on a worker): a vectorised sweep of ``sets`` (zipped)."""
    return sweep(circ, sets, simulation_time, step_size, outputs=outputs, backend=backend, **run_kwargs)


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
    noisy = bool(run_kwargs.get("noise"))
    seed = run_kwargs.get("seed")
    if noisy and seed is None:
        seed = int(np.random.SeedSequence().entropy % (2 ** 63))
    seeds = ([int(s.generate_state(1, np.uint64)[0] % (2 ** 63)) for s in np.random.SeedSequence(seed).spawn(len(bounds))]
             if noisy else [seed] * len(bounds))
    circ_f = client.scatter(circ, broadcast=True, hash=False)   # a fresh key: no race with an earlier release
    futures = [client.submit(_sweep_chunk, circ_f, {k: v[a:b] for k, v in sets.items()}, simulation_time,
                             step_size, outputs, backend, dict(run_kwargs, seed=s), pure=False)
               for (a, b), s in zip(bounds, seeds)]
    parts = client.gather(futures)
    ds = xr.concat(parts, dim="sweep", coords="minimal", compat="override", combine_attrs="override")
    ds = ds.assign_coords(sweep=np.arange(n))
    ds.attrs["distributed"] = f"{len(bounds)} chunks of <= {chunk_size} sets"
    if noisy:
        ds.attrs["seed"] = str(seed)
    return ds
