"""Lexicon matching for the tagger and the gazetteer: tokens, their lookup keys, and multi-word terms.

Every word of a text gets lookup keys: Russian words their dictionary forms (pymorphy3), so that «России»,
«Россией» and «Россия» meet; Persian words their form without the plural suffix, with the half-space read as a
space and attached suffixes («‌ها», «‌ای») joined back; English words themselves and, for "Iran's", "Iran".
A term matches a run of tokens word by word; `*` after a word makes it a prefix; a term in capitals of up to
five letters (IT, SCO, ВТБ) matches only in capitals. Offsets are always those of the original text.
"""

from __future__ import annotations

import operator
import re
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from pipeline.tagging.labels import Label

# Characters folded for matching; every replacement keeps the length so offsets stay true.
_FOLD = str.maketrans(
    {
        "ي": "ی",
        "ك": "ک",
        "ى": "ی",
        "ۀ": "ه",
        "ة": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ؤ": "و",
        "\u200c": " ",
        "\u200d": " ",
        "ـ": " ",
        "ё": "е",
        "–": "-",
        "—": "-",
        "‑": "-",
        "‐": "-",
        "−": "-",
        "’": "'",
        "ʼ": "'",
        "«": '"',
        "»": '"',
        **{chr(0x06F0 + d): str(d) for d in range(10)},
        **{chr(0x0660 + d): str(d) for d in range(10)},
    }
)
_DIACRITICS = dict.fromkeys(list(range(0x064B, 0x0660)) + [0x0670, 0x0301])
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_GAP_FILLER = re.compile(r"[\s\-\u2010-\u2015\u2212]")
_HYPHENS = re.compile(r"[\-\u2010-\u2015\u2212]")
_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0301]")
_TOKEN = re.compile(r"[^\W_][\w\u064B-\u065F\u0670\u0301]*(?:'[^\W\d_]+)?")
# Persian suffixes written after a half-space ("کشور‌ها", "هسته‌ای"): joined back to their word.
PERSIAN_SUFFIXES = frozenset(
    {
        "ها",
        "های",
        "هایی",
        "ای",
        "ی",
        "اي",
        "ایی",
        "تر",
        "ترین",
        "ام",
        "ات",
        "اش",
        "اند",
        "ایم",
        "اید",
        "شان",
        "مان",
        "تان",
    }
)
_PERSIAN_PLURALS = ("هایی", "های", "ها")
_span = re.Match.span
_WORD = operator.itemgetter(3)  # Token.word


_FOLDED_CHARS = re.compile("[" + re.escape("".join(chr(c) for c in _FOLD)) + "]")


def _fold_char(match: re.Match) -> str:
    return _FOLD[ord(match.group())]


def fold(text: str) -> str:
    """Lower-case and fold spelling variants without changing the string's length."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters (İ) lower-case to two; keep those as they are
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return _FOLDED_CHARS.sub(_fold_char, lowered)


def script_of(word: str) -> str:
    """'ru' for Cyrillic, 'fa' for Arabic script, 'en' for anything else (Latin, digits)."""
    first = word[0]
    if "\u0400" <= first <= "\u04ff":
        return "ru"
    if "\u0600" <= first <= "\u06ff":
        return "fa"
    return "en"


class _Morph:
    """pymorphy3 loaded on first use (it reads its dictionary once, ~0.1 s), shared by all lexicons."""

    _lock = threading.Lock()
    _analyzer = None

    @classmethod
    def analyzer(cls):
        with cls._lock:
            if cls._analyzer is None:
                import pymorphy3

                cls._analyzer = pymorphy3.MorphAnalyzer()
        return cls._analyzer


@lru_cache(maxsize=300_000)
def russian_lemmas(word: str) -> tuple[str, ...]:
    """Every dictionary form pymorphy3 proposes for a (folded) Russian word, most likely first."""
    forms: list[str] = []
    for parse in _Morph.analyzer().parse(word):
        lemma = parse.normal_form.replace("ё", "е")
        if lemma not in forms:
            forms.append(lemma)
    return tuple(forms) or (word,)


@lru_cache(maxsize=100_000)
def known_russian_word(word: str) -> bool:
    """Whether the Russian dictionary knows the word (a plausibility check for decoded text)."""
    return _Morph.analyzer().word_is_known(word)


def persian_base(word: str) -> str:
    """A Persian word without its plural suffix (کشورهای → کشور); short words are left alone."""
    for suffix in _PERSIAN_PLURALS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return word[: -len(suffix)]
    return word


def word_keys(word: str, needed_prefixes: frozenset[str] | None = None) -> tuple[str, ...]:
    """Lookup keys of one folded word. Russian words are lemmatised only when a term could start like them."""
    script = script_of(word)
    if script == "ru":
        if needed_prefixes is not None and word[:3] not in needed_prefixes:
            return (word,)
        return (word, *russian_lemmas(word))
    if script == "fa":
        base = persian_base(word)
        return (word, base) if base != word else (word,)
    if word.endswith("'s"):
        return (word, word[:-2])
    return (word,)


def term_key(word: str) -> str:
    """The one key a term's word is looked up by: its most likely lemma, plural-free form or itself."""
    script = script_of(word)
    if script == "ru":
        return russian_lemmas(word)[0]
    if script == "fa":
        return persian_base(word)
    return word[:-2] if word.endswith("'s") else word


class Token(NamedTuple):
    start: int
    end: int
    text: str  # the whole text the token is in (shared, not copied)
    word: str  # folded, diacritics removed, Persian suffixes joined

    @property
    def surface(self) -> str:
        """The original text of the token (case kept, for acronyms)."""
        return self.text[self.start : self.end]


def tokenize(text: str, folded: str | None = None) -> list[Token]:
    """Word tokens with offsets into `text`; Persian suffix tokens after a half-space are joined to their word."""
    folded = fold(text) if folded is None else folded
    marks = _MARKS.search(folded) is not None
    if not marks and not _ARABIC_SCRIPT.search(folded):  # no suffixes to join, no marks to drop
        new = tuple.__new__
        return [new(Token, (s, e, text, folded[s:e])) for s, e in map(_span, _TOKEN.finditer(folded))]
    new = tuple.__new__
    spans = list(map(_span, _TOKEN.finditer(folded)))
    if marks:
        words = [folded[s:e].translate(_DIACRITICS) for s, e in spans]
    else:
        words = [folded[s:e] for s, e in spans]
    tokens = [new(Token, (s, e, text, w)) for (s, e), w in zip(spans, words)]
    joins = [i for i, w in enumerate(words) if w in PERSIAN_SUFFIXES]
    if not joins:
        return tokens
    # Join each suffix token to the Persian word just before it (one space apart), left to right, so that chained
    # suffixes ("کشور ها ی") join in turn.
    out: list[Token] = []
    last = 0
    for i in joins:
        out.extend(tokens[last:i])
        last = i + 1
        token = tokens[i]
        if out:
            previous = out[-1]
            if (
                "\u0600" <= previous.word[0] <= "\u06ff"
                and token.start - previous.end <= 1
                and folded[previous.end : token.start].isspace()
            ):
                # "هسته" + "ای" keeps a half-space: joined solid it would read as the plural "های" of "هست"
                joint = "\u200c" if previous.word[-1] == "ه" and token.word[0] == "ا" else ""
                out[-1] = new(Token, (previous.start, token.end, text, previous.word + joint + token.word))
                continue
        out.append(token)
    out.extend(tokens[last:])
    return out


def is_acronym(term: str) -> bool:
    """Capitals of up to five letters (IT, AI, SCO, ВТБ) match only in capitals."""
    letters = term.rstrip("*")
    return letters.isupper() and letters.isalpha() and len(letters) <= 5


class _Spec(NamedTuple):
    """How one word of a term is matched (a plain tuple of strings: cached by the million, never a GC cost)."""

    mode: str  # key | prefix | case | case_prefix
    value: str

    def matches(self, token: Token, keys: tuple[str, ...]) -> bool:
        if self.mode == "key":
            return self.value in keys
        if self.mode == "prefix":
            return token.word.startswith(self.value)
        if self.mode == "case":
            return token.surface == self.value
        return token.surface.startswith(self.value)


class Match(NamedTuple):
    start: int  # character offsets in the original text
    end: int
    first: int  # token indexes [first, last]
    last: int
    term: str  # the term as written in the lexicon
    labels: tuple[Label, ...]  # the lexicons (groups) the term belongs to


class TermError(ValueError):
    """A term that cannot be matched (no word characters)."""


def compile_term(term: str) -> tuple[tuple[_Spec, ...], tuple[tuple[str, bool], ...]]:
    """Word specs and the separators between them for one lexicon term."""
    raw = term.strip()
    if is_acronym(raw):
        return (_Spec("case_prefix" if raw.endswith("*") else "case", raw.rstrip("*")),), ()
    tokens = tokenize(raw)
    if not tokens:
        raise TermError(f"{term!r} has no letters or digits to match")
    specs, gaps = [], []
    for index, token in enumerate(tokens):
        if index:
            gap = fold(raw[tokens[index - 1].end : token.start].replace("*", ""))
            gaps.append((_GAP_FILLER.sub("", gap), bool(_HYPHENS.search(gap))))
        if raw[token.end : token.end + 1] == "*":
            specs.append(_Spec("prefix", token.word))
        else:
            specs.append(_Spec("key", term_key(token.word)))
    return tuple(specs), tuple(gaps)


class Lexicon:
    """Many labelled term lists compiled into one index; `find(text)` returns every match of every term."""

    def __init__(self, groups: dict[Label, tuple[str, ...]]):
        labels: dict[str, list[Label]] = {}
        for group, terms in groups.items():
            for term in terms:
                labels.setdefault(term.strip(), []).append(group)
        self._by_key: dict[str, list] = {}
        self._by_prefix: dict[str, list] = {}
        self._by_case: dict[str, list] = {}
        self._by_case_prefix: dict[str, list] = {}
        self._prefix_lengths: set[int] = set()
        ru_starts: set[str] = set()
        compiled: dict[tuple, tuple[str, list[Label]]] = {}
        for term, term_labels in labels.items():
            specs, gaps = compile_term(term)
            first_term, merged = compiled.setdefault((specs, gaps), (term, []))
            merged.extend(label for label in term_labels if label not in merged)
        for (specs, gaps), (term, term_labels) in compiled.items():
            entry = (term, tuple(term_labels), specs, gaps)
            first = specs[0]
            index = {
                "key": self._by_key,
                "prefix": self._by_prefix,
                "case": self._by_case,
                "case_prefix": self._by_case_prefix,
            }[first.mode]
            index.setdefault(first.value, []).append(entry)
            if first.mode == "prefix":
                self._prefix_lengths.add(len(first.value))
            for spec in specs:
                if spec.mode in ("key", "prefix") and script_of(spec.value) == "ru":
                    ru_starts.add(spec.value[:3])
        self._ru_starts = frozenset(ru_starts)
        self._prefix_lengths_sorted = tuple(sorted(self._prefix_lengths))
        self._candidates: dict[str, tuple] = {}
        self._per_word: dict[str, tuple] = {}
        self._keys: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def keys_of(self, word: str) -> tuple[str, ...]:
        keys = self._keys.get(word)
        if keys is None:
            keys = word_keys(word, self._ru_starts)
            if len(self._keys) < 500_000:
                self._keys[word] = keys
        return keys

    def _candidates_for(self, token: Token, keys: tuple[str, ...]) -> tuple:
        """(one-word entries, multi-word entries by their second word's key, other multi-word entries)."""
        cache_key = token.surface if token.surface.isupper() else token.word
        found = self._candidates.get(cache_key)
        if found is not None:
            return found
        entries: list[tuple] = []
        for key in keys:
            entries.extend(self._by_key.get(key, ()))
        word = token.word
        for length in self._prefix_lengths_sorted:
            if length > len(word):
                break
            entries.extend(self._by_prefix.get(word[:length], ()))
        if self._by_case:
            entries.extend(self._by_case.get(token.surface, ()))
        if self._by_case_prefix:
            for prefix, items in self._by_case_prefix.items():
                if token.surface.startswith(prefix):
                    entries.extend(items)
        by_second: dict[str, list[tuple]]
        singles, by_second, others = [], {}, []
        for entry in entries:
            specs = entry[2]
            if len(specs) == 1:
                singles.append(entry)
            elif specs[1].mode == "key":
                by_second.setdefault(specs[1].value, []).append(entry)
            else:
                others.append(entry)
        found = (tuple(singles), {key: tuple(items) for key, items in by_second.items()}, tuple(others))
        if len(self._candidates) < 500_000:
            self._candidates[cache_key] = found
        return found

    def _entry(self, token: Token) -> tuple:
        """(lookup keys, candidate entries or None, whether capitals matter) for one token, cached per word."""
        word = token.word
        keys = self.keys_of(word)
        candidates = _some(self._candidates_for(token, keys))
        # A word that some capitals-only term could start with must be looked at with its case each time.
        upper = word.upper()
        case_sensitive = upper in self._by_case or any(upper.startswith(p) for p in self._by_case_prefix)
        return keys, candidates, case_sensitive

    def find(self, text: str, tokens: list[Token] | None = None) -> list[Match]:
        """All matches of all terms in `text` (overlapping matches included), in text order."""
        tokens = tokenize(text) if tokens is None else tokens
        cache = self._per_word
        # (keys, candidates or None, case-sensitive) per token; None where the word is not cached yet, filled below
        looked_up: list[Any] = list(map(cache.get, map(_WORD, tokens)))  # one C-level lookup per token, the common case
        for i in [i for i, entry in enumerate(looked_up) if entry is None or entry[2]]:
            token, entry = tokens[i], looked_up[i]
            if entry is None:
                entry = self._entry(token)
                if len(cache) < 500_000:
                    cache[token.word] = entry
            if entry[2]:  # a capitals-only term may match this token: its candidates depend on its case
                entry = (entry[0], _some(self._candidates_for(token, entry[0])), True)
            looked_up[i] = entry
        matches: list[Match] = []
        append = matches.append
        new = tuple.__new__
        count = len(tokens)
        for i in [i for i, entry in enumerate(looked_up) if entry[1] is not None]:
            found = looked_up[i][1]
            singles, by_second, others = found
            token = tokens[i]
            if singles:
                start, end = token.start, token.end
                for term, labels, _, _ in singles:
                    append(new(Match, (start, end, i, i, term, labels)))
            if not (by_second or others) or i + 1 >= count:
                continue
            candidates = list(others)
            for key in looked_up[i + 1][0]:
                candidates.extend(by_second.get(key, ()))
            for term, labels, specs, gaps in candidates:
                j = i
                for spec, gap in zip(specs[1:], gaps):
                    j += 1
                    if j >= count:
                        break
                    other = tokens[j]
                    mode, value = spec.mode, spec.value
                    if not (
                        value in looked_up[j][0]
                        if mode == "key"
                        else other.word.startswith(value)
                        if mode == "prefix"
                        else other.surface == value
                        if mode == "case"
                        else other.surface.startswith(value)
                    ):
                        break
                    between = text[tokens[j - 1].end : other.start]
                    if (between != " " or gap[0]) and not _gap_matches(between, gap):
                        break
                else:
                    append(new(Match, (token.start, tokens[j].end, i, j, term, labels)))
        return matches


def _some(candidates: tuple) -> tuple | None:
    """Candidate entries, or None when there are none of any kind (most words)."""
    return candidates if (candidates[0] or candidates[1] or candidates[2]) else None


def _gap_matches(between: str, gap: tuple[str, bool]) -> bool:
    """Whether the text between two words of a term is the term's own separator: spaces are free, and a hyphen in
    the term matches a hyphen, a dash, a space or nothing; a plain space in the term does not match a hyphen, so
    "Persian language" is not found in "Persian-language data"."""
    if "\n" in between:
        return False
    folded = fold(between)
    chars, hyphen = gap
    if not hyphen and _HYPHENS.search(folded):
        return False
    return _GAP_FILLER.sub("", folded) == chars
