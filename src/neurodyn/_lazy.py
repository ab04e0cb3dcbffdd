"""Modules imported on first use, so that importing neurodyn does not pay for them up front.

SymPy (~0.4 s to import, ~0.3 s to tear down at exit, ~40 MB) is needed to parse equations and generate
code, not to run a model whose IR and kernel are already cached; ``sympy`` here is a stand-in that imports the
real module the first time one of its attributes is used.

Examples
--------
>>> from neurodyn._lazy import LazyModule
>>> m = LazyModule("math")
>>> m.sqrt(4.0)
2.0
"""
from __future__ import annotations

import importlib


class LazyModule:
    """Stand-in for the module ``name``: imported at the first attribute access."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        module = self._module
        if module is None:
            module = importlib.import_module(self._name)
            self._module = module
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<LazyModule {self._name!r} ({state})>"


#: SymPy, imported on first use
sympy = LazyModule("sympy")
#: pandas (~0.3 s to import), imported on first use: a first build imports it while the C compiler runs
pandas = LazyModule("pandas")
