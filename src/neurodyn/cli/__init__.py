"""Command line: ``neurodyn run``, ``neurodyn templates``, ``neurodyn brain``, ``neurodyn cache``.

Examples (shell)::

    neurodyn templates
    neurodyn run JRC --time 2 --dt 1e-4 --sampling 1e-3 --output jrc.nc --plot jrc.png
    neurodyn run my_model.yaml --time 10 --dt 1e-3 --plot my.png
    neurodyn brain --connectome tvb76 --normalise rows --zero-rows drop --coupling 2 --speed 3 \\
        --initial random --seed 1 --noise 0.002 --time 1000 --dt 0.01 --sampling 0.5 --discard 200 --plot brain.png
    neurodyn cache            # what is cached where (--clear to delete it)

Modules: :mod:`~neurodyn.cli.main` (parser, entry point), :mod:`~neurodyn.cli.run`, :mod:`~neurodyn.cli.brain`,
:mod:`~neurodyn.cli.cache`, :mod:`~neurodyn.cli.checks` (what is checked before a run),
:mod:`~neurodyn.cli.plots` and :mod:`~neurodyn.cli.units` (figures with units).
"""
from neurodyn.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
