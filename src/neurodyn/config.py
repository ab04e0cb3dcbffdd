"""Every neurodyn setting in one place: read once from the environment, changed with :func:`set_options`.

========================  =============================  ==========================================================
option                    environment variable           meaning
========================  =============================  ==========================================================
``cache_dir``             ``NEURODYN_CACHE_DIR``         where generated kernels, stored IRs and libraries live
                                                         (default ``~/.cache/neurodyn``)
``ir_cache``              ``NEURODYN_IR_CACHE``          store built IRs on disk (default on)
``aot``                   ``NEURODYN_AOT``               ahead-of-time kernel libraries (numba.pycc); default off
``model_templates``       ``NEURODYN_MODEL_TEMPLATES``   root of ``model_templates.*`` names (default: the bundled
                                                         library)
``backend``               ``NEURODYN_BACKEND``           kernel backend when a call names none: ``auto`` (default:
                                                         C where a C compiler exists, else Numba), ``c``,
                                                         ``numba``, ``numpy``
``cc``                    ``NEURODYN_CC``                the C backend's compiler (default ``$CC``, ``cc``, ``gcc``
                                                         or ``clang``); ``none`` switches the C backend off
``cells_kernel``          ``NEURODYN_CELLS_KERNEL``      the cells' kernel tier: ``auto`` (default: generated C if a
                                                         C compiler exists, else Numba), ``c``, ``jit``, ``aot``
========================  =============================  ==========================================================

The environment is parsed when a setting is first needed, and again only if one of these variables changes
(one parser: booleans accept 1/0, on/off, true/false, yes/no; anything else is an error that names the
variable). In Python, prefer :func:`set_options`: its values win over the environment, and used as a context
manager it restores the previous values on exit. The environment variables remain for worker processes (Dask,
multiprocessing) and CI, which do not see a parent's ``set_options``.

Examples
--------
>>> import neurodyn
>>> with neurodyn.set_options(ir_cache=False):
...     neurodyn.get_option("ir_cache")
False
>>> neurodyn.get_option("ir_cache")
True
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from neurodyn.errors import InputError, close_matches

__all__ = ["OPTIONS", "get_option", "set_options", "options_from_environment", "reset_options"]

_TRUE, _FALSE = ("1", "on", "true", "yes"), ("0", "off", "false", "no")


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"{where}={value!r} is not understood: use 1/on/true/yes or 0/off/false/no")


def _cells_kernel(value: Any, where: str) -> str:
    text = str(value).strip().lower()
    if text not in ("auto", "c", "jit", "aot"):
        raise InputError(f"{where}={value!r} is not understood: use auto, c, jit or aot")
    return text


def _path_or_none(value: Any, where: str) -> Path | None:
    if value is None or str(value).strip() == "":
        return None
    return Path(os.path.expanduser(str(value))).resolve()


def _text_or_none(value: Any, where: str) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


BACKEND_NAMES = ("auto", "c", "numba", "numpy")


def _backend_name(value: Any, where: str) -> str:
    name = "auto" if value in (None, "default") else str(value).strip().lower()
    if name not in BACKEND_NAMES:
        raise InputError(f"{where}={value!r}: unknown backend; {close_matches(name, BACKEND_NAMES)}")
    return name


@dataclass(frozen=True)
class Option:
    """One setting: its environment variable, parser, default and meaning."""

    name: str
    env: str
    parse: Callable[[Any, str], Any]
    default: Any
    doc: str


#: the settings, by name
OPTIONS: dict[str, Option] = {o.name: o for o in (
    Option("cache_dir", "NEURODYN_CACHE_DIR", _path_or_none, None,
           "directory of generated kernels, stored IRs and libraries (None: ~/.cache/neurodyn)"),
    Option("ir_cache", "NEURODYN_IR_CACHE", _bool, True, "store built IRs on disk"),
    Option("aot", "NEURODYN_AOT", _bool, False, "build and use ahead-of-time kernel libraries (numba.pycc)"),
    Option("model_templates", "NEURODYN_MODEL_TEMPLATES", _path_or_none, None,
           "root of model_templates.* names (None: the bundled library)"),
    Option("backend", "NEURODYN_BACKEND", _backend_name, "auto",
           "kernel backend when none is given: 'auto' (C if a compiler exists, else Numba), 'c', 'numba', 'numpy'"),
    Option("cc", "NEURODYN_CC", _text_or_none, None,
           "C compiler of the C backend (None: $CC, cc, gcc or clang on the PATH; 'none' switches C off)"),
    Option("cells_kernel", "NEURODYN_CELLS_KERNEL", _cells_kernel, "auto",
           "kernel tier of neurodyn.cells: auto (C if a compiler exists, else Numba), c, jit, aot (numba.pycc)"),
)}

_overrides: dict[str, Any] = {}          # set_options values, on top of the environment
_from_env: tuple | None = None          # (raw values of the variables, parsed settings)


def options_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Parse the settings from ``environ`` (default ``os.environ``): unset variables give the defaults.

    >>> options_from_environment({"NEURODYN_IR_CACHE": "off"})["ir_cache"]
    False
    """
    env = os.environ if environ is None else environ
    out = {}
    for name, opt in OPTIONS.items():
        raw = env.get(opt.env)
        out[name] = opt.default if raw is None or raw.strip() == "" else opt.parse(raw, opt.env)
    return out


def _environment_settings() -> dict[str, Any]:
    """The settings the environment gives, parsed once per distinct set of values of the variables."""
    global _from_env
    raw = tuple(os.environ.get(o.env) for o in OPTIONS.values())
    if _from_env is None or _from_env[0] != raw:
        _from_env = (raw, options_from_environment())
    return _from_env[1]


def get_option(name: str) -> Any:
    """The current value of setting ``name`` (see the table in :mod:`neurodyn.config`)."""
    if name in _overrides:
        return _overrides[name]
    if name not in OPTIONS:
        raise InputError(f"unknown neurodyn option {name!r}; {close_matches(name, OPTIONS)}")
    return _environment_settings()[name]


_UNSET = object()


class _Restore:
    """Returned by :func:`set_options`: restores the previous values when used as a context manager."""

    def __init__(self, previous: dict[str, Any]):
        self._previous = previous

    def __enter__(self) -> "_Restore":
        return self

    def __exit__(self, *exc) -> None:
        for name, value in self._previous.items():
            if value is _UNSET:
                _overrides.pop(name, None)
            else:
                _overrides[name] = value


def set_options(**values: Any) -> _Restore:
    """Change settings for this process (see the table in :mod:`neurodyn.config`); they win over the environment.

    Takes effect at once; used as ``with set_options(...):`` the previous values come back at the end of the
    block. Values are parsed as their environment variables are (``ir_cache="off"`` works); ``None`` means the
    option's default.
    """
    parsed = {}
    for name, value in values.items():
        if name not in OPTIONS:
            raise InputError(f"unknown neurodyn option {name!r}; {close_matches(name, OPTIONS)}")
        opt = OPTIONS[name]
        parsed[name] = opt.default if value is None else opt.parse(value, name)
    previous = {name: _overrides.get(name, _UNSET) for name in parsed}
    _overrides.update(parsed)
    return _Restore(previous)


def reset_options() -> None:
    """Forget every :func:`set_options` change (the environment's values apply again)."""
    _overrides.clear()
