"""`make translations` step: the English catalog of the web pages repeats the English msgids, which are the source.

(An empty English entry would otherwise fall back to German, the community's common language.)"""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(sys.argv[1] if len(sys.argv) > 1 else "gateway/translations/en/LC_MESSAGES/messages.po")

with CATALOG.open("rb") as po:
    catalog = read_po(po, locale="en")
for message in catalog:
    if message.id:
        message.string = message.id if isinstance(message.id, str) else tuple(message.id)
        message.flags.discard("fuzzy")
with CATALOG.open("wb") as po:
    write_po(po, catalog, no_location=True, width=120, ignore_obsolete=True)
