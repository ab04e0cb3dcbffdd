"""Memory estimates and budget checks: moved to :mod:`neurodyn.memory` (used by every part of neurodyn);
these names stay importable from here."""
from neurodyn.memory import available_memory_bytes, check_output_memory, estimate_output_bytes, format_bytes

__all__ = ["estimate_output_bytes", "check_output_memory", "format_bytes", "available_memory_bytes"]
