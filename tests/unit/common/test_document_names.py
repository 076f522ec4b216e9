"""No two services name a MongoEngine document alike: MongoEngine keeps one registry of documents by class name
per process, and of two documents with one name only the last imported has its cached collection reset when its
connection closes. Services run in processes of their own, but the tests run several in one."""
import importlib
from collections import Counter
from pathlib import Path

from mongoengine.base import BaseDocument

SERVICES = Path(__file__).resolve().parents[3] / "services"


def document_names() -> list[str]:
    names = []
    for models in sorted(SERVICES.glob("*/models.py")):
        module = importlib.import_module(f"services.{models.parent.name}.models")
        names += [name for name, value in vars(module).items() if isinstance(value, type)
                  and issubclass(value, BaseDocument) and value.__module__ == module.__name__]
    return names


def test_every_document_of_every_service_has_a_name_of_its_own():
    names = document_names()
    assert len(names) > 10
    assert [name for name, count in Counter(names).items() if count > 1] == []
