"""The spaces repository in memory: spaces, bookings, feed links and the week ledgers of claimed time."""
from datetime import datetime, timedelta

from services.common.clock import as_utc
from services.spaces.domain import WEEK, utc_weeks
from services.spaces.models import Booking, FeedLink, Space
from services.spaces.repository import LIVE, Ledgers, ledger_id
from tests.support.fakes import FakeRepository, page


class FakeSpacesRepository(FakeRepository):
    def __init__(self, *documents):
        super().__init__(*documents)
        self.ledger_weeks: dict[str, dict] = {}  # ledger id -> {space_id, week_start, version, claims}

    # -- spaces ---------------------------------------------------------------------------------------------
    def space(self, community_id: str, space_id: str) -> Space | None:
        space = self.stored(Space, space_id)
        return space if space is not None and space.community_id == community_id else None

    def spaces(self, community_id: str) -> list[Space]:
        return sorted((s for s in self.all(Space) if s.community_id == community_id), key=lambda s: (s.name, s.id))

    # -- the week ledgers -------------------------------------------------------------------------------------
    def ledgers(self, space_id: str, start: datetime, end: datetime) -> Ledgers:
        versions, claims = {}, []
        for week in utc_weeks(start, end):
            ledger = self.ledger_weeks.get(ledger_id(space_id, week), {"version": 0, "claims": []})
            versions[week] = ledger["version"]
            claims += [dict(claim) for claim in ledger["claims"]]
        return Ledgers(space_id, versions, claims)

    def claim(self, space: Space, ledgers: Ledgers, *, booking_id: str, start: datetime, blocked_end: datetime,
              end: datetime, member_id: str, household: str | None, now: datetime, guard=()) -> bool:
        """One caller at a time here: every week is first checked unchanged since `ledgers`, then all change."""
        claimed_weeks = utc_weeks(start, blocked_end)
        weeks = set(claimed_weeks) | set(guard)
        if any(self._ledger(space.id, week)["version"] != ledgers.versions.get(week, 0) for week in weeks):
            return False
        for week in weeks:
            ledger = self._ledger(space.id, week)
            ledger["version"] += 1
            if week in claimed_weeks:
                ledger["claims"].append({"booking_id": booking_id, "start": start, "end": end, "member_id": member_id,
                                         "household": household, "claimed_at": now})
        return True

    def release(self, space_id: str, booking_id: str, weeks: list[datetime] | None = None) -> None:
        for ledger in self.ledger_weeks.values():
            held = [claim for claim in ledger["claims"] if claim["booking_id"] == booking_id]
            if ledger["space_id"] == space_id and held and (weeks is None or ledger["week_start"] in weeks):
                ledger["claims"] = [claim for claim in ledger["claims"] if claim not in held]
                ledger["version"] += 1

    def forget_ledgers_before(self, moment: datetime) -> None:
        self.ledger_weeks = {key: ledger for key, ledger in self.ledger_weeks.items()
                             if ledger["week_start"] + WEEK >= moment}

    def orphaned_claims(self, claimed_before: datetime) -> list[tuple[str, str]]:
        live = {booking.id for booking in self.all(Booking) if booking.status in LIVE}
        return sorted({(ledger["space_id"], claim["booking_id"]) for ledger in self.ledger_weeks.values()
                       for claim in ledger["claims"]
                       if claim["claimed_at"] < claimed_before and claim["booking_id"] not in live})

    def _ledger(self, space_id: str, week: datetime) -> dict:
        return self.ledger_weeks.setdefault(ledger_id(space_id, week),
                                            {"space_id": space_id, "week_start": week, "version": 0, "claims": []})

    # -- bookings -------------------------------------------------------------------------------------------
    def booking(self, community_id: str, booking_id: str) -> Booking | None:
        booking = self.stored(Booking, booking_id)
        return booking if booking is not None and booking.community_id == community_id else None

    def _bookings(self, **equal) -> list[Booking]:
        return sorted((b for b in self.all(Booking) if all(getattr(b, k) == v for k, v in equal.items())),
                      key=lambda b: (b.start, b.id))

    def live_bookings_between(self, community_id: str, space_id: str, start: datetime, end: datetime) -> list[Booking]:
        return [b for b in self._bookings(community_id=community_id, space_id=space_id)
                if b.status in LIVE and b.start < end and b.end > start]

    def list_bookings(self, community_id: str, *, space_id=None, member_id=None, start=None, end=None,
                      limit: int, cursor: str | None, statuses=LIVE) -> tuple[list[Booking], str | None]:
        found = [b for b in self._bookings(community_id=community_id) if b.status in statuses
                 and (not space_id or b.space_id == space_id) and (not member_id or b.member_id == member_id)
                 and (not start or b.end > start) and (not end or b.start < end)]
        return page(found, field="start", kind=datetime, limit=limit, cursor=cursor)

    def future_bookings_of(self, member_id: str, now: datetime) -> list[Booking]:
        return [b for b in self._bookings(member_id=member_id) if b.status in LIVE and b.end > now]

    def all_bookings_of(self, community_id: str, member_id: str) -> list[Booking]:
        return self._bookings(community_id=community_id, member_id=member_id)

    def series_bookings(self, community_id: str, series_id: str, *, from_start: datetime) -> list[Booking]:
        return [b for b in self._bookings(community_id=community_id, series_id=series_id)
                if b.status in LIVE and b.start >= from_start]

    def anonymise_bookings_of(self, member_id: str) -> None:
        for booking in self._bookings(member_id=member_id):
            booking.purpose, booking.member_name, booking.household = "", None, None
            self.update(booking)

    # -- reminders --------------------------------------------------------------------------------------------
    def due_for_reminder(self, now: datetime, lead: timedelta, limit: int = 500) -> list[Booking]:
        return [b for b in self._bookings(status="confirmed", reminder_published_at=None)
                if now < as_utc(b.start) <= now + lead][:limit]

    def mark_reminder(self, booking: Booking, event: dict, now: datetime) -> bool:
        stored = self.stored(Booking, booking.id)
        if stored is None or stored.reminder_published_at is not None or stored.status != "confirmed":
            return False
        stored.reminder_published_at = now
        stored.record(event)
        self.update(stored)
        return True

    # -- calendar feeds ---------------------------------------------------------------------------------------
    def feed_link(self, token_hash: str) -> FeedLink | None:
        return next((link for link in self.all(FeedLink) if link.token_hash == token_hash), None)

    def forget_feed_link(self, member_id: str) -> None:
        self.forget(FeedLink, member_id)
