"""The spaces database, narrowed to the questions the service asks. Every query names its community."""
import base64
import json
from datetime import datetime, timedelta

from mongoengine import Q

from services.common.clock import as_utc, isoformat_z, parse_iso
from services.common.errors import Invalid
from services.common.mongo import Repository
from services.spaces.models import ALIAS, Booking, Claim, FeedLink, Space

LIVE = ("pending", "confirmed")


def encode_cursor(moment: datetime, identifier: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([isoformat_z(moment), identifier]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        moment, identifier = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return parse_iso(moment), str(identifier)
    except (ValueError, TypeError):
        raise Invalid("The page cursor is not valid.", errors={"cursor": ["Not a valid cursor."]})


class SpacesRepository(Repository):
    alias = ALIAS
    documents = (Space, Booking, FeedLink)

    # -- spaces ---------------------------------------------------------------------------------------------
    def space(self, community_id: str, space_id: str) -> Space | None:
        return Space.objects(community_id=community_id, id=space_id).first()

    def spaces(self, community_id: str) -> list[Space]:
        return list(Space.objects(community_id=community_id).exclude("claims").order_by("name", "id"))

    def add_space(self, space: Space) -> Space:
        return space.save(force_insert=True)

    def save_space_details(self, space: Space) -> None:
        """Change a space's description and rules, never its claims (those change only by `claim`)."""
        Space.objects(id=space.id).update_one(
            set__name=space.name, set__description=space.description, set__capacity=space.capacity,
            set__rules=space.rules, set__active=space.active, set__updated_at=space.updated_at,
        )

    def claim(self, space: Space, booking_id: str, start: datetime, end: datetime, now: datetime) -> bool:
        """Hold [start, end) for a booking if nobody changed the space's claims since `space` was read."""
        return Space.objects(id=space.id, version=space.version).update_one(
            push__claims=Claim(booking_id=booking_id, start=start, end=end, claimed_at=now), inc__version=1,
        ) == 1

    def release(self, space_id: str, booking_id: str) -> None:
        Space._get_collection().update_one(
            {"_id": space_id}, {"$pull": {"claims": {"booking_id": booking_id}}, "$inc": {"version": 1}}
        )

    def forget_claims_before(self, moment: datetime) -> None:
        """Claims of bookings long over protect nothing; dropping them keeps each space document small."""
        Space._get_collection().update_many(
            {"claims.end": {"$lt": moment}}, {"$pull": {"claims": {"end": {"$lt": moment}}}, "$inc": {"version": 1}}
        )

    def orphaned_claims(self, claimed_before: datetime) -> list[tuple[str, str]]:
        """Claims whose booking was never stored (the process died between claiming and storing)."""
        orphans = []
        for space in Space.objects(claims__claimed_at__lt=claimed_before).only("id", "claims"):
            ids = [claim.booking_id for claim in space.claims if as_utc(claim.claimed_at) < claimed_before]
            stored = set(Booking.objects(id__in=ids, status__in=LIVE).scalar("id"))
            orphans += [(space.id, booking_id) for booking_id in ids if booking_id not in stored]
        return orphans

    # -- bookings -----------------------------------------------------------------------------------------------
    def booking(self, community_id: str, booking_id: str) -> Booking | None:
        return Booking.objects(community_id=community_id, id=booking_id).first()

    def bookings_by_id(self, ids: list[str]) -> list[Booking]:
        return list(Booking.objects(id__in=ids).order_by("start"))

    def add_booking(self, booking: Booking) -> Booking:
        return booking.save(force_insert=True)

    def save_booking(self, booking: Booking) -> Booking:
        return booking.save()

    def household_bookings(self, community_id: str, space_id: str, *, household: str | None, member_id: str,
                           start: datetime, end: datetime) -> list[Booking]:
        """Live bookings of one household (or, without a household, of one member) starting in [start, end)."""
        owner = {"household": household} if household else {"member_id": member_id}
        return list(Booking.objects(community_id=community_id, space_id=space_id, status__in=LIVE,
                                    start__gte=start, start__lt=end, **owner))

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
        if cursor:
            after, after_id = decode_cursor(cursor)
            query = query.filter(Q(start__gt=after) | (Q(start=after) & Q(id__gt=after_id)))
        page = list(query.order_by("start", "id").limit(limit + 1))
        more = len(page) > limit
        page = page[:limit]
        return page, (encode_cursor(page[-1].start, page[-1].id) if more else None)

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
            set__reminder_published_at=now, push__outbox=event) == 1

    # -- calendar feeds -------------------------------------------------------------------------------------------
    def replace_feed_link(self, member_id: str, community_id: str, token_hash: str, now: datetime) -> None:
        FeedLink(id=member_id, community_id=community_id, token_hash=token_hash, created_at=now).save()

    def feed_link(self, token_hash: str) -> FeedLink | None:
        return FeedLink.objects(token_hash=token_hash).first()

    def forget_feed_link(self, member_id: str) -> None:
        FeedLink.objects(id=member_id).delete()
