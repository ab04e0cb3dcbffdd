"""The NumPy backend: the vectorised reference implementation of the kernel contract (same generated rhs and
loop as the compiled backends, evaluated by NumPy), and the runtime helpers it calls."""
