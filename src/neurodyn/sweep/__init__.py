"""Sweeps: many parameter sets of a circuit or of a whole-brain network, vectorised as copies in one compiled
model, scaled out on Dask.distributed, with results in Zarr stores that survive interruption, and fitting.

- :func:`sweep`: a circuit over parameter sets (trajectories per set), or a BrainNetwork (observables per point);
- :class:`NetworkSweep`: a BrainNetwork over grids or lists of parameter sets (coupling, speed, node parameters,
  per-region values, noise, seeds), observables per point, blocks of points, Zarr stores and resume;
- :func:`open_sweep`, :func:`sweep_status`, :func:`grid_view`: reading stores; :func:`plot_map`: a summary over
  two axes; :func:`load_config`: YAML configurations (``neurodyn sweep config.yaml``);
- :func:`fit` with :class:`FCTarget`, :class:`FCDTarget`, :class:`SpectrumTarget`: fitting with optuna.

Names are imported on first use, so ``neurodyn sweep --status`` starts quickly.

Examples
--------
>>> import numpy as np
>>> from neurodyn.sweep import sweep
>>> ds = sweep("qif", {"p/qif_op/eta": np.linspace(-6, -4, 3)}, simulation_time=5.0, step_size=1e-3,
...            outputs={"r": "p/qif_op/r"}, sampling_step_size=0.1)
>>> ds["r"].dims, ds.sizes["sweep"]
(('time', 'sweep'), 3)
"""
#: public names and the modules that define them
_LAZY = {
    "sweep": "circuit", "parameter_sets": "circuit",
    "SweepPoints": "axes",
    "copies_model": "copies", "vectorising_pays": "copies",
    "NetworkSweep": "network", "BlockResult": "network", "STATUS": "network",
    "SweepReport": "runner",
    "SweepStatus": "store", "grid_view": "store", "open_sweep": "store", "sweep_status": "store",
    "map_values": "plot", "plot_map": "plot",
    "load_config": "config", "SweepConfig": "config",
    "fit": "fitting", "FitResult": "fitting", "FCTarget": "fitting", "FCDTarget": "fitting",
    "SpectrumTarget": "fitting",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'neurodyn.sweep' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f"neurodyn.sweep.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
