"""Expression printers of the backends: SymPy expressions to Python (Numba, NumPy) and to C source.

Both printers share one structure (SymPy's Python code printer: the same order of terms and factors, the same
parenthesisation, the same numeric literals), and differ only where the languages differ, so that a compiled C
kernel evaluates exactly the operations a Numba kernel does:

- integer powers: Numba computes ``x**n`` (literal integer ``n``) by binary exponentiation, starting from 1
  (``numba.cpython.numbers.static_power_impl``); C calls ``nd_powi``, the same loop;
- other powers call libm's ``pow`` (Numba's ``llvm.pow``), ``x**(1/2)`` is ``sqrt``;
- rationals are divisions of two doubles (Python's true division ``p/q``);
- Python and C both read ``-x*y`` as ``(-x)*y``; ``-x**2`` is ``-(x**2)`` in Python and ``-nd_powi(x, 2)`` in C;
- functions are libm's (Numba lowers NumPy's scalar ufuncs to the same libm calls), and the kernel helpers
  (``nd_heaviside``, ``nd_max``, ``nd_min``, ``nd_sign``) are written once per language with the same branches.

The C printer handles real expressions; anything it cannot print exactly (complex numbers, an unknown function)
raises :class:`NotExactInC`, and the C backend then leaves that model to Numba.

Examples
--------
>>> import sympy as sp
>>> x, tau = sp.symbols("x tau")
>>> e = -x**3 / tau + sp.exp(-x) * sp.Rational(1, 3)
>>> PYTHON.doprint(e)
'(1/3)*numpy.exp(-x) - x**3/tau'
>>> C.doprint(e)
'((1.0/3.0))*exp(-x) - nd_powi(x, 3)/tau'
"""
from __future__ import annotations

from sympy.printing.numpy import NumPyPrinter

from neurodyn._lazy import sympy as sp

__all__ = ["KernelPrinter", "CPrinter", "NotExactInC", "PYTHON", "C", "C_FUNCTIONS"]


class NotExactInC(NotImplementedError):
    """The expression uses something the C printer cannot reproduce exactly (the model stays on Numba)."""


class KernelPrinter(NumPyPrinter):
    """NumPy printer that sends non-ufunc functions to the runtime helpers (same names in every backend)."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "strict": True})

    def _print_conjugate(self, e):
        return f"{self._module_format('numpy.conj')}({self._print(e.args[0])})"

    def _print_re(self, e):
        return f"nd_real({self._print(e.args[0])})"

    def _print_im(self, e):
        return f"nd_imag({self._print(e.args[0])})"

    def _print_Abs(self, e):
        return f"{self._module_format('numpy.abs')}({self._print(e.args[0])})"

    def _print_arg(self, e):
        return f"{self._module_format('numpy.angle')}({self._print(e.args[0])})"

    def _print_Heaviside(self, e):
        return f"nd_heaviside({self._print(e.args[0])})"

    def _minmax(self, name, args):
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{name}({out}, {self._print(a)})"
        return out

    def _print_Max(self, e):
        return self._minmax("nd_max", e.args)

    def _print_Min(self, e):
        return self._minmax("nd_min", e.args)

    def _print_sign(self, e):
        return f"{self._module_format('numpy.sign')}({self._print(e.args[0])})"

    def _print_ImaginaryUnit(self, e):
        return "1j"


#: libm functions the C printer maps NumPy names to (real arguments)
C_FUNCTIONS = {
    "numpy.exp": "exp", "numpy.log": "log", "numpy.sqrt": "sqrt", "numpy.sin": "sin", "numpy.cos": "cos",
    "numpy.tan": "tan", "numpy.sinh": "sinh", "numpy.cosh": "cosh", "numpy.tanh": "tanh",
    "numpy.arcsin": "asin", "numpy.arccos": "acos", "numpy.arctan": "atan", "numpy.abs": "fabs",
    "numpy.sign": "nd_sign", "numpy.conj": "", "numpy.pi": "M_PI", "numpy.e": "M_E",
}


class CPrinter(KernelPrinter):
    """The same expressions as :class:`KernelPrinter`, as C (real doubles)."""

    def _module_format(self, fqn, register=True):
        if fqn not in C_FUNCTIONS:
            raise NotExactInC(f"{fqn} has no exact C counterpart in neurodyn's C backend")
        return C_FUNCTIONS[fqn]

    def _print_Pow(self, expr, rational=False):
        e = expr.exp
        if e.is_Integer:
            return f"nd_powi({self._print(expr.base)}, {int(e)})"
        if e == sp.S.Half:
            return f"sqrt({self._print(expr.base)})"
        if expr.is_commutative and -e is sp.S.Half:
            return f"1/sqrt({self._print(expr.base)})"
        return f"pow({self._print(expr.base)}, {self._print(e)})"

    def _print_Rational(self, expr):
        return f"({expr.p}.0/{expr.q}.0)"

    def _print_Half(self, expr):
        return self._print_Rational(expr)

    def _print_Integer(self, expr):
        return str(int(expr))

    def _print_re(self, e):
        return f"({self._print(e.args[0])})"

    def _print_im(self, e):
        return "0.0"                         # the imaginary part of a real value (Numba's float.imag)

    def _print_arg(self, e):
        raise NotExactInC("arg() is not supported by the C backend")

    def _print_ImaginaryUnit(self, e):
        raise NotExactInC("complex expressions are left to the Numba backend")


#: shared printer instances
PYTHON = KernelPrinter()
C = CPrinter()
