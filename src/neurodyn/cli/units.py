"""Units for the command line's tables and figures: the units declared on template variables, the unit of time
of the bundled templates (``time_unit`` in the library index), and axis labels made from them.

Examples
--------
>>> axis_label("r", "1/ms"), axis_label("v", "1"), axis_label("x", None)
('r (1/ms)', 'v (dimensionless)', 'x')
>>> time_label("tau")
'time (units of tau)'
"""
from __future__ import annotations

from neurodyn.lang.templates import CircuitTemplate, NodeTemplate

__all__ = ["axis_label", "time_label", "library_time_unit", "unit_of", "column_path"]


def axis_label(name: str, unit: str | None) -> str:
    """``name (unit)``; '1' reads 'dimensionless'; no unit gives the name alone."""
    if unit is None or unit == "":
        return str(name)
    return f"{name} ({'dimensionless' if unit == '1' else unit})"


def time_label(unit: str | None) -> str:
    """The time axis label for a model's unit of time (None: the model's own units)."""
    if unit is None:
        return "time (model units)"
    if unit == "tau":
        return "time (units of tau)"
    if unit == "1":
        return "time (dimensionless)"
    return f"time ({unit})"


def library_time_unit(name) -> str | None:
    """The unit of time of a bundled template given by short or dotted name (None for anything else)."""
    from neurodyn.lang.yaml_io import library_index
    if not isinstance(name, str):
        return None
    index = library_index()
    if name in index:
        return index[name].get("time_unit")
    for info in index.values():
        if info.get("path") == name:
            return info.get("time_unit")
    return None


def column_path(label) -> str | None:
    """The ``node/op/var`` path of an output column: the label itself, or ``node/op/var`` of an ``all/...``
    column ``(name, node)`` (None when the label is a user's name)."""
    if isinstance(label, tuple) and len(label) == 2:
        return None
    text = str(label)
    return text if text.count("/") >= 2 else None


def unit_of(circuit: CircuitTemplate | NodeTemplate, path: str) -> str | None:
    """The declared unit of ``path`` (``node/op/var`` in a circuit, ``op/var`` in a node), or None."""
    parts = str(path).split("/")
    try:
        if isinstance(circuit, NodeTemplate):
            node, (op, var) = circuit, parts[-2:]
        else:
            node = circuit.flat_nodes()["/".join(parts[:-2])]
            op, var = parts[-2:]
        return node.operator(op).variables[var].unit
    except (KeyError, ValueError, LookupError):
        return None
