"""The notifications repository in memory: recipients, preferences, inbox entries, deliveries and notices."""
import copy
from datetime import datetime, timedelta

from services.notifications.models import Delivery, Notice, Notification, Preferences, Recipient
from tests.support.fakes import FakeRepository, page


class FakeNotificationsRepository(FakeRepository):
    def __init__(self, *documents):
        super().__init__(*documents)
        self.digest_leases: dict[str, dict] = {}

    # -- recipients and preferences ---------------------------------------------------------------------
    def recipient(self, member_id: str) -> Recipient | None:
        return self.stored(Recipient, member_id)

    def recipients(self, member_ids) -> dict[str, Recipient]:
        return {r.id: r for r in self.all(Recipient) if r.id in set(member_ids)}

    def community_recipients(self, community_id: str) -> list[Recipient]:
        return [r for r in self.all(Recipient) if r.community_id == community_id]

    def organisers(self, community_id: str) -> list[str]:
        return [r.id for r in self.community_recipients(community_id) if r.role == "organiser" and r.active]

    def forget_member(self, member_id: str) -> None:
        self.forget(Recipient, member_id)
        self.forget(Preferences, member_id)
        for kind in (Notification, Delivery):
            for document in self.all(kind):
                if document.member_id == member_id:
                    self.forget(kind, document.pk)

    def forget_alert_contacts_about(self, member_id: str) -> None:
        for entry in self.all(Notification):
            if entry.kind == "checkin_alert" and entry.facts.get("name_of") == member_id:
                entry.facts.pop("flat", None)
                entry.facts.pop("phone", None)
                self.update(entry)

    def preferences(self, member_id: str) -> Preferences | None:
        return self.stored(Preferences, member_id)

    def preferences_of(self, member_ids) -> dict[str, Preferences]:
        return {p.id: p for p in self.all(Preferences) if p.id in set(member_ids)}

    # -- inbox ------------------------------------------------------------------------------------------------
    def add_notifications(self, entries: list[dict]) -> list[str]:
        return self._add_once(Notification, entries)

    def inbox(self, member_id: str, *, unread: bool, limit: int, cursor: str | None):
        found = [n for n in self.notifications_of(member_id) if not unread or n.read_at is None]
        return page(found, field="created_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def notification(self, member_id: str, notification_id: str) -> Notification | None:
        entry = self.stored(Notification, notification_id)
        return entry if entry is not None and entry.member_id == member_id else None

    def mark_read(self, member_id: str, notification_id: str, now: datetime) -> bool:
        entry = self.notification(member_id, notification_id)
        if entry is not None and entry.read_at is None:
            entry.read_at = now
            self.update(entry)
        return entry is not None

    def notifications_of(self, member_id: str) -> list[Notification]:
        return sorted((n for n in self.all(Notification) if n.member_id == member_id), key=lambda n: n.created_at,
                      reverse=True)

    # -- deliveries -----------------------------------------------------------------------------------------
    def add_deliveries(self, deliveries: list[dict]) -> None:
        self._add_once(Delivery, deliveries)

    def failed_texts(self, notification_ids: list[str]) -> dict[str, str]:
        return {d.member_id: d.last_error or "failed" for d in self.all(Delivery)
                if d.notification_id in notification_ids and d.channel == "sms" and d.status == "failed"}

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 50) -> list[Delivery]:
        due = [d for d in self.all(Delivery) if (d.status == "pending" and d.due_at <= now)
               or (d.status == "sending" and d.lease_until < now)][:limit]
        for delivery in due:
            delivery.status, delivery.lease_until = "sending", now + lease
            self.update(delivery)
        return due

    def members_with_due_digests(self, now: datetime) -> list[str]:
        return sorted({d.member_id for d in self.all(Delivery) if self._digest_due(d, now)})

    def claim_member_digest(self, member_id: str, now: datetime, lease: timedelta, owner: str) -> list[Delivery]:
        held = self.digest_leases.get(member_id)
        if held is not None and held["until"] > now:
            return []
        self.digest_leases[member_id] = {"until": now + lease, "owner": owner}
        for delivery in self.all(Delivery):
            if delivery.member_id == member_id and self._digest_due(delivery, now):
                delivery.status, delivery.lease_until = "digest-sending", now + lease
                self.update(delivery)
        return [d for d in self.all(Delivery) if d.member_id == member_id and d.status == "digest-sending"]

    def release_member_digest(self, member_id: str, owner: str) -> None:
        if self.digest_leases.get(member_id, {}).get("owner") == owner:
            del self.digest_leases[member_id]

    def delivery(self, delivery_id: str) -> Delivery | None:
        return self.stored(Delivery, delivery_id)

    def deliveries_of(self, member_id: str) -> list[Delivery]:
        return [d for d in self.all(Delivery) if d.member_id == member_id]

    @staticmethod
    def _digest_due(delivery: Delivery, now: datetime) -> bool:
        return ((delivery.status == "digest" and delivery.due_at <= now)
                or (delivery.status == "digest-sending" and delivery.lease_until < now))

    # -- notices --------------------------------------------------------------------------------------------
    def notice(self, community_id: str, notice_id: str) -> Notice | None:
        notice = self.stored(Notice, notice_id)
        return notice if notice is not None and notice.community_id == community_id else None

    def notices(self, community_id: str, ids: list[str]) -> dict[str, Notice]:
        return {n.id: n for n in self.all(Notice) if n.community_id == community_id and n.id in ids}

    def notices_published_between(self, community_id: str, start: datetime, end: datetime) -> list[Notice]:
        return sorted((n for n in self.all(Notice) if n.community_id == community_id and start <= n.published_at < end),
                      key=lambda n: (not n.urgent, n.published_at))

    def notice_entries(self, notice_id: str) -> list[Notification]:
        return [n for n in self.all(Notification) if n.notice_id == notice_id]

    def notice_entries_of(self, member_id: str, limit: int, cursor: str | None):
        found = [n for n in self.all(Notification) if n.member_id == member_id and n.notice_id is not None]
        return page(found, field="created_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def mark_fanned_out(self, notice_id: str) -> None:
        notice = self.stored(Notice, notice_id)
        notice.fanned_out = True
        self.update(notice)

    def unfinished_notices(self, published_before: datetime) -> list[Notice]:
        return [n for n in self.all(Notice) if not n.fanned_out and n.published_at < published_before]

    def _add_once(self, kind, raws: list[dict]) -> list[str]:
        """Insert raw documents whose id is not stored yet; the ids that were new."""
        new = [raw for raw in raws if raw["_id"] not in self._stored[kind]]
        for raw in new:
            self._stored[kind][raw["_id"]] = copy.deepcopy(raw)
        return [raw["_id"] for raw in new]
