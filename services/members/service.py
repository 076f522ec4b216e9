"""The members Nameko service: thin entrypoints that delegate to `commands`."""

from eventlet.event import Event

from nameko.extensions import DependencyProvider

from services.common.clock import utcnow
from services.common.idempotency import run_once
from services.common.mongo import MongoDatabase
from services.common.rpc import rpc
from services.common.service import PlatformService
from services.common.unit_of_work import UnitOfWork
from services.common.outbox import Outbox
from services.contracts.vocabulary import DEFAULT_TIMEZONE
from services.members import commands, login_links
from services.members.models import LoginLink, Member
from services.members.repository import MembersRepository


class Bootstrap(DependencyProvider):
    """On start: the community from BOOTSTRAP_* exists, with a first organiser if it has no member.

    Nameko starts all extensions together, so the RPC entrypoints may already listen while this runs;
    `health` waits for it, so that nobody is told the service is ready before the organiser can log in.
    """

    def setup(self):
        self.done = Event()

    def get_dependency(self, worker_ctx):
        return self.done

    def start(self):
        try:
            self._bootstrap()
        finally:
            if not self.done.ready():
                self.done.send(True)

    def _bootstrap(self):
        config = self.container.config
        commands.ensure_bootstrap(
            UnitOfWork(MembersRepository(), _LeftForTheRelay()),
            community_name=config["BOOTSTRAP_COMMUNITY"],
            timezone=config["BOOTSTRAP_TIMEZONE"],
            organiser={
                "email": config["BOOTSTRAP_ORGANISER_EMAIL"],
                "password": config["BOOTSTRAP_ORGANISER_PASSWORD"],
                "display_name": config["BOOTSTRAP_ORGANISER_NAME"],
            },
            now=utcnow(),
        )


class _LeftForTheRelay:
    """Outside a worker nothing can publish yet: events stay in the outbox for the relay."""

    def send_after_reply(self, *documents):
        pass

    def send_left(self) -> bool:
        return False


class MembersService(PlatformService):
    name = "members"

    db = MongoDatabase(MembersRepository)
    outbox = Outbox(Member, LoginLink)
    bootstrap = Bootstrap()

    @rpc
    def health(self):
        self.bootstrap.wait()  # ready means the first organiser can log in
        return super().health()

    # -- communities ------------------------------------------------------------------------------------
    @rpc
    def create_community(self, name, timezone=DEFAULT_TIMEZONE, organiser=None, idempotency_key=None):
        return run_once(self.db, scope="community", key=idempotency_key,
                        request=[name, timezone, {**(organiser or {}), "password": None}],
                        command=lambda: commands.create_community(
                            self.unit_of_work(), name=name, timezone=timezone, organiser=organiser or {},
                            now=utcnow()))

    @rpc
    def get_community(self, community_id):
        return commands.get_community(self.unit_of_work(), community_id)

    # -- auth ------------------------------------------------------------------------------------------------
    @rpc
    def login(self, body, address):
        return commands.login(self.unit_of_work(), body, address, self._login_limits(), utcnow())

    @rpc
    def request_login_link(self, body, address):
        settings = {
            "lifetime_seconds": int(self.config["LOGIN_LINK_LIFETIME_SECONDS"]),
            "per_account": int(self.config["LOGIN_LINK_MAX_PER_ACCOUNT"]),
            "per_address": int(self.config["LOGIN_LINK_MAX_PER_ADDRESS"]),
            "window_minutes": int(self.config["LOGIN_WINDOW_MINUTES"]),
        }
        return login_links.request_login_link(self.unit_of_work(), body, address, settings, utcnow())

    @rpc
    def redeem_login_link(self, body, address):
        return login_links.redeem_login_link(self.unit_of_work(), body, address, self._login_limits(), utcnow())

    def _login_limits(self) -> dict:
        return {
            "per_account": int(self.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
            "per_address": int(self.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
            "window_minutes": int(self.config["LOGIN_WINDOW_MINUTES"]),
        }

    @rpc
    def authenticate(self, member_id):
        return commands.authenticate(self.unit_of_work(), member_id)

    # -- invitations and registration -------------------------------------------------------------------
    @rpc
    def create_invitation(self, actor, body, idempotency_key=None):
        return run_once(self.db, scope=f"invitation:{actor['member_id']}", key=idempotency_key, request=body,
                        command=lambda: commands.create_invitation(self.unit_of_work(), actor, body, utcnow()))

    @rpc
    def register(self, body, idempotency_key=None):
        scope = f"register:{body.get('invitation_code') if isinstance(body, dict) else ''}"
        request = {**body, "password": None} if isinstance(body, dict) else body
        return run_once(self.db, scope=scope, key=idempotency_key, request=request,
                        command=lambda: commands.register(self.unit_of_work(), body, utcnow()))

    # -- profiles and directory ---------------------------------------------------------------------------
    @rpc
    def get_profile(self, actor):
        return commands.get_profile(self.unit_of_work(), actor)

    @rpc
    def change_profile(self, actor, body):
        return commands.change_profile(self.unit_of_work(), actor, body, utcnow())

    @rpc
    def get_member(self, actor, member_id):
        return commands.get_member(self.unit_of_work(), actor, member_id)

    @rpc
    def change_member(self, actor, member_id, body):
        return commands.change_member(self.unit_of_work(), actor, member_id, body, utcnow())

    @rpc
    def directory(self, actor, limit=50, cursor=None):
        return commands.directory(self.unit_of_work(), actor, limit=limit, cursor=cursor)

    # -- trusted persons --------------------------------------------------------------------------------------
    @rpc
    def grant_trust(self, actor, body, idempotency_key=None):
        return run_once(self.db, scope=f"trust:{actor['member_id']}", key=idempotency_key, request=body,
                        command=lambda: commands.grant_trust(self.unit_of_work(), actor, body, utcnow()))

    @rpc
    def list_trusts(self, actor):
        return commands.list_trusts(self.unit_of_work(), actor, utcnow())

    @rpc
    def revoke_trust(self, actor, trust_id):
        commands.revoke_trust(self.unit_of_work(), actor, trust_id, utcnow())

    @rpc
    def trusted_by(self, actor):
        return commands.trusted_by(self.unit_of_work(), actor, utcnow())

    @rpc
    def act_for(self, actor, resident_id, scope):
        return commands.act_for(self.unit_of_work(), actor, resident_id, scope, utcnow())

    # -- privacy --------------------------------------------------------------------------------------------
    @rpc
    def export_member(self, actor):
        return commands.export(self.unit_of_work(), actor, utcnow())

    @rpc
    def erase_member(self, actor):
        commands.erase(self.unit_of_work(), actor, utcnow())
