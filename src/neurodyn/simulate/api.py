"""PyRates's one-call ``integrate``: compile a circuit and run it.

Examples
--------
>>> from neurodyn import integrate
>>> res = integrate("qif", simulation_time=10.0, step_size=1e-3, outputs={"r": "p/qif_op/r"}, solver="rk4")
>>> bool(res["r"].iloc[-1] > 0)
True
"""
from __future__ import annotations

from typing import Mapping

from neurodyn._lazy import pandas as pd

from neurodyn.simulate.compile import compile_model

__all__ = ["integrate"]


def integrate(circuit, simulation_time: float, step_size: float, outputs=None, inputs: Mapping | None = None,
              solver: str = "euler", backend: str | None = None, clear: bool = True, **kwargs) -> pd.DataFrame:
    """Compile and integrate a circuit in one call (PyRates's ``integrate``); see :meth:`Model.run`.

    ``circuit`` is a CircuitTemplate, a dotted template name (``model_templates.neural_mass_models.qif.qif``),
    a short library name (``qif``) or a path. ``clear`` is accepted for PyRates compatibility (nothing is ever
    left behind to clear). The template is never modified.
    """
    model = compile_model(circuit, driven=tuple((inputs or {}).keys()), backend=backend, step_size=step_size)
    return model.run(simulation_time, step_size, outputs=outputs, inputs=inputs, solver=solver, **kwargs)
