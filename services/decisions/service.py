"""The decisions Nameko service ("Deciding together"): thin entrypoints that delegate to `commands`, each with a
unit of work of its own and the time of the service's clock."""

from services.common.clock import Clock
from services.common.idempotency import run_once
from services.common.members import KeepsMemberCopies
from services.common.mongo import MongoDatabase
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.common.timers import timer_from_config
from services.decisions import commands
from services.decisions.models import Decision
from services.decisions.repository import DecisionsRepository


class DecisionsService(KeepsMemberCopies, PlatformService):
    name = "decisions"

    db = MongoDatabase(DecisionsRepository)
    outbox = Outbox(Decision)
    clock = Clock()

    @rpc
    def open_decision(self, actor, body, idempotency_key=None):
        return run_once(self.db, scope=f"decision:{actor['member_id']}", key=idempotency_key, request=body,
                        command=lambda: commands.open_decision(self.unit_of_work(), actor, body, self.clock()))

    @rpc
    def list_decisions(self, actor, query):
        return commands.list_decisions(self.unit_of_work(), actor, query)

    @rpc
    def get_decision(self, actor, decision_id):
        return commands.get_decision(self.unit_of_work(), actor, decision_id)

    @rpc
    def vote(self, actor, decision_id, body):
        """No idempotency key: a repeated open vote replaces itself, and a secret one must leave no record of what
        was chosen (a stored request or its fingerprint would be one)."""
        return commands.vote(self.unit_of_work(), actor, decision_id, body, self.clock())

    @rpc
    def not_voted(self, actor, decision_id):
        return commands.not_voted(self.unit_of_work(), actor, decision_id)

    @rpc
    def close(self, actor, decision_id):
        return commands.close(self.unit_of_work(), actor, decision_id, self.clock())

    @timer_from_config("DECISIONS_TIMER_SECONDS")
    def watch(self):
        """Close what is due and send the reminders of the day before, once however many instances run this."""
        return commands.watch(self.unit_of_work(), self.clock())

    # -- members ----------------------------------------------------------------------------------------------
    @rpc
    def export_member(self, actor):
        return commands.export(self.unit_of_work(), actor)

    def remember_member(self, event):
        commands.remember_member(self.unit_of_work(), event)

    def member_gone(self, member_id, *, erased):
        commands.on_member_gone(self.unit_of_work(), member_id, erased=erased)
