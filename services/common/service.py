"""What every service of the platform has, declared once: its configuration, the declaration of every
event queue at start, Nameko's patches, a health check for the gateway's readiness, the outbox relay, and a
unit of work for each command.

A service subclasses `PlatformService` and declares `name`, `db` (its `MongoDatabase`) and `outbox`.
"""
from datetime import timedelta

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.common.clock import utcnow
from services.common.events import ACTING
from services.common.handlers import DeadLetters
from services.common.idempotency import BEAT_INTERVAL_SECONDS, PROCESS
from services.common.nameko_patches import NamekoPatches
from services.common.rpc import rpc
from services.common.topology import DeclareEventQueues
from services.common.unit_of_work import UnitOfWork


class ActingFor(DependencyProvider):
    """A request a trusted person makes for a resident comes with the resident as its actor, naming who acted
    (`acted_by`, see `gateway.delegation`): the events of its worker say so (`services.common.events.ACTING`)."""

    def worker_setup(self, worker_ctx):
        args = worker_ctx.args
        actor = args[0] if args else worker_ctx.kwargs.get("actor")
        acted_by = actor.get("acted_by") if isinstance(actor, dict) else None
        if isinstance(acted_by, dict) and actor.get("member_id"):
            ACTING.set({"member_id": acted_by.get("member_id"), "display_name": acted_by.get("display_name"),
                        "for": actor["member_id"]})


class PlatformService:
    name = ""
    config = Config()
    event_queues = DeclareEventQueues()
    dead_letters = DeadLetters()
    nameko_patches = NamekoPatches()  # see services.common.nameko_patches
    acting_for = ActingFor()

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work on this worker's repository and outbox, for the command this entrypoint runs."""
        return UnitOfWork(self.db, self.outbox)

    @rpc
    def health(self):
        self.db.db.command("ping")
        return {"service": self.name, "ok": True}

    @timer(interval=BEAT_INTERVAL_SECONDS, eager=True)
    def beat(self):
        """Say this process is alive: claims on idempotency keys of a process that stopped saying so are
        taken over (see services.common.idempotency)."""
        self.db.beat(PROCESS, utcnow())

    @timer(interval=5)
    def relay_outbox(self):
        """Publish the events whose first publish did not happen (a crash, the broker away)."""
        self.outbox.relay(grace=timedelta(seconds=float(self.config["OUTBOX_RELAY_GRACE_SECONDS"])))
