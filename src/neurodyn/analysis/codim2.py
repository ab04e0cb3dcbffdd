"""Two-parameter continuation of fold and Hopf curves, with cusp, Bogdanov-Takens, Bautin (generalised Hopf),
zero-Hopf and double-Hopf points.

Both curves are traced with the engine of :mod:`neurodyn.analysis.continuation` on the minimally augmented
systems of :mod:`neurodyn.analysis.bifurcations`, from a fold or Hopf point of a branch of equilibria (or from
a codimension-two point of another curve), in both directions until they leave ``bounds``, close, or stop.

Test functions: on fold curves ``w^T B(v, v)`` (cusp), ``w^T v`` (Bogdanov-Takens: the left and right null
vectors become orthogonal) and the Hopf test on the other eigenvalues (zero-Hopf); on Hopf curves ``kappa``
(= omega^2, Bogdanov-Takens), the first Lyapunov coefficient ``l1`` (Bautin), the product of the other
eigenvalues (zero-Hopf) and the Hopf test on the other eigenvalues (double Hopf). Where ``kappa < 0`` the Hopf
curve continues as a curve of neutral saddles (``points['neutral_saddle']``).

Examples
--------
>>> from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate
>>> from neurodyn.analysis import SymbolicSystem, continuation, fold_curve
>>> op = OperatorTemplate("cusp_op", ["d/dt * x = b1 + b2*x - x^3"], {"x": "output(-1.5)", "b1": 0.0, "b2": 1.0})
>>> s = SymbolicSystem.from_circuit(CircuitTemplate("cusp", nodes={"p": NodeTemplate("n", [op])}))
>>> b = continuation(s, "p/cusp_op/b1", [-1.324718], -1.0, 1.0)         # b2 = 1: two folds
>>> c = fold_curve(b.special("fold")[0], "p/cusp_op/b2", bounds={"p/cusp_op/b2": (-1.0, 2.0)})
>>> [(p.kind, abs(round(p["p/cusp_op/b1"], 6)), abs(round(p["p/cusp_op/b2"], 6))) for p in c.special_points]
[('cusp', 0.0, 0.0)]
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from neurodyn.analysis.bifurcations import FoldSystem, HopfSystem
from neurodyn.analysis.branch import Branch, SpecialPoint, build_branch
from neurodyn.analysis.continuation import ContinuationSettings, trace
from neurodyn.analysis.derivatives import derivatives, parameter_keys
from neurodyn.analysis.equilibria import _settings, state_scales
from neurodyn.errors import AnalysisError, ConvergenceError

__all__ = ["fold_curve", "hopf_curve"]


def _parameters(point: SpecialPoint, parameter):
    if not isinstance(point, SpecialPoint):
        raise AnalysisError(f"a curve starts from a SpecialPoint of a branch (branch.special('fold')[0]), got "
                            f"{type(point).__name__}")
    own = list(point.parameters)
    if parameter is None:
        if len(own) != 2:
            raise AnalysisError(f"give the second parameter: {point.describe()} lies on a one-parameter branch")
        return own
    if isinstance(parameter, str):
        parameter = [parameter]
    parameter = list(parameter)
    if len(own) == 2 and set(parameter) <= set(own):
        return own
    if len(own) + len(parameter) != 2:
        raise AnalysisError(f"a curve has two parameters; the point has {own} and {parameter} were given")
    if parameter[0] == own[0]:
        raise AnalysisError(f"the second parameter must differ from the first ({own[0]!r})")
    return own + parameter


def _curve(kind, point, parameter, bounds, params, direction, settings, kw):
    pars = _parameters(point, parameter)
    s = point.system
    for q in pars:
        parameter_keys(s, q)
    st = _settings(settings if settings is not None else point.context.get("settings"), **kw)
    if "max_steps" not in kw or kw.get("max_steps") is None:
        st = st.updated(max_steps=min(st.max_steps, 1000))
    d = derivatives(s)
    allp = point.all_params
    base = {k: v for k, v in {**point.params, **dict(params or {})}.items() if k not in pars}
    pvals = []
    for q in pars:
        if q in allp:
            pvals.append(float(allp[q]))
        else:
            keys = parameter_keys(s, q)
            pvals.append(float(s.parameters[keys[0]]))
    for k in dict(params or {}):
        if k in pars:
            raise AnalysisError(f"{k!r} is a curve parameter; its start value comes from the point")
    b = dict(bounds or {})
    unknown = set(b) - set(pars) - set(s.labels)
    if unknown:
        from neurodyn.errors import close_matches
        k = sorted(unknown)[0]
        raise AnalysisError(f"bounds: {k!r} is neither a curve parameter nor a state; "
                            f"{close_matches(k, pars + list(s.labels))}")
    n = d.n
    y0 = np.concatenate([point.x, pvals])
    if kind == "hopf":
        if point.kind in ("hopf", "bautin", "double_hopf", "zero_hopf") and "omega" in point.data:
            kappa = float(point.data["omega"]) ** 2
        elif point.kind == "bogdanov_takens":
            kappa = 0.0
        else:
            raise AnalysisError(f"a Hopf curve starts at a Hopf, Bautin, zero-Hopf or Bogdanov-Takens point, "
                                f"not at {point.describe()}")
        y0 = np.append(y0, kappa)
        make = lambda: HopfSystem(d, pars, base, y0)              # noqa: E731
    else:
        if point.kind not in ("fold", "cusp", "bogdanov_takens", "zero_hopf"):
            raise AnalysisError(f"a fold curve starts at a fold, cusp, Bogdanov-Takens or zero-Hopf point, "
                                f"not at {point.describe()}")
        make = lambda: FoldSystem(d, pars, base, y0)              # noqa: E731
    # scales: states by magnitude, parameters by the span of their bounds (or their magnitude)
    pscale = []
    for q, v in zip(pars, pvals):
        lo, hi = b.get(q, (-np.inf, np.inf))
        pscale.append(hi - lo if np.isfinite(hi - lo) else max(abs(v), 1.0))
    scales = np.concatenate([state_scales(point.x, st.floor), pscale])
    groups = np.concatenate([np.ones(n, int), np.zeros(len(pars), int)])
    lower = np.array([b.get(k, (-np.inf, np.inf))[0] for k in list(s.labels) + pars], dtype=float)
    upper = np.array([b.get(k, (-np.inf, np.inf))[1] for k in list(s.labels) + pars], dtype=float)
    if kind == "hopf":
        kscale = max(abs(y0[-1]), 1e-6 * float(np.max(np.abs(point.eigenvalues)) ** 2), 1e-300)
        scales = np.append(scales, kscale)
        groups = np.append(groups, 2)
        lower, upper = np.append(lower, -np.inf), np.append(upper, np.inf)
    outside = [k for k, (lo, hi) in b.items() if k in pars and not lo <= pvals[pars.index(k)] <= hi]
    if outside:
        raise AnalysisError(f"the start point lies outside bounds for {outside[0]!r}: "
                            f"{pvals[pars.index(outside[0])]:g} not in {b[outside[0]]}")
    pb = make()
    try:
        A = pb.jacobian(y0) * scales
    except np.linalg.LinAlgError:
        raise ConvergenceError(f"the {kind} system is singular at the start {point.describe()}") from None
    _, _, Vh = np.linalg.svd(A / np.maximum(np.max(np.abs(A), axis=1, keepdims=True), 1e-300))
    t0 = Vh[-1] * scales
    pieces, stops = [], []
    dirs = {"both": (-1.0, 1.0), "forward": (1.0,), "backward": (-1.0,)}
    if direction not in dirs:
        raise AnalysisError(f"direction must be 'both', 'forward' or 'backward', got {direction!r}")
    for sign in dirs[direction]:
        pb = make()
        recs, stop = trace(pb, y0.copy(), sign * t0, scales, groups, lower, upper, st, names=pb.names)
        pieces.append((sign, recs, stop, pb))
        if stop.reason == "closed":
            break
    if len(pieces) == 2:
        (_, back, sb, _), (_, fwd, sf, pb) = pieces
        for r in back:
            r.t = -r.t
        recs = back[::-1] + fwd[1:]
        sb.index = 0
        sf.index = len(recs) - 1
        stops = [sb, sf]
    else:
        _, recs, stop, pb = pieces[0]
        stops = [stop]
    ctx = {"parameters": pars, "bounds": b, "settings": st}
    br = build_branch(kind, pars, s.labels, pb, recs, stops, s, base, ctx)
    return br


def fold_curve(point: SpecialPoint, parameter: str | None = None, bounds: Mapping | None = None,
               params: Mapping | None = None, direction: str = "both",
               settings: ContinuationSettings | None = None, **kw) -> Branch:
    """Continue a fold (limit point) in two parameters: the point's parameter and ``parameter``.

    Parameters
    ----------
    point : SpecialPoint
        A fold of a branch of equilibria (``branch.special('fold')[0]``), or a cusp, Bogdanov-Takens or
        zero-Hopf point of a curve (then ``parameter`` may be omitted).
    parameter : str
        The second parameter (path).
    bounds : dict {path or state label: (low, high)}, optional
        The curve stops where it leaves them (located exactly); without bounds it stops after ``max_steps``
        (default 1000) or when it closes.
    params : dict, optional
        Other parameter values (default: those of the branch).
    direction : 'both', 'forward' or 'backward'
    settings, **kw : ContinuationSettings or its fields (ds, ds_max, max_steps, ...)

    Returns
    -------
    Branch with ``kind='fold'``: ``points`` (both parameters, states, ``a``), ``special_points`` (cusp,
    bogdanov_takens with ``a``, ``b``, zero_hopf with ``omega``), ``stops`` (one per end).
    """
    return _curve("fold", point, parameter, bounds, params, direction, settings, kw)


def hopf_curve(point: SpecialPoint, parameter: str | None = None, bounds: Mapping | None = None,
               params: Mapping | None = None, direction: str = "both",
               settings: ContinuationSettings | None = None, **kw) -> Branch:
    """Continue a Hopf point in two parameters: the point's parameter and ``parameter``.

    Parameters as for :func:`fold_curve`; ``point`` is a Hopf point of a branch of equilibria (or a Bautin,
    zero-Hopf or Bogdanov-Takens point of a curve).

    Returns
    -------
    Branch with ``kind='hopf'``: ``points`` (both parameters, states, ``omega``, ``frequency``, ``l1``,
    ``neutral_saddle``), ``special_points`` (bogdanov_takens with ``a``, ``b``; bautin (l1 = 0) with
    ``omega``; zero_hopf; double_hopf with ``omega``, ``omega2``), ``stops``.
    """
    return _curve("hopf", point, parameter, bounds, params, direction, settings, kw)
