"""``neurodyn brain``: a node template in every region of a connectome.

The connectome is read, restricted (``--regions``), given Euclidean tract lengths (``--euclidean``) and
normalised (``--normalise``, with ``--zero-rows`` for regions that receive no input) in that order; the network
runs from the default or a random (``--initial random``, ``--seed``) initial state, with optional noise and
delays; FC (and spectra) leave out ``--discard`` time units. ``--output x.csv`` writes the trajectories, one row
per time and a column per region; ``.nc`` keeps everything (FC, means, BOLD, spectra, provenance).
"""
from __future__ import annotations

import sys

import numpy as np

from neurodyn.cli.checks import check_output_path, check_plot_path, parse_assignments, parse_number
from neurodyn.cli.plots import plot_network
from neurodyn.cli.units import library_time_unit, unit_of
from neurodyn.errors import InputError

__all__ = ["cmd_brain", "NETWORK_COUPLINGS", "parse_regions", "network_frame"]

#: node template -> (coupled source, coupling input, parameter set by --coupling or None for the edge gain)
NETWORK_COUPLINGS = {
    "ei_ping_pop": ("ei_ping_op/s_e", "ei_ping_op/s_net", "ei_ping_op/eps"),
    "ping_dg_pop": ("ping_dg_op/s_e", "ping_dg_op/s_net", "ping_dg_op/eps"),
}


def parse_regions(text: str, labels: list[str]) -> list[int]:
    """``'0:10,lCC,rCC'`` -> region indices: indices, half-open ranges ``i:j`` and labels, comma-separated."""
    out = []
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        if ":" in item:
            lo, _, hi = item.partition(":")
            try:
                out += list(range(int(lo or 0), int(hi) if hi else len(labels)))
            except ValueError:
                raise InputError(f"--regions {item!r}: a range is START:STOP with integers, e.g. 0:10") from None
        elif item.lstrip("-").isdigit():
            out.append(int(item))
        elif item in labels:
            out.append(labels.index(item))
        else:
            from neurodyn.errors import close_matches
            raise InputError(f"--regions: unknown region {item!r}; {close_matches(item, labels)}")
    bad = [i for i in out if not 0 <= i < len(labels)]
    if bad:
        raise InputError(f"--regions: index {bad[0]} out of range 0..{len(labels) - 1}")
    return out


def network_frame(ds, variables: list[str]):
    """The (time, region) trajectories of ``ds`` as one table: a row per time, a column per region (named
    ``label``, or ``variable/label`` when several variables are recorded)."""
    import pandas as pd
    cols = {}
    labels = [str(v) for v in ds["label"].values]
    for var in variables:
        x = ds[var].values
        for r, lab in enumerate(labels):
            cols[lab if len(variables) == 1 else f"{var}/{lab}"] = x[:, r]
    return pd.DataFrame(cols, index=pd.Index(ds["time"].values, name="time"))


def _connectome(args):
    from neurodyn.network import load_connectome
    C = load_connectome(args.connectome)
    if args.regions:
        C = C.subset(parse_regions(args.regions, list(C.labels)))
    if args.euclidean:
        C = C.with_euclidean_lengths()
    if args.normalise != "none":
        C = C.normalise(args.normalise, zero_rows=args.zero_rows)
    return C


def _coupling(args, node):
    if args.couple:
        parts = args.couple.split(":")
        if len(parts) not in (2, 3):
            raise InputError("--couple must be SOURCE:TARGET or SOURCE:TARGET:PARAM (each 'op/var')")
        return parts[0], parts[1], (parts[2] if len(parts) == 3 else None)
    if node.name in NETWORK_COUPLINGS:
        return NETWORK_COUPLINGS[node.name]
    raise InputError(f"node {node.name!r} has no default coupling; pass --couple SOURCE:TARGET[:PARAM] (op/var "
                     f"each; known defaults: {sorted(NETWORK_COUPLINGS)})")


def _initial(args):
    """'random', None (default values) or {op/var: value}."""
    items = list(args.initial or [])
    if items in ([], ["default"]):
        return None
    if items == ["random"]:
        return "random"
    if "random" in items or "default" in items:
        raise InputError("--initial takes 'random', 'default', or op/var=VALUE assignments (repeatable), not a mix")
    return parse_assignments(items, "--initial")


def cmd_brain(args) -> int:
    from neurodyn.network import BrainNetwork, Coupling, node_template
    output = check_output_path(args.output)
    plot = check_plot_path(args.plot)
    extra = parse_assignments(args.param, "--param")
    initial = _initial(args)
    noise_sigma = None if args.noise is None else parse_number(args.noise, "--noise")
    node = node_template(args.node)                    # a misspelt --node: TemplateNotFoundError, close matches
    source, target, param = _coupling(args, node)
    C = _connectome(args)
    print(C)
    gain = 1.0 if param else args.coupling
    params = {param: args.coupling} if param else {}
    params.update(extra)
    net = BrainNetwork(node, C, Coupling(source, target, gain), speed=args.speed, delay_mode=args.delay_mode)
    print(net)
    variables = args.var or [f"{o.name}/{v}" for o in node.operators for v, d in o.variables.items()
                             if d.kind == "output"]
    seed = args.seed
    if seed is None and (initial == "random" or noise_sigma):
        seed = int(np.random.SeedSequence().entropy % 2 ** 31)
        print(f"seed {seed} (pass --seed {seed} to repeat this run)")
    noise = {v: noise_sigma for v in (args.noise_var or [source])} if noise_sigma else None
    ds = net.simulate(args.time, args.dt, variables=variables, solver=args.solver, sampling_step_size=args.sampling,
                      params=params, noise=noise, seed=seed, bold=True if args.bold else None, fc=variables[0],
                      psd=variables[0] if args.psd else None, initial=initial, discard=args.discard,
                      progress=None if not args.quiet else False)
    names = [v for v in ds.data_vars if ds[v].dims == ("time", "region")]
    _summary(ds, names, args)
    if output is not None:
        if output.suffix.lower() == ".csv":
            network_frame(ds, names).to_csv(output)
            rest = [v for v in ds.data_vars if v not in names]
            print(f"wrote {output} (a row per time, a column per region)" +
                  (f"; {', '.join(rest)} are only in a .nc output" if rest else ""))
        else:
            from neurodyn.io import save
            save(ds, output)
            print(f"wrote {output}")
    if plot is not None:
        var = names[0]
        unit = unit_of(node, variables[0])
        time_unit = library_time_unit(args.node)
        title = (f"{node.name} x {C.n_regions} regions, {source} -> {target}, coupling {args.coupling:g}"
                 f"{', speed ' + format(args.speed, 'g') if args.speed else ', no delays'}"
                 f"{', noise ' + format(noise_sigma, 'g') if noise_sigma else ''}")
        plot_network(ds, var, unit, time_unit, plot, title, discard=args.discard)
        print(f"wrote {plot}")
    return 0


def _summary(ds, names, args) -> None:
    for v in names:
        m = ds[f"mean_{v}"].values if f"mean_{v}" in ds else ds[v].values.mean(axis=0)
        m = np.abs(m) if np.iscomplexobj(m) else m
        print(f"{v}: temporal mean per region from {m.min():.4g} to {m.max():.4g} (median {np.median(m):.4g})"
              + (f", t >= {args.discard:g}" if args.discard else ""))
    if "fc" in ds:
        fc = ds["fc"].values
        off = fc[~np.eye(fc.shape[0], dtype=bool)]
        print(f"FC of {names[0]}: mean {off.mean():.3f}, from {off.min():.3f} to {off.max():.3f}")
    if "dominant_frequency" in ds:
        f = ds["dominant_frequency"].values
        print(f"dominant frequency: {np.median(f):.4g} Hz (median over regions; {f.min():.4g} to {f.max():.4g})")
    if "bold" in ds:
        print(f"BOLD: {ds['bold'].shape[0]} samples per region")
    sys.stdout.flush()
