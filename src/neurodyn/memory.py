"""Memory estimates for stored outputs, and a budget check that fails early with advice.

Examples
--------
>>> estimate_output_bytes(n_times=1_000_000, n_regions=1000, n_vars=2)
16000000000
>>> format_bytes(16_000_000_000)
'14.9 GiB'
"""
from __future__ import annotations

import os

import numpy as np

from neurodyn.errors import InputError, MemoryBudgetError

__all__ = ["estimate_output_bytes", "check_output_memory", "format_bytes", "available_memory_bytes"]


def format_bytes(n: float) -> str:
    """Human-readable size with binary prefixes."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def estimate_output_bytes(n_times: int, n_regions: int, n_vars: int = 1, dtype=np.float64) -> int:
    """Bytes needed to store ``n_times x n_vars x n_regions`` values of ``dtype`` (array data only)."""
    for name, v in (("n_times", n_times), ("n_regions", n_regions), ("n_vars", n_vars)):
        if int(v) != v or v < 0:
            raise InputError(f"estimate_output_bytes: {name} must be a non-negative integer, got {v!r}.")
    try:
        item = np.dtype(dtype).itemsize
    except TypeError:
        raise InputError(f"estimate_output_bytes: {dtype!r} is not a NumPy dtype.") from None
    return int(n_times) * int(n_regions) * int(n_vars) * item


def available_memory_bytes() -> int | None:
    """Physical memory currently available (Linux ``MemAvailable``), or total physical memory, or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return None


def check_output_memory(n_times: int, n_regions: int, n_vars: int = 1, dtype=np.float64, *,
                        budget: int | None = None, fraction: float = 0.5, sample_step: float | None = None) -> int:
    """Raise :class:`~neurodyn.errors.MemoryBudgetError` if an output would not fit; return its size.

    Parameters
    ----------
    budget : int, optional
        Maximum bytes; default ``fraction`` of the currently available physical memory.
    sample_step : float, optional
        The current sampling step, only used to phrase the advice (e.g. "a step 4x larger").

    Examples
    --------
    >>> check_output_memory(100, 10, budget=10_000)
    8000
    """
    need = estimate_output_bytes(n_times, n_regions, n_vars, dtype)
    if budget is None:
        avail = available_memory_bytes()
        if avail is None:
            return need
        budget = int(fraction * avail)
        source = f"{fraction:g} of the available memory ({format_bytes(avail)})"
    else:
        source = "the given budget"
    if need > budget:
        factor = int(np.ceil(need / max(budget, 1)))
        step_hint = (f"a sampling step {factor}x larger (>= {sample_step * factor:g})" if sample_step
                     else f"a sampling step at least {factor}x larger")
        raise MemoryBudgetError(
            f"Output of {n_times} times x {n_vars} variables x {n_regions} regions ({np.dtype(dtype).name}) needs "
            f"{format_bytes(need)}, more than {source} = {format_bytes(budget)}. Use {step_hint}, record fewer "
            "variables or regions, a shorter run, float32 output, or streaming observables (BalloonWindkessel, "
            "RunningCovariance) that do not store the trajectory."
        )
    return need
