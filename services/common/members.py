"""What a service does with the members service's events, declared once.

Most services keep a copy of the members they need (a name, a language, a phone, the house), made from
`member.joined` and `member.updated`, and take a member who leaves out of what they hold on
`member.deactivated` and `member.erased`. Each event is handled once (`services.common.handlers.on_event`);
the handlers' names are the queues' names, the same in every service.
"""
from services.common.handlers import on_event


def copy_profile(copy, event: dict, fields: tuple[str, ...]):
    """Bring a service's copy of a member up to date from a member event: the house, the `fields` the event
    carries, and whether the member is active. Returns the copy (to be saved)."""
    profile = event["payload"]
    copy.community_id = event["community_id"]
    for name in fields:
        if name in profile:
            setattr(copy, name, profile[name])
    copy.active = profile.get("active", True)
    return copy


class LeavesWithMembers:
    """A service from which a member who is deactivated or erased leaves: it says how in `member_gone`."""

    def member_gone(self, member_id: str, *, erased: bool) -> None:
        raise NotImplementedError

    @on_event("members", "member.deactivated")
    def member_deactivated(self, event):
        self.member_gone(event["payload"]["member_id"], erased=False)

    @on_event("members", "member.erased")
    def member_erased(self, event):
        self.member_gone(event["payload"]["member_id"], erased=True)


class KeepsMemberCopies(LeavesWithMembers):
    """A service that also keeps copies of the members: it says how in `remember_member`."""

    def remember_member(self, event: dict) -> None:
        raise NotImplementedError

    @on_event("members", "member.joined")
    def member_joined(self, event):
        self.remember_member(event)

    @on_event("members", "member.updated")
    def member_updated(self, event):
        self.remember_member(event)
