"""The care Nameko service ("Safe at home"): thin entrypoints that delegate to `commands`, each with a unit of work
of its own and the time of the service's clock."""

from services.care import commands
from services.care.models import DoneFor, Alert, BuddyRequest, CheckIn, CheckInLink, EmergencySheet
from services.care.repository import CareRepository
from services.common.clock import Clock
from services.common.idempotency import run_once
from services.common.members import KeepsMemberCopies
from services.common.mongo import MongoDatabase
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.common.timers import timer_from_config


class CareService(KeepsMemberCopies, PlatformService):
    name = "care"

    db = MongoDatabase(CareRepository)
    outbox = Outbox(CheckIn, Alert, CheckInLink, EmergencySheet, BuddyRequest, DoneFor)
    clock = Clock()

    # -- the daily check-in -----------------------------------------------------------------------------------
    @rpc
    def get_settings(self, actor):
        return commands.get_settings(self.unit_of_work(), actor, self.clock())

    @rpc
    def set_settings(self, actor, body):
        return commands.set_settings(self.unit_of_work(), actor, body, self.clock())

    @rpc
    def set_away(self, actor, body):
        return commands.set_away(self.unit_of_work(), actor, body, self.clock())

    @rpc
    def clear_away(self, actor):
        commands.clear_away(self.unit_of_work(), actor, self.clock())

    @rpc
    def check_in(self, actor, body=None, idempotency_key=None):
        return run_once(self.db, scope=f"checkin:{actor['member_id']}", key=idempotency_key, request=body,
                        command=lambda: commands.check_in(self.unit_of_work(), actor, body, self.clock()))

    # -- the daily email's one-click link (no login: the signed token is the proof) ------------------------------
    @rpc
    def check_in_link(self, token):
        return commands.check_in_link(self.unit_of_work(), token, secret=self.config["CHECKIN_LINK_SECRET"],
                                      now=self.clock())

    @rpc
    def redeem_check_in_link(self, token):
        return commands.redeem_check_in_link(self.unit_of_work(), token, secret=self.config["CHECKIN_LINK_SECRET"],
                                             now=self.clock())

    @timer_from_config("REMINDER_TIMER_SECONDS")
    def send_reminders(self):
        """The daily emails with a link, and the emergency sheets' reviews, once however many instances run this."""
        return commands.send_reminders(self.unit_of_work(), self.clock(), secret=self.config["CHECKIN_LINK_SECRET"])

    # -- buddies ----------------------------------------------------------------------------------------------
    @rpc
    def buddy_requests(self, actor):
        return commands.buddy_requests(self.unit_of_work(), actor)

    @rpc
    def accept_buddy_request(self, actor, request_id):
        return commands.answer_buddy_request(self.unit_of_work(), actor, request_id, accept=True, now=self.clock())

    @rpc
    def decline_buddy_request(self, actor, request_id):
        return commands.answer_buddy_request(self.unit_of_work(), actor, request_id, accept=False, now=self.clock())

    # -- alerts -----------------------------------------------------------------------------------------------
    @rpc
    def list_alerts(self, actor, query):
        return commands.list_alerts(self.unit_of_work(), actor, query)

    @rpc
    def get_alert(self, actor, alert_id):
        return commands.get_alert(self.unit_of_work(), actor, alert_id)

    @rpc
    def acknowledge_alert(self, actor, alert_id):
        return commands.acknowledge(self.unit_of_work(), actor, alert_id, self.clock())

    @rpc
    def resolve_alert(self, actor, alert_id, body):
        return commands.resolve(self.unit_of_work(), actor, alert_id, body, self.clock())

    @timer_from_config("CHECKIN_TIMER_SECONDS")
    def watch(self):
        """Missed deadlines become alerts, and alerts escalate, once however many instances run this."""
        return commands.watch(self.unit_of_work(), self.clock())

    # -- the emergency sheet ----------------------------------------------------------------------------------
    @rpc
    def get_own_sheet(self, actor):
        return commands.get_own_sheet(self.unit_of_work(), actor)

    @rpc
    def set_sheet(self, actor, body):
        return commands.set_sheet(self.unit_of_work(), actor, body, self.clock())

    @rpc
    def read_sheet(self, actor, member_id):
        return commands.read_sheet(self.unit_of_work(), actor, member_id, self.clock())

    @rpc
    def sheet_reads(self, actor, query):
        return commands.sheet_reads(self.unit_of_work(), actor, query)

    # -- members ----------------------------------------------------------------------------------------------
    @rpc
    def export_member(self, actor):
        return commands.export(self.unit_of_work(), actor, self.clock())

    def remember_member(self, event):
        commands.remember_member(self.unit_of_work(), event)

    def member_gone(self, member_id, *, erased):
        commands.on_member_gone(self.unit_of_work(), member_id, erased=erased, now=self.clock())
