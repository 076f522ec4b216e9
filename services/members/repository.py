"""The members database, narrowed to the questions the service asks. Every member query names its community."""
import contextlib
from datetime import datetime

from mongoengine import NotUniqueError

from services.common.errors import Conflict
from services.common.mongo import Repository
from services.common.paging import keyset_page
from services.members.models import ALIAS, Community, Invitation, LoginFailure, LoginLink, Member, Trust


class MembersRepository(Repository):
    alias = ALIAS
    documents = (Community, Member, Invitation, LoginFailure, LoginLink, Trust)

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
        # Supporters (relatives and friends from outside the house) are not in the house's directory.
        query = Member.objects(community_id=community_id, erased=False, role__ne="supporter")
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

    # -- sign-in links ------------------------------------------------------------------------------------
    def link_requests_since(self, *, account_key: str | None = None, address_key: str | None = None,
                            since: datetime) -> int:
        keys = {"account_key": account_key} if account_key is not None else {"address_key": address_key}
        return LoginLink.objects(**keys, requested_at__gte=since).count()

    def login_link(self, token_hash: str) -> LoginLink | None:
        return LoginLink.objects(token_hash=token_hash).first()

    def claim_login_link(self, token_hash: str, now: datetime) -> LoginLink | None:
        """Mark the link used, atomically: of two redemptions of one link only one gets it."""
        return LoginLink.objects(token_hash=token_hash, used_at=None, expires_at__gt=now,
                                 member_id__ne=None).modify(set__used_at=now, new=True)

    def invitations_created_by(self, community_id: str, member_id: str) -> list[Invitation]:
        return list(Invitation.objects(community_id=community_id, created_by=member_id))

    def forget_invitations_of(self, community_id: str, member_id: str, email: str) -> None:
        """An erased member's invitations lose their author, and the one they received loses the email."""
        Invitation.objects(community_id=community_id, created_by=member_id).update(set__created_by="erased")
        Invitation.objects(community_id=community_id, email=email).update(set__email="erased@invalid")


    # -- trusted persons --------------------------------------------------------------------------------
    def display_names(self, member_ids) -> dict[str, str]:
        ids = [member_id for member_id in set(member_ids) if member_id]
        return {found["_id"]: found["display_name"]
                for found in Member._get_collection().find({"_id": {"$in": ids}}, {"display_name": 1})}

    def trust(self, trust_id: str) -> Trust | None:
        return Trust.objects(id=trust_id).first() if isinstance(trust_id, str) else None

    def trusts_of(self, resident_id: str) -> list[Trust]:
        return list(Trust.objects(resident_id=resident_id).order_by("-created_at"))

    def trusts_in(self, trusted_id: str) -> list[Trust]:
        """The trusts that name this person, newest first (the residents they act or acted for)."""
        return list(Trust.objects(trusted_id=trusted_id).order_by("-created_at"))

    def live_trusts(self, trusted_id: str, resident_id: str) -> list[Trust]:
        """Trusts between the two that have not ended (they may have expired: the caller asks the rules)."""
        return list(Trust.objects(trusted_id=trusted_id, resident_id=resident_id, ended_at=None))

    def bind_invited_trusts(self, invitation_id: str, member_id: str) -> None:
        """The supporter joined with the invitation: the trusts waiting for them are now theirs."""
        Trust.objects(invitation_id=invitation_id, trusted_id=None, ended_at=None).update(
            set__trusted_id=member_id, unset__invited_name=True)

    def end_trust(self, trust_id: str, by: str, now: datetime) -> bool:
        return Trust.objects(id=trust_id, ended_at=None).update_one(
            set__ended_at=now, set__ended_by=by, set__ended_reason="revoked") == 1

    def end_trusts_of(self, member_id: str, reason: str, now: datetime) -> None:
        """Deactivating or erasing either person ends every trust between them and others."""
        for side in ("resident_id", "trusted_id"):
            Trust.objects(**{side: member_id}, ended_at=None).update(
                set__ended_at=now, set__ended_by=member_id, set__ended_reason=reason)

    def forget_trusts_of_resident(self, member_id: str) -> None:
        """Erasure: whom the member trusted (names and relations they wrote) goes with them."""
        Trust.objects(resident_id=member_id).delete()

    def expire_invitation(self, invitation_id: str, now: datetime) -> None:
        Invitation.objects(id=invitation_id, used_at=None).update_one(set__expires_at=now)


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
