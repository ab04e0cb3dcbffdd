"""The adaptive driver: ``scipy.integrate.solve_ivp`` (RK45, RK23, DOP853, LSODA, BDF, Radau) on a backend's
compiled right-hand side.

Examples
--------
>>> from neurodyn import integrate
>>> df = integrate("qif", simulation_time=1.0, step_size=1e-3, solver="DOP853", outputs={"r": "p/qif_op/r"})
>>> df.attrs["provenance"]["solver"]
'DOP853'
"""
from __future__ import annotations

import numpy as np

from neurodyn.backends.data import KernelData
from neurodyn.errors import SimulationError

__all__ = ["run_adaptive"]


def run_adaptive(kernel, data: KernelData, method: str, ds: float, n_samples: int, kinds, pos, out,
                 rtol: float, atol: float, T: float) -> None:
    """Integrate with ``scipy.integrate.solve_ivp`` on the compiled right-hand side ``kernel.rhs``, sampling every
    ``ds`` into ``out``; stops at the first non-finite derivative (naming the state and time)."""
    from scipy.integrate import solve_ivp
    k, M, p = kernel, data.M, data.p
    a = np.zeros(max(data.n_a, 1), dtype=data.dtype)
    cplx = data.dtype == np.complex128
    ny = data.y0.size

    def f(t, yr):
        y = yr.view(np.complex128) if cplx else yr
        dy = np.empty(ny, dtype=data.dtype)
        k.rhs(t, t, y, dy, a, p, M)
        if not np.isfinite(dy).all():
            # stop here: some methods (LSODA) otherwise retry with ever smaller steps and never return
            raise _NonFinite(t, int(np.flatnonzero(~np.isfinite(dy))[0]), y.copy())
        return dy.view(np.float64) if cplx else dy

    y0 = data.y0.view(np.float64).copy() if cplx else data.y0.copy()
    t_eval = np.arange(n_samples) * ds
    try:
        sol = solve_ivp(f, (0.0, max(T, t_eval[-1])), y0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    except _NonFinite as exc:
        raise SimulationError(
            f"the derivative of state {data.state_name(exc.index)} became non-finite at t = {exc.t:g} "
            f"(adaptive solver {method!r}; that state was {exc.y[exc.index]:.3g}): the solution diverges. "
            f"Check the parameters and initial values, or try a stiff method (method='BDF' or 'Radau')."
        ) from None
    except (ValueError, FloatingPointError, ZeroDivisionError) as exc:
        raise SimulationError(f"adaptive solver {method!r} failed: {exc}. A state probably became non-finite; "
                              f"check parameters and initial values, or try another method.") from None
    t_reached = np.asarray(sol.t)
    if not sol.success or np.asarray(sol.y).shape[1] != n_samples:
        last = np.asarray(sol.y)[:, -1] if np.asarray(sol.y).size else y0
        last = last.view(np.complex128) if cplx else last
        where = ""
        if last.size:
            q = int(np.argmax(np.abs(np.nan_to_num(last, nan=np.inf))))
            where = f" The largest state is {data.state_name(q)} = {last[q]:.3g}."
        t_end = float(t_reached[-1]) if t_reached.size else 0.0
        raise SimulationError(f"adaptive solver {method!r} stopped at t = {t_end:g}: {sol.message}.{where} "
                              f"Try a stiff method (method='BDF' or 'Radau'), looser rtol/atol, or check the "
                              f"parameters and initial values.")
    Y = sol.y.T
    for r in range(n_samples):
        y = np.ascontiguousarray(Y[r]).view(np.complex128) if cplx else np.ascontiguousarray(Y[r])
        if not np.all(np.isfinite(y)):
            bad = int(np.flatnonzero(~np.isfinite(y))[0])
            raise SimulationError(f"state {data.state_name(bad)} became non-finite ({y[bad]}) by "
                                  f"t = {t_eval[r]:g} (adaptive solver {method!r}). Check the parameters and "
                                  f"initial values, or use tighter rtol/atol.")
        if np.any(kinds == 1):
            k.rhs(t_eval[r], t_eval[r], y, np.empty(ny, dtype=data.dtype), a, p, M)
        for c in range(len(pos)):
            out[r, c] = (y, a, p)[kinds[c]][pos[c]]


class _NonFinite(Exception):
    """Raised inside an adaptive solver's right-hand side when a derivative is not finite."""

    def __init__(self, t: float, index: int, y: np.ndarray):
        super().__init__(t, index)
        self.t, self.index, self.y = t, index, y
