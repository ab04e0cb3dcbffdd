"""Text-level edits of equations (no SymPy): the template language's ``replace:``."""
from __future__ import annotations

__all__ = ["replace_term"]

_FOLLOW_OK = set("-+=*/^<>!.%@[]():, '")


def replace_term(equation: str, term: str, replacement: str) -> str:
    """Replace every whole occurrence of ``term`` in ``equation`` (the template language's ``replace:``).

    An occurrence counts when it is not part of a longer identifier: the characters before and after it must
    not be letters, digits or underscores (PyRates's rule for safe replacement).

    Examples
    --------
    >>> replace_term("x' = r_in - x/tau + r_in2", "r_in", "h*m/tau")
    "x' = h*m/tau - x/tau + r_in2"
    """
    out, i = [], 0
    n = len(term)
    while True:
        j = equation.find(term, i)
        if j < 0:
            out.append(equation[i:])
            return "".join(out)
        before = equation[j - 1] if j > 0 else " "
        after = equation[j + n] if j + n < len(equation) else " "
        ident = lambda c: c.isalnum() or c == "_"  # noqa: E731
        ok_before = not (ident(before) and ident(term[0]))
        ok_after = not (ident(after) and ident(term[-1]))
        if ok_before and ok_after:
            out.append(equation[i:j] + replacement)
        else:
            out.append(equation[i:j + n])
        i = j + n
