"""Acting for a resident: which routes a trusted person may use for someone who trusts them, and what a
supporter may do at all.

A route a trusted person may use for a resident is marked with the part of the platform it belongs to
(`@delegable("bookings")`, one of `services.contracts.members.TRUST_SCOPES`); a request with the header
`X-Acting-For: <member_id>` (the API) or a chosen resident in the session (the web pages) is then made as that
resident, if the members service finds an active trust covering the scope: it answers the resident as the actor,
with `acted_by` naming the trusted person. It is asked on every such request, so a trust the resident ends stops
working at once, for open sessions and in every gateway process alike. Unmarked routes are never done for
someone else (403): a password, one's trusted persons, leaving the platform.

A supporter (someone from outside the house, invited by a resident who trusts them) is not a member of the house:
without acting for someone they may use only the routes marked `@open_to_supporters` (their own profile, whom they
act for, their export and leaving).

The marks are attributes of the view function; `functools.wraps` carries them to the decorators around it, so
they go right above the view's `def`.
"""
from flask import current_app, request

from services.common.errors import Forbidden

ACTING_HEADER = "X-Acting-For"


def delegable(scope: str):
    def mark(view):
        view.acting_scope = scope
        return view

    return mark


def open_to_supporters(view):
    view.for_supporters = True
    return view


def as_oneself(view):
    """A page about the person themselves, whoever they are acting for at the moment (their own trusted persons,
    choosing whom to act for): it is made as the logged-in person."""
    view.as_oneself = True
    return view


def _view():
    return current_app.view_functions.get(request.endpoint)


def acting_scope(view=None) -> str | None:
    return getattr(view or _view(), "acting_scope", None)


def effective_actor(actor: dict, acting_for: str | None) -> dict:
    """The actor a request is made as: the logged-in member, or the resident they act for."""
    view = _view()
    if getattr(view, "as_oneself", False):
        acting_for = None
    if acting_for and acting_for != actor["member_id"]:
        scope = acting_scope(view)
        if scope is None:
            raise Forbidden("Only the member can do this themselves, not someone acting for them.")
        return current_app.extensions["rpc"].call("members", "act_for", actor, acting_for, scope)
    if actor["role"] == "supporter" and not getattr(view, "for_supporters", False):
        raise Forbidden("As a supporter you act for the residents who trust you: choose whom you act for.")
    return actor
