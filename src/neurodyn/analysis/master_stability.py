"""Master stability function and dispersion relation of the homogeneous state of a network.

For ``dx_n/dt = F(x_n, u_n)`` with coupling inputs ``u_n = gain sum_m W_nm h(x_m)`` (``form='normalised'``,
rows of ``W`` summing to 1) or ``u_n = gain sum_m W_nm (h(x_m) - h(x_n))`` (``form='laplacian'``, any ``W``),
the homogeneous state ``x_n(t) = x(t)`` is a solution of one node: the self-coupled node
(:func:`~neurodyn.analysis.homogeneous_node`) or the uncoupled node. Perturbations
``xi_n = sum_a c_a(t) v_a[n]`` along the eigenvectors ``v_a`` of ``W`` (or of the Laplacian ``W - diag(W 1)``)
decouple into modes

    d xi/dt = [DF(x(t)) + Lambda_a B(x(t))] xi,

``DF`` being the node Jacobian with its coupling input frozen at its homogeneous value and
``B = sum_c gain_c (df/du_c)(dh_c/dx)^T`` (REFERENCE section 5: ``eps Lambda B`` there; our ``B`` contains the
global coupling when the template multiplies its input by it). The growth rate of mode ``Lambda``:

* fixed point: ``max Re eig(DF + Lambda B)``;
* periodic orbit: ``max ln|mu| / T`` over the Floquet multipliers of the mode's monodromy matrix, computed by
  collocation on the orbit's own mesh (:mod:`neurodyn.analysis.floquet`), all modes in batched solves; for the
  synchronous mode (``Lambda = 1``, normalised; ``Lambda = 0``, Laplacian) the trivial multiplier along the
  flow is removed.

Lambda may be complex (non-symmetric connectomes). The seed's sketch (the isolated node's Jacobian without the
``Lambda B`` term, no monodromy or QR) cannot see transverse instabilities and is not what this computes.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Coupling
>>> from neurodyn.analysis import homogeneous_system, find_fixed_points, master_stability
>>> c = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")
>>> p = {"ei_ping_op/eps": 3.0, "ei_ping_op/I_ext_e": 2.0}
>>> hom = homogeneous_system("ei_ping_pop", c, p)
>>> fp = find_fixed_points(hom, bounds={"node/ei_ping_op/r_e": (1e-9, 1.0)})[0]
>>> msf = master_stability("ei_ping_pop", c, fp, p)
>>> bool(msf([1.0])[0] < 0)                       # the synchronous mode of a stable fixed point decays
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from neurodyn.analysis.batched import BatchedSystem
from neurodyn.analysis.collocation import NotACycleError, evaluate_profile
from neurodyn.analysis.fixed_points import FixedPoint
from neurodyn.analysis.floquet import collocation_monodromy, split_trivial_multiplier
from neurodyn.analysis.jacobian import AnalysisError, SymbolicSystem, _node_and_couplings, homogeneous_node
from neurodyn.analysis.periodic import PeriodicOrbit
from neurodyn.errors import ConnectomeError, InputError

__all__ = ["FORMS", "homogeneous_system", "master_stability", "MasterStabilityFunction", "dispersion_relation",
           "DispersionRelation"]

FORMS = ("normalised", "laplacian")


def _form(form: str) -> str:
    f = {"normalized": "normalised", "diffusive": "laplacian"}.get(form, form)
    if f not in FORMS:
        raise InputError(f"form must be 'normalised' (row-normalised W) or 'laplacian' (diffusive coupling "
                         f"W - diag(W 1)), got {form!r}")
    return f


def _node_params(params: Mapping | None) -> dict:
    """Accept 'op/var', 'all/op/var' or 'node/op/var' keys; return 'node/op/var'."""
    out = {}
    for k, v in dict(params or {}).items():
        k = str(k)
        if k.startswith("all/"):
            k = "node/" + k[4:]
        elif k.count("/") == 1:
            k = "node/" + k
        out[k] = v
    return out


def homogeneous_system(node, couplings, params: Mapping | None = None, form: str = "normalised") -> SymbolicSystem:
    """The one-node system that the homogeneous state of the network obeys (states ``node/op/var``).

    ``'normalised'``: the self-coupled node (:func:`homogeneous_node`); ``'laplacian'``: the uncoupled node
    (its coupling inputs are 0 on the homogeneous state). Compute fixed points and cycles on this system and
    pass them to :func:`master_stability` / :func:`dispersion_relation` with the same ``params``.
    """
    form = _form(form)
    p = _node_params(params)
    if form == "normalised":
        return SymbolicSystem.from_circuit(homogeneous_node(node, couplings), params=p)
    return _Linearizer(node, couplings, p).iso


class _Linearizer:
    """DF and B of a node at many states at once (coupling inputs frozen at their homogeneous values)."""

    def __init__(self, node, couplings, params: dict):
        from neurodyn.lang.templates import CircuitTemplate
        self.node, self.couplings = _node_and_couplings(node, couplings)
        circ = CircuitTemplate(f"isolated_{self.node.name}", nodes={"node": self.node})
        self.targets = sorted({c.target for c in self.couplings})
        self.iso = SymbolicSystem.from_circuit(circ, params=params, driven=[f"node/{t}" for t in self.targets])
        self.b = BatchedSystem(self.iso)
        self.params = params

    def __call__(self, X: np.ndarray, form: str):
        X = np.atleast_2d(X)
        k = X.shape[0]
        u = {f"node/{t}": np.zeros(k) for t in self.targets}
        grads = []
        for c in self.couplings:
            h, gh = self.b.evaluate(f"node/{c.source}", X, self.params)
            if form == "normalised":
                u[f"node/{c.target}"] = u[f"node/{c.target}"] + c.gain * h
            grads.append(gh)
        pars = dict(self.params)
        pars.update(u)
        DF = self.b.jacobian(X, pars)
        B = np.zeros_like(DF)
        for c, gh in zip(self.couplings, grads):
            B += c.gain * self.b.dfdp(X, f"node/{c.target}", pars)[:, :, None] * gh[:, None, :]
        F = self.b.f(X, pars)
        return F, DF, B


def _same_states(labels, expected) -> bool:
    tail = lambda l: l.split("/", 1)[-1]                                          # noqa: E731
    return len(labels) == len(expected) and all(tail(a) == tail(b) for a, b in zip(labels, expected))


@dataclass(eq=False)
class MasterStabilityFunction:
    """Growth rates of the network modes ``d xi/dt = (DF + Lambda B) xi`` about one homogeneous state.

    Call it with eigenvalues ``Lambda`` (real or complex) for the growth rates; :meth:`exponents` gives every
    exponent, :meth:`multipliers` the Floquet multipliers (cycles), :meth:`curve` / :meth:`grid` the continuous
    function, :meth:`dispersion` its values on a connectome's eigenmodes.

    Attributes
    ----------
    state : FixedPoint array or PeriodicOrbit
    form : 'normalised' or 'laplacian'
    DF, B : arrays
        ``(n, n)`` at a fixed point; ``(ntst, ncol, n, n)`` at the Gauss points of the orbit's mesh (times
        :attr:`times`) for a cycle.
    labels : list of str
    """

    state: object
    form: str
    DF: np.ndarray
    B: np.ndarray
    labels: list
    period: float | None = None
    times: np.ndarray | None = None
    _f0: np.ndarray | None = None

    @property
    def is_cycle(self) -> bool:
        return self.period is not None

    @property
    def synchronous_lambda(self) -> float:
        """The eigenvalue of the synchronous mode (1 for row-normalised W, 0 for the Laplacian)."""
        return 1.0 if self.form == "normalised" else 0.0

    def mode_matrix(self, Lambda: complex) -> np.ndarray:
        """``DF + Lambda B`` (at every Gauss point for a cycle)."""
        return self.DF + Lambda * self.B

    def _lambdas(self, Lambdas) -> np.ndarray:
        L = np.atleast_1d(np.asarray(Lambdas))
        if L.ndim != 1 or not np.all(np.isfinite(L)):
            raise InputError(f"Lambdas must be a finite 1-d array of eigenvalues, got shape {L.shape}")
        return L.astype(complex) if np.iscomplexobj(L) and np.any(L.imag != 0) else L.real.astype(float)

    def _sync(self, L: np.ndarray) -> np.ndarray:
        return np.abs(L - self.synchronous_lambda) <= 1e-9

    def multipliers(self, Lambdas, drop_trivial: bool = True) -> np.ndarray:
        """Floquet multipliers of every mode (cycles only), (len(Lambdas), n), by decreasing modulus; for the
        synchronous mode the trivial multiplier is removed (NaN in the last column) unless ``drop_trivial``
        is False."""
        if not self.is_cycle:
            raise AnalysisError("multipliers are defined for a periodic orbit; this is a fixed point "
                                "(use exponents: the eigenvalues of DF + Lambda B)")
        L = self._lambdas(Lambdas)
        M = self.monodromy(L)
        ev = np.linalg.eigvals(M).astype(complex)
        ev = np.take_along_axis(ev, np.argsort(-np.abs(ev), axis=1, kind="stable"), axis=1)
        for i in np.flatnonzero(self._sync(L) if drop_trivial else []):
            _, rest = split_trivial_multiplier(M[i], self._f0)
            ev[i] = np.append(rest, np.nan)
        return ev

    def monodromy(self, Lambdas, chunk: int = 64) -> np.ndarray:
        """Monodromy matrices of the modes over one period, (len(Lambdas), n, n) (cycles only), by collocation on
        the orbit's mesh; the mode matrices are formed ``chunk`` eigenvalues at a time."""
        if not self.is_cycle:
            raise AnalysisError("a monodromy matrix needs a periodic orbit; this is a fixed point")
        L = self._lambdas(Lambdas)
        n = len(self.labels)
        out = np.empty((L.size, n, n), dtype=complex if np.iscomplexobj(L) else float)
        for a in range(0, L.size, chunk):
            A = self.DF[None] + L[a:a + chunk, None, None, None, None] * self.B[None]
            out[a:a + chunk] = collocation_monodromy(A, self.period, self.state.mesh, self.state.scheme)
        return out

    def exponents(self, Lambdas, k: int | None = None, drop_trivial: bool = True) -> np.ndarray:
        """The ``k`` largest growth exponents of every mode (all ``n`` by default), (len(Lambdas), k), real:
        ``Re eig(DF + Lambda B)`` for a fixed point, ``ln|mu| / T`` for a cycle (trivial one removed for the
        synchronous mode, NaN in the last column, unless ``drop_trivial`` is False)."""
        n = len(self.labels)
        if k is None:
            k = n
        if not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
            raise InputError(f"k must be an integer in 1..{n} (the node has {n} state coordinates), got {k!r}")
        L = self._lambdas(Lambdas)
        if self.is_cycle:
            with np.errstate(divide="ignore", invalid="ignore"):
                ex = np.log(np.abs(self.multipliers(L, drop_trivial))) / self.period
        else:
            ev = np.linalg.eigvals(self.DF[None] + L[:, None, None] * self.B[None])
            ex = -np.sort(-ev.real, axis=1)
        return ex[:, :k]

    def __call__(self, Lambdas, drop_trivial: bool = True) -> np.ndarray:
        """Growth rate (largest exponent) of every mode (for a cycle's synchronous mode, of the transverse
        multipliers unless ``drop_trivial`` is False)."""
        return self.exponents(Lambdas, 1, drop_trivial)[:, 0]

    def curve(self, lo: float = -1.0, hi: float = 1.0, n: int = 201) -> pd.DataFrame:
        """The continuous growth rate over real Lambda in [lo, hi] (trivial exponent kept: for a cycle it
        touches 0 at the synchronous Lambda)."""
        L = np.linspace(float(lo), float(hi), int(n))
        return pd.DataFrame({"Lambda": L, "growth_rate": self(L, drop_trivial=False)})

    def grid(self, re=(-1.0, 1.0), im=(-1.0, 1.0), n: int = 25):
        """Growth rate on an ``n x n`` grid of complex Lambda, as an xarray DataArray (dims 'im', 're')."""
        from neurodyn._xr import xr
        a = np.linspace(*map(float, re), int(n))
        b = np.linspace(*map(float, im), int(n))
        L = (a[None, :] + 1j * b[:, None]).ravel()
        g = self(L, drop_trivial=False).reshape(len(b), len(a))
        return xr.DataArray(g, coords={"im": b, "re": a}, dims=("im", "re"), name="growth_rate")

    def dispersion(self, connectome, *, grid_points: int = 25, curve_points: int = 201) -> "DispersionRelation":
        """The dispersion relation on a connectome's eigenmodes (see :func:`dispersion_relation`)."""
        return _dispersion(self, connectome, grid_points, curve_points)

    def __repr__(self) -> str:
        kind = f"cycle (period {self.period:.6g})" if self.is_cycle else "fixed point"
        return f"<MasterStabilityFunction ({self.form}) about a {kind}: {len(self.labels)} states>"


def master_stability(node, couplings, state, params: Mapping | None = None,
                     form: str = "normalised", tol: float = 1e-6) -> MasterStabilityFunction:
    """The master stability function of the homogeneous state ``state`` of a network of ``node``.

    Parameters
    ----------
    node : NodeTemplate or template name
    couplings : Coupling or list of Coupling
    state : FixedPoint, state vector or PeriodicOrbit
        A fixed point or periodic orbit of :func:`homogeneous_system` (same ``params`` and ``form``).
    params : dict, optional
        Node parameters (``op/var``, ``node/op/var`` or ``all/op/var``); an orbit's own ``params`` are used
        underneath.
    form : {'normalised', 'laplacian'}
    tol : float
        Largest accepted residual of the state (``|f|`` of a fixed point; collocation defect of an orbit,
        relative to ``|dx/dt|``).

    Raises
    ------
    AnalysisError
        The state is not an equilibrium of the homogeneous node (with the residual).
    NotACycleError
        The orbit is not a periodic orbit of the homogeneous node at these parameters (with the residual).
    """
    form = _form(form)
    p = _node_params(params)
    if isinstance(state, PeriodicOrbit):
        merged = _node_params({k: v for k, v in state.params.items()})
        merged.update(p)
        lin = _Linearizer(node, couplings, merged)
        labels = list(lin.iso.labels)
        if not _same_states(state.labels, labels):
            raise InputError(f"the orbit's states {state.labels} are not the node's {labels}")
        X = state.gauss_states()
        N, m, n = X.shape
        F, DF, B = lin(X.reshape(-1, n), form)
        # the orbit must solve the homogeneous node: u'(tau) = T f(u) at the Gauss points
        tau = (state.mesh[:-1, None] + np.diff(state.mesh)[:, None] * state.scheme.gauss_points[None, :]).ravel()
        du = evaluate_profile(state.nodes, state.mesh, state.scheme, tau, deriv=1) / state.period
        # F is the homogeneous node's f: the node's f with its coupling input at the homogeneous value
        res = float(np.max(np.abs(du - F)) / max(np.max(np.abs(F)), 1e-300))
        if not res <= tol:
            raise NotACycleError(f"the orbit is not a periodic orbit of the homogeneous node ({form}) at these "
                                 f"parameters: relative defect {res:.3g} > tol = {tol:g}. Compute it on "
                                 f"homogeneous_system(node, couplings, params, form={form!r}) with the same params.",
                                 residual=res)
        f0 = lin(state.nodes[:1], form)[0][0]
        return MasterStabilityFunction(state, form, DF.reshape(N, m, n, n), B.reshape(N, m, n, n), labels,
                                       float(state.period), state.gauss_times(), f0)
    x = state.x if isinstance(state, FixedPoint) else np.asarray(state, dtype=float)
    lin = _Linearizer(node, couplings, p)
    labels = list(lin.iso.labels)
    if x.shape != (len(labels),):
        raise InputError(f"a fixed point must have shape ({len(labels)},) for {labels}, got {x.shape}")
    F, DF, B = lin(x[None], form)
    res = float(np.max(np.abs(F)))
    if not res <= tol:
        raise AnalysisError(f"the state is not an equilibrium of the homogeneous node ({form}): |f| = {res:.3g} > "
                            f"tol = {tol:g}. Find it with find_fixed_points(homogeneous_system(node, couplings, "
                            f"params, form={form!r})) using the same params.")
    return MasterStabilityFunction(x, form, DF[0], B[0], labels)


# --------------------------------------------------------------------------------------------- connectome
@dataclass(eq=False)
class DispersionRelation:
    """Growth rates of a network's eigenmodes about its homogeneous state.

    Attributes
    ----------
    msf : MasterStabilityFunction
    eigenvalues : (R,) array
        Eigenvalues ``Lambda`` of ``W`` (normalised) or of ``W - diag(W 1)`` (Laplacian), real if the spectrum
        is real; ordered by decreasing growth rate.
    eigenvectors : (R, R) array
        Column ``a`` is the spatial pattern of mode ``a`` (unit norm).
    growth_rates : (R,) array
        Largest exponent of every mode.
    exponents : (R, n) array
        Every exponent of every mode (NaN for the trivial one of the synchronous mode).
    labels : list of str
        Region labels.
    curve : DataFrame
        Growth rate over real Lambda covering the spectrum (computed on first use, ``curve_points`` values).
    grid : xarray.DataArray or None
        Growth rate over a ``grid_points`` x ``grid_points`` grid of complex Lambda covering the spectrum
        (computed on first use; None for a real spectrum).
    """

    msf: MasterStabilityFunction
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    growth_rates: np.ndarray
    exponents: np.ndarray
    labels: list
    curve_range: tuple = (-1.0, 1.0)
    curve_points: int = 201
    grid_points: int = 25

    @property
    def is_real(self) -> bool:
        return not np.iscomplexobj(self.eigenvalues)

    @property
    def curve(self) -> pd.DataFrame:
        if "_curve" not in self.__dict__:
            self.__dict__["_curve"] = self.msf.curve(*self.curve_range, self.curve_points)
        return self.__dict__["_curve"]

    @property
    def grid(self):
        if self.is_real:
            return None
        if "_grid" not in self.__dict__:
            imax = float(np.abs(np.imag(self.eigenvalues)).max()) * 1.1
            self.__dict__["_grid"] = self.msf.grid(self.curve_range, (-imax, imax), self.grid_points)
        return self.__dict__["_grid"]

    @property
    def unstable(self) -> np.ndarray:
        """Mask of the modes with a positive growth rate."""
        return self.growth_rates > 0

    @property
    def n_unstable(self) -> int:
        return int(np.sum(self.unstable))

    @property
    def synchronous_index(self) -> int:
        return int(np.argmin(np.abs(self.eigenvalues - self.msf.synchronous_lambda)))

    @property
    def patterns(self) -> pd.DataFrame:
        """Spatial patterns (eigenvectors) of the unstable modes, one column per mode (by decreasing growth),
        indexed by region."""
        idx = np.flatnonzero(self.unstable)
        V = self.eigenvectors[:, idx]
        return pd.DataFrame(V, index=pd.Index(self.labels, name="region"),
                            columns=[f"mode {i} (Lambda {np.round(self.eigenvalues[i], 4)})" for i in idx])

    @property
    def table(self) -> pd.DataFrame:
        """One row per eigenmode: Lambda, growth rate, unstable."""
        L = self.eigenvalues
        df = pd.DataFrame({"Lambda_re": np.real(L), "Lambda_im": np.imag(L), "growth_rate": self.growth_rates,
                           "unstable": self.unstable})
        df.index.name = "mode"
        return df

    def plot(self, ax=None):
        """The growth rate over real Lambda with the connectome's eigenvalues (unstable in red); for a complex
        spectrum also the growth rate over the complex plane with the eigenvalues and its zero contour.
        Returns the figure."""
        import matplotlib.pyplot as plt
        complex_spec = not self.is_real
        if ax is None:
            fig, axes = plt.subplots(1, 2 if complex_spec else 1, figsize=(10 if complex_spec else 5.5, 4),
                                     squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(ax)
            fig = axes[0].figure
        a0 = axes[0]
        a0.plot(self.curve["Lambda"], self.curve["growth_rate"], color="k", lw=1.2, label="real Lambda")
        L = self.eigenvalues
        u = self.unstable.copy()
        sync = np.zeros(len(L), bool)
        sync[self.synchronous_index] = abs(L[self.synchronous_index] - self.msf.synchronous_lambda) < 1e-12
        a0.scatter(np.real(L)[~u & ~sync], self.growth_rates[~u & ~sync], s=14, color="tab:blue", zorder=3,
                   label="stable modes")
        a0.scatter(np.real(L)[u & ~sync], self.growth_rates[u & ~sync], s=18, color="tab:red", zorder=3,
                   label="unstable modes")
        if sync.any():
            a0.scatter(np.real(L)[sync], self.growth_rates[sync], s=60, marker="*", zorder=4,
                       color="tab:red" if u[sync][0] else "tab:blue",
                       label="synchronous mode" + (" (trivial exponent removed)" if self.msf.is_cycle else ""))
        a0.axhline(0.0, color="0.6", lw=0.8)
        a0.set_xlabel("Re Lambda")
        a0.set_ylabel("growth rate (1 / time unit)")
        a0.set_title(f"dispersion relation ({'cycle' if self.msf.is_cycle else 'fixed point'}): "
                     f"{self.n_unstable} unstable")
        a0.legend(fontsize=8)
        if complex_spec and len(axes) > 1:
            a1 = axes[1]
            g = self.grid
            im = a1.pcolormesh(g["re"], g["im"], g.values, shading="auto", cmap="RdBu_r",
                               vmin=-np.nanmax(np.abs(g.values)), vmax=np.nanmax(np.abs(g.values)))
            a1.contour(g["re"], g["im"], g.values, levels=[0.0], colors="k", linewidths=0.8)
            a1.scatter(np.real(L), np.imag(L), s=10, c=np.where(u, "tab:red", "k"))
            a1.set_xlabel("Re Lambda")
            a1.set_ylabel("Im Lambda")
            fig.colorbar(im, ax=a1, label="growth rate")
        if ax is None:
            fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        return (f"<DispersionRelation ({self.msf.form}) over {len(self.eigenvalues)} modes: {self.n_unstable} "
                f"unstable, largest growth rate {np.nanmax(self.growth_rates):.4g}>")


def _weights(connectome) -> tuple[np.ndarray, list]:
    from neurodyn.network import Connectome
    if isinstance(connectome, Connectome):
        return np.asarray(connectome.weights, dtype=float), [str(x) for x in connectome.labels]
    W = np.asarray(connectome, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or not np.all(np.isfinite(W)):
        raise ConnectomeError(f"the connectivity must be a finite square matrix, got shape {W.shape}")
    return W, [f"r{i}" for i in range(W.shape[0])]


def _mode_matrix_of(connectome, form: str):
    """The matrix whose eigenvalues are the modes' Lambda: W (normalised, checked) or W - diag(W 1)."""
    W, labels = _weights(connectome)
    if form == "normalised":
        rows = W.sum(axis=1)
        if not np.allclose(rows, 1.0, rtol=0, atol=1e-10):
            bad = int(np.argmax(np.abs(rows - 1.0)))
            raise ConnectomeError(
                f"the connectivity is not row-normalised (row sums in [{rows.min():.6g}, {rows.max():.6g}], e.g. "
                f"region {labels[bad]!r}: {rows[bad]:.6g}); the reduction to one self-coupled node needs "
                f"sum_m W_nm = 1. Normalise it with Connectome.normalise('rows') (and simulate the network with the "
                f"same weights), or use form='laplacian' for diffusive coupling.")
        return W, labels
    return W - np.diag(W.sum(axis=1)), labels


def _dispersion(msf: MasterStabilityFunction, connectome, grid_points: int, curve_points: int) -> DispersionRelation:
    A, labels = _mode_matrix_of(connectome, msf.form)
    ev, V = np.linalg.eig(A)
    scale = max(1.0, float(np.abs(ev).max()))
    real = bool(np.max(np.abs(ev.imag)) <= 1e-10 * scale)
    if real:
        ev = ev.real
        V = np.real(V * np.exp(-1j * np.angle(V[np.argmax(np.abs(V), axis=0), np.arange(V.shape[1])]))[None, :])
    V = V / np.linalg.norm(V, axis=0)[None, :]
    sync = int(np.argmin(np.abs(ev - msf.synchronous_lambda)))
    if abs(ev[sync] - msf.synchronous_lambda) < 1e-8 * scale:
        ev = ev.astype(complex) if not real else ev.copy()
        ev[sync] = msf.synchronous_lambda
    ex = msf.exponents(ev)
    growth = np.nanmax(ex, axis=1)
    order = np.argsort(-growth, kind="stable")
    ev, V, ex, growth = ev[order], V[:, order], ex[order], growth[order]
    re = np.real(ev)
    pad = 0.05 * max(re.max() - re.min(), 1e-3)
    lo, hi = (min(re.min() - pad, -1.0), max(re.max() + pad, 1.0)) if msf.form == "normalised" else \
        (re.min() - pad, max(re.max() + pad, 0.0))
    return DispersionRelation(msf, ev, V, growth, ex, labels, (float(lo), float(hi)), int(curve_points),
                              int(grid_points))


def dispersion_relation(network, state, params: Mapping | None = None, *, form: str = "normalised",
                        grid_points: int = 25, curve_points: int = 201, tol: float = 1e-6) -> DispersionRelation:
    """Growth rate of every eigenmode of a network's connectivity about its homogeneous state.

    Parameters
    ----------
    network : BrainNetwork
        Node, connectome and couplings (without conduction delays).
    state : FixedPoint, state vector or PeriodicOrbit
        Of :func:`homogeneous_system` (``network.node``, ``network.couplings``, ``params``, ``form``).
    params : dict, optional
        Node parameters (``op/var`` keys as for ``BrainNetwork.simulate``).
    form : {'normalised', 'laplacian'}
        ``'normalised'`` needs rows of the weights summing to 1 (``Connectome.normalise('rows')``).
    grid_points, curve_points : int
        Resolution of the complex grid (complex spectra only) and of the real curve.

    Returns
    -------
    DispersionRelation

    Raises
    ------
    AnalysisError
        The network has conduction delays (the modes of a delay network are not given by these matrices).
    ConnectomeError
        ``form='normalised'`` with a connectivity that is not row-normalised.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodyn.network import BrainNetwork, Connectome, Coupling
    >>> from neurodyn.analysis import homogeneous_system, find_fixed_points, dispersion_relation
    >>> W = Connectome(np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0.]])).normalise("rows")
    >>> net = BrainNetwork("ei_ping_pop", W, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    >>> p = {"ei_ping_op/eps": 3.0, "ei_ping_op/I_ext_e": 2.0}
    >>> fp = find_fixed_points(homogeneous_system(net.node, net.couplings, p),
    ...                        bounds={"node/ei_ping_op/r_e": (1e-9, 1.0)})[0]
    >>> dispersion_relation(net, fp, p).n_unstable
    0
    """
    from neurodyn.network import BrainNetwork
    if not isinstance(network, BrainNetwork):
        raise InputError(f"network must be a BrainNetwork (node, connectome, couplings), got "
                         f"{type(network).__name__}; for a bare matrix use master_stability(...).dispersion(W)")
    if network.speed is not None:
        raise AnalysisError(
            f"{network!r} has conduction delays (speed = {network.speed}): the modes of a delay network obey "
            f"delay equations, not d xi/dt = (DF + Lambda B) xi, and are not computed here. Build the network "
            f"without speed= (instantaneous coupling) to analyse the delay-free system.")
    _mode_matrix_of(network.connectome, _form(form))             # refuse a non-normalised W before any work
    msf = master_stability(network.node, network.couplings, state, params, form, tol)
    W = network.connectome
    return _dispersion(msf, W, grid_points, curve_points)
