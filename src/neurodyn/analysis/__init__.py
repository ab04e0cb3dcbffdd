"""Analysis of circuits: the analytic Jacobian built from the IR, fixed points and their stability,
one-parameter continuation (folds, Hopf points), and the homogeneous state of row-normalised networks.

Examples
--------
>>> from neurodyn.analysis import SymbolicSystem, find_fixed_points
>>> fps = find_fixed_points(SymbolicSystem.from_circuit("qif"), bounds={"p/qif_op/r": (1e-6, 3.0)})
>>> len(fps)                                 # eta = -5, J = 15: bistable (low, saddle, high)
3
"""
from neurodyn.analysis.jacobian import (
    AnalysisError,
    NetworkLinearisation,
    SymbolicSystem,
    homogeneous_node,
    network_linearisation,
)
from neurodyn.analysis.linear_noise import modal_noise_covariance
from neurodyn.analysis.batched import BatchedSystem
from neurodyn.analysis.collocation import CycleConvergenceError, CycleError, NotACycleError
from neurodyn.analysis.periodic import PeriodicOrbit, find_cycle
from neurodyn.analysis.cycle_continuation import (CycleBifurcation, CycleBranch, HopfPoint, NotAHopfPointError,
                                                  continue_cycles, cycle_from_hopf)
from neurodyn.analysis.master_stability import (DispersionRelation, MasterStabilityFunction, dispersion_relation,
                                                homogeneous_system, master_stability)
from neurodyn.analysis.fixed_points import (
    Branch,
    FixedPoint,
    classify,
    continuation,
    find_fixed_points,
    fixed_points_table,
)

__all__ = ["AnalysisError", "NetworkLinearisation", "SymbolicSystem", "homogeneous_node", "network_linearisation",
           "Branch", "FixedPoint", "classify", "continuation", "find_fixed_points", "fixed_points_table", "modal_noise_covariance",
           "BatchedSystem", "CycleError", "NotACycleError", "CycleConvergenceError", "PeriodicOrbit", "find_cycle",
           "CycleBifurcation", "CycleBranch", "HopfPoint", "NotAHopfPointError", "continue_cycles",
           "cycle_from_hopf", "DispersionRelation", "MasterStabilityFunction", "dispersion_relation",
           "homogeneous_system", "master_stability"]
