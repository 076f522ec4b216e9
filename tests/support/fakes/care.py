"""The care repository in memory: the members' copies, check-in settings, buddy requests, check-ins, alerts,
emergency sheets and their reads."""
from datetime import datetime

from mongoengine import NotUniqueError

from services.care.models import (
    Alert, BuddyRequest, CheckIn, CheckInLink, CheckInSettings, DoneFor, EmergencySheet, Housemate, SheetRead,
)
from services.care.repository import ALERT_CHANGED, SETTINGS_CHANGED
from services.common.errors import Conflict
from tests.support.fakes import FakeRepository, page

UNRESOLVED = ("pending", "open", "acknowledged")
SHOWN = ("open", "acknowledged", "resolved")


class FakeCareRepository(FakeRepository):
    # -- written as the real repository writes them ------------------------------------------------------
    def insert(self, document) -> None:
        try:
            super().insert(document)
        except NotUniqueError:
            if isinstance(document, CheckInSettings):
                raise Conflict(SETTINGS_CHANGED)
            raise

    def update(self, document) -> None:
        if isinstance(document, (CheckInSettings, Alert)):
            stored = self.stored(type(document), document.pk)
            if stored is not None and stored.version != document.version:
                raise Conflict(SETTINGS_CHANGED if isinstance(document, CheckInSettings) else ALERT_CHANGED)
            document.version += 1
        super().update(document)

    def _change(self, kind, matching, change) -> int:
        """What a multi-document update does: `change` each stored document `matching` holds for."""
        changed = 0
        for document in self.all(kind):
            if matching(document):
                change(document)
                super().update(document)
                changed += 1
        return changed

    def _forget(self, kind, matching) -> None:
        for document in self.all(kind):
            if matching(document):
                self.forget(kind, document.pk)

    # -- neighbours -----------------------------------------------------------------------------------------
    def neighbour(self, member_id: str) -> Housemate | None:
        return self.stored(Housemate, member_id)

    def neighbours_by_id(self, ids) -> dict[str, Housemate]:
        wanted = {i for i in ids if i}
        return {n.id: n for n in self.all(Housemate) if n.id in wanted}

    def active_in_community(self, community_id: str, ids) -> list[str]:
        wanted = set(ids)
        return [n.id for n in self.all(Housemate) if n.community_id == community_id and n.id in wanted and n.active]

    def active_members(self, ids) -> dict[str, str]:
        wanted = set(ids)
        return {n.id: n.community_id for n in self.all(Housemate) if n.id in wanted and n.active}

    def organisers(self, community_id: str) -> list[str]:
        return [n.id for n in self.all(Housemate)
                if n.community_id == community_id and n.role == "organiser" and n.active]

    def forget_neighbour(self, member_id: str) -> None:
        self.forget(Housemate, member_id)

    # -- settings -------------------------------------------------------------------------------------------
    def settings(self, member_id: str) -> CheckInSettings | None:
        return self.stored(CheckInSettings, member_id)

    def due_settings(self, now: datetime, limit: int) -> list[CheckInSettings]:
        due = [s for s in self.all(CheckInSettings) if s.due_at is not None and s.due_at <= now]
        return sorted(due, key=lambda s: s.due_at)[:limit]

    def advance_due_day(self, member_id: str, day: str, next_day: str, next_due_at: datetime) -> bool:
        return self.advance_due_days([member_id], day, next_day, next_due_at) == 1

    def advance_due_days(self, member_ids, day: str, next_day: str, next_due_at: datetime) -> int:
        def advance(settings):
            settings.due_day, settings.due_at = next_day, next_due_at

        wanted = set(member_ids)
        return self._change(CheckInSettings, lambda s: s.id in wanted and s.due_day == day, advance)

    def stop_settings(self, member_id: str) -> None:
        def stop(settings):
            settings.enabled, settings.due_at, settings.reminder_at = False, None, None

        self._change(CheckInSettings, lambda s: s.id == member_id, stop)

    # -- the daily email with a one-click link --------------------------------------------------------------
    def settings_with_emails_due(self, now: datetime, limit: int) -> list[CheckInSettings]:
        due = [s for s in self.all(CheckInSettings) if s.reminder_at is not None and s.reminder_at <= now]
        return sorted(due, key=lambda s: s.reminder_at)[:limit]

    def advance_reminder_day(self, member_id: str, day, next_day, next_at) -> bool:
        def advance(settings):
            settings.reminder_day, settings.reminder_at = next_day, next_at

        return bool(self._change(CheckInSettings, lambda s: s.id == member_id and s.reminder_day == day, advance))

    def add_link(self, link: CheckInLink) -> bool:
        try:
            super().insert(link)
            return True
        except NotUniqueError:
            return False

    def link(self, link_id: str) -> CheckInLink | None:
        return self.stored(CheckInLink, link_id)

    def use_link(self, link_id: str, nonce_digest: str, now: datetime) -> bool:
        return bool(self._change(CheckInLink, lambda l: l.id == link_id and l.nonce_digest == nonce_digest
                                 and l.used_at is None and l.expires_at > now,
                                 lambda l: setattr(l, "used_at", now)))

    def links_of(self, member_id: str) -> list[CheckInLink]:
        return sorted((l for l in self.all(CheckInLink) if l.member_id == member_id), key=lambda l: l.day,
                      reverse=True)

    def forget_links(self, member_id: str) -> None:
        self._forget(CheckInLink, lambda l: l.member_id == member_id)

    def forget_settings(self, member_id: str) -> None:
        self.forget(CheckInSettings, member_id)

    def drop_buddy_everywhere(self, member_id: str) -> None:
        def drop(settings):
            settings.buddies = [b for b in settings.buddies if b != member_id]

        self._change(CheckInSettings, lambda s: member_id in s.buddies, drop)

    # -- buddy requests -------------------------------------------------------------------------------------
    def buddy_request(self, community_id: str, request_id: str) -> BuddyRequest | None:
        request = self.stored(BuddyRequest, request_id)
        return request if request is not None and request.community_id == community_id else None

    def requests_of(self, member_id: str) -> list[BuddyRequest]:
        return [r for r in self.all(BuddyRequest) if r.member_id == member_id]

    def requests_of_all(self, member_ids) -> dict[str, list[BuddyRequest]]:
        found: dict[str, list[BuddyRequest]] = {}
        for request in self.all(BuddyRequest):
            if request.member_id in set(member_ids):
                found.setdefault(request.member_id, []).append(request)
        return found

    def requests_to(self, buddy_id: str) -> list[BuddyRequest]:
        return sorted((r for r in self.all(BuddyRequest) if r.buddy_id == buddy_id), key=lambda r: r.asked_at,
                      reverse=True)

    def withdraw_requests_to(self, buddy_id: str) -> None:
        self._change(BuddyRequest, lambda r: r.buddy_id == buddy_id, lambda r: setattr(r, "status", "withdrawn"))

    def forget_requests(self, member_id: str) -> None:
        self._forget(BuddyRequest, lambda r: member_id in (r.member_id, r.buddy_id))

    # -- check-ins ------------------------------------------------------------------------------------------
    def last_check_in_between(self, member_id: str, start: datetime, end: datetime) -> CheckIn | None:
        found = [c for c in self.all(CheckIn) if c.member_id == member_id and start <= c.at <= end]
        return max(found, key=lambda c: c.at, default=None)

    def checked_in_within(self, windows: dict[str, tuple[datetime, datetime]]) -> set[str]:
        return {c.member_id for c in self.all(CheckIn)
                if c.member_id in windows and windows[c.member_id][0] <= c.at <= windows[c.member_id][1]}

    def check_ins_since(self, member_id: str, since: datetime) -> list[CheckIn]:
        return sorted((c for c in self.all(CheckIn) if c.member_id == member_id and c.at >= since),
                      key=lambda c: c.at, reverse=True)

    def forget_check_ins(self, member_id: str) -> None:
        self._forget(CheckIn, lambda c: c.member_id == member_id)

    def done_for_of(self, member_id: str) -> list[DoneFor]:
        return sorted((d for d in self.all(DoneFor) if d.member_id == member_id), key=lambda d: d.at, reverse=True)

    def forget_done_for(self, member_id: str) -> None:
        self._forget(DoneFor, lambda d: d.member_id == member_id)
        for record in self.all(DoneFor):
            if record.acted_by == member_id:
                record.acted_by = "erased"
                self.update(record)

    # -- alerts ---------------------------------------------------------------------------------------------
    def add_alert(self, alert: Alert) -> bool:
        try:
            super().insert(alert)
            return True
        except NotUniqueError:
            return False

    def alert(self, alert_id: str) -> Alert | None:
        return self.stored(Alert, alert_id)

    def community_alert(self, community_id: str, alert_id: str) -> Alert | None:
        alert = self.stored(Alert, alert_id)
        return alert if alert is not None and alert.community_id == community_id else None

    def alerts_with_due_steps(self, now: datetime, limit: int) -> list[Alert]:
        due = [a for a in self.all(Alert)
               if a.status in ("pending", "open") and a.next_step_at is not None and a.next_step_at <= now]
        return sorted(due, key=lambda a: a.next_step_at)[:limit]

    def unresolved_alerts_about(self, member_id: str) -> list[Alert]:
        return [a for a in self.all(Alert) if a.member_id == member_id and a.status in UNRESOLVED]

    def alerts_about(self, member_id: str) -> list[Alert]:
        return sorted((a for a in self.all(Alert) if a.member_id == member_id), key=lambda a: a.deadline,
                      reverse=True)

    def list_alerts(self, community_id: str, *, alerted: str | None, status: str | None, limit: int,
                    cursor: str | None):
        found = [a for a in self.all(Alert) if a.community_id == community_id and a.status in SHOWN
                 and (not alerted or alerted in a.alerted) and (not status or a.status == status)]
        return page(found, field="raised_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def blank_alert_notes(self, member_id: str) -> None:
        self._change(Alert, lambda a: a.member_id == member_id, lambda a: setattr(a, "note", None))

    # -- the emergency sheet --------------------------------------------------------------------------------
    def sheet(self, member_id: str) -> EmergencySheet | None:
        return self.stored(EmergencySheet, member_id)

    def sheets_due_for_review(self, now: datetime, limit: int) -> list[EmergencySheet]:
        due = [s for s in self.all(EmergencySheet) if s.review_due_at is not None and s.review_due_at <= now]
        return sorted(due, key=lambda s: s.review_due_at)[:limit]

    def remind_of_review(self, sheet: EmergencySheet, next_due_at: datetime, event: dict, now: datetime) -> bool:
        stored = self.stored(EmergencySheet, sheet.id)
        if stored is None or stored.review_due_at != sheet.review_due_at:
            return False
        stored.review_due_at, stored.review_reminded_at = next_due_at, now
        stored.record(event)
        self.update(stored)
        return True

    def forget_sheet(self, member_id: str) -> None:
        self.forget(EmergencySheet, member_id)

    def drop_reader_everywhere(self, member_id: str) -> None:
        def drop(sheet):
            sheet.readers = [r for r in sheet.readers if r != member_id]

        self._change(EmergencySheet, lambda s: member_id in s.readers, drop)

    def reads_of(self, member_id: str, *, limit: int, cursor: str | None):
        found = [r for r in self.all(SheetRead) if r.member_id == member_id]
        return page(found, field="at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def all_reads_of(self, member_id: str) -> list[SheetRead]:
        return sorted((r for r in self.all(SheetRead) if r.member_id == member_id), key=lambda r: r.at, reverse=True)

    def reads_by(self, reader_id: str) -> list[SheetRead]:
        return sorted((r for r in self.all(SheetRead) if r.reader_id == reader_id), key=lambda r: r.at, reverse=True)

    def forget_reads_of(self, member_id: str) -> None:
        self._forget(SheetRead, lambda r: r.member_id == member_id)
