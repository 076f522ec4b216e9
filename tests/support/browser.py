"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright (which cannot download
a browser of its own here), axe-core from the npm registry injected into pages, and screenshots kept as test
artefacts for a person to look at."""
import json
import os
import re
from pathlib import Path

from tests.support.processes import MEMBER_PASSWORD, ORGANISER

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Without the network-quietening switches Chromium keeps calling home, and this machine refuses every call.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def launch(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does it)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def axe_violations(page) -> list[dict]:
    """What axe-core finds wrong on the page against WCAG 2.2 A/AA and axe's best practices."""
    if not AXE.exists():
        raise RuntimeError("axe-core is missing: run `npm ci` (.ci/run and `make test` do it)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [node["target"] for node in v["nodes"]][:5]} for v in result["violations"]]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1, ensure_ascii=False)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{re.sub(r'[^a-zA-Z0-9_-]+', '-', name)}.png"), full_page=True)


def log_in(page, base_url: str, email: str, password: str = MEMBER_PASSWORD, *, language: str | None = None):
    """Log in through the login form, choosing the page language first when asked to (as a resident would)."""
    page.goto(f"{base_url}/login")
    if language:
        page.locator(f"footer button[value='{language}']").click()
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form[action$='/login'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")


def log_in_as_organiser(page, base_url: str, **kwargs):
    log_in(page, base_url, ORGANISER["email"], ORGANISER["password"], **kwargs)
