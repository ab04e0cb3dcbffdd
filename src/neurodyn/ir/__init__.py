"""The intermediate representation (IR): a circuit parsed once into an immutable, hashable description.

Pipeline position: ``lang`` (templates) -> **ir** -> ``backends`` (kernels) -> ``solvers`` -> ``simulate``.

- :mod:`~neurodyn.ir.types`: :class:`VarIR`, :class:`GroupIR`, :class:`ProjectionIR`, :class:`CircuitIR`;
- :mod:`~neurodyn.ir.parsing`: equation strings to SymPy (``d/dt * x = ...``, ``x' = ...``, ``m = ...``);
- :mod:`~neurodyn.ir.build`: flattening a circuit template into groups and projections (:func:`build_ir`);
- :mod:`~neurodyn.ir.passes`: dtype propagation and the evaluation order (:func:`assemble_ir`);
- :mod:`~neurodyn.ir.hoist`: constant subexpressions computed once per run;
- :mod:`~neurodyn.ir.replicate`: independent copies in one IR (:func:`replicate_ir`);
- :mod:`~neurodyn.ir.cache`: built IRs stored on disk by the circuit's full definition (:func:`cached_build_ir`).

Examples
--------
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> build_ir(CircuitTemplate.from_yaml("JRC"))
<CircuitIR: 2 groups (3 nodes), 8 states, 3 projections>
"""
from neurodyn.ir.build import build_ir
from neurodyn.ir.cache import cached_build_ir, circuit_key
from neurodyn.ir.passes import assemble_ir
from neurodyn.ir.replicate import replicate_ir
from neurodyn.ir.types import CircuitIR, GroupIR, ProjectionIR, VarIR

__all__ = ["CircuitIR", "GroupIR", "ProjectionIR", "VarIR", "assemble_ir", "build_ir", "cached_build_ir",
           "circuit_key", "replicate_ir"]
