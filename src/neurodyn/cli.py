"""Command line: ``neurodyn run``, ``neurodyn templates``, ``neurodyn brain``, ``neurodyn cache``.

Examples (shell)::

    neurodyn templates
    neurodyn run JRC --time 2 --dt 1e-4 --solver rk4 --sampling 1e-3 --output jrc.nc --plot jrc.png
    neurodyn brain --node ei_ping_pop --connectome path/to/aal90 --normalise rows --coupling 10 \\
        --time 200 --dt 0.01 --sampling 0.1 --noise 0.01 --seed 1 --output brain.nc --plot brain.png
    neurodyn cache            # what is cached where (--clear to delete it)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from neurodyn.errors import NeurodynError

__all__ = ["main", "build_parser"]

#: node template -> (coupled source, coupling input, parameter set by --coupling or None for the edge gain)
NETWORK_COUPLINGS = {
    "ei_ping_pop": ("ei_ping_op/s_e", "ei_ping_op/s_net", "ei_ping_op/eps"),
    "ping_dg_pop": ("ping_dg_op/s_e", "ping_dg_op/s_net", "ping_dg_op/eps"),
}


def _write(result, path: str | None) -> None:
    if not path:
        return
    from neurodyn.io import save
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".csv":
        if hasattr(result, "to_dataframe") and not hasattr(result, "to_csv"):
            result = result.to_dataframe()
        result.to_csv(p)
    else:
        save(result, p)
    print(f"wrote {p}")


def _plot_frame(df, path: str | None, title: str) -> None:
    if not path:
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = list(df.columns)[:12]
    fig, axes = plt.subplots(len(cols), 1, figsize=(8, 1.6 * len(cols) + 0.6), sharex=True, squeeze=False)
    for ax, c in zip(axes[:, 0], cols):
        y = df[c].to_numpy()
        if np.iscomplexobj(y):
            ax.plot(df.index, y.real, lw=1, label="real")
            ax.plot(df.index, y.imag, lw=1, label="imag")
            ax.legend(loc="upper right", fontsize=7)
        else:
            ax.plot(df.index, y, lw=1)
        ax.set_ylabel(str(c), fontsize=7, rotation=0, ha="right")
    axes[-1, 0].set_xlabel("time")
    fig.suptitle(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def cmd_templates(args) -> int:
    from neurodyn.lang.yaml_io import library_index
    index = library_index()
    width = max(len(k) for k in index) if index else 10
    for name, info in index.items():
        print(f"{name:<{width}}  {info.get('description', '')}")
    return 0


def cmd_run(args) -> int:
    from neurodyn.simulate import integrate
    outputs = dict(o.split("=", 1) if "=" in o else (o, o) for o in args.out) if args.out else None
    df = integrate(args.template, simulation_time=args.time, step_size=args.dt, solver=args.solver,
                   sampling_step_size=args.sampling, outputs=outputs, backend=args.backend,
                   seed=args.seed, progress=None if not args.quiet else False)
    print(df.describe().T.to_string(max_rows=20))
    _write(df, args.output)
    _plot_frame(df, args.plot, f"{args.template} ({args.solver}, dt={args.dt:g})")
    return 0


def cmd_brain(args) -> int:
    from neurodyn.network import BrainNetwork, Coupling, load_connectome
    C = load_connectome(args.connectome)
    if args.normalise != "none":
        C = C.normalise(args.normalise)
    if args.couple:
        parts = args.couple.split(":")
        if len(parts) not in (2, 3):
            raise NeurodynError("--couple must be SOURCE:TARGET or SOURCE:TARGET:PARAM (each 'op/var')")
        source, target, param = parts[0], parts[1], (parts[2] if len(parts) == 3 else None)
    elif args.node in NETWORK_COUPLINGS:
        source, target, param = NETWORK_COUPLINGS[args.node]
    else:
        raise NeurodynError(f"node {args.node!r} has no default coupling; pass --couple SOURCE:TARGET[:PARAM] "
                            f"(known defaults: {sorted(NETWORK_COUPLINGS)})")
    gain = 1.0 if param else args.coupling
    params = {param: args.coupling} if param else {}
    for kv in args.param or []:
        k, _, v = kv.partition("=")
        params[k] = float(v)
    net = BrainNetwork(args.node, C, Coupling(source, target, gain), speed=args.speed,
                       delay_mode=args.delay_mode)
    print(net)
    variables = args.var or None
    noise = None
    if args.noise:
        noise = {v: args.noise for v in (args.noise_var or [source])}
    ds = net.simulate(args.time, args.dt, variables=variables, solver=args.solver, sampling_step_size=args.sampling,
                      params=params, noise=noise, seed=args.seed, bold=True if args.bold else None,
                      fc=(variables or [None])[0] if variables else None, initial="random" if args.seed is not None
                      else None, progress=None if not args.quiet else False)
    print(ds)
    _write(ds, args.output)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from neurodyn.observables import functional_connectivity
        var = [v for v in ds.data_vars if ds[v].dims == ("time", "region")][0]
        x = ds[var].values
        fc = functional_connectivity(x[len(x) // 5:]) if x.shape[0] > 10 else np.eye(x.shape[1])
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2, 1]})
        for r in range(min(10, x.shape[1])):
            a1.plot(ds.time, x[:, r] + 0 * r, lw=0.8, label=str(ds.label.values[r]))
        a1.set_xlabel("time")
        a1.set_ylabel(var)
        a1.legend(fontsize=6, ncol=2)
        im = a2.imshow(fc, vmin=-1, vmax=1, cmap="RdBu_r")
        a2.set_title(f"FC of {var}")
        fig.colorbar(im, ax=a2, shrink=0.8)
        fig.tight_layout()
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=110)
        print(f"wrote {args.plot}")
    return 0


#: cache sub-directories: what each holds
CACHE_PARTS = (
    ("kernels-*", "generated model kernels and their Numba machine code"),
    ("cells_kernels", "generated cell kernels and their Numba machine code"),
    ("ir-*", "stored IRs (a warm process skips SymPy)"),
    ("aot", "ahead-of-time kernel libraries (NEURODYN_AOT=1)"),
)


def _du(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def cmd_cache(args) -> int:
    """Show what the cache directory holds, per part; ``--clear`` deletes those parts."""
    import shutil
    from neurodyn.caching import cache_root
    root = cache_root()
    print(f"cache directory: {root} (set NEURODYN_CACHE_DIR to move it)")
    found = [(d, what) for pattern, what in CACHE_PARTS for d in sorted(root.glob(pattern)) if d.is_dir()]
    if not found:
        print("  (empty)")
    for d, what in found:
        n, size = _du(d)
        print(f"  {d.name:<16} {n:6d} files {size / 2 ** 20:9.1f} MB  {what}")
        if args.clear:
            shutil.rmtree(d, ignore_errors=True)
    if args.clear and found:
        print(f"cleared {len(found)} part(s); the next run regenerates what it needs")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neurodyn", description="Neural dynamics across scales.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("templates", help="list the bundled template library")
    t.set_defaults(func=cmd_templates)
    r = sub.add_parser("run", help="run a template (library name, dotted name or YAML path)")
    r.add_argument("template")
    r.add_argument("--time", type=float, required=True, help="simulation time (model units)")
    r.add_argument("--dt", type=float, required=True, help="integration step")
    r.add_argument("--solver", default="rk4", help="euler, heun, rk4, scipy, RK45, DOP853, LSODA, BDF, ...")
    r.add_argument("--sampling", type=float, default=None, help="output interval (multiple of --dt)")
    r.add_argument("--out", action="append", help="record NAME=node/op/var (repeatable; default: all states)")
    r.add_argument("--backend", default=None, choices=["auto", "c", "numba", "numpy"],
                   help="kernel backend (default: the 'backend' setting, auto: C where a compiler exists, else Numba)")
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--output", help="write results (.nc or .csv)")
    r.add_argument("--plot", help="write a figure (.png)")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)
    b = sub.add_parser("brain", help="run a whole-brain network")
    b.add_argument("--node", default="ei_ping_pop", help="node template (default: ei_ping_pop)")
    b.add_argument("--connectome", required=True, help="tvb66/68/76/96/192, a TVB zip, .mat, .npy, folder, ...")
    b.add_argument("--normalise", default="none", choices=["none", "max", "rows", "spectral"])
    b.add_argument("--couple", help="SOURCE:TARGET[:PARAM] (op/var each); PARAM receives --coupling")
    b.add_argument("--coupling", type=float, default=1.0, help="global coupling G")
    b.add_argument("--speed", type=float, default=None, help="conduction speed (delays from tract lengths)")
    b.add_argument("--delay-mode", default="cubic", choices=["cubic", "linear", "step"])
    b.add_argument("--time", type=float, required=True)
    b.add_argument("--dt", type=float, required=True)
    b.add_argument("--solver", default="heun")
    b.add_argument("--sampling", type=float, default=None)
    b.add_argument("--var", action="append", help="record op/var in every region (repeatable)")
    b.add_argument("--param", action="append", help="op/var=value for every region (repeatable)")
    b.add_argument("--noise", type=float, default=None, help="additive noise amplitude")
    b.add_argument("--noise-var", action="append", help="state op/var receiving noise (default: the coupled one)")
    b.add_argument("--seed", type=int, default=None)
    b.add_argument("--bold", action="store_true", help="compute BOLD during the run (SPM Balloon-Windkessel)")
    b.add_argument("--output", help="write results (.nc)")
    b.add_argument("--plot", help="write a figure (.png)")
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=cmd_brain)
    c = sub.add_parser("cache", help="show (or --clear) the cached kernels, IRs and AOT libraries")
    c.add_argument("--clear", action="store_true", help="delete them (they are rebuilt when needed)")
    c.set_defaults(func=cmd_cache)
    from neurodyn.sweep.cli import add_parser as add_sweep_parser     # neurodyn sweep (its own module)
    add_sweep_parser(sub)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except NeurodynError as exc:
        print(f"neurodyn: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
