"""Schema building blocks of the wire schemas (and so of the gateway's OpenAPI document)."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from services.contracts.vocabulary import (
    FIRST_YEAR, LANGUAGE_CODE, LAST_YEAR, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, TIME_OF_DAY_PATTERN, Pattern,
)

__all__ = ["StrictSchema", "Flag", "whole_number", "text", "moment", "day", "timestamp", "time_of_day",
           "PageQuerySchema"]


class StrictSchema(Schema):
    """Unknown fields are an error, not silently dropped: a typo should not look like success."""

    class Meta:
        unknown = RAISE


class Flag(fields.Boolean):
    """`true` or `false` in a JSON body, nothing else: marshmallow's Boolean also takes 1, "yes" or "on", which
    the documented type refuses. (A query string's flags are text, and stay `fields.Boolean`.)"""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is not True and value is not False:
            raise self.make_error("invalid", input=value)
        return value


def whole_number(**kwargs):
    """An integer in a JSON body: not "5" nor 5.5. (A query string's numbers are text: `fields.Integer`.)"""
    return fields.Integer(strict=True, **kwargs)


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs):
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)


def time_of_day(example: str, **kwargs):
    """A time of day, HH:MM."""
    return fields.String(validate=Pattern(TIME_OF_DAY_PATTERN, error=f"Use a time of day like {example}."),
                         **kwargs)


def _within_calendar(value):
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(f"Give a date between {FIRST_YEAR} and {LAST_YEAR}.")


def moment(**kwargs):
    """An aware timestamp (a naive one is refused) between 1970 and 2199."""
    return fields.AwareDateTime(validate=_within_calendar, **kwargs)


def day(**kwargs):
    """A calendar day (YYYY-MM-DD) between 1970 and 2199."""
    return fields.Date(validate=_within_calendar, **kwargs)


def timestamp(**kwargs):
    """A UTC timestamp on the wire (`2026-12-24T17:00:00Z`); services send them as strings."""
    return fields.String(metadata={"format": "date-time", "example": "2026-12-24T17:00:00Z"}, **kwargs)


class PageQuerySchema(StrictSchema):
    limit = fields.Integer(load_default=PAGE_LIMIT_DEFAULT, validate=validate.Range(min=1, max=PAGE_LIMIT_MAX))
    cursor = text(200, load_default=None)
