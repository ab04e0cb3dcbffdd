"""Variable declarations of the template language.

A declaration is what a template writes under ``variables:``::

    tau: 10e-3              # constant (float); YAML-1.1 style '10e-3' strings are read as numbers too
    i: 0.0+1.0j             # constant (complex)
    r: output(0.01)         # state or derived quantity, initial value 0.01, recorded by default
    z: variable(-0.6-0.8j)  # state or derived quantity, complex
    s: variable(complex)    # complex, initial value 0
    I_ext: input(0.0)       # input with a default used when nothing drives it
    m_in: input             # input, default 0
    v: {default: variable(-2.0), unit: mV}     # long form: the same declaration with its unit
    tau: {default: 10e-3, unit: s, description: membrane time constant}

The long form is a mapping with ``default`` (any of the short forms above) and optionally ``unit`` (or
``units``: free text such as ``mV``, ``1/s``, ``Hz``; plots label axes with it), ``description``, ``vtype``
(``constant``, ``input``, ``output``, ``state_var``: overrides the kind) and ``dtype`` (``float`` or
``complex``). Any other key is an error. Names the equation language predefines (``t``, ``pi``, ``e`` and
the functions, :mod:`neurodyn.lang.names`) cannot be declared.

Examples
--------
>>> parse_declaration("r", "output(0.01)")
Declaration(name='r', kind='output', value=0.01, dtype='float')
>>> parse_declaration("z", "variable(-0.6-0.8j)").dtype
'complex'
>>> parse_declaration("v", {"default": "variable(-2.0)", "unit": "mV"}).unit
'mV'
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from neurodyn.errors import TemplateError, close_matches
from neurodyn.lang.names import reserved_reason

__all__ = ["Declaration", "parse_declaration", "parse_number", "LONG_FORM_KEYS"]

_CALL = re.compile(r"^\s*(output|variable|state_var|input|constant|parameter)\s*(?:\((.*)\))?\s*$")
KINDS = ("constant", "output", "variable", "input")
#: keys of the long (mapping) form of a declaration
LONG_FORM_KEYS = ("default", "unit", "units", "description", "vtype", "dtype")
_VTYPES = {"constant": "constant", "parameter": "constant", "input": "input", "output": "output",
           "variable": "variable", "state_var": "variable"}


@dataclass(frozen=True)
class Declaration:
    """A declared variable: ``kind`` is 'constant', 'output', 'variable' (state or derived) or 'input';
    ``unit`` is the declared unit (free text) or None."""

    name: str
    kind: str
    value: float | complex
    dtype: str
    unit: str | None = None

    def __repr__(self) -> str:
        unit = "" if self.unit is None else f", unit={self.unit!r}"
        return (f"Declaration(name={self.name!r}, kind={self.kind!r}, value={self.value!r}, "
                f"dtype={self.dtype!r}{unit})")


def parse_number(text, where: str = "value") -> tuple:
    """(value, dtype) of a number written in a template: ``10e-3`` -> (0.01, 'float'), ``1+2j`` -> complex.

    >>> parse_number("10e-3")
    (0.01, 'float')
    """
    value, dtype = _number(text, where)
    if isinstance(value, float) and not math.isfinite(value):
        raise TemplateError(f"{where}: value {text!r} is not finite")
    return value, dtype


def _number(text, where: str):
    if isinstance(text, bool):
        raise TemplateError(f"{where}: boolean {text!r} is not a valid value; use a number")
    if isinstance(text, (int, float)):
        return float(text), "float"
    if isinstance(text, complex):
        return complex(text), "complex"
    s = str(text).strip().replace(" ", "")
    if s in ("", "None", "null"):
        return 0.0, "float"
    if s == "complex":
        return 0j, "complex"
    if s in ("float", "float64", "double"):
        return 0.0, "float"
    try:
        return float(s), "float"
    except ValueError:
        pass
    try:
        return complex(s), "complex"
    except ValueError:
        raise TemplateError(f"{where}: cannot read {text!r} as a number") from None


def _long_form(name: str, raw, where: str, loc: str) -> Declaration:
    unknown = [k for k in raw if k not in LONG_FORM_KEYS]
    if unknown:
        raise TemplateError(f"{loc}: unknown key(s) {sorted(map(str, unknown))} in the declaration; valid keys: "
                            f"{', '.join(LONG_FORM_KEYS)} ({close_matches(str(unknown[0]), LONG_FORM_KEYS)})")
    if "default" not in raw:
        raise TemplateError(f"{loc}: a mapping declaration needs a 'default' key, e.g. "
                            f"{{default: output(0.0), unit: mV}} (got {sorted(map(str, raw))})")
    if "unit" in raw and "units" in raw:
        raise TemplateError(f"{loc}: give 'unit' or 'units', not both")
    decl = parse_declaration(name, raw["default"], where)
    kind = decl.kind
    if raw.get("vtype") is not None:
        if raw["vtype"] not in _VTYPES:
            raise TemplateError(f"{loc}: vtype {raw['vtype']!r} is not one of {sorted(_VTYPES)}")
        kind = _VTYPES[raw["vtype"]]
    dtype = decl.dtype
    if raw.get("dtype") is not None:
        text = str(raw["dtype"])
        if text not in ("float", "float64", "double", "complex", "complex128"):
            raise TemplateError(f"{loc}: dtype {text!r} is not 'float' (float64) or 'complex' (complex128)")
        dtype = "complex" if text.startswith("complex") else "float"
        if dtype == "float" and isinstance(decl.value, complex):
            raise TemplateError(f"{loc}: dtype 'float' but the default {decl.value!r} is complex")
    value = complex(decl.value) if dtype == "complex" else decl.value
    unit = raw.get("unit", raw.get("units"))
    if unit is not None and (not isinstance(unit, (str, int)) or isinstance(unit, bool) or not str(unit).strip()):
        raise TemplateError(f"{loc}: unit must be text such as 'mV', '1/s' or 'Hz', got {unit!r}")
    return Declaration(name, kind, value, dtype, None if unit is None else str(unit).strip())


def parse_declaration(name: str, raw, where: str = "") -> Declaration:
    """Read one variable declaration (see module docstring)."""
    loc = f"{where}: variable {name!r}" if where else f"variable {name!r}"
    why = reserved_reason(name)
    if why is not None:
        raise TemplateError(f"{loc}: {why}, so it cannot be declared as a variable (the equations would ignore "
                            f"the declaration); rename the variable, e.g. {name + '_'!r}")
    if isinstance(raw, Declaration):
        return raw
    if isinstance(raw, dict):
        return _long_form(name, raw, where, loc)
    if isinstance(raw, str):
        m = _CALL.match(raw)
        if m:
            kind = m.group(1)
            kind = {"state_var": "variable", "parameter": "constant"}.get(kind, kind)
            value, dtype = _number(m.group(2) if m.group(2) is not None else "", loc)
            return Declaration(name, kind, value, dtype)
    value, dtype = _number(raw, loc)
    if isinstance(value, float) and not math.isfinite(value):
        raise TemplateError(f"{loc}: value {raw!r} is not finite")
    return Declaration(name, "constant", value, dtype)
