"""Fitting a whole-brain network to empirical targets (FC, FCD distribution, spectra) with optuna.

The optimiser is optuna's CMA-ES (``CmaEsSampler``, through the ``cmaes`` package) by default: the parameters of a
whole-brain fit are few and continuous (coupling, speed, drive, noise), their effects are correlated (coupling and
drive trade off) and the objective is noisy and not differentiable by us; CMA-ES adapts a full covariance to such
landscapes, needs no gradients, is invariant to the parameters' scales, and proposes a *generation* of points at
once, which is exactly a batch of trials run in parallel. ``sampler='tpe'`` (optuna's Tree-structured Parzen
Estimator) suits categorical or many loosely-coupled parameters better.

Trials run in batches as network sweeps (:class:`~neurodyn.sweep.NetworkSweep`, one point per trial), so they run
in parallel on the same Dask cluster as sweeps (``client=``); the study lives in optuna storage (an SQLite file
``*.db`` or a journal file ``*.log``), so a fit that is stopped resumes where it was (trials left running by a
killed client are run again). With ``common_noise=True`` (default) every trial sees the same noise realisation
(common random numbers): differences in loss then come from the parameters alone.

Examples
--------
>>> import numpy as np
>>> FCTarget(np.eye(3), "op/x", metric="rmse")
<FCTarget 3 x 3 of 'op/x' (rmse)>
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from neurodyn.errors import InputError, SweepDefinitionError
from neurodyn.observables import BOLD, FC, FCD, Spectrum, functional_connectivity, upper_triangle

__all__ = ["FCTarget", "FCDTarget", "SpectrumTarget", "FitResult", "fit", "open_storage"]

SAMPLERS = ("cmaes", "tpe")


class Target:
    """An empirical target: the observables a trial needs, and the loss of a trial's results (lower is better)."""

    def observables(self) -> list:
        raise NotImplementedError

    def loss(self, results: Mapping[str, np.ndarray]) -> float:
        raise NotImplementedError

    def config(self) -> dict:
        return {"target": type(self).__name__, **{k: v for k, v in _describe(vars(self)).items()}}


def _describe(d: Mapping) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, np.ndarray):
            import hashlib
            out[k] = f"array{list(v.shape)}:{hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()[:16]}"
        elif isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)):
            out[k] = [x if isinstance(x, (str, int, float, bool)) or x is None else repr(x) for x in v]
        elif isinstance(v, Mapping):
            out[k] = {str(a): (b if isinstance(b, (str, int, float, bool)) else repr(b)) for a, b in v.items()}
        else:
            out[k] = repr(v)
    return out


class FCTarget(Target):
    """Match an empirical FC matrix with the FC of ``variable`` (or of its BOLD signal, ``bold=dict(tr=...,
    bold_discard=seconds)``): loss ``1 - fc_similarity`` (``metric='correlation'``, the usual whole-brain score,
    blind to the overall strength of correlations) or the root-mean-square difference of the upper triangles
    (``metric='rmse'``, which sees it)."""

    def __init__(self, fc, variable: str, metric: str = "correlation", bold: Mapping | None = None,
                 name: str = "fit_fc"):
        self.fc = np.asarray(fc, dtype=float)
        if self.fc.ndim != 2 or self.fc.shape[0] != self.fc.shape[1]:
            raise InputError(f"FCTarget: fc must be a square matrix, got shape {self.fc.shape}")
        if metric not in ("correlation", "rmse"):
            raise InputError(f"FCTarget: metric must be 'correlation' or 'rmse', got {metric!r}")
        self.variable, self.metric, self.name = variable, metric, name
        self.bold = None if bold is None else dict(bold)

    def observables(self):
        if self.bold is None:
            return [FC(self.variable, name=self.name)]
        cfg = {k: v for k, v in self.bold.items() if k != "bold_discard"}
        return [BOLD(self.variable, name=self.name, **cfg)]

    def loss(self, results):
        if self.bold is None:
            sim = np.asarray(results[self.name])
        else:
            b = np.asarray(results[self.name])
            tr = float(self.bold.get("tr", 2.0))
            t = tr * np.arange(1, b.shape[0] + 1)
            sim = functional_connectivity(b[t > float(self.bold.get("bold_discard", 0.0))])
        a, e = upper_triangle(sim), upper_triangle(self.fc)
        if self.metric == "rmse":
            return float(np.sqrt(np.mean((a - e) ** 2)))
        return float(1.0 - np.corrcoef(a, e)[0, 1])

    def __repr__(self) -> str:
        n = self.fc.shape[0]
        return f"<FCTarget {n} x {n} of {self.variable!r} ({self.metric})>"


class FCDTarget(Target):
    """Match the distribution of an empirical FCD (its upper-triangle values, or the FCD matrix itself) with the
    FCD of the BOLD signal of ``variable``: loss = the Kolmogorov-Smirnov distance between the two distributions
    (the standard FCD fitting score; it ignores the windows' order)."""

    def __init__(self, fcd_values, variable: str, tr: float = 2.0, window: float = 60.0, step: float = 2.0,
                 bold_discard: float = 0.0, name: str = "fit_fcd", **bold):
        v = np.asarray(fcd_values, dtype=float)
        if v.ndim == 2 and v.shape[0] == v.shape[1]:
            v = upper_triangle(v)
        if v.ndim != 1 or v.size < 2:
            raise InputError(f"FCDTarget: give the FCD matrix or its upper-triangle values, got shape {v.shape}")
        self.values = np.sort(v)
        self.variable, self.tr, self.window, self.step = variable, float(tr), float(window), float(step)
        self.bold_discard, self.name, self.bold = float(bold_discard), name, dict(bold)

    def observables(self):
        return [FCD(self.variable, tr=self.tr, window=self.window, step=self.step, bold_discard=self.bold_discard,
                    name=self.name, **self.bold)]

    def loss(self, results):
        from scipy.stats import ks_2samp
        sim = upper_triangle(np.asarray(results[self.name]))
        return float(ks_2samp(sim, self.values).statistic)

    def __repr__(self) -> str:
        return f"<FCDTarget {self.values.size} FCD values of {self.variable!r}, tr {self.tr:g} s>"


class SpectrumTarget(Target):
    """Match spectra of ``variable``: the mean dominant frequency over regions (``dominant_frequency=`` Hz; loss =
    the relative difference), or a power spectrum (``psd=`` per frequency, the regions' mean, with
    ``frequencies=`` in Hz; loss = the mean squared difference of the log spectra, each normalised to unit total
    power, within ``band``)."""

    def __init__(self, variable: str, dominant_frequency: float | None = None, psd=None, frequencies=None,
                 band=None, nperseg: int | None = None, time_unit=None, name: str = "fit_psd"):
        if (dominant_frequency is None) == (psd is None):
            raise InputError("SpectrumTarget: give dominant_frequency= or psd= (with frequencies=)")
        self.variable, self.name, self.nperseg, self.time_unit = variable, name, nperseg, time_unit
        self.band = None if band is None else (float(band[0]), float(band[1]))
        self.dominant_frequency = None if dominant_frequency is None else float(dominant_frequency)
        self.psd = self.frequencies = None
        if psd is not None:
            self.psd = np.asarray(psd, dtype=float)
            self.frequencies = np.asarray(frequencies, dtype=float) if frequencies is not None else None
            if self.frequencies is None or self.frequencies.shape != self.psd.shape or self.psd.ndim != 1:
                raise InputError("SpectrumTarget: psd and frequencies must be 1-d arrays of the same length")
            if np.any(self.psd <= 0):
                raise InputError("SpectrumTarget: psd must be positive (its logarithm is compared)")

    def observables(self):
        return [Spectrum(self.variable, nperseg=self.nperseg, band=self.band, time_unit=self.time_unit,
                         name=self.name)]

    def loss(self, results):
        if self.dominant_frequency is not None:
            f = float(np.mean(results[f"{self.name}_dominant_frequency"]))
            return abs(f - self.dominant_frequency) / self.dominant_frequency
        f = np.asarray(results[f"{self.name}_frequency"])
        p = np.asarray(results[self.name]).mean(axis=1)
        lo, hi = self.band if self.band is not None else (self.frequencies.min(), self.frequencies.max())
        sel = (self.frequencies >= lo) & (self.frequencies <= hi)
        sim = np.interp(self.frequencies[sel], f, p)
        if np.any(sim <= 0):
            return float("inf")
        a, b = np.log(sim / sim.sum()), np.log(self.psd[sel] / self.psd[sel].sum())
        return float(np.mean((a - b) ** 2))

    def __repr__(self) -> str:
        what = (f"dominant frequency {self.dominant_frequency:g} Hz" if self.dominant_frequency is not None
                else f"psd of {self.psd.size} frequencies")
        return f"<SpectrumTarget {what} of {self.variable!r}>"


@dataclass
class FitResult:
    """A finished (or stopped) fit: the optuna ``study``, the best parameters and loss, and the trial count."""

    study: object
    best_params: dict
    best_value: float
    n_trials: int

    def __repr__(self) -> str:
        return f"<FitResult best loss {self.best_value:.4g} at {self.best_params} after {self.n_trials} trials>"


def open_storage(storage):
    """optuna storage for ``storage``: None (in memory), an RDB URL ('sqlite:///...', 'postgresql://...'), a
    ``*.db``/``*.sqlite`` path (SQLite) or a ``*.log``/``*.jsonl`` path (a journal file, safe on shared disks)."""
    if storage is None or not isinstance(storage, (str, Path)):
        return storage
    s = str(storage)
    if "://" in s:
        return s
    p = Path(s).resolve()
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix in (".db", ".sqlite", ".sqlite3"):
        return f"sqlite:///{p}"
    if p.suffix in (".log", ".jsonl", ".journal"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend
        return JournalStorage(JournalFileBackend(str(p)))
    raise InputError(f"storage {s!r}: give a *.db (SQLite) or *.log (journal) path, or an optuna storage URL")


def _distributions(parameters: Mapping):
    import optuna
    dists = {}
    for key, spec in parameters.items():
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise InputError(f"fit parameter {key!r}: give (low, high) or (low, high, 'log'), got {spec!r}")
        low, high = float(spec[0]), float(spec[1])
        log = len(spec) == 3 and spec[2] == "log"
        if len(spec) == 3 and spec[2] != "log":
            raise InputError(f"fit parameter {key!r}: the third entry can only be 'log', got {spec[2]!r}")
        if not low < high:
            raise InputError(f"fit parameter {key!r}: low ({low}) must be below high ({high})")
        dists[key] = optuna.distributions.FloatDistribution(low, high, log=log)
    return dists


def fit(network, parameters: Mapping, targets: Sequence, *, simulation_time: float, step_size: float,
        n_trials: int = 64, batch_size: int | None = None, sampler: str = "cmaes", storage=None,
        study_name: str = "neurodyn-fit", seed: int = 0, client=None, common_noise: bool = True,
        block_size: int = 1, progress: bool | None = False, **run) -> FitResult:
    """Fit ``parameters`` of ``network`` to ``targets``.

    Parameters
    ----------
    network : BrainNetwork
    parameters : dict {axis: (low, high) or (low, high, 'log')}
        Any sweep axis (``'op/var'``, ``'global_coupling'``, ``'speed'``, ``'noise:op/var'``, ...).
    targets : list of Target or of (Target, weight)
        :class:`FCTarget`, :class:`FCDTarget`, :class:`SpectrumTarget`; the loss is the weighted sum.
    n_trials : int
        Trials in the study when the fit ends (a resumed study counts its earlier trials).
    batch_size : int, optional
        Trials per batch (default: CMA-ES's population size 4 + 3 ln(d), at least 2 per worker).
    sampler : {'cmaes', 'tpe'}
    storage, study_name
        Where the study is kept (see :func:`open_storage`); an existing study of that name is resumed.
    client : Dask Client, 'local', 'serial' or None
        Where the batches run (as :meth:`NetworkSweep.run`).
    common_noise : bool
        Every trial runs with the same seed (``seed``); otherwise trial k gets its own.
    block_size : int
        Trials per task (1: each trial its own task, equal to its single run bit for bit).
    run
        The other arguments of the runs (as :class:`~neurodyn.sweep.NetworkSweep`: ``noise``, ``params``,
        ``discard``, ``sampling_step_size``, ...).
    """
    import optuna
    from neurodyn.solvers import seed_from_sequence
    from neurodyn.sweep.network import STATUS, NetworkSweep
    if sampler not in SAMPLERS:
        raise InputError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    weighted = [(t, 1.0) if isinstance(t, Target) else (t[0], float(t[1])) for t in targets]
    if not weighted:
        raise InputError("fit needs at least one target")
    dists = _distributions(parameters)
    observables = [o for t, _ in weighted for o in t.observables()]
    d = len(dists)
    if batch_size is None:
        workers = 1
        if client is not None and not isinstance(client, str):
            workers = max(1, sum(client.nthreads().values()))
        batch_size = max(4 + int(3 * np.log(d)), 2 * workers)
    if sampler == "cmaes":
        smp = optuna.samplers.CmaEsSampler(seed=seed, popsize=batch_size, warn_independent_sampling=False,
                                           independent_sampler=optuna.samplers.RandomSampler(seed=seed))
    else:
        smp = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=open_storage(storage), sampler=smp,
                                direction="minimize", load_if_exists=True)
    definition = json.dumps({"network": repr(network), "parameters": {k: list(v) for k, v in parameters.items()},
                             "targets": [[t.config(), w] for t, w in weighted], "simulation_time": simulation_time,
                             "step_size": step_size, "sampler": sampler, "seed": seed, "common_noise": common_noise,
                             "run": {k: repr(v) for k, v in sorted(run.items())}}, sort_keys=True)
    stored = study.user_attrs.get("neurodyn_fit")
    if stored is None:
        study.set_user_attr("neurodyn_fit", definition)
    elif stored != definition:
        from neurodyn.sweep.store import differences
        diff = differences(json.loads(stored), json.loads(definition))
        raise SweepDefinitionError(f"study {study_name!r} in {storage} was made by another fit:\n  "
                                   + "\n  ".join(diff[:12]) + "\nUse another study_name or storage")
    # trials a killed client left running are failed and run again
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
        study.enqueue_trial(t.params)
    own_client, cluster = client, None
    if client == "local":
        from neurodyn.sweep.runner import start_local_cluster
        own_client, cluster = start_local_cluster(max(1, min(batch_size, __import__("os").cpu_count() or 1)))
    try:
        finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
        while True:
            n_done = len(study.get_trials(deepcopy=False, states=finished))
            if n_done >= n_trials:
                break
            trials = [study.ask(dists) for _ in range(min(batch_size, n_trials - n_done))]
            points = []
            for t in trials:
                p = {k: t.params[k] for k in dists}
                p["seed"] = seed_from_sequence(seed, 0 if common_noise else t.number)
                points.append(p)
            sw = NetworkSweep(network, points=points, observables=observables, simulation_time=simulation_time,
                              step_size=step_size, seed=seed, block_size=block_size, **run)
            ds = sw.run(client=own_client or "serial", progress=progress)
            for j, t in enumerate(trials):
                if int(ds["status"].values[j]) != STATUS["done"]:
                    t.set_user_attr("error", str(ds["error"].values[j]))
                    study.tell(t, state=optuna.trial.TrialState.FAIL)
                    continue
                res = {k: np.asarray(ds[k].values[j]) for k in ds.data_vars if "point" in ds[k].dims}
                res.update({c: np.asarray(ds[c].values) for c in ds.coords if "point" not in ds[c].dims})
                value = sum(w * t_.loss(res) for t_, w in weighted)
                if not np.isfinite(value):
                    t.set_user_attr("error", "the loss is not finite")
                    study.tell(t, state=optuna.trial.TrialState.FAIL)
                else:
                    study.tell(t, float(value))
    finally:
        if cluster is not None:
            own_client.close()
            cluster.close()
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not done:
        raise InputError(f"no trial of the fit finished; the first error: "
                         f"{next((t.user_attrs.get('error') for t in study.trials if 'error' in t.user_attrs), '?')}")
    return FitResult(study, dict(study.best_params), float(study.best_value), len(study.trials))
