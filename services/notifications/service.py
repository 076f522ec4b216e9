"""The notifications Nameko service: thin entrypoints that delegate to `commands`."""

import eventlet
from nameko.timer import timer

from services.common.clock import utcnow
from services.common.handlers import on_event
from services.common.idempotency import run_once
from services.common.mongo import MongoDatabase
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.contracts.events import (
    ACTIVITY_MESSAGES, ALERTS, CARE_DONE_FOR, CARE_MESSAGES, PUBLISHED, RENAMED, handler_name, publisher_of,
)
from services.notifications import commands
from services.notifications.mailer import SmtpMailer
from services.notifications.texts import TextMessages
from services.notifications.models import Delivery, Notice, Preferences
from services.notifications.repository import NotificationsRepository

# Events that only put messages into inboxes: each has a handler of its own (`booking_confirmed`, ...), made
# below from this table; what each says, and to whom, is `commands.handle_event`'s routing.
NOTIFYING = (*PUBLISHED["spaces"], *PUBLISHED["help"], *ALERTS, "checkin.recorded", *CARE_MESSAGES, *CARE_DONE_FOR,
             *PUBLISHED["decisions"], *ACTIVITY_MESSAGES)
NOTIFYING += tuple(old for old, new in RENAMED.items() if new in NOTIFYING)  # for one version


def notify(service, event):
    commands.handle_event(service.unit_of_work(), event, utcnow())


def notifier(event_type: str):
    """The handler of one event type of `NOTIFYING`, named as the contracts name it."""
    def handle(self, event):
        notify(self, event)

    handle.__name__ = handle.__qualname__ = handler_name(event_type)
    return on_event(publisher_of(event_type), event_type)(handle)


class NotificationsService(PlatformService):
    name = "notifications"

    db = MongoDatabase(NotificationsRepository)
    outbox = Outbox(Notice, Preferences, Delivery)
    mailer = SmtpMailer()
    texts = TextMessages()

    # -- members ----------------------------------------------------------------------------------------
    @on_event("members", "member.joined")
    def member_joined(self, event):
        commands.remember_member(self.unit_of_work(), event)
        notify(self, event)

    @on_event("members", "member.updated")
    def member_updated(self, event):
        commands.remember_member(self.unit_of_work(), event)

    @on_event("members", "member.deactivated")
    def member_deactivated(self, event):
        commands.member_deactivated(self.unit_of_work(), event["payload"]["member_id"])

    @on_event("members", "member.erased")
    def member_erased(self, event):
        commands.erase(self.unit_of_work(), event["payload"]["member_id"])

    @on_event("members", "login_link.requested")
    def login_link_requested(self, event):
        delays = [float(d) for d in str(self.config["LOGIN_LINK_EMAIL_RETRY_DELAYS_SECONDS"]).split(",") if d.strip()]
        commands.send_login_link(self.unit_of_work(), self.mailer, event, public_url=self.config["PUBLIC_URL"],
                                 retry_delays=delays, now=utcnow(), sleep=eventlet.sleep)

    # -- inbox, preferences, notices --------------------------------------------------------------------------------
    @rpc
    def inbox(self, actor, query):
        return commands.inbox(self.unit_of_work(), actor, query)

    @rpc
    def mark_read(self, actor, notification_id):
        commands.mark_read(self.unit_of_work(), actor, notification_id, utcnow())

    @rpc
    def get_preferences(self, actor):
        return commands.get_preferences(self.unit_of_work(), actor)

    @rpc
    def set_preferences(self, actor, body):
        return commands.set_preferences(self.unit_of_work(), actor, body, utcnow(), texts_offered=self.texts is not None)

    @rpc
    def publish_notice(self, actor, body, idempotency_key=None):
        scope = f"notice:{actor['member_id']}"
        request_key = f"{scope}:{idempotency_key}" if idempotency_key else None
        return run_once(self.db, scope=scope, key=idempotency_key, request=body,
                        command=lambda: commands.publish_notice(self.unit_of_work(), actor, body, utcnow(),
                                                                request_key=request_key))

    @rpc
    def my_notices(self, actor, query):
        return commands.my_notices(self.unit_of_work(), actor, query)

    @rpc
    def receipts(self, actor, notice_id):
        return commands.receipts(self.unit_of_work(), actor, notice_id)

    @rpc
    def board(self, actor, query):
        return commands.board(self.unit_of_work(), actor, query, utcnow())

    @rpc
    def activity(self, actor):
        return commands.activity(self.unit_of_work(), actor)

    @rpc
    def export_member(self, actor):
        return commands.export(self.unit_of_work(), actor)

    # -- timers ------------------------------------------------------------------------------------------------------
    @timer(interval=2)
    def send_emails(self):
        delays = [float(d) for d in str(self.config["EMAIL_RETRY_DELAYS_SECONDS"]).split(",")]
        return commands.send_due_emails(self.unit_of_work(), self.mailer, retry_delays=delays, now=utcnow(),
                                        public_url=self.config["PUBLIC_URL"], texts=self.texts)

    @timer(interval=60)
    def send_digests(self):
        return commands.send_digests(self.unit_of_work(), self.mailer, utcnow())

    @timer(interval=5)
    def relay_outbox(self):
        super().relay_outbox()
        commands.finish_fan_outs(self.unit_of_work(), utcnow())


for _event_type in NOTIFYING:
    setattr(NotificationsService, handler_name(_event_type), notifier(_event_type))
