"""The one time helper: aware UTC now, and the wire format of timestamps (ISO 8601 with `Z`)."""
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive datetime from a store that dropped the zone is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def isoformat_z(moment: datetime | None, timespec: str = "seconds") -> str | None:
    if moment is None:
        return None
    return as_utc(moment).isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries an offset; a naive one is refused."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp has no offset")
    return as_utc(moment)


class Clock(DependencyProvider):
    """The time for a worker, as a function: `self.clock()` is aware UTC now.

    A service that reckons with deadlines takes its `now` from here, so that a test can put a clock it sets in
    its place (`nameko.testing.services.replace_dependencies(container, clock=...)`) and drive the deadlines of
    days and weeks without waiting for them."""

    def get_dependency(self, worker_ctx):
        return utcnow
