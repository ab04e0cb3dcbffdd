"""One way to build a model: :func:`compile_model` turns a circuit (template, name, path or node) into a
:class:`~neurodyn.simulate.model.Model` for single circuits, whole-brain networks and vectorised sweeps alike.

Every model gets its IR from the stored-IR cache (:mod:`neurodyn.ir.cache`) and its kernel from the kernel
cache (:mod:`neurodyn.backends.cache`), so a second process neither reparses nor recompiles.

Examples
--------
>>> from neurodyn import compile_model
>>> m = compile_model("qif")
>>> m.backend in ("c", "numba")                  # C where a C compiler exists, else Numba: the same results
True
>>> m.ir
<CircuitIR: 1 groups (1 nodes), 2 states, 1 projections>
>>> compile_model("qif", copies=4).ir.n_states                 # four independent copies in one kernel
8
"""
from __future__ import annotations

from neurodyn.backends.cache import load_kernel, start_kernel
from neurodyn.config import get_option
from neurodyn.errors import SolverError, TemplateError
from neurodyn.ir import replicate_ir
from neurodyn.ir.cache import build_ir_store_later
from neurodyn.lang.templates import CircuitTemplate, NodeTemplate
from neurodyn.simulate.model import Model

__all__ = ["BACKENDS", "compile_model", "resolve_backend", "resolve_circuit"]

#: kernel backends: 'auto' (C where a C compiler exists and the model is real, else Numba), 'c', 'numba',
#: 'numpy' (the vectorised reference)
BACKENDS = ("auto", "c", "numba", "numpy")


def resolve_circuit(circuit) -> CircuitTemplate:
    """Accept a CircuitTemplate, a template name/path, or a NodeTemplate (a one-node circuit)."""
    if isinstance(circuit, CircuitTemplate):
        return circuit
    if isinstance(circuit, str):
        return CircuitTemplate.from_yaml(circuit)
    if isinstance(circuit, NodeTemplate):
        return CircuitTemplate(circuit.name, nodes={circuit.name: circuit})
    raise TemplateError(f"expected a CircuitTemplate or a template name, got {type(circuit).__name__}")


def resolve_backend(backend: str | None) -> str:
    """The backend asked for: ``None`` or 'default' means the ``backend`` setting (:mod:`neurodyn.config`,
    'auto' unless changed); an unknown name is a SolverError."""
    if backend in (None, "default"):
        return get_option("backend")
    b = str(backend).lower()
    if b not in BACKENDS:
        raise SolverError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)} ('auto' picks C where a C "
                          f"compiler exists, else Numba)")
    return b


def compile_model(circuit, driven=(), backend: str | None = None, step_size: float | None = None, copies: int | None = None,
                  zero_delays: str = "instant") -> Model:
    """Parse, flatten and compile ``circuit`` (template, name, path or node template).

    Parameters
    ----------
    circuit : CircuitTemplate, NodeTemplate or str
    driven : collection of str
        Input paths that will receive time series (``inputs=`` of the runs).
    backend : {'auto', 'c', 'numba', 'numpy'}, optional
        Default: the ``backend`` setting ('auto': C where a C compiler exists and the model is real-valued,
        else Numba; both compute bit-identical trajectories).
    step_size : float, optional
        Delays shorter than half a step become instantaneous (as in PyRates).
    copies : int, optional
        Independent copies of the circuit in one model (node ``name`` of copy ``r`` is ``name#r``), for
        vectorised sweeps; the kernel is the same as for one copy. ``Model.base_ir`` is then the one-copy IR.
    zero_delays : {'instant', 'history'}
        Matrix edges with zero delays: instantaneous (default) or read from the history at the start of the
        step (TVB's convention, used by networks with ``delay_mode='step'``).

    The IR is cached on disk by the circuit's definition (:mod:`neurodyn.ir.cache`) and the kernel by structure
    (:mod:`neurodyn.backends.cache`): a second process neither reparses nor recompiles. A first build overlaps
    its parts: while the C compiler runs (a separate process), this process stores the new IR and imports pandas
    for the results.
    """
    circ = resolve_circuit(circuit)
    b = resolve_backend(backend)
    drv = tuple(sorted(driven))
    base, store = build_ir_store_later(circ, driven=drv, step_size=step_size, zero_delays=zero_delays)
    if copies is None:
        build = start_kernel(base, b)
        if store is not None:
            store()
        if build.building:
            import pandas  # noqa: F401 - every run's result needs it; imported while the compiler works
        kernel = build.result()
        return Model(base, kernel, kernel.backend, circ, drv)
    if store is not None:
        store()
    if int(copies) != copies or copies < 1:
        raise TemplateError(f"copies must be a positive integer, got {copies!r}")
    ir = replicate_ir(base, int(copies))
    kernel = load_kernel(ir, b)
    return Model(ir, kernel, kernel.backend, circ, drv, base_ir=base)
