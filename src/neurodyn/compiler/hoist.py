"""Constant subexpressions hoisted out of the time loop.

A node's equations often combine parameters in ways that do not change during a run: ``1/tau``,
``Delta/(pi*tau)``, ``J*tau``, ``(pi*tau)**2``. Evaluated inside the right-hand side they cost a division or
a few multiplications per node, per stage, per step; divisions are the slowest scalar operation there is.
This module finds, per group, every maximal subexpression whose symbols are all the group's constants, and
gives each a name. The layout stores their values per node in the parameter array ``p``, the kernel data
fills them from the constants (again whenever a parameter changes), and the generated code reads them like
any parameter.

Results differ from the unhoisted expressions by rounding only (``x * (1/tau)`` versus ``x / tau``: at most an
ulp or so per operation), identically in both backends.

Examples
--------
>>> import sympy as sp
>>> x, tau, D = sp.symbols("x tau D")
>>> h = Hoisting.of_expressions({"dx": (D / (sp.pi * tau) + 2 * x) / tau}, constants={"tau", "D"})
>>> h.rewritten["dx"]
hk__1*(hk__0 + 2*x)
>>> h.hoisted
{'hk__0': D/(pi*tau), 'hk__1': 1/tau}
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

__all__ = ["HOIST", "Hoisting", "group_hoisting"]

#: prefix of hoisted constants' names (valid identifiers, distinct from the IR's ``op__var`` symbols)
HOIST = "hk__"
#: functions that NumPy evaluates exactly as the kernels do; a constant subexpression containing any other
#: (Heaviside, Max, sign, ... whose kernel versions are neurodyn's own helpers) is left in the loop
_SAFE = (sp.Add, sp.Mul, sp.Pow, sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.asin,
         sp.acos, sp.atan, sp.Abs)


@dataclass
class Hoisting:
    """Hoisted constants of one group.

    Attributes
    ----------
    hoisted : dict name -> sympy expression over the group's constants (in order of creation)
    rewritten : dict variable sym -> its expression with the hoisted subexpressions replaced by their names
    """

    hoisted: dict = field(default_factory=dict)
    rewritten: dict = field(default_factory=dict)
    _funcs: dict | None = field(default=None, repr=False)

    @classmethod
    def of_expressions(cls, exprs: dict, constants: set) -> "Hoisting":
        h = cls()
        names: dict = {}       # hoisted expression -> its symbol
        consts = {str(c) for c in constants}

        def is_const(e) -> bool:
            free = e.free_symbols
            return (bool(free) and all(str(s) in consts for s in free)
                    and all(n.is_Atom or isinstance(n, _SAFE) for n in sp.preorder_traversal(e)))

        def name_of(e) -> sp.Symbol:
            if e not in names:
                names[e] = sp.Symbol(f"{HOIST}{len(names)}")
                h.hoisted[str(names[e])] = e
            return names[e]

        def rewrite(e):
            if e.is_Atom:
                return e
            if is_const(e):
                return name_of(e)
            if isinstance(e, (sp.Add, sp.Mul)):
                # the constant factors (terms) of a product (sum), with its numbers, combine into one hoisted
                # value when that saves an operation (not for a lone parameter times 1 or -1)
                const = [a for a in e.args if is_const(a)]
                numbers = [a for a in e.args if not a.free_symbols]
                rest = [rewrite(a) for a in e.args if a.free_symbols and not is_const(a)]
                unit = sp.S.Zero if isinstance(e, sp.Add) else sp.S.One
                worth = len(const) > 1 or (const and not const[0].is_Symbol) or any(
                    n not in (unit, -sp.S.One) for n in numbers)
                if const and worth:
                    return e.func(name_of(e.func(*numbers, *const)), *rest)
                return e.func(*numbers, *const, *rest)
            return e.func(*[rewrite(a) for a in e.args])

        for key, e in exprs.items():
            h.rewritten[key] = rewrite(sp.sympify(e))
        return h

    def constants(self) -> set:
        """Names of the constants the hoisted values depend on."""
        return {str(s) for e in self.hoisted.values() for s in e.free_symbols}

    def evaluate(self, values: dict) -> dict:
        """Values of the hoisted constants from ``values`` (constant name -> array over the group's nodes).

        A constant that makes one infinite or undefined (tau = 0 in 1/tau) gives inf or nan here, as the
        unhoisted expression would have in the kernel, whose finiteness check then reports it."""
        if self._funcs is None:
            self._funcs = {}
            for name, e in self.hoisted.items():
                syms = sorted(e.free_symbols, key=str)
                self._funcs[name] = ([str(s) for s in syms], sp.lambdify(syms, e, modules="numpy"))
        out = {}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for name, (syms, f) in self._funcs.items():
                out[name] = np.asarray(f(*[values[s] for s in syms]))
        return out


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def group_hoisting(group) -> Hoisting:
    """The hoisting of a :class:`neurodyn.ir.GroupIR` (its algebraic and state expressions), cached."""
    h = _CACHE.get(group)
    if h is None:
        constants = {v.sym for v in group.variables if v.kind == "constant"}
        exprs = {v.sym: v.expr for v in group.variables if v.kind in ("algebraic", "state")}
        h = Hoisting.of_expressions(exprs, constants)
        _CACHE[group] = h
    return h
