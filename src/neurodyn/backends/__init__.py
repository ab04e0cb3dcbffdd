"""Kernels from IRs: the memory layout (:mod:`~neurodyn.backends.layout`), the data a kernel reads
(:mod:`~neurodyn.backends.data`), the backend-neutral plan of a right-hand side (:mod:`~neurodyn.backends.plan`), code generation (:mod:`~neurodyn.backends.pysource`, :mod:`~neurodyn.backends.c`), the kernel cache
(:mod:`~neurodyn.backends.cache`) and the backends (:mod:`~neurodyn.backends.numba`,
:mod:`~neurodyn.backends.numpy`).

Examples
--------
>>> from neurodyn.backends import load_kernel
>>> from neurodyn.ir import build_ir
>>> from neurodyn.lang.templates import CircuitTemplate
>>> k = load_kernel(build_ir(CircuitTemplate.from_yaml("qif")), "numpy")
>>> callable(k.rhs) and callable(k.run_fixed)
True
"""
from neurodyn.backends.cache import load_kernel
from neurodyn.backends.data import KernelData, build_data

__all__ = ["KernelData", "build_data", "load_kernel"]
