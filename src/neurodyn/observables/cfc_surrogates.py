"""Surrogate statistics for phase-amplitude coupling: z-scores and p-values against a seeded null distribution.

A surrogate keeps the phase and rearranges the amplitude in time, which destroys their relation but keeps
each series' spectrum (almost) intact:

``'time_shift'`` (Canolty et al. 2006)
    The amplitude is shifted circularly by a random lag ``L`` drawn uniformly from
    ``[min_shift, n - min_shift]`` samples (default ``min_shift = n // 10``): ``a_surr[t] = a[t - L]``.
    Cutting the amplitude at one random point and swapping the two blocks (Bahramisharif et al. 2013,
    tensorpac's "swap blocks") is the same operation (a shift by the cut), so ``'swap_blocks'`` is accepted as
    a name for it. tensorpac's "time lag" shifts the phase by ``s``: the lag ``-s`` here.
``'block_resampling'``
    The amplitude is cut into ``n_blocks`` consecutive blocks (``numpy.array_split``) put back in a random
    order (never the original one); more disruption of slow amplitude structure than a single shift.

One rearrangement per surrogate is drawn from ``numpy.random.default_rng(seed)`` and applied to every region
and band alike. Statistics per (amplitude band, phase band, region), with ``S`` surrogates:

* ``z = (pac - mean) / std`` of the surrogate values (``std`` with ``ddof=0``, as tensorpac's z-normalisation);
* ``p_value = (1 + #{surrogate >= pac}) / (S + 1)`` (one-sided; never 0, exact for exchangeable surrogates);
* ``p_value_max``: the same against the largest surrogate value over all (amplitude band, phase band) cells
  of the region, which controls the family-wise error over the comodulogram (the "max statistic").

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> phi = np.angle(np.exp(1j * np.cumsum(0.04 + 0.2 * rng.standard_normal(4000))))   # a jittery rhythm
>>> st = pac_surrogate_test(phi, 1 + 0.5 * np.cos(phi), "tort", n_surrogates=19, seed=1)
>>> float(st["p_value"]), bool(st["z"] > 10)                         # 1 / (19 + 1): beats every surrogate
(0.05, True)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurodyn.errors import InputError, close_matches
from neurodyn.observables import cfc_measures as M
from neurodyn.observables._cfc_data import PACArrays, precomputed_arrays

__all__ = ["SURROGATES", "SurrogatePlan", "surrogate_plan", "pac_surrogate_test"]

#: Surrogate kinds (module docstring).
SURROGATES = {
    "time_shift": "circular shift of the amplitude by a random lag (Canolty et al. 2006)",
    "block_resampling": "amplitude cut into n_blocks blocks put back in a random order",
}
_ALIASES = {"swap_blocks": "time_shift", "shift": "time_shift", "time_lag": "time_shift",
            "blocks": "block_resampling", "block_shuffle": "block_resampling"}


@dataclass(frozen=True)
class SurrogatePlan:
    """The rearrangements of the time axis, one per surrogate: ``lags`` (time_shift) or ``orders`` of the
    blocks delimited by ``bounds`` (block_resampling)."""

    kind: str
    n_times: int
    lags: np.ndarray | None = None
    bounds: np.ndarray | None = None
    orders: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lags) if self.lags is not None else len(self.orders)

    def __repr__(self) -> str:
        return f"<SurrogatePlan {self.kind}: {len(self)} surrogates of {self.n_times} samples>"

    def apply(self, k: int, x: np.ndarray) -> np.ndarray:
        """Surrogate ``k`` of ``x`` (time on the last axis)."""
        if self.lags is not None:
            return np.roll(x, int(self.lags[k]), axis=-1)
        b = self.bounds
        return np.concatenate([x[..., b[j]:b[j + 1]] for j in self.orders[k]], axis=-1)


def _resolve_kind(kind, where) -> str:
    key = str(kind).lower()
    if key in SURROGATES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    hint = close_matches(key, list(SURROGATES) + list(_ALIASES))
    raise InputError(f"{where}: unknown surrogate kind {kind!r}; {hint} "
                     f"(kinds: {', '.join(SURROGATES)}).")


def _positive_int(value, name, where, low=1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InputError(f"{where}: {name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def surrogate_plan(kind: str, n_times: int, n_surrogates: int = 200, *, seed: int | np.random.Generator = 0,
                   min_shift: int | None = None, n_blocks: int = 10, lags=None,
                   where: str = "surrogate_plan") -> SurrogatePlan:
    """Draw the rearrangements of ``n_surrogates`` surrogates of a record of ``n_times`` samples.

    ``lags`` (time_shift only) gives the lags explicitly, e.g. to reproduce another tool's surrogates; then
    ``n_surrogates`` is ``len(lags)``.

    >>> surrogate_plan("time_shift", 1000, 3, seed=0).lags.tolist()
    [781, 610, 509]
    """
    kind = _resolve_kind(kind, where)
    n_times = _positive_int(n_times, "n_times", where, 4)
    if lags is not None:
        if kind != "time_shift":
            raise InputError(f"{where}: lags= applies to kind='time_shift', not {kind!r}.")
        arr = np.asarray(lags)
        if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
            raise InputError(f"{where}: lags must be a non-empty 1-D sequence of integers (samples), got {lags!r}.")
        if (np.abs(arr) >= n_times).any():
            raise InputError(f"{where}: lags must lie in (-{n_times}, {n_times}) for {n_times} samples.")
        return SurrogatePlan(kind, n_times, lags=arr.astype(np.int64))
    n_surrogates = _positive_int(n_surrogates, "n_surrogates", where)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(
        _positive_int(seed, "seed", where, 0))
    if kind == "time_shift":
        m = n_times // 10 if min_shift is None else _positive_int(min_shift, "min_shift", where)
        m = max(m, 1)
        if n_times - 2 * m < 0:
            raise InputError(f"{where}: min_shift = {m} leaves no lag in [min_shift, n - min_shift] for {n_times} "
                             "samples; lower it.")
        return SurrogatePlan(kind, n_times, lags=rng.integers(m, n_times - m, size=n_surrogates, endpoint=True))
    nb = _positive_int(n_blocks, "n_blocks", where, 2)
    if nb > n_times:
        raise InputError(f"{where}: n_blocks = {nb} exceeds the {n_times} samples.")
    bounds = np.concatenate([[0], np.cumsum([len(c) for c in np.array_split(np.arange(n_times), nb)])])
    orders = np.empty((n_surrogates, nb), dtype=np.int64)
    ident = np.arange(nb)
    for k in range(n_surrogates):
        perm = rng.permutation(nb)
        while np.array_equal(perm, ident):
            perm = rng.permutation(nb)
        orders[k] = perm
    return SurrogatePlan(kind, n_times, bounds=bounds, orders=orders)


def run_surrogate_test(data: PACArrays, method: str, *, n_surrogates=200, kind="time_shift", seed=0,
                       min_shift=None, n_blocks=10, lags=None, keep_surrogates=False, n_bins=18, ndpac_p=None,
                       where="pac_surrogate_test", extra_attrs=None):
    """The surrogate test of ``method`` on prepared arrays; returns the Dataset of :func:`pac_surrogate_test`."""
    from neurodyn._xr import xr

    method = M.resolve_method(method, where)
    ndpac_p = M.check_ndpac_p(ndpac_p)
    n_bins = M.check_bins(n_bins)
    plan = surrogate_plan(kind, data.phase.shape[2], n_surrogates, seed=seed, min_shift=min_shift,
                          n_blocks=n_blocks, lags=lags, where=where)
    n_s = len(plan)
    obs = np.empty((data.n_regions, data.amplitude.shape[1], data.phase.shape[1]))
    surr = np.empty((n_s,) + obs.shape)
    for r0, r1 in data.chunks(method):
        feats = M.phase_features(method, data.phase[r0:r1], n_bins, r0)
        amp = np.ascontiguousarray(data.amplitude[r0:r1])
        psi = data.envelope_phase(r0, r1) if method == "phase_sync" else None
        obs[r0:r1] = M.measure(feats, amp, psi, ndpac_p, r0)
        for k in range(n_s):
            surr[k, r0:r1] = M.measure(feats, plan.apply(k, amp), None if psi is None else plan.apply(k, psi),
                                       ndpac_p, r0)
    mean, std = surr.mean(axis=0), surr.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (obs - mean) / std
    p = (1.0 + (surr >= obs).sum(axis=0)) / (n_s + 1.0)
    smax = surr.max(axis=(2, 3))                                   # (S, R)
    p_max = (1.0 + (smax[:, :, None, None] >= obs[None]).sum(axis=0)) / (n_s + 1.0)
    attrs = {"method": method, "description": M.PAC_METHODS[method], "surrogate_kind": plan.kind,
             "surrogate_description": SURROGATES[plan.kind], "n_surrogates": n_s,
             "seed": (int(seed) if isinstance(seed, (int, np.integer)) and lags is None
                      else "generator or explicit lags")}
    if plan.kind == "time_shift":
        attrs["lags"] = "see the surrogate_lag coordinate" if keep_surrogates else plan.lags.tolist()
    else:
        attrs["n_blocks"] = int(len(plan.bounds) - 1)
    if method in M.BINNED:
        attrs["n_bins"] = n_bins
    attrs.update(extra_attrs or {})
    lab = data.labelled
    ds = xr.Dataset({
        "pac": lab(obs, "pac"),
        "z": lab(z, "z"),
        "p_value": lab(p, "p_value"),
        "p_value_max": lab(p_max, "p_value_max"),
        "surrogate_mean": lab(mean, "surrogate_mean"),
        "surrogate_std": lab(std, "surrogate_std"),
    }, attrs={**data.attrs, **attrs})
    if keep_surrogates:
        extra = {"surrogate": ("surrogate", np.arange(n_s))}
        if plan.kind == "time_shift":
            extra["surrogate_lag"] = ("surrogate", plan.lags)
        ds["surrogates"] = lab(np.moveaxis(surr, 0, -1), "surrogates", extra_dims=("surrogate",), extra_coords=extra)
    for name in ds.data_vars:
        ds[name].attrs = {}
    return ds


def pac_surrogate_test(phase, amplitude, method: str = "tort", *, n_surrogates: int = 200,
                       kind: str = "time_shift", seed: int | np.random.Generator = 0, min_shift: int | None = None,
                       n_blocks: int = 10, lags=None, keep_surrogates: bool = False, n_bins: int = 18,
                       ndpac_p: float | None = None, amplitude_phase=None, f_phase=None, f_amplitude=None):
    """PAC of precomputed series with surrogate z-scores and p-values.

    Parameters
    ----------
    phase, amplitude, method, n_bins, ndpac_p, amplitude_phase, f_phase, f_amplitude
        As :func:`neurodyn.observables.pac`.
    n_surrogates : int
        Number of surrogates (``p_value`` resolves down to ``1 / (n_surrogates + 1)``).
    kind : {'time_shift', 'block_resampling'} (``'swap_blocks'`` = ``'time_shift'``)
    seed : int or numpy Generator
        Seeds ``numpy.random.default_rng``: the same seed gives the same surrogates.
    min_shift : int, optional
        Smallest lag of ``'time_shift'`` in samples (default ``n_times // 10``).
    n_blocks : int
        Blocks of ``'block_resampling'``.
    lags : sequence of int, optional
        Explicit lags of ``'time_shift'`` (overrides ``n_surrogates`` and ``seed``).
    keep_surrogates : bool
        Also return every surrogate value (variable ``surrogates`` with a ``surrogate`` dim).

    Returns
    -------
    xarray.Dataset with ``pac``, ``z``, ``p_value``, ``p_value_max``, ``surrogate_mean``, ``surrogate_std``
    over (f_amplitude, f_phase, region); the method and surrogate settings in its attrs. ``z`` is inf or nan
    where the surrogates do not spread (e.g. thresholded ndPAC values that are all 0).
    """
    data = precomputed_arrays(phase, amplitude, "pac_surrogate_test", f_phase, f_amplitude, amplitude_phase)
    return run_surrogate_test(data, method, n_surrogates=n_surrogates, kind=kind, seed=seed, min_shift=min_shift,
                              n_blocks=n_blocks, lags=lags, keep_surrogates=keep_surrogates, n_bins=n_bins,
                              ndpac_p=ndpac_p)
