"""Density mechanisms (ion channels, leak) written as equations.

A :class:`Mechanism` is a small, declarative specification: range parameters, gating states with first-order
kinetics (given as ``inf``/``tau`` or ``alpha``/``beta`` expressions), ordered intermediate "rate" expressions,
and the membrane currents (mA/cm2, outward positive). Expressions are plain strings in Python syntax (``^`` is
accepted as power, as in NMODL). They are parsed and checked here (unknown names are reported with the valid
ones) and turned into Numba-compiled functions by :mod:`neurodyn.cells.kernel`. The expression text is emitted
verbatim, so the floating-point operations are those written, in the order written.

The built-in ``hh`` and ``pas`` follow NEURON's ``hh.mod`` and ``passive.mod``; a mechanism may ask for NEURON's
rate TABLE (linear interpolation of every ``inf``/``tau`` on an equally spaced voltage grid), which is on by
default for ``hh`` (201 points on [-100, 100] mV, like ``usetable_hh = 1``).

Examples
--------
A user-defined potassium-like channel with one gate:

>>> from neurodyn.cells.mechanisms import Mechanism, register_mechanism
>>> kslow = Mechanism(
...     "kslow",
...     parameters={"gbar": 0.002, "ek": -90.0},
...     states={"w": {"inf": "1/(1 + exp(-(v + 35)/10))", "tau": "100/(3.3*exp((v + 35)/20) + exp(-(v + 35)/20))"}},
...     currents={"ik": "gbar*w*(v - ek)"},
... )
>>> register_mechanism(kslow, replace=True)
>>> kslow.state_names
('w',)
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Mapping

from neurodyn.errors import close_matches
from neurodyn.cells.errors import RangeVariableError, MechanismError

#: Names every mechanism expression may use besides its own symbols.
BUILTIN_SYMBOLS = ("v", "celsius", "dt")
#: Functions available in expressions (mapped onto math.* or helpers of the generated module).
FUNCTIONS = {
    "exp": "math.exp", "log": "math.log", "log10": "math.log10", "sqrt": "math.sqrt", "fabs": "abs",
    "abs": "abs", "pow": "math.pow", "tanh": "math.tanh", "sinh": "math.sinh", "cosh": "math.cosh",
    "sin": "math.sin", "cos": "math.cos", "tan": "math.tan", "atan": "math.atan", "min": "min", "max": "max",
    "vtrap": "vtrap", "exprelr": "exprelr", "efun": "efun",
}
_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load, ast.Add, ast.Sub,
    ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd, ast.IfExp, ast.Compare, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
    ast.Eq, ast.NotEq, ast.BoolOp, ast.And, ast.Or,
)


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, str]):
        self.mapping = mapping

    def visit_Name(self, node: ast.Name):
        return ast.copy_location(ast.Name(id=self.mapping.get(node.id, node.id), ctx=ast.Load()), node)

    def visit_Call(self, node: ast.Call):
        node.args = [self.visit(a) for a in node.args]
        fname = FUNCTIONS[node.func.id]
        node.func = ast.copy_location(ast.Name(id=fname, ctx=ast.Load()), node.func)
        return node


@dataclass(frozen=True)
class Expression:
    """One checked expression: its source text, the names it uses, and Python code for Numba."""

    text: str
    tree: ast.Expression = field(repr=False, compare=False)
    names: frozenset

    @classmethod
    def parse(cls, text: str, where: str) -> "Expression":
        if isinstance(text, (int, float)):
            text = repr(float(text))
        if not isinstance(text, str) or not text.strip():
            raise MechanismError(f"{where}: expected an expression string, got {text!r}")
        src = text.replace("^", "**")
        try:
            tree = ast.parse(src.strip(), mode="eval")
        except SyntaxError as exc:
            raise MechanismError(f"{where}: cannot parse {text!r}: {exc.msg}") from None
        names = set()
        for node in ast.walk(tree):
            if not isinstance(node, _ALLOWED_NODES):
                raise MechanismError(f"{where}: {type(node).__name__} is not allowed in {text!r}; "
                                     "use arithmetic, comparisons, 'a if cond else b' and functions "
                                     f"{sorted(FUNCTIONS)}")
            if isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                    fname = getattr(node.func, "id", "?")
                    raise MechanismError(f"{where}: unknown function {fname!r} in {text!r}; "
                                         + close_matches(fname, FUNCTIONS))
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
                raise MechanismError(f"{where}: only numeric constants are allowed in {text!r}")
        call_names = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
        return cls(text=text, tree=tree, names=frozenset(names - call_names))

    def code(self, mapping: Mapping[str, str]) -> str:
        """Python source of the expression with symbols renamed by ``mapping``."""
        tree = _Rename(mapping).visit(ast.parse(ast.unparse(self.tree), mode="eval"))
        return ast.unparse(tree)


class Mechanism:
    """Specification of a density mechanism (distributed channel or leak).

    Parameters
    ----------
    name : str
        Suffix used in NEURON style names (``gnabar_hh``) and in ``sec.insert(name)``.
    parameters : mapping of str to float
        Range parameters with their defaults (per segment values).
    currents : mapping of str to str
        Membrane currents in mA/cm2 (outward positive), e.g. ``{"il": "gl*(v - el)"}``.
    states : mapping of str to mapping, optional
        Gating states. Each value is ``{"inf": expr, "tau": expr}`` or ``{"alpha": expr, "beta": expr}``
        (then ``inf = alpha/(alpha + beta)`` and ``tau = 1/(alpha + beta)``). Integrated like NEURON's
        ``cnexp``: ``x += (1 - exp(-dt/tau)) (inf - x)`` with the updated voltage.
    rates : mapping of str to str, optional
        Ordered intermediate expressions usable by later rates and by ``inf``/``tau``.
    assigned : mapping of str to str, optional
        Extra recordable quantities computed from parameters and states (e.g. ``gna``).
    globals : mapping of str to float, optional
        Constants shared by all instances (e.g. reversal potentials ``ena``, ``ek``).
    table : tuple (vmin, vmax, nintervals) or None
        Tabulate every ``inf``/``tau`` on ``nintervals + 1`` voltages and interpolate linearly (NEURON's
        TABLE). Allowed only if the rates depend on ``v``, ``celsius`` and globals alone.

    Examples
    --------
    >>> leak = Mechanism("leak2", parameters={"g": 1e-4, "e": -70.0}, currents={"i": "g*(v - e)"})
    >>> leak
    Mechanism('leak2', parameters=['g', 'e'], states=[], currents=['i'])
    """

    def __init__(self, name: str, parameters: Mapping[str, float], currents: Mapping[str, str],
                 states: Mapping[str, Mapping[str, str]] | None = None, rates: Mapping[str, str] | None = None,
                 assigned: Mapping[str, str] | None = None, globals: Mapping[str, float] | None = None,
                 table: tuple[float, float, int] | None = None):
        if not isinstance(name, str) or not name.isidentifier():
            raise MechanismError(f"mechanism name must be an identifier, got {name!r}")
        self.name = name
        self.parameters = {str(k): float(v) for k, v in dict(parameters).items()}
        self.globals = {str(k): float(v) for k, v in dict(globals or {}).items()}
        states = dict(states or {})
        rates = dict(rates or {})
        if not currents:
            raise MechanismError(f"mechanism {name!r}: at least one current is required")
        where = f"mechanism {name!r}"
        self.rates = {k: Expression.parse(e, f"{where} rate {k!r}") for k, e in rates.items()}
        self.gates: dict[str, tuple[Expression, Expression]] = {}
        for s, spec in states.items():
            spec = dict(spec)
            if set(spec) == {"inf", "tau"}:
                inf = Expression.parse(spec["inf"], f"{where} state {s!r} inf")
                tau = Expression.parse(spec["tau"], f"{where} state {s!r} tau")
            elif set(spec) == {"alpha", "beta"}:
                a, b = spec["alpha"], spec["beta"]
                inf = Expression.parse(f"({a})/(({a}) + ({b}))", f"{where} state {s!r} alpha/beta")
                tau = Expression.parse(f"1.0/(({a}) + ({b}))", f"{where} state {s!r} alpha/beta")
            else:
                raise MechanismError(f"{where} state {s!r}: give either 'inf' and 'tau' or 'alpha' and "
                                     f"'beta', got keys {sorted(spec)}")
            self.gates[s] = (inf, tau)
        self.currents = {k: Expression.parse(e, f"{where} current {k!r}") for k, e in dict(currents).items()}
        self.assigned = {k: Expression.parse(e, f"{where} assigned {k!r}") for k, e in dict(assigned or {}).items()}
        self.table = None if table is None else (float(table[0]), float(table[1]), int(table[2]))
        self._check()

    # ------------------------------------------------------------------ names
    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self.parameters)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(self.gates)

    @property
    def assigned_names(self) -> tuple[str, ...]:
        """Recordable computed quantities: currents first, then the ``assigned`` expressions."""
        return tuple(self.currents) + tuple(self.assigned)

    @property
    def range_names(self) -> tuple[str, ...]:
        return self.parameter_names + self.state_names + self.assigned_names

    def __repr__(self) -> str:
        return (f"Mechanism({self.name!r}, parameters={list(self.parameters)}, states={list(self.gates)}, "
                f"currents={list(self.currents)})")

    def _check(self) -> None:
        where = f"mechanism {self.name!r}"
        taken: dict[str, str] = {}
        for kind, names in (("parameter", self.parameters), ("global", self.globals), ("state", self.gates),
                            ("rate", self.rates), ("current", self.currents), ("assigned", self.assigned)):
            for n in names:
                if not n.isidentifier():
                    raise MechanismError(f"{where}: {kind} name {n!r} is not an identifier")
                if n in BUILTIN_SYMBOLS or n in FUNCTIONS:
                    raise MechanismError(f"{where}: {kind} name {n!r} is reserved")
                if n in taken:
                    raise MechanismError(f"{where}: name {n!r} is used as {taken[n]} and as {kind}")
                taken[n] = kind
        base = set(BUILTIN_SYMBOLS) | set(self.parameters) | set(self.globals)
        known = set(base)
        for k, e in self.rates.items():
            self._require(e, known, f"{where} rate {k!r}")
            known.add(k)
        for s, (inf, tau) in self.gates.items():
            self._require(inf, known, f"{where} state {s!r}")
            self._require(tau, known, f"{where} state {s!r}")
        with_states = known | set(self.gates)
        for k, e in self.currents.items():
            self._require(e, with_states, f"{where} current {k!r}")
        for k, e in self.assigned.items():
            self._require(e, with_states, f"{where} assigned {k!r}")
        if self.table is not None:
            lo, hi, n = self.table
            if not (hi > lo and n >= 1):
                raise MechanismError(f"{where}: table must be (vmin, vmax, nintervals) with vmax > vmin and "
                                     f"nintervals >= 1, got {self.table}")
            used = self._rate_dependencies()
            bad = sorted(used & set(self.parameters))
            if bad:
                raise MechanismError(f"{where}: a rate table needs rates that depend on v, celsius and "
                                     f"globals only, but they use range parameters {bad}; set table=None")

    @staticmethod
    def _require(expr: Expression, known: set, where: str) -> None:
        for n in sorted(expr.names - known):
            raise MechanismError(f"{where}: unknown name {n!r} in {expr.text!r}; " + close_matches(n, known))

    def _rate_dependencies(self) -> set:
        """Symbols (other than rates) that the inf/tau expressions depend on, transitively."""
        deps: dict[str, set] = {}
        for k, e in self.rates.items():
            d = set()
            for n in e.names:
                d |= deps.get(n, {n})
            deps[k] = d
        out = set()
        for inf, tau in self.gates.values():
            for e in (inf, tau):
                for n in e.names:
                    out |= deps.get(n, {n})
        return out

    def resolve(self, name: str) -> tuple[str, int]:
        """Return ``(kind, row)`` of a range variable: kind is 'param', 'state' or 'assigned'.

        Raises :class:`MechanismError` listing the valid names.
        """
        if name in self.parameters:
            return "param", self.parameter_names.index(name)
        if name in self.gates:
            return "state", self.state_names.index(name)
        if name in self.assigned_names:
            return "assigned", self.assigned_names.index(name)
        raise RangeVariableError(f"mechanism {self.name!r} has no range variable {name!r}; "
                             + close_matches(name, self.range_names))

    def signature(self) -> str:
        """Stable text identifying the generated code of this mechanism (used for kernel caching)."""
        parts = [self.name, repr(sorted(self.parameters)), repr(list(self.parameters)), repr(list(self.globals)),
                 repr(self.table)]
        parts += [f"{k}={e.text}" for k, e in self.rates.items()]
        parts += [f"{k}:{a.text}|{b.text}" for k, (a, b) in self.gates.items()]
        parts += [f"{k}={e.text}" for k, e in self.currents.items()]
        parts += [f"{k}={e.text}" for k, e in self.assigned.items()]
        return "\n".join(parts)


# --------------------------------------------------------------------------- built-ins
#: NEURON's hh.mod: squid Na, K and leak at 6.3 degC with q10 = 3, rates tabulated on [-100, 100] mV.
HH = Mechanism(
    "hh",
    parameters={"gnabar": 0.12, "gkbar": 0.036, "gl": 0.0003, "el": -54.3},
    globals={"ena": 50.0, "ek": -77.0},
    rates={
        "q10": "3**((celsius - 6.3)/10)",
        "am": ".1 * vtrap(-(v+40),10)", "bm": "4 * exp(-(v+65)/18)", "sm": "am + bm",
        "mtau": "1/(q10*sm)", "minf": "am/sm",
        "ah": ".07 * exp(-(v+65)/20)", "bh": "1 / (exp(-(v+35)/10) + 1)", "sh": "ah + bh",
        "htau": "1/(q10*sh)", "hinf": "ah/sh",
        "an": ".01*vtrap(-(v+55),10)", "bn": ".125*exp(-(v+65)/80)", "sn": "an + bn",
        "ntau": "1/(q10*sn)", "ninf": "an/sn",
    },
    states={"m": {"inf": "minf", "tau": "mtau"}, "h": {"inf": "hinf", "tau": "htau"},
            "n": {"inf": "ninf", "tau": "ntau"}},
    currents={"ina": "gnabar*m*m*m*h*(v - ena)", "ik": "gkbar*n*n*n*n*(v - ek)", "il": "gl*(v - el)"},
    assigned={"gna": "gnabar*m*m*m*h", "gk": "gkbar*n*n*n*n"},
    table=(-100.0, 100.0, 200),
)

#: NEURON's passive.mod leak.
PAS = Mechanism("pas", parameters={"g": 0.001, "e": -70.0}, currents={"i": "g*(v - e)"})

_REGISTRY: dict[str, Mechanism] = {"hh": HH, "pas": PAS}


def register_mechanism(mech: Mechanism, replace: bool = False) -> None:
    """Make ``mech`` insertable by name (``sec.insert(mech.name)``).

    Examples
    --------
    >>> from neurodyn.cells.mechanisms import Mechanism, register_mechanism, get_mechanism
    >>> register_mechanism(Mechanism("leak3", {"g": 1e-4, "e": -65.0}, {"i": "g*(v - e)"}), replace=True)
    >>> get_mechanism("leak3").parameter_names
    ('g', 'e')
    """
    if not isinstance(mech, Mechanism):
        raise MechanismError(f"register_mechanism expects a Mechanism, got {type(mech).__name__}")
    if mech.name in _REGISTRY and not replace and _REGISTRY[mech.name] is not mech:
        raise MechanismError(f"a mechanism named {mech.name!r} is already registered; pass replace=True")
    if mech.name in ("hh", "pas") and _REGISTRY[mech.name] is not mech:
        raise MechanismError(f"the built-in mechanism {mech.name!r} cannot be replaced; choose another name")
    _REGISTRY[mech.name] = mech


def get_mechanism(name) -> Mechanism:
    """Look up a registered mechanism (or pass a :class:`Mechanism` through)."""
    if isinstance(name, Mechanism):
        return name
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise MechanismError(f"unknown mechanism {name!r}; " + close_matches(str(name), _REGISTRY)) from None


def mechanism_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


__all__ = ["Mechanism", "Expression", "HH", "PAS", "register_mechanism", "get_mechanism", "mechanism_names"]
