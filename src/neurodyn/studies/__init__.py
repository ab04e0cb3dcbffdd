"""User stories of the seed document, on the correct next-generation equations (REFERENCE section 3).

Each module is one story with a small documented API returning pandas/xarray objects or dataclasses (plotting
only in optional ``plot`` helpers); ``examples/story_<name>.py`` draws the figures and docs/user_stories.md
tells the stories.

- :mod:`~neurodyn.studies.single_population`: one QIF population with a synapse, step input, fixed points.
- :mod:`~neurodyn.studies.ei_node`: the E/I PING node: rates, fixed points, Hopf points, gamma spectrum.
- :mod:`~neurodyn.studies.whole_brain`: E/I nodes on a row-normalised connectome: traces and FC.
- :mod:`~neurodyn.studies.spread`: focal stimulation of one region and recruitment of the others.
- :mod:`~neurodyn.studies.working_memory`: a bistable population as a memory: cue, persistence, erasure.
- :mod:`~neurodyn.studies.hubs`: virtual lesions: change of FC per removed region, versus node strength.
"""
