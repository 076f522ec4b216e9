"""The care database, narrowed to the questions the service asks. Every query a member's request leads to
names its community; the timer's queries find what is due across communities.

A command writes its documents through its unit of work (`insert` and `update` below hold the write rules).
What steers the timer takes effect at once: storing a day's alert under its unique id (`add_alert`) and moving
residents on to their next day (`advance_due_days`); so do the erasures of a member who left."""
from datetime import datetime

from mongoengine import NotUniqueError, Q
from mongoengine.errors import SaveConditionError

from services.common.clock import as_utc
from services.common.errors import Conflict
from services.common.mongo import Repository
from services.common.paging import keyset_page
from services.care.models import (
    ALIAS, Alert, BuddyRequest, CheckIn, CheckInLink, CheckInSettings, DoneFor, EmergencySheet, Housemate, SheetRead,
)


# How many ids one `$in` names at most: the embedded server's cost per id grows with the list beyond some 100
# (0.4 ms an id for 10 to 100 ids, 0.8 ms for 200, 4 ms for 1,000), and a query for one id costs 1.4 ms.
IN_CHUNK = 100


def chunks(ids, size: int = IN_CHUNK):
    ids = list(dict.fromkeys(i for i in ids if i))
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


SETTINGS_CHANGED = "Your check-in settings were changed a moment ago. Please look again."
ALERT_CHANGED = "This alert changed a moment ago. Please look again."


class CareRepository(Repository):
    alias = ALIAS
    documents = (Housemate, CheckInSettings, BuddyRequest, CheckIn, CheckInLink, Alert, EmergencySheet, SheetRead, DoneFor)

    # -- how a unit of work writes: settings and alerts only if nobody changed them since they were read -------
    def insert(self, document) -> None:
        try:
            super().insert(document)
        except NotUniqueError:
            if isinstance(document, CheckInSettings):  # switched on twice at the same moment
                raise Conflict(SETTINGS_CHANGED)
            raise

    def update(self, document) -> None:
        """A change of settings or of an alert is stored only if nobody changed them since they were read (two
        instances taking the same step of an alert, a step and an acknowledgement at the same moment: one wins,
        the other's unit of work is refused with `Conflict`)."""
        if not isinstance(document, (CheckInSettings, Alert)):
            return super().update(document)
        read_at = document.version
        document.version = read_at + 1
        try:
            document.save(save_condition={"version": read_at})
        except SaveConditionError:
            document.version = read_at
            raise Conflict(SETTINGS_CHANGED if isinstance(document, CheckInSettings) else ALERT_CHANGED)

    # -- neighbours ---------------------------------------------------------------------------------------
    def neighbour(self, member_id: str) -> Housemate | None:
        return Housemate.objects(id=member_id).first()

    def neighbours_by_id(self, ids) -> dict[str, Housemate]:
        return {n.id: n for n in Housemate.objects(id__in=[i for i in ids if i])}

    def active_in_community(self, community_id: str, ids) -> list[str]:
        return [member_id for member_id, community in self.active_members(ids).items() if community == community_id]

    def active_members(self, ids) -> dict[str, str]:
        """The active members among `ids`, each with their community. Found by id alone, the rest is checked
        here: a query naming the community too was answered through the (community, role, active) index by
        the embedded server, reading every member of the house (350 ms for two ids among 10,000)."""
        return {n.id: n.community_id for some in chunks(ids)
                for n in Housemate.objects(id__in=some).only("id", "community_id", "active") if n.active}

    def organisers(self, community_id: str) -> list[str]:
        return list(Housemate.objects(community_id=community_id, role="organiser", active=True).scalar("id"))

    def forget_neighbour(self, member_id: str) -> None:
        Housemate.objects(id=member_id).delete()

    # -- settings -----------------------------------------------------------------------------------------
    def settings(self, member_id: str) -> CheckInSettings | None:
        return CheckInSettings.objects(id=member_id).first()

    def due_settings(self, now: datetime, limit: int) -> list[CheckInSettings]:
        return list(CheckInSettings.objects(due_at__lte=now).order_by("due_at").limit(limit))

    def advance_due_day(self, member_id: str, day: str, next_day: str, next_due_at: datetime) -> bool:
        """Move on from `day`, unless another instance (or a change of the settings) has done so already."""
        return self.advance_due_days([member_id], day, next_day, next_due_at) == 1

    def advance_due_days(self, member_ids, day: str, next_day: str, next_due_at: datetime) -> int:
        """Move each of these residents on from `day` to `next_day`, due at `next_due_at`, unless another
        instance (or a change of their settings) has done so already; how many moved. One write for many: a
        journaled write costs the embedded server some 7 ms, one for 100 residents some 80 ms."""
        return sum(CheckInSettings.objects(id__in=some, due_day=day).update(set__due_day=next_day,
                                                                            set__due_at=next_due_at)
                   for some in chunks(member_ids))

    def stop_settings(self, member_id: str) -> None:
        CheckInSettings.objects(id=member_id).update_one(set__enabled=False, set__due_at=None, set__reminder_at=None)

    # -- the daily email with a one-click link ---------------------------------------------------------
    def settings_with_emails_due(self, now: datetime, limit: int) -> list[CheckInSettings]:
        return list(CheckInSettings.objects(reminder_at__lte=now).order_by("reminder_at").limit(limit))

    def advance_reminder_day(self, member_id: str, day: str, next_day: str | None, next_at: datetime | None) -> bool:
        """Move the email on from `day`, unless another instance (or a change of the settings) has done so."""
        return bool(CheckInSettings.objects(id=member_id, reminder_day=day).update_one(
            set__reminder_day=next_day, set__reminder_at=next_at))

    def add_link(self, link: CheckInLink) -> bool:
        """Store a day's link with its event at once; False if the day has one already (another instance
        stored it: its email is on its way). A conditional operation that steers the timer."""
        try:
            link.save(force_insert=True)
            return True
        except NotUniqueError:
            return False

    def link(self, link_id: str) -> CheckInLink | None:
        return CheckInLink.objects(id=link_id).first()

    def use_link(self, link_id: str, nonce_digest: str, now: datetime) -> bool:
        """Redeem a link: from unused to used, once. False if it was used already (or is not this one)."""
        return bool(CheckInLink.objects(id=link_id, nonce_digest=nonce_digest, used_at=None,
                                        expires_at__gt=now).update_one(set__used_at=now))

    def links_of(self, member_id: str) -> list[CheckInLink]:
        return list(CheckInLink.objects(member_id=member_id).order_by("-day"))

    def forget_links(self, member_id: str) -> None:
        CheckInLink.objects(member_id=member_id).delete()

    def forget_settings(self, member_id: str) -> None:
        CheckInSettings.objects(id=member_id).delete()

    def drop_buddy_everywhere(self, member_id: str) -> None:
        CheckInSettings.objects(buddies=member_id).update(pull__buddies=member_id)

    # -- buddy requests -----------------------------------------------------------------------------------
    def buddy_request(self, community_id: str, request_id: str) -> BuddyRequest | None:
        return BuddyRequest.objects(community_id=community_id, id=request_id).first()

    def requests_of(self, member_id: str) -> list[BuddyRequest]:
        return list(BuddyRequest.objects(member_id=member_id))

    def requests_of_all(self, member_ids) -> dict[str, list[BuddyRequest]]:
        found: dict[str, list[BuddyRequest]] = {}
        for some in chunks(member_ids):
            for request in BuddyRequest.objects(member_id__in=some):
                found.setdefault(request.member_id, []).append(request)
        return found

    def requests_to(self, buddy_id: str) -> list[BuddyRequest]:
        return list(BuddyRequest.objects(buddy_id=buddy_id).order_by("-asked_at"))

    def withdraw_requests_to(self, buddy_id: str) -> None:
        BuddyRequest.objects(buddy_id=buddy_id).update(set__status="withdrawn")

    def forget_requests(self, member_id: str) -> None:
        BuddyRequest.objects(Q(member_id=member_id) | Q(buddy_id=member_id)).delete()

    # -- check-ins ----------------------------------------------------------------------------------------
    def last_check_in_between(self, member_id: str, start: datetime, end: datetime) -> CheckIn | None:
        return CheckIn.objects(member_id=member_id, at__gte=start, at__lte=end).order_by("-at").first()

    def checked_in_within(self, windows: dict[str, tuple[datetime, datetime]]) -> set[str]:
        """Those of the residents who checked in within their own window (start, end, both included), in one
        query over the span of all the windows."""
        if not windows:
            return set()
        start, end = min(w[0] for w in windows.values()), max(w[1] for w in windows.values())
        return {c.member_id for some in chunks(windows)
                for c in CheckIn.objects(member_id__in=some, at__gte=start, at__lte=end).only("member_id", "at")
                if windows[c.member_id][0] <= as_utc(c.at) <= windows[c.member_id][1]}

    def check_ins_since(self, member_id: str, since: datetime) -> list[CheckIn]:
        return list(CheckIn.objects(member_id=member_id, at__gte=since).order_by("-at"))

    def forget_check_ins(self, member_id: str) -> None:
        CheckIn.objects(member_id=member_id).delete()

    def done_for_of(self, member_id: str) -> list[DoneFor]:
        return list(DoneFor.objects(member_id=member_id).order_by("-at"))

    def forget_done_for(self, member_id: str) -> None:
        """Erasure: the records of what was done for the member, and the trusted person's name in others'."""
        DoneFor.objects(member_id=member_id).delete()
        DoneFor.objects(acted_by=member_id).update(set__acted_by="erased")

    # -- alerts -------------------------------------------------------------------------------------------
    def add_alert(self, alert: Alert) -> bool:
        """Store a new (pending, silent) alert at once; False if the day has one already (another instance
        stored it). A conditional operation that steers the timer, not a write of a unit of work."""
        try:
            alert.save(force_insert=True)
            return True
        except NotUniqueError:
            return False

    def alert(self, alert_id: str) -> Alert | None:
        return Alert.objects(id=alert_id).first()

    def community_alert(self, community_id: str, alert_id: str) -> Alert | None:
        return Alert.objects(community_id=community_id, id=alert_id).first()

    def alerts_with_due_steps(self, now: datetime, limit: int) -> list[Alert]:
        return list(Alert.objects(status__in=("pending", "open"), next_step_at__lte=now)
                    .order_by("next_step_at").limit(limit))

    def unresolved_alerts_about(self, member_id: str) -> list[Alert]:
        return list(Alert.objects(member_id=member_id, status__in=("pending", "open", "acknowledged")))

    def alerts_about(self, member_id: str) -> list[Alert]:
        return list(Alert.objects(member_id=member_id).order_by("-deadline"))

    def list_alerts(self, community_id: str, *, alerted: str | None, status: str | None, limit: int,
                    cursor: str | None):
        query = Alert.objects(community_id=community_id, status__in=("open", "acknowledged", "resolved"))
        if alerted:
            query = query.filter(alerted=alerted)
        if status:
            query = query.filter(status=status)
        return keyset_page(query, field="raised_at", kind=datetime, limit=limit, cursor=cursor, newest_first=True)

    def blank_alert_notes(self, member_id: str) -> None:
        Alert.objects(member_id=member_id).update(set__note=None)

    # -- the emergency sheet ------------------------------------------------------------------------------
    def sheet(self, member_id: str) -> EmergencySheet | None:
        return EmergencySheet.objects(id=member_id).first()

    def sheets_due_for_review(self, now: datetime, limit: int) -> list[EmergencySheet]:
        return list(EmergencySheet.objects(review_due_at__lte=now).order_by("review_due_at").limit(limit))

    def remind_of_review(self, sheet: EmergencySheet, next_due_at: datetime, event: dict, now: datetime) -> bool:
        """Store the reminder's event with the next due date in one conditional update: of several instances,
        one wins; a sheet saved meanwhile (a new due date) is not reminded."""
        return EmergencySheet.objects(id=sheet.id, review_due_at=sheet.review_due_at).update_one(
            set__review_due_at=next_due_at, set__review_reminded_at=now, push__outbox=event,
            min__outbox_since=now) == 1

    def forget_sheet(self, member_id: str) -> None:
        EmergencySheet.objects(id=member_id).delete()

    def drop_reader_everywhere(self, member_id: str) -> None:
        EmergencySheet.objects(readers=member_id).update(pull__readers=member_id)

    def reads_of(self, member_id: str, *, limit: int, cursor: str | None):
        return keyset_page(SheetRead.objects(member_id=member_id), field="at", kind=datetime, limit=limit,
                           cursor=cursor, newest_first=True)

    def all_reads_of(self, member_id: str) -> list[SheetRead]:
        return list(SheetRead.objects(member_id=member_id).order_by("-at"))

    def reads_by(self, reader_id: str) -> list[SheetRead]:
        return list(SheetRead.objects(reader_id=reader_id).order_by("-at"))

    def forget_reads_of(self, member_id: str) -> None:
        SheetRead.objects(member_id=member_id).delete()
