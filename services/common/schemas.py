"""Schema building blocks shared by the services' schemas (and so by the gateway's OpenAPI document)."""
import functools

from marshmallow import Schema, fields, validate, RAISE

LANGUAGE_CODE = validate.Regexp(r"^[a-z]{2,3}$", error="Use a short language code such as de, tr or ar.")


class StrictSchema(Schema):
    """Unknown fields are an error, not silently dropped: a typo should not look like success."""

    class Meta:
        unknown = RAISE


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs):
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kwargs)


FIRST_YEAR, LAST_YEAR = 1970, 2199


def _within_calendar(value) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR


# Dates and times far outside a house's life (year 1, year 9999) are refused at the door: arithmetic on them
# (a week later, a day's bounds) would overflow Python's calendar deep inside a service.
def moment(**kwargs):
    """An aware timestamp (a naive one is refused) between 1970 and 2199."""
    return fields.AwareDateTime(validate=_calendar_check, **kwargs)


def day(**kwargs):
    """A calendar day (YYYY-MM-DD) between 1970 and 2199."""
    return fields.Date(validate=_calendar_check, **kwargs)


def _calendar_check(value):
    from marshmallow import ValidationError

    if not _within_calendar(value):
        raise ValidationError(f"Give a date between {FIRST_YEAR} and {LAST_YEAR}.")


def timestamp(**kwargs):
    """A UTC timestamp on the wire (`2026-12-24T17:00:00Z`); services send them as strings."""
    return fields.String(metadata={"format": "date-time", "example": "2026-12-24T17:00:00Z"}, **kwargs)


@functools.cache
def _instance(schema_class):
    """One instance per schema: building one costs more than loading a request with it, and loading does not
    change it (our schemas keep no per-call state), so every worker shares it."""
    return schema_class()


def load(schema_class, data, *, partial=False) -> dict:
    """Validate input inside a service: a broken field becomes a typed `Invalid` that crosses the wire."""
    from marshmallow import ValidationError

    from services.common.errors import Invalid

    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.")
    try:
        return _instance(schema_class).load(data, partial=partial)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise Invalid("Some fields are not valid.", errors=messages)


class PageQuerySchema(StrictSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = text(200, load_default=None)
