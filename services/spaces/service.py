"""The spaces Nameko service: thin entrypoints that delegate to `commands`."""
from datetime import timedelta

from nameko.timer import timer

from services.common.calls import NoAnswer, ServiceCalls
from services.common.clock import utcnow
from services.common.errors import ServiceError
from services.common.idempotency import run_once, withdraw
from services.common.members import LeavesWithMembers
from services.common.mongo import MongoDatabase
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.common.outbox import Outbox
from services.spaces import commands
from services.spaces.models import Booking
from services.spaces.repository import SpacesRepository


class SpacesService(LeavesWithMembers, PlatformService):
    name = "spaces"

    db = MongoDatabase(SpacesRepository)
    outbox = Outbox(Booking)
    calls = ServiceCalls("ACTIVITIES_CALL_TIMEOUT_SECONDS")

    # -- spaces ---------------------------------------------------------------------------------------------
    @rpc
    def create_space(self, actor, body, idempotency_key=None):
        return run_once(self.db, scope=f"space:{actor['member_id']}", key=idempotency_key, request=body,
                        command=lambda: commands.create_space(self.unit_of_work(), actor, body, utcnow()))

    @rpc
    def list_spaces(self, actor):
        return commands.list_spaces(self.unit_of_work(), actor)

    @rpc
    def get_space(self, actor, space_id):
        return commands.get_space(self.unit_of_work(), actor, space_id)

    @rpc
    def change_space(self, actor, space_id, body):
        return commands.change_space(self.unit_of_work(), actor, space_id, body, utcnow())

    @rpc
    def availability(self, actor, space_id, query):
        return commands.availability(self.unit_of_work(), actor, space_id, query)

    # -- bookings ---------------------------------------------------------------------------------------------
    @rpc
    def book(self, actor, body, idempotency_key=None):
        scope = f"booking:{actor['member_id']}"
        request_key = f"{scope}:{idempotency_key}" if idempotency_key else None
        return run_once(self.db, scope=scope, key=idempotency_key, request=body,
                        command=lambda: commands.book(self.unit_of_work(), actor, body, utcnow(),
                                                      request_key=request_key))

    @rpc
    def withdraw_booking_request(self, actor, idempotency_key):
        """Settle a booking request its caller gave up on (another service that booked a room for something it
        then did not make): no booking is made under this key from now on, and the one made is cancelled."""
        scope = f"booking:{actor['member_id']}"
        withdraw(self.db, scope=scope, key=idempotency_key)
        return commands.cancel_by_request(self.unit_of_work(), actor, f"{scope}:{idempotency_key}", utcnow())

    @rpc
    def list_bookings(self, actor, query):
        return commands.list_bookings(self.unit_of_work(), actor, query)

    @rpc
    def get_booking(self, actor, booking_id):
        return commands.get_booking(self.unit_of_work(), actor, booking_id)

    @rpc
    def cancel_booking(self, actor, booking_id, whole_series=False):
        commands.cancel(self.unit_of_work(), actor, booking_id, whole_series=whole_series, now=utcnow())

    @rpc
    def approve_booking(self, actor, booking_id):
        return commands.approve(self.unit_of_work(), actor, booking_id, utcnow())

    @rpc
    def reject_booking(self, actor, booking_id):
        return commands.reject(self.unit_of_work(), actor, booking_id, utcnow())

    # -- calendars ------------------------------------------------------------------------------------------
    @rpc
    def space_calendar(self, actor, space_id):
        return commands.space_calendar(self.unit_of_work(), actor, space_id, utcnow())

    @rpc
    def new_feed_link(self, actor):
        return commands.new_feed_link(self.unit_of_work(), actor, utcnow())

    @rpc
    def member_calendar(self, token):
        def activities(community_id, member_id):
            """The member's signed-up activities (the activities service's part of the feed); left out, for this
            reading, when that service does not answer in time: a calendar program asks again soon."""
            try:
                return self.calls("activities", "calendar_entries", community_id, member_id)
            except (NoAnswer, ServiceError):
                return []

        return commands.member_calendar(self.unit_of_work(), token, utcnow(), activities=activities)

    # -- privacy ----------------------------------------------------------------------------------------------
    @rpc
    def export_member(self, actor):
        return commands.export(self.unit_of_work(), actor)

    def member_gone(self, member_id, *, erased):
        commands.on_member_gone(self.unit_of_work(), member_id, erased=erased, now=utcnow())

    # -- timers ---------------------------------------------------------------------------------------------
    @timer(interval=30)
    def publish_reminders(self):
        lead = timedelta(hours=float(self.config["REMINDER_HOURS_BEFORE"]))
        return commands.publish_reminders(self.unit_of_work(), lead=lead, now=utcnow())

    @timer(interval=300)
    def tidy(self):
        commands.tidy(self.unit_of_work(), utcnow())
