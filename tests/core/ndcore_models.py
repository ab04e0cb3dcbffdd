"""Shared small models for the core-machinery tests (imported by the test modules of tests/core).

Each builder returns a fresh CircuitTemplate; the structures are shared between test files on purpose, so
that the numba backend compiles (and caches on disk) as few distinct kernels as possible.
"""
import numpy as np
from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate


def oscillator_circuit(w: float = 1.0) -> CircuitTemplate:
    """x' = w y, y' = -w x (x0 = 1, y0 = 0: x = cos wt) and the non-autonomous z' = cos(t) z (z = exp(sin t))."""
    op = OperatorTemplate("osc", ["x' = w*y", "y' = -w*x", "z' = cos(t)*z"],
                          {"x": "output(1.0)", "y": "variable(0.0)", "z": "variable(1.0)", "w": w})
    return CircuitTemplate("osc", nodes={"n": NodeTemplate("osc_node", [op])})


def oscillator_exact(t, w: float = 1.0):
    return np.cos(w * t), -np.sin(w * t), np.exp(np.sin(t))


def delay_line_circuit(delay: float, spread: float | None = None, weight: float = 1.0) -> CircuitTemplate:
    """A ramp source x' = 1 (x = t) feeding an integrator y' = u through a (delayed) edge."""
    ramp = OperatorTemplate("ramp", ["x' = rate"], {"x": "output(0.0)", "rate": 1.0})
    integ = OperatorTemplate("integ", ["y' = u"], {"y": "output(0.0)", "u": "input(0.0)"})
    edge = {"weight": weight, "delay": delay}
    if spread is not None:
        edge["spread"] = spread
    return CircuitTemplate("delay_line", nodes={"src": NodeTemplate("ramp_node", [ramp]),
                                                "tgt": NodeTemplate("integ_node", [integ])},
                           edges=[("src/ramp/x", "tgt/integ/u", None, edge)])


def relay_circuit(delay: float) -> CircuitTemplate:
    """An algebraic relay s = u (u driven by a time series) feeding y' = v through an edge with ``delay``."""
    relay = OperatorTemplate("relay", ["s = u"], {"s": "output(0.0)", "u": "input(0.0)"})
    integ = OperatorTemplate("integ", ["y' = v"], {"y": "output(0.0)", "v": "input(0.0)"})
    return CircuitTemplate("relay", nodes={"src": NodeTemplate("relay_node", [relay]),
                                           "tgt": NodeTemplate("integ_node2", [integ])},
                           edges=[("src/relay/s", "tgt/integ/v", None, {"weight": 1.0, "delay": delay})])


def ou_circuit(n: int, theta: float = 1.0) -> CircuitTemplate:
    """n independent Ornstein-Uhlenbeck processes dx = -theta x dt (+ sigma dW via ``noise=``)."""
    op = OperatorTemplate("ou", ["x' = -theta*x"], {"x": "output(0.0)", "theta": theta})
    node = NodeTemplate("ou_node", [op])
    return CircuitTemplate("ou", nodes={f"n{i}": node for i in range(n)})


def network_circuit() -> CircuitTemplate:
    """Several groups, instantaneous and delayed projections, an algebraic variable and a driven input.

    Two damped oscillators (one group 'osc2') coupled to a leaky integrator with a sigmoid read-out (group
    'li_sig'); the integrator is driven by an external time series.
    """
    osc = OperatorTemplate("dosc", ["x' = y", "y' = -w^2*x - 2*zeta*w*y + c_in"],
                           {"x": "output(1.0)", "y": "variable(0.0)", "w": 6.0, "zeta": 0.1, "c_in": "input(0.0)"})
    li = OperatorTemplate("li", ["r' = (-r + I_ext + r_in)/tau", "m = 1/(1 + exp(-4*(r - 0.5)))"],
                          {"r": "variable(0.2)", "m": "output(0.0)", "tau": 0.5, "I_ext": "input(0.0)",
                           "r_in": "input(0.0)"})
    on = NodeTemplate("osc2", [osc])
    ln = NodeTemplate("li_sig", [li])
    return CircuitTemplate(
        "net", nodes={"o1": on, "o2": on.with_values({"dosc/w": 8.0, "dosc/x": -0.5}), "l": ln},
        edges=[("o1/dosc/x", "l/li/r_in", None, {"weight": 0.7, "delay": 0.13}),
               ("o2/dosc/x", "l/li/r_in", None, {"weight": -0.4}),
               ("l/li/m", "o1/dosc/c_in", None, {"weight": 3.0}),
               ("o1/dosc/x", "o2/dosc/c_in", None, {"weight": 2.0, "delay": 0.05})])

