"""Whole-brain networks: structural connectomes (this subpackage) and, built on the core, network simulation.

Examples
--------
>>> import numpy as np
>>> from neurodyn.network import Connectome
>>> Connectome(np.array([[0.0, 1.0], [1.0, 0.0]])).n_regions
2
"""
from neurodyn.network.connectome import NORMALISATIONS, TVB_DATA_CONNECTOMES, Connectome
from neurodyn.network.formats import load_connectome, read_aal_table

from neurodyn.network.builder import BrainNetwork, Coupling, NetworkRun, Stimulus, node_template

__all__ = ["Connectome", "load_connectome", "read_aal_table", "NORMALISATIONS", "TVB_DATA_CONNECTOMES",
           "BrainNetwork", "Coupling", "NetworkRun", "Stimulus", "node_template"]
