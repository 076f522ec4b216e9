"""The members repository in memory: communities, members, invitations, failed logins and sign-in links."""
from datetime import datetime

from services.common.errors import Conflict
from services.members.models import Community, Invitation, LoginFailure, LoginLink, Member, Trust
from tests.support.fakes import FakeRepository, page


class FakeMembersRepository(FakeRepository):
    # -- written as the real repository writes them: a community's name and an email are taken once --------
    def insert(self, document) -> None:
        self._refuse_taken(document)
        super().insert(document)

    def update(self, document) -> None:
        self._refuse_taken(document)
        super().update(document)

    def _refuse_taken(self, document) -> None:
        if isinstance(document, Community) and any(c.name_key == document.name_key and c.id != document.id
                                                   for c in self.all(Community)):
            raise Conflict("A community with this name exists already.")
        if isinstance(document, Member) and any(m.email == document.email and m.id != document.id
                                                for m in self.all(Member)):
            raise Conflict("This email address is already registered.", errors={"email": ["Already registered."]})

    # -- communities --------------------------------------------------------------------------------------
    def community(self, community_id: str) -> Community | None:
        return self.stored(Community, community_id)

    def community_named(self, name_key: str) -> Community | None:
        return next((c for c in self.all(Community) if c.name_key == name_key), None)

    def has_members(self, community_id: str) -> bool:
        return any(m.community_id == community_id for m in self.all(Member))

    def community_timezone(self, community_id: str) -> str | None:
        community = self.community(community_id)
        return community.timezone if community else None

    # -- members ----------------------------------------------------------------------------------------------
    def member(self, community_id: str, member_id: str) -> Member | None:
        member = self.stored(Member, member_id)
        return member if member is not None and member.community_id == community_id else None

    def authentication_facts(self, member_id: str) -> dict | None:
        member = self.stored(Member, member_id)
        return None if member is None else member.to_mongo().to_dict()

    def member_by_email(self, email: str) -> Member | None:
        return next((m for m in self.all(Member) if m.email == email), None)

    def active_organisers(self, community_id: str) -> int:
        return sum(m.community_id == community_id and m.role == "organiser" and m.active for m in self.all(Member))

    def directory(self, community_id: str, *, limit: int, cursor: str | None) -> tuple[list[Member], str | None]:
        found = [m for m in self.all(Member) if m.community_id == community_id and not m.erased
                 and m.role != "supporter"]
        return page(found, field="name_key", kind=str, limit=limit, cursor=cursor)

    # -- invitations ------------------------------------------------------------------------------------------
    def invitation_by_code_hash(self, code_hash: str) -> Invitation | None:
        return next((i for i in self.all(Invitation) if i.code_hash == code_hash), None)

    def claim_invitation(self, invitation_id: str, member_id: str, now: datetime) -> bool:
        invitation = self.stored(Invitation, invitation_id)
        if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
            return False
        invitation.used_at, invitation.used_by = now, member_id
        self.update(invitation)
        return True

    def release_invitation(self, invitation_id: str, member_id: str) -> None:
        invitation = self.stored(Invitation, invitation_id)
        if invitation is not None and invitation.used_by == member_id:
            invitation.used_at = invitation.used_by = None
            self.update(invitation)

    def invitations_created_by(self, community_id: str, member_id: str) -> list[Invitation]:
        return [i for i in self.all(Invitation) if i.community_id == community_id and i.created_by == member_id]

    def forget_invitations_of(self, community_id: str, member_id: str, email: str) -> None:
        for invitation in self.all(Invitation):
            if invitation.community_id == community_id and invitation.created_by == member_id:
                invitation.created_by = "erased"
                self.update(invitation)
            if invitation.community_id == community_id and invitation.email == email:
                invitation.email = "erased@invalid"
                self.update(invitation)

    # -- failed logins ----------------------------------------------------------------------------------------
    def failures_since(self, key: str, since: datetime) -> int:
        return sum(failure.key == key and failure.at >= since for failure in self.all(LoginFailure))

    def clear_failures(self, key: str) -> None:
        for failure in self.all(LoginFailure):
            if failure.key == key:
                self.forget(LoginFailure, failure.pk)

    # -- trusted persons ------------------------------------------------------------------------------------
    def display_names(self, member_ids) -> dict[str, str]:
        found = (self.stored(Member, member_id) for member_id in set(member_ids) if member_id)
        return {member.id: member.display_name for member in found if member is not None}

    def trust(self, trust_id: str) -> Trust | None:
        return self.stored(Trust, trust_id) if isinstance(trust_id, str) else None

    def trusts_of(self, resident_id: str) -> list[Trust]:
        return sorted((t for t in self.all(Trust) if t.resident_id == resident_id), key=lambda t: t.created_at,
                      reverse=True)

    def trusts_in(self, trusted_id: str) -> list[Trust]:
        return sorted((t for t in self.all(Trust) if t.trusted_id == trusted_id), key=lambda t: t.created_at,
                      reverse=True)

    def live_trusts(self, trusted_id: str, resident_id: str) -> list[Trust]:
        return [t for t in self.all(Trust)
                if t.trusted_id == trusted_id and t.resident_id == resident_id and t.ended_at is None]

    def bind_invited_trusts(self, invitation_id: str, member_id: str) -> None:
        for trust in self.all(Trust):
            if trust.invitation_id == invitation_id and trust.trusted_id is None and trust.ended_at is None:
                trust.trusted_id, trust.invited_name = member_id, None
                self.update(trust)

    def end_trust(self, trust_id: str, by: str, now: datetime) -> bool:
        trust = self.stored(Trust, trust_id)
        if trust is None or trust.ended_at is not None:
            return False
        trust.ended_at, trust.ended_by, trust.ended_reason = now, by, "revoked"
        self.update(trust)
        return True

    def end_trusts_of(self, member_id: str, reason: str, now: datetime) -> None:
        for trust in self.all(Trust):
            if member_id in (trust.resident_id, trust.trusted_id) and trust.ended_at is None:
                trust.ended_at, trust.ended_by, trust.ended_reason = now, member_id, reason
                self.update(trust)

    def forget_trusts_of_resident(self, member_id: str) -> None:
        for trust in self.all(Trust):
            if trust.resident_id == member_id:
                self.forget(Trust, trust.pk)

    def expire_invitation(self, invitation_id: str, now: datetime) -> None:
        invitation = self.stored(Invitation, invitation_id)
        if invitation is not None and invitation.used_at is None:
            invitation.expires_at = now
            self.update(invitation)

    # -- sign-in links ----------------------------------------------------------------------------------------
    def link_requests_since(self, *, account_key: str | None = None, address_key: str | None = None,
                            since: datetime) -> int:
        return sum((link.account_key == account_key if account_key is not None else link.address_key == address_key)
                   and link.requested_at >= since for link in self.all(LoginLink))

    def login_link(self, token_hash: str) -> LoginLink | None:
        return next((link for link in self.all(LoginLink) if link.token_hash == token_hash), None)

    def claim_login_link(self, token_hash: str, now: datetime) -> LoginLink | None:
        link = self.login_link(token_hash)
        if link is None or link.used_at is not None or link.expires_at <= now or link.member_id is None:
            return None
        link.used_at = now
        self.update(link)
        return link
