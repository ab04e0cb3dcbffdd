"""Connectivity of the spiking networks: all-to-all through the population rate, or sparse random (CSR).

- :class:`AllToAll`: every neuron receives every spike (its own too, as in the mean field's derivation), with
  weight J/N. Nothing is stored: the kernel applies the population's spike count to all neurons, O(N) per step.
- :class:`FixedInDegree`: each neuron receives from exactly K distinct neurons of the source population drawn at
  random (no self-connections), with weight J/K.
- :class:`ErdosRenyi`: each ordered pair (no self-pairs) is connected independently with probability p, with
  weight J/(p N_source).

Both sparse rules give a mean input equal to the all-to-all one; the fluctuations around it are the
finite-connectivity effect the mean field leaves out. Connections are drawn from the network's seed.

Examples
--------
>>> import numpy as np
>>> from neurodyn.spiking import FixedInDegree
>>> pre, post = FixedInDegree(3).draw(10, 10, np.random.default_rng(0), same_population=True)
>>> np.bincount(post, minlength=10).tolist()          # every neuron has in-degree 3
[3, 3, 3, 3, 3, 3, 3, 3, 3, 3]
>>> bool(np.any(pre == post))
False
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurodyn.errors import InputError

__all__ = ["AllToAll", "FixedInDegree", "ErdosRenyi", "csr_by_source"]


@dataclass(frozen=True)
class AllToAll:
    """All-to-all coupling (weight J/N), applied through the population spike count in O(N) per step."""

    sparse = False

    def __repr__(self) -> str:
        return "AllToAll()"

    def scale(self, n_source: int) -> float:
        return 1.0 / n_source


@dataclass(frozen=True)
class FixedInDegree:
    """Each neuron receives from ``k`` distinct random neurons of each source population (weight J/k)."""

    k: int
    sparse = True

    def __post_init__(self):
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 1:
            raise InputError(f"FixedInDegree: the in-degree k must be an integer >= 1, got {self.k!r}")

    def scale(self, n_source: int) -> float:
        return 1.0 / self.k

    def draw(self, n_source: int, n_target: int, rng: np.random.Generator, same_population: bool):
        """(pre, post) index arrays, sorted by target."""
        avail = n_source - 1 if same_population else n_source
        if self.k > avail:
            raise InputError(
                f"FixedInDegree: in-degree k = {self.k} is larger than the {avail} possible sources"
                f"{' (N - 1: no self-connections)' if same_population else ''} of a population of {n_source}; "
                f"use k <= {avail}, or AllToAll()")
        k = int(self.k)
        pre = np.empty((n_target, k), dtype=np.int64)
        if k * 4 <= avail:
            # rejection: draw k per row, redraw the rows that repeat a source (rare when k << N)
            todo = np.arange(n_target)
            while todo.size:
                cand = rng.integers(0, avail, size=(todo.size, k))
                srt = np.sort(cand, axis=1)
                ok = np.all(srt[:, 1:] != srt[:, :-1], axis=1) if k > 1 else np.ones(todo.size, bool)
                pre[todo[ok]] = cand[ok]
                todo = todo[~ok]
        else:
            for i in range(n_target):
                pre[i] = rng.choice(avail, size=k, replace=False)
        post = np.repeat(np.arange(n_target, dtype=np.int64), k)
        pre = pre.ravel()
        if same_population:
            pre = pre + (pre >= post)        # skip the neuron itself
        return pre, post


@dataclass(frozen=True)
class ErdosRenyi:
    """Each ordered pair of neurons connected independently with probability ``p`` (weight J/(p N_source))."""

    p: float
    sparse = True

    def __post_init__(self):
        if not (np.isfinite(self.p) and 0.0 < self.p <= 1.0):
            raise InputError(f"ErdosRenyi: the connection probability p must be in (0, 1], got {self.p!r}")

    def scale(self, n_source: int) -> float:
        return 1.0 / (self.p * n_source)

    def draw(self, n_source: int, n_target: int, rng: np.random.Generator, same_population: bool):
        """(pre, post) index arrays, sorted by target: per target, a binomial number of distinct sources."""
        avail = n_source - 1 if same_population else n_source
        if avail < 1:
            raise InputError(f"ErdosRenyi: a population of {n_source} neuron has no other neuron to connect to")
        degrees = rng.binomial(avail, self.p, size=n_target)
        pres = []
        for i in range(n_target):
            d = int(degrees[i])
            if d == 0:
                pres.append(np.empty(0, dtype=np.int64))
                continue
            # geometric skipping would be faster; choice without replacement is exact and fast enough here
            src = np.sort(rng.choice(avail, size=d, replace=False)).astype(np.int64)
            if same_population:
                src = src + (src >= i)
            pres.append(src)
        post = np.repeat(np.arange(n_target, dtype=np.int64), degrees)
        pre = np.concatenate(pres) if pres else np.empty(0, dtype=np.int64)
        return pre, post


def csr_by_source(pre: np.ndarray, post: np.ndarray, weights: np.ndarray, n_total: int):
    """CSR by presynaptic neuron (what a spike must reach): (indptr int64, targets int32, weights float64).

    Examples
    --------
    >>> ip, tg, w = csr_by_source(np.array([1, 0, 1]), np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0]), 3)
    >>> ip.tolist(), tg.tolist(), w.tolist()
    ([0, 1, 3, 3], [1, 0, 2], [2.0, 1.0, 3.0])
    """
    order = np.argsort(pre, kind="stable")
    indptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(np.bincount(pre, minlength=n_total), out=indptr[1:])
    return indptr, post[order].astype(np.int32), np.asarray(weights, dtype=float)[order]
