"""End-to-end fixtures: one platform (gateway and services as processes) per test module."""
from pathlib import Path

import pytest

from tests.support.processes import Platform

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def platform(request):
    log_dir = ARTIFACTS / "logs" / request.module.__name__.rsplit(".", 1)[-1]
    log_dir.mkdir(parents=True, exist_ok=True)
    running = Platform(log_dir).start()
    yield running
    running.stop()
