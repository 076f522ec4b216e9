"""Password hashing with argon2id (argon2-cffi), off the event loop so heartbeats keep flowing.

The cost is one of argon2-cffi's profiles, named by `PASSWORD_HASH_PROFILE`: the RFC 9106 low-memory profile
by default (about 0.3 s of CPU per hash here). The test suites set `CHEAPEST`, which the gateway's platform
would otherwise spend minutes of CPU on for the hundreds of members they register and log in; it is refused
when `PLATFORM_ENV=production`. A hash made with other parameters than the current ones is made again at the
member's next login (`needs_rehash`)."""
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from services.common.config import env

PROFILES = ("RFC_9106_LOW_MEMORY", "RFC_9106_HIGH_MEMORY", "CHEAPEST")


def hasher_for(profile: str, platform_env: str | None = None) -> PasswordHasher:
    if profile not in PROFILES:
        raise RuntimeError(f"PASSWORD_HASH_PROFILE must be one of {', '.join(PROFILES)}, not {profile!r}")
    if profile == "CHEAPEST" and platform_env == "production":
        raise RuntimeError("PASSWORD_HASH_PROFILE=CHEAPEST is for tests: it is refused in production")
    return PasswordHasher.from_parameters(getattr(profiles, profile))


_hasher = hasher_for(env("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY"), env("PLATFORM_ENV"))


def hash_password(password: str) -> str:
    return tpool.execute(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check, so timing does not tell which accounts exist.
        tpool.execute(_hasher.hash, password)
        return False
    try:
        return tpool.execute(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
