"""neurodyn: neural dynamics across scales."""
from neurodyn._version import __version__
from neurodyn import errors

__all__ = ["__version__", "errors"]
