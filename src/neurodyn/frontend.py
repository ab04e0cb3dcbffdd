"""PyRates-compatible front end: ``from neurodyn.frontend import CircuitTemplate`` works like PyRates's.

>>> from neurodyn.frontend import CircuitTemplate, NodeTemplate, OperatorTemplate, EdgeTemplate
"""
from neurodyn.lang.templates import CircuitTemplate, EdgeTemplate, NodeTemplate, OperatorTemplate, template_from_yaml
from neurodyn.simulate import integrate

__all__ = ["CircuitTemplate", "NodeTemplate", "OperatorTemplate", "EdgeTemplate", "integrate", "template_from_yaml"]
