"""Trusted persons in a real browser (headless Chromium), in German and Arabic: Paula names her neighbour Hanna on
the trusted-persons page (bookings only); Hanna chooses to act for her, sees at the top of every page that she is
acting for Paula, books a room for her, is refused Paula's messages with the way out beside it, and stops. Every
page on the way passes axe-core."""
import pytest
from playwright.sync_api import expect

from tests.support.browser import axe_violations, describe, log_in, screenshot


@pytest.fixture(scope="module")
def house(platform):
    organiser = platform.organiser()
    people = {}
    for name, language in (("paula", "de"), ("hanna", "de"), ("samira", "ar"), ("yusuf", "ar")):
        _, member = platform.join(organiser, f"{name}.trust@example.org", display_name=name.title(),
                                  preferred_language=language)
        people[name] = {"email": f"{name}.trust@example.org", "id": member["id"]}
    room = organiser.post("/api/v1/spaces", json={"name": "Nähstube", "capacity": 6, "rules": {
        "open_from": "00:00", "open_until": "00:00", "max_days_ahead": 60}}).json()
    return {"people": people, "room": room}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    yield context.new_page()
    context.close()


def no_violations(page, name):
    violations = axe_violations(page)
    if violations:
        screenshot(page, name)
    assert violations == [], describe(violations)


@pytest.mark.parametrize("resident, neighbour, language, acting_words", [
    ("paula", "hanna", "de", "Sie handeln für Paula"),
    ("samira", "yusuf", "ar", "أنت تتصرف نيابةً عن Samira"),
])
def test_trusting_a_neighbour_and_acting_for_her(platform, browser, house, resident, neighbour, language,
                                                 acting_words):
    people = house["people"]
    base = platform.url
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    log_in(page, base, people[resident]["email"], language=language)
    page.goto(f"{base}/trusted-persons")
    expect(page.locator("html")).to_have_attribute("lang", language)
    no_violations(page, f"trusted-persons-{language}")
    page.locator("#member_id").select_option(people[neighbour]["id"])
    page.locator("#scopes input[value='bookings']").check()
    page.locator("form:has(input[name=kind][value=neighbour]) button[type=submit]").click()
    expect(page.locator(".cards .card h3")).to_have_text(neighbour.title())
    no_violations(page, f"trusted-persons-granted-{language}")
    context.close()

    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    log_in(page, base, people[neighbour]["email"], language=language)
    page.goto(f"{base}/acting-for")
    no_violations(page, f"acting-for-choose-{language}")
    page.locator(".card form button").click()
    banner = page.locator(".acting-banner")
    expect(banner).to_contain_text(acting_words)
    no_violations(page, f"acting-for-{language}")

    page.locator("ul.tiles a").first.click()  # the rooms: bookings are in her trust
    expect(page.locator(".acting-banner")).to_be_visible()
    assert "/rooms" in page.url
    no_violations(page, f"acting-rooms-{language}")

    answer = page.goto(f"{base}/inbox")  # her messages are not
    assert answer.status == 403
    expect(page.locator("main form[action$='/acting-for/stop'] button")).to_be_visible()
    no_violations(page, f"acting-refused-{language}")
    page.locator("main form[action$='/acting-for/stop'] button").click()
    expect(page.locator(".acting-banner")).to_have_count(0)
    assert page.goto(f"{base}/inbox").status == 200  # her own messages again
    context.close()
