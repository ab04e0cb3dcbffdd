"""Copies of a whole-brain network in one compiled model: the vectorised block of a network sweep.

:func:`copies_model` is the one place where a sweep builds its model: ``compile_model(..., copies=n)`` of the
network's circuit (one kernel for every block size), with the long-range projections of copy ``r`` rebuilt from
the coupling gains and conduction speed of point ``r`` exactly as a single network of that point would build them
(same connections in the same order, weights ``gain * W[i, j]``, delays ``L[i, j] / speed``), so that each copy
computes what :meth:`BrainNetwork.simulate` of its point computes. A backend that couples many copies through
one matrix-matrix product plugs in here.

:func:`run_copies` runs such a model once for a list of prepared network runs (:class:`~neurodyn.network.NetworkRun`):
every argument path is renamed into its copy (``region`` -> ``region#r``), copy ``r``'s noise columns draw from
copy ``r``'s own seed (:class:`~neurodyn.solvers.NoiseStreams`), and each copy's observables read its own columns.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import BrainNetwork, Connectome, Coupling
>>> net = BrainNetwork("ei_ping_pop", Connectome(np.array([[0, 1.0], [0.5, 0]])),
...                    Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
>>> m = copies_model(net, [net.variant(global_coupling=g) for g in (0.5, 2.0)], step_size=0.01)
>>> [p.weights.tolist() for p in m.ir.projections]
[[0.5, 0.25, 2.0, 1.0]]
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from neurodyn.errors import NeurodynError, TemplateError
from neurodyn.ir import CircuitIR, ProjectionIR
from neurodyn.simulate import compile_model
from neurodyn.solvers import NoiseStreams

__all__ = ["copies_model", "run_copies", "copy_path", "vectorising_pays"]

#: networks of at most this many regions are always vectorised (per-step overheads dominate their runs)
SMALL_NETWORK = 16


def vectorising_pays(model) -> bool:
    """Whether copies in one model beat one run per point for the network whose one-copy model is ``model``.

    Copies are independent blocks of one state, so their coupling is block-diagonal: stored sparse, it costs an
    indexed read per connection, where a single dense network's coupling is a contiguous (SIMD) matrix-vector
    product. Today copies pay for small networks and for networks whose coupling is sparse anyway; a backend
    that couples copies through one matrix-matrix product makes this True everywhere.
    """
    from neurodyn.backends.data import DENSE_FRACTION
    ir = model.ir
    if sum(g.n for g in ir.groups) <= SMALL_NETWORK:
        return True
    for p in ir.projections:
        nt, ns = ir.groups[p.target[0]].n, ir.groups[p.source[0]].n
        if not p.delayed and len(p.rows) >= DENSE_FRACTION * nt * ns:
            return False
    return True


def copy_path(path: str, r: int, regions: Sequence[str]) -> list[str]:
    """``region/op/var`` -> ``['region#r/op/var']``; ``all/op/var`` -> every region of copy ``r``.

    >>> copy_path("all/op/x", 1, ["a", "b"])
    ['a#1/op/x', 'b#1/op/x']
    """
    parts = str(path).split("/")
    node, opvar = "/".join(parts[:-2]), "/".join(parts[-2:])
    if node == "all":
        return [f"{reg}#{r}/{opvar}" for reg in regions]
    return [f"{node}#{r}/{opvar}"]


def _projection_arrays(base: CircuitIR, net, zero_delays: str) -> list[tuple]:
    """(key, rows, cols, weights, delays) of the long-range projections of network ``net`` in the order and
    layout of the network's IR (one group per node structure; keys (source, target, delayed))."""
    W = np.asarray(net.connectome.weights, dtype=float)
    D = net.connectome.delays(net.speed) if net.speed is not None else None
    names = net.region_names
    gi = np.array([base.node_index[n] for n in names], dtype=np.int64).reshape(-1, 2)
    G = len(base.groups)
    proj: dict = {}
    for c in net.couplings:
        ti, si = np.nonzero(W)                     # the connections (independent of the gain, even a zero one)
        w = (c.gain * W)[ti, si]
        d = D[ti, si] if D is not None else None
        sg, sidx, tg, tidx = gi[si, 0], gi[si, 1], gi[ti, 0], gi[ti, 1]
        ssym = base.groups[int(sg[0])].by_path(c.source).sym if len(w) else None
        tsym = base.groups[int(tg[0])].by_path(c.target).sym if len(w) else None
        if d is None:
            delayed = np.zeros(len(w), dtype=bool)
        elif zero_delays == "history":
            delayed = np.ones(len(w), dtype=bool)
        else:
            delayed = d > 0
        code = (sg * G + tg) * 2 + delayed.astype(np.int64)
        for cc in (np.unique(code).tolist() if len(w) else ()):
            sel = code == cc
            key = ((cc // 2 // G, ssym), (cc // 2 % G, tsym), bool(cc % 2))
            p = proj.setdefault(key, ([], [], [], []))
            p[0].append(tidx[sel])
            p[1].append(sidx[sel])
            p[2].append(w[sel])
            p[3].append(d[sel] if (d is not None and key[2]) else np.zeros(int(sel.sum())))
    return [(k, np.concatenate(p[0]), np.concatenate(p[1]), np.concatenate(p[2]), np.concatenate(p[3]))
            for k, p in proj.items()]


def _copies_ir(model_ir: CircuitIR, base: CircuitIR, nets, zero_delays: str) -> CircuitIR:
    """``model_ir`` (``replicate_ir`` of ``base``) with copy ``r``'s projections built from ``nets[r]``."""
    keys = [(p.source, p.target, p.delayed) for p in base.projections]
    per_copy = []
    for net in nets:
        arrays = _projection_arrays(base, net, zero_delays)
        if [a[0] for a in arrays] != keys:
            raise NeurodynError(f"internal: the projections of sweep point network {net!r} do not line up with the "
                                f"network's IR ({[a[0] for a in arrays]} vs {keys}); please report this")
        per_copy.append(arrays)
    first = per_copy[0]
    for (k, rows, cols, w, d), p in zip(first, base.projections):
        if not (np.array_equal(rows, p.rows) and np.array_equal(cols, p.cols)):
            raise NeurodynError("internal: sweep projections are not ordered as the network's IR; please report this")
    projections = []
    for j, p in enumerate(base.projections):
        ns, nt = base.groups[p.source[0]].n, base.groups[p.target[0]].n
        rows = np.concatenate([c[j][1] + r * nt for r, c in enumerate(per_copy)])
        cols = np.concatenate([c[j][2] + r * ns for r, c in enumerate(per_copy)])
        w = np.concatenate([c[j][3] for c in per_copy])
        d = np.concatenate([c[j][4] for c in per_copy]) if p.delayed else None
        projections.append(ProjectionIR(p.source, p.target, rows, cols, w, d))
    return replace(model_ir, projections=tuple(projections))


def copies_model(network, nets: Sequence, step_size: float, backend: str = "numba", driven: Sequence[str] = (),
                 cache: dict | None = None):
    """One compiled model holding a copy of ``network`` per entry of ``nets`` (variants of it that differ in
    coupling gains or conduction speed only: :meth:`BrainNetwork.variant`), copy ``r`` coupled as ``nets[r]``.

    ``driven`` are the one-copy input paths (stimuli) that receive time series in every copy. Node ``region`` of
    copy ``r`` is ``region#r``; ``Model.base_ir`` is the one-copy IR. ``cache`` (a dict kept by the caller for
    one network) holds the compiled model per number of copies, so that only the projections are rebuilt.
    """
    nets = list(nets)
    if not nets:
        raise TemplateError("copies_model needs at least one network")
    zero_delays = "history" if network.delay_mode == "step" else "instant"
    for net in nets:
        if (net.speed is None) != (network.speed is None) or net.delay_mode != network.delay_mode:
            raise TemplateError(f"copies of {network!r} must all have delays or none, in the same delay mode")
    key = (len(nets), tuple(sorted(driven)), step_size, backend)
    model = None if cache is None else cache.get(key)
    if model is None:
        model = compile_model(network.circuit(), driven=tuple(sorted(driven)), backend=backend, step_size=step_size,
                              copies=len(nets), zero_delays=zero_delays)
        if cache is not None:
            cache[key] = model
    ir = _copies_ir(model.ir, model.base_ir, nets, zero_delays)
    names = network.region_names
    renamed = tuple(sorted(q for r in range(len(nets)) for path in driven for q in copy_path(path, r, names)))
    return replace(model, ir=ir, driven=renamed)


def run_copies(model, runs: Sequence, observable_sets: Sequence, seeds: Sequence[int], regions: Sequence[str],
               simulation_time: float, step_size: float, solver: str, sampling_step_size, delay_mode: str) -> None:
    """Run ``model`` (from :func:`copies_model`) once, copy ``r`` with the arguments of ``runs[r]`` (a
    :class:`~neurodyn.network.NetworkRun`), noise seeded by ``seeds[r]``, feeding ``observable_sets[r]``."""
    outputs, params, initial, noise, inputs, widths = {}, {}, {}, {}, {}, []
    bounds = dict(runs[0].bounds or {})
    for r, run in enumerate(runs):
        for label, path in run.outputs.items():
            outputs[f"{r}\x00{label}"] = copy_path(path, r, regions)[0]
        for src, dst in ((run.params, params), (run.initial, initial)):
            for path, value in src.items():
                if len(runs) == 1 and path.startswith("all/"):
                    dst[path] = value                 # one copy: 'all' is that copy's regions
                    continue
                for q in copy_path(path, r, regions):
                    dst[q] = value
        for path, value in run.noise.items():
            noise[copy_path(path, r, regions)[0]] = value
        widths.append(len(run.noise))
        for path, series in run.inputs.items():
            inputs[copy_path(path, r, regions)[0]] = series
    width = len(runs[0].outputs)
    streams = NoiseStreams(list(zip(widths, seeds))) if noise else None

    def on_chunk(times, values):
        for r, obs in enumerate(observable_sets):
            obs.update(times, values[:, r * width:(r + 1) * width])

    model.run_array(simulation_time, step_size, outputs=outputs, inputs=inputs, solver=solver,
                    sampling_step_size=sampling_step_size, noise=noise or None, seed=streams, params=params,
                    initial_state=initial, delay_mode=delay_mode, progress=False, bounds=bounds or None,
                    input_interpolation="step", on_chunk=on_chunk, store=False)
