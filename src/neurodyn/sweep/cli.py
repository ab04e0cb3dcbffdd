"""``neurodyn sweep``: run a sweep from a configuration file, show a store's status, plot a summary over two axes.

Examples (shell)::

    neurodyn sweep sweep.yaml                 # run it (a store that exists needs --resume or --overwrite)
    neurodyn sweep sweep.yaml --resume        # continue an interrupted sweep
    neurodyn sweep --status sweep.zarr        # points done, failed and pending
    neurodyn sweep --plot sweep.zarr --var dominant_frequency --x eps --y I_ext_e --output map.png
"""
from __future__ import annotations

import argparse
import sys

from neurodyn.errors import InputError, NeurodynError

__all__ = ["add_parser", "cmd_sweep", "main"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``sweep`` on the subcommands of the ``neurodyn`` parser."""
    s = subparsers.add_parser("sweep", allow_abbrev=False, help="run a sweep from a YAML file, show a store's "
                              "status, or plot a summary over two axes",
                              description="Network sweeps: neurodyn sweep CONFIG [--resume]; neurodyn sweep --status "
                                          "STORE; neurodyn sweep --plot STORE --var NAME --x AXIS --y AXIS")
    s.add_argument("config", nargs="?", help="sweep configuration (YAML; see neurodyn.sweep.config)")
    s.add_argument("--resume", action="store_true", help="continue the sweep in its store (same definition)")
    s.add_argument("--overwrite", action="store_true", help="replace an existing store")
    s.add_argument("--workers", type=int, default=None, help="worker processes of the local cluster")
    s.add_argument("--serial", action="store_true", help="run in this process (no cluster)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--status", metavar="STORE", help="show what a sweep store holds")
    s.add_argument("--plot", metavar="STORE", help="plot a summary of a grid sweep over two axes")
    s.add_argument("--var", help="the summary to plot (e.g. dominant_frequency)")
    s.add_argument("--x", help="axis on the horizontal")
    s.add_argument("--y", help="axis on the vertical")
    s.add_argument("--reduce", default="mean", help="how other dimensions (regions) are reduced: mean, median, "
                                                    "max, min, std")
    s.add_argument("--output", help="figure file (--plot; default: STORE.<var>.png)")
    s.set_defaults(func=cmd_sweep)
    return s


def cmd_sweep(args) -> int:
    if args.status:
        from neurodyn.sweep.store import sweep_status
        print(sweep_status(args.status))
        return 0
    if args.plot:
        missing = [k for k in ("var", "x", "y") if not getattr(args, k)]
        if missing:
            raise InputError(f"--plot needs {', '.join('--' + m for m in missing)}")
        from neurodyn.sweep.plot import plot_map
        from neurodyn.sweep.store import open_sweep
        out = args.output or f"{str(args.plot).rstrip('/')}.{args.var}.png"
        plot_map(open_sweep(args.plot), args.var, args.x, args.y, reduce=args.reduce, path=out,
                 title=f"{args.var} over {args.x}, {args.y}")
        print(f"wrote {out}")
        return 0
    if not args.config:
        raise InputError("give a sweep configuration (neurodyn sweep CONFIG), or --status / --plot STORE")
    from neurodyn.sweep.config import load_config, make_client
    cfg = load_config(args.config)
    sw = cfg.sweep
    print(sw)
    if cfg.store is None:
        raise InputError(f"{cfg.path}: give a store (store: sweep.zarr) for the results")
    client, close = ("serial", lambda: None) if args.serial else make_client(cfg.cluster, args.workers)
    n_workers = args.workers or cfg.cluster.get("n_workers")
    try:
        sw.run(store=cfg.store, client=client, resume=args.resume, overwrite=args.overwrite,
               progress=False if args.quiet else None, n_workers=n_workers)
    finally:
        close()
    print(sw.report)
    from neurodyn.sweep.store import sweep_status
    print(sweep_status(cfg.store))
    return 0


def main(argv=None) -> int:
    """``python -m neurodyn.sweep.cli ...`` (the same as ``neurodyn sweep ...``)."""
    p = argparse.ArgumentParser(prog="neurodyn", allow_abbrev=False)
    add_parser(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(["sweep", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except NeurodynError as exc:
        print(f"neurodyn: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
