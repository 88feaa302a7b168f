"""Typed lexicon labels: what a matched term stands for — a state, a relation cue, a topic's term, an entity.

A label is a string (so it is a cheap dict key and reads plainly in a trace: `russia`, `t:energy`, `ca0:sanctions`,
`e:shahed`) that also carries its `kind` and its `key` (the topic, entity or state it belongs to), so that the rules
ask `label.kind is Kind.TERM` and `label.key` instead of slicing prefixes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    RUSSIA = "russia"  # an actor of the Russian state
    IRAN = "iran"
    PLACE = "place"  # a region, city or site standing for its state (key: the state)
    PAIR = "pair"  # one word naming both ("Russian-Iranian")
    REFERENCE = "ref"  # "the two countries"
    CUE = "cue"  # a relation cue
    WEAK_CUE = "wcue"
    BILATERAL_CUE = "bicue"
    NOT_CUE = "notcue"
    PARALLEL = "parallel"  # "both … and", "while": side by side
    COMPARISON = "compare"
    LIST_MARKER = "listmark"
    LIST_TAIL = "listtail"
    OTHER_STATE = "other"
    SECTOR = "sector"  # "sphere", «сфера»
    NEGATION = "neg"
    TERM = "t"  # a topic's specific term (key: the topic)
    WEAK = "w"  # a topic's weak term
    EXCLUDE = "x"  # a phrase in which the topic's terms do not count
    COMBO_FIRST = "ca"  # the first word list of a topic's combination (index: which combination)
    COMBO_SECOND = "cb"
    ENTITY = "e"  # a gazetteer entity (key: its id)


TOPIC_TERMS = frozenset({Kind.TERM, Kind.WEAK})
TOPIC_KINDS = frozenset({Kind.TERM, Kind.WEAK, Kind.COMBO_FIRST, Kind.COMBO_SECOND})
RELATION_CUES = frozenset({Kind.CUE, Kind.WEAK_CUE, Kind.BILATERAL_CUE})


class Label(str):
    """A lexicon group's label; equal to (and hashed as) its string form."""

    kind: Kind
    key: str
    # int | None (a combination's number); Any because the name shadows str.index, a method no attribute type may
    # override
    index: Any

    def __new__(cls, kind: Kind, key: str = "", index: int | None = None) -> Label:
        if kind is Kind.PLACE or key:
            text = f"{kind.value}{'' if index is None else index}:{key}"
        else:
            text = kind.value
        label = super().__new__(cls, text)
        label.kind, label.key, label.index = kind, key, index
        return label


PLACE_RUSSIA, PLACE_IRAN = Label(Kind.PLACE, "russia"), Label(Kind.PLACE, "iran")
PLACES = {"russia": PLACE_RUSSIA, "iran": PLACE_IRAN}
