"""From a next-generation template to the spiking network it reduces (same parameter paths and units).

Each bundled mean-field operator has one microscopic counterpart (REFERENCE sections 1-3):

=================  ============================================================================================
operator           network
=================  ============================================================================================
``qif_op``         N QIF neurons, all-to-all delta coupling J (the edge r -> r_in), MPR 2015
``qif_sfa_op``     the same, with the population's spike-frequency adaptation (eta -> eta - a)
``qif_syn_op``     the same with a first-order synapse: ``tau_s s' = -s + J r``
``theta_op``       N theta neurons, delta coupling J (the edge r -> s), Luke et al. 2013 / MPR 2015
``ei_ping_op``     E and I QIF populations with first-order synapses (tau_se, tau_si), J_xy from y to x,
                   the self-edge s_e -> s_net adding eps to J_ee and J_ie
``ping_dg_op``     the same with J_ee = J_ii = 0
=================  ============================================================================================

Templates built from other operators (Jansen-Rit, Wilson-Cowan, Kuramoto, ...) have no spiking counterpart and
raise :class:`~neurodyn.errors.NoSpikingCounterpartError`. A bundled operator whose equations were changed is
refused the same way (its network would not be the one it reduces).

Examples
--------
>>> from neurodyn.spiking import spiking_counterpart
>>> net = spiking_counterpart("qif_syn", N=1000)
>>> net.counterpart.outputs["s"], net.counterpart.inputs
(('p/qif_syn_op/s', 's', 'p'), {'p/qif_syn_op/I_ext': 'p'})
>>> spiking_counterpart("JRC", N=10)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
neurodyn.errors.NoSpikingCounterpartError: template 'JRC' has no spiking counterpart: ... Templates with one: qif, ...
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from neurodyn.errors import InputError, NoSpikingCounterpartError
from neurodyn.lang.templates import CircuitTemplate, template_from_yaml
from neurodyn.spiking.network import SpikingNetwork
from neurodyn.spiking.neurons import Population

__all__ = ["COUNTERPARTS", "Counterpart", "spiking_counterpart", "WITH_COUNTERPART"]

_LIB = "model_templates.neural_mass_models"
#: operator name -> dotted name of the bundled operator whose equations it must have
COUNTERPARTS = {
    "qif_op": f"{_LIB}.qif.qif_op",
    "qif_sfa_op": f"{_LIB}.qif.qif_sfa_op",
    "qif_syn_op": f"{_LIB}.qif.qif_syn_op",
    "theta_op": f"{_LIB}.theta.theta_op",
    "ei_ping_op": f"{_LIB}.ngnmm.ei_ping_op",
    "ping_dg_op": f"{_LIB}.ngnmm.ping_dg_op",
}
WITH_COUNTERPART = ("qif, qif_sfa, qif_syn, kmo_theta, ei_ping, ping_dg (nodes: qif_pop, qif_sfa_pop, qif_syn_pop, "
                    "theta_pop, ei_ping_pop, ping_dg_pop)")


@dataclass(frozen=True)
class Counterpart:
    """How a spiking network stands for a template.

    ``outputs``: mean-field name -> (template path, Dataset variable of the network run, population);
    ``inputs``: template input path -> population whose drive it is; ``default_inputs``: population -> the
    input's declared value (used when the input is not given); ``circuit``: the template (with ``params``
    applied) that the mean field runs.
    """

    template: str
    circuit: CircuitTemplate
    operator: str
    outputs: Mapping
    inputs: Mapping
    default_inputs: Mapping
    time_unit: str = "tau"
    params: Mapping = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<Counterpart of {self.template!r} ({self.operator}): outputs {list(self.outputs)}, "
                f"inputs {list(self.inputs)}>")


def _value(op, name: str) -> float:
    v = op.variables[name].value
    return float(complex(v).real) if not isinstance(v, (int, float)) else float(v)


def _self_edge(circ: CircuitTemplate, node: str, op: str, src: str, tgt: str) -> float:
    """Weight of the edge node/op/src -> node/op/tgt (0 if absent); other edges are refused."""
    w = 0.0
    for e in circ.flat_edges():
        s_path, t_path = f"{node}/{op}/{src}", f"{node}/{op}/{tgt}"
        if e.source == s_path and e.target == t_path and e.template is None and not e.delay and not e.spread:
            w += e.weight
        else:
            raise NoSpikingCounterpartError(
                f"template {circ.name!r}: the edge {e.source} -> {e.target}"
                f"{' (delayed)' if e.delay else ''} has no spiking counterpart; the networks here close "
                f"{s_path} -> {t_path} without delay only")
    return w


def _theta_initial(z0: complex, tau: float) -> tuple[float, float]:
    """(r, v) of the Kuramoto order parameter z: W = pi tau r + i v = conj((1 - z)/(1 + z))."""
    W = np.conj((1.0 - z0) / (1.0 + z0))
    return max(float(W.real) / (np.pi * tau), 0.0), float(W.imag)


def spiking_counterpart(template, N, params: Mapping | None = None, connectivity=None, seed: int | None = None,
                        placement: str = "quantile", distribution: str = "lorentzian", v_peak: float = 100.0,
                        v_reset: float | None = None, noise: float = 0.0) -> SpikingNetwork:
    """The spiking network that a next-generation template reduces.

    Parameters
    ----------
    template : str or CircuitTemplate
        A bundled name (``'qif'``, ``'qif_syn'``, ``'kmo_theta'``, ``'ei_ping'``, ...), a dotted name, or a
        circuit built from the operators listed in :mod:`neurodyn.spiking.counterparts`.
    N : int or dict
        Neurons per population (``{'e': Ne, 'i': Ni}`` for the E/I templates).
    params : dict {template path: value}, optional
        Parameter values by the template's own paths (``'p/qif_op/eta'``); the same values reach the mean field
        (``net.counterpart.circuit``).
    connectivity : AllToAll (default), FixedInDegree or ErdosRenyi
    seed : int, optional
    placement, distribution : str
        Excitabilities at Lorentzian quantiles (default) or drawn; 'gaussian' swaps the Lorentzian for a Gaussian
        of standard deviation Delta (no longer an exact reduction: for studying where it stops holding).
    v_peak, v_reset : float
        QIF peak and reset (default V_p = -V_r = 100).
    noise : float
        sigma of independent white noise on every V (again outside the exact reduction).

    Returns
    -------
    SpikingNetwork with ``.counterpart`` (a :class:`Counterpart`).
    """
    circ = template if isinstance(template, CircuitTemplate) else CircuitTemplate.from_yaml(str(template))
    tname = template if isinstance(template, str) else circ.name
    if params:
        circ = circ.update_var(node_vars=dict(params))
    nodes = circ.flat_nodes()
    ops = [o.name for t in nodes.values() for o in t.operators]
    if len(nodes) != 1 or len(ops) != 1 or ops[0] not in COUNTERPARTS:
        raise NoSpikingCounterpartError(
            f"template {tname!r} has no spiking counterpart: its operators {ops} are not QIF or theta mean "
            f"fields{' in one node' if len(nodes) > 1 else ''}. Templates with one: {WITH_COUNTERPART}")
    node, tmpl = next(iter(nodes.items()))
    op = tmpl.operators[0]
    ref = template_from_yaml(COUNTERPARTS[op.name])
    if tuple(op.equations) != tuple(ref.equations):
        raise NoSpikingCounterpartError(
            f"template {tname!r}: operator {op.name!r} has equations {list(op.equations)}, not those of the "
            f"bundled {COUNTERPARTS[op.name]} ({list(ref.equations)}), so the QIF network is not its microscopic "
            f"counterpart")
    vr = -float(v_peak) if v_reset is None else float(v_reset)
    common = dict(placement=placement, distribution=distribution, v_peak=float(v_peak), v_reset=vr,
                  noise=float(noise))

    def size(name):
        n = N.get(name) if isinstance(N, Mapping) else N
        if n is None:
            raise InputError(f"N: give the number of neurons of population {name!r} (N = {{'e': ..., 'i': ...}})")
        return n

    name = op.name
    if name in ("qif_op", "qif_sfa_op", "qif_syn_op"):
        tau = _value(op, "tau")
        kw = dict(tau=tau, eta=_value(op, "eta"), delta=_value(op, "Delta"), r0=_value(op, "r"), v0=_value(op, "v"))
        J = _self_edge(circ, node, name, "r", "r_in")
        outputs = {"r": (f"{node}/{name}/r", "rate", node), "v": (f"{node}/{name}/v", "v", node)}
        coupling = {(node, node): J}
        if name == "qif_sfa_op":
            kw.update(adaptation=(_value(op, "alpha"), _value(op, "tau_a")), a0=_value(op, "a"), x0=_value(op, "x"))
            outputs["a"] = (f"{node}/{name}/a", "a", node)
        if name == "qif_syn_op":
            # s includes J (tau_s s' = r_in - s, r_in = J r): the synapse carries the gain J, the coupling is 1
            kw.update(synapse_tau=_value(op, "tau_s"), synapse_gain=J, s0=_value(op, "s"))
            coupling = {(node, node): 1.0}
            outputs["s"] = (f"{node}/{name}/s", "s", node)
        pops = [Population(node, size(node), "qif", **kw, **common)]
        inputs = {f"{node}/{name}/I_ext": node}
        defaults = {node: _value(op, "I_ext")}
        unit = "tau"
    elif name == "theta_op":
        tau = _value(op, "tau")
        r0, v0 = _theta_initial(complex(op.variables["z"].value), tau)
        J = _self_edge(circ, node, name, "r", "s")
        pops = [Population(node, size(node), "theta", tau=tau, eta=_value(op, "eta"), delta=_value(op, "Delta"),
                           r0=r0, v0=v0, **common)]
        coupling = {(node, node): J}
        outputs = {"z": (f"{node}/{name}/z", "z", node), "r": (f"{node}/{name}/r", "rate", node)}
        inputs = {f"{node}/{name}/I_ext": node}
        defaults = {node: _value(op, "I_ext")}
        unit = "tau"
    else:   # ei_ping_op, ping_dg_op
        w = _self_edge(circ, node, name, "s_e", "s_net")
        eps = _value(op, "eps") * w
        pops = []
        outputs, inputs, defaults = {}, {}, {}
        for x in ("e", "i"):
            pops.append(Population(x, size(x), "qif", tau=_value(op, f"tau_{x}"), eta=_value(op, f"nu_{x}"),
                                   delta=_value(op, f"Delta_{x}"), r0=_value(op, f"r_{x}"), v0=_value(op, f"v_{x}"),
                                   synapse_tau=_value(op, f"tau_s{x}"), s0=_value(op, f"s_{x}"), **common))
            for var, dsvar in (("r", "rate"), ("v", "v"), ("s", "s")):
                outputs[f"{var}_{x}"] = (f"{node}/{name}/{var}_{x}", dsvar, x)
            inputs[f"{node}/{name}/I_ext_{x}"] = x
            defaults[x] = _value(op, f"I_ext_{x}")
        coupling = {("e", "e"): _value(op, "J_ee") + eps, ("e", "i"): -_value(op, "J_ei"),
                    ("i", "e"): _value(op, "J_ie") + eps, ("i", "i"): -_value(op, "J_ii")}
        unit = "ms"
    net = SpikingNetwork(pops, coupling=coupling, connectivity=connectivity, seed=seed, name=f"{tname} (spiking)")
    net.counterpart = Counterpart(tname, circ, name, outputs, inputs, defaults, unit, dict(params or {}))
    return net
