"""The activities pages in a real browser: a resident signs up for a shared meal with a guest and for a role, and
signs off again, with JavaScript switched off, in German and in Arabic (right to left); whoever waited moves up.
Every activities page, its error state included, passes axe-core and the size rules with JavaScript on."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.test_web_accessibility import NARROW, check_page, wider_than_the_window
from tests.support.browser import log_in

BERLIN = ZoneInfo("Europe/Berlin")
WORDS = {
    "de": {"sign_up": "Mich anmelden", "signed_up": "Sie sind angemeldet.", "sign_off": "Ich kann doch nicht kommen",
           "signed_off": "Sie haben sich abgemeldet", "who": "Wer kommt", "taken": "Das geht jetzt nicht",
           "cancel": "Diese Aktivität absagen", "tick": "Bitte setzen Sie das Häkchen",
           "cancelled": "Die Aktivität ist abgesagt", "change": "Tag, Zeit oder Text ändern",
           "save": "Änderungen speichern", "saved": "Ihre Änderungen sind gespeichert"},
    "ar": {"sign_up": "سجّلني", "signed_up": "أنت مسجّل.", "sign_off": "لن أستطيع الحضور",
           "signed_off": "ألغيت تسجيلك", "who": "من سيحضر", "taken": "هذا غير ممكن الآن",
           "cancel": "إلغاء هذا النشاط", "tick": "يرجى وضع علامة", "cancelled": "تم إلغاء النشاط",
           "change": "تغيير اليوم أو الوقت أو النص", "save": "حفظ التغييرات", "saved": "تم حفظ تغييراتك"},
}


def evening(days: int) -> tuple[str, str]:
    start = datetime.now(BERLIN).replace(hour=18, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return start.isoformat(), (start + timedelta(hours=2)).isoformat()


@pytest.fixture(scope="module")
def house(platform):
    organiser = platform.organiser()
    people = {}
    for name, language in (("greta", "de"), ("amira", "ar"), ("karl", "de"), ("nora", "de")):
        client, member = platform.join(organiser, f"{name}@example.org", display_name=name.title(),
                                       preferred_language=language)
        people[name] = {"client": client, "id": member["id"], "email": f"{name}@example.org"}
    return organiser, people


def meal(organiser, title: str, days: int) -> str:
    starts_at, ends_at = evening(days)
    created = organiser.post("/api/v1/activities", json={
        "title": title, "starts_at": starts_at, "ends_at": ends_at, "place": "Hof", "capacity": 3,
        "guests_per_signup": 2, "roles": [{"name": "Kochen", "needed": 1}]})
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.mark.parametrize("name, language, days", [("greta", "de", 3), ("amira", "ar", 4)])
def test_a_resident_signs_up_with_a_guest_and_signs_off_without_javascript(platform, house, browser, name,
                                                                            language, days):
    organiser, people = house
    activity_id = meal(organiser, f"Suppenabend {language}", days)
    words = WORDS[language]
    context = browser.new_context(java_script_enabled=False, locale=language)
    page = context.new_page()
    try:
        log_in(page, platform.url, people[name]["email"], language=language)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
        page.goto(f"{platform.url}/activities")
        page.get_by_role("link", name=f"Suppenabend {language}").click()
        page.locator("#guests").select_option("1")
        page.get_by_role("button", name=words["sign_up"]).click()

        expect(page).to_have_url(f"{platform.url}/activities/{activity_id}")
        expect(page.locator("main")).to_contain_text(words["signed_up"])
        expect(page.locator("main")).to_contain_text(words["who"])
        expect(page.locator("main .cards")).to_contain_text(name.title())
        seen = organiser.get(f"/api/v1/activities/{activity_id}").json()
        assert (seen["confirmed"], seen["places_taken"]) == (1, 2)

        # Karl comes with two guests: no room for him, he waits; when she signs off, he moves up.
        waiting = people["karl"]["client"].post(f"/api/v1/activities/{activity_id}/signups", json={"guests": 2})
        assert waiting.json()["status"] == "waitlisted"
        page.get_by_role("button", name=words["sign_off"]).click()
        expect(page.locator("main")).to_contain_text(words["signed_off"])
        expect(page.get_by_role("button", name=words["sign_up"])).to_be_visible()
    finally:
        context.close()
    after = organiser.get(f"/api/v1/activities/{activity_id}").json()
    assert [(p["display_name"], p["status"]) for p in after["participants"]] == [("Karl", "confirmed")]


PLAN = {"de": {"plan": "Eine Aktivität planen", "submit": "Planen", "planned": "Ihre Aktivität ist geplant"},
        "ar": {"plan": "خطّط لنشاط", "submit": "خطّط", "planned": "تم التخطيط لنشاطك"}}


@pytest.mark.parametrize("name, language, days", [("greta", "de", 9), ("amira", "ar", 10)])
def test_a_resident_plans_a_shared_meal_in_a_room_with_a_cook_without_javascript(platform, house, browser, name,
                                                                               language, days):
    organiser, people = house
    room = organiser.post("/api/v1/spaces", json={"name": f"Küche {language}", "capacity": 20, "rules": {
        "open_from": "08:00", "open_until": "22:00", "max_days_ahead": 60}}).json()
    context = browser.new_context(java_script_enabled=False, locale=language)
    page = context.new_page()
    try:
        log_in(page, platform.url, people[name]["email"], language=language)
        page.goto(f"{platform.url}/activities")
        page.get_by_role("link", name=PLAN[language]["plan"]).click()
        page.get_by_role("button", name=PLAN[language]["submit"]).click()  # empty: the errors, nothing made
        expect(page.locator(".error-summary")).to_be_visible()
        day = (datetime.now(BERLIN) + timedelta(days=days)).date().isoformat()
        page.locator("#title").fill(f"Kochabend {language}")
        page.locator("#date").fill(day)
        page.locator("#start").fill("18:00")
        page.locator("#end").fill("21:00")
        page.locator("#space_id").select_option(room["id"])
        page.locator("#capacity").fill("8")
        page.locator("#guests").select_option("1")
        page.locator("#role_0_name").fill("Kochen")
        page.locator("#role_0_needed").fill("2")
        page.get_by_role("button", name=PLAN[language]["submit"]).click()
        expect(page.locator("main")).to_contain_text(PLAN[language]["planned"])
        expect(page.locator("h1")).to_have_text(f"Kochabend {language}")
    finally:
        context.close()
    made = [a for a in organiser.get("/api/v1/activities").json()["items"] if a["title"] == f"Kochabend {language}"]
    assert [(a["space_name"], a["capacity"], a["guests_per_signup"], a["roles"]) for a in made] == [
        (f"Küche {language}", 8, 1, [{"name": "Kochen", "needed": 2, "taken": 0}])]
    assert made[0]["starts_at"].endswith("T17:00:00Z")  # 18:00 in Berlin (winter)


def gretas(people, title: str, days: int, **more) -> str:
    """An activity Greta plans (in the yard unless told otherwise), `days` ahead in the evening; its id."""
    starts_at, ends_at = evening(days)
    made = people["greta"]["client"].post("/api/v1/activities", json={
        "title": title, "starts_at": starts_at, "ends_at": ends_at, "place": "Hof", **more})
    assert made.status_code == 201, made.text
    return made.json()["id"]


def greta_on_her_activity(platform, browser, people, language: str, activity_id: str):
    """Greta logged in, JavaScript on (axe-core runs in the page), on her activity's page: its context and page."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=language)
    page = context.new_page()
    log_in(page, platform.url, people["greta"]["email"], language=language)
    page.goto(f"{platform.url}/activities/{activity_id}")
    return context, page


@pytest.mark.parametrize("language", ("de", "ar"))
def test_whoever_made_an_activity_cancels_it_once_they_tick_that_they_mean_it(platform, house, browser, language):
    """With JavaScript on (axe-core runs in the page): the cancel form's error state and the cancelled page."""
    organiser, people = house
    activity_id = gretas(people, f"Spieleabend {language}", 12)
    context, page = greta_on_her_activity(platform, browser, people, language, activity_id)
    found = {}
    try:
        page.get_by_role("button", name=WORDS[language]["cancel"]).click()  # not ticked: nothing happens
        expect(page.locator(".error-summary")).to_contain_text(WORDS[language]["tick"])
        if problems := check_page(page, f"{language}-activity-cancel-errors"):
            found["cancel (errors)"] = problems
        assert organiser.get(f"/api/v1/activities/{activity_id}").json()["status"] == "open"
        page.locator("#confirm").check()
        page.get_by_role("button", name=WORDS[language]["cancel"]).click()
        expect(page.locator("main")).to_contain_text(WORDS[language]["cancelled"])
        if problems := check_page(page, f"{language}-activity-cancelled"):
            found["cancelled"] = problems
    finally:
        context.close()
    assert found == {}, found
    assert organiser.get(f"/api/v1/activities/{activity_id}").json()["status"] == "cancelled"


@pytest.mark.parametrize("language", ("de", "ar"))
def test_the_activities_pages_and_their_error_state_pass_axe_and_the_size_rules(platform, house, browser, language):
    organiser, people = house
    activity_id = meal(organiser, f"Filmabend {language}", 5)
    assert people["nora"]["client"].post(f"/api/v1/activities/{activity_id}/signups",
                                         json={"role": "Kochen"}).status_code == 201
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=language)
    page = context.new_page()
    found = {}
    try:
        log_in(page, platform.url, people["greta"]["email"], language=language)
        assert page.goto(f"{platform.url}/activities/new").status == 200
        page.get_by_role("button", name=PLAN[language]["submit"]).click()  # the empty form's error state
        if problems := check_page(page, f"{language}-activity-new-errors"):
            found["/activities/new (errors)"] = problems
        for path in ("/activities", "/activities/new", f"/activities/{activity_id}"):
            assert page.goto(platform.url + path).status == 200
            if problems := check_page(page, f"{language}-{path.strip('/').replace('/', '-')}"):
                found[path] = problems
        page.locator("#role").select_option("Kochen")  # taken by Nora: the error state
        page.get_by_role("button", name=WORDS[language]["sign_up"]).click()
        expect(page.locator("main")).to_contain_text(WORDS[language]["taken"])
        if problems := check_page(page, f"{language}-activity-role-taken"):
            found["role taken"] = problems
        page.locator("#role").select_option("")
        page.get_by_role("button", name=WORDS[language]["sign_up"]).click()
        expect(page.locator("main")).to_contain_text(WORDS[language]["signed_up"])
        if problems := check_page(page, f"{language}-activity-signed-up"):
            found["signed up"] = problems
    finally:
        context.close()
    assert found == {}, found


@pytest.mark.parametrize("language", ("de", "ar"))
def test_whoever_made_an_activity_moves_it_to_another_time_and_those_signed_up_are_told(platform, house, browser,
                                                                                         language):
    """With JavaScript on (axe-core runs in the page): the change form, its error state, and the new time."""
    organiser, people = house
    activity_id = gretas(people, f"Lesekreis {language}", 14, place="Bibliothek")
    assert people["karl"]["client"].post(f"/api/v1/activities/{activity_id}/signups", json={}).status_code == 201
    context, page = greta_on_her_activity(platform, browser, people, language, activity_id)
    found = {}
    try:
        page.get_by_role("link", name=WORDS[language]["change"]).click()
        assert page.locator("#start").input_value() == "18:00"  # as it is now, in Berlin
        if problems := check_page(page, f"{language}-activity-change"):
            found["change"] = problems
        page.locator("#title").fill("")
        page.get_by_role("button", name=WORDS[language]["save"]).click()  # no title: the error state
        expect(page.locator(".error-summary")).to_be_visible()
        if problems := check_page(page, f"{language}-activity-change-errors"):
            found["change (errors)"] = problems
        page.locator("#title").fill(f"Lesekreis {language}, später")
        page.locator("#start").fill("19:00")
        page.locator("#end").fill("21:00")
        page.get_by_role("button", name=WORDS[language]["save"]).click()
        expect(page.locator("main")).to_contain_text(WORDS[language]["saved"])
    finally:
        context.close()
    assert found == {}, found
    moved = organiser.get(f"/api/v1/activities/{activity_id}").json()
    assert (moved["title"], moved["starts_at"][11:16]) == (f"Lesekreis {language}, später", "18:00")  # 19:00 Berlin
    told = people["karl"]["client"].get("/api/v1/notifications", params={"limit": 50}).json()["items"]
    assert any(item["link"] == f"/activities/{activity_id}" and item["kind"] == "activity_moved" for item in told), told


@pytest.mark.parametrize("language", ("de", "de-x-ls", "ar"))
def test_at_320_pixels_the_activities_pages_reflow_without_scrolling_sideways(platform, house, browser, language):
    """A phone held upright, or 400 % zoom: the activities pages fit 320 CSS pixels, the form to change one
    included (for whoever made it)."""
    _, people = house
    activity_id = gretas(people, "Ausflug zum Wochenmarkt in Altona", 16, place="Treffpunkt vor dem Haus",
                         capacity=8, roles=[{"name": "Einkaufsliste", "needed": 1}])
    context = browser.new_context(viewport={"width": NARROW, "height": 640})
    page = context.new_page()
    try:
        page.goto(f"{platform.url}/login")
        page.locator(f"footer button[value='{language}']").click()
        log_in(page, platform.url, people["greta"]["email"])
        wide = wider_than_the_window(page, platform.url, [
            "/activities", "/activities/new", "/activities/{activity}", "/activities/{activity}/change"],
            {"activity": activity_id})
    finally:
        context.close()
    assert not wide, f"pages wider than {NARROW} px: {wide}"
