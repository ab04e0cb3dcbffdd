"""neurodyn: neural dynamics across scales.

Models written as equations (YAML templates in PyRates's format, or Python) compiled to fast kernels,
whole-brain networks, compartmental cells and analysis.

>>> import neurodyn
>>> neurodyn.__version__
'0.1.0'
"""
from neurodyn._version import __version__
from neurodyn import errors
from neurodyn.lang.templates import CircuitTemplate, EdgeTemplate, NodeTemplate, OperatorTemplate, template_from_yaml
from neurodyn.simulate import Model, compile_model, integrate
from neurodyn.sweep import sweep
from neurodyn.io import load, save

__all__ = ["__version__", "errors", "CircuitTemplate", "EdgeTemplate", "NodeTemplate", "OperatorTemplate",
           "template_from_yaml", "Model", "compile_model", "integrate", "sweep", "save", "load"]
