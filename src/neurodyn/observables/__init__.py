"""Observables of (network) simulations: BOLD, functional connectivity, spectra, cross-frequency coupling,
streaming reducers, memory checks, and the observables protocol (``update``/``finish``) that runs and sweeps
accept (``observables=[...]``).

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
from neurodyn.observables.fc import (
    bandpass,
    bold_functional_connectivity,
    fc_similarity,
    fcd,
    fcd_window_starts,
    functional_connectivity,
    upper_triangle,
)
from neurodyn.memory import (
    available_memory_bytes,
    check_output_memory,
    estimate_output_bytes,
    format_bytes,
)
from neurodyn.observables.spectra import dominant_frequency, power_spectrum
from neurodyn.observables.streaming import RunningCovariance, RunningMoments, RunningWelch
from neurodyn.observables.protocol import Observable, ObservableSet, ResultSpec, RunContext, result_specs
from neurodyn.observables.standard import FC, FCSimilarity, Means, Spectrum, Synchrony, Trajectory
from neurodyn.observables.haemodynamic import BOLD, FCD
from neurodyn.observables.shorthands import shorthand_observables

__all__ += [
    "bandpass",
    "bold_functional_connectivity",
    "fc_similarity",
    "fcd",
    "fcd_window_starts",
    "functional_connectivity",
    "upper_triangle",
    "available_memory_bytes",
    "check_output_memory",
    "estimate_output_bytes",
    "format_bytes",
    "dominant_frequency",
    "power_spectrum",
    "RunningCovariance",
    "RunningMoments",
    "RunningWelch",
    "Observable",
    "ObservableSet",
    "ResultSpec",
    "RunContext",
    "result_specs",
    "BOLD",
    "FC",
    "FCD",
    "FCSimilarity",
    "Means",
    "Spectrum",
    "Synchrony",
    "Trajectory",
    "shorthand_observables",
]

from neurodyn.observables.cfc import (
    PhaseAmplitude,
    amplitude_distribution,
    comodulogram,
    pac,
    phase_amplitude,
    preferred_phase,
)
from neurodyn.observables.cfc_filters import FILTERS, analytic_signal, frequency_bands
from neurodyn.observables.cfc_measures import PAC_METHODS
from neurodyn.observables.cfc_plot import plot_comodulogram
from neurodyn.observables.cfc_surrogates import SURROGATES, SurrogatePlan, pac_surrogate_test, surrogate_plan

__all__ += [
    "PhaseAmplitude",
    "amplitude_distribution",
    "comodulogram",
    "pac",
    "phase_amplitude",
    "preferred_phase",
    "FILTERS",
    "analytic_signal",
    "frequency_bands",
    "PAC_METHODS",
    "plot_comodulogram",
    "SURROGATES",
    "SurrogatePlan",
    "pac_surrogate_test",
    "surrogate_plan",
]
