"""Fixed-step schemes as data.

A scheme is a Butcher tableau (A, b, c) plus, for stochastic schemes with additive noise, the stages whose
intermediate state receives the step's Wiener increment: Euler-Maruyama adds it only to the final update;
stochastic Heun (predictor-corrector, strong order 1 for additive noise) adds it to the predictor too.

A new explicit scheme is one entry of :data:`TABLEAUX` (and, if it has other names, of
:data:`neurodyn.solvers.registry.ALIASES`): every backend's compiled loop runs any tableau.

Examples
--------
>>> TABLEAUX["rk4"].order
4
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Tableau", "TABLEAUX"]


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
