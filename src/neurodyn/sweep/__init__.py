"""Sweeps: many parameter sets of a circuit or of a whole-brain network, vectorised as copies in one compiled
model, scaled out on Dask.distributed, with results in Zarr stores that survive interruption.

- :func:`sweep`: a circuit over parameter sets (trajectories per set), or a BrainNetwork (observables per point);
- :class:`NetworkSweep`: a BrainNetwork over grids or lists of parameter sets (coupling, speed, node parameters,
  per-region values, noise, seeds), observables per point, blocks of points vectorised, stores and resume;
- :func:`open_sweep`, :func:`sweep_status`, :func:`grid_view`: reading stores; :func:`plot_map`: a summary over
  two axes.

Examples
--------
>>> import numpy as np
>>> from neurodyn.sweep import sweep
>>> ds = sweep("qif", {"p/qif_op/eta": np.linspace(-6, -4, 3)}, simulation_time=5.0, step_size=1e-3,
...            outputs={"r": "p/qif_op/r"}, sampling_step_size=0.1)
>>> ds["r"].dims, ds.sizes["sweep"]
(('time', 'sweep'), 3)
"""
from neurodyn.sweep.axes import SweepPoints
from neurodyn.sweep.circuit import parameter_sets, sweep
from neurodyn.sweep.copies import copies_model
from neurodyn.sweep.network import STATUS, BlockResult, NetworkSweep
from neurodyn.sweep.runner import SweepReport
from neurodyn.sweep.store import SweepStatus, grid_view, open_sweep, sweep_status

__all__ = ["STATUS", "BlockResult", "NetworkSweep", "SweepPoints", "SweepReport", "SweepStatus", "copies_model",
           "grid_view", "open_sweep", "parameter_sets", "sweep", "sweep_status"]
