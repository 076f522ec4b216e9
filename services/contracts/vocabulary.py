"""The words every part of the platform shares, defined once."""
from marshmallow import ValidationError, validate


class Pattern(validate.Regexp):
    """A regular expression the whole value must match. Python's `$` also matches before a final newline, so that
    `validate.Regexp("^[a-z]{2,3}$")` let "de\\n" through; the OpenAPI document's pattern (JSON Schema) does not."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# Leichte Sprache (easy-to-read German) as a language of its own: a BCP 47 private-use tag, so pages say
# lang="de-x-ls" and every tool that only knows "de" still reads it as German.
EASY_GERMAN = "de-x-ls"
# The languages with catalogs everywhere (pages, messages, emails); German, the house's common language, first,
# Leichte Sprache beside it.
PAGE_LANGUAGES = ("de", EASY_GERMAN, "en", "tr", "ar", "ru")
FALLBACK_LANGUAGE = "de"
# Written right to left.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb", "yi", "dv", "sd", "ug"})
# A member may speak any language; this is how one is written on the wire.
LANGUAGE_CODE = Pattern(r"^[a-z]{2,3}$", error="Use a short language code such as de, tr or ar.")
# A notice's audience may also be the readers of Leichte Sprache.
AUDIENCE_LANGUAGE = Pattern(r"^([a-z]{2,3}|de-x-ls)$", error="Use a short language code such as de, tr or ar, "
                                                             "or de-x-ls for Leichte Sprache.")


def spoken_language(page_language: str) -> str:
    """The language a reader of `page_language` speaks: a reader of Leichte Sprache speaks German."""
    return "de" if page_language == EASY_GERMAN else page_language

# What neighbours ask each other for.
HELP_CATEGORIES = ("shopping", "accompany", "tech", "translation", "household", "garden", "transport", "other")

# A community's time zone unless it names another (the first houses are in Hamburg).
DEFAULT_TIMEZONE = "Europe/Berlin"

# A time of day on the wire: 08:00, 21:30.
TIME_OF_DAY_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
# Dates outside a house's life are refused at the door (arithmetic on year 1 or 9999 overflows deep inside).
FIRST_YEAR, LAST_YEAR = 1970, 2199
# Paging of every list: how many items at most in one page.
PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX = 50, 200
