"""The web pages' catalogs: every word of the pages is translated in every language, with the same placeholders,
and the template of msgids is up to date with the code (run `make translations` after changing words)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from services.common.i18n import LANGUAGES, babel_locale, catalog_name

ROOT = Path(__file__).resolve().parents[3]
TRANSLATIONS = ROOT / "gateway" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalog(language: str):
    with (TRANSLATIONS / catalog_name(language) / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=babel_locale(language))


def current_msgids(tmp_path) -> set:
    template = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-F", "gateway/babel.cfg", "-k", "L_",
                    "-k", "lazy_gettext", "--no-location", "-o", str(template), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with template.open("rb") as pot:
        return {message.id if isinstance(message.id, str) else message.id[0] for message in read_po(pot) if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_word_of_the_pages_is_translated(language):
    untranslated = [message.id for message in catalog(language) if message.id and (
        message.fuzzy or not message.string
        or (isinstance(message.string, tuple) and not all(message.string)))]
    assert not untranslated, f"{language}: {untranslated[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_their_placeholders(language):
    wrong = []
    for message in catalog(language):
        if not message.id:
            continue
        if isinstance(message.id, str):
            if set(PLACEHOLDER.findall(message.string)) != set(PLACEHOLDER.findall(message.id)):
                wrong.append(message.id)
            continue
        wanted = set(PLACEHOLDER.findall(message.id[1]))
        for form in message.string:
            # A form for exactly one (or two) may spell the number out: "يوم واحد", "eine Stunde".
            if not set(PLACEHOLDER.findall(form)) <= wanted or (set(PLACEHOLDER.findall(form)) | {"num"}) < wanted:
                wrong.append(message.id[0])
    assert not wrong, f"{language}: {wrong[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalog_holds_exactly_the_words_the_pages_use(language, tmp_path_factory):
    used = current_msgids(tmp_path_factory.mktemp("pot"))
    held = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog(language) if message.id}
    assert used - held == set(), f"not in the {language} catalog yet (run `make translations`): {sorted(used - held)[:10]}"
    assert held - used == set(), f"no longer used (run `make translations`): {sorted(held - used)[:10]}"
