"""The cost of password hashing is one of argon2-cffi's profiles; the cheapest one is for tests only."""
import pytest

from services.members.passwords import hasher_for


def test_the_default_profile_is_rfc_9106_low_memory():
    hasher = hasher_for("RFC_9106_LOW_MEMORY", "production")
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)


def test_a_hash_made_with_the_cheapest_profile_is_made_again_with_the_production_one():
    cheap = hasher_for("CHEAPEST").hash("a long enough password")
    assert hasher_for("RFC_9106_LOW_MEMORY").check_needs_rehash(cheap)
    assert hasher_for("RFC_9106_LOW_MEMORY").verify(cheap, "a long enough password")


def test_the_cheapest_profile_is_refused_in_production():
    with pytest.raises(RuntimeError, match="refused in production"):
        hasher_for("CHEAPEST", "production")


def test_an_unknown_profile_is_refused_with_the_names_it_may_take():
    with pytest.raises(RuntimeError, match="RFC_9106_LOW_MEMORY"):
        hasher_for("fast")
