"""Every page, in German, Leichte Sprache (de-x-ls) and Arabic, checked in headless Chromium: axe-core finds no WCAG 2.2 A/AA violation,
text is at least 18 px, buttons and fields are at least 44 px high, focus is visible, and at 200 % zoom nothing
scrolls sideways. A screenshot of each page is kept in test-artifacts/screenshots for a person to look at."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import axe_violations, describe, log_in, log_in_as_organiser, screenshot
from tests.support.care import accept_request_of, alert_told_to, due_within_a_minute, put_once_known
from tests.support.processes import eventually

LANGUAGES = ("de", "de-x-ls", "ar")


@pytest.fixture(scope="module")
def ids(platform):
    """One of everything a page can show: a room, a pending booking, a help request with an offer, a notice."""
    organiser = platform.organiser()
    room = organiser.post("/api/v1/spaces", json={
        "name": "Gästewohnung", "description": "Zwei Betten, Bad, kleine Küche.", "capacity": 2,
        "rules": {"requires_approval": True, "slot_minutes": 60, "min_duration_minutes": 60,
                  "max_duration_minutes": 600}}).json()
    resident, member = platform.join(organiser, "lale@example.org", display_name="Lale", preferred_language="tr",
                                     phone="+49 40 5555555")
    helper, helper_member = platform.join(organiser, "boris@example.org", display_name="Boris", preferred_language="ru")
    helper_id = helper_member["id"]
    day = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=2)).date().isoformat()
    resident.post("/api/v1/bookings", json={"space_id": room["id"], "start": f"{day}T10:00:00+01:00",
                                            "end": f"{day}T12:00:00+01:00", "purpose": "Besuch meiner Tochter"})
    asked = resident.post("/api/v1/help-requests", json={"title": "Arzttermin begleiten", "category": "accompany",
                                                         "description": "Dienstag, 9 Uhr, Eppendorf."}).json()
    helper.post(f"/api/v1/help-requests/{asked['id']}/offers", json={"message": "Ich komme mit."})
    notice = organiser.post("/api/v1/notices", json={
        "title": "Hoffest am Samstag", "body": "Wir feiern im Hof. Bitte Kuchen mitbringen!", "audience": "all",
        "urgent": True,
        "translations": {"ar": {"title": "حفلة في الفناء", "body": "نحتفل يوم السبت في الفناء."}}}).json()
    # Safe at home: Lale names the organiser to read her emergency sheet, and misses a check-in Boris is told of.
    organiser_id = organiser.get("/api/v1/members/me").json()["id"]
    put_once_known(resident, "/api/v1/members/me/emergency-sheet", {
        "contacts": [{"name": "Deniz", "phone": "0171 5555123", "relation": "Sohn"}],
        "doctor": {"name": "Dr. Hansen", "phone": "040 999"}, "medication_location": "Küche, Schublade links",
        "allergies": "Penicillin", "key_holder": "Boris", "readers": [organiser_id]})
    due_within_a_minute(resident, [helper_id])
    accept_request_of(helper, member["id"])
    put_once_known(organiser, "/api/v1/members/me/check-in", {"enabled": True, "daily_by": "23:59",
                                                               "buddies": [helper_id]})
    alert = alert_told_to(helper, member["id"])
    return {"room": room["id"], "request": asked["id"], "notice": notice["id"], "alert": alert, "member": member["id"],
            **decisions(organiser)}


def decisions(organiser) -> dict:
    """A poll with an Arabic translation, a secret one, and a consent round closed with an objection (opened once
    the decisions service has heard of the members, who join by event)."""
    closes = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=5)).replace(microsecond=0).isoformat()
    poll = {"title": "Farbe des Treppenhauses", "body": "Welche Farbe soll das Treppenhaus bekommen?",
            "kind": "poll", "options": ["Gelb", "Blau", "Grün"], "closes_at": closes,
            "translations": {"ar": {"title": "لون الدرج", "body": "ما اللون الذي نختاره للدرج؟",
                                    "options": ["أصفر", "أزرق", "أخضر"]}}}

    def opened(body):
        answer = organiser.post("/api/v1/decisions", json=body)
        return answer.json()["id"] if answer.status_code == 201 else None

    ids = {"poll": eventually(lambda: opened(poll), seconds=30),
           "secret": opened({**poll, "title": "Geheime Wahl", "secret": True}),
           "closed": opened({"title": "Gartenküche privat", "body": "Dürfen wir sie privat buchen?",
                             "kind": "consent", "closes_at": closes})}
    organiser.post(f"/api/v1/decisions/{ids['closed']}/votes", json={"position": "objection", "reason": "Zu laut"})
    organiser.post(f"/api/v1/decisions/{ids['closed']}/close")
    return ids


ANONYMOUS_PAGES = ["/login", "/join", "/login/link-sent", "/login/link/a-link-from-an-email"]
MEMBER_PAGES = ["/", "/rooms", "/rooms/{room}", "/bookings", "/help", "/help/new", "/help/{request}", "/inbox",
                "/notices", "/board", "/profile", "/check-in/settings", "/check-in/buddy-requests", "/alerts",
                "/alerts/{alert}", "/emergency-sheet", "/emergency-sheet/print", "/members/{member}/emergency-sheet",
                "/trusted-persons", "/acting-for", "/decisions", "/decisions/{poll}", "/decisions/{secret}",
                "/decisions/{closed}", "/decisions/{poll}/ballot", "/decisions/{closed}/results"]
ORGANISER_PAGES = ["/organise", "/organise/invite", "/organise/spaces", "/organise/spaces/new",
                   "/organise/spaces/{room}", "/organise/approvals", "/organise/notices/new",
                   "/organise/notices/{notice}", "/decisions/new", "/decisions/{poll}/call-list"]



def check_page(page, name: str) -> list[str]:
    """Everything wrong with the page now shown; also keeps its screenshot."""
    screenshot(page, name)
    violations = axe_violations(page)
    problems = [f"axe: {describe(violations)}"] if violations else []
    body_px = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    if body_px < 18:
        problems.append(f"base text is {body_px}px")
    small = page.evaluate("""() => [...document.querySelectorAll(
            'button, input:not([type=checkbox]):not([type=radio]):not([type=hidden]), select, textarea, '
            + '.tiles a, nav a')]
        .filter(el => el.offsetParent !== null)
        .filter(el => el.getBoundingClientRect().height < 44)
        .map(el => el.outerHTML.slice(0, 80))""")
    if small:
        problems.append(f"targets lower than 44px: {small}")
    html = page.locator("html")
    if html.get_attribute("lang") is None or html.get_attribute("dir") not in ("ltr", "rtl"):
        problems.append("lang/dir missing on <html>")
    return problems


NARROW = 320  # CSS pixels: WCAG 2.2 SC 1.4.10 (reflow), the same as a 1280 px window at 400 % zoom
ZOOMED = 640  # CSS pixels: a 1280 px wide window at 200 % zoom (twice the pixel density changes no layout)


def scrolls_sideways(page, width: int) -> int | None:
    """The document's width if the page, laid out in a window `width` CSS pixels wide, is wider than the room
    it has there (the window less a scroll bar, if one takes room), else None."""
    page.set_viewport_size({"width": width, "height": 640})
    scroll_width, room = page.evaluate("[document.documentElement.scrollWidth, "
                                       "Math.min(document.documentElement.clientWidth, window.innerWidth)]")
    return scroll_width if scroll_width > room + 1 else None


def visit_all(page, base_url: str, paths: list[str], ids: dict, language: str) -> dict[str, dict]:
    """Each page opened once, at 1100 CSS pixels: what is wrong with it there (`check_page`), and then, laid
    out again in the same window at 640 and at 320 CSS pixels, how wide it is if it scrolls sideways."""
    found = {}
    for path in paths:
        url = base_url + path.format(**ids)
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert page.locator("html").get_attribute("lang") == language
        name = f"{language}-{path.strip('/').replace('/', '-') or 'start'}"
        found[path] = {"problems": check_page(page, name), ZOOMED: scrolls_sideways(page, ZOOMED),
                       NARROW: scrolls_sideways(page, NARROW)}
        if found[path][NARROW]:
            screenshot(page, f"{NARROW}px-{name}")
        page.set_viewport_size({"width": 1100, "height": 900})
    return found


@pytest.fixture(scope="module")
def surveys(platform, ids, browser) -> dict:
    """Per language, every member and organiser page as the organiser sees it (`visit_all`), opened once for
    the three tests that read it."""
    found = {}

    def survey(language: str) -> dict[str, dict]:
        if language not in found:
            context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=language.split("-")[0])
            page = context.new_page()
            page.goto(f"{platform.url}/login")
            page.locator(f"footer button[value='{language}']").click()
            log_in_as_organiser(page, platform.url)
            found[language] = visit_all(page, platform.url, MEMBER_PAGES + ORGANISER_PAGES, ids, language)
            context.close()
        return found[language]

    return survey


def problems_of(visited: dict[str, dict]) -> dict[str, list[str]]:
    return {path: seen["problems"] for path, seen in visited.items() if seen["problems"]}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_passes_axe_and_the_size_rules(platform, ids, browser, surveys, language):
    found = problems_of(surveys(language))
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=language.split("-")[0])
    page = context.new_page()
    page.goto(f"{platform.url}/login")
    page.locator(f"footer button[value='{language}']").click()
    found.update(problems_of(visit_all(page, platform.url, ANONYMOUS_PAGES, ids, language)))

    page.goto(f"{platform.url}/login")
    page.locator("main form[action$='/login'] button[type=submit]").click()  # empty form: the error state
    if problems := check_page(page, f"{language}-login-errors"):
        found["/login (errors)"] = problems

    log_in_as_organiser(page, platform.url)
    page.goto(f"{platform.url}/rooms/{ids['room']}")
    page.locator("form[action$='/book'] button[type=submit]").click()  # the booking form's error state
    if problems := check_page(page, f"{language}-booking-errors"):
        found["/rooms (errors)"] = problems

    # The error states of the check-in's settings, the sheet and resolving an alert.
    page.goto(f"{platform.url}/check-in/settings")
    page.locator("#daily_by").fill("")
    page.locator("form[action$='/check-in/settings'] button[type=submit]").click()
    page.locator("form[action$='/check-in/away'] button[type=submit]").click()
    if problems := check_page(page, f"{language}-check-in-errors"):
        found["/check-in/settings (errors)"] = problems
    page.goto(f"{platform.url}/emergency-sheet")
    page.locator("#contact_name_2").fill("Eda")
    page.locator("form[action$='/emergency-sheet'] button[type=submit]").click()
    if problems := check_page(page, f"{language}-sheet-errors"):
        found["/emergency-sheet (errors)"] = problems
    page.goto(f"{platform.url}/alerts/{ids['alert']}")
    page.locator("form[action$='/resolve'] button[type=submit]").click()
    if problems := check_page(page, f"{language}-alert-errors"):
        found["/alerts (errors)"] = problems
    context.close()
    assert not found, found


@pytest.mark.parametrize("language", LANGUAGES)
def test_at_200_percent_zoom_no_page_scrolls_sideways(surveys, language):
    """At 200 % zoom a 1280 px wide window lays pages out in 640 CSS pixels, at twice the pixel density."""
    wide = {path: seen[ZOOMED] for path, seen in surveys(language).items() if seen[ZOOMED]}
    assert not wide, f"pages that scroll sideways at 200 %: {wide}"


# Lale (a resident) opens every page of hers; an alert about herself and another's sheet are not hers to open.
RESIDENT_PAGES = [path for path in MEMBER_PAGES if path not in ("/alerts/{alert}", "/members/{member}/emergency-sheet")]


def wider_than_the_window(page, base_url: str, paths: list[str], ids: dict) -> dict[str, int]:
    """The pages (opened in turn) whose document is wider than the window, with their width in CSS pixels."""
    wide = {}
    for path in paths:
        response = page.goto(base_url + path.format(**ids))
        assert response.status == 200, f"{path}: {response.status}"
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW:
            wide[path] = width
            screenshot(page, f"{NARROW}px-{page.locator('html').get_attribute('lang')}-{path.strip('/')}")
    return wide


@pytest.mark.parametrize("language", LANGUAGES)
def test_at_320_pixels_every_page_reflows_without_scrolling_sideways(platform, ids, browser, surveys, language):
    """A phone held upright, or 400 % zoom: every page fits 320 CSS pixels, for a resident (opened here, in a
    window that narrow from the start) and for an organiser (`surveys`)."""
    wide = {f"{path} (organiser)": seen[NARROW] for path, seen in surveys(language).items() if seen[NARROW]}
    context = browser.new_context(viewport={"width": NARROW, "height": 640})
    page = context.new_page()
    page.goto(f"{platform.url}/login")
    page.locator(f"footer button[value='{language}']").click()  # the cookie, not the profile, decides
    wide.update({f"{path} (anonymous)": width for path, width in
                 wider_than_the_window(page, platform.url, ANONYMOUS_PAGES, ids).items()})
    log_in(page, platform.url, "lale@example.org")
    assert page.locator("html").get_attribute("lang") == language
    wide.update({f"{path} (resident)": width for path, width in
                 wider_than_the_window(page, platform.url, RESIDENT_PAGES, ids).items()})
    context.close()
    assert not wide, f"pages wider than {NARROW} px: {wide}"


def test_focus_is_visible_on_links_buttons_and_fields(platform, ids, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{platform.url}/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused, "the first Tab reaches the skip link"
    assert page.locator(".skip-link").is_visible()
    for _ in range(3):
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
        assert outline != "none" or shadow != "none", page.evaluate("document.activeElement.outerHTML")
    context.close()
