"""Configuration from the environment, with defaults that work on a developer's machine.

Nameko services read their `config.yml` (which takes `${VAR:default}` values from the environment); the
few settings also needed outside a container (command-line tools, the gateway) are read here, once.
"""
import os

import yaml

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_bool(name: str, default: bool) -> bool:
    return env(name, "true" if default else "false").lower() in ("1", "true", "yes", "on")


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


class _ServiceConfigLoader(yaml.SafeLoader):
    """PyYAML's safe loader with `nameko run`'s `${VAR:default}` values, kept to itself: Nameko's own
    `setup_yaml_parser()` changes every safe loader of the process (and so any other YAML it reads)."""


def _teach_environment_values() -> None:
    from functools import partial

    from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

    _ServiceConfigLoader.add_constructor("!env_var", env_var_constructor)
    _ServiceConfigLoader.add_constructor("!raw_env_var", partial(env_var_constructor, raw=True))
    _ServiceConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)


_teach_environment_values()


def load_service_config(path) -> dict:
    """A service's `config.yml`, with `${VAR:default}` values taken from the environment as `nameko run` does.
    The defaults of every setting live there, and only there: code reads `config["NAME"]`."""
    with open(path) as stream:
        return yaml.load(stream, Loader=_ServiceConfigLoader)  # noqa: S506 (a safe loader)


def database_name(service: str) -> str:
    """Each service has its own database: `MEMBERS_DB`, `SPACES_DB`, ... override the default names."""
    return env(f"{service.upper()}_DB", f"cohousing_{service}")
