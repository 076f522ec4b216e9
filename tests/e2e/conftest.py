"""End-to-end fixtures: one platform (gateway and services as processes) per test module."""
from pathlib import Path

import pytest

from tests.support.processes import platform_for_module

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def platform(request):
    yield from platform_for_module(request, ARTIFACTS)
