"""Parse equation strings of the template language into SymPy.

An equation is either a differential equation for a state variable or an assignment of a derived (algebraic)
quantity. Accepted forms (PyRates's syntax)::

    d/dt * v = v_t                 # differential equation
    v' = (v^2 + eta) / tau         # differential equation, prime form
    m = m_max / (1 + exp(s*(r_thr - r)))   # assignment

``^`` means power. Known functions: exp, log, sqrt, sin, cos, tan, sinh, cosh, tanh, arcsin, arccos, arctan,
abs / absv, sign, conj, real, imag, angle, sigmoid (logistic 1/(1+exp(-x))), heaviside, max, min. The names
``pi``, ``e`` (Euler's number) and ``t`` (time) are predefined. None of these names can be declared as a variable
(the one list is :mod:`neurodyn.lang.names`).

Examples
--------
>>> eq = parse_equation("v' = (v^2 + eta) / tau", known={"v", "eta", "tau"})
>>> eq.kind, eq.lhs, str(eq.rhs)
('ode', 'v', '(eta + v**2)/tau')
>>> parse_equation("m = sigmoid(x)", known={"m", "x"}).kind
'assign'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from neurodyn.errors import EquationError, close_matches
from neurodyn.lang.names import CONSTANT_NAMES, FUNCTION_NAMES, RESERVED_NAMES, TIME_NAME
from neurodyn.lang.terms import replace_term  # noqa: F401  (part of this module's API)

__all__ = ["Equation", "parse_equation", "parse_expression", "replace_term", "FUNCTIONS", "TIME"]

TIME = sp.Symbol(TIME_NAME, real=True)


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


#: functions available in equations, by the name used in templates
FUNCTIONS = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "abs": sp.Abs, "absv": sp.Abs, "sign": sp.sign,
    "conj": sp.conjugate, "real": sp.re, "imag": sp.im, "angle": sp.arg,
    "sigmoid": _sigmoid, "heaviside": lambda x: sp.Heaviside(x, sp.Rational(1, 2)),
    "max": sp.Max, "min": sp.Min, "maximum": sp.Max, "minimum": sp.Min,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
#: names that cannot be used for variables
RESERVED = set(RESERVED_NAMES)
if set(FUNCTIONS) != FUNCTION_NAMES or set(CONSTANTS) != CONSTANT_NAMES:  # pragma: no cover - a coding error
    raise ImportError("neurodyn.ir.parsing and neurodyn.lang.names disagree on the predefined names")

_ODE_DDT = re.compile(r"^\s*d\s*/\s*dt\s*\*\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")
_ODE_PRIME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*'\s*$")
_ODE_FRAC = re.compile(r"^\s*d\s*([A-Za-z_][A-Za-z0-9_]*)\s*/\s*dt\s*$")
_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CALL = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_]*)\s*\(")


@dataclass(frozen=True)
class Equation:
    """One parsed equation.

    Attributes
    ----------
    kind : {'ode', 'assign'}
        Differential equation for ``lhs`` or assignment of ``lhs``.
    lhs : str
        The variable defined by the equation.
    rhs : sympy.Expr
        Right-hand side; free symbols are ``sympy.Symbol`` named like the template's variables.
    source : str
        The equation as written.
    """

    kind: str
    lhs: str
    rhs: sp.Expr
    source: str

    def __repr__(self) -> str:
        d = f"d{self.lhs}/dt" if self.kind == "ode" else self.lhs
        return f"<Equation {d} = {self.rhs}>"


def _split(text: str, where: str) -> tuple[str, str]:
    # the defining '=' is the first one not part of '==', '<=', '>=', '!='
    for m in re.finditer(r"=", text):
        i = m.start()
        prev = text[i - 1] if i > 0 else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if prev not in "<>!=" and nxt != "=":
            return text[:i], text[i + 1:]
    raise EquationError(f"{where}: equation {text!r} has no '='. Write 'x = ...' for a derived quantity or "
                        f"\"x' = ...\" / 'd/dt * x = ...' for a differential equation.")


@lru_cache(maxsize=4096)
def _parse_cached(text: str, names: frozenset) -> sp.Expr:
    local = {n: sp.Symbol(n) for n in names}
    local.update(FUNCTIONS)
    local.update(CONSTANTS)
    local[TIME_NAME] = TIME
    return parse_expr(text.replace("^", "**"), local_dict=local, transformations=standard_transformations,
                      evaluate=True)


def parse_expression(text: str, known: set[str] | frozenset, where: str = "expression") -> sp.Expr:
    """Parse the right-hand side ``text`` with the variable names in ``known``.

    Raises
    ------
    EquationError
        If the text does not parse, or uses a symbol that is neither a known variable nor a function.

    Examples
    --------
    >>> parse_expression("a^2 + exp(b)", {"a", "b"})
    a**2 + exp(b)
    """
    text = str(text)
    called = set(_CALL.findall(text))
    unknown_calls = sorted(c for c in called if c not in FUNCTIONS and c not in known)
    if unknown_calls:
        name = unknown_calls[0]
        raise EquationError(f"{where}: unknown function {name!r} in {text!r}; {close_matches(name, FUNCTIONS)}")
    names = frozenset(n for n in _IDENT.findall(text) if n not in RESERVED) | frozenset(known)
    try:
        expr = _parse_cached(text, names)
    except (SyntaxError, TypeError, ValueError, AttributeError, sp.SympifyError) as exc:
        raise EquationError(f"{where}: cannot parse {text!r}: {exc}") from None
    if not isinstance(expr, sp.Basic):
        expr = sp.sympify(expr)
    undefined = sorted(str(s) for s in expr.free_symbols if s != TIME and str(s) not in known)
    if undefined:
        sym = undefined[0]
        raise EquationError(f"{where}: symbol {sym!r} in {text!r} is not a declared variable; "
                            f"{close_matches(sym, set(known))} Declare it under 'variables:'.")
    # function calls with unknown names come back as AppliedUndef
    for f in expr.atoms(sp.core.function.AppliedUndef):
        name = type(f).__name__
        raise EquationError(f"{where}: unknown function {name!r} in {text!r}; "
                            f"{close_matches(name, FUNCTIONS)}")
    return expr


def parse_equation(text: str, known: set[str] | frozenset, where: str = "equation") -> Equation:
    """Parse one equation string (see module docstring for the accepted forms)."""
    lhs_text, rhs_text = _split(str(text), where)
    for pattern, kind in ((_ODE_DDT, "ode"), (_ODE_PRIME, "ode"), (_ODE_FRAC, "ode"), (_ASSIGN, "assign")):
        m = pattern.match(lhs_text)
        if m:
            name = m.group(1)
            break
    else:
        raise EquationError(f"{where}: cannot read the left-hand side {lhs_text.strip()!r} of {text!r}; "
                            f"use 'x', \"x'\" or 'd/dt * x'.")
    if name not in known:
        raise EquationError(f"{where}: {text!r} defines {name!r}, which is not a declared variable; "
                            f"{close_matches(name, set(known))}")
    rhs = parse_expression(rhs_text, known, where=f"{where} ({text.strip()!r})")
    return Equation(kind=kind, lhs=name, rhs=rhs, source=str(text).strip())


