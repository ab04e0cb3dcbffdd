"""Unit constants in NEURON's working units (ms, mV, um, mM), as ``neuron.units`` defines them.

NEURON scripts write ``from neuron.units import ms, mV, um``; with neurodyn they write
``from neurodyn.cells.units import ms, mV, um`` and the values are the same (tests/cells/test_cells_idioms.py
compares every name with ``neuron.units``). Multiplying by a constant converts into NEURON's unit:
``h.tstop = 2 * s`` is 2000 (ms), ``L = 1 * mm`` is 1000 (um).

Examples
--------
>>> from neurodyn.cells.units import ms, mV, um, s, mm
>>> 2 * s, 1 * mm, -65 * mV
(2000.0, 1000, -65)
"""
# time (ms)
ms = 1
us = μs = 0.001
s = sec = 1000.0
minute = 60000.0
hour = 3600000.0
day = 86400000.0
# voltage (mV)
mV = 1
uV = μV = 0.001
V = 1000.0
# length (um)
um = μm = 1
nm = 0.001
mm = 1000
cm = 10000
m = 1000000
# concentration (mM)
mM = 1
uM = μM = 0.001
nM = 1e-06
M = 1000.0

__all__ = ["ms", "us", "μs", "s", "sec", "minute", "hour", "day", "mV", "uV", "μV", "V", "um", "μm", "nm", "mm",
           "cm", "m", "mM", "uM", "μM", "nM", "M"]
