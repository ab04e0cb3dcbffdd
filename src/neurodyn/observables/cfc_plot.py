"""Plot a comodulogram (PAC over phase frequency x amplitude frequency) with matplotlib.

Examples
--------
>>> import matplotlib; matplotlib.use("Agg")
>>> import numpy as np, xarray as xr
>>> como = xr.DataArray(np.random.default_rng(0).random((3, 2)), dims=("f_amplitude", "f_phase"),
...                     coords={"f_amplitude": [60.0, 80.0, 100.0], "f_phase": [4.0, 8.0]}, name="tort")
>>> ax = plot_comodulogram(como)
>>> ax.get_xlabel(), ax.get_ylabel()
('phase frequency', 'amplitude frequency')
"""
from __future__ import annotations

import numpy as np

from neurodyn.errors import InputError

__all__ = ["plot_comodulogram"]

_LABELS = {"mvl": "mean vector length", "tort": "modulation index", "heights_ratio": "heights ratio",
           "ndpac": "ndPAC", "phase_sync": "phase synchrony", "z": "z-score vs surrogates"}


def plot_comodulogram(result, ax=None, *, region=None, variable: str | None = None, alpha: float | None = 0.05,
                      p: str = "p_value", cmap: str = "viridis", colorbar: bool = True, title: str | None = None):
    """Show a comodulogram as an image: phase frequency on x, amplitude frequency on y; returns the Axes.

    Parameters
    ----------
    result : DataArray (f_amplitude, f_phase[, region]) or Dataset of a surrogate test
        From :func:`~neurodyn.observables.comodulogram`, :func:`~neurodyn.observables.pac` or
        :func:`~neurodyn.observables.pac_surrogate_test` / ``PhaseAmplitude.surrogate_test``.
    ax : matplotlib Axes, optional
    region : optional
        Region to show (a coordinate value of the region dim) when the result has several; or pass
        ``result.mean("region")``.
    variable : str, optional
        Dataset variable to show (default ``'pac'``; e.g. ``'z'``).
    alpha : float or None
        For a Dataset: outline the cells with ``p < alpha`` (None: no outline).
    p : str
        Which p-value outlines: ``'p_value'`` (per cell) or ``'p_value_max'`` (family-wise).
    """
    import matplotlib.pyplot as plt
    from neurodyn._xr import xr

    pvals = None
    if isinstance(result, xr.Dataset):
        variable = variable or "pac"
        if variable not in result:
            raise InputError(f"plot_comodulogram: the Dataset has no variable {variable!r}; it has "
                             f"{list(result.data_vars)}.")
        if alpha is not None:
            if p not in result:
                raise InputError(f"plot_comodulogram: the Dataset has no {p!r}; use p='p_value' or 'p_value_max'.")
            pvals = result[p]
        da = result[variable]
        name = result.attrs.get("method", variable) if variable == "pac" else variable
    elif isinstance(result, xr.DataArray):
        da, name = result, result.attrs.get("method", result.name)
    else:
        raise InputError(f"plot_comodulogram: expected an xarray DataArray or Dataset, got {type(result).__name__}.")
    missing = [d for d in ("f_amplitude", "f_phase") if d not in da.dims]
    if missing:
        raise InputError(f"plot_comodulogram: the result needs dims f_amplitude and f_phase; it has {da.dims}.")
    others = [d for d in da.dims if d not in ("f_amplitude", "f_phase")]
    if len(others) > 1:
        raise InputError(f"plot_comodulogram: too many dims {da.dims}; select one region first.")
    if others:
        dim = others[0]
        if region is not None:
            sel = (lambda x: x.sel({dim: region})) if dim in da.coords else (lambda x: x.isel({dim: region}))
        elif da.sizes[dim] == 1:
            sel = lambda x: x.isel({dim: 0})  # noqa: E731
        else:
            raise InputError(f"plot_comodulogram: the result has {da.sizes[dim]} entries along {dim!r}; choose one "
                             f"with region= or pass result.mean({dim!r}).")
        da = sel(da)
        pvals = None if pvals is None else sel(pvals)
    da = da.transpose("f_amplitude", "f_phase").sortby("f_phase").sortby("f_amplitude")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    x, y = np.asarray(da["f_phase"].values), np.asarray(da["f_amplitude"].values)
    mesh = ax.pcolormesh(x, y, da.values, cmap=cmap, shading="nearest")
    if pvals is not None:
        sig = (pvals.transpose("f_amplitude", "f_phase").sortby("f_phase").sortby("f_amplitude").values < alpha)
        if sig.any() and len(x) > 1 and len(y) > 1:
            ax.contour(x, y, sig.astype(float), levels=[0.5], colors="w", linewidths=1.0)
    units = da["f_phase"].attrs.get("units")
    suffix = f" ({units})" if units else ""
    ax.set_xlabel("phase frequency" + suffix)
    ax.set_ylabel("amplitude frequency" + suffix)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=_LABELS.get(str(name), str(name)))
    if title is not None:
        ax.set_title(title)
    return ax
