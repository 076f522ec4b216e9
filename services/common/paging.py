"""Opaque page cursors: the sort key of the last item shown, so the next page starts right after it."""
import base64
import json
from datetime import datetime

from services.common.clock import as_utc, parse_iso
from services.common.errors import Invalid


def encode_cursor(*key) -> str:
    # Times keep their microseconds: a cursor cut to the second would skip (or repeat) the items made in
    # the same second as the page's last one.
    values = [as_utc(value).isoformat(timespec="microseconds") if isinstance(value, datetime) else value
              for value in key]
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


def keyset_page(query, *, field: str, kind: type, limit: int, cursor: str | None, newest_first: bool = False):
    """One page of a MongoEngine query ordered by (`field`, id), and the cursor of the next page (or None).

    Keyset paging: the next page starts right after the last item shown, so items added meanwhile neither
    repeat nor go missing, and no page costs more than its own length on a real MongoDB."""
    from mongoengine import Q

    if cursor:
        value, after_id = decode_cursor(cursor, kind, str)
        beyond = "lt" if newest_first else "gt"
        query = query.filter(Q(**{f"{field}__{beyond}": value}) | (Q(**{field: value}) & Q(**{f"id__{beyond}": after_id})))
    order = ("-" if newest_first else "") + field
    page = list(query.order_by(order, "-id" if newest_first else "id").limit(limit + 1))
    more = len(page) > limit
    page = page[:limit]
    return page, (encode_cursor(getattr(page[-1], field), page[-1].id) if more else None)
