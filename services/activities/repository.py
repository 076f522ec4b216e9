"""The activities database: the questions the commands ask, and the conditional single-document updates that
decide sign-ups, leaving, the pending state of an activity whose room is being booked, and the reminder.

Every change of an activity's sign-ups is one write of the activity document, conditional on what decides it:
- signing up and confirmed: the activity is open, the member is not in it, and the places taken leave room for
  this sign-up (`places_taken <= capacity - places`), and for a role, a slot of it is free: `$inc` the counts and
  `$push` the sign-up, with its event, in one update. Two sign-ups at the same moment cannot both take the last
  place, whatever the number of instances: the database applies one update to a document at a time, and the
  second no longer matches.
- signing up and waitlisted: open and the member not in it: `$push` at the end (the list's order is the order of
  the waiting list).
- leaving (with those who move up): the whole list written back, conditionally on the `version` read.
"""
from datetime import datetime

from mongoengine import Q
from pymongo import ReturnDocument

from services.common.mongo import Repository
from services.common.outbox import pending_since
from services.common.paging import keyset_page
from services.activities.models import ALIAS, Activity, Participant


class ActivitiesRepository(Repository):
    alias = ALIAS
    documents = (Participant, Activity)

    @property
    def _activities(self):
        return Activity._get_collection()

    # -- members ------------------------------------------------------------------------------------------------
    def participant(self, member_id: str) -> Participant | None:
        return Participant.objects(id=member_id).first()

    def participants_by_id(self, ids) -> dict[str, Participant]:
        return {p.id: p for p in Participant.objects(id__in=[i for i in ids if i])}

    def forget_participant(self, member_id: str) -> None:
        Participant.objects(id=member_id).delete()

    # -- activities ---------------------------------------------------------------------------------------------
    def activity(self, community_id: str, activity_id: str) -> Activity | None:
        return Activity.objects(community_id=community_id, id=activity_id).first()

    def header(self, community_id: str, activity_id: str) -> Activity | None:
        """The activity without its sign-ups and pending events (what a sign-up needs to know beforehand: reading
        a few hundred sign-ups into documents costs more than the sign-up itself)."""
        return Activity.objects(community_id=community_id, id=activity_id).exclude("signups", "outbox").first()

    def reload(self, activity_id: str) -> Activity | None:
        return Activity.objects(id=activity_id).first()

    def list_activities(self, community_id: str, *, start: datetime | None, end: datetime | None, limit: int,
                        cursor: str | None):
        query = Activity.objects(community_id=community_id, status__in=("open", "cancelled"))
        if start:
            query = query.filter(ends_at__gt=start)
        if end:
            query = query.filter(starts_at__lt=end)
        return keyset_page(query, field="starts_at", kind=datetime, limit=limit, cursor=cursor)

    def activities_of(self, member_id: str) -> list[Activity]:
        return list(Activity.objects(signups__m=member_id, status__in=("open", "cancelled")).order_by("starts_at"))

    def open_created_by(self, member_id: str) -> list[Activity]:
        return list(Activity.objects(created_by=member_id, status="open"))

    def created_by(self, member_id: str) -> list[Activity]:
        return list(Activity.objects(created_by=member_id, status__in=("open", "cancelled")))

    def open_activities_of(self, member_id: str) -> list[Activity]:
        return list(Activity.objects(signups__m=member_id, status="open"))

    # -- signing up and leaving: one conditional update each --------------------------------------------------
    def sign_up_confirmed(self, activity_id: str, entry: dict, *, places: int, capacity: int | None,
                          role: str | None, event: dict, now: datetime) -> dict | None:
        """Take the places (and the role's slot) and add the sign-up, if they are free and the member is not in
        it yet; the activity as it is afterwards, or None when the update did not match."""
        condition = {"_id": activity_id, "status": "open", "signups.m": {"$ne": entry["m"]}}
        if capacity is not None:
            condition["places_taken"] = {"$lte": capacity - places}
        taking = {"places_taken": places, "confirmed": 1, "version": 1}
        if role:
            condition[f"role_free.{role}"] = {"$gte": 1}
            taking[f"role_free.{role}"] = -1
        return self._activities.find_one_and_update(
            condition, {"$inc": taking, "$push": {"signups": entry, "outbox": event}, **pending_since(now)},
            return_document=ReturnDocument.AFTER, projection={"signups": 1})

    def sign_up_waitlisted(self, activity_id: str, entry: dict, *, event: dict, now: datetime) -> dict | None:
        """Add the sign-up at the end of the waiting list, if the member is not in it yet."""
        condition = {"_id": activity_id, "status": "open", "signups.m": {"$ne": entry["m"]}}
        return self._activities.find_one_and_update(
            condition, {"$inc": {"waitlisted": 1, "version": 1},
                        "$push": {"signups": entry, "outbox": event}, **pending_since(now)},
            return_document=ReturnDocument.AFTER, projection={"signups": 1})

    def write_signups(self, activity: Activity, signups: list[dict], counts, events: list[dict],
                      now: datetime) -> bool:
        """Write the sign-ups back whole (someone left, others moved up), if nobody changed them since
        `activity.version` was read; False otherwise (read again and redo)."""
        role_free = {role["key"]: role["needed"] - counts.role_taken.get(role["key"], 0) for role in activity.roles}
        update = {"$set": {"signups": signups, "places_taken": counts.places_taken, "confirmed": counts.confirmed,
                           "waitlisted": counts.waitlisted, "role_free": role_free, "updated_at": now},
                  "$inc": {"version": 1}}
        if events:
            update["$push"] = {"outbox": {"$each": events}}
            update.update(pending_since(now))
        return self._activities.update_one({"_id": activity.id, "version": activity.version},
                                           update).modified_count == 1

    def cancel(self, activity: Activity, event: dict, now: datetime) -> bool:
        """Open → cancelled with its event, if nobody changed it since it was read."""
        return self._activities.update_one(
            {"_id": activity.id, "version": activity.version, "status": "open"},
            {"$set": {"status": "cancelled", "updated_at": now, "reminder_at": None},
             "$inc": {"version": 1}, "$push": {"outbox": event, **(
                 {"release_keys": activity.booking_key} if activity.booking_key else {})},
             **pending_since(now)}).modified_count == 1

    # -- moving an activity to another time ----------------------------------------------------------------------
    def begin_rebooking(self, activity: Activity, key: str, until: datetime) -> bool:
        """Note the key under which the new time is being booked, before asking for it (so that the timer can
        withdraw it should the change not finish); only one change at a time, and only if unchanged since read."""
        return self._activities.update_one(
            {"_id": activity.id, "version": activity.version, "status": "open", "rebooking_key": None},
            {"$set": {"rebooking_key": key, "rebooking_until": until}, "$inc": {"version": 1}}).modified_count == 1

    def end_rebooking(self, activity_id: str, key: str) -> None:
        self._activities.update_one({"_id": activity_id, "rebooking_key": key},
                                    {"$set": {"rebooking_key": None, "rebooking_until": None}})

    def move(self, activity: Activity, changes: dict, *, key: str | None, booking_id: str | None, event: dict,
             now: datetime) -> bool:
        """Store the new time (and texts) with its event; with a room, the new booking in place of the old, whose
        key goes to `release_keys`. Conditional on it being open (and on the rebooking begun with `key`); sign-ups
        meanwhile do not stand in its way (it leaves them as they are)."""
        condition = {"_id": activity.id, "status": "open"}
        update = {"$set": {**changes, "updated_at": now}, "$inc": {"version": 1}, "$push": {"outbox": event},
                  **pending_since(now)}
        if key:
            condition["rebooking_key"] = key
            update["$set"].update(booking_key=key, booking_id=booking_id, rebooking_key=None, rebooking_until=None)
            update["$push"]["release_keys"] = activity.booking_key
        return self._activities.update_one(condition, update).modified_count == 1

    # -- an activity whose room is being booked -----------------------------------------------------------------
    def confirm_pending(self, activity_id: str, booking_id: str, space_name: str | None, event: dict,
                        now: datetime) -> bool:
        """Pending → open, with activity.created, unless the timer gave up on it meanwhile."""
        return self._activities.update_one(
            {"_id": activity_id, "status": "pending"},
            {"$set": {"status": "open", "booking_id": booking_id, "space_name": space_name, "pending_until": None,
                      "updated_at": now},
             "$inc": {"version": 1}, "$push": {"outbox": event}, **pending_since(now)}).modified_count == 1

    def abandon_pending(self, activity_id: str) -> bool:
        """Pending → abandoned: its creation will not be finished (from now on `confirm_pending` fails)."""
        return self._activities.update_one({"_id": activity_id, "status": "pending"},
                                           {"$set": {"status": "abandoned"}}).modified_count == 1

    def discard(self, activity_id: str) -> None:
        """Remove an activity that was never made (its booking request withdrawn)."""
        self._activities.delete_one({"_id": activity_id, "status": {"$in": ["pending", "abandoned"]}})

    def unfinished(self, now: datetime, limit: int) -> list[Activity]:
        """Activities to settle: pending past their time, abandoned, with bookings to release, or a change of time
        that did not finish."""
        return list(Activity.objects(Q(status="pending", pending_until__lte=now) | Q(status="abandoned")
                                     | Q(release_keys__0__exists=True) | Q(rebooking_until__lte=now)).limit(limit))

    def released(self, activity_id: str, key: str) -> None:
        self._activities.update_one({"_id": activity_id}, {"$pull": {"release_keys": key}})

    # -- the reminder the day before ---------------------------------------------------------------------------
    def due_reminders(self, now: datetime, limit: int) -> list[Activity]:
        return list(Activity.objects(status="open", reminder_at__lte=now).order_by("reminder_at").limit(limit))

    def mark_reminded(self, activity: Activity, event: dict, now: datetime) -> bool:
        """Store the reminder's event and that it went, once: of several instances, one wins."""
        return self._activities.update_one(
            {"_id": activity.id, "status": "open", "reminder_at": activity.reminder_at},
            {"$set": {"reminder_at": None}, "$push": {"outbox": event}, **pending_since(now)}).modified_count == 1

    # -- erasure ------------------------------------------------------------------------------------------------
    def forget_creator(self, member_id: str) -> None:
        Activity.objects(created_by=member_id).update(set__created_by_name=None, set__booker={})
