"""Deciding together in headless Chromium without JavaScript: residents vote in German and in Arabic (right to
left) in a few taps and change their vote; before a secret vote is cast the page says it is final, and after it
there is no form to change it; an organiser opens a decision with a translation side by side and records an answer
from the call list."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import log_in, log_in_as_organiser, screenshot
from tests.support.processes import eventually

CLOSES = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=5)).replace(microsecond=0).isoformat()
POLL = {"title": "Farbe des Treppenhauses", "body": "Welche Farbe soll das Treppenhaus bekommen?", "kind": "poll",
        "options": ["Gelb", "Blau", "Grün"], "closes_at": CLOSES,
        "translations": {"ar": {"title": "لون الدرج", "body": "ما اللون الذي نختاره للدرج؟",
                                "options": ["أصفر", "أزرق", "أخضر"]}}}


@pytest.fixture(scope="module")
def house(platform):
    organiser = platform.organiser()
    people = {"organiser": organiser}
    for name, language in (("dieter", "de"), ("amira", "ar")):
        people[name], _ = platform.join(organiser, f"{name}@example.org", display_name=name.title(),
                                        preferred_language=language, phone="040 123 45")

    def everybody_asked():
        poll = organiser.post("/api/v1/decisions", json=POLL).json()
        waiting = organiser.get(f"/api/v1/decisions/{poll['id']}/not-voted").json()
        return poll["id"] if len(waiting) == 3 else None

    poll = eventually(everybody_asked, seconds=30)
    assert poll, "the decisions service never heard of the residents"
    secret = organiser.post("/api/v1/decisions", json={**POLL, "title": "Geheime Wahl", "secret": True}).json()["id"]
    return {"people": people, "poll": poll, "secret": secret}


def no_javascript(browser, language):
    context = browser.new_context(java_script_enabled=False, locale=language)
    return context, context.new_page()


@pytest.mark.parametrize("language, resident, option, other", [("de", "dieter", "Blau", "Grün"),
                                                                ("ar", "amira", "أزرق", "أخضر")])
def test_a_resident_votes_and_changes_the_vote_without_javascript(platform, house, browser, language, resident,
                                                                   option, other):
    context, page = no_javascript(browser, language)
    log_in(page, platform.url, f"{resident}@example.org", language=language)
    page.goto(f"{platform.url}/decisions")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    page.locator(f"a[href='/decisions/{house['poll']}']").click()
    page.get_by_label(option).check()  # one tap on the option, one on the button
    page.locator("form[action$='/vote'] button[type=submit]").click()
    assert page.locator(".done").is_visible()
    assert house["people"][resident].get(f"/api/v1/decisions/{house['poll']}").json()["my_vote"]["options"] == [1]
    screenshot(page, f"{language}-decision-voted")

    page.get_by_label(other).check()  # the form is there again, with my choice checked: change it
    page.locator("form[action$='/vote'] button[type=submit]").click()
    assert house["people"][resident].get(f"/api/v1/decisions/{house['poll']}").json()["my_vote"]["options"] == [2]
    context.close()


def test_a_secret_vote_says_before_it_is_cast_that_it_is_final_and_then_offers_no_change(platform, house, browser):
    context, page = no_javascript(browser, "de")
    log_in(page, platform.url, "dieter@example.org", language="de")
    page.goto(f"{platform.url}/decisions/{house['secret']}")
    warning = page.locator("section[aria-labelledby=secret-title]")
    assert "nicht mehr geändert" in warning.inner_text()
    page.get_by_label("Gelb").check()
    page.locator("form[action$='/vote'] button[type=submit]").click()
    assert page.locator("form[action$='/vote']").count() == 0
    assert "geheim" in page.locator("section[aria-labelledby=mine-title]").inner_text()
    context.close()


def test_an_organiser_opens_a_decision_with_a_translation_and_records_a_phone_answer(platform, house, browser):
    context, page = no_javascript(browser, "de")
    log_in_as_organiser(page, platform.url, language="de")
    page.goto(f"{platform.url}/decisions/new")
    page.get_by_label("Konsent: beschlossen, wenn niemand einen Einwand hat").check()
    page.locator("#title").fill("Gästewohnung: Regeln")
    page.locator("#body").fill("Sollen Gäste höchstens eine Woche bleiben?")
    page.locator("#closes_day").fill((datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=3)).date().isoformat())
    page.locator("#title_ar").fill("شقة الضيوف: القواعد")
    page.locator("#body_ar").fill("هل يبقى الضيوف أسبوعًا على الأكثر؟")
    page.locator("form button[type=submit]", has_text="Die Abstimmung eröffnen").click()
    assert page.locator("h1").inner_text() == "Gästewohnung: Regeln"
    decision_id = page.url.rsplit("/", 1)[-1]
    amira = house["people"]["amira"].get(f"/api/v1/decisions/{decision_id}").json()
    assert (amira["title"], amira["direction"]) == ("شقة الضيوف: القواعد", "rtl")

    page.goto(f"{platform.url}/decisions/{decision_id}/call-list")
    card = page.locator("li.card", has_text="Amira")
    card.get_by_label("Ich stimme zu").check()
    card.locator("button[type=submit]").click()
    assert page.locator("li.card", has_text="Amira").count() == 0
    assert house["people"]["amira"].get(f"/api/v1/decisions/{decision_id}").json()["my_vote"]["recorded"] is True
    context.close()
