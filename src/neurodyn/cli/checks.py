"""What the command line checks before it runs anything: assignments (``--param op/var=value``), output and
figure paths (suffix known, directory writable), so a mistake costs no simulation time and prints no traceback.

Examples
--------
>>> parse_assignments(["p/qif_op/eta=-3", "p/qif_op/tau=2e-3"], "--param")
{'p/qif_op/eta': -3.0, 'p/qif_op/tau': 0.002}
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from neurodyn.errors import InputError

__all__ = ["parse_assignments", "parse_number", "check_output_path", "check_plot_path", "OUTPUT_SUFFIXES",
           "plot_suffixes"]

#: suffixes ``--output`` writes: NetCDF (every result, exactly) and CSV (time series only)
OUTPUT_SUFFIXES = (".nc", ".nc4", ".netcdf", ".csv")


def parse_number(text: str, what: str) -> float | complex:
    """A real (or complex, ``1+2j``) number from the command line, or an InputError naming ``what``."""
    t = str(text).strip()
    try:
        return float(t)
    except ValueError:
        pass
    try:
        return complex(t.replace(" ", ""))
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a number") from None


def parse_assignments(items, option: str) -> dict:
    """``['path=value', ...]`` -> ``{path: number}``; a missing '=' or a non-number is an InputError."""
    out = {}
    for item in items or []:
        path, sep, value = str(item).partition("=")
        if not sep or not path.strip() or not value.strip():
            raise InputError(f"{option} {item!r}: write PATH=VALUE, e.g. {option} p/qif_op/eta=-3")
        if path.strip() in out:
            raise InputError(f"{option}: {path.strip()!r} is given twice")
        out[path.strip()] = parse_number(value, f"{option} {item!r}")
    return out


def _check_writable(path: Path, option: str) -> None:
    if path.is_dir():
        raise InputError(f"{option} {str(path)!r} is a directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".neurodyn-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{option} {str(path)!r}: cannot write in {str(parent)!r} ({exc.strerror or exc}); "
                         f"choose a writable place") from None


def check_output_path(path: str | None, option: str = "--output") -> Path | None:
    """The results path, checked: a known suffix (.nc, .csv) in a writable directory."""
    if not path:
        return None
    p = Path(path)
    if p.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(f"{option} {path!r}: unknown suffix {p.suffix or '(none)'!r}; write results as .nc "
                         f"(NetCDF, everything, exactly; read back with neurodyn.io.load) or .csv (time series)")
    _check_writable(p, option)
    return p


def plot_suffixes() -> list[str]:
    """File types matplotlib can write (png, pdf, svg, ...)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    return sorted(FigureCanvasAgg(Figure()).get_supported_filetypes())


def check_plot_path(path: str | None, option: str = "--plot") -> Path | None:
    """The figure path, checked: a suffix matplotlib writes, in a writable directory."""
    if not path:
        return None
    p = Path(path)
    kinds = plot_suffixes()
    if p.suffix.lower().lstrip(".") not in kinds:
        raise InputError(f"{option} {path!r}: matplotlib cannot write {p.suffix or 'a file without suffix'!r}; "
                         f"use one of {', '.join('.' + k for k in kinds)}")
    _check_writable(p, option)
    return p
