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

import importlib
import inspect
import types
import weakref
from dataclasses import dataclass, field

import numpy as np
from neurodyn._lazy import sympy as sp

__all__ = ["HOIST", "Hoisting", "HoistedValues", "group_hoisting", "hoisted_values", "install_hoisted_values"]

#: prefix of hoisted constants' names (valid identifiers, distinct from the IR's ``op__var`` symbols)
HOIST = "hk__"
#: functions that NumPy evaluates exactly as the kernels do; a constant subexpression containing any other
#: (Heaviside, Max, sign, ... whose kernel versions are neurodyn's own helpers) is left in the loop
_SAFE_NAMES = ("Add", "Mul", "Pow", "exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos",
               "atan", "Abs")


def _safe_types() -> tuple:
    return tuple(getattr(sp, n) for n in _SAFE_NAMES)


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
    _funcs: "HoistedValues | None" = field(default=None, repr=False)

    @classmethod
    def of_expressions(cls, exprs: dict, constants: set) -> "Hoisting":
        h = cls()
        names: dict = {}       # hoisted expression -> its symbol
        consts = {str(c) for c in constants}
        safe = _safe_types()

        def is_const(e) -> bool:
            free = e.free_symbols
            return (bool(free) and all(str(s) in consts for s in free)
                    and all(n.is_Atom or isinstance(n, safe) for n in sp.preorder_traversal(e)))

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

    def values(self) -> "HoistedValues":
        """What the data need at run time (names, constants, NumPy evaluators), without SymPy objects."""
        if self._funcs is None:
            funcs = {}
            for name, e in self.hoisted.items():
                syms = sorted(e.free_symbols, key=str)
                funcs[name] = _numpy_function(syms, e)
            self._funcs = HoistedValues(tuple(self.hoisted), frozenset(self.constants()), funcs)
        return self._funcs

    def evaluate(self, values: dict) -> dict:
        """Values of the hoisted constants from ``values`` (constant name -> array over the group's nodes)."""
        return self.values().evaluate(values)


def _numpy_function(syms: list, expr) -> tuple:
    """``(argument names, source, globals, function)`` evaluating ``expr`` with NumPy: the source ``lambdify``
    would generate (SymPy's NumPy printer, fully qualified ``numpy.`` names), written directly, which skips
    lambdify's namespace set-up (it probes NumPy for every function name, importing numpy.f2py, numpy.testing and
    others: ~0.1 s of a first run). Symbols that are not plain identifiers go through ``lambdify`` itself."""
    import keyword
    names = [str(s) for s in syms]
    if not all(n.isidentifier() and not keyword.iskeyword(n) for n in names):
        f = sp.lambdify(syms, expr, modules="numpy")
        glob = {n: f.__globals__[n] for n in f.__code__.co_names if n in f.__globals__}
        return names, inspect.getsource(f), glob, f
    from sympy.printing.numpy import NumPyPrinter
    printer = NumPyPrinter({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False})
    body = printer.doprint(expr)
    src = f"def _lambdifygenerated({', '.join(names)}):\n    return {body}\n"
    glob = {m.split(".")[0]: importlib.import_module(m.split(".")[0]) for m in printer.module_imports}
    if "numpy" not in glob:
        glob["numpy"] = np
    ns = dict(glob)
    exec(compile(src, "<hoisted>", "exec"), ns)     # noqa: S102 - our own generated source
    return names, src, glob, ns["_lambdifygenerated"]


class HoistedValues:
    """The run-time side of a :class:`Hoisting`: the hoisted names, the constants they depend on, and one NumPy
    function per name (SymPy's ``lambdify`` output: its source and the NumPy names it uses, so that it can be
    stored and rebuilt without SymPy, giving the same function).

    A constant that makes a value infinite or undefined (tau = 0 in 1/tau) gives inf or nan, as the unhoisted
    expression would have in the kernel, whose finiteness check then reports it.
    """

    def __init__(self, names: tuple, constants: frozenset, funcs: dict):
        self.names, self._constants, self.funcs = tuple(names), frozenset(constants), dict(funcs)
        self._callables = {}
        for name, (args, src, glob, f) in self.funcs.items():
            if f is None:
                ns = {k: importlib.import_module(v[1]) if isinstance(v, tuple) and v[:1] == ("module",) else v
                      for k, v in glob.items()}
                exec(compile(src, f"<hoisted {name}>", "exec"), ns)   # noqa: S102 - our own generated source
                f = ns["_lambdifygenerated"]
            self._callables[name] = (args, f)

    @property
    def hoisted(self) -> tuple:
        return self.names

    def constants(self) -> frozenset:
        return self._constants

    def evaluate(self, values: dict) -> dict:
        out = {}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for name, (syms, f) in self._callables.items():
                out[name] = np.asarray(f(*[values[s] for s in syms]))
        return out

    def __reduce__(self):
        def portable(g: dict) -> dict:   # modules (``numpy`` in ``numpy.select(...)``) by name
            return {k: ("module", v.__name__) if isinstance(v, types.ModuleType) else v for k, v in g.items()}
        return (HoistedValues, (self.names, self._constants,
                                {k: (a, src, portable(g), None) for k, (a, src, g, _f) in self.funcs.items()}))

    def __repr__(self) -> str:
        return f"<HoistedValues {', '.join(self.names)}>"


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


_VALUES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def hoisted_values(group) -> HoistedValues:
    """The run-time side of a group's hoisting (what the layout and the data need): installed from a cached IR
    (:func:`install_hoisted_values`, no SymPy) or computed from the group's expressions."""
    v = _VALUES.get(group)
    if v is None:
        v = group_hoisting(group).values()
        _VALUES[group] = v
    return v


def install_hoisted_values(group, values: HoistedValues) -> None:
    """Use ``values`` (e.g. unpickled with a cached IR) for ``group`` instead of recomputing them."""
    _VALUES[group] = values
