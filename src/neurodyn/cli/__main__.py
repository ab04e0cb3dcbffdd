"""``python -m neurodyn.cli``: the same as the ``neurodyn`` command."""
import sys

from neurodyn.cli.main import main

sys.exit(main())
