"""Compartmental neurons (NEURON's job): cable sections, channels, synapses, spike events.

The fixed-step scheme reproduces NEURON's (backward Euler or Crank-Nicolson, one Hines solve per step,
channel states updated with the new voltage, events at half steps) so that NEURON scripts ported through the
facade ``h`` give NEURON's traces. See ``docs/cells.md``.

Examples
--------
>>> from neurodyn.cells import CellModel
>>> m = CellModel()
>>> soma = m.section("soma", L=20, diam=20).insert("hh")
>>> soma(0.5).hh.gnabar
0.12
"""
from neurodyn.cells.errors import (CellError, EventTargetError, GeometryError, HocStringError, LocationError,
                                   MechanismError, NonFiniteVoltageError, RecordingError, TopologyError,
                                   VectorError)
from neurodyn.cells.mechanisms import HH, PAS, Mechanism, get_mechanism, register_mechanism
from neurodyn.cells.section import Section, Segment
from neurodyn.cells.events import Exp2Syn, ExpSyn, IClamp, NetCon, NetStim, Vector
from neurodyn.cells.model import CellModel, default_model
from neurodyn.cells.facade import h, HocFacade
from neurodyn.cells import units

__all__ = [
    "CellModel", "default_model", "Section", "Segment", "Mechanism", "register_mechanism", "get_mechanism",
    "HH", "PAS", "IClamp", "ExpSyn", "Exp2Syn", "NetStim", "NetCon", "Vector", "h", "HocFacade",
    "CellError", "TopologyError", "GeometryError", "LocationError", "MechanismError", "EventTargetError",
    "RecordingError", "NonFiniteVoltageError", "VectorError", "HocStringError", "units",
]
