"""The members' rules, without a broker or a database, and the wire error the service answers each refusal with."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from services.common.errors import Conflict, Forbidden, Gone, Invalid, NotFound, TooManyAttempts
from services.members import domain
from services.members.commands import wire_errors

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def answered(rule, *args, **kwargs):
    """A rule as the service answers it: its refusal as the error that crosses the wire."""
    with wire_errors:
        return rule(*args, **kwargs)


def invitation(**overrides):
    values = {"used_at": None, "expires_at": NOW + timedelta(days=1)}
    return SimpleNamespace(**{**values, **overrides})


def member(**overrides):
    values = {"id": "m1", "role": "resident", "active": True, "erased": False, "display_name": "Ayşe",
              "household": "Haus A 1.2", "languages": ["tr", "de"], "phone": "040 123", "share_phone": False}
    return SimpleNamespace(**{**values, **overrides})


class TestInvitations:
    def test_an_invitation_expires_after_fourteen_days(self):
        assert domain.invitation_expires_at(NOW) == NOW + timedelta(days=14)

    def test_an_unused_invitation_before_its_expiry_can_be_used(self):
        domain.check_invitation_usable(invitation(), NOW)

    def test_an_invitation_cannot_be_used_at_the_moment_it_expires(self):
        with pytest.raises(Gone):
            answered(domain.check_invitation_usable, invitation(expires_at=NOW), NOW)

    def test_an_invitation_one_second_before_expiry_still_works(self):
        domain.check_invitation_usable(invitation(expires_at=NOW + timedelta(seconds=1)), NOW)

    def test_an_invitation_works_only_once(self):
        with pytest.raises(Gone) as raised:
            answered(domain.check_invitation_usable, invitation(used_at=NOW - timedelta(hours=1)), NOW)
        assert "already been used" in raised.value.detail

    def test_an_unknown_code_is_not_found(self):
        with pytest.raises(NotFound):
            answered(domain.check_invitation_usable, None, NOW)

    def test_only_organisers_invite(self):
        domain.check_can_invite("organiser")
        with pytest.raises(Forbidden):
            answered(domain.check_can_invite, "resident")


class TestRoles:
    def test_a_resident_cannot_raise_their_own_role(self):
        with pytest.raises(Forbidden):
            answered(domain.check_own_profile_change, member(), {"role": "organiser"}, active_organisers=1)

    def test_a_resident_may_change_their_profile_without_touching_the_role(self):
        domain.check_own_profile_change(member(), {"display_name": "Ayşe K."}, active_organisers=1)

    def test_an_organiser_may_step_down_when_another_organiser_remains(self):
        domain.check_own_profile_change(member(role="organiser"), {"role": "resident"}, active_organisers=2)

    def test_the_last_organiser_cannot_step_down(self):
        with pytest.raises(Conflict):
            answered(domain.check_own_profile_change, member(role="organiser"), {"role": "resident"},
                     active_organisers=1)

    def test_a_resident_cannot_change_other_members(self):
        with pytest.raises(Forbidden):
            answered(domain.check_member_change, "m2", "resident", member(), {"household": "B"},
                     active_organisers=1)

    def test_an_organiser_can_deactivate_a_resident(self):
        domain.check_member_change("boss", "organiser", member(), {"active": False}, active_organisers=1)

    def test_an_organiser_cannot_deactivate_themselves(self):
        with pytest.raises(Forbidden):
            answered(domain.check_member_change, "m1", "organiser", member(role="organiser"), {"active": False},
                     active_organisers=2)

    def test_the_last_active_organiser_cannot_be_demoted(self):
        with pytest.raises(Conflict):
            answered(domain.check_member_change, "other", "organiser", member(role="organiser"),
                     {"role": "resident"}, active_organisers=1)

    def test_an_erased_member_cannot_be_changed(self):
        with pytest.raises(Gone):
            answered(domain.check_member_change, "boss", "organiser", member(erased=True), {"active": True},
                     active_organisers=1)


class TestDirectoryPrivacy:
    def test_a_phone_that_is_not_shared_is_not_in_the_directory(self):
        assert "phone" not in domain.directory_entry(member(share_phone=False))

    def test_a_shared_phone_is_in_the_directory(self):
        assert domain.directory_entry(member(share_phone=True))["phone"] == "040 123"

    def test_the_directory_shows_name_household_languages_and_role(self):
        entry = domain.directory_entry(member())
        assert entry == {"id": "m1", "display_name": "Ayşe", "household": "Haus A 1.2",
                         "languages": ["tr", "de"], "role": "resident"}


class TestLoginLockOut:
    WINDOW = timedelta(minutes=15)

    def test_fewer_failures_than_the_limit_do_not_lock(self):
        domain.check_not_locked_out(4, 0, per_account=5, per_address=50, window=self.WINDOW)

    def test_the_account_locks_at_the_limit(self):
        with pytest.raises(TooManyAttempts) as raised:
            answered(domain.check_not_locked_out, 5, 0, per_account=5, per_address=50, window=self.WINDOW)
        assert raised.value.extra["retry_after"] == 900

    def test_an_address_locks_at_its_own_limit(self):
        with pytest.raises(TooManyAttempts):
            answered(domain.check_not_locked_out, 0, 50, per_account=5, per_address=50, window=self.WINDOW)


class TestNames:
    def test_emails_are_compared_without_case_or_spaces(self):
        assert domain.normalise_email("  Ayse@Example.ORG ") == "ayse@example.org"

    def test_language_codes_must_be_short_codes(self):
        domain.check_language_codes(["de", "tr", "fa"])
        with pytest.raises(Invalid):
            answered(domain.check_language_codes, ["German"])
