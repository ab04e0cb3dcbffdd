"""Code generation from the IR to kernels (Numba by default, NumPy as the reference backend)."""
