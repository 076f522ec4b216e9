"""The members database, narrowed to the questions the service asks. Every member query names its community."""
import contextlib
from datetime import datetime

from mongoengine import NotUniqueError

from services.common.errors import Conflict
from services.common.mongo import Repository
from services.common.paging import keyset_page
from services.members.models import ALIAS, Community, Invitation, LoginFailure, Member


class MembersRepository(Repository):
    alias = ALIAS
    documents = (Community, Member, Invitation, LoginFailure)

    # -- how a unit of work writes: a community's name and a member's email are each taken once ----------
    def insert(self, document) -> None:
        with _taken_once(document):
            super().insert(document)

    def update(self, document) -> None:
        with _taken_once(document):
            super().update(document)

    # -- communities ------------------------------------------------------------------------------
    def community(self, community_id: str) -> Community | None:
        return Community.objects(id=community_id).first()

    def community_named(self, name_key: str) -> Community | None:
        return Community.objects(name_key=name_key).first()

    def has_members(self, community_id: str) -> bool:
        return Member.objects(community_id=community_id).limit(1).count(with_limit_and_skip=True) > 0

    # -- members --------------------------------------------------------------------------------------
    def member(self, community_id: str, member_id: str) -> Member | None:
        return Member.objects(community_id=community_id, id=member_id).first()

    def authentication_facts(self, member_id: str) -> dict | None:
        """What authorising a request needs of a member, read raw: this runs for every request through the
        gateway. Only for authentication, where the token names the member and the community is not known yet."""
        return Member._get_collection().find_one({"_id": member_id}, {
            "community_id": 1, "role": 1, "household": 1, "preferred_language": 1, "display_name": 1,
            "tokens_valid_after": 1, "active": 1, "erased": 1, "revision": 1})

    def community_timezone(self, community_id: str) -> str | None:
        found = Community._get_collection().find_one({"_id": community_id}, {"timezone": 1})
        return found["timezone"] if found else None

    def member_by_email(self, email: str) -> Member | None:
        return Member.objects(email=email).first()

    def active_organisers(self, community_id: str) -> int:
        return Member.objects(community_id=community_id, role="organiser", active=True).count()

    def directory(self, community_id: str, *, limit: int, cursor: str | None) -> tuple[list[Member], str | None]:
        query = Member.objects(community_id=community_id, erased=False)
        return keyset_page(query, field="name_key", kind=str, limit=limit, cursor=cursor)

    # -- invitations ------------------------------------------------------------------------------------
    def invitation_by_code_hash(self, code_hash: str) -> Invitation | None:
        return Invitation.objects(code_hash=code_hash).first()

    def claim_invitation(self, invitation_id: str, member_id: str, now: datetime) -> bool:
        """Mark the invitation used, atomically: of two simultaneous registrations only one wins."""
        return Invitation.objects(id=invitation_id, used_at=None, expires_at__gt=now).update_one(
            set__used_at=now, set__used_by=member_id
        ) == 1

    def release_invitation(self, invitation_id: str, member_id: str) -> None:
        Invitation.objects(id=invitation_id, used_by=member_id).update_one(unset__used_at=True, unset__used_by=True)

    # -- failed logins ----------------------------------------------------------------------------------
    def failures_since(self, key: str, since: datetime) -> int:
        return LoginFailure.objects(key=key, at__gte=since).count()

    def clear_failures(self, key: str) -> None:
        LoginFailure.objects(key=key).delete()

    def invitations_created_by(self, community_id: str, member_id: str) -> list[Invitation]:
        return list(Invitation.objects(community_id=community_id, created_by=member_id))

    def forget_invitations_of(self, community_id: str, member_id: str, email: str) -> None:
        """An erased member's invitations lose their author, and the one they received loses the email."""
        Invitation.objects(community_id=community_id, created_by=member_id).update(set__created_by="erased")
        Invitation.objects(community_id=community_id, email=email).update(set__email="erased@invalid")


@contextlib.contextmanager
def _taken_once(document):
    try:
        yield
    except NotUniqueError:
        if isinstance(document, Community):
            raise Conflict("A community with this name exists already.")
        if isinstance(document, Member):
            raise Conflict("This email address is already registered.", errors={"email": ["Already registered."]})
        raise
