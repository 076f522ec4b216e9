"""Notification wording: every kind in every language, German as the fallback, dates spelled out in local time."""
import re
import shutil
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po, write_po

from services.common.easy_language import problems
from services.common.i18n import babel_locale, catalog_name
from services.notifications import messages
from services.notifications.messages import (
    KINDS, MSGIDS, MessageCatalogs, format_span, format_when, render, text_direction,
)

BERLIN = ZoneInfo("Europe/Berlin")
LANGUAGES = ("de", "de-x-ls", "en", "tr", "ar", "ru")
CHRISTMAS_EVE_6PM = datetime(2026, 12, 24, 17, 0, tzinfo=timezone.utc)  # 18:00 in Hamburg
CHRISTMAS_EVE_8PM = datetime(2026, 12, 24, 19, 0, tzinfo=timezone.utc)
FACTS = {
    "name": "Anna K.",
    "title": "Brief vom Jobcenter lesen",
    "space": "Gästewohnung",
    "category": "translation",
    "start": CHRISTMAS_EVE_6PM,
    "end": CHRISTMAS_EVE_8PM,
    "by_organiser": False,
    "action": "booking.confirmed",
    "subject": "Gästewohnung",
    "note": "am Telefon",
    "time": "10:00",
    # a decision's result
    "options": {"de": ["Gelb", "Blau"]}, "by_option": {"0": 2, "1": 1}, "votes": 3, "consent": 4,
    "stand_aside": 1, "objection": 0,
}
PLACEHOLDER = re.compile(r"{(\w+)}")


def catalog(language, directory=messages.TRANSLATIONS_DIR):
    with open(directory / catalog_name(language) / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=babel_locale(language))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_language_with_every_placeholder_filled(kind, language):
    title, body = render(kind, language, FACTS, BERLIN)

    assert title.strip() and body.strip()
    assert "{" not in title + body and "}" not in title + body


@pytest.mark.parametrize("language", ("de", "de-x-ls", "tr", "ar", "ru"))
@pytest.mark.parametrize("kind", KINDS)
def test_no_english_source_text_reaches_a_reader_of_another_language(kind, language):
    title, body = render(kind, language, FACTS, BERLIN)
    english_title, english_body = render(kind, "en", FACTS, BERLIN)

    assert title != english_title and body != english_body
    english_phrases = [phrase.strip() for msgid in MSGIDS for phrase in re.split(r"{\w+}|\n", msgid)]
    assert not [phrase for phrase in english_phrases if len(phrase) > 8 and phrase in title + body]


def test_the_facts_appear_in_the_text():
    title, body = render("booking_approval_needed", "de", FACTS, BERLIN)

    assert title == "Bitte entscheiden Sie: Gästewohnung"
    assert "Anna K." in body and "Donnerstag, 24. Dezember 2026, 18:00–20:00" in body


def test_the_help_category_is_translated():
    _, body = render("help_requested", "tr", FACTS, BERLIN)

    assert "Yardım türü: Çeviri" in body


def test_an_unknown_help_category_reads_as_other_help():
    _, body = render("help_requested", "de", {**FACTS, "category": "knitting"}, BERLIN)

    assert "Art der Hilfe: Andere Hilfe" in body


def test_a_cancellation_by_the_organisers_says_so():
    _, by_organiser = render("booking_cancelled", "de", {**FACTS, "by_organiser": True}, BERLIN)
    _, by_system = render("booking_cancelled", "de", FACTS, BERLIN)

    assert by_organiser.startswith("Das Organisationsteam hat Ihre Buchung abgesagt.")
    assert by_system.startswith("Ihre Buchung wurde abgesagt.")


def test_a_booking_without_an_end_spells_out_only_the_start():
    _, body = render("booking_reminder", "en", {"space": "Workshop", "start": CHRISTMAS_EVE_6PM}, BERLIN)

    assert "When: Thursday, 24 December 2026, 18:00\n" in body


@pytest.mark.parametrize("language", ("pl", "fa", "", None, "xx-YY"))
def test_a_language_without_a_catalog_gets_german(language):
    assert render("booking_confirmed", language, FACTS, BERLIN) == render("booking_confirmed", "de", FACTS, BERLIN)
    assert messages.language_served(language) == "de"


def test_a_regional_language_tag_gets_its_language():
    assert render("welcome", "tr-TR", FACTS, BERLIN) == render("welcome", "tr", FACTS, BERLIN)
    assert render("welcome", "ar_SY", FACTS, BERLIN) == render("welcome", "ar", FACTS, BERLIN)


@pytest.mark.parametrize("kind", KINDS)
def test_a_reader_of_leichte_sprache_gets_its_own_words(kind):
    assert messages.language_served("de-x-ls") == messages.language_served("DE_x_LS") == "de-x-ls"
    assert render(kind, "de-x-ls", FACTS, BERLIN) != render(kind, "de", FACTS, BERLIN)


def test_the_leichte_sprache_catalog_passes_the_checker():
    flagged = {message.id: problems(message.string) for message in catalog("de-x-ls") if message.id}
    assert not {msgid: found for msgid, found in flagged.items() if found}


def test_a_msgid_missing_from_leichte_sprache_is_shown_in_german(tmp_path):
    shutil.copytree(messages.TRANSLATIONS_DIR, tmp_path, dirs_exist_ok=True)
    easy = catalog("de-x-ls", tmp_path)
    easy.delete("Booked: {space}")
    with open(tmp_path / catalog_name("de-x-ls") / "LC_MESSAGES" / "messages.po", "wb") as po:
        write_po(po, easy)

    title, body = render("booking_confirmed", "de-x-ls", FACTS, BERLIN, catalogs=MessageCatalogs(tmp_path))

    assert title == "Gebucht: Gästewohnung"  # German
    assert body.startswith("Sie haben den Raum gebucht.")  # Leichte Sprache


def test_a_msgid_missing_from_the_turkish_catalog_falls_back_to_german(tmp_path):
    shutil.copytree(messages.TRANSLATIONS_DIR, tmp_path, dirs_exist_ok=True)
    turkish = catalog("tr", tmp_path)
    missing = "Booked: {space}"
    turkish.delete(missing)
    with open(tmp_path / "tr" / "LC_MESSAGES" / "messages.po", "wb") as po:
        write_po(po, turkish)

    title, body = render("booking_confirmed", "tr", FACTS, BERLIN, catalogs=MessageCatalogs(tmp_path))

    assert title == "Gebucht: Gästewohnung"
    assert body.startswith("Rezervasyonunuz onaylandı.")


def test_a_fuzzy_turkish_entry_falls_back_to_german(tmp_path):
    shutil.copytree(messages.TRANSLATIONS_DIR, tmp_path, dirs_exist_ok=True)
    turkish = catalog("tr", tmp_path)
    turkish["Booked: {space}"].flags.add("fuzzy")
    with open(tmp_path / "tr" / "LC_MESSAGES" / "messages.po", "wb") as po:
        write_po(po, turkish)

    title, _ = render("booking_confirmed", "tr", FACTS, BERLIN, catalogs=MessageCatalogs(tmp_path))

    assert title == "Gebucht: Gästewohnung"


def test_the_german_catalog_is_complete():
    german = catalog("de")
    for msgid in MSGIDS:
        message = german.get(msgid)
        assert message is not None, f"missing from the German catalog: {msgid!r}"
        assert message.string.strip(), f"no German text for {msgid!r}"
        assert not message.fuzzy, f"German text still fuzzy for {msgid!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_translates_every_msgid_and_no_more(language):
    found = catalog(language)
    translated = {message.id for message in found if message.id and message.string and not message.fuzzy}
    listed = {message.id for message in found if message.id}

    assert translated == set(MSGIDS)
    assert listed == set(MSGIDS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_msgid(language):
    for message in catalog(language):
        if message.id:
            assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(message.id)), message.id


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="booking_exploded"):
        render("booking_exploded", "de", FACTS, BERLIN)


def test_a_missing_fact_is_named():
    with pytest.raises(ValueError, match="space"):
        render("booking_confirmed", "de", {"start": CHRISTMAS_EVE_6PM}, BERLIN)


def test_a_time_given_as_text_is_refused():
    with pytest.raises(ValueError, match="parse_iso"):
        render("booking_confirmed", "de", {**FACTS, "start": "2026-12-24T17:00:00Z"}, BERLIN)


def test_free_text_is_isolated_in_right_to_left_text_only():
    arabic_title, _ = render("help_requested", "ar", FACTS, BERLIN)
    german_title, _ = render("help_requested", "de", FACTS, BERLIN)

    assert "\u2068Anna K.\u2069" in arabic_title
    assert "\u2068" not in german_title


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_time_is_shown_in_the_communitys_zone_on_the_24_hour_clock(language):
    assert "18:00" in format_when(CHRISTMAS_EVE_6PM, language, BERLIN)


@pytest.mark.parametrize("language, expected", [
    ("de", "Donnerstag, 24. Dezember 2026, 18:00"),
    ("en", "Thursday, 24 December 2026, 18:00"),
    ("tr", "24 Aralık 2026 Perşembe 18:00"),
    ("ar", "الخميس، 24 ديسمبر 2026، 18:00"),
    ("ru", "четверг, 24 декабря 2026 г., 18:00"),
    ("pl", "Donnerstag, 24. Dezember 2026, 18:00"),
    ("de-x-ls", "Donnerstag, 24. Dezember 2026, 18:00"),
])
def test_a_date_is_spelled_out_in_the_readers_language(language, expected):
    assert format_when(CHRISTMAS_EVE_6PM, language, BERLIN) == expected


def test_the_start_of_summer_time_is_respected():
    assert format_when(datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc), "de", BERLIN) == \
        "Sonntag, 29. März 2026, 03:30"


def test_the_end_of_summer_time_is_respected():
    assert format_when(datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc), "de", BERLIN) == \
        "Sonntag, 25. Oktober 2026, 02:30"


def test_a_span_within_one_day_names_the_day_once():
    assert format_span(CHRISTMAS_EVE_6PM, CHRISTMAS_EVE_8PM, "de", BERLIN) == \
        "Donnerstag, 24. Dezember 2026, 18:00–20:00"


def test_a_span_that_ends_at_midnight_ends_at_24_00():
    midnight = datetime(2026, 12, 24, 23, 0, tzinfo=timezone.utc)

    assert format_span(CHRISTMAS_EVE_6PM, midnight, "en", BERLIN) == "Thursday, 24 December 2026, 18:00–24:00"


def test_a_span_over_several_days_names_both_ends_in_full():
    departure = datetime(2026, 12, 27, 9, 0, tzinfo=timezone.utc)

    assert format_span(CHRISTMAS_EVE_6PM, departure, "de", BERLIN) == \
        "Donnerstag, 24. Dezember 2026, 18:00 – Sonntag, 27. Dezember 2026, 10:00"


@pytest.mark.parametrize("language, direction", [
    ("ar", "rtl"), ("fa", "rtl"), ("he", "rtl"), ("ur", "rtl"), ("ar-SY", "rtl"),
    ("de", "ltr"), ("tr", "ltr"), ("ru", "ltr"), ("en", "ltr"), ("", "ltr"),
])
def test_text_direction_follows_the_script_of_the_language(language, direction):
    assert text_direction(language) == direction


def test_what_a_trusted_person_did_reads_in_the_residents_language_with_the_action_translated():
    title, body = render("done_for_you", "tr", {"name": "Deniz", "action": "booking.confirmed", "subject": "Saal"},
                         BERLIN)

    assert title == "Deniz sizin için bir şey yaptı"
    assert "bir oda ayırttı" in body and "Saal" in body


def test_an_action_not_known_yet_reads_as_something_else_and_a_missing_subject_as_a_dash():
    _, body = render("done_for_you", "de", {"name": "Deniz", "action": "vote.cast"}, BERLIN)

    assert "etwas anderes" in body and "Worum es geht: —" in body


def test_a_change_of_the_check_in_done_for_her_reads_as_such():
    _, body = render("done_for_you", "de", {"name": "Deniz", "action": "checkin.away_set"}, BERLIN)
    assert "Tage eingetragen, an denen Sie verreist sind" in body
