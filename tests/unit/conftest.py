"""The unit tests' own settings: a Hypothesis profile for mutation testing (`make mutation` selects it).

Under mutation a property test only has to say whether a mutant breaks it, as fast as it can and the same way
every run: examples come from a fixed seed and are not shrunk, and none are kept between runs.
"""
from hypothesis import Phase, settings

settings.register_profile("mutation", derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
