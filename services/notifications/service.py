"""The notifications Nameko service: thin entrypoints that delegate to `commands`."""

from nameko.timer import timer

from services.common.clock import utcnow
from services.common.handlers import on_event
from services.common.idempotency import run_once
from services.common.mongo import MongoDatabase
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.notifications import commands
from services.notifications.mailer import SmtpMailer
from services.notifications.models import Delivery, Notice, Preferences
from services.notifications.repository import NotificationsRepository

BOOKING_EVENTS = ("booking.confirmed", "booking.requested", "booking.approved", "booking.rejected",
                  "booking.cancelled", "booking.reminder_due")
HELP_EVENTS = ("help.requested", "help.offered", "help.accepted", "help.completed", "help.cancelled",
               "help.expired", "help.reopened")


def notify(service, event):
    commands.handle_event(service.db, event, utcnow())


class NotificationsService(PlatformService):
    name = "notifications"

    db = MongoDatabase(NotificationsRepository)
    outbox = Outbox(Notice, Preferences, Delivery)
    mailer = SmtpMailer()

    # -- members ----------------------------------------------------------------------------------------
    @on_event("members", "member.joined")
    def member_joined(self, event):
        commands.remember_member(self.db, event)
        notify(self, event)

    @on_event("members", "member.updated")
    def member_updated(self, event):
        commands.remember_member(self.db, event)

    @on_event("members", "member.deactivated")
    def member_deactivated(self, event):
        commands.member_deactivated(self.db, event["payload"]["member_id"])

    @on_event("members", "member.erased")
    def member_erased(self, event):
        commands.erase(self.db, event["payload"]["member_id"])

    # -- bookings ------------------------------------------------------------------------------------------
    @on_event("spaces", "booking.confirmed")
    def booking_confirmed(self, event):
        notify(self, event)

    @on_event("spaces", "booking.requested")
    def booking_requested(self, event):
        notify(self, event)

    @on_event("spaces", "booking.approved")
    def booking_approved(self, event):
        notify(self, event)

    @on_event("spaces", "booking.rejected")
    def booking_rejected(self, event):
        notify(self, event)

    @on_event("spaces", "booking.cancelled")
    def booking_cancelled(self, event):
        notify(self, event)

    @on_event("spaces", "booking.reminder_due")
    def booking_reminder_due(self, event):
        notify(self, event)

    # -- help ----------------------------------------------------------------------------------------------------
    @on_event("help", "help.requested")
    def help_requested(self, event):
        notify(self, event)

    @on_event("help", "help.offered")
    def help_offered(self, event):
        notify(self, event)

    @on_event("help", "help.accepted")
    def help_accepted(self, event):
        notify(self, event)

    @on_event("help", "help.completed")
    def help_completed(self, event):
        notify(self, event)

    @on_event("help", "help.cancelled")
    def help_cancelled(self, event):
        notify(self, event)

    @on_event("help", "help.expired")
    def help_expired(self, event):
        notify(self, event)

    @on_event("help", "help.reopened")
    def help_reopened(self, event):
        notify(self, event)

    # -- inbox, preferences, notices --------------------------------------------------------------------------------
    @rpc
    def inbox(self, actor, query):
        return commands.inbox(self.db, actor, query)

    @rpc
    def mark_read(self, actor, notification_id):
        commands.mark_read(self.db, actor, notification_id, utcnow())

    @rpc
    def get_preferences(self, actor):
        return commands.get_preferences(self.db, actor)

    @rpc
    def set_preferences(self, actor, body):
        return commands.set_preferences(self.db, self.outbox, actor, body, utcnow())

    @rpc
    def publish_notice(self, actor, body, idempotency_key=None):
        scope = f"notice:{actor['member_id']}"
        request_key = f"{scope}:{idempotency_key}" if idempotency_key else None
        return run_once(self.db, scope=scope, key=idempotency_key, request=body,
                        command=lambda: commands.publish_notice(self.db, self.outbox, actor, body, utcnow(),
                                                                request_key=request_key))

    @rpc
    def my_notices(self, actor, query):
        return commands.my_notices(self.db, actor, query)

    @rpc
    def receipts(self, actor, notice_id):
        return commands.receipts(self.db, actor, notice_id)

    @rpc
    def board(self, actor, query):
        return commands.board(self.db, actor, query, utcnow())

    @rpc
    def export_member(self, actor):
        return commands.export(self.db, actor)

    # -- timers ------------------------------------------------------------------------------------------------------
    @timer(interval=2)
    def send_emails(self):
        delays = [float(d) for d in str(self.config.get("EMAIL_RETRY_DELAYS_SECONDS", "30,120,600,1800")).split(",")]
        return commands.send_due_emails(self.db, self.mailer, self.outbox, retry_delays=delays, now=utcnow())

    @timer(interval=60)
    def send_digests(self):
        return commands.send_digests(self.db, self.mailer, self.outbox, utcnow())

    @timer(interval=5)
    def relay_outbox(self):
        super().relay_outbox()
        commands.finish_fan_outs(self.db, utcnow())
