"""Whole-brain networks: one node template per region, coupled through a connectome, simulated by the core.

The network is an ordinary circuit whose long-range coupling is one :class:`~neurodyn.lang.templates.MatrixEdges`
block per coupling (weights and per-connection delays as data), so it compiles to the same vectorised kernel as
any other circuit and runs with the core's solvers. Observables (temporal means, functional connectivity,
Balloon-Windkessel BOLD) are computed chunk by chunk during the run, so long runs of 1000 regions need not
keep the raw trajectory.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome, BrainNetwork, Coupling
>>> W = np.array([[0.0, 1.0], [1.0, 0.0]])
>>> net = BrainNetwork("ei_ping_pop", Connectome(W), Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
>>> ds = net.simulate(5.0, 0.01, variables=["ei_ping_op/r_e"], params={"ei_ping_op/eps": 2.0})
>>> ds["r_e"].dims
('time', 'region')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
from neurodyn._xr import xr

from neurodyn.errors import ConnectomeError, InputError, VariablePathError, close_matches
from neurodyn.lang.templates import CircuitTemplate, MatrixEdges, NodeTemplate, template_from_yaml
from neurodyn.network.connectome import Connectome
from neurodyn.network.formats import load_connectome
from neurodyn.simulate import Model, compile_model
from neurodyn.simulate.grid import TimeGrid

__all__ = ["Coupling", "Stimulus", "BrainNetwork", "NetworkRun", "node_template"]


@dataclass(frozen=True)
class Coupling:
    """Long-range coupling: ``target`` (an input, ``op/var``) of region n receives
    ``gain * sum_m W[n, m] * source_m(t - L[n, m] / speed)``.

    Several Couplings can share a source (e.g. s_e driving both v_e and v_i through separate inputs).
    """

    source: str
    target: str
    gain: float = 1.0

    def __post_init__(self):
        for name in ("source", "target"):
            if str(getattr(self, name)).count("/") != 1:
                raise VariablePathError(f"Coupling {name} must be 'operator/variable', got {getattr(self, name)!r}")
        if not np.isfinite(self.gain):
            raise InputError(f"Coupling gain must be finite, got {self.gain}")


@dataclass(frozen=True)
class Stimulus:
    """A rectangular pulse added to input ``target`` (``op/var``) of ``regions`` (indices or labels) for
    ``start <= t < stop`` (model time units).

    The pulse is sampled on the step grid and held for every stage of a step (the core's
    ``input_interpolation='step'``): it acts on exactly the steps t_k with start <= t_k < stop, with any solver.

    Examples
    --------
    >>> Stimulus("ei_ping_op/I_ext_e", regions=[0, "PreCG.L"], amplitude=5.0, start=100.0, stop=150.0).amplitude
    5.0
    """

    target: str
    regions: tuple
    amplitude: float
    start: float
    stop: float

    def __init__(self, target: str, regions, amplitude: float, start: float, stop: float):
        if isinstance(regions, (int, str, np.integer)):
            regions = [regions]
        object.__setattr__(self, "target", str(target))
        object.__setattr__(self, "regions", tuple(regions))
        object.__setattr__(self, "amplitude", float(amplitude))
        object.__setattr__(self, "start", float(start))
        object.__setattr__(self, "stop", float(stop))
        if not (np.isfinite(self.amplitude) and self.start < self.stop):
            raise InputError(f"Stimulus on {target!r}: need a finite amplitude and start < stop "
                             f"(got {amplitude}, {start}, {stop})")


def node_template(node) -> NodeTemplate:
    """The single node template of ``node`` (a NodeTemplate, a one-node circuit, or a template name)."""
    if isinstance(node, NodeTemplate):
        return node
    if isinstance(node, CircuitTemplate):
        nodes = node.flat_nodes()
        if len(nodes) != 1:
            raise InputError(f"a network node must be a single node; circuit {node.name!r} has {len(nodes)}")
        return next(iter(nodes.values()))
    t = template_from_yaml(str(node))
    return node_template(t)


class BrainNetwork:
    """A node template in every region of a connectome.

    Parameters
    ----------
    node : NodeTemplate, single-node CircuitTemplate, or template name (e.g. ``'ei_ping_pop'``)
    connectome : Connectome, or anything :func:`~neurodyn.network.load_connectome` reads
    coupling : Coupling or list of Coupling
    speed : float, optional
        Conduction speed (tract-length units per model time unit, e.g. mm/ms); ``None`` = no delays.
    delay_mode : {'cubic', 'linear', 'step'}
        How delayed values are read (see :mod:`neurodyn.backends.numba.runtime`); 'step' is TVB's convention
        (nearest step, once per step; zero delays read the state at the start of the step).
    """

    def __init__(self, node, connectome, coupling: Coupling | Sequence[Coupling], speed: float | None = None,
                 delay_mode: str = "cubic", name: str | None = None):
        self.node = node_template(node)
        self.connectome = connectome if isinstance(connectome, Connectome) else load_connectome(connectome)
        self.couplings = (coupling,) if isinstance(coupling, Coupling) else tuple(coupling)
        if not self.couplings:
            raise InputError("a network needs at least one Coupling")
        paths = {f"{o.name}/{v}": d for o in self.node.operators for v, d in o.variables.items()}
        for c in self.couplings:
            for what, path in (("source", c.source), ("target", c.target)):
                if path not in paths:
                    raise VariablePathError(f"coupling {what} {path!r} is not a variable of node "
                                            f"{self.node.name!r}; {close_matches(path, paths)}")
            if paths[c.target].kind != "input":
                raise VariablePathError(f"coupling target {c.target!r} must be declared 'input' in its operator "
                                        f"(it is {paths[c.target].kind!r})")
        if speed is not None and (not np.isfinite(speed) or speed <= 0):
            raise ConnectomeError(f"conduction speed must be positive and finite, got {speed}")
        self.speed = speed
        self.delay_mode = delay_mode
        self.name = name or f"{self.node.name}_x{self.connectome.n_regions}"
        labels = list(self.connectome.labels) if self.connectome.labels is not None else []
        if labels and len(set(labels)) == len(labels):
            self.region_names = [str(x) for x in labels]
        else:
            self.region_names = [f"r{i}" for i in range(self.connectome.n_regions)]
        self.labels = [str(x) for x in labels] if labels else list(self.region_names)
        self._models: dict = {}

    def __repr__(self) -> str:
        d = f", speed {self.speed}" if self.speed else ", no delays"
        return (f"<BrainNetwork {self.node.name!r} x {self.connectome.n_regions} regions, "
                f"{len(self.couplings)} coupling(s){d}>")

    # ------------------------------------------------------------------------------------------ building
    def circuit(self) -> CircuitTemplate:
        """The network as a circuit template (regions named by label, or r0, r1, ...)."""
        W = np.asarray(self.connectome.weights, dtype=float)
        D = self.connectome.delays(self.speed) if self.speed is not None else None
        blocks = [MatrixEdges(c.source, c.target, self.region_names, self.region_names, c.gain * W, D)
                  for c in self.couplings]
        return CircuitTemplate(self.name, nodes={n: self.node for n in self.region_names}, matrix_edges=blocks)

    def region_index(self, region) -> int:
        if isinstance(region, (int, np.integer)):
            if not 0 <= int(region) < self.connectome.n_regions:
                raise InputError(f"region index {region} out of range 0..{self.connectome.n_regions - 1}")
            return int(region)
        for names in (self.region_names, self.labels):
            if str(region) in names and names.count(str(region)) == 1:
                return names.index(str(region))
        raise InputError(f"unknown region {region!r}; {close_matches(str(region), self.labels)}")

    def model(self, driven: Iterable[str] = (), step_size: float | None = None, backend: str | None = None) -> Model:
        """The compiled model (cached per set of driven inputs, step and backend)."""
        key = (tuple(sorted(driven)), step_size, backend)
        if key not in self._models:
            self._models[key] = compile_model(self.circuit(), driven=key[0], backend=backend, step_size=step_size,
                                              zero_delays="history" if self.delay_mode == "step" else "instant")
        return self._models[key]

    # ------------------------------------------------------------------------------------------ variants
    def variant(self, global_coupling: float | None = None, speed: float | None = None) -> "BrainNetwork":
        """The same network with every coupling gain multiplied by ``global_coupling`` and/or another conduction
        ``speed`` (the single network a sweep point over those axes stands for).

        >>> import numpy as np
        >>> net = BrainNetwork("ei_ping_pop", Connectome(np.ones((2, 2))), Coupling("ei_ping_op/s_e", "ei_ping_op/s_net", 2.0))
        >>> net.variant(global_coupling=0.5).couplings[0].gain
        1.0
        """
        g = 1.0 if global_coupling is None else float(global_coupling)
        if not np.isfinite(g):
            raise InputError(f"global_coupling must be finite, got {global_coupling!r}")
        couplings = [Coupling(c.source, c.target, c.gain * g) if global_coupling is not None else c
                     for c in self.couplings]
        return BrainNetwork(self.node, self.connectome, couplings, speed=self.speed if speed is None else speed,
                            delay_mode=self.delay_mode, name=self.name)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_models"] = {}          # compiled models stay in the process that built them
        return state

    # ------------------------------------------------------------------------------------------ running
    def _per_region(self, path: str, value) -> dict:
        arr = np.asarray(value)
        n = self.connectome.n_regions
        if arr.ndim == 0:
            return {f"all/{path}": arr.item()}
        if arr.shape != (n,):
            raise InputError(f"values for {path!r} must be a scalar or one per region ({n}), got shape {arr.shape}")
        return {f"{r}/{path}": x for r, x in zip(self.region_names, arr)}

    def default_variables(self) -> list[str]:
        """The node's declared outputs ('op/var'), recorded when ``variables`` is not given."""
        return [f"{o.name}/{v}" for o in self.node.operators for v, d in o.variables.items() if d.kind == "output"]

    def prepare(self, simulation_time: float, step_size: float, variables: Sequence[str] | None = None,
                sampling_step_size: float | None = None, params: Mapping | None = None, noise: Mapping | None = None,
                seed: int | None = None, stimuli: Sequence[Stimulus] = (), initial: Mapping | str | None = None,
                bounds: Mapping | None = None, backend: str | None = None, discard: float = 0.0) -> "NetworkRun":
        """Resolve the arguments of :meth:`simulate` into the paths, values and columns of one run of the
        compiled model (what :meth:`simulate` and the sweeps hand to :meth:`Model.run_array`)."""
        n = self.connectome.n_regions
        if variables is None:
            variables = self.default_variables()
        variables = list(variables)
        names = [v.split("/")[-1] for v in variables]
        if len(set(names)) != len(names):
            names = [v.replace("/", "_") for v in variables]
        # the time grid, and the memory of the stimulus series, are checked before anything is allocated
        grid = TimeGrid.of(simulation_time, step_size, sampling_step_size)
        n_steps = grid.n_steps
        stim_cols = {f"{self.region_names[self.region_index(r)]}/{s.target}" for s in stimuli for r in s.regions}
        if stim_cols:
            from neurodyn.memory import check_output_memory
            check_output_memory(n_steps, len(stim_cols), 1)          # one stimulus value per step and column
        # inputs from stimuli: one column per stimulated region and target
        driven_cols: dict[str, np.ndarray] = {}
        t = np.arange(n_steps) * step_size if stimuli else None
        for s in stimuli:
            for r in s.regions:
                path = f"{self.region_names[self.region_index(r)]}/{s.target}"
                col = driven_cols.setdefault(path, np.zeros(n_steps))
                col += s.amplitude * ((t >= s.start) & (t < s.stop))
        model = self.model(tuple(driven_cols), step_size, backend)
        run_params = {}
        for path, val in dict(params or {}).items():
            run_params.update(self._per_region(path, val))
        init = {}
        if isinstance(initial, str):
            if initial != "random":
                raise InputError(f"initial must be a dict, 'random' or None, got {initial!r}")
            rng = np.random.default_rng(seed)
            for o in self.node.operators:
                for v, d in o.variables.items():
                    path = f"{o.name}/{v}"
                    if any(g.by_path(path).kind == "state" for g in model.ir.groups[:1]):
                        base = complex(d.value) if d.dtype == "complex" else float(d.value)
                        init.update(self._per_region(path, base * (1 + 0.1 * rng.uniform(-1, 1, n))
                                                     if base != 0 else 0.01 * rng.uniform(0, 1, n)))
        elif initial is not None:
            for path, val in dict(initial).items():
                init.update(self._per_region(path, val))
        noise_paths = {}
        for path, val in dict(noise or {}).items():
            arr = np.broadcast_to(np.asarray(val, dtype=float), (n,))
            noise_paths.update({f"{r}/{path}": x for r, x in zip(self.region_names, arr)})
        run_bounds = {f"all/{p}": b for p, b in dict(bounds or {}).items()}
        outputs = {f"{v}\x00{r}": f"{r}/{v}" for v in variables for r in self.region_names}
        ds_, n_samples = grid.sampling_step_size, grid.n_samples
        T = float(simulation_time)
        if not (np.isfinite(discard) and 0.0 <= float(discard) < T):
            raise InputError(f"discard must be in [0, simulation_time = {T:g}) (model time units), got {discard!r}")
        from neurodyn.observables import RunContext
        context = RunContext(sample_period=ds_, n_samples=n_samples, channels={v: n for v in variables},
                             names=dict(zip(variables, names)), discard=float(discard), channel_dim="region",
                             labels=tuple(self.labels))
        columns = {v: slice(k * n, (k + 1) * n) for k, v in enumerate(variables)}
        return NetworkRun(model, variables, names, outputs, driven_cols, run_params, init, noise_paths, run_bounds,
                          context, columns)

    def simulate(self, simulation_time: float, step_size: float, variables: Sequence[str] | None = None,
                 solver: str = "heun", sampling_step_size: float | None = None, params: Mapping | None = None,
                 noise: Mapping | None = None, seed: int | None = None, stimuli: Sequence[Stimulus] = (),
                 initial: Mapping | str | None = None, bold: Mapping | bool | None = None,
                 fc: str | None = None, psd: Mapping | str | None = None, store: bool = True, memory_limit: float | None = 2e9,
                 bounds: Mapping | None = None, backend: str | None = None, progress: bool | None = None,
                 discard: float = 0.0, observables: Sequence = ()) -> xr.Dataset:
        """Simulate the network.

        Parameters
        ----------
        simulation_time, step_size : float
        variables : list of 'op/var', optional
            Variables recorded in every region (default: the node's declared outputs).
        solver : str
            Any fixed-step solver of the core ('heun' default; with ``noise``: stochastic Heun).
        sampling_step_size : float, optional
            Output interval (multiple of ``step_size``).
        params : dict {'op/var': scalar or array per region}, optional
            Parameter values (heterogeneity when an array).
        noise : dict {'op/var': sigma (scalar or per region)}, optional
            Additive white noise on state variables; ``seed`` makes it reproducible.
        stimuli : list of Stimulus
        initial : dict {'op/var': scalar or per-region array}, 'random', or None
            Initial state; 'random' draws each state uniformly within +-10 % around its default (``seed``).
        observables : list of :class:`~neurodyn.observables.Observable`, optional
            Summaries computed during the run from the recorded variables (FC, FCSimilarity, Spectrum, BOLD,
            FCD, Synchrony, ...; see :mod:`neurodyn.observables`); their results join the Dataset. ``bold``,
            ``fc`` and ``psd`` are shorthands for some of them.
        bold : True or dict, optional
            Balloon-Windkessel BOLD computed during the run from ``variable`` (default: first recorded variable):
            dict(variable='op/var', tr=2.0 (seconds), params='spm', time_unit='ms' (the model's time unit)).
        fc : 'op/var', optional
            Functional connectivity (Pearson) of this variable over the run, accumulated on the fly.
        psd : 'op/var' or dict, optional
            Welch power spectrum per region of a recorded variable, accumulated on the fly (equal to
            ``scipy.signal.welch`` of the sampled trajectory), and the dominant frequency per region:
            dict(variable='op/var', nperseg=samples (default: 1 s of samples, at most 4096),
            band=(low, high) in Hz for the dominant frequency, time_unit='ms').
        store : bool
            Keep the sampled trajectories (False: only reduced observables).
        memory_limit : float, optional
            Bytes the stored trajectories may take; above it a MemoryBudgetError says how large they would be.
        bounds : dict {'op/var': (low, high)}, optional
            Clip states after every stage.
        discard : float
            Initial transient (model time units) left out of the observables computed during the run: temporal
            means, ``fc`` and ``psd`` use the samples with t >= discard only (the stored trajectories and BOLD,
            whose haemodynamics need the whole input, keep everything).

        Returns
        -------
        xarray.Dataset with one (time, region) variable per recorded variable (if ``store``), ``mean_<var>``
        (region), ``fc`` (region, region_2), ``bold`` (bold_time, region), ``psd`` (frequency in Hz, region)
        and ``dominant_frequency`` (region) as requested, and the results of ``observables``; provenance in attrs.
        """
        n = self.connectome.n_regions
        if store and memory_limit is not None:               # before any allocation (also of stimuli)
            from neurodyn.memory import check_output_memory
            grid = TimeGrid.of(simulation_time, step_size, sampling_step_size)
            complex_node = any(d.dtype == "complex" for o in self.node.operators for d in o.variables.values())
            check_output_memory(grid.n_samples, n, len(variables) if variables else len(self.default_variables()),
                                np.complex128 if complex_node else np.float64, budget=memory_limit,
                                sample_step=grid.sampling_step_size)
        run = self.prepare(simulation_time, step_size, variables, sampling_step_size, params, noise, seed, stimuli,
                           initial, bounds, backend, discard)
        from neurodyn.observables import Means, ObservableSet, shorthand_observables
        means = not any(isinstance(o, Means) for o in observables)      # temporal means unless given
        obs = ObservableSet(shorthand_observables(run.variables, bold, fc, psd, means=means) + list(observables),
                            run.context, run.columns)
        clash = sorted(set(obs.specs) & set(run.names)) if store else []
        if clash:
            raise InputError(f"observable result(s) {clash} have the same name as the recorded variables they would "
                             f"replace; give the observables another name= (or store=False)")
        res = run.model.run_array(simulation_time, step_size, outputs=run.outputs, inputs=run.inputs, solver=solver,
                                  sampling_step_size=sampling_step_size, noise=run.noise or None, seed=seed,
                                  params=run.params, initial_state=run.initial, delay_mode=self.delay_mode,
                                  progress=progress, bounds=run.bounds or None, input_interpolation="step",
                                  on_chunk=obs.update, store=store)
        data = {}
        coords = {"region": np.arange(n), "label": ("region", self.labels)}
        if store:
            # columns are variable-major (see ``outputs``): each variable is a (time, region) view, no copy
            coords["time"] = res.times
            for k, nm in enumerate(run.names):
                block = res.values[:, k * n:(k + 1) * n]
                data[nm] = (("time", "region"), block if res.is_complex[k * n] else block.real)
        ds = xr.Dataset(data, coords=coords)
        for name, da in obs.finish().items():
            ds[name] = da
        prov = dict(res.provenance)
        prov.update(connectome_regions=n, couplings=repr(self.couplings), speed=self.speed if self.speed else "none",
                    discard=float(discard),
                    node=self.node.name)
        ds.attrs.update({k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in prov.items()})
        return ds


@dataclass
class NetworkRun:
    """One run of a network resolved for the compiled model (see :meth:`BrainNetwork.prepare`): the model,
    recorded variables and their short names, outputs ``{column label: 'region/op/var'}`` (variable-major),
    stimulus inputs, per-region parameter, initial, noise and bounds paths, and the context and column slices
    its observables read."""

    model: Model
    variables: list
    names: list
    outputs: dict
    inputs: dict
    params: dict
    initial: dict
    noise: dict
    bounds: dict
    context: object
    columns: dict

    def __repr__(self) -> str:
        return (f"<NetworkRun {self.model.ir.name!r}: {len(self.variables)} variables, {len(self.noise)} noisy states, "
                f"{len(self.inputs)} driven inputs>")
