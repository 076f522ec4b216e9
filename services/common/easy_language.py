"""A simple checker for texts in Leichte Sprache (easy-to-read German, page language "de-x-ls").

It flags what a machine can see: sentences of more than 15 words and abbreviations ("z.B.", "bzw.", "usw."
and a few more). It cannot tell whether a text is easy to understand: only readers of the target group can,
so a text that passes is not yet Leichte Sprache (see the README).

Placeholders (`%(name)s`, `{name}`) count as one word each. A sentence ends at ".", "!" or "?" followed by a
space, or at a line break; a number of one or two digits with a dot before a word is an ordinal
("1. Kontakt-Person") and ends nothing.

Pure: no I/O.
"""
from __future__ import annotations

import re

MAX_WORDS = 15
# Abbreviations Leichte Sprache writes out; the dots may have a space between them ("z. B.").
ABBREVIATIONS = ("z.B.", "bzw.", "usw.", "d.h.", "u.a.", "ca.", "evtl.", "ggf.", "inkl.", "etc.", "vgl.", "o.Ä.")
_ABBREVIATION = re.compile(
    "|".join(r"(?<![\w.])" + r"\.\s?".join(re.escape(part) for part in abbreviation.rstrip(".").split(".")) + r"\."
             for abbreviation in ABBREVIATIONS),
    re.IGNORECASE)
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
_ORDINAL = re.compile(r"(?<!\S)(\d{1,2})\.(?=[ \t]+\w)")  # "1. Kontakt-Person"; not "um 10:00. Dann"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\S*\w\S*")


def sentences(text: str) -> list[str]:
    text = _ORDINAL.sub(r"\1", _PLACEHOLDER.sub("X", text))
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def word_count(sentence: str) -> int:
    return len(_WORD.findall(sentence))


def problems(text: str) -> list[str]:
    """What breaks the rules a machine can check, in plain words; empty when nothing does."""
    found = [f"more than {MAX_WORDS} words ({word_count(sentence)}): {sentence!r}"
             for sentence in sentences(text) if word_count(sentence) > MAX_WORDS]
    found += [f"abbreviation {match.group(0)!r}: write it out" for match in _ABBREVIATION.finditer(text)]
    return found
