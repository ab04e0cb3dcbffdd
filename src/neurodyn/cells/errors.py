"""Typed errors of :mod:`neurodyn.cells`; every one derives from :class:`neurodyn.errors.CellError`.

Examples
--------
>>> from neurodyn.cells.errors import TopologyError
>>> from neurodyn.errors import CellError, NeurodynError
>>> issubclass(TopologyError, CellError) and issubclass(TopologyError, NeurodynError)
True
"""
from __future__ import annotations

from neurodyn.errors import CellError, SimulationError


class TopologyError(CellError):
    """A connection would create a cycle, connect a section to itself, or mix two models."""


class GeometryError(CellError):
    """A geometric or electrical property is invalid (nseg < 1, non-positive L, diam, Ra or cm)."""


class LocationError(CellError):
    """A position ``x`` along a section lies outside [0, 1] or an object is not placed on a section."""


class MechanismError(CellError, KeyError):
    """An unknown mechanism, an unknown range variable or a malformed mechanism specification."""


class RangeVariableError(MechanismError, AttributeError):
    """A range variable or point-process variable that does not exist (also an AttributeError)."""


class EventTargetError(CellError):
    """A NetCon source or target cannot send or receive events."""


class RecordingError(CellError, KeyError):
    """A recording refers to something that does not exist."""


class VectorError(CellError, ValueError):
    """A Vector operation NEURON also refuses (mean of an empty Vector, a bad index range or size)."""


class HocStringError(CellError):
    """A hoc string (``h('...')``) or hoc file: neurodyn.cells runs Python scripts only."""


class NonFiniteVoltageError(CellError, SimulationError):
    """The membrane voltage became NaN or infinite; the message names section, segment and time."""


__all__ = [
    "CellError",
    "TopologyError",
    "GeometryError",
    "LocationError",
    "MechanismError",
    "RangeVariableError",
    "EventTargetError",
    "RecordingError",
    "VectorError",
    "HocStringError",
    "NonFiniteVoltageError",
]
