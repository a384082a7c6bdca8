"""Red-flag phrases in what a patient wrote: a prompt for a human, never a clinical decision.

A hit only says "a person should look at this now". It never decides anything clinical and
never clears anything: no hit does not mean safe, and a negated mention ("no chest pain",
"not suicidal") is still a hit, because a human reads it and decides.

How a phrase matches, so a practice manager can predict it:
- Case, accents and punctuation are ignored: "Dolor de PÉCHO!" matches "dolor de pecho";
  hyphens, line breaks and runs of spaces separate words like one space.
- Apostrophes (straight, curly, or an acute accent) join: "can't" and "cant" are one word,
  and common English contractions read as two: "can't", "cannot", "can not" all agree.
- Whole words only ("pain" never matches "paint"), compared by a rough stem so common
  endings do not matter: "breathe" matches "breathing" and "breath", "suicide" matches
  "suicidal", "sangrado" matches "sangrando" (`stem` below, English and Spanish endings).
- Words follow each other directly, except where the phrase says `...`: the parts it
  separates may come in either order with up to four other words between them
  ("chest ... pain" matches "chest and left arm pain" and "pain in my chest").
- `|` offers choices for one word: "chest ... pain|hurts|tight" matches "chest hurts".
- One typo is forgiven in a word of five letters or more that starts with the right letter:
  a letter added, dropped or changed, or two neighbours swapped ("cheast", "suicdal",
  "breth" match "chest", "suicidal", "breath"); "paint" never matches "faint".
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

GAP = "..."  # in a phrase: up to MAX_GAP_WORDS other words may stand here, either side
MAX_GAP_WORDS = 4
_OR = "|"  # in a phrase: "pain|hurts" is one word, either of them
_GAP_MARKS = ("…", GAP)
# ' and its look-alikes: curly quotes, modifier letter, grave and acute accents, prime, fullwidth.
_APOSTROPHES = frozenset("'\u2019\u2018\u02bc`\u00b4\u2032\uff07")
_ASCII_APOSTROPHES = "".join(sorted(c for c in _APOSTROPHES if c.isascii()))
_NO_APOSTROPHES = str.maketrans("", "", _ASCII_APOSTROPHES)
_ASCII_RUN = re.compile(f"[a-z0-9{re.escape(_ASCII_APOSTROPHES)}]+")  # in lower-cased text

# English contractions read as their two words, so "can't", "cannot" and "can not" agree.
_CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "cant": ("can", "not"),
    "cannot": ("can", "not"),
    "couldnt": ("could", "not"),
    "dont": ("do", "not"),
    "doesnt": ("does", "not"),
    "didnt": ("did", "not"),
    "wont": ("will", "not"),
    "wouldnt": ("would", "not"),
    "shouldnt": ("should", "not"),
    "isnt": ("is", "not"),
    "arent": ("are", "not"),
    "wasnt": ("was", "not"),
    "werent": ("were", "not"),
    "havent": ("have", "not"),
    "hasnt": ("has", "not"),
    "aint": ("is", "not"),
}

# Endings taken off, longest first, while at least _MIN_STEM letters remain (English
# inflections, then Spanish verb, participle, plural and gender endings).
_SUFFIXES = tuple(
    sorted(
        (
            *("ing", "ed", "es", "s", "e", "al", "ness", "ly"),
            *("ando", "iendo", "arme", "erme", "irme", "arse", "erse", "irse"),
            *("ados", "adas", "idos", "idas", "ado", "ada", "ido", "ida"),
            *("ios", "ias", "io", "ia", "ar", "er", "ir", "os", "as", "o", "a"),
        ),
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 4
_TYPO_MIN = 5  # letters in both words before one typo is forgiven
_NEAR_CACHE_MAX = 20_000  # words remembered with the stems they stand for


_Pattern = tuple[tuple[frozenset[str], ...], ...]  # runs of word slots; a slot: stems it accepts
# The stems each word of a text stands for (its own, and any a typo away), and where each is.
_Stems = tuple[list[frozenset[str]], dict[str, list[int]]]


@dataclass(frozen=True)
class RedFlagHit:
    """A configured phrase found in a text: `text[start:end]` is what matched."""

    phrase: str  # as configured
    start: int
    end: int


class _Word(NamedTuple):  # a tuple: a summary makes dozens, a dataclass costs a microsecond each
    text: str  # normalised
    start: int  # span in the original text
    end: int


def normalise(text: str) -> str:
    """The words of `text` as the matcher compares them: lower case, no accents, no
    punctuation, contractions read as two words, one space between words.

    >>> normalise("Can't  BREATHE -- dolor de pécho!")
    'can not breathe dolor de pecho'
    """
    return " ".join(word.text for word in _words(text))


def stem(word: str) -> str:
    """A rough stem of one normalised word, so "breathing", "breathes" and "breath" agree.

    Takes off common English and Spanish endings, repeatedly, while at least four letters
    remain. Not a linguist's stemmer: both the phrase and the text go through it, so it only
    has to make variants of the same word agree without making different words collide.
    """
    while True:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            return word


def phrase_problems(phrases: Iterable[str]) -> list[tuple[int, str]]:
    """What is wrong with a list of configured phrases, as (index, problem) pairs: a phrase
    with no words, a misplaced `...`, or one that matches exactly what an earlier one does."""
    problems: list[tuple[int, str]] = []
    seen: dict[object, str] = {}
    for index, phrase in enumerate(phrases):
        try:
            key = _same_matches(_compile(phrase))
        except ValueError as exc:
            problems.append((index, str(exc)))
            continue
        if key in seen:
            problems.append((index, f"matches exactly what {seen[key]!r} already matches"))
        seen.setdefault(key, phrase)
    return problems


class RedFlagMatcher:
    """Finds configured red-flag phrases in a text. Built once from the practice's list."""

    def __init__(self, phrases: tuple[str, ...]) -> None:
        problems = phrase_problems(phrases)
        if problems:
            raise ValueError("; ".join(f"{phrases[i]!r}: {problem}" for i, problem in problems))
        self.phrases = phrases
        self._patterns = tuple((phrase, _compile(phrase)) for phrase in phrases)
        # A phrase can match only where its first word does: each stem its first slot
        # accepts -> the phrases (by index) that start so, so that a text is tried only
        # against the few phrases its words can begin.
        self._starting: dict[str, list[int]] = {}
        for index, (_, pattern) in enumerate(self._patterns):
            for first in pattern[0][0]:
                self._starting.setdefault(first, []).append(index)
        # Each phrase word as written -> its stem, by (first letter, length). Typos are
        # forgiven between whole words, never stems: stems differ by endings already.
        self._forms: dict[tuple[str, int], dict[str, str]] = {}
        for phrase in phrases:
            for word in normalise(phrase.replace(_OR, " ")).split():
                if len(word) >= _TYPO_MIN:
                    self._forms.setdefault((word[0], len(word)), {})[word] = stem(word)
        self._near: dict[str, frozenset[str]] = {}

    def find(self, text: str) -> tuple[RedFlagHit, ...]:
        """Each phrase found in `text`, at its first place, in text order; empty when none."""
        words = _words(text)
        stems = [self._stands_for(word.text) for word in words]
        where: dict[str, list[int]] = {}
        for at, word_stems in enumerate(stems):
            for word_stem in word_stems:
                where.setdefault(word_stem, []).append(at)
        hits = []
        tried = sorted(
            {index for word_stem in where for index in self._starting.get(word_stem, ())}
        )
        for phrase, pattern in (self._patterns[index] for index in tried):
            found = _first_match(pattern, (stems, where))
            if found is not None:
                first, last = found
                hits.append(RedFlagHit(phrase, words[first].start, words[last].end))
        return tuple(sorted(hits, key=lambda hit: (hit.start, hit.end)))

    def _stands_for(self, word: str) -> frozenset[str]:
        """The stems a text word matches: its own, and a phrase word's one typo away."""
        found = self._near.get(word)
        if found is None:
            stems = {stem(word)}
            if len(word) >= _TYPO_MIN:
                for size in (len(word) - 1, len(word), len(word) + 1):
                    known = self._forms.get((word[0], size), {})
                    stems.update(s for k, s in known.items() if _one_typo_apart(word, k))
            if len(self._near) >= _NEAR_CACHE_MAX:
                self._near.clear()  # patients' words are unbounded; the phrases' are not
            found = self._near[word] = frozenset(stems)
        return found


def _one_typo_apart(a: str, b: str) -> bool:
    """Equal, or one letter added, dropped or changed, or two neighbours swapped."""
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 2:
            i, j = diffs
            return j == i + 1 and a[i] == b[j] and a[j] == b[i]
        return len(diffs) <= 1
    short, long = sorted((a, b), key=len)
    if len(long) - len(short) != 1:
        return False
    first = next((i for i in range(len(short)) if short[i] != long[i]), len(short))
    return short[first:] == long[first + 1 :]


def _words(text: str) -> list[_Word]:
    """The normalised words of `text`, each with its span in `text`."""
    return _ascii_words(text) if text.isascii() else _unicode_words(text)


def _ascii_words(text: str) -> list[_Word]:
    """`_unicode_words` for ASCII text, a regular expression's work instead of a loop over
    characters (most summaries are ASCII): a word is a run of letters, digits and
    apostrophes with a letter or digit in it, apostrophes left out, lower-cased, spanning
    its first to its last letter or digit. (Lower-casing ASCII keeps every position.)"""
    words: list[_Word] = []
    contraction = _CONTRACTIONS.get
    for run in _ASCII_RUN.finditer(text.lower()):
        token = run.group()
        start, end = run.span()
        if not token.isalnum():  # apostrophes in it: the span is from letter to letter
            raw, token = token, token.translate(_NO_APOSTROPHES)
            if not token:
                continue
            start += len(raw) - len(raw.lstrip(_ASCII_APOSTROPHES))
            end -= len(raw) - len(raw.rstrip(_ASCII_APOSTROPHES))
        parts = contraction(token)
        if parts is None:
            words.append(_Word(token, start, end))
        else:
            words.extend(_Word(part, start, end) for part in parts)
    return words


def _unicode_words(text: str) -> list[_Word]:
    """The normalised words of any text: accents taken off, case folded, apostrophes
    joining, anything else that is not a letter or digit between words."""
    words: list[_Word] = []
    letters: list[str] = []
    start = end = 0

    def flush() -> None:
        if letters:
            token = "".join(letters)
            for part in _CONTRACTIONS.get(token, (token,)):
                words.append(_Word(part, start, end))
            letters.clear()

    for index, char in enumerate(text):
        if char in _APOSTROPHES:
            continue  # joins: "can't" is one word, "cant"
        for folded in unicodedata.normalize("NFKD", char).casefold():
            if unicodedata.combining(folded):
                continue  # an accent taken off its letter
            if folded.isalnum():
                if not letters:
                    start = index
                letters.append(folded)
                end = index + 1
            else:
                flush()
    flush()
    return words


def _compile(phrase: str) -> _Pattern:
    """A phrase as runs of word slots (each slot: the stems it accepts); runs were separated
    by `...` in the phrase and may come in any order, close together."""
    text = phrase
    for mark in _GAP_MARKS:
        text = text.replace(mark, "\0")
    runs = tuple(_run(part) for part in text.split("\0"))
    if not any(runs):
        raise ValueError("has no words (only spaces or punctuation)")
    if not all(runs):
        raise ValueError(f"has '{GAP}' at its start or end; it must stand between two words")
    return runs


def _run(part: str) -> tuple[frozenset[str], ...]:
    slots: list[frozenset[str]] = []
    for token in part.split():
        choices = [normalise(choice).split() for choice in token.split(_OR)]
        if len(choices) == 1:
            slots.extend(frozenset({stem(word)}) for word in choices[0])
        elif all(len(words) == 1 for words in choices):
            slots.append(frozenset(stem(words[0]) for words in choices))
        else:
            raise ValueError(f"has {token!r}: each choice around '{_OR}' must be one word")
    return tuple(slots)


def _same_matches(pattern: _Pattern) -> object:
    """What decides which texts a pattern matches: its runs, in any order."""
    return tuple(sorted(pattern, key=lambda run: [sorted(slot) for slot in run]))


def _first_match(pattern: _Pattern, text: _Stems) -> tuple[int, int] | None:
    """(first word, last word) of the earliest place where every run of `pattern` stands
    within its window: the run's words plus MAX_GAP_WORDS per `...`, starting there."""
    starts = [_run_starts(run, text) for run in pattern]
    if not all(starts):
        return None
    width = sum(len(run) for run in pattern) + MAX_GAP_WORDS * (len(pattern) - 1)
    for begin in sorted(set().union(*starts)):
        ends = []
        for run, run_starts in zip(pattern, starts, strict=True):
            first = bisect_left(run_starts, begin)
            if first == len(run_starts) or run_starts[first] + len(run) > begin + width:
                break
            ends.append(run_starts[first] + len(run) - 1)
        else:
            return begin, max(ends)
    return None


def _run_starts(run: tuple[frozenset[str], ...], text: _Stems) -> list[int]:
    """Every word where `run` starts, in order."""
    stems, where = text
    candidates = sorted({at for first in run[0] for at in where.get(first, ())})
    return [
        at
        for at in candidates
        if at + len(run) <= len(stems)
        and all(stems[at + offset] & slot for offset, slot in enumerate(run[1:], 1))
    ]
