"""The spaces database, narrowed to the questions the service asks. Every query names its community."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from services.common.clock import as_utc
from services.common.mongo import Repository
from services.common.paging import keyset_page
from services.spaces.domain import WEEK, utc_weeks
from services.spaces.models import ALIAS, Booking, FeedLink, Space, WeekLedger

LIVE = ("pending", "confirmed")


@dataclass
class Ledgers:
    """The week ledgers of one space covering a stretch of time, as read: their versions and claims."""

    space_id: str
    versions: dict[datetime, int]
    claims: list[dict]

    def live_claims(self) -> list[dict]:
        seen, unique = set(), []
        for claim in self.claims:  # a booking that spans weeks has a claim in each
            if claim["booking_id"] not in seen:
                seen.add(claim["booking_id"])
                unique.append(claim)
        return unique


def ledger_id(space_id: str, week: datetime) -> str:
    return f"{space_id}:{week:%Y-%m-%d}"


class SpacesRepository(Repository):
    alias = ALIAS
    documents = (Space, Booking, FeedLink, WeekLedger)

    @staticmethod
    def _one(document, query: dict):
        """One document by its id (and community), read without building a MongoEngine query: the two reads
        every booking makes cost a third less."""
        raw = document._get_collection().find_one(query)
        return None if raw is None else document._from_son(raw)

    # -- spaces ---------------------------------------------------------------------------------------------
    def space(self, community_id: str, space_id: str) -> Space | None:
        return self._one(Space, {"_id": space_id, "community_id": community_id})

    def spaces(self, community_id: str) -> list[Space]:
        return list(Space.objects(community_id=community_id).order_by("name", "id"))

    def ledgers(self, space_id: str, start: datetime, end: datetime) -> Ledgers:
        """The claims of a space's weeks that [start, end) touches, with the version each was read at."""
        weeks = utc_weeks(start, end)
        found = {raw["_id"]: raw for raw in WeekLedger._get_collection().find(
            {"_id": {"$in": [ledger_id(space_id, week) for week in weeks]}})}
        versions, claims = {}, []
        for week in weeks:
            raw = found.get(ledger_id(space_id, week), {})
            versions[week] = raw.get("version", 0)
            claims += [{**claim, "start": as_utc(claim["start"]), "end": as_utc(claim["end"])}
                       for claim in raw.get("claims", [])]
        return Ledgers(space_id, versions, claims)

    def claim(self, space: Space, ledgers: Ledgers, *, booking_id: str, start: datetime, blocked_end: datetime,
              end: datetime, member_id: str, household: str | None, now: datetime, guard=()) -> bool:
        """Add the booking's claim to every week its blocked time touches, each only if that week is unchanged
        since `ledgers` was read. `guard` names further weeks whose claims decided the booking (the household
        quota's guard weeks, see `domain.HouseholdQuota`): each must be unchanged too, and is marked changed, so
        that another booking that decided on them at the same moment reads again. All or nothing: if one week
        changed meanwhile, the claims already added are taken back and the caller reads again."""
        claim = {"booking_id": booking_id, "start": start, "end": end, "member_id": member_id,
                 "household": household, "claimed_at": now}
        collection = WeekLedger._get_collection()
        claimed_weeks = utc_weeks(start, blocked_end)
        done = []
        for week in [*claimed_weeks, *(week for week in guard if week not in claimed_weeks)]:
            version = ledgers.versions.get(week, 0)
            change = {"$inc": {"version": 1},
                      "$setOnInsert": {"community_id": space.community_id, "space_id": space.id,
                                       "week_start": week, "week_end": week + WEEK}}
            if week in claimed_weeks:
                change["$push"] = {"claims": claim}
            try:
                result = collection.update_one({"_id": ledger_id(space.id, week), "version": version}, change,
                                               upsert=version == 0)
                claimed = result.modified_count == 1 or result.upserted_id is not None
            except DuplicateKeyError:  # another booking created this week's ledger a moment ago
                claimed = False
            if not claimed:
                self.release(space.id, booking_id, weeks=done)
                return False
            done.append(week)
        return True

    def release(self, space_id: str, booking_id: str, weeks: list[datetime] | None = None) -> None:
        query = {"space_id": space_id, "claims.booking_id": booking_id}
        if weeks is not None:
            if not weeks:
                return
            query["_id"] = {"$in": [ledger_id(space_id, week) for week in weeks]}
        WeekLedger._get_collection().update_many(
            query, {"$pull": {"claims": {"booking_id": booking_id}}, "$inc": {"version": 1}})

    def forget_ledgers_before(self, moment: datetime) -> None:
        """Weeks long over protect nothing and count for no quota any more (`domain.HouseholdQuota.counts_since`)."""
        WeekLedger._get_collection().delete_many({"week_end": {"$lt": moment}})

    def orphaned_claims(self, claimed_before: datetime) -> list[tuple[str, str]]:
        """Claims whose booking was never stored or is no longer live (the process died in between)."""
        candidates = {}
        for raw in WeekLedger._get_collection().find({"claims.claimed_at": {"$lt": claimed_before}},
                                                     {"space_id": 1, "claims": 1}):
            for claim in raw["claims"]:
                if as_utc(claim["claimed_at"]) < claimed_before:
                    candidates[claim["booking_id"]] = raw["space_id"]
        live = set(Booking.objects(id__in=list(candidates), status__in=LIVE).scalar("id"))
        return [(space_id, booking_id) for booking_id, space_id in candidates.items() if booking_id not in live]

    # -- bookings -----------------------------------------------------------------------------------------------
    def booking(self, community_id: str, booking_id: str) -> Booking | None:
        return self._one(Booking, {"_id": booking_id, "community_id": community_id})

    def insert(self, document) -> None:
        """A new booking is made of validated input and a stored space, so MongoEngine's `save` (validation,
        signals, change tracking) would only add time to every booking: it is inserted as it is."""
        if isinstance(document, Booking):
            Booking._get_collection().insert_one(document.to_mongo())
        else:
            super().insert(document)

    def live_bookings_between(self, community_id: str, space_id: str, start: datetime, end: datetime) -> list[Booking]:
        return list(Booking.objects(community_id=community_id, space_id=space_id, status__in=LIVE,
                                    start__lt=end, end__gt=start).order_by("start"))

    def list_bookings(self, community_id: str, *, space_id=None, member_id=None, start=None, end=None,
                      limit: int, cursor: str | None, statuses=LIVE) -> tuple[list[Booking], str | None]:
        query = Booking.objects(community_id=community_id, status__in=statuses)
        if space_id:
            query = query.filter(space_id=space_id)
        if member_id:
            query = query.filter(member_id=member_id)
        if start:
            query = query.filter(end__gt=start)
        if end:
            query = query.filter(start__lt=end)
        return keyset_page(query, field="start", kind=datetime, limit=limit, cursor=cursor)

    def future_bookings_of(self, member_id: str, now: datetime) -> list[Booking]:
        return list(Booking.objects(member_id=member_id, status__in=LIVE, end__gt=now))

    def all_bookings_of(self, community_id: str, member_id: str) -> list[Booking]:
        return list(Booking.objects(community_id=community_id, member_id=member_id).order_by("start"))

    def series_bookings(self, community_id: str, series_id: str, *, from_start: datetime) -> list[Booking]:
        return list(Booking.objects(community_id=community_id, series_id=series_id, status__in=LIVE,
                                    start__gte=from_start).order_by("start"))

    def anonymise_bookings_of(self, member_id: str) -> None:
        Booking.objects(member_id=member_id).update(set__purpose="", set__member_name=None, set__household=None)

    # -- reminders ----------------------------------------------------------------------------------------------
    def due_for_reminder(self, now: datetime, lead: timedelta, limit: int = 500) -> list[Booking]:
        return list(Booking.objects(status="confirmed", reminder_published_at=None, start__gt=now,
                                    start__lte=now + lead).limit(limit))

    def mark_reminder(self, booking: Booking, event: dict, now: datetime) -> bool:
        """Record the reminder with its event in one conditional update: of several instances, one wins."""
        return Booking.objects(id=booking.id, reminder_published_at=None, status="confirmed").update_one(
            set__reminder_published_at=now, push__outbox=event, min__outbox_since=now) == 1

    # -- calendar feeds -------------------------------------------------------------------------------------------
    def feed_link(self, token_hash: str) -> FeedLink | None:
        return FeedLink.objects(token_hash=token_hash).first()

    def forget_feed_link(self, member_id: str) -> None:
        FeedLink.objects(id=member_id).delete()
