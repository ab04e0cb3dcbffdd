"""Solvers: fixed-step Runge-Kutta schemes as Butcher tableaux, stochastic schemes, adaptive solve_ivp."""
from neurodyn.solvers.tableaux import TABLEAUX, Tableau, ADAPTIVE_METHODS, resolve_solver

__all__ = ["TABLEAUX", "Tableau", "ADAPTIVE_METHODS", "resolve_solver"]
