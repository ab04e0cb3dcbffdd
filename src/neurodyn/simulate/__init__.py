"""Build models and run them: :func:`compile_model` (every Model: circuits, networks, sweep copies), the
:class:`Model` with its runs, PyRates's :func:`integrate`, and the path binding of run arguments.

Examples
--------
>>> from neurodyn.simulate import compile_model
>>> df = compile_model("qif").run(1.0, 1e-3, outputs={"r": "p/qif_op/r"})
>>> list(df.columns)
['r']
"""
from neurodyn.simulate.api import integrate
from neurodyn.simulate.compile import BACKENDS, compile_model, resolve_backend, resolve_circuit
from neurodyn.simulate.model import Model, RunArrays

__all__ = ["BACKENDS", "Model", "RunArrays", "compile_model", "integrate", "resolve_backend", "resolve_circuit"]
