"""What the members service does, as plain functions over a unit of work (its repository and outbox) and `now`.

The Nameko service's entrypoints only unpack the call and delegate here. The domain's refusals become the
errors that cross the wire in one place, `wire_errors`.
"""
import hashlib
import secrets
import zoneinfo
from datetime import timedelta

from services.common.clock import isoformat_z
from services.common.errors import (
    Conflict, Forbidden, Gone, Invalid, NotFound, TooManyAttempts, Unauthorized, Unavailable, WireErrors,
)
from services.common.schemas import load
from services.contracts.members import (
    InvitationRequestSchema, LoginSchema, MemberChangeSchema, ProfileChangeSchema, RegistrationSchema,
    TrustRequestSchema,
)
from services.contracts.vocabulary import spoken_language
from services.members import domain, events
from services.members.models import Community, Invitation, LoginFailure, Member, Trust
from services.members.passwords import hash_password, needs_rehash, verify_password


wire_errors = WireErrors({
    domain.NotAllowed: Forbidden,
    domain.UnknownInvitation: NotFound,
    domain.InvitationUnusable: Gone,
    domain.MemberErased: Gone,
    domain.LastOrganiser: Conflict,
    domain.NotALanguageCode: Invalid,
    domain.UnknownMember: NotFound,
    domain.NotTrusted: Forbidden,
    domain.TrustExists: Conflict,
    domain.LockedOut: lambda locked: TooManyAttempts(str(locked), extra={"retry_after": locked.retry_after}),
})


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def member_view(member: Member) -> dict:
    """A member's full profile: for themselves and for organisers."""
    return {
        "id": member.id,
        "community_id": member.community_id,
        "email": member.email,
        "display_name": member.display_name,
        "household": member.household,
        "preferred_language": member.preferred_language,
        "languages": list(member.languages),
        "phone": member.phone,
        "share_phone": member.share_phone,
        "role": member.role,
        "active": member.active,
        "created_at": isoformat_z(member.created_at),
        "updated_at": isoformat_z(member.updated_at),
    }


def actor_view(member: dict, timezone: str | None) -> dict:
    """Who is acting, as every service needs it: the member, their community and its time zone, their role
    and household, and since when their tokens are valid (for the gateway). `member` as stored (`_id`, ...)."""
    return {
        "member_id": member["_id"],
        "community_id": member["community_id"],
        "timezone": timezone or domain.DEFAULT_TIMEZONE,
        "role": member["role"],
        "household": member.get("household"),
        "preferred_language": member["preferred_language"],
        "display_name": member["display_name"],
        # In milliseconds (as stored): a token issued a moment before, within the same second, is refused too.
        "tokens_valid_after": isoformat_z(member.get("tokens_valid_after"), "milliseconds"),
        "revision": member.get("revision", 0),  # orders this answer against the member's events
    }


# -- communities ------------------------------------------------------------------------------------------
@wire_errors
def create_community(uow, *, name: str, timezone: str, organiser: dict, now) -> dict:
    """A further house on the platform, with its first organiser (used by the command-line tool)."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid("A community needs a name of at most 120 characters.", errors={"name": ["Required."]})
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid("Unknown time zone.", errors={"timezone": [f"Not a time zone: {timezone}"]})
    if uow.repository.member_by_email(domain.normalise_email(organiser.get("email", ""))):
        raise Conflict("This email address is already registered.", errors={"email": ["Already registered."]})
    community = _add_community(uow, name, timezone, now)
    member = _first_organiser(uow, community, organiser, now)
    return {"community": community_view(community), "organiser": member_view(member)}


@wire_errors
def ensure_bootstrap(uow, *, community_name: str, timezone: str, organiser: dict, now) -> Member | None:
    """First start: the community exists and, if it has no member, an organiser from the environment."""
    community = uow.repository.community_named(community_name.casefold())
    if community is None:
        try:
            community = _add_community(uow, community_name, timezone, now)
        except Conflict:  # another instance created it a moment ago
            community = uow.repository.community_named(community_name.casefold())
    if uow.repository.has_members(community.id) or not organiser.get("email") or not organiser.get("password"):
        return None
    try:
        return _first_organiser(uow, community, organiser, now)
    except Conflict:
        return None


def _add_community(uow, name: str, timezone: str, now) -> Community:
    community = Community(name=name, name_key=name.casefold(), timezone=timezone, created_at=now)
    with uow:
        uow.add(community)
        uow.commit()  # Conflict when a community has this name already
    return community


def _first_organiser(uow, community, organiser: dict, now) -> Member:
    data = load(RegistrationSchema, {
        "invitation_code": "-", "email": organiser.get("email", ""), "password": organiser.get("password", ""),
        "display_name": organiser.get("display_name") or "Organiser",
        "preferred_language": organiser.get("preferred_language") or "de",
    })
    member = _new_member(community.id, community.timezone, data, role="organiser", household=None, now=now)
    _add_member(uow, member)
    return member


def _add_member(uow, member: Member) -> None:
    """Store a new member with their `member.joined`, and publish it before answering, like every change of a
    member (see `_announce`); should the broker refuse, the relay publishes it shortly."""
    with uow:
        uow.add(member)
        uow.commit()  # Conflict when the email address is registered already
    uow.publish()


def community_view(community: Community) -> dict:
    return {"id": community.id, "name": community.name, "timezone": community.timezone}


def get_community(uow, community_id: str) -> dict:
    community = uow.repository.community(community_id)
    if community is None:
        raise NotFound("Unknown community.")
    return community_view(community)


# -- invitations and registration ---------------------------------------------------------------------
@wire_errors
def create_invitation(uow, actor: dict, body: dict, now) -> dict:
    domain.check_can_invite(actor["role"])
    data = load(InvitationRequestSchema, body)
    code = secrets.token_urlsafe(12)
    invitation = Invitation(
        community_id=actor["community_id"], code_hash=code_hash(code), email=domain.normalise_email(data["email"]),
        role=data["role"], household=data.get("household"), created_by=actor["member_id"], created_at=now,
        expires_at=domain.invitation_expires_at(now),
    )
    with uow:
        uow.add(invitation)
        uow.commit()
    return {"code": code, "email": invitation.email, "role": invitation.role,
            "expires_at": isoformat_z(invitation.expires_at)}


@wire_errors
def register(uow, body: dict, now) -> dict:
    repo = uow.repository
    data = load(RegistrationSchema, body)
    invitation = repo.invitation_by_code_hash(code_hash(data["invitation_code"]))
    domain.check_invitation_usable(invitation, now)
    if repo.member_by_email(domain.normalise_email(data["email"])):
        raise Conflict("This email address is already registered.", errors={"email": ["Already registered."]})
    supporter = invitation.role == "supporter"  # from outside the house: no flat in it
    member = _new_member(invitation.community_id, repo.community_timezone(invitation.community_id), data,
                         role=invitation.role,
                         household=None if supporter else data.get("household") or invitation.household, now=now)
    if not repo.claim_invitation(invitation.id, member.id, now):
        domain.check_invitation_usable(repo.invitation_by_code_hash(invitation.code_hash), now)
        raise Conflict("This invitation was used a moment ago.")
    try:
        _add_member(uow, member)
    except Conflict:
        repo.release_invitation(invitation.id, member.id)
        raise
    if supporter:
        repo.bind_invited_trusts(invitation.id, member.id)
    return member_view(member)


def _new_member(community_id: str, timezone: str | None, data: dict, *, role: str, household, now) -> Member:
    domain.check_language_codes(data.get("languages", []))
    languages = list(dict.fromkeys([spoken_language(data["preferred_language"]), *data.get("languages", [])]))
    member = Member(
        community_id=community_id, email=domain.normalise_email(data["email"]),
        password_hash=hash_password(data["password"]), display_name=data["display_name"].strip(),
        name_key=domain.name_key(data["display_name"]), household=household,
        preferred_language=data["preferred_language"], languages=languages, phone=data.get("phone"),
        share_phone=data.get("share_phone", False), role=role, active=True, created_at=now, updated_at=now,
    )
    member.record(events.member_joined(member, timezone, now))
    return member


# -- login and authentication -----------------------------------------------------------------------------
@wire_errors
def login(uow, body: dict, address: str, settings: dict, now) -> dict:
    repo = uow.repository
    data = load(LoginSchema, body)
    email = domain.normalise_email(data["email"])
    window = timedelta(minutes=settings["window_minutes"])
    account_key, address_key = f"account:{email}", f"address:{address}"
    domain.check_not_locked_out(
        repo.failures_since(account_key, now - window), repo.failures_since(address_key, now - window),
        per_account=settings["per_account"], per_address=settings["per_address"], window=window,
    )
    member = repo.member_by_email(email)
    usable = member is not None and member.active and not member.erased
    if not verify_password(member.password_hash if usable else None, data["password"]):
        with uow:
            uow.add(LoginFailure(key=account_key, at=now), LoginFailure(key=address_key, at=now))
            uow.commit()
        raise Unauthorized("The email address or the password is not right.")
    repo.clear_failures(account_key)
    if needs_rehash(member.password_hash):
        member.password_hash = hash_password(data["password"])
        uow.save_and_commit(member)
    return {"member": member_view(member),
            "actor": actor_view(member.to_mongo().to_dict(), repo.community_timezone(member.community_id))}


def authenticate(uow, member_id: str) -> dict:
    member = uow.repository.authentication_facts(member_id) if isinstance(member_id, str) else None
    if member is None or not member.get("active") or member.get("erased"):
        raise Unauthorized("Please log in again.")
    return actor_view(member, uow.repository.community_timezone(member["community_id"]))


# -- profiles -------------------------------------------------------------------------------------------------
def get_profile(uow, actor: dict) -> dict:
    return member_view(_own(uow.repository, actor))


@wire_errors
def change_profile(uow, actor: dict, body: dict, now) -> dict:
    member = _own(uow.repository, actor)
    changes = load(ProfileChangeSchema, body)
    domain.check_own_profile_change(member, changes, uow.repository.active_organisers(member.community_id))
    new_password = changes.pop("password", None)
    current_password = changes.pop("current_password", None)
    if new_password is not None:
        if not verify_password(member.password_hash, current_password or ""):
            raise Forbidden("Your current password is needed to set a new one.",
                            errors={"current_password": ["Not right."]})
        member.password_hash = hash_password(new_password)
        member.tokens_valid_after = now  # other devices must log in again
    if "languages" in changes:
        domain.check_language_codes(changes["languages"])
    changed = _apply(member, changes)
    if new_password is not None:
        changed.append("password")
    return _save_changed(uow, member, changed, now)


def get_member(uow, actor: dict, member_id: str) -> dict:
    member = uow.repository.member(actor["community_id"], member_id)
    if member is None or member.erased:
        raise NotFound("No such member in your community.")
    if actor["role"] == "organiser":
        return member_view(member)
    if member.role == "supporter":  # not in the house's directory
        raise NotFound("No such member in your community.")
    return domain.directory_entry(member)


@wire_errors
def change_member(uow, actor: dict, member_id: str, body: dict, now) -> dict:
    member = uow.repository.member(actor["community_id"], member_id)
    if member is None:
        raise NotFound("No such member in your community.")
    changes = load(MemberChangeSchema, body)
    domain.check_member_change(actor["member_id"], actor["role"], member, changes,
                               uow.repository.active_organisers(member.community_id))
    was_active = member.active
    changed = _apply(member, changes)
    if was_active and not member.active:
        member.tokens_valid_after = now  # a deactivated member's tokens stop working at once
        member.revision += 1
        member.updated_at = now
        member.record(events.member_deactivated(member, actor["member_id"], now))
        _announce(uow, member)
        uow.repository.end_trusts_of(member.id, "deactivated", now)
        return member_view(member)
    return _save_changed(uow, member, changed, now)


def directory(uow, actor: dict, *, limit: int, cursor: str | None) -> dict:
    page, next_cursor = uow.repository.directory(actor["community_id"], limit=limit, cursor=cursor)
    return {"items": [domain.directory_entry(member) for member in page], "next": next_cursor}


def _own(repo, actor: dict) -> Member:
    member = repo.member(actor["community_id"], actor["member_id"])
    if member is None or member.erased:
        raise NotFound("Your profile was not found.")
    return member


def _apply(member: Member, changes: dict) -> list[str]:
    changed = []
    for field, value in changes.items():
        if field == "display_name":
            value = value.strip()
            member.name_key = domain.name_key(value)
        if field == "languages":
            value = list(dict.fromkeys([spoken_language(changes.get("preferred_language", member.preferred_language)),
                                        *value]))
        if getattr(member, field) != value:
            setattr(member, field, value)
            changed.append(field)
    return changed


def _save_changed(uow, member: Member, changed: list[str], now) -> dict:
    if changed:
        member.revision += 1
        member.updated_at = now
        timezone = uow.repository.community_timezone(member.community_id)
        member.record(events.member_updated(member, timezone, changed, now))
        _announce(uow, member)
    return member_view(member)


def _announce(uow, member: Member) -> None:
    """Store a change of a member with its event, and publish it before answering that it is done. The gateway
    learns of deactivations, new roles and refused tokens from these events, and counts on every change it was
    told of having been published first (see `gateway.actors`); so if the broker refuses, the answer is an
    error, not success. The change is stored, and the outbox relay publishes it shortly."""
    uow.save_and_commit(member)
    if not uow.publish():
        raise Unavailable("Your change is saved but not yet in effect everywhere; it will be within seconds.")


# -- privacy ----------------------------------------------------------------------------------------------------
def export(uow, actor: dict, now) -> dict:
    member = _own(uow.repository, actor)
    invitations = [
        {"email": invitation.email, "role": invitation.role, "created_at": isoformat_z(invitation.created_at)}
        for invitation in uow.repository.invitations_created_by(member.community_id, member.id)
    ]
    return {"profile": member_view(member), "invitations_sent": invitations,
            "trusted_persons": _trust_views(uow.repository, uow.repository.trusts_of(member.id), now),
            "acts_for": _acts_for_views(uow.repository, member.id, now)}


def _acts_for_views(repo, member_id: str, now) -> list[dict]:
    """Whom the member acts or acted for (a supporter's export names the residents who trust them)."""
    trusts = repo.trusts_in(member_id)
    names = repo.display_names(trust.resident_id for trust in trusts)
    return [{"member_id": trust.resident_id, "display_name": names.get(trust.resident_id, "—"),
             "scopes": list(trust.scopes), "status": domain.trust_status(trust, now),
             "since": isoformat_z(trust.created_at)} for trust in trusts]


@wire_errors
def erase(uow, actor: dict, now) -> None:
    """Remove what identifies the member; keep an anonymous record so others' history stays whole."""
    member = _own(uow.repository, actor)
    if member.role == "organiser":
        domain.check_organisers_remain(member, uow.repository.active_organisers(member.community_id))
    uow.repository.forget_invitations_of(member.community_id, member.id, member.email)
    uow.repository.forget_trusts_of_resident(member.id)
    uow.repository.end_trusts_of(member.id, "erased", now)
    member.email = f"erased-{member.id}@invalid"
    member.password_hash = None
    member.display_name = "—"
    member.name_key = ""
    member.household = None
    member.phone = None
    member.share_phone = False
    member.languages = []
    member.active = False
    member.erased = True
    member.tokens_valid_after = now
    member.updated_at = now
    member.revision += 1
    member.record(events.member_erased(member, now))
    _announce(uow, member)


# -- trusted persons ------------------------------------------------------------------------------------------
@wire_errors
def grant_trust(uow, actor: dict, body: dict, now) -> dict:
    """A resident names someone who may act for them (or an organiser grants it with the resident present): a
    member of the house, or a supporter from outside it, invited with a code like a new member."""
    repo = uow.repository
    data = load(TrustRequestSchema, body)
    resident_id = domain.resident_granting(actor, data.get("on_behalf_of"))
    resident = repo.member(actor["community_id"], resident_id)
    if resident is None or not resident.active or resident.erased or resident.role == "supporter":
        raise NotFound("No such resident in your community.", errors={"on_behalf_of": ["Unknown resident."]})
    domain.check_expiry(data.get("expires_at"), now)
    trust = Trust(community_id=resident.community_id, resident_id=resident.id, scopes=list(data["scopes"]),
                  expires_at=data.get("expires_at"), granted_by=actor["member_id"], created_at=now)
    documents, code = [trust], None
    if "member_id" in data:
        person = repo.member(resident.community_id, data["member_id"])
        domain.check_can_be_trusted(resident.id, person)
        if any(domain.trust_status(known, now) == "active" for known in repo.live_trusts(person.id, resident.id)):
            raise domain.TrustExists("You trust this person already. End that trust first to change it.",
                                     errors={"member_id": ["Trusted already."]})
        trust.trusted_id = person.id
    else:
        invite = data["invite"]
        code = secrets.token_urlsafe(12)
        invitation = Invitation(
            community_id=resident.community_id, code_hash=code_hash(code), email=domain.normalise_email(invite["email"]),
            role="supporter", created_by=actor["member_id"], created_at=now, expires_at=domain.invitation_expires_at(now))
        trust.invitation_id, trust.invited_name, trust.relation = invitation.id, invite["display_name"], invite.get("relation")
        documents.insert(0, invitation)
    with uow:
        uow.add(*documents)
        uow.commit()
    view = _trust_views(repo, [trust], now)[0]
    if code is not None:
        view["invitation_code"] = code
    return view


def list_trusts(uow, actor: dict, now) -> dict:
    return {"items": _trust_views(uow.repository, uow.repository.trusts_of(actor["member_id"]), now)}


@wire_errors
def revoke_trust(uow, actor: dict, trust_id: str, now) -> None:
    """The resident ends a trust (the trusted person may step down too): at once, for every open session too,
    since the gateway asks `act_for` on every request made for someone. Ending it twice is harmless."""
    trust = uow.repository.trust(trust_id)
    if trust is None or actor["member_id"] not in (trust.resident_id, trust.trusted_id):
        raise NotFound("No such trusted person.")
    if uow.repository.end_trust(trust.id, actor["member_id"], now) and trust.invitation_id:
        uow.repository.expire_invitation(trust.invitation_id, now)  # the code no longer lets them join


def trusted_by(uow, actor: dict, now) -> dict:
    """The residents I may act for now, with what I may do for each."""
    trusts = [trust for trust in uow.repository.trusts_in(actor["member_id"])
              if domain.trust_status(trust, now) == "active"]
    names = uow.repository.display_names(trust.resident_id for trust in trusts)
    return {"items": [{"id": trust.id, "member_id": trust.resident_id, "display_name": names.get(trust.resident_id, "—"),
                       "scopes": list(trust.scopes), "expires_at": isoformat_z(trust.expires_at)} for trust in trusts]}


@wire_errors
def act_for(uow, actor: dict, resident_id: str, scope: str | None, now) -> dict:
    """The actor of a request a trusted person makes for a resident, asked on every such request (so that an
    ended trust ends its use at once); refused outside an active trust's scopes."""
    if not isinstance(resident_id, str):
        raise domain.NotTrusted("You may not act for this member.")
    trusts = uow.repository.live_trusts(actor["member_id"], resident_id)
    trust = next((known for known in trusts if domain.trust_status(known, now) == "active"), None)
    domain.check_may_act(trust, scope, now)
    try:
        resident = authenticate(uow, resident_id)
    except Unauthorized:
        raise domain.NotTrusted("You may not act for this member.")
    return domain.acting_actor(resident, actor)


def _trust_views(repo, trusts: list[Trust], now) -> list[dict]:
    names = repo.display_names([trust.trusted_id for trust in trusts] + [trust.granted_by for trust in trusts])
    return [{
        "id": trust.id,
        "member_id": trust.trusted_id,
        "display_name": names.get(trust.trusted_id) or trust.invited_name or "—",
        "relation": trust.relation,
        "scopes": list(trust.scopes),
        "expires_at": isoformat_z(trust.expires_at),
        "granted_by": {"member_id": trust.granted_by, "display_name": names.get(trust.granted_by, "—")},
        "created_at": isoformat_z(trust.created_at),
        "status": domain.trust_status(trust, now),
    } for trust in trusts]
