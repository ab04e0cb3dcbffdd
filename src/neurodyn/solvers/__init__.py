"""Every integration scheme in one place: fixed-step Runge-Kutta schemes as Butcher tableaux (deterministic and
stochastic), the registry of names and aliases, the fixed-step driver (chunks of a backend's compiled loop) and
the adaptive driver (``scipy.integrate.solve_ivp`` on a compiled right-hand side).

Examples
--------
>>> from neurodyn.solvers import resolve_solver
>>> resolve_solver("rk4")
<Tableau 'rk4': 4 stages, order 4>
"""
from neurodyn.solvers.noise import NoiseStreams, seed_from_sequence
from neurodyn.solvers.registry import ADAPTIVE_METHODS, ALIASES, resolve_solver, solver_names
from neurodyn.solvers.tableaux import TABLEAUX, Tableau

__all__ = ["ADAPTIVE_METHODS", "ALIASES", "NoiseStreams", "TABLEAUX", "Tableau", "resolve_solver",
           "seed_from_sequence", "solver_names"]
