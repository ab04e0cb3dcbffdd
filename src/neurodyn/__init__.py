"""neurodyn: neural dynamics across scales.

Models written as equations (YAML templates in PyRates's format, or Python) compiled to fast kernels,
whole-brain networks, compartmental cells and analysis.

>>> import neurodyn
>>> neurodyn.__version__
'0.1.0'
"""
from neurodyn._version import __version__

#: public names and the modules they come from, imported on first use (PEP 562), so that e.g.
#: ``import neurodyn.cells`` does not pull in SymPy, pandas and xarray (about 1 s and 100 MB)
_LAZY = {
    "errors": ("neurodyn", "errors"),
    "config": ("neurodyn", "config"),
    "set_options": ("neurodyn.config", None),
    "get_option": ("neurodyn.config", None),
    "CircuitTemplate": ("neurodyn.lang.templates", None),
    "EdgeTemplate": ("neurodyn.lang.templates", None),
    "NodeTemplate": ("neurodyn.lang.templates", None),
    "OperatorTemplate": ("neurodyn.lang.templates", None),
    "template_from_yaml": ("neurodyn.lang.templates", None),
    "Model": ("neurodyn.simulate", None),
    "compile_model": ("neurodyn.simulate", None),
    "integrate": ("neurodyn.simulate", None),
    "sweep": ("neurodyn.sweep", None),
    "frontend": ("neurodyn", "frontend"),
    "save": ("neurodyn.io", None),
    "load": ("neurodyn.io", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'neurodyn' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    if attr is not None:                       # a submodule
        value = importlib.import_module(f"{module}.{attr}")
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
