"""The unit tests' own settings: a Hypothesis profile for mutation testing (`make mutation` selects it), and
a machine whose own clock runs in another zone (`machine_in_new_york`).

Under mutation a property test only has to say whether a mutant breaks it, as fast as it can and the same way
every run: examples come from a fixed seed and are not shrunk, and none are kept between runs.
"""
import time

import pytest
from hypothesis import Phase, settings

settings.register_profile("mutation", derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])


@pytest.fixture
def machine_in_new_york(monkeypatch):
    """The process's local time zone is New York's for the test: what the rules answer in UTC must not follow
    the clock of the machine they happen to run on."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
