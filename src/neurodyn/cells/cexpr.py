"""Mechanism expressions printed as C, with the floating-point operations Numba performs for the Python text.

The Numba tier compiles the expression text as Python (``Expression.code``); the C tier must give the same
bits, so this printer follows what CPython and Numba do with that text:

- constant sub-expressions are folded first, as CPython's compiler folds them (integers stay integers);
- ``x ** n`` with a literal integer ``n`` is Numba's binary powering (``x*(x*x)`` for ``n = 3``), any other
  power is ``pow``;
- ``min``/``max`` keep a later argument only if strictly smaller/larger (Python's rule, so NaNs behave alike);
- ``a and b``, ``a or b`` return an operand, as in Python; ``a < b < c`` is ``a < b and b < c``;
- every operation is parenthesised, so the tree (and the evaluation order) is the Python one.

Examples
--------
>>> from neurodyn.cells.mechanisms import Expression
>>> c_code(Expression.parse("gbar*m^3*(v - e)", "doc"), {"gbar": "u_gbar", "m": "u_m", "e": "u_e"})
'((u_gbar * nd_powi(u_m, 3)) * (v - u_e))'
>>> c_code(Expression.parse("1/(1 + exp(-(v + 35)/10))", "doc"), {})
'(1.0 / (1.0 + exp(((-(v + 35.0)) / 10.0))))'
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Mapping

from neurodyn.cells.errors import MechanismError

__all__ = ["c_code", "C_FUNCTIONS"]

#: expression function -> C function (math.h or runtime.c)
C_FUNCTIONS = {
    "exp": "exp", "log": "log", "log10": "log10", "sqrt": "sqrt", "fabs": "fabs", "abs": "fabs", "pow": "pow",
    "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "sin": "sin", "cos": "cos", "tan": "tan", "atan": "atan",
    "vtrap": "vtrap", "exprelr": "exprelr", "efun": "efun",
}
_BIN = {ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
        ast.Div: ("/", operator.truediv), ast.Pow: (None, operator.pow)}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def _fold(node: ast.AST) -> ast.AST:
    """Fold constant arithmetic bottom-up, as CPython's compiler does (failing folds are left alone)."""
    for name, value in ast.iter_fields(node):
        if isinstance(value, list):
            setattr(node, name, [_fold(v) if isinstance(v, ast.AST) else v for v in value])
        elif isinstance(value, ast.AST):
            setattr(node, name, _fold(value))
    try:
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN and all(
                isinstance(x, ast.Constant) for x in (node.left, node.right)):
            return ast.Constant(_BIN[type(node.op)][1](node.left.value, node.right.value))
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            fn = {ast.USub: operator.neg, ast.UAdd: operator.pos}.get(type(node.op))
            if fn is not None:
                return ast.Constant(fn(node.operand.value))
    except (ArithmeticError, ValueError, TypeError):
        pass
    return node


def _const(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MechanismError(f"constant {value!r} cannot be written in C")
    x = float(value)
    if not math.isfinite(x):
        raise MechanismError(f"constant {value!r} is not finite")
    text = repr(x)
    return text if any(c in text for c in ".en") else text + ".0"


def _emit(node: ast.AST, names: Mapping[str, str]) -> str:
    if isinstance(node, ast.Expression):
        return _emit(node.body, names)
    if isinstance(node, ast.Constant):
        return _const(node.value)
    if isinstance(node, ast.Name):
        return names.get(node.id, node.id)
    if isinstance(node, ast.UnaryOp):
        op = {ast.USub: "-", ast.UAdd: "+"}[type(node.op)]
        operand = _emit(node.operand, names)
        return f"({op}{' ' if operand[0] in '+-' else ''}{operand})"
    if isinstance(node, ast.BinOp):
        left = _emit(node.left, names)
        if isinstance(node.op, ast.Pow):
            r = node.right
            if isinstance(r, ast.Constant) and isinstance(r.value, int) and not isinstance(r.value, bool) \
                    and abs(r.value) <= 0x10000:
                return f"nd_powi({left}, {r.value})"
            return f"pow({left}, {_emit(r, names)})"
        return f"({left} {_BIN[type(node.op)][0]} {_emit(node.right, names)})"
    if isinstance(node, ast.Call):
        fname = node.func.id
        args = [_emit(a, names) for a in node.args]
        if fname in ("min", "max"):
            if not args:
                raise MechanismError(f"{fname}() needs at least one argument")
            out = args[0]
            for a in args[1:]:
                out = f"nd_{fname}({out}, {a})"
            return out
        return f"{C_FUNCTIONS[fname]}({', '.join(args)})"
    if isinstance(node, ast.IfExp):
        return f"(({_emit(node.test, names)}) ? {_emit(node.body, names)} : {_emit(node.orelse, names)})"
    if isinstance(node, ast.Compare):
        parts, left = [], _emit(node.left, names)
        for op, comp in zip(node.ops, node.comparators):
            right = _emit(comp, names)
            parts.append(f"({left} {_CMP[type(op)]} {right})")
            left = right
        return parts[0] if len(parts) == 1 else "(" + " && ".join(parts) + ")"
    if isinstance(node, ast.BoolOp):
        out = _emit(node.values[0], names)
        for v in node.values[1:]:
            b = _emit(v, names)
            out = f"(({out}) ? ({b}) : ({out}))" if isinstance(node.op, ast.And) else f"(({out}) ? ({out}) : ({b}))"
        return out
    raise MechanismError(f"{type(node).__name__} cannot be written in C")


def c_code(expr, names: Mapping[str, str]) -> str:
    """C source of a checked :class:`~neurodyn.cells.mechanisms.Expression` with symbols renamed by ``names``."""
    tree = _fold(ast.parse(ast.unparse(expr.tree), mode="eval"))
    return _emit(tree, names)
