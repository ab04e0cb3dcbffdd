"""Sweep configuration files (YAML) for ``neurodyn sweep config.yaml``: the model, connectome, axes, run settings,
observables, store and cluster of a network sweep.

Format (paths are relative to the file)::

    model:
      node: ei_ping_pop                      # template name or YAML path
      coupling: {source: ei_ping_op/s_e, target: ei_ping_op/s_net, gain: 1.0}   # or a list of them
      speed: null                            # conduction speed (delays from tract lengths), optional
      delay_mode: cubic
    connectome: {path: ../shared/data/aal90, normalise: rows, self_connections: false}   # zero_rows: drop
    axes:
      ei_ping_op/eps: {start: 0.0, stop: 10.0, num: 11}    # or a list of values; log: true for log spacing
      ei_ping_op/I_ext_e: [1.0, 2.0, 3.0]
    grid: true                               # Cartesian product (false: zipped); zip: [[a, b]] within a grid
    run: {simulation_time: 500.0, step_size: 0.01, sampling_step_size: 0.1, discard: 100.0,
          noise: {ei_ping_op/v_e: 0.01}, seed: 1, block_size: 16}
    observables:
      - {kind: fc, variable: ei_ping_op/r_e}
      - {kind: fc_similarity, variable: ei_ping_op/r_e, reference: connectome}   # or a .npy file
      - {kind: spectrum, variable: ei_ping_op/r_e, band: [5, 200]}
      - {kind: synchrony, variable: ei_ping_op/r_e}
    store: sweep.zarr
    cluster: {kind: local, n_workers: 2}     # serial | local | address: tcp://... | slurm / pbs (dask-jobqueue)

Examples
--------
>>> axis_values({"start": 0.0, "stop": 1.0, "num": 3}, "eps").tolist()
[0.0, 0.5, 1.0]
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from neurodyn.errors import InputError, close_matches

__all__ = ["SweepConfig", "axis_values", "load_config", "make_client", "OBSERVABLE_KINDS"]

SECTIONS = ("model", "connectome", "axes", "points", "grid", "zip", "run", "observables", "store", "cluster")
RUN_KEYS = ("simulation_time", "step_size", "sampling_step_size", "solver", "discard", "params", "noise", "initial",
            "bounds", "seed", "block_size", "backend", "variables", "vectorise")


def _observable_kinds():
    from neurodyn.observables import BOLD, FC, FCD, FCSimilarity, Means, Spectrum, Synchrony, Trajectory
    return {"means": Means, "fc": FC, "fc_similarity": FCSimilarity, "spectrum": Spectrum, "synchrony": Synchrony,
            "bold": BOLD, "fcd": FCD, "trajectory": Trajectory}


OBSERVABLE_KINDS = ("means", "fc", "fc_similarity", "spectrum", "synchrony", "bold", "fcd", "trajectory")


def axis_values(spec, name: str) -> np.ndarray:
    """Values of an axis from a list or ``{start, stop, num[, log]}``."""
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - {"start", "stop", "num", "log"})
        if unknown or not {"start", "stop", "num"} <= set(spec):
            raise InputError(f"axis {name!r}: give a list of values or {{start, stop, num[, log]}}, got {dict(spec)}")
        if spec.get("log"):
            if spec["start"] <= 0 or spec["stop"] <= 0:
                raise InputError(f"axis {name!r}: log spacing needs positive start and stop")
            return np.geomspace(float(spec["start"]), float(spec["stop"]), int(spec["num"]))
        return np.linspace(float(spec["start"]), float(spec["stop"]), int(spec["num"]))
    return np.asarray(spec, dtype=float)


@dataclass
class SweepConfig:
    """A parsed configuration: the sweep, where it is stored, the cluster settings and the file it came from."""

    sweep: Any
    store: Path | None
    cluster: dict
    path: Path

    def __repr__(self) -> str:
        return f"<SweepConfig {self.path.name}: {self.sweep!r} -> {self.store}>"


def _path(base: Path, p) -> Path:
    q = Path(str(p)).expanduser()
    return q if q.is_absolute() else (base / q)


def load_config(path) -> SweepConfig:
    """Read a sweep configuration file (YAML) into a :class:`~neurodyn.sweep.NetworkSweep` and its settings."""
    import yaml
    from neurodyn.network import BrainNetwork, Coupling, load_connectome
    from neurodyn.sweep.network import NetworkSweep
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no sweep configuration at {p}")
    cfg = yaml.safe_load(p.read_text()) or {}
    if not isinstance(cfg, Mapping):
        raise InputError(f"{p}: a sweep configuration is a mapping of sections {SECTIONS}")
    base = p.parent
    for key in cfg:
        if key not in SECTIONS:
            raise InputError(f"{p}: unknown section {key!r}; {close_matches(str(key), SECTIONS)}")
    for key in ("model", "connectome", "run", "observables"):
        if key not in cfg:
            raise InputError(f"{p}: the section {key!r} is missing (sections: {', '.join(SECTIONS)})")
    model = dict(cfg["model"])
    node = str(model.pop("node", ""))
    if not node:
        raise InputError(f"{p}: model.node (a template name or YAML path) is missing")
    if node.endswith((".yaml", ".yml")):
        node = str(_path(base, node))
    couplings = model.pop("coupling", None)
    if couplings is None:
        raise InputError(f"{p}: model.coupling ({{source: op/var, target: op/var, gain: 1.0}}) is missing")
    couplings = [couplings] if isinstance(couplings, Mapping) else list(couplings)
    try:
        cps = [Coupling(c["source"], c["target"], float(c.get("gain", 1.0))) for c in couplings]
    except KeyError as exc:
        raise InputError(f"{p}: every model.coupling needs source and target, {exc} is missing") from None
    conn_cfg = dict(cfg["connectome"])
    if "path" not in conn_cfg:
        raise InputError(f"{p}: connectome.path is missing")
    src = conn_cfg.pop("path")
    if not isinstance(src, int) and _path(base, src).exists():
        src = _path(base, src)                   # a file or folder (relative to the config); else a name (tvb76)
    C = load_connectome(src)
    if not conn_cfg.pop("self_connections", True):
        C = C.without_self_connections()
    norm = conn_cfg.pop("normalise", "none")
    zero_rows = conn_cfg.pop("zero_rows", "raise")
    if conn_cfg:
        raise InputError(f"{p}: unknown connectome option(s) {sorted(conn_cfg)}; valid: path, normalise, "
                         f"zero_rows, self_connections")
    if norm and norm != "none":
        C = C.normalise(norm, zero_rows=zero_rows)
    net = BrainNetwork(node, C, cps, speed=model.pop("speed", None), delay_mode=model.pop("delay_mode", "cubic"))
    if model:
        raise InputError(f"{p}: unknown model option(s) {sorted(model)}; valid: node, coupling, speed, delay_mode")
    run = dict(cfg["run"])
    for k in run:
        if k not in RUN_KEYS:
            raise InputError(f"{p}: unknown run option {k!r}; {close_matches(str(k), RUN_KEYS)}")
    for k in ("simulation_time", "step_size"):
        if k not in run:
            raise InputError(f"{p}: run.{k} is missing")
    kinds = _observable_kinds()
    observables = []
    for k, o in enumerate(cfg["observables"] or []):
        o = dict(o)
        kind = o.pop("kind", None)
        if kind not in kinds:
            raise InputError(f"{p}: observables[{k}].kind must be one of {OBSERVABLE_KINDS}, got {kind!r}")
        if kind == "fc_similarity":
            ref = o.get("reference", "connectome")
            o["reference"] = (np.asarray(C.weights) if ref == "connectome" else np.load(_path(base, ref)))
        for key in ("band",):
            if key in o and o[key] is not None:
                o[key] = tuple(o[key])
        try:
            observables.append(kinds[kind](**o))
        except TypeError as exc:
            raise InputError(f"{p}: observables[{k}] ({kind}): {exc}") from None
    axes = cfg.get("axes")
    points = cfg.get("points")
    kw = dict(run)
    sweep = NetworkSweep(net, None if axes is None else {k: axis_values(v, k) for k, v in axes.items()},
                         points=points, grid=bool(cfg.get("grid", False)), zip=[tuple(g) for g in cfg.get("zip", [])],
                         observables=observables, **kw)
    store = cfg.get("store")
    return SweepConfig(sweep, None if store is None else _path(base, store), dict(cfg.get("cluster") or {}), p)


def make_client(cluster: Mapping, n_workers: int | None = None):
    """``(client, close)`` for a ``cluster`` section: 'serial' and 'local' are handled by the sweep itself
    (``client`` is the string); ``address`` connects to a running scheduler; 'slurm' / 'pbs' start a
    dask-jobqueue cluster (its options under ``jobqueue:``, the number of jobs under ``jobs:``)."""
    cfg = dict(cluster)
    kind = cfg.pop("kind", "address" if "address" in cfg else "local")
    if kind in ("serial", "local"):
        return kind, (lambda: None)
    from distributed import Client
    if kind == "address":
        if "address" not in cfg:
            raise InputError("cluster.kind 'address' needs cluster.address (e.g. tcp://scheduler:8786)")
        c = Client(cfg["address"])
        return c, c.close
    if kind in ("slurm", "pbs"):
        import dask_jobqueue
        cls = dask_jobqueue.SLURMCluster if kind == "slurm" else dask_jobqueue.PBSCluster
        cl = cls(**dict(cfg.get("jobqueue", {})))
        cl.scale(jobs=int(cfg.get("jobs", n_workers or 1)))
        c = Client(cl)

        def close():
            c.close()
            cl.close()
        return c, close
    raise InputError(f"cluster.kind must be serial, local, address, slurm or pbs, got {kind!r}")
