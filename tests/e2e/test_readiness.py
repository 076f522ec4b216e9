"""Readiness follows the services: 503 naming the one that is down, 200 when it is back."""
from pathlib import Path

import pytest

from tests.support.processes import platform_for_module

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def platform(request):
    """A process per service: one of them is stopped and started again."""
    yield from platform_for_module(request, ARTIFACTS, together=False)


def test_readyz_is_503_while_the_members_service_is_stopped_and_200_when_it_is_back(platform):
    client = platform.client()
    assert client.get("/readyz").status_code == 200

    platform.stop_service("members")
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.headers["Content-Type"].startswith("application/problem+json")
    assert down.json()["service"] == "members" and "members" in down.json()["detail"]

    # While it is down, calls that need it answer 503 promptly rather than hanging or failing with 500.
    login = client.post("/api/v1/auth/login", json={"email": "a@example.org", "password": "whatever"})
    assert login.status_code == 503 and login.json()["service"] == "members"

    platform.start_service("members")
    platform.wait_until_ready()
    assert set(client.get("/readyz").json()["checks"].values()) == {"ok"}
