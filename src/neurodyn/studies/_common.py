"""Shared helpers of the user stories: model names, parameter paths, circuits with a given recurrent weight."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from neurodyn.lang.templates import CircuitTemplate

QIF_SYN = "qif_syn"
QIF_SYN_NODE = "model_templates.neural_mass_models.qif.qif_syn_pop"
EI = "ei_ping"
EI_NODE = "ei_ping_pop"
SYN = "qif_syn_op"
PING = "ei_ping_op"


def qif_syn_circuit(J: float = 15.0) -> CircuitTemplate:
    """The single QIF population with first-order synapse (Devalle et al. 2017) and recurrent weight ``J``.

    Other parameters are passed as run/analysis parameters (``p/qif_syn_op/eta`` etc.), never baked in.
    """
    return CircuitTemplate.from_yaml(QIF_SYN).update_var(
        edge_vars=[(f"p/{SYN}/r", f"p/{SYN}/r_in", {"weight": float(J)})])


def node_params(op: str, values: Mapping, node: str = "p") -> dict:
    """{'eta': -5} -> {'p/qif_syn_op/eta': -5.0} (None values dropped)."""
    return {f"{node}/{op}/{k}": float(v) for k, v in values.items() if v is not None}


def pulse(n_steps: int, dt: float, windows) -> np.ndarray:
    """Sum of rectangular pulses [(start, stop, amplitude), ...] sampled at t = k dt."""
    t = np.arange(n_steps) * dt
    x = np.zeros(n_steps)
    for start, stop, amp in windows:
        x += amp * ((t >= start) & (t < stop))
    return x
