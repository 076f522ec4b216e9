"""Opaque page cursors: the sort key of the last item shown, so the next page starts right after it."""
import base64
import json
from datetime import datetime

from services.common.clock import isoformat_z, parse_iso
from services.common.errors import Invalid


def encode_cursor(*key) -> str:
    values = [isoformat_z(value) if isinstance(value, datetime) else value for value in key]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def decode_cursor(cursor: str, *types) -> tuple:
    """The key the cursor was made from, each value of the given type (`datetime` or `str`)."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(values, list) and len(values) == len(types):
            return tuple(parse_iso(value) if kind is datetime else kind(value) for value, kind in zip(values, types))
    except (ValueError, TypeError):
        pass
    raise Invalid("The page cursor is not valid.", errors={"cursor": ["Not a valid cursor."]})
