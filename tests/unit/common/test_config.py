"""A service's config.yml: environment values with their defaults, read without changing how other YAML reads."""
from pathlib import Path

import yaml

from services.common.config import load_service_config

CONFIG = Path(__file__).resolve().parents[3] / "services" / "notifications" / "config.yml"


def test_a_setting_comes_from_the_environment_or_else_from_its_default(monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    assert load_service_config(CONFIG)["SMTP_HOST"] == "127.0.0.1"
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    assert load_service_config(CONFIG)["SMTP_HOST"] == "mail.example.org"


def test_reading_a_service_config_leaves_every_other_yaml_as_it_is():
    load_service_config(CONFIG)
    assert yaml.safe_load("user: ${RABBITMQ_USER:-cohousing}") == {"user": "${RABBITMQ_USER:-cohousing}"}
