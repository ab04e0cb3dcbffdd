"""Names the equation language predefines, which templates cannot declare as variables.

One list for the whole package: the parser (:mod:`neurodyn.ir.parsing`) maps each function name to its SymPy
function and checks that it knows exactly these names; the declarations (:mod:`neurodyn.lang.variables`) refuse
them as variable names, since a declared ``pi`` or ``t`` would be silently ignored by the equations.

Examples
--------
>>> "sigmoid" in FUNCTION_NAMES, "t" in RESERVED_NAMES, "tau" in RESERVED_NAMES
(True, True, False)
"""
from __future__ import annotations

__all__ = ["FUNCTION_NAMES", "CONSTANT_NAMES", "TIME_NAME", "RESERVED_NAMES", "reserved_reason"]

#: functions available in equations
FUNCTION_NAMES = frozenset({
    "exp", "log", "sqrt",
    "sin", "cos", "tan", "sinh", "cosh", "tanh",
    "arcsin", "arccos", "arctan", "asin", "acos", "atan",
    "abs", "absv", "sign",
    "conj", "real", "imag", "angle",
    "sigmoid", "heaviside",
    "max", "min", "maximum", "minimum",
})
#: mathematical constants: pi and Euler's number e
CONSTANT_NAMES = frozenset({"pi", "e"})
#: the independent variable, time
TIME_NAME = "t"
#: every name a template cannot declare as a variable
RESERVED_NAMES = FUNCTION_NAMES | CONSTANT_NAMES | {TIME_NAME}


def reserved_reason(name: str) -> str | None:
    """Why ``name`` cannot be a variable (None if it can).

    >>> reserved_reason("pi")
    "'pi' is the constant 3.14159..."
    """
    if name == TIME_NAME:
        return "'t' is the time (the independent variable)"
    if name == "pi":
        return "'pi' is the constant 3.14159..."
    if name == "e":
        return "'e' is Euler's number 2.71828..."
    if name in FUNCTION_NAMES:
        return f"{name!r} is a function of the equation language"
    return None
