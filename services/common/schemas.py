"""Validating a request inside a service with its wire schema (`services.contracts`)."""
import functools

from marshmallow import ValidationError

from services.common.errors import Invalid


@functools.cache
def _instance(schema_class):
    """One instance per schema: building one costs more than loading a request with it, and loading does not
    change it (our schemas keep no per-call state), so every worker shares it."""
    return schema_class()


def load(schema_class, data, *, partial=False) -> dict:
    """Validate input inside a service: a broken field becomes a typed `Invalid` that crosses the wire."""
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.")
    try:
        return _instance(schema_class).load(data, partial=partial)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        raise Invalid("Some fields are not valid.", errors=messages)
