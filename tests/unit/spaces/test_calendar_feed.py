"""The bookings feed: what calendar programs read back from it, on the community's wall clock, across DST."""
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from services.spaces.calendar import FeedEntry, feed_token, feed_token_hash, render_feed

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
TZ_NAME = "Europe/Berlin"
HOUR = timedelta(hours=1)
NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def utc(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def entry(booking_id=1, start=None, end=None, **overrides):
    start = start or utc(2026, 7, 1, 12)
    fields = dict(
        uid=f"booking-{booking_id}@cohousing-altona", start=start, end=end or start + 2 * HOUR,
        summary="Gemeinschaftsraum: Spielenachmittag",
    )
    fields.update(overrides)
    return FeedEntry(**fields)


def render(entries, now=NOW, name="Gemeinschaftsraum"):
    return render_feed(name=name, entries=entries, tz_name=TZ_NAME, now=now)


def events(raw):
    return Calendar.from_ical(raw).walk("VEVENT")


def only_event(raw):
    (event,) = events(raw)
    return event


def text_property(component, name):
    """An X- property read as TEXT (RFC 5545 3.3.11), as calendar programs read X-WR-CALNAME.

    The library does not know the X-WR properties and hands back their raw value, so unescape it here.
    """
    raw = component[name].to_ical().decode("utf-8")
    return re.sub(r"\\([\\;,nN])", lambda match: "\n" if match.group(1) in "nN" else match.group(1), raw)


def vtimezones(raw):
    return Calendar.from_ical(raw).walk("VTIMEZONE")


def offset_from_vtimezone(vtimezone, wall_clock):
    """The UTC offset the VTIMEZONE alone gives a wall-clock time, read as a client would, without zoneinfo.

    The sub-component whose latest onset (DTSTART or an RDATE, in local time) is not after the wall-clock time
    is in force. The library writes transitions as RDATEs; an RRULE would need a recurrence engine here.
    """
    in_force = None
    for sub in vtimezone.walk():
        if sub.name not in ("STANDARD", "DAYLIGHT"):
            continue
        assert "RRULE" not in sub, "this reader only understands RDATE transitions"
        onsets = [sub.decoded("DTSTART")]
        rdates = sub.get("RDATE", [])
        for rdate_list in rdates if isinstance(rdates, list) else [rdates]:
            onsets.extend(value.dt for value in rdate_list.dts)
        for onset in onsets:
            if onset <= wall_clock and (in_force is None or onset > in_force[0]):
                in_force = (onset, sub["TZOFFSETTO"].td)
    assert in_force is not None, f"the VTIMEZONE does not reach back to {wall_clock}"
    return in_force[1]


# --- The calendar and its events --------------------------------------------------------------------------

def test_feed_parses_back_with_calendar_properties_and_one_event_per_entry():
    entries = [
        entry(1, summary="Werkstatt: Fahrrad reparieren"),
        entry(2, start=utc(2026, 7, 2, 8), summary="Gästewohnung: Besuch von Leyla", status="TENTATIVE"),
    ]

    calendar = Calendar.from_ical(render(entries, name="Buchungen Mitte Altona"))

    assert str(calendar["PRODID"]) == "-//Cohousing Mitte Altona//Bookings//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert text_property(calendar, "X-WR-CALNAME") == "Buchungen Mitte Altona"
    assert text_property(calendar, "X-WR-TIMEZONE") == "Europe/Berlin"
    assert [(str(e["UID"]), str(e["SUMMARY"]), str(e["STATUS"])) for e in calendar.walk("VEVENT")] == [
        ("booking-1@cohousing-altona", "Werkstatt: Fahrrad reparieren", "CONFIRMED"),
        ("booking-2@cohousing-altona", "Gästewohnung: Besuch von Leyla", "TENTATIVE"),
    ]


def test_event_carries_end_description_location_sequence_and_last_modified():
    changed = utc(2026, 6, 14, 18, 5)
    event = only_event(render([entry(
        description="Bitte Schlüssel bei Familie Yılmaz abholen", location="Haus B, Erdgeschoss",
        sequence=3, last_modified=changed,
    )]))

    assert event.decoded("DTEND").astimezone(UTC) == utc(2026, 7, 1, 14)
    assert str(event["DESCRIPTION"]) == "Bitte Schlüssel bei Familie Yılmaz abholen"
    assert str(event["LOCATION"]) == "Haus B, Erdgeschoss"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("LAST-MODIFIED") == changed


def test_empty_description_location_and_missing_last_modified_are_left_out():
    event = only_event(render([entry()]))

    assert "DESCRIPTION" not in event
    assert "LOCATION" not in event
    assert "LAST-MODIFIED" not in event
    assert event.decoded("SEQUENCE") == 0


# --- Wall clock and DST -----------------------------------------------------------------------------------

@pytest.mark.parametrize("start, wall_clock", [
    (utc(2026, 12, 24, 17), datetime(2026, 12, 24, 18, 0)),
    (utc(2026, 7, 1, 12), datetime(2026, 7, 1, 14, 0)),
])
def test_start_reads_back_as_berlin_wall_clock_with_tzid(start, wall_clock):
    event = only_event(render([entry(start=start)]))

    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART").replace(tzinfo=None) == wall_clock


@pytest.mark.parametrize("start", [
    utc(2026, 3, 28, 23, 30),  # 00:30 CET, the night the clocks go forward
    utc(2026, 3, 29, 0, 30),   # 01:30 CET, the last half hour before the gap
    utc(2026, 3, 29, 1),       # 03:00 CEST, the first moment after it
    utc(2026, 3, 29, 10),      # 12:00 CEST
    utc(2026, 10, 24, 23, 30),  # 01:30 CEST, the night the clocks go back
    utc(2026, 10, 25, 0, 30),  # 02:30 CEST, first pass of the repeated hour
    utc(2026, 10, 25, 1),      # 02:00 CET, second pass
    utc(2026, 10, 25, 1, 30),  # 02:30 CET, second pass
    utc(2026, 10, 25, 2),      # 03:00 CET
    utc(2026, 10, 25, 11),     # 12:00 CET
], ids=str)
def test_events_on_both_dst_days_keep_their_instants(start):
    for end in (start + HOUR // 2, start + HOUR, start + 3 * HOUR):
        event = only_event(render([entry(start=start, end=end)]))

        assert event.decoded("DTSTART").astimezone(UTC) == start
        assert event.decoded("DTEND").astimezone(UTC) == end


def test_only_the_second_pass_of_the_repeated_autumn_hour_is_written_in_utc():
    first_pass, second_pass = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)  # both 02:30 in Berlin
    event = only_event(render([entry(start=first_pass, end=second_pass)]))

    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert "TZID" not in event["DTEND"].params
    assert event["DTEND"].to_ical() == b"20261025T013000Z"


# --- The VTIMEZONE ----------------------------------------------------------------------------------------

def test_feed_has_one_berlin_vtimezone_with_standard_and_daylight_time():
    raw = render([entry(start=utc(2026, 3, 29, 10)), entry(2, start=utc(2026, 12, 24, 17))])

    (vtimezone,) = vtimezones(raw)
    assert str(vtimezone["TZID"]) == "Europe/Berlin"
    assert len(vtimezone.walk("STANDARD")) >= 1
    assert len(vtimezone.walk("DAYLIGHT")) >= 1
    assert raw.index(b"BEGIN:VTIMEZONE") < raw.index(b"BEGIN:VEVENT")


def test_vtimezone_alone_gives_every_event_its_real_offset_in_every_year_of_the_feed():
    starts = [utc(2026, 1, 10, 9), utc(2026, 3, 29, 1), utc(2026, 8, 1, 9), utc(2026, 10, 25, 0, 30),
              utc(2027, 2, 1, 9), utc(2027, 7, 1, 9), utc(2027, 12, 31, 22, 30)]
    raw = render([entry(number, start=start) for number, start in enumerate(starts)])

    (vtimezone,) = vtimezones(raw)
    for start in starts:
        wall_clock = start.astimezone(BERLIN)
        assert offset_from_vtimezone(vtimezone, wall_clock.replace(tzinfo=None)) == wall_clock.utcoffset(), start


def test_empty_feed_is_a_valid_calendar_that_still_carries_the_vtimezone():
    raw = render([])

    calendar = Calendar.from_ical(raw)
    assert calendar.walk("VEVENT") == []
    assert text_property(calendar, "X-WR-TIMEZONE") == "Europe/Berlin"
    (vtimezone,) = vtimezones(raw)  # RFC 5545 asks for at least one component in a VCALENDAR
    assert vtimezone.walk("STANDARD") and vtimezone.walk("DAYLIGHT")
    assert offset_from_vtimezone(vtimezone, datetime(2026, 6, 15, 11, 30)) == 2 * HOUR


# --- Stability --------------------------------------------------------------------------------------------

def test_uid_is_the_same_in_two_renders_and_dtstamp_is_now():
    booking = entry(42)
    later = NOW + timedelta(hours=5)

    first, second = only_event(render([booking])), only_event(render([booking], now=later))

    assert str(first["UID"]) == str(second["UID"]) == "booking-42@cohousing-altona"
    assert first.decoded("DTSTAMP") == NOW
    assert second.decoded("DTSTAMP") == later
    assert first["DTSTAMP"].to_ical() == b"20260615T093000Z"


def test_dtstamp_is_written_in_utc_when_now_comes_in_another_zone():
    event = only_event(render([entry()], now=NOW.astimezone(BERLIN)))

    assert event["DTSTAMP"].to_ical() == b"20260615T093000Z"


# --- Text and lines ---------------------------------------------------------------------------------------

AWKWARD_TEXTS = [
    "Kaffee, Kuchen; und Gespräche",
    "Erste Zeile\nZweite Zeile\n\nNach einer Leerzeile",
    "اجتماع الجيران، مساءً",
    "İstanbul'dan misafirler; Ayşe ve Işıl",
    "Чаепитие, потом хор; приходите!",
    "Backslash \\ and \\n that is not a line break, \"quotes\" and: colons",
]


@pytest.mark.parametrize("text", AWKWARD_TEXTS)
def test_text_in_any_script_and_with_separators_round_trips_exactly(text):
    raw = render([entry(summary=text, description=text, location=text)], name=text)

    calendar = Calendar.from_ical(raw)
    event = only_event(raw)
    assert text_property(calendar, "X-WR-CALNAME") == text
    assert str(event["SUMMARY"]) == text
    assert str(event["DESCRIPTION"]) == text
    assert str(event["LOCATION"]) == text


def test_every_line_is_at_most_75_octets_and_ends_with_crlf():
    long_text = " ".join(AWKWARD_TEXTS) * 3
    raw = render([entry(summary=long_text, description=long_text, location=long_text)], name=long_text)

    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert sum(line.startswith(b" ") for line in lines) > 10  # folding really happened
    for line in lines:
        line.decode("utf-8")  # folding never splits a character


# --- What the feed refuses --------------------------------------------------------------------------------

def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="start"):
        entry(start=datetime(2026, 7, 1, 12))
    with pytest.raises(ValueError, match="now"):
        render([entry()], now=datetime(2026, 6, 15, 9, 30))


def test_cancelled_is_not_a_status_because_cancelled_bookings_leave_the_feed():
    with pytest.raises(ValueError, match="status"):
        entry(status="CANCELLED")


def test_entry_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends before it starts"):
        entry(start=utc(2026, 7, 1, 12), end=utc(2026, 7, 1, 12))


def test_two_entries_with_the_same_uid_are_refused():
    with pytest.raises(ValueError, match="UID"):
        render([entry(7), entry(7, start=utc(2026, 7, 2, 12))])


# --- Feed links -------------------------------------------------------------------------------------------

def test_feed_tokens_are_unique_and_url_safe():
    tokens = [feed_token() for _ in range(200)]

    assert len(set(tokens)) == len(tokens)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in tokens)


def test_token_hash_is_deterministic_hex_and_not_the_token():
    token = feed_token()

    assert feed_token_hash(token) == feed_token_hash(token)
    assert re.fullmatch(r"[0-9a-f]{64}", feed_token_hash(token))
    assert feed_token_hash(token) != token
    assert feed_token_hash(token) != feed_token_hash(feed_token())
