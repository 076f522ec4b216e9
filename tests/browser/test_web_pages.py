"""The web pages in a real browser (headless Chromium): residents book, cancel, ask for and offer help, read
their messages; an organiser publishes a notice and watches the list of those who have not read it shrink;
residents press "I am fine" on the start page (in German and Arabic), and a buddy answers a real alert. The
booking flow also runs in Arabic (right to left) and with JavaScript switched off. A room's page starts today;
the board and the call list print at the press of a button, or say how to print without JavaScript."""
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in, log_in_as_organiser, screenshot
from tests.support.care import alert_told_to, due_within_a_minute, put_once_known

BERLIN = ZoneInfo("Europe/Berlin")


def day_ahead(days: int) -> date:
    return datetime.now(BERLIN).date() + timedelta(days=days)


class House:
    """The people and rooms of the tests, set up through the API (the pages are what is under test)."""

    def __init__(self, platform):
        self.platform = platform
        self.organiser = platform.organiser()
        self.room = self.organiser.post("/api/v1/spaces", json={
            "name": "Gemeinschaftsraum", "description": "Großer Raum mit Küche im Erdgeschoss.", "capacity": 30,
            "rules": {"open_from": "08:00", "open_until": "22:00", "slot_minutes": 30, "min_duration_minutes": 30,
                      "max_duration_minutes": 180, "max_days_ahead": 60, "buffer_minutes": 0}}).json()
        self.people = {}
        for name, language, phone in (("amira", "ar", "+49 40 1111111"), ("hans", "de", "+49 40 2222222"),
                                      ("jelena", "ru", "+49 40 3333333"), ("mehmet", "tr", "+49 40 4444444"),
                                      ("grete", "de", None)):
            profile = {"display_name": name.title(), "preferred_language": language, "languages": [language, "de"]}
            if phone:
                profile["phone"] = phone
            client, member = platform.join(self.organiser, f"{name}@example.org", **profile)
            self.people[name] = {"email": f"{name}@example.org", "client": client, "id": member["id"]}

    def email(self, name: str) -> str:
        return self.people[name]["email"]


@pytest.fixture(scope="module")
def house(platform):
    return House(platform)



@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="de-DE")
    yield context.new_page()
    context.close()


def book(page, base_url, room_id, day: date, start: str, end: str, purpose: str = ""):
    page.goto(f"{base_url}/rooms/{room_id}")
    page.locator("#date").fill(day.isoformat())
    page.locator("#start").fill(start)
    page.locator("#end").fill(end)
    page.locator("#purpose").fill(purpose)
    page.locator("form[action$='/book'] button[type=submit]").click()


def test_a_resident_books_a_room_sees_it_and_cancels_it(platform, house, page):
    log_in(page, platform.url, house.email("hans"))
    page.get_by_role("link", name="Raum buchen").click()
    page.get_by_role("link", name="Gemeinschaftsraum").click()
    expect(page.locator("h1")).to_have_text("Gemeinschaftsraum")
    screenshot(page, "de-room-week")

    book(page, platform.url, house.room["id"], day_ahead(3), "14:00", "16:00", "Kaffeetrinken")

    expect(page).to_have_url(f"{platform.url}/bookings")
    bookings = page.locator("main .cards")
    expect(bookings).to_contain_text("Gemeinschaftsraum")
    expect(bookings).to_contain_text("14:00–16:00")
    expect(page.locator("[role=status]")).to_contain_text("Gebucht")
    screenshot(page, "de-my-bookings")
    mine = house.people["hans"]["client"].get("/api/v1/bookings?mine=true").json()["items"]
    assert [(b["status"], b["purpose"]) for b in mine] == [("confirmed", "Kaffeetrinken")]
    booking_id = mine[0]["id"]

    page.get_by_role("button", name="Diese Buchung absagen").click()
    expect(page.locator("[role=status]")).to_contain_text("Abgesagt")
    expect(page.locator("main .cards")).not_to_contain_text("14:00–16:00")
    assert house.people["hans"]["client"].get(f"/api/v1/bookings/{booking_id}").json()["status"] == "cancelled"


def test_a_clash_and_a_broken_rule_are_explained_next_to_the_field(platform, house, page):
    house.people["jelena"]["client"].post("/api/v1/bookings", json={
        "space_id": house.room["id"], "start": f"{day_ahead(4).isoformat()}T10:00:00+01:00",
        "end": f"{day_ahead(4).isoformat()}T12:00:00+01:00"})
    log_in(page, platform.url, house.email("grete"))

    book(page, platform.url, house.room["id"], day_ahead(4), "11:00", "13:00")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#start-error")).to_contain_text("schon gebucht")
    expect(page.locator("#clashes")).to_contain_text("10:00–12:00")
    expect(page.locator("#start")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "de-booking-clash")

    book(page, platform.url, house.room["id"], day_ahead(5), "09:00", "15:00")
    expect(page.locator("#end-error")).to_contain_text("höchstens 3 Stunden")

    book(page, platform.url, house.room["id"], day_ahead(5), "", "")
    expect(page.locator("#start-error")).to_be_visible()
    expect(page.locator("#error-summary a[href='#start']")).to_be_visible()
    assert house.people["grete"]["client"].get("/api/v1/bookings?mine=true").json()["items"] == []


def test_the_booking_flow_in_arabic_runs_right_to_left(platform, house, page):
    log_in(page, platform.url, house.email("amira"), language="ar")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    page.get_by_role("link", name="حجز غرفة").click()
    page.get_by_role("link", name="Gemeinschaftsraum").click()
    expect(html).to_have_attribute("dir", "rtl")

    book(page, platform.url, house.room["id"], day_ahead(6), "18:00", "20:00", "عيد ميلاد")

    expect(page).to_have_url(f"{platform.url}/bookings")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("main .cards")).to_contain_text("18:00–20:00")
    screenshot(page, "ar-my-bookings")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"


def test_the_booking_flow_works_without_javascript(platform, house, browser):
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, platform.url, house.email("mehmet"), language="de")
        book(page, platform.url, house.room["id"], day_ahead(7), "08:00", "09:30", "Yoga")
        expect(page).to_have_url(f"{platform.url}/bookings")
        expect(page.locator("main .cards")).to_contain_text("08:00–09:30")

        page.get_by_role("button", name="Diese Buchung absagen").click()
        expect(page.locator("main .cards")).not_to_contain_text("08:00–09:30")
    finally:
        context.close()
    assert house.people["mehmet"]["client"].get("/api/v1/bookings?mine=true").json()["items"] == []  # cancelled


def test_a_resident_asks_for_help_a_neighbour_offers_and_is_accepted(platform, house, browser):
    asking = browser.new_context(locale="de-DE").new_page()
    log_in(asking, platform.url, house.email("jelena"), language="de")
    asking.get_by_role("link", name="Um Hilfe bitten").first.click()
    asking.locator("#title").fill("Wasserkästen tragen")
    asking.locator("#description").fill("Samstag vormittag, zwei Kästen in den 3. Stock.")
    asking.locator("#category").select_option("shopping")
    asking.get_by_role("button", name="Die Nachbarn fragen").click()
    expect(asking.locator("h1")).to_have_text("Wasserkästen tragen")
    request_url = asking.url

    offering = browser.new_context(locale="de-DE").new_page()
    log_in(offering, platform.url, house.email("hans"), language="de")
    offering.goto(f"{platform.url}/help")
    offering.get_by_role("link", name="Wasserkästen tragen").click()
    expect(offering.locator("main")).not_to_contain_text("+49 40 3333333")
    offering.locator("#message").fill("Ich komme gern um 10 Uhr.")
    offering.get_by_role("button", name="Ich kann helfen").click()
    expect(offering.locator("[role=status]")).to_contain_text("Angebot")

    asking.goto(request_url)
    expect(asking.locator("main")).to_contain_text("Ich komme gern um 10 Uhr.")
    asking.get_by_role("button", name="Hilfe von Hans annehmen").click()
    expect(asking.locator("main")).to_contain_text("+49 40 2222222")
    screenshot(asking, "de-help-accepted")

    offering.goto(request_url)
    expect(offering.locator("main")).to_contain_text("+49 40 3333333")

    bystander = browser.new_context(locale="de-DE").new_page()
    log_in(bystander, platform.url, house.email("mehmet"), language="de")
    bystander.goto(request_url)
    expect(bystander.locator("main")).not_to_contain_text("+49 40 3333333")
    expect(bystander.locator("main")).not_to_contain_text("+49 40 2222222")
    for open_page in (asking, offering, bystander):
        open_page.context.close()


def test_an_organiser_sees_the_unread_list_shrink_as_residents_read_an_urgent_notice(platform, house, browser):
    organiser = browser.new_context(locale="de-DE").new_page()
    log_in_as_organiser(organiser, platform.url, language="de")
    organiser.goto(f"{platform.url}/organise/notices/new")
    organiser.locator("#title_de").fill("Wasser abgestellt")
    organiser.locator("#body_de").fill("Am Freitag von 9 bis 12 Uhr gibt es kein Wasser.")
    organiser.locator("#title_ar").fill("انقطاع المياه")
    organiser.locator("#body_ar").fill("يوم الجمعة من الساعة 9 حتى 12 لا يوجد ماء.")
    organiser.locator("#urgent").check()
    screenshot(organiser, "de-notice-form")
    organiser.get_by_role("button", name="Aushang senden").click()
    expect(organiser.locator("h1")).to_have_text("Wer hat den Aushang gelesen?")
    unread = organiser.locator("#unread")
    expect(unread).to_contain_text("Amira")
    expect(unread).to_contain_text("+49 40 1111111")
    expect(unread).to_contain_text("Hans")
    screenshot(organiser, "de-receipts")

    for name, expected_title in (("amira", "انقطاع المياه"), ("hans", "Wasser abgestellt")):
        reader = browser.new_context(locale="de-DE").new_page()
        log_in(reader, platform.url, house.email(name))
        reader.goto(f"{platform.url}/inbox")
        card = reader.locator("li.card", has_text=expected_title)
        card.get_by_role("button").click()
        expect(reader.locator("li.card.unread", has_text=expected_title)).to_have_count(0)
        reader.context.close()

        organiser.reload()
        expect(unread).not_to_contain_text(name.title())
    expect(unread).to_contain_text("Jelena")
    organiser.context.close()


def test_an_organiser_invites_a_newcomer_who_joins_in_turkish_and_sets_her_preferences(platform, house, browser):
    organiser = browser.new_context(locale="de-DE").new_page()
    log_in_as_organiser(organiser, platform.url, language="de")
    organiser.goto(f"{platform.url}/organise/invite")
    organiser.locator("#email").fill("zeynep@example.org")
    organiser.locator("#household").fill("Wohnung 2.1")
    organiser.get_by_role("button", name="Einladung erstellen").click()
    join_link = organiser.locator("#join-link").input_value()
    organiser.context.close()

    newcomer = browser.new_context(locale="tr-TR").new_page()
    newcomer.goto(join_link)
    newcomer.locator("footer button[value='tr']").click()
    expect(newcomer.locator("html")).to_have_attribute("lang", "tr")
    newcomer.locator("#display_name").fill("Zeynep")
    newcomer.locator("#email").fill("zeynep@example.org")
    newcomer.locator("#password").fill("kurz")
    newcomer.locator("#preferred_language").select_option("tr")
    newcomer.locator("main form button[type=submit]").click()
    expect(newcomer.locator("#password-error")).to_be_visible()  # too short: said next to the field
    newcomer.locator("#password").fill("bir uzun parola 2026")
    newcomer.locator("input[name=languages][value=tr]").check()
    newcomer.locator("main form button[type=submit]").click()
    expect(newcomer).to_have_url(f"{platform.url}/")
    expect(newcomer.locator("h1")).to_contain_text("Zeynep")

    newcomer.goto(f"{platform.url}/profile")
    newcomer.locator("#email").check()
    newcomer.locator("#quiet_from").fill("21:00")
    newcomer.locator("#quiet_until").fill("08:00")
    newcomer.locator("input[name=help_categories][value=garden]").check()
    newcomer.locator("form[action$='/profile/notifications'] button[type=submit]").click()
    expect(newcomer.locator("[role=status]")).to_be_visible()
    newcomer.context.close()

    member = house.platform.login("zeynep@example.org", "bir uzun parola 2026")
    assert member.get("/api/v1/members/me").json()["household"] == "Wohnung 2.1"
    preferences = member.get("/api/v1/members/me/preferences").json()
    assert preferences["channels"]["email"] is True and preferences["help_categories"] == ["garden"]
    assert preferences["quiet_hours"] == {"from": "21:00", "until": "08:00"}


def test_an_organiser_makes_a_room_that_needs_approval_and_approves_a_request(platform, house, browser):
    organiser = browser.new_context(locale="de-DE").new_page()
    log_in_as_organiser(organiser, platform.url, language="de")
    organiser.goto(f"{platform.url}/organise/spaces/new")
    organiser.locator("#name").fill("Gästewohnung")
    organiser.locator("#slot_minutes").fill("60")
    organiser.locator("#min_duration_minutes").fill("60")
    organiser.locator("#max_duration_minutes").fill("-5")
    organiser.locator("#requires_approval").check()
    organiser.locator("main form button[type=submit]").click()
    expect(organiser.locator("#max_duration_minutes-error")).to_be_visible()
    organiser.locator("#max_duration_minutes").fill("600")
    organiser.locator("main form button[type=submit]").click()
    expect(organiser.locator("main .cards")).to_contain_text("Gästewohnung")
    room = next(s for s in house.organiser.get("/api/v1/spaces").json()["items"] if s["name"] == "Gästewohnung")
    assert room["rules"]["requires_approval"] is True and room["rules"]["max_duration_minutes"] == 600

    resident = browser.new_context(locale="de-DE").new_page()
    log_in(resident, platform.url, house.email("grete"), language="de")
    book(resident, platform.url, room["id"], day_ahead(9), "10:00", "12:00", "Besuch")
    expect(resident.locator("main .cards")).to_contain_text("Wartet")

    organiser.goto(f"{platform.url}/organise/approvals")
    organiser.get_by_role("button", name="Zustimmen").click()
    expect(organiser.locator("main .cards")).not_to_contain_text("Gästewohnung")
    resident.reload()
    expect(resident.locator("main .cards")).not_to_contain_text("Wartet")
    statuses = [b["status"] for b in house.people["grete"]["client"].get(
        f"/api/v1/bookings?mine=true&space_id={room['id']}").json()["items"]]
    assert statuses == ["confirmed"]
    organiser.context.close()
    resident.context.close()


@pytest.mark.parametrize("name, language, button, done", [("hans", "de", "Mir geht es gut", "Heute erledigt um"),
                                                          ("amira", "ar", "أنا بخير", "تم اليوم الساعة")])
def test_the_check_in_button_on_the_start_page_is_pressed_and_says_when(platform, house, browser, name, language,
                                                                         button, done):
    person = house.people[name]
    buddy = house.people["grete"]["id"]
    put_once_known(person["client"], "/api/v1/members/me/check-in", {"enabled": True, "daily_by": "23:59",
                                                                    "buddies": [buddy]})
    page = browser.new_context(locale=f"{language}-DE").new_page()
    log_in(page, platform.url, person["email"], language=language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    screenshot(page, f"{language}-start-check-in")

    page.get_by_role("button", name=button).click()

    expect(page).to_have_url(f"{platform.url}/")
    expect(page.locator(".check-in")).to_contain_text(done)
    expect(page.get_by_role("button", name=button)).to_have_count(0)
    screenshot(page, f"{language}-start-checked-in")
    today = person["client"].get("/api/v1/members/me/check-in").json()["today"]
    assert today["status"] == "done"
    shown = datetime.fromisoformat(today["done_at"].replace("Z", "+00:00")).astimezone(BERLIN).strftime("%H:%M")
    expect(page.locator(".check-in")).to_contain_text(shown)  # in Berlin time
    page.context.close()


def test_a_buddy_accepts_is_alerted_looks_after_the_neighbour_reads_her_sheet_and_ends_the_alert(platform, house,
                                                                                                  browser):
    """Jelena asks Mehmet to be her buddy and misses her check-in; Mehmet does everything on the pages."""
    jelena, mehmet = house.people["jelena"], house.people["mehmet"]
    put_once_known(jelena["client"], "/api/v1/members/me/emergency-sheet", {
        "contacts": [{"name": "Olga", "phone": "0171 2222123", "relation": "Tochter"}], "allergies": "Penicillin",
        "medication_location": "Bad, Spiegelschrank", "readers": []})
    due_within_a_minute(jelena["client"], [mehmet["id"]])
    buddy = browser.new_context(locale="de-DE").new_page()
    log_in(buddy, platform.url, mehmet["email"], language="de")
    buddy.get_by_role("link", name="1 Person bittet Sie, Kontaktperson zu sein.").click()
    buddy.get_by_role("button", name="Ja, ich bin Kontaktperson für Jelena").click()
    expect(buddy.locator("main")).to_contain_text("Sie sind Kontaktperson für Jelena.")
    assert jelena["client"].get("/api/v1/members/me/check-in").json()["buddies"][0]["accepted"] is True

    alert_id = alert_told_to(mehmet["client"], jelena["id"])
    buddy.goto(f"{platform.url}/")
    buddy.get_by_role("link", name="Alarm ansehen und helfen").click()
    expect(buddy).to_have_url(f"{platform.url}/alerts/{alert_id}")
    expect(buddy.locator("h1")).to_have_text("Alarm: Jelena")
    expect(buddy.locator("a[href='tel:+49403333333']")).to_have_text("+49 40 3333333")
    expect(buddy.locator("ol.timeline")).to_contain_text("Mehmet wurde benachrichtigt.")
    screenshot(buddy, "de-alert-open")

    buddy.get_by_role("button", name="Ich kümmere mich darum").click()
    expect(buddy.locator("dl.facts")).to_contain_text("Jemand kümmert sich darum")
    expect(buddy.locator("ol.timeline")).to_contain_text("Mehmet kümmert sich darum.")
    buddy.get_by_role("link", name="Das Notfallblatt von Jelena lesen").click()
    expect(buddy.locator("main")).to_contain_text("Penicillin")
    expect(buddy.locator("main")).to_contain_text("0171 2222123")

    buddy.goto(f"{platform.url}/alerts/{alert_id}")
    buddy.get_by_label("Alles in Ordnung").check()
    buddy.locator("#note").fill("Sie hatte den Wecker nicht gehört.")
    buddy.get_by_role("button", name="Der Alarm ist beendet").click()
    expect(buddy.locator("dl.facts")).to_contain_text("Vorbei: Alles in Ordnung")
    expect(buddy.get_by_role("button", name="Ich kümmere mich darum")).to_have_count(0)
    screenshot(buddy, "de-alert-resolved")
    buddy.context.close()

    assert mehmet["client"].get(f"/api/v1/alerts/{alert_id}").json()["outcome"] == "fine"
    reads = jelena["client"].get("/api/v1/members/me/emergency-sheet/reads").json()["items"]
    assert [(r["display_name"], r["during_alert"]) for r in reads] == [("Mehmet", True)]
    # After the alert the sheet is his no longer to read.
    assert mehmet["client"].get(f"/api/v1/members/{jelena['id']}/emergency-sheet").status_code == 403


def test_a_rooms_week_begins_with_today_and_says_when_it_is_next_free(platform, house, page):
    today = day_ahead(0)
    log_in(page, platform.url, house.email("hans"), language="de")
    page.goto(f"{platform.url}/rooms/{house.room['id']}")
    days = page.locator("main section.day h3")
    expect(days).to_have_count(7)
    expect(days.first).to_have_text(re.compile(rf"^Heute, \w+, {today.day}\. "))
    expect(days.nth(1)).to_have_text(re.compile(rf"^Morgen, \w+, {day_ahead(1).day}\. "))
    expect(page.locator("#week")).to_have_text("Die nächsten sieben Tage")
    expect(page.locator("main section.day .next-free").nth(1)).to_have_text(
        re.compile(r"^(Als Nächstes frei: von \d\d:\d\d bis \d\d:\d\d Uhr\.|Ausgebucht\.)$"))
    expect(page.locator("#date")).to_have_value(today.isoformat())
    expect(page.locator("#date-hint")).to_have_text("Format: TT.MM.JJJJ, zum Beispiel 24.12.2026.")
    expect(page.locator("#start-hint")).to_have_text("Format: HH:MM, zum Beispiel 14:00.")
    expect(page.get_by_role("link", name="Die sieben Tage davor")).to_have_count(0)  # nothing before today

    page.get_by_role("link", name="Die sieben Tage danach").click()
    expect(days.first).to_have_text(re.compile(rf"^\w+, {day_ahead(7).day}\. "))
    page.get_by_role("link", name="Die sieben Tage davor").click()
    expect(days.first).to_have_text(re.compile(r"^Heute, "))


@pytest.mark.parametrize("javascript", [True, False])
def test_the_board_and_the_call_list_have_a_print_button_or_say_how_to_print(platform, house, browser, javascript):
    notice = house.organiser.post("/api/v1/notices", json={
        "title": "Fenster putzen", "body": "Am Montag kommt die Firma.", "audience": "all"}).json()
    context = browser.new_context(java_script_enabled=javascript, locale="de-DE")
    page = context.new_page()
    try:
        log_in_as_organiser(page, platform.url, language="de")
        for path, button, words in (("/board", "Schwarzes Brett drucken", "Sie können diese Seite in großer Schrift"),
                                    (f"/organise/notices/{notice['id']}", "Diese Liste drucken",
                                     "Sie können diese Liste ausdrucken")):
            page.goto(platform.url + path)
            if javascript:
                page.evaluate("() => { window.print = () => { window.printed = true; }; }")  # no dialog in a test
                page.get_by_role("button", name=button).click()
                assert page.evaluate("window.printed === true"), path
                expect(page.locator("main noscript p")).to_have_count(0)
            else:
                expect(page.get_by_role("button", name=button)).to_be_hidden()
                expect(page.locator("main noscript p")).to_be_visible()  # (text= skips <noscript>)
                expect(page.locator("main noscript p")).to_contain_text(words)
    finally:
        context.close()
