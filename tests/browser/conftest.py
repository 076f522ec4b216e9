"""Browser tests: the platform as processes (one per test module) and one headless Chromium.

They run in a pytest session of their own (`make browser`, part of `make test`) with `--confcutdir=tests/browser`,
so that tests/conftest.py does not apply eventlet's monkey patching: Playwright's synchronous API runs its own
asyncio loop on greenlets and, under eventlet's patched sockets and selectors, now and then waits forever.
"""
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support.browser import launch
from tests.support.database import database_server
from tests.support.processes import platform_for_module

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    yield from database_server(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def platform(request):
    yield from platform_for_module(request, ARTIFACTS)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
