"""The words of every notification: a kind and its facts become a title and a body in the reader's language.

The wording lives in gettext catalogs, one per language, in `translations/<lang>/LC_MESSAGES/messages.po`;
the msgids are the English source with named placeholders (`{space}`, `{when}`, `{name}`, `{title}`,
`{category}`). The .po files are read and compiled in memory on first use, so there are no .mo files to build.

German is the community's common language, so German is the fallback twice over: a member whose language has
no catalog (Polish, Farsi, ...) reads German, and a msgid that is missing, empty or fuzzy in a catalog is shown
in German, never as the English msgid. The German catalog must therefore be complete (a test holds it to that).

Dates and times are spelled out in the reader's language, in the community's time zone, with fixed patterns
per language so that the text does not drift with CLDR updates and always uses the 24-hour clock.

Pure: no Nameko, no database, no clock. Callers pass the community's `tz`.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Mapping

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from services.common.clock import as_utc

TRANSLATIONS_DIR = Path(__file__).with_name("translations")
FALLBACK_LANGUAGE = "de"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "yi", "dv", "sd", "ug"})

# Unicode "first strong isolate" ... "pop directional isolate": keeps a Latin name or a title ending in "!"
# from being reordered inside right-to-left text.
_ISOLATE, _POP_ISOLATE = "\u2068", "\u2069"


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (`pybabel extract -k N_`); the lookup happens at render time."""
    return msgid


@dataclass(frozen=True)
class Wording:
    title: str
    body: str
    needs: tuple[str, ...]
    body_by_organiser: str | None = None  # booking_cancelled: said differently when an organiser did it


_BOOKING = ("space", "start")  # `end` is optional: without it only the start is spelled out
_WORDINGS: dict[str, Wording] = {
    "welcome": Wording(
        N_("Welcome, {name}!"),
        N_("You are now a member of your house community. Here you can book shared rooms, ask your neighbours "
           "for help, offer help yourself and read notices for the house."),
        ("name",)),
    "booking_confirmed": Wording(
        N_("Booked: {space}"),
        N_("Your booking is confirmed.\nRoom: {space}\nWhen: {when}\n"
           "If you cannot come, please cancel the booking. Then others can use the room."),
        _BOOKING),
    "booking_pending": Wording(
        N_("Request sent: {space}"),
        N_("Thank you for your request. The organisers still have to agree. "
           "We will let you know as soon as they have decided.\nRoom: {space}\nWhen: {when}"),
        _BOOKING),
    "booking_approval_needed": Wording(
        N_("Please decide: {space}"),
        N_("{name} would like to book a room and is waiting for your answer.\nRoom: {space}\nWhen: {when}\n"
           "Please approve or decline the request."),
        ("name", *_BOOKING)),
    "booking_approved": Wording(
        N_("Approved: {space}"),
        N_("Good news: your request has been approved. The room is booked for you.\nRoom: {space}\nWhen: {when}"),
        _BOOKING),
    "booking_rejected": Wording(
        N_("Not approved: {space}"),
        N_("We are sorry: your request was not approved. The room is not booked for you.\nRoom: {space}\n"
           "When: {when}\nIf you have questions, please ask the organisers."),
        _BOOKING),
    "booking_cancelled": Wording(
        N_("Cancelled: {space}"),
        N_("Your booking has been cancelled.\nRoom: {space}\nWhen: {when}\n"
           "If you have questions, please ask the organisers."),
        _BOOKING,
        body_by_organiser=N_("The organisers have cancelled your booking.\nRoom: {space}\nWhen: {when}\n"
                             "If you have questions, please ask the organisers.")),
    "booking_reminder": Wording(
        N_("Reminder: {space}"),
        N_("This is a reminder of your booking.\nRoom: {space}\nWhen: {when}\n"
           "If you no longer need the room, please cancel the booking."),
        _BOOKING),
    "help_requested": Wording(
        N_("{name} is asking for help"),
        N_("{name} is asking for help.\nWhat: {title}\nKind of help: {category}\n"
           "If you can help, please open the request and offer your help."),
        ("name", "title", "category")),
    "help_offer_received": Wording(
        N_("{name} would like to help you"),
        N_("{name} has offered to help you.\nYour request: {title}\n"
           "If that suits you, please open your request and accept the offer."),
        ("name", "title")),
    "help_offer_accepted": Wording(
        N_("Your offer of help was accepted"),
        N_("{name} has accepted your offer. Thank you!\nWhat: {title}\n"
           "You can now see the phone number. Please open the request and get in touch."),
        ("name", "title")),
    "help_completed": Wording(
        N_("Thank you for your help!"),
        N_("The help is done. Thank you very much for helping {name}!\nWhat: {title}"),
        ("name", "title")),
    "help_cancelled": Wording(
        N_("No longer needed: {title}"),
        N_("The request for help from {name} has been cancelled. You do not need to do anything. "
           "Thank you for being willing to help.\nWhat: {title}"),
        ("name", "title")),
    "help_expired": Wording(
        N_("Your request has ended"),
        N_("Unfortunately nobody offered help in time, so your request has ended. "
           "You are welcome to ask again at any time.\nYour request: {title}"),
        ("title",)),
    "help_reopened": Wording(
        N_("{name} can no longer help"),
        N_("Unfortunately {name} can no longer help you. Your request is open again, "
           "so other neighbours can offer their help.\nYour request: {title}"),
        ("name", "title")),
}
KINDS = tuple(_WORDINGS)

# The help service's category codes; a code this module does not know yet is shown as "Other help".
CATEGORY_LABELS: dict[str, str] = {
    "shopping": N_("Shopping"),
    "accompany": N_("Going along to appointments"),
    "tech": N_("Phone and computer"),
    "translation": N_("Translating"),
    "household": N_("Help in the home"),
    "garden": N_("Garden and plants"),
    "transport": N_("Rides and transport"),
    "other": N_("Other help"),
}

# Words of the pages and emails around the notifications.
PHRASES = {
    "someone": N_("A neighbour"),
    "digest_subject": N_("News from your house ({count})"),
    "board_title": N_("Notice board"),
    "board_week": N_("Week from"),
    "board_urgent": N_("Urgent"),
    "board_empty": N_("No notices this week."),
}

MSGIDS = tuple(dict.fromkeys(
    [msgid for w in _WORDINGS.values() for msgid in (w.title, w.body, w.body_by_organiser) if msgid]
    + list(CATEGORY_LABELS.values()) + list(PHRASES.values())))

# (date pattern, what joins date and time); the time is always "HH:mm".
_DATE_PATTERNS: dict[str, tuple[str, str]] = {
    "de": ("EEEE, d. MMMM y", ", "),      # Donnerstag, 24. Dezember 2026, 18:00
    "en": ("EEEE, d MMMM y", ", "),       # Thursday, 24 December 2026, 18:00
    "tr": ("d MMMM y EEEE", " "),         # 24 Aralık 2026 Perşembe 18:00
    "ar": ("EEEE، d MMMM y", "، "),       # الخميس، 24 ديسمبر 2026، 18:00
    "ru": ("EEEE, d MMMM y 'г'.", ", "),  # четверг, 24 декабря 2026 г., 18:00
}


def primary_language(language: str | None) -> str:
    """"ar-SY", "AR", "ar_SY" -> "ar"; nothing -> ""."""
    return (language or "").replace("_", "-").split("-")[0].strip().lower()


def text_direction(language: str | None) -> str:
    """"rtl" or "ltr" for text in `language`. For a rendered notification ask about `language_served(...)`:
    a Farsi reader currently gets German, which runs left to right."""
    return "rtl" if primary_language(language) in RTL_LANGUAGES else "ltr"


class MessageCatalogs:
    """The catalogs found in one directory, compiled in memory on first use, each falling back to German."""

    def __init__(self, directory: Path | str = TRANSLATIONS_DIR):
        self.directory = Path(directory)
        self._compiled: dict[str, NullTranslations] = {}

    def has(self, language: str) -> bool:
        return self._po_path(language).is_file()

    def language_served(self, language: str | None) -> str:
        """The catalog a reader of `language` gets: their own if there is one, else German."""
        wanted = primary_language(language)
        return wanted if wanted and self.has(wanted) else FALLBACK_LANGUAGE

    def translations(self, language: str | None) -> NullTranslations:
        served = self.language_served(language)
        if served not in self._compiled:
            self._compiled[served] = self._load(served)
        return self._compiled[served]

    def _load(self, language: str) -> NullTranslations:
        if language == FALLBACK_LANGUAGE:
            # Without a German catalog the msgid is the last resort; the tests keep that from happening.
            return self._compile(language) if self.has(language) else NullTranslations()
        translations = self._compile(language)
        translations.add_fallback(self.translations(FALLBACK_LANGUAGE))
        return translations

    def _compile(self, language: str) -> Translations:
        with self._po_path(language).open("rb") as po:
            catalog = read_po(po, locale=language)
        mo = io.BytesIO()
        write_mo(mo, catalog)  # leaves out empty and fuzzy entries, so those fall back to German
        mo.seek(0)
        return Translations(mo, domain="messages")

    def _po_path(self, language: str) -> Path:
        return self.directory / language / "LC_MESSAGES" / "messages.po"


@cache
def default_catalogs() -> MessageCatalogs:
    return MessageCatalogs()


def language_served(language: str | None, *, catalogs: MessageCatalogs | None = None) -> str:
    return (catalogs or default_catalogs()).language_served(language)


def render(kind: str, language: str | None, facts: Mapping[str, object], tz: tzinfo, *,
           catalogs: MessageCatalogs | None = None) -> tuple[str, str]:
    """(title, body) of a notification of `kind` for a reader of `language`.

    `facts` holds plain values: `space`, `name`, `title` (free text, shown as given), `category` (a help
    category code), `start`/`end` (aware datetimes, spelled out in `tz`), `by_organiser` (booking_cancelled).
    The body may contain line breaks. Raises ValueError for an unknown kind or a missing fact.
    """
    wording = _WORDINGS.get(kind)
    if wording is None:
        raise ValueError(f"Unknown notification kind {kind!r}; known kinds: {', '.join(KINDS)}.")
    missing = [fact for fact in wording.needs if facts.get(fact) in (None, "")]
    if missing:
        raise ValueError(f"A {kind} notification needs these facts: {', '.join(missing)}.")
    catalogs = catalogs or default_catalogs()
    served = catalogs.language_served(language)
    translations = catalogs.translations(served)
    values = _placeholder_values(facts, served, tz, translations)
    body = wording.body_by_organiser if wording.body_by_organiser and facts.get("by_organiser") else wording.body
    return translations.gettext(wording.title).format_map(values), translations.gettext(body).format_map(values)


def _placeholder_values(facts: Mapping[str, object], language: str, tz: tzinfo,
                        translations: NullTranslations) -> dict[str, str]:
    values = {}
    for fact in ("name", "title", "space"):
        if facts.get(fact) not in (None, ""):
            text = str(facts[fact])
            values[fact] = f"{_ISOLATE}{text}{_POP_ISOLATE}" if text_direction(language) == "rtl" else text
    if facts.get("category") not in (None, ""):
        label = CATEGORY_LABELS.get(str(facts["category"]), CATEGORY_LABELS["other"])
        values["category"] = translations.gettext(label)
    if facts.get("start") is not None:
        start, end = _moment(facts, "start"), _moment(facts, "end") if facts.get("end") is not None else None
        values["when"] = format_span(start, end, language, tz) if end else format_when(start, language, tz)
    return values


def _moment(facts: Mapping[str, object], fact: str) -> datetime:
    moment = facts[fact]
    if not isinstance(moment, datetime):
        raise ValueError(f"The fact {fact!r} must be a datetime (read event timestamps with "
                         f"services.common.clock.parse_iso), not {type(moment).__name__}.")
    return moment


def format_when(moment: datetime, language: str | None, tz: tzinfo) -> str:
    """Date and time spelled out, e.g. "Donnerstag, 24. Dezember 2026, 18:00". A naive moment is taken as UTC;
    a language without a pattern gets German, as its notifications do."""
    date_text, joiner, time_text = _parts(moment, language, tz)
    return f"{date_text}{joiner}{time_text}"


def format_span(start: datetime, end: datetime, language: str | None, tz: tzinfo) -> str:
    """"Donnerstag, 24. Dezember 2026, 18:00–20:00" within one day (an end at midnight reads "24:00"),
    otherwise both ends in full, joined by " – "."""
    date_text, joiner, start_time = _parts(start, language, tz)
    local_start, local_end = as_utc(start).astimezone(tz), as_utc(end).astimezone(tz)
    if local_end.date() == local_start.date():
        return f"{date_text}{joiner}{start_time}–{_parts(end, language, tz)[2]}"
    ends_at_midnight = local_end.time() == time(0, 0) and local_end.date() == local_start.date() + timedelta(days=1)
    if ends_at_midnight:
        return f"{date_text}{joiner}{start_time}–24:00"
    return f"{format_when(start, language, tz)} – {format_when(end, language, tz)}"


def _parts(moment: datetime, language: str | None, tz: tzinfo) -> tuple[str, str, str]:
    locale = primary_language(language)
    if locale not in _DATE_PATTERNS:
        locale = FALLBACK_LANGUAGE
    date_pattern, joiner = _DATE_PATTERNS[locale]
    moment = as_utc(moment)
    return (format_datetime(moment, date_pattern, tzinfo=tz, locale=locale), joiner,
            format_datetime(moment, "HH:mm", tzinfo=tz, locale=locale))


def phrase(key: str, language: str | None, *, catalogs: MessageCatalogs | None = None, **values) -> str:
    """One of `PHRASES` in the reader's language (German where there is no catalog)."""
    translations = (catalogs or default_catalogs()).translations(language)
    return translations.gettext(PHRASES[key]).format_map(values)


def board_labels(language: str | None) -> dict:
    return {"title": phrase("board_title", language), "week": phrase("board_week", language),
            "urgent": phrase("board_urgent", language), "empty": phrase("board_empty", language)}


def digest_subject(language: str | None, count: int) -> str:
    return phrase("digest_subject", language, count=count)
