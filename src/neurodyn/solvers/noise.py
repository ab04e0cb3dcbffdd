"""Where the Wiener increments of a stochastic fixed-step run come from.

A run with ``seed=s`` draws the increments of all its noise-driven states from one generator,
``numpy.random.default_rng(s)``, row by row (one row per step, one column per noisy state). A
:class:`NoiseStreams` instead gives consecutive blocks of those columns generators of their own: a vectorised
sweep puts each parameter set's states in one block, seeded by that set alone, so a swept point draws exactly
the numbers a single run with that seed draws, whatever the other points, the chunking of the time loop or the
number of workers. (A generator's stream does not depend on how the draws are split into calls, so chunks of
any length give the same numbers.)

Examples
--------
>>> import numpy as np
>>> two = NoiseStreams([(2, 11), (3, 12)])        # columns 0-1 from seed 11, columns 2-4 from seed 12
>>> xi = two.start(5).draw(4, 1.0)
>>> bool(np.array_equal(xi[:, :2], np.random.default_rng(11).standard_normal((4, 2))))
True
>>> bool(np.array_equal(NoiseStreams.single(7).start(3).draw(2, 1.0),
...                     np.random.default_rng(7).standard_normal((2, 3))))
True
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from neurodyn.errors import InputError

__all__ = ["NoiseStreams", "seed_from_sequence"]


def seed_from_sequence(seed: int | None, index: int) -> int:
    """The integer seed of item ``index`` of a family seeded by ``seed``: a 63-bit integer drawn from
    ``numpy.random.SeedSequence(seed, spawn_key=(index,))`` (the ``index``-th child of ``SeedSequence(seed)``), so
    seeds of different items are independent streams and each depends on (seed, index) only.

    >>> seed_from_sequence(1, 0) == seed_from_sequence(1, 0) != seed_from_sequence(1, 1)
    True
    """
    if seed is None or int(seed) != seed or seed < 0:
        raise InputError(f"a family of seeds needs a non-negative integer seed, got {seed!r}")
    if int(index) != index or index < 0:
        raise InputError(f"seed index must be a non-negative integer, got {index!r}")
    state = np.random.SeedSequence(int(seed), spawn_key=(int(index),)).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


class NoiseStreams:
    """Independent Gaussian streams for consecutive blocks of noise columns: ``blocks = [(width, seed), ...]``.

    The widths must add up to the number of noise-driven states of the run (in the order of ``noise=``); a
    width of 0 is allowed (a block with no noisy state). Pass the object as ``seed=`` of a run.
    ``NoiseStreams.single(s)`` is what ``seed=s`` means: one stream over every column.
    """

    def __init__(self, blocks: Sequence[tuple[int, int]]):
        checked = []
        for k, blk in enumerate(blocks):
            try:
                width, seed = blk
            except (TypeError, ValueError):
                raise InputError(f"NoiseStreams block {k} must be (width, seed), got {blk!r}") from None
            if int(width) != width or width < 0:
                raise InputError(f"NoiseStreams block {k}: width must be a non-negative integer, got {width!r}")
            if seed is not None and (int(seed) != seed or seed < 0):
                raise InputError(f"NoiseStreams block {k}: seed must be a non-negative integer, got {seed!r}")
            checked.append((int(width), None if seed is None else int(seed)))
        self.blocks = tuple(checked)
        self._all = False

    @classmethod
    def single(cls, seed: int | None) -> "NoiseStreams":
        """One stream for all columns (``seed=s`` of a run)."""
        s = cls([])
        s.blocks = ((-1, seed),)
        s._all = True
        return s

    @property
    def width(self) -> int | None:
        """Columns covered (None: all of them)."""
        return None if self._all else sum(w for w, _ in self.blocks)

    def start(self, n_columns: int) -> "_NoiseDraws":
        """Fresh generators for a run with ``n_columns`` noise-driven states."""
        if not self._all and self.width != n_columns:
            raise InputError(f"NoiseStreams covers {self.width} noise columns but the run has {n_columns} "
                             f"noise-driven states; give one block per group of states, widths adding up to "
                             f"{n_columns}")
        if self._all:
            return _NoiseDraws([(n_columns, np.random.default_rng(self.blocks[0][1]))], n_columns)
        return _NoiseDraws([(w, np.random.default_rng(s)) for w, s in self.blocks], n_columns)

    def __repr__(self) -> str:
        if self._all:
            return f"NoiseStreams.single({self.blocks[0][1]})"
        return f"<NoiseStreams {len(self.blocks)} blocks, {self.width} columns>"


class _NoiseDraws:
    """The generators of one run (consumed as the run proceeds)."""

    def __init__(self, gens: list, n_columns: int):
        self.gens = gens
        self.n = n_columns

    def draw(self, n_steps: int, dt: float) -> np.ndarray:
        """Increments ``(n_steps, n_columns)`` scaled by ``sqrt(dt)``, as the fixed-step kernels read them."""
        if self.n == 0:
            return np.zeros((n_steps, 0))
        if len(self.gens) == 1:
            return self.gens[0][1].standard_normal((n_steps, self.n)) * math.sqrt(dt)
        xi = np.empty((n_steps, self.n))
        c = 0
        for w, g in self.gens:
            if w:
                xi[:, c:c + w] = g.standard_normal((n_steps, w)) * math.sqrt(dt)
            c += w
        return xi
