"""The observables protocol: a summary of a run computed while it runs, from chunks of samples.

An :class:`Observable` declares the variables it reads (``variables``) and implements

* ``start(context)``: allocate its accumulators for a run described by a :class:`RunContext`;
* ``update(times, values)``: take a chunk of samples, ``values[var]`` a ``(n_times, n_channels)`` array (a view:
  read it, do not keep or modify it) for every declared variable;
* ``finish()``: return its results as labelled ``xarray.DataArray`` objects, ``{name: DataArray}``;
* ``describe(context)``: the names, dimensions, shapes and coordinates of those results, known before the run
  (sweeps allocate their stores with it and check sizes against memory and disk).

Users construct observables as settings (``FC("ei_ping_op/r_e")``); a run binds a fresh copy per run
(:meth:`Observable.bind`), so one list serves every point of a sweep. ``BrainNetwork.simulate(observables=[...])``,
``Model.run(observables=[...])`` and the sweeps accept them; an :class:`ObservableSet` feeds a list of them from a
run's chunks (``on_chunk``), leaving the samples before ``discard`` out of all but those that need the transient
(BOLD, trajectories).

Examples
--------
>>> import numpy as np
>>> from neurodyn.observables import FC, Means
>>> ctx = RunContext(sample_period=1.0, n_samples=100, channels={"x": 3})
>>> obs = ObservableSet([Means(), FC("x")], ctx, columns={"x": slice(0, 3)})
>>> data = np.random.default_rng(0).standard_normal((100, 3))
>>> for chunk in np.array_split(np.arange(100), 4):
...     obs.update(chunk * 1.0, data[chunk])
>>> res = obs.finish()
>>> sorted(res), res["fc"].dims
(['fc', 'mean_x'], ('region', 'region_2'))
>>> bool(np.allclose(res["fc"].values, np.corrcoef(data.T)))
True
"""
from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from neurodyn.errors import InputError, UnrecordedVariableError, close_matches

__all__ = ["RunContext", "ResultSpec", "Observable", "ObservableSet", "result_specs"]


@dataclass(frozen=True)
class RunContext:
    """What an observable knows about the run it reads.

    Parameters
    ----------
    sample_period : float
        Model time between samples.
    n_samples : int
        Samples the run delivers (row 0 is t = 0), before ``discard``.
    channels : dict {variable: number of channels}
        The recorded variables and how many channels (regions, nodes) each has.
    names : dict {variable: short name}, optional
        Names used in result names (``mean_<name>``); default: the part after the last ``/``.
    discard : float
        Initial transient (model time) left out of observables that do not need it.
    time_unit : str or float, optional
        The model's time unit when known (``'ms'`` for the bundled neural-mass networks).
    channel_dim : str
        Dimension name of the channels ('region' for networks, 'node' for circuits).
    labels : sequence, optional
        Channel labels (as many as the channels of each variable).
    """

    sample_period: float
    n_samples: int
    channels: Mapping[str, int]
    names: Mapping[str, str] = field(default_factory=dict)
    discard: float = 0.0
    time_unit: str | float | None = None
    channel_dim: str = "region"
    labels: tuple | None = None

    def name_of(self, variable: str) -> str:
        return self.names.get(variable, str(variable).split("/")[-1])

    @property
    def first_kept(self) -> int:
        """Index of the first sample at t >= discard (half a sample of slack against rounding)."""
        if self.discard <= 0:
            return 0
        return max(0, int(math.ceil(self.discard / self.sample_period - 0.5 - 1e-9)))

    @property
    def n_kept(self) -> int:
        """Samples at t >= discard."""
        return max(0, self.n_samples - self.first_kept)

    @property
    def duration(self) -> float:
        return self.n_samples * self.sample_period


@dataclass(frozen=True)
class ResultSpec:
    """Dimensions, shape, dtype and coordinates of one result of an observable (one run)."""

    dims: tuple
    shape: tuple
    dtype: str = "float64"
    coords: Mapping[str, Any] = field(default_factory=dict)   # dim -> values (or (values, attrs))
    attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


class Observable:
    """Base class of streaming observables (see the module docstring for the protocol).

    Subclasses set ``variables`` (and ``name``) in ``__init__`` and implement ``start``, ``update``, ``finish`` and
    ``describe``; ``uses_transient = True`` makes them see the samples before ``discard`` too.
    """

    name: str = "observable"
    variables: tuple = ()
    uses_transient: bool = False

    # ------------------------------------------------------------------------------ life cycle of one run
    def bind(self, context: RunContext) -> "Observable":
        """A fresh copy of this observable, started for a run described by ``context``."""
        self.check(context)
        new = copy.copy(self)
        new.context = context
        new.start(context)
        return new

    def check(self, context: RunContext) -> None:
        """Refuse a run that does not record a variable this observable reads."""
        for v in self.resolved_variables(context):
            if v not in context.channels:
                recorded = list(context.channels)
                raise UnrecordedVariableError(
                    f"{self!r} reads {v!r}, which this run does not record (recorded: {recorded}); add it to the "
                    f"recorded variables (variables=[...]) or read one of those; {close_matches(v, recorded)}")

    def resolved_variables(self, context: RunContext) -> tuple:
        """The variables read in this run (``variables``, or every recorded one when it is empty)."""
        return tuple(self.variables) if self.variables else tuple(context.channels)

    def start(self, context: RunContext) -> None:
        raise NotImplementedError

    def update(self, times: np.ndarray, values: Mapping[str, np.ndarray]) -> None:
        raise NotImplementedError

    def finish(self) -> dict:
        raise NotImplementedError

    def describe(self, context: RunContext) -> dict[str, ResultSpec]:
        raise NotImplementedError

    # ------------------------------------------------------------------------------ identity
    def config(self) -> dict:
        """The settings that define this observable (JSON-able): its class and constructor arguments."""
        out = {"observable": type(self).__name__}
        for k, v in sorted(vars(self).items()):
            if k.startswith("_") or k == "context":
                continue
            out[k] = _jsonable(v)
        return out

    def __repr__(self) -> str:
        cfg = self.config()
        kind = cfg.pop("observable")
        args = [repr(v) for v in cfg.pop("variables", ())]
        args += [f"{k}={v!r}" for k, v in cfg.items() if v is not None]
        return f"{kind}({', '.join(args)})"


def _jsonable(v):
    if isinstance(v, np.ndarray):
        if v.size > 16:
            import hashlib
            return f"array{list(v.shape)}:sha256:{hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()[:16]}"
        return v.tolist()
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    try:
        json.dumps(v)
        return v
    except TypeError:
        return repr(v)


def result_specs(observables: Sequence[Observable], context: RunContext) -> dict[str, ResultSpec]:
    """Every result of ``observables`` for a run described by ``context`` (names must be unique)."""
    specs: dict[str, ResultSpec] = {}
    owner: dict[str, Observable] = {}
    for o in observables:
        o.check(context)
        for name, spec in o.describe(context).items():
            if name in specs:
                raise InputError(f"two observables give a result named {name!r} ({owner[name]!r} and {o!r}); "
                                 f"give one of them another name=")
            specs[name] = spec
            owner[name] = o
    return specs


class ObservableSet:
    """Observables fed from the chunks of one run (``on_chunk=obs.update``).

    Parameters
    ----------
    observables : list of Observable
    context : RunContext
    columns : dict {variable: slice or index array}
        Where each variable's channels are in the chunks the run hands over.
    """

    def __init__(self, observables: Sequence[Observable], context: RunContext, columns: Mapping[str, Any]):
        self.context = context
        self.specs = result_specs(observables, context)
        self.bound = [o.bind(context) for o in observables]
        self.columns = dict(columns)
        self._needed = {v for o in self.bound for v in o.resolved_variables(context)}

    @property
    def active(self) -> bool:
        return bool(self.bound)

    def update(self, times: np.ndarray, values: np.ndarray) -> None:
        """Feed a chunk ``values[k, c]`` (samples at ``times``) to every observable."""
        v = values.real if np.iscomplexobj(values) else values
        blocks = {var: v[:, self.columns[var]] for var in self._needed}
        keep = 0
        ctx = self.context
        if ctx.discard > 0.0:
            # samples at t >= discard (half a sample of slack against rounding of t = k * dt)
            keep = int(np.searchsorted(times, ctx.discard - 0.5 * ctx.sample_period))
        late = blocks if keep == 0 else {var: b[keep:] for var, b in blocks.items()}
        for o in self.bound:
            if o.uses_transient:
                o.update(times, blocks)
            elif keep < v.shape[0]:
                o.update(times[keep:], late)

    def finish(self) -> dict:
        """Every observable's results, ``{name: DataArray}`` in the order of the observables."""
        out = {}
        for o in self.bound:
            out.update(o.finish())
        return out

    def __repr__(self) -> str:
        return f"<ObservableSet {[repr(o) for o in self.bound]}>"
