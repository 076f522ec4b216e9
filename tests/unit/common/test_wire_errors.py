"""A service's one mapping from its domain's exceptions to the errors that cross the wire."""
import pytest

from services.common.errors import Conflict, Forbidden, Invalid, WireErrors


class NotAllowed(Exception):
    pass


class Taken(Exception):
    def __init__(self, what: str):
        super().__init__(f"{what} is taken.")
        self.what = what


class Gone(Exception):
    pass


class Unreadable(Exception):
    errors = {"title": ["Too long."]}


wire_errors = WireErrors({
    NotAllowed: Forbidden,
    Unreadable: Invalid,
    (Taken, Gone): lambda error: Conflict(str(error), extra={"what": getattr(error, "what", None)}),
})


def test_a_refusal_mapped_to_a_class_keeps_its_sentence_and_its_field_errors():
    with pytest.raises(Forbidden) as forbidden:
        with wire_errors:
            raise NotAllowed("Only organisers may do this.")
    assert forbidden.value.detail == "Only organisers may do this." and forbidden.value.errors == {}
    with pytest.raises(Invalid) as invalid:
        with wire_errors:
            raise Unreadable("The title is too long.")
    assert invalid.value.errors == {"title": ["Too long."]}


def test_a_refusal_mapped_to_a_function_carries_its_facts():
    @wire_errors
    def book():
        raise Taken("The room")

    with pytest.raises(Conflict) as conflict:
        book()
    assert (conflict.value.detail, conflict.value.extra) == ("The room is taken.", {"what": "The room"})
    assert isinstance(conflict.value.__cause__, Taken)


def test_one_entry_serves_several_refusals():
    with pytest.raises(Conflict):
        with wire_errors:
            raise Gone("No longer there.")


def test_what_the_mapping_does_not_name_passes_unchanged():
    with pytest.raises(KeyError):
        with wire_errors:
            raise KeyError("a bug is not a refusal")
    assert wire_errors.__exit__(None, None, None) is False
