"""One exception hierarchy for neurodyn.

Every error raised on bad input or failed simulation derives from :class:`NeurodynError`, so users can catch
one type. Subclasses also derive from the matching builtin (``ValueError``, ``KeyError``, ...) so code that
already catches those keeps working. Messages say where the problem is and how to fix it.

Examples
--------
>>> from neurodyn.errors import NeurodynError, VariablePathError
>>> issubclass(VariablePathError, NeurodynError) and issubclass(VariablePathError, KeyError)
True
"""
from __future__ import annotations

import difflib
from typing import Iterable


class NeurodynError(Exception):
    """Base class of every neurodyn error."""

    def __str__(self) -> str:  # KeyError quotes its message; keep messages readable for every subclass
        return str(self.args[0]) if self.args else ""


class TemplateError(NeurodynError, ValueError):
    """A template (YAML or Python) is malformed: syntax errors, missing keys, bad inheritance."""


class TemplateNotFoundError(NeurodynError, LookupError):
    """A template name or path could not be resolved."""


class EquationError(NeurodynError, ValueError):
    """An equation does not parse or uses undefined symbols."""


class VariablePathError(NeurodynError, KeyError):
    """A ``node/operator/variable`` path (or a variable name) does not exist."""


class InputError(NeurodynError, ValueError):
    """Input arrays or parameter values of the wrong shape, dtype or value."""


class SolverError(NeurodynError, ValueError):
    """Unknown solver or invalid solver settings."""


class SimulationError(NeurodynError, RuntimeError):
    """A simulation failed: a state became non-finite, or the solver did not converge."""


class ConnectomeError(NeurodynError, ValueError):
    """A connectome is malformed: non-square, non-finite, negative where not allowed, mismatched sizes."""


class CellError(NeurodynError, ValueError):
    """A compartmental cell model is malformed (sections, mechanisms, point processes, recordings)."""


class MemoryBudgetError(NeurodynError, MemoryError):
    """A requested output would exceed the memory budget."""


class AnalysisError(NeurodynError, ValueError):
    """A circuit cannot be analysed as asked (delayed edges, unknown parameter, bad state vector)."""


class NotAnEquilibriumError(AnalysisError):
    """A starting point given for continuation is not an equilibrium (the message gives the residual)."""


class ConvergenceError(AnalysisError):
    """An iterative method (Newton corrector, continuation step) did not converge; the message says where,
    with the last step tried and a hint."""


class UnrecordedVariableError(InputError):
    """An observable reads a variable that the run does not record."""


class SweepDefinitionError(NeurodynError, ValueError):
    """A sweep store was written by a different sweep definition (it is not resumed; the message says what
    differs)."""


class DiskBudgetError(NeurodynError, OSError):
    """A requested output would not fit on the disk that should hold it."""


class ResultFileError(NeurodynError, ValueError):
    """A results file cannot be trusted: it is damaged (a checksum or digest does not match), is not NetCDF-4,
    or was not written by :func:`neurodyn.io.save`."""


def close_matches(name: str, choices: Iterable[str], n: int = 5) -> str:
    """Format a 'did you mean' hint listing the choices closest to ``name``.

    Examples
    --------
    >>> close_matches("p/qif_op/vv", ["p/qif_op/v", "p/qif_op/r"])
    "did you mean 'p/qif_op/v' or 'p/qif_op/r'?"
    """
    choices = list(choices)
    matches = difflib.get_close_matches(name, choices, n=n, cutoff=0.5)
    if matches:
        return "did you mean " + " or ".join(repr(m) for m in matches) + "?"
    shown = ", ".join(repr(c) for c in sorted(choices)[:20])
    more = "" if len(choices) <= 20 else f" (and {len(choices) - 20} more)"
    return f"valid choices: {shown}{more}"


class NoSpikingCounterpartError(TemplateError, LookupError):
    """A template has no microscopic spiking network that it reduces (:func:`neurodyn.spiking.spiking_counterpart`)."""
