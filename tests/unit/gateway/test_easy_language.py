"""Leichte Sprache (easy-to-read German, "de-x-ls") on the web pages, without a broker: its catalog holds every
msgid of messages.pot and passes the simple checker; the language switch and `?lang=` choose it; pages say
lang="de-x-ls"; dates are German; the organiser's notice form has it side by side with German and sends it."""
import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import g

from gateway.app import create_app
from gateway.web.common import deadline, language
from services.common.easy_language import MAX_WORDS, problems, sentences
from services.common.i18n import babel_locale, catalog_name, page_language
from tests.unit.gateway.test_care_pages import KnownActors, PageClient, Services

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "gateway" / "translations"
ORGANISER = {"member_id": "olga", "community_id": "c", "role": "organiser", "display_name": "Olga",
             "timezone": "Europe/Berlin", "preferred_language": "de", "household": "1.1", "tokens_valid_after": None}


def easy_catalog():
    with (TRANSLATIONS / catalog_name("de-x-ls") / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=babel_locale("de-x-ls"))


def texts(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


# -- the catalog -------------------------------------------------------------------------------------------------
def test_every_msgid_of_the_template_is_in_leichte_sprache():
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        wanted = {message.id for message in read_po(pot) if message.id}
    translated = {message.id for message in easy_catalog()
                  if message.id and not message.fuzzy and all(text.strip() for text in texts(message))}
    assert wanted - translated == set(), sorted(wanted - translated)[:10]


def test_the_catalog_passes_the_checker():
    flagged = {message.id if isinstance(message.id, str) else message.id[0]: found
               for message in easy_catalog() if message.id
               for found in [[problem for text in texts(message) for problem in problems(text)]] if found}
    assert flagged == {}


def test_the_catalog_is_not_the_german_one():
    with (TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        german = {message.id: message.string for message in read_po(po) if message.id}
    easy = {message.id: message.string for message in easy_catalog() if message.id}
    assert sum(easy[msgid] != german[msgid] for msgid in easy) > len(easy) / 2  # short labels may be the same


# -- the checker -------------------------------------------------------------------------------------------------
def test_the_checker_flags_a_sentence_over_fifteen_words():
    fifteen = " ".join(["Wort"] * MAX_WORDS) + "."
    assert problems(fifteen) == []
    assert problems(fifteen + " " + " ".join(["Wort"] * (MAX_WORDS + 1)) + "!") != []
    assert problems("Wir sagen Ihrer 1. Kontakt-Person um 11:00 Bescheid. " + fifteen) == []


@pytest.mark.parametrize("text", ["Zum Beispiel z.B. Tee.", "Das ist z. B. gut.", "Kaffee bzw. Tee.",
                                  "Tee, Kaffee usw.", "Kaffee, Tee, USW."])
def test_the_checker_flags_abbreviations(text):
    assert any("abbreviation" in problem for problem in problems(text))


def test_placeholders_count_as_one_word_and_lines_end_sentences():
    assert sentences("Raum: {space}\nWann: %(when)s") == ["Raum: X", "Wann: X"]
    assert problems("Zum Beispiel: Wohnung 2.3. Sie ist frei.") == []


# -- choosing it -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code, served", [("de-x-ls", "de-x-ls"), ("DE_X_LS", "de-x-ls"), ("de-DE", "de"),
                                          ("ar_SY", "ar"), ("", ""), (None, "")])
def test_a_page_language_is_read_from_any_spelling(code, served):
    assert page_language(code) == served


@pytest.fixture
def services():
    return Services()


@pytest.fixture
def app(services):
    app = create_app({"TESTING": True})
    app.extensions["actors"] = KnownActors()
    app.extensions["rpc"] = services
    return app


def logged_in(app, language=None) -> PageClient:
    with app.test_request_context():
        from gateway.auth import issue_token

        token, _ = issue_token("ayse", "c")
    client = app.test_client()
    with client.session_transaction() as session:
        session["token"] = token
    if language:
        client.set_cookie("lang", language)
    return PageClient(client)


def words(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def test_a_page_in_leichte_sprache_says_so_and_offers_it_in_the_switch(app):
    page = words(logged_in(app, "de-x-ls").get("/"))
    assert '<html lang="de-x-ls" dir="ltr">' in page
    assert "Haupt-Menü" in page and "Hauptmenü" not in page
    assert re.search(r'value="de-x-ls" lang="de-x-ls"[^>]*aria-pressed="true"[^>]*>Leichte Sprache<', page)


def test_the_language_switch_remembers_leichte_sprache(app):
    client = logged_in(app, "de")
    answer = client.post("/language", {"language": "de-x-ls", "next": "/"})
    assert answer.status_code == 303 and "lang=de-x-ls" in answer.headers["Set-Cookie"]
    assert '<html lang="de-x-ls"' in words(client.get("/"))


def test_lang_in_the_address_sets_the_page_language_like_the_switch(app):
    client = app.test_client()
    answer = client.get("/login?lang=de-x-ls")
    assert '<html lang="de-x-ls"' in words(answer) and "Pass-Wort" in words(answer)
    assert "lang=de-x-ls" in answer.headers["Set-Cookie"] and "Max-Age=31536000" in answer.headers["Set-Cookie"]
    assert '<html lang="de-x-ls"' in words(client.get("/login"))  # remembered, as the switch does
    assert '<html lang="ar" dir="rtl"' in words(client.get("/login?lang=ar"))


@pytest.mark.parametrize("code", ["xx", "x-ls", "<script>", ""])
def test_an_unknown_lang_in_the_address_changes_nothing(app, code):
    client = app.test_client()
    client.set_cookie("lang", "tr")
    answer = client.get(f"/login?lang={code}")
    assert answer.status_code == 200 and '<html lang="tr"' in words(answer)
    assert "Set-Cookie" not in answer.headers or "lang=" not in answer.headers["Set-Cookie"]


def test_lang_in_the_address_of_the_json_api_is_no_page_language(app):
    answer = app.test_client().get("/healthz?lang=de-x-ls")
    assert "lang=" not in answer.headers.get("Set-Cookie", "")


def test_a_member_who_reads_leichte_sprache_gets_it_without_choosing(app):
    app.extensions["actors"].actor = lambda member_id, fetch: {
        **KnownActors().actor(member_id, fetch), "preferred_language": "de-x-ls"}
    assert '<html lang="de-x-ls"' in words(logged_in(app).get("/"))


def test_dates_on_a_leichte_sprache_page_are_german(app):
    with app.test_request_context("/", headers={"Cookie": "lang=de-x-ls"}):
        g.web_page = True
        assert language() == "de-x-ls"
        assert deadline("2026-12-12T23:00:00Z") == "Samstag, 12. Dezember 2026"


def test_a_rooms_week_in_leichte_sprache(app, services):
    services.answers[("spaces", "get_space")] = {"id": "s1", "name": "Gemeinschafts-Raum", "active": True, "rules": {
        "open_from": "08:00", "open_until": "22:00", "min_duration_minutes": 60, "max_duration_minutes": 180,
        "buffer_minutes": 0, "household_quota_minutes_per_week": None, "requires_approval": False}}
    services.answers[("spaces", "availability")] = {"free": [], "busy": [], "closed": False}
    answer = logged_in(app, "de-x-ls").get("/rooms/s1")
    page = words(answer)
    assert answer.status_code == 200 and '<html lang="de-x-ls"' in page
    assert "Heute, " in page and "Morgen, " in page and "Eine Buchung dauert mindestens 1 Stunde." in page
    assert any(day in page for day in ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
                                       "Sonntag"))  # the days in German


# -- the notice form ---------------------------------------------------------------------------------------------
@pytest.fixture
def organiser(app):
    app.extensions["actors"].actor = lambda member_id, fetch: ORGANISER
    return logged_in(app, "de")


def test_the_notice_form_shows_leichte_sprache_beside_german(organiser):
    page = words(organiser.get("/organise/notices/new"))
    fieldsets = re.findall(r'<fieldset lang="([^"]+)"', page)
    assert fieldsets[:2] == ["de", "de-x-ls"]
    assert 'name="title_de-x-ls"' in page and 'name="body_de-x-ls"' in page
    assert "Leichte Sprache: Überschrift" in page


def test_a_notice_carries_its_leichte_sprache_version(organiser, services):
    services.answers[("notifications", "publish_notice")] = {"id": "n1"}
    answer = organiser.post("/organise/notices/new", {
        "language": "de", "title_de": "Wasser", "body_de": "Am Dienstag ist das Wasser abgestellt.",
        "title_de-x-ls": "Kein Wasser", "body_de-x-ls": "Am Dienstag kommt kein Wasser.", "audience": "all"})
    assert answer.status_code == 303
    [(_, _, (_, body), _)] = services.sent("publish_notice")
    assert body["translations"] == {"de-x-ls": {"title": "Kein Wasser", "body": "Am Dienstag kommt kein Wasser."}}


def test_a_notice_to_the_readers_of_leichte_sprache(organiser, services):
    services.answers[("notifications", "publish_notice")] = {"id": "n1"}
    organiser.post("/organise/notices/new", {"language": "de-x-ls", "title_de-x-ls": "Fest",
                                             "body_de-x-ls": "Am Samstag feiern wir.", "audience": "language",
                                             "audience_language": "de-x-ls"})
    [(_, _, (_, body), _)] = services.sent("publish_notice")
    assert body["language"] == "de-x-ls" and body["audience"] == {"language": "de-x-ls"}


# -- the page of the daily email's link: the resident's language ---------------------------------------------------
def test_the_check_in_link_page_speaks_the_residents_leichte_sprache():
    from tests.unit.gateway.test_checkin_link_page import TOKEN, Care, client_with, ready

    page = words(client_with(Care(check_in_link=ready(preferred_language="de-x-ls"))).get(f"/check-in/link/{TOKEN}"))
    assert '<html lang="de-x-ls" dir="ltr">' in page and "Geht es Ihnen gut?" in page
    assert "Dienstag, 1. Dezember" in page


def test_on_the_check_in_link_page_lang_in_the_address_wins():
    from tests.unit.gateway.test_checkin_link_page import TOKEN, Care, client_with, ready

    client = client_with(Care(check_in_link=ready(preferred_language="tr")))
    assert '<html lang="de-x-ls"' in words(client.get(f"/check-in/link/{TOKEN}?lang=de-x-ls"))
