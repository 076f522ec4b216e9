"""Languages shared by every part that speaks to residents: gettext catalogs compiled in memory from .po files
with German as the fallback, text direction, and dates spelled out in the reader's language and the community's
time zone.

The catalogs are read and compiled in memory on first use, so there are no .mo files to build. German is the
community's common language, so it is the fallback twice over: a reader whose language has no catalog reads
German, and a msgid that is missing, empty or fuzzy in a catalog is shown in German, never as the English msgid.

Leichte Sprache (easy-to-read German) is a page language of its own, "de-x-ls", with its own catalogs: a
msgid it lacks is shown in German. Babel knows no such locale, so its catalogs live in a directory Babel can
parse (`catalog_name`, "de_LEICHTE", which `pybabel update` reads as German), and its dates are German ones
(`babel_locale`).

Dates use fixed patterns per language, so the text does not drift with CLDR updates and always uses the
24-hour clock. Pure: no Nameko, no Flask, no clock.
"""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from services.common.clock import as_utc
from services.contracts.vocabulary import EASY_GERMAN, FALLBACK_LANGUAGE, PAGE_LANGUAGES as LANGUAGES, RTL_LANGUAGES

# The directory of a language's catalog where its code is no locale Babel can parse ("de_LEICHTE" parses as German
# with a variant, so `pybabel update -d` keeps working).
_CATALOG_NAMES = {EASY_GERMAN: "de_LEICHTE"}

# (date pattern, what joins date and time); the time is always "HH:mm".
_DATE_PATTERNS: dict[str, tuple[str, str]] = {
    "de": ("EEEE, d. MMMM y", ", "),      # Donnerstag, 24. Dezember 2026, 18:00
    "en": ("EEEE, d MMMM y", ", "),       # Thursday, 24 December 2026, 18:00
    "tr": ("d MMMM y EEEE", " "),         # 24 Aralık 2026 Perşembe 18:00
    "ar": ("EEEE، d MMMM y", "، "),       # الخميس، 24 ديسمبر 2026، 18:00
    "ru": ("EEEE, d MMMM y 'г'.", ", "),  # четверг, 24 декабря 2026 г., 18:00
}
# A day of the current week, without the year.
_DAY_PATTERNS = {"de": "EEEE, d. MMMM", "en": "EEEE, d MMMM", "tr": "d MMMM EEEE", "ar": "EEEE، d MMMM",
                 "ru": "EEEE, d MMMM"}



def primary_language(language: str | None) -> str:
    """"ar-SY", "AR", "ar_SY" -> "ar"; nothing -> ""."""
    return (language or "").replace("_", "-").split("-")[0].strip().lower()


def page_language(language: str | None) -> str:
    """A language as the pages and messages know it: Leichte Sprache stays itself ("de-x-ls", "DE_x_LS" ->
    "de-x-ls"); any other tag is its primary language ("ar-SY" -> "ar"); nothing -> ""."""
    cleaned = (language or "").replace("_", "-").strip().lower()
    return EASY_GERMAN if cleaned == EASY_GERMAN else primary_language(cleaned)


def babel_locale(language: str | None) -> str:
    """The locale Babel spells dates and plurals in: Leichte Sprache is German."""
    wanted = page_language(language)
    return FALLBACK_LANGUAGE if wanted == EASY_GERMAN else wanted


def catalog_name(language: str) -> str:
    """The directory of `language`'s catalog under a translations directory: "de_LEICHTE" for "de-x-ls"."""
    return _CATALOG_NAMES.get(language, language)


def text_direction(language: str | None) -> str:
    """"rtl" or "ltr" for text in `language`. For a rendered notification ask about `language_served(...)`:
    a Farsi reader currently gets German, which runs left to right."""
    return "rtl" if primary_language(language) in RTL_LANGUAGES else "ltr"



class MessageCatalogs:
    """The catalogs found in one directory, compiled in memory on first use, each falling back to German."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self._compiled: dict[str, NullTranslations] = {}

    def has(self, language: str) -> bool:
        return self._po_path(language).is_file()

    def language_served(self, language: str | None) -> str:
        """The catalog a reader of `language` gets: their own if there is one, else German."""
        wanted = page_language(language)
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
            catalog = read_po(po, locale=babel_locale(language))
        mo = io.BytesIO()
        write_mo(mo, catalog)  # leaves out empty and fuzzy entries, so those fall back to German
        mo.seek(0)
        return Translations(mo, domain="messages")

    def _po_path(self, language: str) -> Path:
        return self.directory / catalog_name(language) / "LC_MESSAGES" / "messages.po"



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


def format_day(day: date, language: str | None) -> str:
    """A calendar day without its year, e.g. "Donnerstag, 24. Dezember" (German for a language without a pattern)."""
    locale = primary_language(language)
    if locale not in _DAY_PATTERNS:
        locale = FALLBACK_LANGUAGE
    return format_date(day, _DAY_PATTERNS[locale], locale=locale)
