"""Flesch-Kincaid grade of patient-facing text, computed offline.

textstat looks words up in NLTK's CMU pronouncing dictionary and downloads it on first use,
which fails (or hangs) without a network. We switch that look-up off so every word takes
textstat's own fallback, pyphen hyphenation. If textstat's internals ever move, we use
:func:`fk_grade_pyphen`, a copy of the same counting rules built on pyphen alone, so the
check keeps working and keeps giving the same numbers.

    grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

LANG = "en_US"

# textstat's rules: a sentence is a run of text up to . ! or ?; runs of two words or fewer
# (list bullets, "e.g.") are not counted as sentences. Hyphens and other punctuation are
# removed before words are split on white space; apostrophes inside words are kept.
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)
_NONCONTRACTION_APOSTROPHE = re.compile(r"'(?![tsd]|ve|ll|re)")
_PUNCTUATION = re.compile(r"[^\w\s']")


def _words(text: str) -> list[str]:
    text = _NONCONTRACTION_APOSTROPHE.sub("", text)
    return _PUNCTUATION.sub("", text).split()


@cache
def _pyphen() -> object:
    import pyphen

    return pyphen.Pyphen(lang=LANG)


def syllables(word: str) -> int:
    """Syllables of one word: pyphen's hyphenation points plus one."""
    return len(_pyphen().positions(word.lower())) + 1  # type: ignore[attr-defined]


def fk_grade_pyphen(text: str) -> float:
    """Flesch-Kincaid grade with textstat's counting rules, using pyphen only."""
    words = _words(text)
    if not words:
        return 0.0
    runs = _SENTENCE.findall(text)
    sentences = max(1, len(runs) - sum(1 for run in runs if len(_words(run)) <= 2))
    syllable_count = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syllable_count / len(words) - 15.59


@cache
def _textstat_fk() -> Callable[[str], float] | None:
    """textstat's Flesch-Kincaid with the CMU dictionary switched off, or None."""
    try:
        import textstat.backend.counts._count_syllables as cs
        from textstat.backend.metrics import _flesch_kincaid_grade as fk_module
        from textstat.backend.metrics import _syllables_per_word as spw_module
    except ImportError:
        return None
    if not hasattr(cs, "get_cmudict") or not hasattr(fk_module, "flesch_kincaid_grade"):
        return None
    cs.get_cmudict = lambda lang: None  # never touch NLTK: no download, no network
    # Results computed before the switch (with the dictionary) must not be reused.
    for fn in (cs.count_syllables, spw_module.syllables_per_word, fk_module.flesch_kincaid_grade):
        cache_clear = getattr(fn, "cache_clear", None)
        if cache_clear is not None:
            cache_clear()
    grade = fk_module.flesch_kincaid_grade
    return lambda text: float(grade(text, LANG))


def backend() -> str:
    """Which implementation :func:`fk_grade` uses: "textstat" or "pyphen"."""
    return "textstat" if _textstat_fk() is not None else "pyphen"


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade level of ``text`` (US school grade; can be below 0)."""
    textstat_fk = _textstat_fk()
    if textstat_fk is not None:
        return textstat_fk(text)
    return fk_grade_pyphen(text)


_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def text_blocks(text: str) -> list[str]:
    """Split a text into the blocks a reader meets one at a time: paragraphs (separated by a
    blank line). A bulleted or numbered line counts as a sentence of its own, so a list is
    not scored as one endless sentence."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if any(_BULLET.match(line) for line in lines):
            items = [_BULLET.sub("", line) for line in lines]
            paragraph = " ".join(i if i[-1] in ".!?:" else i + "." for i in items)
        else:
            paragraph = " ".join(lines)
        if paragraph:
            blocks.append(paragraph)
    return blocks
