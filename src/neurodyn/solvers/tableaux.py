"""Fixed-step schemes as data.

A scheme is a Butcher tableau (A, b, c) plus, for stochastic schemes with additive noise, the stages whose
intermediate state receives the step's Wiener increment: Euler-Maruyama adds it only to the final update;
stochastic Heun (predictor-corrector, strong order 1 for additive noise) adds it to the predictor too.

Examples
--------
>>> resolve_solver("heun", noise=True).name
'stochastic_heun'
>>> TABLEAUX["rk4"].order
4
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurodyn.errors import SolverError

__all__ = ["Tableau", "TABLEAUX", "ADAPTIVE_METHODS", "resolve_solver"]


@dataclass(frozen=True)
class Tableau:
    """Explicit Runge-Kutta scheme (strictly lower-triangular ``A``)."""

    name: str
    A: np.ndarray
    b: np.ndarray
    c: np.ndarray
    order: int
    noise_stage: np.ndarray  # 1 where the stage's input state carries the Wiener increment
    stochastic: bool = False

    def __repr__(self) -> str:
        return f"<Tableau {self.name!r}: {len(self.b)} stages, order {self.order}>"


def _t(name, A, b, c, order, noise_stage=None, stochastic=False):
    A = np.array(A, dtype=float)
    ns = np.zeros(len(b), dtype=np.int64) if noise_stage is None else np.array(noise_stage, dtype=np.int64)
    return Tableau(name, A, np.array(b, dtype=float), np.array(c, dtype=float), order, ns, stochastic)


TABLEAUX = {
    "euler": _t("euler", [[0.0]], [1.0], [0.0], 1),
    "heun": _t("heun", [[0, 0], [1, 0]], [0.5, 0.5], [0, 1], 2),
    "midpoint": _t("midpoint", [[0, 0], [0.5, 0]], [0, 1], [0, 0.5], 2),
    "rk4": _t("rk4", [[0, 0, 0, 0], [0.5, 0, 0, 0], [0, 0.5, 0, 0], [0, 0, 1, 0]],
              [1 / 6, 1 / 3, 1 / 3, 1 / 6], [0, 0.5, 0.5, 1], 4),
    "euler_maruyama": _t("euler_maruyama", [[0.0]], [1.0], [0.0], 1, [0], True),
    "stochastic_heun": _t("stochastic_heun", [[0, 0], [1, 0]], [0.5, 0.5], [0, 1], 2, [0, 1], True),
}
_ALIASES = {"em": "euler_maruyama", "sde_euler": "euler_maruyama", "heun_sde": "stochastic_heun",
            "sde_heun": "stochastic_heun", "rk2": "midpoint", "runge_kutta": "rk4"}
#: scipy.integrate.solve_ivp methods usable as ``solver`` (or ``solver='scipy', method=...``)
ADAPTIVE_METHODS = ("RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau")


def resolve_solver(solver: str, noise: bool = False) -> Tableau | str:
    """Map a solver name to a :class:`Tableau` or an adaptive method name.

    With ``noise=True``, 'euler' becomes Euler-Maruyama and 'heun' stochastic Heun; other schemes refuse noise.
    """
    name = str(solver)
    key = _ALIASES.get(name.lower(), name.lower())
    if name in ADAPTIVE_METHODS or name.upper() in ADAPTIVE_METHODS or key == "scipy":
        if noise:
            raise SolverError(f"solver {solver!r} is adaptive and cannot integrate noise; use 'euler_maruyama' "
                              f"or 'stochastic_heun'")
        return "RK45" if key == "scipy" else (name if name in ADAPTIVE_METHODS else name.upper())
    if key not in TABLEAUX:
        valid = sorted(TABLEAUX) + sorted(_ALIASES) + ["scipy"] + list(ADAPTIVE_METHODS)
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
