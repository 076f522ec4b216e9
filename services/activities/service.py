"""The activities Nameko service ("Activities and shared meals"): thin entrypoints that delegate to `commands`,
each with a unit of work of its own and the time of the service's clock."""
from datetime import timedelta

from services.activities import commands
from services.activities.models import Activity
from services.activities.repository import ActivitiesRepository
from services.common.calls import ServiceCalls
from services.common.clock import Clock
from services.common.idempotency import run_once
from services.common.members import KeepsMemberCopies
from services.common.mongo import MongoDatabase
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.common.timers import timer_from_config


class ActivitiesService(KeepsMemberCopies, PlatformService):
    name = "activities"

    db = MongoDatabase(ActivitiesRepository)
    outbox = Outbox(Activity)
    clock = Clock()
    calls = ServiceCalls("SPACES_CALL_TIMEOUT_SECONDS")

    @property
    def pending_for(self) -> timedelta:
        return timedelta(seconds=float(self.config["ACTIVITY_PENDING_SECONDS"]))

    # -- activities -------------------------------------------------------------------------------------------
    @rpc
    def create_activity(self, actor, body, idempotency_key=None):
        return run_once(self.db, scope=f"activity:{actor['member_id']}", key=idempotency_key, request=body,
                        command=lambda: commands.create(self.unit_of_work(), self.calls, actor, body, self.clock(),
                                                        pending_for=self.pending_for))

    @rpc
    def list_activities(self, actor, query):
        return commands.list_activities(self.unit_of_work(), actor, query, self.clock())

    @rpc
    def get_activity(self, actor, activity_id):
        return commands.get_activity(self.unit_of_work(), actor, activity_id)

    @rpc
    def change_activity(self, actor, activity_id, body):
        return commands.change(self.unit_of_work(), self.calls, actor, activity_id, body, self.clock(),
                               pending_for=self.pending_for)

    @rpc
    def cancel_activity(self, actor, activity_id):
        commands.cancel(self.unit_of_work(), self.calls, actor, activity_id, self.clock())

    # -- sign-ups ---------------------------------------------------------------------------------------------
    @rpc
    def sign_up(self, actor, activity_id, body=None):
        return commands.sign_up(self.unit_of_work(), actor, activity_id, body, self.clock())

    @rpc
    def leave(self, actor, activity_id):
        commands.leave(self.unit_of_work(), actor, activity_id, self.clock())

    # -- the member's calendar feed (asked by the spaces service, which renders it) ------------------------------
    @rpc
    def calendar_entries(self, community_id, member_id):
        return commands.calendar_entries(self.unit_of_work(), community_id, member_id, self.clock())

    # -- timers -----------------------------------------------------------------------------------------------
    @timer_from_config("ACTIVITIES_TIMER_SECONDS")
    def settle(self):
        """Pending activities past their time are settled, rooms of cancelled ones released, once however many
        instances run this (each step is repeatable)."""
        return commands.settle_unfinished(self.unit_of_work(), self.calls, self.clock())

    @timer_from_config("ACTIVITIES_TIMER_SECONDS")
    def send_reminders(self):
        """The reminder the day before, once per activity however many instances run this."""
        return commands.send_reminders(self.unit_of_work(), self.clock())

    # -- members ----------------------------------------------------------------------------------------------
    @rpc
    def export_member(self, actor):
        return commands.export(self.unit_of_work(), actor)

    def remember_member(self, event):
        commands.remember_member(self.unit_of_work(), event)

    def member_gone(self, member_id, *, erased):
        commands.on_member_gone(self.unit_of_work(), member_id, erased=erased, now=self.clock())
