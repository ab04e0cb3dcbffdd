"""The keyword shorthands of ``BrainNetwork.simulate`` (``fc=``, ``psd=``, ``bold=``) as observables.

Examples
--------
>>> shorthand_observables(["op/r", "op/v"], fc="op/r", psd={"variable": "op/v", "band": (1, 80)})
[Means(name='mean'), FC('op/r', constant='raise', name='fc'), Spectrum('op/v', band=[1.0, 80.0], name='psd', time_unit='ms')]
"""
from __future__ import annotations

from typing import Mapping, Sequence

from neurodyn.errors import InputError, UnrecordedVariableError
from neurodyn.observables.haemodynamic import BOLD
from neurodyn.observables.standard import FC, Means, Spectrum

__all__ = ["shorthand_observables"]


def _recorded(what: str, var: str, variables: Sequence[str]) -> str:
    if var not in variables:
        raise UnrecordedVariableError(f"{what} variable {var!r} must be one of the recorded variables "
                                      f"{list(variables)}; add it to variables=[...]")
    return var


def shorthand_observables(variables: Sequence[str], bold=None, fc=None, psd=None, means: bool = True) -> list:
    """The observables that ``fc=``, ``psd=`` and ``bold=`` of ``BrainNetwork.simulate`` ask for (after the
    temporal means), with the documented defaults (the first recorded variable, time unit 'ms')."""
    variables = list(variables)
    out = [Means()] if means else []
    if fc is not None:
        out.append(FC(_recorded("fc", fc, variables)))
    if psd:
        cfg = {"variable": psd} if isinstance(psd, str) else dict(psd)
        var = _recorded("psd", cfg.pop("variable", variables[0]), variables)
        time_unit = cfg.pop("time_unit", "ms")
        nperseg = cfg.pop("nperseg", None)
        band = cfg.pop("band", None)
        if cfg:
            raise InputError(f"unknown psd option(s) {sorted(cfg)}; valid: variable, nperseg, band, time_unit")
        out.append(Spectrum(var, nperseg=nperseg, band=band, time_unit=time_unit))
    if bold:
        cfg = dict(bold) if isinstance(bold, Mapping) else {}
        var = _recorded("bold", cfg.pop("variable", variables[0]), variables)
        time_unit = cfg.pop("time_unit", "ms")
        tr = cfg.pop("tr", 2.0)
        params = cfg.pop("params", "spm")
        try:
            out.append(BOLD(var, tr=tr, params=params, time_unit=time_unit, **cfg))
        except TypeError:
            raise InputError(f"unknown bold option(s) {sorted(cfg)}; valid: variable, tr, params, time_unit, "
                             f"substep, input_scale") from None
    return out
