"""Numeric codes shared by the cell kernels and the Python code that drives them (no Numba needed here).

Examples
--------
>>> from neurodyn.cells._codes import QUEUE_FULL, TARGET_EXPSYN
>>> QUEUE_FULL, TARGET_EXPSYN
(1, 1)
"""
# status codes returned by the kernel
OK = 0
QUEUE_FULL = 1
SPIKES_FULL = 2
NONFINITE = 3

# NetCon target kinds
TARGET_NONE = 0
TARGET_EXPSYN = 1
TARGET_EXP2SYN = 2
TARGET_NETSTIM = 3

#: threshold crossing time offset NEURON adds to a detected spike (fixed step)
THRESHOLD_TEPS = 1e-10

#: columns of a NetStim's Random123 state row: counter c0..c3, which, outputs r0..r3
R123_COLS = 9
