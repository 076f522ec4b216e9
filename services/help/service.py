"""The help Nameko service: thin entrypoints that delegate to `commands`."""

from nameko.timer import timer

from services.common.clock import utcnow
from services.common.handlers import on_event
from services.common.idempotency import run_once
from services.common.members import KeepsMemberCopies
from services.common.mongo import MongoDatabase
from services.common.outbox import Outbox
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.help import commands
from services.help.models import StoredOffer, StoredRequest
from services.help.repository import HelpRepository


class HelpService(KeepsMemberCopies, PlatformService):
    name = "help"

    db = MongoDatabase(HelpRepository)
    outbox = Outbox(StoredRequest, StoredOffer)

    @rpc
    def create_request(self, actor, body, idempotency_key=None):
        scope = f"help:{actor['member_id']}"
        request_key = f"{scope}:{idempotency_key}" if idempotency_key else None
        return run_once(self.db, scope=scope, key=idempotency_key, request=body,
                        command=lambda: commands.create_request(self.unit_of_work(), actor, body, utcnow(),
                                                                request_key=request_key))

    @rpc
    def list_requests(self, actor, query):
        return commands.list_requests(self.unit_of_work(), actor, query)

    @rpc
    def get_request(self, actor, request_id):
        return commands.get_request(self.unit_of_work(), actor, request_id)

    @rpc
    def offer(self, actor, request_id, body, idempotency_key=None):
        return run_once(self.db, scope=f"offer:{actor['member_id']}:{request_id}", key=idempotency_key,
                        request=body,
                        command=lambda: commands.offer(self.unit_of_work(), actor, request_id, body, utcnow()))

    @rpc
    def accept(self, actor, request_id, body):
        return commands.accept(self.unit_of_work(), actor, request_id, body, utcnow())

    @rpc
    def complete(self, actor, request_id):
        return commands.complete(self.unit_of_work(), actor, request_id, utcnow())

    @rpc
    def cancel(self, actor, request_id):
        return commands.cancel(self.unit_of_work(), actor, request_id, utcnow())

    @rpc
    def export_member(self, actor):
        return commands.export(self.unit_of_work(), actor)

    def remember_member(self, event):
        commands.remember_member(self.unit_of_work(), event)

    def member_gone(self, member_id, *, erased):
        commands.on_member_gone(self.unit_of_work(), member_id, erased=erased, now=utcnow())

    @on_event("notifications", "preferences.updated")
    def preferences_updated(self, event):
        commands.remember_help_categories(self.unit_of_work(), event)

    @timer(interval=60)
    def expire_requests(self):
        return commands.expire_due(self.unit_of_work(), utcnow())
