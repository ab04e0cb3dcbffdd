"""Sweep definitions shared by the tests and the processes they start (killed runs, Dask workers)."""
import os

import numpy as np

from neurodyn.network import BrainNetwork
from neurodyn.observables import FC, Means, Spectrum, Synchrony
from neurodyn.sweep import NetworkSweep

from sweep_nets import PING, RE, VE, small_connectome


def small_sweep(vectorise=None, block_size=3, extra_observables=(), **changes):
    """A 12-point E/I sweep in 4 blocks (noise, so every point has its own stream)."""
    net = BrainNetwork("ei_ping_pop", small_connectome(), PING)
    kw = dict(grid=True, simulation_time=40.0, step_size=0.01, sampling_step_size=0.1, noise={VE: 0.05},
              discard=5.0, seed=17, block_size=block_size, vectorise=vectorise,
              observables=[FC(RE), Spectrum(VE, nperseg=100), Synchrony(RE), *extra_observables])
    kw.update(changes)
    return NetworkSweep(net, {"ei_ping_op/eps": [2.0, 4.0, 6.0], "ei_ping_op/I_ext_e": [2.0, 3.5, 5.0, 6.5]}, **kw)


class KillWorkerOnce(Means):
    """Temporal means, but the first process to start one dies on the spot (a worker lost mid-task)."""

    def __init__(self, marker):
        super().__init__()
        self.marker = str(marker)

    def start(self, ctx):
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().start(ctx)
        os.close(fd)
        os._exit(1)


def same_results(a, b, names=None):
    """Every result and coordinate of two sweeps equal (NaN equal to NaN)."""
    names = names or [k for k in a.variables if k not in ("error",)]
    for k in names:
        x, y = np.asarray(a[k].values), np.asarray(b[k].values)
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), k
        elif x.dtype.kind in "iub":
            assert np.array_equal(x, y), k
        else:                                       # strings (object, StringDType or fixed width)
            assert [str(e) for e in x.ravel()] == [str(e) for e in y.ravel()], k
    assert [str(e) for e in a["error"].values] == [str(e) for e in b["error"].values]
