"""The ``neurodyn`` command: its parser and entry point.

Options are never abbreviated (``--tim`` is an error, not ``--time``); a user's mistake (a misspelt template,
a bad number, an unknown figure type, an unwritable path) is one line on stderr and exit status 2, found before
anything runs.
"""
from __future__ import annotations

import argparse
import sys

from neurodyn.errors import NeurodynError

__all__ = ["main", "build_parser"]

EPILOG_RUN = """examples:
  neurodyn run JRC --time 2 --dt 1e-4 --sampling 1e-3 --output jrc.nc --plot jrc.png
  neurodyn run kmo_theta --time 50 --dt 1e-3 --sampling 0.01 --plot z.png     (complex: |z|, arg z and r)
  neurodyn run my_model.yaml --time 10 --dt 1e-3            (the file's only circuit or node)
  neurodyn run my_model.yaml/MyCircuit --time 10 --dt 1e-3 --param p/my_op/eta=-3
"""
EPILOG_BRAIN = """examples:
  neurodyn brain --connectome tvb76 --normalise rows --zero-rows drop --coupling 2 --speed 3 \\
      --initial random --seed 1 --noise 0.002 --time 1000 --dt 0.01 --sampling 0.5 --discard 200 --plot brain.png
  neurodyn brain --connectome path/to/aal90 --regions 0:20 --euclidean --speed 3 --time 500 --dt 0.01 \\
      --output brain.nc
"""


def _sub(sub, name: str, **kwargs) -> argparse.ArgumentParser:
    return sub.add_parser(name, allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from neurodyn.cli.brain import cmd_brain
    from neurodyn.cli.cache import cmd_cache
    from neurodyn.cli.run import RUN_SOLVER, cmd_run, cmd_templates
    p = argparse.ArgumentParser(prog="neurodyn", description="Neural dynamics across scales.", allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True)
    t = _sub(sub, "templates", help="list the bundled template library")
    t.set_defaults(func=cmd_templates)

    r = _sub(sub, "run", help="run a circuit (library name, dotted name, YAML file or file.yaml/Name)",
             epilog=EPILOG_RUN)
    r.add_argument("template", help="JRC, model_templates.neural_mass_models.qif.qif, my.yaml, my.yaml/Name")
    r.add_argument("--time", type=float, required=True, help="simulation time (model units)")
    r.add_argument("--dt", type=float, required=True, help="integration step (model units)")
    r.add_argument("--solver", default=None,
                   help=f"euler, heun, midpoint, rk4, scipy, RK45, DOP853, LSODA, BDF, ... (default {RUN_SOLVER}; "
                        f"neurodyn.integrate defaults to euler, as PyRates)")
    r.add_argument("--sampling", type=float, default=None, help="output interval (a multiple of --dt)")
    r.add_argument("--out", action="append", metavar="[NAME=]PATH",
                   help="record node/op/var (or all/op/var), repeatable (default: every state and declared output)")
    r.add_argument("--param", action="append", metavar="PATH=VALUE", help="parameter value for this run (repeatable)")
    r.add_argument("--init", action="append", metavar="PATH=VALUE", help="initial value of a state (repeatable)")
    r.add_argument("--backend", default=None, choices=["auto", "c", "numba", "numpy"],
                   help="kernel backend (default: the 'backend' setting; auto: C where a compiler exists, else Numba)")
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--time-unit", default=None,
                   help="unit of time for the figure's axis (the bundled templates know theirs)")
    r.add_argument("--output", help="write results: .nc (everything, exactly) or .csv")
    r.add_argument("--plot", help="write a figure (.png, .pdf, .svg, ...)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)

    b = _sub(sub, "brain", help="run a whole-brain network", epilog=EPILOG_BRAIN)
    b.add_argument("--node", default="ei_ping_pop", help="node template (default: ei_ping_pop)")
    b.add_argument("--connectome", required=True, help="tvb66/68/76/96/192, a TVB zip, .mat, .npy, folder, ...")
    b.add_argument("--regions", default=None, metavar="LIST",
                   help="keep these regions only: indices, START:STOP ranges and labels, comma-separated")
    b.add_argument("--euclidean", action="store_true",
                   help="tract lengths = Euclidean distances between region centres (for --speed)")
    b.add_argument("--normalise", default="none", choices=["none", "max", "rows", "spectral"])
    b.add_argument("--zero-rows", default="raise", choices=["raise", "keep", "drop"],
                   help="with --normalise rows: regions receiving no input raise (default), keep a zero row, or "
                        "are dropped")
    b.add_argument("--couple", help="SOURCE:TARGET[:PARAM] (op/var each); PARAM receives --coupling")
    b.add_argument("--coupling", type=float, default=1.0, help="global coupling G")
    b.add_argument("--speed", type=float, default=None, help="conduction speed (delays = tract lengths / speed)")
    b.add_argument("--delay-mode", default="cubic", choices=["cubic", "linear", "step"])
    b.add_argument("--time", type=float, required=True, help="simulation time (model units)")
    b.add_argument("--dt", type=float, required=True, help="integration step (model units)")
    b.add_argument("--solver", default="heun", help="fixed-step solver (default heun, as BrainNetwork.simulate)")
    b.add_argument("--sampling", type=float, default=None, help="output interval (a multiple of --dt)")
    b.add_argument("--discard", type=float, default=0.0,
                   help="initial transient left out of FC, means and spectra (model time units)")
    b.add_argument("--var", action="append", help="record op/var in every region (repeatable; default: outputs)")
    b.add_argument("--param", action="append", metavar="OP/VAR=VALUE", help="value in every region (repeatable)")
    b.add_argument("--initial", action="append", metavar="random|OP/VAR=VALUE",
                   help="initial state: 'random' (each state within +-10%% of its default, --seed) or values "
                        "(repeatable); default: the template's values in every region")
    b.add_argument("--noise", default=None, help="additive noise amplitude")
    b.add_argument("--noise-var", action="append", help="state op/var receiving noise (default: the coupled one)")
    b.add_argument("--seed", type=int, default=None, help="seed of the noise and the random initial state")
    b.add_argument("--bold", action="store_true", help="compute BOLD during the run (SPM Balloon-Windkessel)")
    b.add_argument("--psd", action="store_true", help="power spectra and dominant frequency of the first variable")
    b.add_argument("--output", help="write results: .nc (everything) or .csv (a row per time, a column per region)")
    b.add_argument("--plot", help="write a figure (.png, .pdf, .svg, ...)")
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=cmd_brain)

    c = _sub(sub, "cache", help="show (or --clear) the cached kernels, IRs and AOT libraries")
    c.add_argument("--clear", action="store_true", help="delete them (they are rebuilt when needed)")
    c.set_defaults(func=cmd_cache)
    from neurodyn.sweep.cli import add_parser as add_sweep_parser     # neurodyn sweep (its own module)
    add_sweep_parser(sub)
    return p


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:          # argparse has printed the usage and the error (or the help)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    try:
        return args.func(args)
    except NeurodynError as exc:
        print(f"neurodyn: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("neurodyn: interrupted", file=sys.stderr)
        return 130
