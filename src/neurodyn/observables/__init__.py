"""Observables of (network) simulations: BOLD, functional connectivity, spectra, streaming reducers, memory checks.

Everything here works on plain NumPy arrays ``(time, region)`` (and xarray DataArrays where noted) and can
be fed chunk by chunk during a run, so long whole-brain simulations need not store their trajectories.
"""
from neurodyn.observables.bold import (
    BALLOON_PARAMETER_SETS,
    BalloonParameters,
    BalloonWindkessel,
    balloon_parameters,
    balloon_steady_state,
    bold_from_activity,
)

__all__ = [
    "BALLOON_PARAMETER_SETS",
    "BalloonParameters",
    "BalloonWindkessel",
    "balloon_parameters",
    "balloon_steady_state",
    "bold_from_activity",
]
