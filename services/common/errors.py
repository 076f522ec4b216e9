"""Errors that cross the wire.

A service raises one of these; Nameko serialises it, and because each class is registered with
`deserialize_to_instance`, the caller gets the same type back (not a generic `RemoteError`). The gateway
turns them into RFC 9457 problem documents in one place, using `status` and `title`.

Arguments must stay JSON-friendly: `detail` is a sentence, `errors` maps a field to a list of messages,
`extra` carries machine-readable facts (the clashing bookings, the broken rule and its limit, ...).

A service's domain does not raise these: it raises plain exceptions of its own, and the service turns them into
these in one place, its `WireErrors` mapping (at the top of its `commands.py`).
"""
import functools
from typing import Callable

from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    status = 500
    title = "Internal error"
    kind = "internal-error"

    def __init__(self, detail: str = "", errors: dict | None = None, extra: dict | None = None):
        super().__init__(detail, errors or {}, extra or {})

    @property
    def detail(self) -> str:
        return self.args[0] if self.args else ""

    @property
    def errors(self) -> dict:
        return self.args[1] if len(self.args) > 1 else {}

    @property
    def extra(self) -> dict:
        return self.args[2] if len(self.args) > 2 else {}


@deserialize_to_instance
class Invalid(ServiceError):
    """Well-formed, but a field breaks a rule (unknown language, too long, ...)."""
    status, title, kind = 422, "Invalid input", "invalid-input"


@deserialize_to_instance
class RuleBroken(ServiceError):
    """The request is valid, but the community's rules do not allow it."""
    status, title, kind = 422, "Not allowed by the rules", "rule-broken"


@deserialize_to_instance
class Unauthorized(ServiceError):
    status, title, kind = 401, "Not logged in", "unauthorized"


@deserialize_to_instance
class Forbidden(ServiceError):
    status, title, kind = 403, "Not allowed", "forbidden"


@deserialize_to_instance
class NotFound(ServiceError):
    status, title, kind = 404, "Not found", "not-found"


@deserialize_to_instance
class Conflict(ServiceError):
    status, title, kind = 409, "Conflict", "conflict"


@deserialize_to_instance
class Gone(ServiceError):
    status, title, kind = 410, "No longer available", "gone"


@deserialize_to_instance
class TooManyAttempts(ServiceError):
    status, title, kind = 429, "Too many attempts", "too-many-attempts"


@deserialize_to_instance
class Unavailable(ServiceError):
    """The service could not finish its part now (the broker refused an event that must go out first)."""
    status, title, kind = 503, "Service unavailable", "service-unavailable"


ALL = (Invalid, RuleBroken, Unauthorized, Forbidden, NotFound, Conflict, Gone, TooManyAttempts, Unavailable)


class WireErrors:
    """One service's mapping from its domain's exceptions to the errors above, around the code that asks the
    domain: `with wire_errors: ...`, or `@wire_errors` on a command.

    Each domain exception (or tuple of them) maps to a class above (the exception's message becomes the detail
    and its `errors`, where it has them, the field errors) or to a function that builds the wire error with more
    (`extra`). The first entry that fits wins, so a subclass comes before its base; an exception the mapping does
    not name passes unchanged."""

    def __init__(self, mapping: dict[type | tuple, Callable[..., ServiceError]]):
        self.mapping = mapping

    def __enter__(self) -> "WireErrors":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        for domain_error, wire_error in self.mapping.items():
            if isinstance(error, domain_error):
                raise self._on_the_wire(wire_error, error) from error
        return False

    def __call__(self, command):
        @functools.wraps(command)
        def run(*args, **kwargs):
            with self:
                return command(*args, **kwargs)

        return run

    @staticmethod
    def _on_the_wire(wire_error, error: Exception) -> ServiceError:
        if isinstance(wire_error, type) and issubclass(wire_error, ServiceError):
            return wire_error(str(error), errors=getattr(error, "errors", None))
        return wire_error(error)
