"""Solver names: the registry that maps a name or alias to a fixed-step scheme (a Butcher tableau, with its
stochastic version when the run has noise) or to an adaptive ``scipy.integrate.solve_ivp`` method.

Examples
--------
>>> resolve_solver("heun", noise=True).name
'stochastic_heun'
>>> resolve_solver("scipy")
'RK45'
>>> solver_names()[-6:-3]
['RK45', 'RK23', 'DOP853']
"""
from __future__ import annotations

from neurodyn.errors import SolverError
from neurodyn.solvers.tableaux import TABLEAUX, Tableau

__all__ = ["ALIASES", "ADAPTIVE_METHODS", "resolve_solver", "solver_names"]

#: other names of schemes
ALIASES = {"em": "euler_maruyama", "sde_euler": "euler_maruyama", "heun_sde": "stochastic_heun",
           "sde_heun": "stochastic_heun", "rk2": "midpoint", "runge_kutta": "rk4"}
#: scipy.integrate.solve_ivp methods usable as ``solver`` (or ``solver='scipy', method=...``)
ADAPTIVE_METHODS = ("RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau")


def solver_names() -> list[str]:
    """Every name ``resolve_solver`` accepts (schemes, aliases, 'scipy' and the adaptive methods)."""
    return sorted(TABLEAUX) + sorted(ALIASES) + ["scipy"] + list(ADAPTIVE_METHODS)


def resolve_solver(solver: str, noise: bool = False) -> Tableau | str:
    """Map a solver name to a :class:`Tableau` or an adaptive method name.

    With ``noise=True``, 'euler' becomes Euler-Maruyama and 'heun' stochastic Heun; other schemes refuse noise.
    """
    name = str(solver)
    key = ALIASES.get(name.lower(), name.lower())
    if name in ADAPTIVE_METHODS or name.upper() in ADAPTIVE_METHODS or key == "scipy":
        if noise:
            raise SolverError(f"solver {solver!r} is adaptive and cannot integrate noise; use 'euler_maruyama' "
                              f"or 'stochastic_heun'")
        return "RK45" if key == "scipy" else (name if name in ADAPTIVE_METHODS else name.upper())
    if key not in TABLEAUX:
        valid = solver_names()
        raise SolverError(f"unknown solver {solver!r}; valid: {', '.join(valid)}")
    tab = TABLEAUX[key]
    if noise and not tab.stochastic:
        if key == "euler":
            return TABLEAUX["euler_maruyama"]
        if key == "heun":
            return TABLEAUX["stochastic_heun"]
        raise SolverError(f"solver {solver!r} has no stochastic version; with noise use 'euler' "
                          f"(Euler-Maruyama) or 'heun' (stochastic Heun)")
    return tab
