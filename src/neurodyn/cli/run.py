"""``neurodyn run`` (one circuit: a library name, a dotted name, a YAML file or ``file.yaml/Name``) and
``neurodyn templates``.

Everything the user typed is checked before the run (paths, suffixes, numbers, solver); the summary table, the
figure and the files keep complex results complex (the table and the figure show |z| and arg z).
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from neurodyn.cli.checks import check_output_path, check_plot_path, parse_assignments
from neurodyn.cli.plots import plot_frame
from neurodyn.cli.units import column_path, library_time_unit, unit_of

__all__ = ["cmd_run", "cmd_templates", "default_outputs", "summary_table", "write_result", "RUN_SOLVER"]

#: solver of ``neurodyn run`` when --solver is not given (neurodyn.integrate's default is 'euler', as in
#: PyRates; the command line prefers the fourth-order scheme and says so)
RUN_SOLVER = "rk4"


def cmd_templates(args) -> int:
    from neurodyn.lang.yaml_io import library_index
    index = library_index()
    width = max(len(k) for k in index) if index else 10
    for name, info in index.items():
        print(f"{name:<{width}}  {info.get('description', '')}")
    return 0


def default_outputs(model) -> dict:
    """Every state variable and every declared ``output`` of the circuit (e.g. the firing rate r of a theta
    population whose state is the complex z), node by node."""
    from neurodyn.errors import VariablePathError
    outputs = {}
    for nname, node in model.circuit.flat_nodes().items():
        for op in node.operators:
            for var, decl in op.variables.items():
                path = f"{nname}/{op.name}/{var}"
                try:
                    hits = model.ir.find(path)
                except VariablePathError:
                    continue
                kind = hits[0][2].kind if hits else None
                if kind == "state" or (kind == "algebraic" and decl.kind == "output"):
                    outputs[path] = path
    return outputs


def column_units(df, circuit, outputs: dict) -> dict:
    """Unit of each column: from the declaration of the variable it records."""
    units = {}
    for label in df.columns:
        path = column_path(label)
        if isinstance(label, tuple):
            spec = outputs.get(label[0], "")
            path = f"{label[1]}/{'/'.join(str(spec).split('/')[-2:])}"
        elif label in outputs:
            path = outputs[label]
        units[label] = unit_of(circuit, path) if path else None
    return units


def _fmt(x) -> str:
    return f"{x:.6g}"


def summary_table(df, units: dict) -> pd.DataFrame:
    """first / last / min / max / mean of every column; complex columns as |x| and arg x."""
    rows = []
    for label in df.columns:
        y = df[label].to_numpy()
        name = "/".join(map(str, label)) if isinstance(label, tuple) else str(label)
        parts = [(name, units.get(label), y)] if not np.iscomplexobj(y) else [
            (f"|{name}|", units.get(label), np.abs(y)), (f"arg {name}", "rad", np.angle(y))]
        for n, u, v in parts:
            rows.append({"output": n, "unit": u or "", "first": _fmt(v[0]), "last": _fmt(v[-1]),
                         "min": _fmt(v.min()), "max": _fmt(v.max()), "mean": _fmt(v.mean())})
    return pd.DataFrame(rows).set_index("output")


def write_result(result, path) -> None:
    """``.nc``: :func:`neurodyn.io.save` (everything, exactly); ``.csv``: the time series, a row per time, complex
    columns as real and imaginary parts (said on the console)."""
    if path is None:
        return
    if path.suffix.lower() == ".csv":
        df = result.copy()
        split = [c for c in df.columns if np.iscomplexobj(df[c].to_numpy())]
        for c in split:
            at = list(df.columns).index(c)
            re_, im_ = df[c].to_numpy().real, df[c].to_numpy().imag
            df = df.drop(columns=[c])
            name = "/".join(map(str, c)) if isinstance(c, tuple) else str(c)
            df.insert(at, f"{name}.imag", im_)
            df.insert(at, f"{name}.real", re_)
        if split:
            print(f"note: complex columns written as .real and .imag columns in {path} (use .nc to keep them complex)")
        df.to_csv(path)
    else:
        from neurodyn.io import save
        save(result, path)
    print(f"wrote {path}")


def cmd_run(args) -> int:
    from neurodyn.simulate import compile_model
    from neurodyn.solvers import resolve_solver
    output = check_output_path(args.output)
    plot = check_plot_path(args.plot)
    params = parse_assignments(args.param, "--param")
    initial = parse_assignments(args.init, "--init")
    solver = args.solver or RUN_SOLVER
    resolve_solver(solver)
    model = compile_model(args.template, backend=args.backend, step_size=args.dt)
    if args.solver is None:
        print(f"note: solver {solver} (the default of `neurodyn run`; neurodyn.integrate and PyRates default to "
              f"'euler'); choose with --solver", file=sys.stderr)
    if args.out:
        outputs = {}
        for o in args.out:
            name, sep, path = o.partition("=")
            outputs[name if sep else o] = path if sep else o
    else:
        outputs = default_outputs(model)
    df = model.run(args.time, args.dt, outputs=outputs, solver=solver, sampling_step_size=args.sampling,
                   seed=args.seed, params=params or None, initial_state=initial or None,
                   progress=None if not args.quiet else False)
    units = column_units(df, model.circuit, outputs)
    table = summary_table(df, units)
    print(f"{args.template}: {len(df)} samples from t = {df.index[0]:g} to {df.index[-1]:g}, solver {solver}, "
          f"dt {args.dt:g}")
    print(table.to_string(max_rows=30))
    if len(table) > 30:
        print(f"({len(table)} rows; all of them are in --output)")
    write_result(df, output)
    if plot is not None:
        time_unit = args.time_unit or library_time_unit(args.template)
        left = plot_frame(df, plot, f"{args.template} ({solver}, dt = {args.dt:g})", units, time_unit)
        print(f"wrote {plot}" + (f" (not drawn: {', '.join(left)}; choose outputs with --out)" if left else ""))
    return 0
