"""User stories of the seed document, on the correct next-generation equations (REFERENCE section 3), and the
studies of the next-generation neural-mass paper (Delicado, Huguet & Clusella 2025).

Each module is one story with a small documented API returning pandas/xarray objects or dataclasses (plotting
only in optional ``plot`` helpers); ``examples/story_<name>.py`` and ``examples/ngnmm_paper.py`` draw the figures
and docs/user_stories.md tells the stories.

- :mod:`~neurodyn.studies.single_population`: one QIF population with a synapse, step input, fixed points.
- :mod:`~neurodyn.studies.ei_node`: the E/I PING node: rates, fixed points, Hopf points, gamma spectrum.
- :mod:`~neurodyn.studies.whole_brain`: E/I nodes on a row-normalised connectome: traces and FC.
- :mod:`~neurodyn.studies.spread`: focal stimulation of one region and recruitment of the others.
- :mod:`~neurodyn.studies.working_memory`: a bistable population as a memory: cue, persistence, erasure.
- :mod:`~neurodyn.studies.hubs`: virtual lesions: change of FC per removed region, versus node strength.

The paper (exported here):

- :mod:`~neurodyn.studies.ei_bifurcations`: (a) bifurcation diagram of the homogeneous E/I node in I_ext_e
  for several eps: equilibria, Hopf points, PING cycles, folds of cycles, period-doubling cascades.
- :mod:`~neurodyn.studies.transverse_patterns`: (b) dispersion relation over the connectome's eigenmodes and
  (d) the pattern grown from a perturbation along the most unstable mode, its growth rate against the prediction.
- :mod:`~neurodyn.studies.network_lyapunov`: (c) the network's largest Lyapunov exponents against I_ext_e.
- :mod:`~neurodyn.studies.ei_pac`: (e) gamma-theta phase-amplitude coupling of the regional activity.
"""
from neurodyn.studies.ei_bifurcations import (CycleFamily, EIBifurcationDiagram, ei_bifurcation_diagram,
                                              homogeneous_ei_system)
from neurodyn.studies.ei_pac import PACResult, theta_ei_network, theta_ei_node, theta_gamma_pac
from neurodyn.studies.network_lyapunov import LyapunovScan, network_initial_state, network_lyapunov
from neurodyn.studies.transverse_patterns import (NetworkDispersion, TransversePattern, homogeneous_attractor,
                                                  network_dispersion, transverse_pattern)

__all__ = ["EIBifurcationDiagram", "CycleFamily", "ei_bifurcation_diagram", "homogeneous_ei_system",
           "NetworkDispersion", "TransversePattern", "homogeneous_attractor", "network_dispersion",
           "transverse_pattern", "LyapunovScan", "network_lyapunov", "network_initial_state", "PACResult",
           "theta_gamma_pac", "theta_ei_node", "theta_ei_network"]
