"""Analysis of circuits: the analytic Jacobian built from the IR, fixed points and their stability,
continuation of equilibria (folds, branch points, Hopf points with their first Lyapunov coefficient, branch
switching), two-parameter continuation of fold and Hopf curves (cusp, Bogdanov-Takens, Bautin, zero-Hopf,
double Hopf), and the homogeneous state of row-normalised networks.

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
    FixedPoint,
    classify,
    find_fixed_points,
    fixed_points_table,
)
from neurodyn.analysis.continuation import ContinuationSettings, StopInfo
from neurodyn.analysis.branch import Branch, SpecialPoint
from neurodyn.analysis.bifurcations import first_lyapunov_coefficient, fold_coefficient
from neurodyn.analysis.equilibria import continuation, switch_branch
from neurodyn.analysis.codim2 import fold_curve, hopf_curve
from neurodyn.analysis.lyapunov import LyapunovSpectrum, lyapunov_spectrum

__all__ = ["AnalysisError", "NetworkLinearisation", "SymbolicSystem", "homogeneous_node", "network_linearisation",
           "FixedPoint", "classify", "find_fixed_points", "fixed_points_table", "modal_noise_covariance",
           "ContinuationSettings", "StopInfo", "Branch", "SpecialPoint", "continuation", "switch_branch",
           "fold_curve", "hopf_curve", "first_lyapunov_coefficient", "fold_coefficient",
           "BatchedSystem", "CycleError", "NotACycleError", "CycleConvergenceError", "PeriodicOrbit", "find_cycle",
           "CycleBifurcation", "CycleBranch", "HopfPoint", "NotAHopfPointError", "continue_cycles",
           "cycle_from_hopf", "DispersionRelation", "MasterStabilityFunction", "dispersion_relation",
           "homogeneous_system", "master_stability", "LyapunovSpectrum", "lyapunov_spectrum"]
