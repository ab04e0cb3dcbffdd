"""Variable declarations of the template language.

A declaration is what a template writes under ``variables:``::

    tau: 10e-3              # constant (float); YAML-1.1 style '10e-3' strings are read as numbers too
    i: 0.0+1.0j             # constant (complex)
    r: output(0.01)         # state or derived quantity, initial value 0.01, recorded by default
    z: variable(-0.6-0.8j)  # state or derived quantity, complex
    s: variable(complex)    # complex, initial value 0
    I_ext: input(0.0)       # input with a default used when nothing drives it
    m_in: input             # input, default 0

Examples
--------
>>> parse_declaration("r", "output(0.01)")
Declaration(name='r', kind='output', value=0.01, dtype='float')
>>> parse_declaration("z", "variable(-0.6-0.8j)").dtype
'complex'
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from neurodyn.errors import TemplateError

__all__ = ["Declaration", "parse_declaration"]

_CALL = re.compile(r"^\s*(output|variable|state_var|input|constant|parameter)\s*(?:\((.*)\))?\s*$")
KINDS = ("constant", "output", "variable", "input")


@dataclass(frozen=True)
class Declaration:
    """A declared variable: ``kind`` is 'constant', 'output', 'variable' (state or derived) or 'input'."""

    name: str
    kind: str
    value: float | complex
    dtype: str

    def __repr__(self) -> str:
        return f"Declaration(name={self.name!r}, kind={self.kind!r}, value={self.value!r}, dtype={self.dtype!r})"


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


def parse_declaration(name: str, raw, where: str = "") -> Declaration:
    """Read one variable declaration (see module docstring)."""
    loc = f"{where}: variable {name!r}" if where else f"variable {name!r}"
    if isinstance(raw, dict):  # long form {default: ..., vtype: ..., dtype: ...}
        if "default" not in raw:
            raise TemplateError(f"{loc}: a mapping declaration needs a 'default' key (got {sorted(raw)})")
        decl = parse_declaration(name, raw["default"], where)
        dtype = raw.get("dtype", decl.dtype)
        dtype = "complex" if "complex" in str(dtype) else "float"
        value = complex(decl.value) if dtype == "complex" else decl.value
        return Declaration(name, raw.get("vtype", decl.kind) if raw.get("vtype") in KINDS else decl.kind,
                           value, dtype)
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
