"""The Numba backend: generated kernel modules compiled with ``numba.njit`` (cached on disk), the runtime helpers
they call (:mod:`~neurodyn.backends.numba.runtime`), and ahead-of-time libraries
(:mod:`~neurodyn.backends.numba.aot`)."""
