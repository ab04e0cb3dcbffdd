"""Sweeps of a whole-brain network: a :class:`NetworkSweep` is a BrainNetwork, a table of parameter sets and the
observables computed per set; it runs in blocks of points, each block one vectorised run of copies of the network
(:mod:`neurodyn.sweep.copies`), and keeps only the observables (never the trajectories, unless asked with
:class:`~neurodyn.observables.Trajectory`).

Axes (keys of ``axes``):

* ``'op/var'``: a parameter (constant or input) of every region: one value, or one value per region (an axis of
  arrays); ``'<region>/op/var'``: the parameter of one region (by name or label);
* ``'global_coupling'``: a factor on every coupling gain; ``'speed'``: the conduction speed (delays = L / speed);
* ``'noise:op/var'``: the noise amplitude on a state; ``'initial:op/var'``: its initial value;
* ``'seed'``: the point's seed itself (otherwise point ``i`` gets ``seed_from_sequence(seed, i)``).

Point ``i`` equals ``net_i.simulate(**kw_i)`` with ``net_i, kw_i = sweep.point_arguments(i)`` (to round-off: the
summation order of the coupling may differ; bit for bit with ``block_size=1``), whatever the blocks and workers.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import BrainNetwork, Connectome, Coupling
>>> from neurodyn.observables import Synchrony
>>> W = np.array([[0, 1.0, 0.5], [1.0, 0, 0.2], [0.3, 0.7, 0]])
>>> net = BrainNetwork("ei_ping_pop", Connectome(W), Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
>>> sw = NetworkSweep(net, {"ei_ping_op/eps": [1.0, 5.0]}, simulation_time=20.0, step_size=0.01,
...                   observables=[Synchrony("ei_ping_op/r_e")], noise={"ei_ping_op/v_e": 0.01}, seed=1)
>>> sw
<NetworkSweep of <BrainNetwork 'ei_ping_pop' x 3 regions, 1 coupling(s), no delays>: 2 points (eps), 1 block(s) of 2, vectorised>
>>> ds = sw.run(client="serial")
>>> ds["synchrony"].dims, ds["eps"].values.tolist(), ds["status"].values.tolist()
(('point',), [1.0, 5.0], [1, 1])
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from neurodyn._version import __version__
from neurodyn.errors import InputError, NeurodynError, VariablePathError, close_matches
from neurodyn.observables import ObservableSet, RunContext, result_specs
from neurodyn.solvers import seed_from_sequence
from neurodyn.sweep.axes import SweepPoints
from neurodyn.sweep.copies import copies_model, run_copies, vectorising_pays

__all__ = ["NetworkSweep", "Axis", "BlockResult", "STATUS"]

#: per-point status codes in results and stores
STATUS = {"pending": 0, "done": 1, "failed": 2, "task_error": 3}
SPECIAL_AXES = ("global_coupling", "speed", "seed")
PREFIXED_AXES = ("noise:", "initial:")
#: bytes a block's model may take for its delay histories and connections (sets the default block size)
BLOCK_MEMORY = 1.0e9
#: points per block unless memory says fewer
MAX_BLOCK = 32


@dataclass(frozen=True)
class Axis:
    """One swept quantity: ``kind`` in {'param', 'region_param', 'global_coupling', 'speed', 'seed', 'noise',
    'initial'}, the node variable ``path`` ('op/var') it sets, the ``region`` index (region_param), and the
    ``label`` that names its coordinate in results."""

    key: str
    kind: str
    path: str | None
    region: int | None
    label: str


def _sha(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
        else:
            a = np.ascontiguousarray(a)
            h.update(str(a.dtype).encode() + str(a.shape).encode())
            h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()[:24]


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return v.tolist() if v.size <= 256 else f"sha256:{_sha(v)}"
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v if isinstance(v, (str, int, float, bool)) or v is None else repr(v)


def _point_message(exc: BaseException) -> str:
    """The error of a point as a single run would word it (node names without the copy suffix '#r')."""
    return re.sub(r"#\d+(?=/)", "", f"{type(exc).__name__}: {exc}")


@dataclass
class BlockResult:
    """The outcome of one block: per point status (:data:`STATUS`), error messages ('' when fine) and results
    ``{name: array (n_points_in_block, ...)}`` (NaN where a point failed)."""

    start: int
    stop: int
    status: np.ndarray
    errors: list
    results: dict

    def __repr__(self) -> str:
        bad = int(np.sum(self.status != STATUS["done"]))
        return f"<BlockResult points {self.start}..{self.stop - 1}: {bad} failed>"


class NetworkSweep:
    """A BrainNetwork over a table of parameter sets, summarised by observables per point.

    Parameters
    ----------
    network : BrainNetwork
    axes : dict {axis: values}, optional
        Swept quantities (see the module docstring) and their values; expanded by ``grid`` and ``zip``.
    points : list of dict, optional
        Parameter sets given one by one instead of ``axes``.
    grid : bool
        Cartesian product of the axes (True) or the axes zipped (False, default; equal lengths).
    zip : list of tuples of axis names
        With ``grid=True``: axes that vary together as one dimension.
    simulation_time, step_size, solver, sampling_step_size, variables, params, noise, initial, bounds,
    stimuli, discard, backend
        As :meth:`BrainNetwork.simulate`, for every point (swept values win). ``variables`` defaults to the
        variables the observables read.
    observables : list of Observable
        Computed per point while it runs (see :mod:`neurodyn.observables`).
    seed : int, optional
        The sweep seed; point ``i`` runs with ``seed_from_sequence(seed, i)`` (noise, ``initial='random'``).
        Drawn (and recorded) when None; resuming a store with ``seed=None`` takes the store's.
    block_size : int, optional
        Points per block, the unit of work of a task and of a store write (default: up to 32, fewer when the
        network's delay histories are large).
    vectorise : bool, optional
        Run a block's points as copies in one model (True) or one after another (False); default: where that
        pays (:func:`~neurodyn.sweep.copies.vectorising_pays`). Vectorised results depend on the block size at
        round-off level; one after another, each point equals its single run bit for bit.
    """

    def __init__(self, network, axes: Mapping | None = None, *, points: Sequence[Mapping] | None = None,
                 grid: bool = False, zip: Sequence[Sequence[str]] = (), simulation_time: float, step_size: float,
                 observables: Sequence = (), variables: Sequence[str] | None = None, solver: str = "heun",
                 sampling_step_size: float | None = None, params: Mapping | None = None, noise: Mapping | None = None,
                 initial=None, bounds: Mapping | None = None, stimuli: Sequence = (), discard: float = 0.0,
                 seed: int | None = None, block_size: int | None = None, backend: str = "numba",
                 vectorise: bool | None = None):
        from neurodyn.network import BrainNetwork
        if not isinstance(network, BrainNetwork):
            raise InputError(f"NetworkSweep sweeps a BrainNetwork, got {type(network).__name__}; for circuits use "
                             f"neurodyn.sweep.sweep")
        if (axes is None) == (points is None):
            raise InputError("give the sweep either axes={name: values} or points=[{name: value}, ...]")
        self.network = network
        self.points = (SweepPoints.from_axes(axes, grid=grid, zip=zip) if points is None
                       else SweepPoints.from_list(points))
        self.grid = bool(grid) and points is None
        self.zip = [tuple(g) for g in zip]
        self.simulation_time, self.step_size = float(simulation_time), float(step_size)
        self.observables = list(observables)
        if not self.observables:
            raise InputError("a network sweep keeps only observables: give observables=[...] (e.g. FC, Spectrum, "
                             "Synchrony; Trajectory for the raw samples)")
        self.solver, self.sampling_step_size = solver, sampling_step_size
        self.params, self.noise, self.initial = dict(params or {}), dict(noise or {}), initial
        self.bounds, self.stimuli, self.discard = dict(bounds or {}), tuple(stimuli), float(discard)
        self.backend = backend
        self.seed_given = seed is not None        # a drawn seed gives way to a store's on resume
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        if int(seed) != seed or seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self.axes = [self._axis(k) for k in self.points.keys]
        if any(a.kind == "speed" for a in self.axes):
            if network.connectome.tract_lengths is None:
                raise InputError("a 'speed' axis needs a connectome with tract lengths")
            speeds = self.points.column("speed")
            if np.any(speeds <= 0):
                raise InputError(f"'speed' values must be positive and finite, got {speeds[speeds <= 0][:5].tolist()}")
            if network.speed is None:
                self.network = network.variant(speed=float(speeds[0]))
        if any(c.gain == 0 for c in network.couplings):
            raise InputError("the swept network has a coupling of gain 0 (no connections are built); give it a "
                             "non-zero gain and sweep 'global_coupling' instead")
        if isinstance(initial, str) and any(a.kind == "initial" for a in self.axes):
            raise InputError("initial='random' and an 'initial:' axis exclude each other")
        obs_vars = []
        for o in self.observables:
            for v in o.variables:
                if v not in obs_vars:
                    obs_vars.append(v)
        self.variables = list(variables) if variables is not None else (obs_vars or self.network.default_variables())
        self.block_size = self._block_size(block_size)
        model = self._check_first_point()
        self.vectorise = vectorising_pays(model) if vectorise is None else bool(vectorise)

    # ------------------------------------------------------------------------------------------ axes
    def _node_variables(self) -> dict:
        return {f"{o.name}/{v}": d for o in self.network.node.operators for v, d in o.variables.items()}

    def _axis(self, key: str) -> Axis:
        if key in SPECIAL_AXES:
            return Axis(key, key, None, None, key)
        node_vars = self._node_variables()
        for prefix in PREFIXED_AXES:
            if key.startswith(prefix):
                path = key[len(prefix):]
                if path not in node_vars:
                    raise VariablePathError(f"sweep axis {key!r}: {path!r} is not a variable of node "
                                            f"{self.network.node.name!r}; {close_matches(path, node_vars)}")
                return Axis(key, prefix[:-1], path, None, f"{prefix[:-1]}_{path.split('/')[-1]}")
        parts = key.split("/")
        if len(parts) == 2 and key in node_vars:
            return Axis(key, "param", key, None, parts[-1])
        if len(parts) >= 3:
            region, path = "/".join(parts[:-2]), "/".join(parts[-2:])
            if path in node_vars:
                try:
                    idx = self.network.region_index(region)
                except InputError as exc:
                    raise VariablePathError(f"sweep axis {key!r}: {exc}") from None
                return Axis(key, "region_param", path, idx, f"{parts[-1]}_{self.network.labels[idx]}")
        choices = list(node_vars) + list(SPECIAL_AXES) + [f"noise:{p}" for p in node_vars]
        raise VariablePathError(f"unknown sweep axis {key!r}: not a node variable ('op/var' or 'region/op/var'), "
                                f"nor one of {SPECIAL_AXES} or 'noise:op/var' / 'initial:op/var'; "
                                f"{close_matches(key, choices)}")

    def _block_size(self, block_size) -> int:
        n = self.points.n
        if block_size is not None:
            if int(block_size) != block_size or block_size < 1:
                raise InputError(f"block_size must be a positive integer, got {block_size!r}")
            return min(int(block_size), n)
        cap = max(1, min(MAX_BLOCK, int(BLOCK_MEMORY // max(1, self.copy_bytes()))))
        return -(-n // -(-n // cap))                      # equal blocks of at most cap points

    def copy_bytes(self) -> int:
        """Estimated bytes one copy of the network adds to a block's model (delay history and connections)."""
        C = self.network.connectome
        nnz = int(np.count_nonzero(C.weights)) * len(self.network.couplings)
        hist = 0
        speeds = [self.network.speed] if self.network.speed is not None else []
        if any(a.kind == "speed" for a in self.axes):
            speeds = [float(np.min(self.points.column("speed")))]
        if speeds and C.tract_lengths is not None:
            steps = float(np.max(C.tract_lengths)) / speeds[0] / self.step_size
            L = 1 << int(np.ceil(np.log2(steps + 16)))
            hist = C.n_regions * len({c.source for c in self.network.couplings}) * (L + 8) * 8
        return int(hist + nnz * 40)

    # ------------------------------------------------------------------------------------------ points
    @property
    def n_points(self) -> int:
        return self.points.n

    @property
    def blocks(self) -> list[tuple[int, int]]:
        b = self.block_size
        return [(a, min(a + b, self.n_points)) for a in range(0, self.n_points, b)]

    def point_seed(self, i: int) -> int:
        """The seed of point ``i``."""
        if any(a.kind == "seed" for a in self.axes):
            return int(self.points.column("seed")[i])
        return seed_from_sequence(self.seed, i)

    def point_arguments(self, i: int):
        """``(network, kwargs)`` such that ``network.simulate(**kwargs)`` is the single run point ``i`` stands for."""
        v = self.points.value(i)
        g = [v[a.key] for a in self.axes if a.kind == "global_coupling"]
        s = [v[a.key] for a in self.axes if a.kind == "speed"]
        net = self.network.variant(global_coupling=g[0] if g else None, speed=s[0] if s else None)
        params, noise = dict(self.params), dict(self.noise)
        initial = self.initial if isinstance(self.initial, str) else dict(self.initial or {})
        for a in self.axes:
            x = v[a.key]
            if a.kind == "param":
                params[a.path] = x
            elif a.kind == "region_param":
                base = params.get(a.path, self._default(a.path))
                vec = np.array(np.broadcast_to(np.asarray(base, dtype=float), (net.connectome.n_regions,)))
                vec[a.region] = x
                params[a.path] = vec
            elif a.kind == "noise":
                noise[a.path] = x
            elif a.kind == "initial":
                initial[a.path] = x
        kw = dict(simulation_time=self.simulation_time, step_size=self.step_size, variables=list(self.variables),
                  solver=self.solver, sampling_step_size=self.sampling_step_size, params=params, noise=noise or None,
                  seed=self.point_seed(i), stimuli=list(self.stimuli), initial=initial or None,
                  bounds=self.bounds or None, backend=self.backend, discard=self.discard,
                  observables=list(self.observables), store=False)
        return net, kw

    def _default(self, path: str):
        return self._node_variables()[path].value

    def _prepare(self, i: int):
        net, kw = self.point_arguments(i)
        run = self.network.prepare(kw["simulation_time"], kw["step_size"], kw["variables"], kw["sampling_step_size"],
                                   kw["params"], kw["noise"], kw["seed"], kw["stimuli"], kw["initial"], kw["bounds"],
                                   kw["backend"], kw["discard"])
        return net, run

    def context(self) -> RunContext:
        """The run context every point's observables see (without building a model)."""
        ds = self.step_size if self.sampling_step_size is None else self.sampling_step_size
        n = self.network.connectome.n_regions
        names = [v.split("/")[-1] for v in self.variables]
        if len(set(names)) != len(names):
            names = [v.replace("/", "_") for v in self.variables]
        return RunContext(sample_period=ds, n_samples=int(round(self.simulation_time / ds)),
                          channels={v: n for v in self.variables}, names=dict(zip(self.variables, names)),
                          discard=self.discard, channel_dim="region", labels=tuple(self.network.labels))

    def result_specs(self) -> dict:
        """Name -> :class:`~neurodyn.observables.ResultSpec` of every result of one point."""
        return result_specs(self.observables, self.context())

    def _check_first_point(self) -> None:
        """Bad settings fail here, before any work: observables, variables and the first point's arguments."""
        self.result_specs()
        net, run = self._prepare(0)
        if run.context != self.context():
            raise NeurodynError(f"internal: the sweep's run context {self.context()} differs from the network's "
                                f"{run.context}; please report this")
        return run.model

    # ------------------------------------------------------------------------------------------ running
    def run_points(self, indices: Sequence[int]) -> BlockResult:
        """Run points ``indices`` (consecutive) as one vectorised block; a point that fails (the state blows up,
        an observable is undefined) is recorded as failed with its error, the others keep their results
        (a failing block is split in halves until the failing points are alone)."""
        idx = list(indices)
        specs = self.result_specs()
        status = np.full(len(idx), STATUS["done"], dtype=np.int8)
        errors = [""] * len(idx)
        results = {k: np.full((len(idx),) + tuple(s.shape), np.nan) for k, s in specs.items()}
        if self.vectorise:
            self._run_group(idx, 0, status, errors, results, specs)
        else:
            for j, i in enumerate(idx):
                self._run_group([i], j, status, errors, results, specs)
        return BlockResult(idx[0], idx[-1] + 1, status, errors, results)

    def _run_group(self, idx, offset, status, errors, results, specs) -> None:
        try:
            prepared = [self._prepare(i) for i in idx]
            nets = [p[0] for p in prepared]
            runs = [p[1] for p in prepared]
            sets = [ObservableSet(self.observables, r.context, r.columns) for r in runs]
            model = copies_model(self.network, nets, self.step_size, self.backend, tuple(runs[0].inputs),
                                 cache=self._model_cache())
            run_copies(model, runs, sets, [self.point_seed(i) for i in idx], self.network.region_names,
                       self.simulation_time, self.step_size, self.solver, self.sampling_step_size,
                       self.network.delay_mode)
        except NeurodynError as exc:
            if len(idx) == 1:
                status[offset] = STATUS["failed"]
                errors[offset] = _point_message(exc)
                return
            half = len(idx) // 2
            self._run_group(idx[:half], offset, status, errors, results, specs)
            self._run_group(idx[half:], offset + half, status, errors, results, specs)
            return
        for r, obs in enumerate(sets):
            try:
                out = obs.finish()
            except NeurodynError as exc:
                status[offset + r] = STATUS["failed"]
                errors[offset + r] = _point_message(exc)
                continue
            for name, spec in specs.items():
                val = np.asarray(out[name].values, dtype=float)
                if val.shape != tuple(spec.shape):
                    raise NeurodynError(f"internal: result {name!r} of point {idx[r]} has shape {val.shape}, its "
                                        f"observable described {tuple(spec.shape)}; please report this")
                results[name][offset + r] = val

    def _model_cache(self) -> dict:
        cache = self.__dict__.get("_models")
        if cache is None:
            cache = self.__dict__["_models"] = {}
        return cache

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_models", None)           # compiled models stay in the process that built them
        return state

    def run_block(self, k: int) -> BlockResult:
        """Run block ``k`` (points ``blocks[k]``)."""
        a, b = self.blocks[k]
        return self.run_points(range(a, b))

    def run(self, store=None, client=None, resume: bool = False, overwrite: bool = False, retries: int = 2,
            progress: bool | None = None, on_block=None, n_workers: int | None = None, memory_limit=None):
        """Run every block and return the results as an xarray Dataset (dims ``point`` and the results' own; axis
        values, point seeds, ``status`` and ``error`` per point; the definition and provenance in attrs).

        Parameters
        ----------
        store : path, optional
            A Zarr store written block by block as blocks finish; without one the results stay in memory.
        client : dask.distributed.Client, 'local', 'serial' or None
            Where blocks run: a Client (any cluster), 'local' (a LocalCluster of worker processes, started and
            closed here), 'serial' (this process), or None: 'serial' for a single block, else 'local'.
        resume : bool
            Continue the sweep in ``store`` (written by the same definition): finished blocks are not recomputed.
        overwrite : bool
            Replace an existing ``store`` (otherwise an existing store needs ``resume=True``).
        retries : int
            Times a task that raised (a lost worker, not a failed point) is resubmitted.
        progress : bool, optional
            Show points done, rate and time left (default: when standard error is a terminal).
        on_block : callable(BlockResult), optional
            Called in this process after each computed block is recorded.
        n_workers : int, optional
            Worker processes of the LocalCluster (default: the CPUs, at most the blocks).
        memory_limit : float, optional
            Bytes the in-memory results may take (default: half the available memory).
        """
        from neurodyn.sweep.runner import run_sweep
        return run_sweep(self, store=store, client=client, resume=resume, overwrite=overwrite, retries=retries,
                         progress=progress, on_block=on_block, n_workers=n_workers, memory_limit=memory_limit)

    # ------------------------------------------------------------------------------------------ identity
    def definition(self) -> dict:
        """Everything that determines the results, as JSON-able data (stored with the results; a store is only
        resumed by an equal definition)."""
        net = self.network
        C = net.connectome
        from neurodyn.lang.templates import CircuitTemplate
        node_hash = CircuitTemplate(net.node.name, nodes={net.node.name: net.node}).template_hash()[:24]
        return {
            "kind": "neurodyn.NetworkSweep",
            "network": {"node": net.node.name, "node_hash": node_hash, "regions": C.n_regions,
                        "weights": _sha(np.asarray(C.weights, dtype=float)),
                        "tract_lengths": _sha(None if C.tract_lengths is None else np.asarray(C.tract_lengths)),
                        "region_names": _sha(np.array(net.region_names, dtype=object)),
                        "couplings": [[c.source, c.target, c.gain] for c in net.couplings],
                        "speed": net.speed, "delay_mode": net.delay_mode},
            "axes": {k: _jsonable(self.points.axis_values[k]) for k in self.points.axis_values},
            "grid": self.grid, "zip": [list(g) for g in self.zip], "n_points": self.n_points,
            "run": {"simulation_time": self.simulation_time, "step_size": self.step_size, "solver": self.solver,
                    "sampling_step_size": self.sampling_step_size, "variables": list(self.variables),
                    "params": _jsonable(self.params), "noise": _jsonable(self.noise),
                    "initial": _jsonable(self.initial), "bounds": _jsonable(self.bounds),
                    "stimuli": [repr(s) for s in self.stimuli], "discard": self.discard, "backend": self.backend},
            "observables": [o.config() for o in self.observables],
            "seed": self.seed, "block_size": self.block_size, "vectorise": self.vectorise,
        }

    def definition_json(self) -> str:
        return json.dumps(self.definition(), sort_keys=True)

    def provenance(self) -> dict:
        import datetime as _dt
        return {"neurodyn_version": __version__, "created": _dt.datetime.now(_dt.timezone.utc).isoformat(
            timespec="seconds"), "definition_hash": hashlib.sha256(self.definition_json().encode()).hexdigest()[:24]}

    def __repr__(self) -> str:
        labels = ", ".join(a.label for a in self.axes)
        how = "vectorised" if self.vectorise else "one by one"
        return (f"<NetworkSweep of {self.network!r}: {self.n_points} points ({labels}), {len(self.blocks)} "
                f"block(s) of {self.block_size}, {how}>")
