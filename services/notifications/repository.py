"""The notifications database, narrowed to the questions the service asks."""
from datetime import datetime, timedelta

from mongoengine import Q
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common.mongo import Repository
from services.common.paging import keyset_page
from services.notifications.models import ALIAS, Delivery, Notice, Notification, Preferences, Recipient


# The kinds of message that name the one who asked for help (`name_of`), with the title of their request.
ABOUT_THE_REQUESTER = ("help_requested", "help_offer_accepted", "help_completed", "help_cancelled")


class NotificationsRepository(Repository):
    alias = ALIAS
    documents = (Recipient, Preferences, Notification, Delivery, Notice)

    # -- recipients and preferences ----------------------------------------------------------------------
    def recipient(self, member_id: str) -> Recipient | None:
        return Recipient.objects(id=member_id).first()

    def recipients(self, member_ids) -> dict[str, Recipient]:
        return {r.id: r for r in Recipient.objects(id__in=list(member_ids))}

    def community_recipients(self, community_id: str) -> list[Recipient]:
        """The house's members (notices go to them): supporters from outside the house are not among them."""
        return list(Recipient.objects(community_id=community_id, role__ne="supporter"))

    def organisers(self, community_id: str) -> list[str]:
        return list(Recipient.objects(community_id=community_id, role="organiser", active=True).scalar("id"))

    def forget_member(self, member_id: str) -> None:
        for document in (Recipient, Preferences):
            document.objects(id=member_id).delete()
        Notification.objects(member_id=member_id).delete()
        Delivery.objects(member_id=member_id).delete()
        # Other members' messages about a request the member asked for carry its title, in the member's words.
        Notification.objects(facts__name_of=member_id, kind__in=ABOUT_THE_REQUESTER).update(set__facts__title="")

    def forget_alert_contacts_about(self, member_id: str) -> None:
        """Erasure: the flat and phone an alert about the member named leave the inboxes of those told."""
        Notification._get_collection().update_many({"kind": "checkin_alert", "facts.name_of": member_id},
                                                   {"$unset": {"facts.flat": "", "facts.phone": ""}})

    def preferences(self, member_id: str) -> Preferences | None:
        return Preferences.objects(id=member_id).first()

    def preferences_of(self, member_ids) -> dict[str, Preferences]:
        return {p.id: p for p in Preferences.objects(id__in=list(member_ids))}

    # -- inbox ----------------------------------------------------------------------------------------------
    def add_notifications(self, entries: list[dict]) -> list[str]:
        """Insert inbox entries; those that exist already (the same event again) are skipped. Returns the
        ids that were new."""
        if not entries:
            return []
        collection = Notification._get_collection()
        try:
            collection.insert_many(entries, ordered=False)
            return [entry["_id"] for entry in entries]
        except BulkWriteError as error:
            duplicates = {failure["op"]["_id"] for failure in error.details.get("writeErrors", [])
                          if failure.get("code") == 11000}
            return [entry["_id"] for entry in entries if entry["_id"] not in duplicates]
        except DuplicateKeyError:  # a store that reports a single duplicate this way
            return [entry["_id"] for entry in entries if collection.count_documents({"_id": entry["_id"]}) == 0]

    def inbox(self, member_id: str, *, unread: bool, limit: int, cursor: str | None):
        query = Notification.objects(member_id=member_id)
        if unread:
            query = query.filter(read_at=None)
        return keyset_page(query, field="created_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def notification(self, member_id: str, notification_id: str) -> Notification | None:
        return Notification.objects(member_id=member_id, id=notification_id).first()

    def mark_read(self, member_id: str, notification_id: str, now: datetime) -> bool:
        Notification.objects(member_id=member_id, id=notification_id, read_at=None).update_one(set__read_at=now)
        return Notification.objects(member_id=member_id, id=notification_id).count() == 1

    def notifications_of(self, member_id: str, kinds: tuple[str, ...] | None = None) -> list[Notification]:
        query = Notification.objects(member_id=member_id)
        if kinds is not None:
            query = query.filter(kind__in=list(kinds))
        return list(query.order_by("-created_at"))

    # -- deliveries ---------------------------------------------------------------------------------------------
    def add_deliveries(self, deliveries: list[dict]) -> None:
        if deliveries:
            try:
                Delivery._get_collection().insert_many(deliveries, ordered=False)
            except (BulkWriteError, DuplicateKeyError):
                pass  # the same notification's email was planned already

    def failed_texts(self, notification_ids: list[str]) -> dict[str, str]:
        """Member → the reason their text message of one of these notifications could not be sent."""
        failed = Delivery.objects(notification_id__in=notification_ids, channel="sms", status="failed")
        return {delivery.member_id: delivery.last_error or "failed" for delivery in failed}

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 50) -> list[Delivery]:
        """Take pending emails that are due (or whose sender died mid-way), each claimed by one instance."""
        return self._claim(("pending", "sending"), now, lease, limit)

    def members_with_due_digests(self, now: datetime) -> list[str]:
        """The members who have digest items due (or left half-sent by a sender that died)."""
        return Delivery.objects(Q(status="digest", due_at__lte=now) |
                                Q(status="digest-sending", lease_until__lt=now)).distinct("member_id")

    def claim_member_digest(self, member_id: str, now: datetime, lease: timedelta, owner: str) -> list[Delivery]:
        """Take all of one member's due digest items, or none: the member's digest is one email, so the items
        are claimed under a lease on the member (one instance sends it), never one by one (two instances that
        really interleave split the items between them, and the member gets two digests). Empty when another
        instance holds the member's lease."""
        try:
            # Taken when no lease exists (the insert of the upsert) or the last one ran out; a live lease of
            # another instance makes the upsert's insert collide with it.
            self.db.digest_leases.update_one({"_id": member_id, "until": {"$lte": now}},
                                             {"$set": {"until": now + lease, "owner": owner}}, upsert=True)
        except DuplicateKeyError:
            return []
        Delivery.objects(Q(member_id=member_id) & (Q(status="digest", due_at__lte=now) |
                                                   Q(status="digest-sending", lease_until__lt=now))).update(
            set__status="digest-sending", set__lease_until=now + lease)
        return list(Delivery.objects(member_id=member_id, status="digest-sending"))

    def release_member_digest(self, member_id: str, owner: str) -> None:
        self.db.digest_leases.delete_one({"_id": member_id, "owner": owner})

    def _claim(self, statuses: tuple[str, str], now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        waiting, taken_status = statuses
        claimed = []
        candidates = Delivery.objects(Q(status=waiting, due_at__lte=now) |
                                      Q(status=taken_status, lease_until__lt=now)).limit(limit)
        for delivery in candidates:
            taken = Delivery.objects(id=delivery.id, status=delivery.status, attempts=delivery.attempts).update_one(
                set__status=taken_status, set__lease_until=now + lease)
            if taken:
                delivery.status = taken_status
                claimed.append(delivery)
        return claimed

    def delivery(self, delivery_id: str) -> Delivery | None:
        return Delivery.objects(id=delivery_id).first()

    def deliveries_of(self, member_id: str) -> list[Delivery]:
        return list(Delivery.objects(member_id=member_id))

    # -- notices ------------------------------------------------------------------------------------------------
    def notice(self, community_id: str, notice_id: str) -> Notice | None:
        return Notice.objects(community_id=community_id, id=notice_id).first()

    def notices(self, community_id: str, ids: list[str]) -> dict[str, Notice]:
        return {n.id: n for n in Notice.objects(community_id=community_id, id__in=ids)}

    def notices_published_between(self, community_id: str, start: datetime, end: datetime) -> list[Notice]:
        return list(Notice.objects(community_id=community_id, published_at__gte=start, published_at__lt=end)
                    .order_by("-urgent", "published_at"))

    def notice_entries(self, notice_id: str) -> list[Notification]:
        return list(Notification.objects(notice_id=notice_id).only("member_id", "read_at"))

    def notice_entries_of(self, member_id: str, limit: int, cursor: str | None):
        query = Notification.objects(member_id=member_id, notice_id__ne=None)
        return keyset_page(query, field="created_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def mark_fanned_out(self, notice_id: str) -> None:
        Notice.objects(id=notice_id).update_one(set__fanned_out=True)

    def unfinished_notices(self, published_before: datetime) -> list[Notice]:
        return list(Notice.objects(fanned_out=False, published_at__lt=published_before))
