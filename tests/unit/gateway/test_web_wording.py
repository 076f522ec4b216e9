"""The web pages' own logic, without a broker: how a broken rule is explained in each language, the moments a
form's day and time mean in Berlin (also when the clocks change), deadlines, and which `next` addresses are
followed after logging in."""
from datetime import date

import pytest
from flask import g

from gateway.app import create_app
from gateway.web.common import FormErrors, deadline, local_moment, safe_next
from gateway.web.help import nearest_first
from gateway.web.organise import SPACE_ERROR_FIELDS
from services.common.errors import Invalid
from gateway.web.rooms import rule_message

LIMITS = {"days_ahead": 14, "opening_hours": "08:00–22:00"}  # a broken rule's limit; 180 minutes for the others
RULE_CODES = ("end_before_start", "in_the_past", "slot_grid", "min_duration", "max_duration", "days_ahead",
              "opening_hours", "household_quota", "space_closed", "something_new")


@pytest.fixture
def app():
    return create_app({"TESTING": True})


def in_language(app, language: str):
    context = app.test_request_context("/", headers={"Cookie": f"lang={language}"})
    context.push()
    g.web_page = True
    return context


@pytest.mark.parametrize("language", ("de", "en", "tr", "ar", "ru"))
def test_every_rule_is_explained_in_the_readers_language_with_its_limit(app, language):
    context = in_language(app, language)
    try:
        messages = {code: rule_message(code, LIMITS.get(code, 180)) for code in RULE_CODES}
    finally:
        context.pop()
    assert len(set(messages.values())) == len(RULE_CODES)  # each its own words; an unknown rule a general line
    assert "3" in messages["max_duration"] and "14" in messages["days_ahead"]
    assert "08:00" in messages["opening_hours"] and "22:00" in messages["opening_hours"]
    if language != "en":
        assert "at most" not in messages["max_duration"], "falls back to the English msgid"


def test_german_spells_out_durations(app):
    context = in_language(app, "de")
    try:
        assert rule_message("max_duration", 180) == \
            "Dieser Raum kann höchstens 3 Stunden am Stück gebucht werden."
        assert "90 Minuten" in rule_message("min_duration", 90)
        assert "1 Tag" in rule_message("household_quota", 1440)
    finally:
        context.pop()


def test_a_form_time_is_read_in_the_communitys_zone_across_both_clock_changes(app):
    context = in_language(app, "de")
    try:
        assert local_moment(date(2026, 3, 29), "03:00").utcoffset().total_seconds() == 7200
        assert local_moment(date(2026, 3, 29), "01:30").utcoffset().total_seconds() == 3600
        with pytest.raises(ValueError):
            local_moment(date(2026, 3, 29), "02:30")  # skipped when the clocks go forward
        assert local_moment(date(2026, 10, 25), "02:30").utcoffset().total_seconds() == 7200  # the first 02:30
        assert local_moment(date(2026, 12, 24), "24:00").isoformat() == "2026-12-25T00:00:00+01:00"
    finally:
        context.pop()


def test_a_deadline_at_midnight_reads_as_the_day_before(app):
    context = in_language(app, "de")
    try:
        assert deadline("2026-12-12T23:00:00Z") == "Samstag, 12. Dezember 2026"  # 00:00 on Sunday in Berlin
        assert deadline("2026-12-12T17:00:00Z").endswith("18:00")
    finally:
        context.pop()


@pytest.mark.parametrize("target, followed", [
    ("/rooms?week=2026-W50", "/rooms?week=2026-W50"), ("https://evil.example/", "/"), ("//evil.example", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("", "/"), (None, "/"),
])
def test_only_addresses_on_this_site_are_followed_after_logging_in(target, followed):
    assert safe_next(target) == followed


def test_requests_in_my_categories_and_languages_come_first():
    requests = [{"id": "a", "category": "garden", "languages": ["ru"]},
                {"id": "b", "category": "shopping", "languages": ["ar"]},
                {"id": "c", "category": "shopping", "languages": []},
                {"id": "d", "category": "garden", "languages": []}]
    ranked = nearest_first(requests, ["shopping"], ["de", "tr"])
    assert [r["id"] for r in ranked] == ["c", "b", "d", "a"]


MESSAGE = ["must be a multiple of slot_minutes (60)."]


@pytest.mark.parametrize("errors", [{"rules.min_duration_minutes": MESSAGE},
                                    {"rules": {"min_duration_minutes": MESSAGE}}])
def test_a_services_error_on_a_rule_is_shown_at_that_rules_field(app, errors):
    context = in_language(app, "en")
    try:
        shown = FormErrors()
        shown.take_service_error(Invalid("The rules do not fit together.", errors=errors), SPACE_ERROR_FIELDS)
        assert shown == {"min_duration_minutes": ["Please check this entry."]}
        unknown = FormErrors()
        unknown.take_service_error(Invalid("No.", errors={"colour": ["unknown"]}), SPACE_ERROR_FIELDS)
        assert list(unknown) == ["name"]
    finally:
        context.pop()
