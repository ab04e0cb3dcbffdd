"""PyRates's face: ``from neurodyn.frontend import CircuitTemplate`` works like PyRates's, so PyRates scripts run
with only the import changed.

The difference from the core's templates (:mod:`neurodyn.lang.templates`, immutable) is PyRates's habit of
changing a circuit in place: ``c.update_var(node_vars=...)`` followed by ``c.run(...)`` runs with the new
values, as in PyRates. ``update_var`` also returns the circuit, so ``c = c.update_var(...)`` works too.

Examples
--------
>>> from neurodyn.frontend import CircuitTemplate
>>> c = CircuitTemplate.from_yaml("qif")
>>> _ = c.update_var(node_vars={"p/qif_op/eta": -3.0})
>>> df = c.run(simulation_time=1.0, step_size=1e-3, outputs={"r": "p/qif_op/r"})
>>> c.flat_nodes()["p"].operator("qif_op").variables["eta"].value
-3.0
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping

from neurodyn.lang import templates as _lang
from neurodyn.lang.templates import EdgeTemplate, NodeTemplate, OperatorTemplate, template_from_yaml
from neurodyn.simulate import integrate

__all__ = ["CircuitTemplate", "NodeTemplate", "OperatorTemplate", "EdgeTemplate", "integrate", "template_from_yaml"]


class CircuitTemplate(_lang.CircuitTemplate):
    """A circuit template with PyRates's in-place habits: :meth:`update_var` changes it, :meth:`run` runs it.

    Everything else is :class:`neurodyn.lang.templates.CircuitTemplate`; the core never sees the mutation (each
    run compiles the circuit as it is at that moment, and the IR and kernel caches are keyed by its content).
    """

    @classmethod
    def from_core(cls, circuit: _lang.CircuitTemplate) -> "CircuitTemplate":
        """The same circuit as a frontend template (a copy: changing it never changes ``circuit``)."""
        out = cls.__new__(cls)
        out._assign(circuit)
        return out

    @classmethod
    def from_yaml(cls, name: str) -> "CircuitTemplate":
        """Load a circuit (or a node, as a one-node circuit) by dotted name, short name or path."""
        return cls.from_core(_lang.CircuitTemplate.from_yaml(name))

    def _assign(self, circuit: _lang.CircuitTemplate) -> None:
        for f in fields(_lang.CircuitTemplate):
            object.__setattr__(self, f.name, getattr(circuit, f.name))

    def update_var(self, node_vars: Mapping[str, Any] | None = None,
                   edge_vars: list | None = None) -> "CircuitTemplate":
        """Change node variables (``{'p/qif_op/eta': -3.0}``; ``all/op/var`` with one value, or an array of
        one value per node as in PyRates) and edge attributes (``[(source, target, {'weight': 2.0})]``) in
        place, as PyRates does; returns the circuit itself."""
        self._assign(_lang.CircuitTemplate.update_var(self, node_vars=node_vars, edge_vars=edge_vars))
        return self

    def run(self, simulation_time: float, step_size: float, **kwargs):
        """Compile and integrate the circuit as it is now; see :func:`neurodyn.simulate.integrate`."""
        return integrate(self, simulation_time=simulation_time, step_size=step_size, **kwargs)

    def clear(self) -> None:
        """No-op (PyRates compatibility): neurodyn leaves no build files behind."""
