"""Times and rules the spaces unit tests share: Berlin wall-clock instants and the community room."""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from services.spaces.domain import Rules

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(year, month, day, hour=0, minute=0, *, fold=0):
    """The UTC instant of a Berlin wall-clock time; fold=1 is the second pass of the repeated autumn hour."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN, fold=fold).astimezone(UTC)


def community_room(**overrides):
    fields = dict(
        open_from=time(8), open_until=time(22), slot_minutes=30, min_duration_minutes=60,
        max_duration_minutes=120, max_days_ahead=30, household_quota_minutes_per_week=240,
        requires_approval=False, buffer_minutes=30,
    )
    fields.update(overrides)
    return Rules(**fields)
