"""Load and validate the analyst-editable configuration files (feeds, taxonomy, cleaning rules)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import yaml

PERSPECTIVES = ("russian_state", "iranian_state", "western", "regional", "independent")
ARCHIVE_KINDS = ("none", "wordpress_paged", "sitemap")
LANGUAGES = ("en", "ru", "fa")
TOPIC_IDS = (
    "defence",
    "counter_terrorism",
    "energy",
    "nuclear",
    "space",
    "finance",
    "transport",
    "trade",
    "industry",
    "agriculture",
    "science_technology",
    "culture",
    "diplomacy",
    "sanctions",
)


class ConfigError(ValueError):
    """A configuration file is unreadable or has a bad entry; the message names file, line and key."""

    MAX_PROBLEM = 300  # a problem quoting a huge value is cut: an error line must stay one readable line

    def __init__(self, path: Path | str, line: int | None, key: str, problem: str):
        problem = " ".join(problem.split())
        if len(problem) > self.MAX_PROBLEM:
            problem = problem[: self.MAX_PROBLEM] + f"… ({len(problem)} characters)"
        key = key[:100]
        self.path, self.line, self.key, self.problem = str(path), line, key, problem
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


class _Mapping(dict):
    line: int = 0


class _Sequence(list):
    line: int = 0
    item_lines: list[int]


if TYPE_CHECKING:
    from datetime import date
    from typing import TypeAlias

    # A value as _LineLoader builds it: mappings and lists remember their line (!!omap and !!pairs are plain lists).
    _YamlValue: TypeAlias = _Mapping | _Sequence | list[Any] | set[Any] | str | int | float | bytes | date | None


class _AliasRefused(yaml.YAMLError):
    def __init__(self, mark):
        super().__init__()
        self.problem, self.problem_mark = (
            "aliases (*name) are not allowed in configuration files; write values out",
            mark,
        )


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that remembers the line of every mapping and list item, and refuses aliases (an alias
    bomb expands a few lines into gigabytes; configuration files have no need for them)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        mapping = _Mapping(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node, deep=False):
        sequence = _Sequence(super().construct_sequence(node, deep=True))
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
        return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence)


def read_yaml(path: Path | str, transform=None) -> _YamlValue:
    """Parse a YAML file keeping line numbers; raise ConfigError on unreadable or invalid YAML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        text = transform(text) if transform else text
    except FileNotFoundError:
        raise ConfigError(path, None, "", "file not found; check the path or the NEWSMON_* variable") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, "", f"cannot read the file ({exc})") from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(path, line, "", f"invalid YAML: {getattr(exc, 'problem', exc)}") from None


def _line_of(node: Any, parent: Any = None, index: int | None = None) -> int | None:
    if isinstance(parent, _Sequence) and index is not None and index < len(parent.item_lines):
        return parent.item_lines[index]
    return getattr(node, "line", None) or getattr(parent, "line", None)


# Longest values the sources table's columns take (migration 0001): checked when the feed list is read, so that a
# value too long for PostgreSQL is a file:line error rather than a failed load.
FEED_MAX_LENGTHS = {"name": 200, "language": 8, "country": 2}


@overload
def _require_str(
    path,
    entry,
    key,
    where,
    line,
    pattern=None,
    choices=None,
    required: Literal[True] = True,
    max_length: int | None = None,
) -> str: ...


@overload
def _require_str(
    path, entry, key, where, line, pattern=None, choices=None, *, required: bool, max_length: int | None = None
) -> str | None: ...


def _require_str(
    path, entry, key, where, line, pattern=None, choices=None, required=True, max_length: int | None = None
) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        if required:
            raise ConfigError(path, line, f"{where}.{key}", "missing; every entry needs it")
        return None
    if not isinstance(value, str):
        raise ConfigError(path, line, f"{where}.{key}", f"must be text, got {repr(value)[:100]}")
    if "\x00" in value:
        raise ConfigError(path, line, f"{where}.{key}", "contains a NUL character")
    if max_length and len(value) > max_length:
        raise ConfigError(path, line, f"{where}.{key}", f"is {len(value)} characters long; at most {max_length} fit")
    if choices and value not in choices:
        raise ConfigError(path, line, f"{where}.{key}", f"{value[:100]!r} is not one of {', '.join(choices)}")
    if pattern and not re.fullmatch(pattern, value):
        raise ConfigError(path, line, f"{where}.{key}", f"{value[:100]!r} is not valid here")
    return value


# ---------------------------------------------------------------- feeds


@dataclass(frozen=True)
class FeedSource:
    name: str
    url: str
    site: str | None
    language: str
    country: str
    perspective: str
    archive: str = "none"
    enabled: bool = True


FEED_KEYS = {"name", "url", "site", "language", "country", "perspective", "archive", "enabled"}


def parse_feed_entry(path, entry, index: int, line: int | None) -> FeedSource:
    """Validate one entry of the feed list."""
    where = f"feeds[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(path, line, where, "each feed must be a mapping with name, url, language, ...")
    unknown = set(entry) - FEED_KEYS
    if unknown:
        raise ConfigError(
            path, line, f"{where}.{sorted(unknown)[0]}", f"unknown key; allowed: {', '.join(sorted(FEED_KEYS))}"
        )
    url = _require_str(path, entry, "url", where, line, pattern=r"https?://[^\s]+")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(path, line, f"{where}.enabled", "must be true or false")
    return FeedSource(
        name=_require_str(path, entry, "name", where, line, max_length=FEED_MAX_LENGTHS["name"]),
        url=url,
        site=_require_str(path, entry, "site", where, line, pattern=r"https?://[^\s]+", required=False),
        language=_require_str(path, entry, "language", where, line, choices=LANGUAGES),
        country=_require_str(path, entry, "country", where, line, pattern=r"[A-Z]{2}"),
        perspective=_require_str(path, entry, "perspective", where, line, choices=PERSPECTIVES),
        archive=_require_str(path, entry, "archive", where, line, choices=ARCHIVE_KINDS, required=False) or "none",
        enabled=enabled,
    )


def load_feeds(path: Path | str, base_url: str | None = None) -> list[FeedSource]:
    """Load the feed list; `base_url` replaces {{BASE}} (used by the bundled sample site)."""
    path = Path(path)
    substitute = (lambda text: text.replace("{{BASE}}", base_url.rstrip("/"))) if base_url else None
    doc = read_yaml(path, transform=substitute)
    if not isinstance(doc, dict) or not isinstance(doc.get("feeds"), list):
        raise ConfigError(path, getattr(doc, "line", None), "feeds", "the file needs a top-level list `feeds:`")
    seen_names: dict[str, int | None]
    seen_urls: dict[str, int | None]
    feeds, seen_names, seen_urls = [], {}, {}
    for index, entry in enumerate(doc["feeds"]):
        line = _line_of(entry, doc["feeds"], index)
        feed = parse_feed_entry(path, entry, index, line)
        for seen, value, key in ((seen_names, feed.name, "name"), (seen_urls, feed.url, "url")):
            if value in seen:
                raise ConfigError(path, line, f"feeds[{index}].{key}", f"{value!r} already used on line {seen[value]}")
            seen[value] = line
        feeds.append(feed)
    return feeds


# ---------------------------------------------------------------- taxonomy

ENTITY_KINDS = ("weapon_system", "project", "agreement", "person", "organisation", "programme", "place")
ACTOR_STATES = ("russia", "iran")


@dataclass(frozen=True)
class Combination:
    """Two term lists that earn a topic together: a term of each at most `within` words apart (0: same sentence)."""

    terms: tuple[str, ...]
    with_terms: tuple[str, ...]
    within: int = 0
    needs_both_states: bool = False  # count only in a sentence that names both Russia and Iran


@dataclass(frozen=True)
class TopicSpec:
    id: str
    label: str
    terms: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    overridden_by: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    combinations: tuple[Combination, ...] = ()
    yields: bool = False  # one term of this topic beside another topic's specific term does not count
    weak_overridden_by: tuple[str, ...] = ()  # topics whose specific terms in the paragraph silence the weak words


@dataclass(frozen=True)
class EntitySpec:
    id: str
    kind: str
    label: str
    country: str | None
    aliases: tuple[str, ...]


GRAMMAR_KEYS = {
    "abbreviations": "words a full stop after which does not end a sentence (Mr., Jan., г., млн.)",
    "function_words": "words that do not count toward a list item's length",
    "list_separator_words": "words that separate list items (with a space on each side)",
    "clause_starters": "words after a comma that start a clause, not a list item",
    "conjunctions": "words that join two names or list items",
    "directions": "words before the second state of a flow from one to the other (to, into, в, به)",
    "cue_blockers": "words that stop a relation cue before the pair from reaching it (from, in, for, از)",
    "sources": "words before each of two states that make them two sources of one flow (from, из, از)",
    "alternatives": "words between the two states that make them alternatives (or, или, یا)",
    "persian_clause_verbs": "Persian verbs that end a clause («است», «شد»): the two states are in two clauses",
    "approximately": "words between a cue and a number that make the number a quantity (about, more than, حدود)",
}


@dataclass(frozen=True)
class Grammar:
    """The word classes the rules' grammar reads (`grammar:` in the taxonomy file), as folded words."""

    abbreviations: frozenset[str] = frozenset()
    function_words: frozenset[str] = frozenset()
    list_separator_words: tuple[str, ...] = ()
    clause_starters: frozenset[str] = frozenset()
    conjunctions: frozenset[str] = frozenset()
    directions: frozenset[str] = frozenset()
    cue_blockers: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    alternatives: frozenset[str] = frozenset()
    persian_clause_verbs: frozenset[str] = frozenset()
    approximately: frozenset[str] = frozenset()


def _parse_grammar(path, doc) -> Grammar:
    """The `grammar:` word classes; a class left out is empty (the rules then read less: no abbreviation is known,
    no word starts a clause…), so a minimal taxonomy still tags."""
    node: _YamlValue = doc.get("grammar")
    if node is None:
        return Grammar()
    if not isinstance(node, dict):
        raise ConfigError(path, doc.line, "grammar", "needs a mapping of word classes: " + ", ".join(GRAMMAR_KEYS))
    unknown = sorted(set(node) - set(GRAMMAR_KEYS))
    if unknown:
        raise ConfigError(path, node.line, f"grammar.{unknown[0]}", "unknown key; allowed: " + ", ".join(GRAMMAR_KEYS))
    values: dict[str, Any] = {}  # a tuple or a frozenset of words, as the Grammar field
    for key in GRAMMAR_KEYS:
        if key not in node:
            continue
        items = node[key]
        if not isinstance(items, list) or not all(isinstance(w, str) and w.strip() for w in items):
            raise ConfigError(path, _line_of(items, node) or node.line, f"grammar.{key}", "must be a list of words")
        words = [w.strip() for w in items]
        values[key] = tuple(words) if key == "list_separator_words" else frozenset(words)
    return Grammar(**values)


@dataclass(frozen=True)
class TaxonomySpec:
    version: str
    sha256: str
    actors: dict[str, tuple[str, ...]]  # russia, iran (leaders' names included)
    pair_terms: tuple[str, ...]
    relation_cues: tuple[str, ...]
    other_states: tuple[str, ...]
    topics: tuple[TopicSpec, ...]
    pair_references: tuple[str, ...] = ()
    weak_relation_cues: tuple[str, ...] = ()
    list_markers: tuple[str, ...] = ()
    list_tails: tuple[str, ...] = ()
    bilateral_cues: tuple[str, ...] = ()
    not_relation_cues: tuple[str, ...] = ()
    parallel_markers: tuple[str, ...] = ()
    comparison_markers: tuple[str, ...] = ()  # "by comparison": the whole sentence sets the two side by side
    negations: tuple[str, ...] = ()  # "no", «никакой», «بدون»: a topic word right after one is absent, not present
    sector_words: tuple[str, ...] = ()  # "sphere", «сфера», «حوزه»: a topic word beside one names a sector
    leaders: tuple[str, ...] = ()  # names and titles at leader, foreign-minister or security-council level
    entities: tuple[EntitySpec, ...] = ()
    gazetteer_path: str | None = None
    places: dict[str, tuple[str, ...]] | None = None  # russia, iran: regions, cities, ports, sites standing for them
    source_path: str | None = None  # the taxonomy file (its trained model lives beside it)
    grammar: Grammar = Grammar()


def _terms(path, node, key: str, line) -> tuple[str, ...]:
    """A term list is either a flat list or a mapping language -> list; returns all terms."""
    if node is None:
        return ()
    groups = node.items() if isinstance(node, dict) else [("", node)]
    terms: list[str] = []
    for lang, items in groups:
        where = f"{key}.{lang}" if lang else key
        if lang and lang not in LANGUAGES:
            raise ConfigError(path, _line_of(node) or line, where, f"unknown language; use {', '.join(LANGUAGES)}")
        if not isinstance(items, list):
            raise ConfigError(path, _line_of(items, node) or line, where, "must be a list of terms")
        for index, term in enumerate(items):
            item_line = _line_of(None, items, index) or line
            if not isinstance(term, str) or not term.strip() or term.strip() == "*":
                raise ConfigError(path, item_line, f"{where}[{index}]", f"{term!r} is not a usable term")
            if not re.search(r"[^\W_]", term):
                raise ConfigError(path, item_line, f"{where}[{index}]", f"{term!r} has no letter or digit to match")
            if "*" in term.strip().rstrip("*") and not re.search(r"\w\*(\s|$)", term):
                raise ConfigError(path, item_line, f"{where}[{index}]", f"{term!r}: * must end a word (a prefix)")
            terms.append(term.strip())
    return tuple(terms)


def _parse_combination(path, node: _YamlValue, where: str, line, named: dict[str, tuple[str, ...]]) -> Combination:
    if not isinstance(node, dict) or "terms" not in node or "with" not in node:
        raise ConfigError(
            path, getattr(node, "line", line), where, "needs `terms:` and `with:` (terms or a lexicon name)"
        )
    unknown = set(node) - {"terms", "with", "within", "needs_both_states"}
    if unknown:
        raise ConfigError(
            path,
            node.line,
            f"{where}.{sorted(unknown)[0]}",
            "unknown key; allowed: terms, with, within, needs_both_states",
        )
    partner = node["with"]
    if isinstance(partner, str):
        if partner not in named:
            raise ConfigError(
                path, node.line, f"{where}.with", f"{partner!r} is not a lexicon; use one of {', '.join(named)}"
            )
        with_terms = named[partner]
    else:
        with_terms = _terms(path, partner, f"{where}.with", node.line)
    within = node.get("within", 0)
    if not isinstance(within, int) or isinstance(within, bool) or within < 0:
        raise ConfigError(path, node.line, f"{where}.within", "must be a whole number of words (0: same sentence)")
    only_pairs = node.get("needs_both_states", False)
    if not isinstance(only_pairs, bool):
        raise ConfigError(path, node.line, f"{where}.needs_both_states", "must be true or false")
    return Combination(_terms(path, node["terms"], f"{where}.terms", node.line), with_terms, within, only_pairs)


TOPIC_KEYS = {
    "label",
    "description",
    "terms",
    "weak",
    "exclude",
    "overridden_by",
    "weak_overridden_by",
    "combinations",
    "yields",
}


def _parse_topic(path, topic_id: str, node: _YamlValue, named: dict[str, tuple[str, ...]]) -> TopicSpec:
    where = f"topics.{topic_id}"
    if topic_id not in TOPIC_IDS:
        raise ConfigError(
            path, getattr(node, "line", None), where, f"unknown topic id; the taxonomy has {', '.join(TOPIC_IDS)}"
        )
    if not isinstance(node, dict) or "terms" not in node:
        raise ConfigError(path, getattr(node, "line", None), where, "needs a `terms:` list")
    unknown = set(node) - TOPIC_KEYS
    if unknown:
        raise ConfigError(
            path, node.line, f"{where}.{sorted(unknown)[0]}", f"unknown key; allowed: {', '.join(sorted(TOPIC_KEYS))}"
        )
    overridden = node.get("overridden_by") or []
    weak_overridden = node.get("weak_overridden_by") or []
    for key, others in (("overridden_by", overridden), ("weak_overridden_by", weak_overridden)):
        for other in others:
            if other not in TOPIC_IDS:
                raise ConfigError(path, node.line, f"{where}.{key}", f"{other!r} is not a topic id")
    yields = node.get("yields", False)
    if not isinstance(yields, bool):
        raise ConfigError(path, node.line, f"{where}.yields", "must be true or false")
    combos = node.get("combinations") or []
    if not isinstance(combos, list):
        raise ConfigError(path, node.line, f"{where}.combinations", "must be a list of {terms, with, within}")
    return TopicSpec(
        id=topic_id,
        label=str(node.get("label") or topic_id),
        terms=_terms(path, node["terms"], f"{where}.terms", node.line),
        exclude=_terms(path, node.get("exclude"), f"{where}.exclude", node.line),
        overridden_by=tuple(overridden),
        weak_overridden_by=tuple(weak_overridden),
        weak=_terms(path, node.get("weak") or None, f"{where}.weak", node.line),
        combinations=tuple(
            _parse_combination(path, c, f"{where}.combinations[{i}]", _line_of(c, combos, i), named)
            for i, c in enumerate(combos)
        ),
        yields=yields,
    )


def _parse_leaders(path, doc) -> dict[str, tuple[str, ...]]:
    node = doc.get("leaders") or {}
    if not isinstance(node, dict) or set(node) - {"russia", "iran", "roles"}:
        raise ConfigError(
            path, getattr(node, "line", doc.line), "leaders", "needs `russia:`, `iran:` and `roles:` lists"
        )
    line = getattr(node, "line", doc.line)
    return {name: _terms(path, node.get(name), f"leaders.{name}", line) for name in ("russia", "iran", "roles")}


def load_gazetteer(path: Path | str) -> tuple[EntitySpec, ...]:
    """Load the named-entity gazetteer: systems, projects, agreements, people and organisations with aliases."""
    path = Path(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("entities"), list):
        raise ConfigError(path, getattr(doc, "line", None), "entities", "the file needs a top-level list `entities:`")
    seen: dict[str, int | None]
    entities, seen = [], {}
    for index, node in enumerate(doc["entities"]):
        where, line = f"entities[{index}]", _line_of(node, doc["entities"], index)
        if not isinstance(node, dict):
            raise ConfigError(path, line, where, "each entity is a mapping with id, kind, label and aliases")
        entity_id = _require_str(path, node, "id", where, line, pattern=r"[a-z0-9][a-z0-9_.-]*")
        if entity_id in seen:
            raise ConfigError(path, line, f"{where}.id", f"{entity_id!r} already used on line {seen[entity_id]}")
        seen[entity_id] = line
        aliases = _terms(path, node.get("aliases"), f"{where}.aliases", line)
        if not aliases:
            raise ConfigError(path, line, f"{where}.aliases", "needs at least one alias")
        entities.append(
            EntitySpec(
                id=entity_id,
                kind=_require_str(path, node, "kind", where, line, choices=ENTITY_KINDS),
                label=_require_str(path, node, "label", where, line),
                country=_require_str(
                    path, node, "country", where, line, choices=ACTOR_STATES + ("other",), required=False
                ),
                aliases=aliases,
            )
        )
    return tuple(entities)


# The taxonomy's flat term lists (one list per language), read the same way into the field of the same name.
TERM_LISTS = (
    "pair_terms",
    "relation_cues",
    "other_states",
    "pair_references",
    "weak_relation_cues",
    "list_markers",
    "list_tails",
    "bilateral_cues",
    "not_relation_cues",
    "parallel_markers",
    "sector_words",
    "negations",
    "comparison_markers",
)


TAXONOMY_KEYS = {"version", "gazetteer", "actors", "places", "leaders", "topics", "grammar", *TERM_LISTS}


def _check_overrides(path, topics: dict, parsed: tuple[TopicSpec, ...]) -> None:
    """No topic overridden by itself, and no cycle of `overridden_by` (each would silence the other)."""
    edges = {t.id: set(t.overridden_by) for t in parsed}
    for topic in parsed:
        node = topics[topic.id]
        for key in ("overridden_by", "weak_overridden_by"):
            if topic.id in getattr(topic, key):
                raise ConfigError(path, node.line, f"topics.{topic.id}.{key}", "a topic cannot override itself")

    def walk(topic: str, trail: list[str]) -> None:
        for other in sorted(edges.get(topic, ())):
            if other == trail[0]:
                raise ConfigError(
                    path,
                    topics[trail[0]].line,
                    f"topics.{trail[0]}.overridden_by",
                    "override cycle: " + " -> ".join(trail + [other]) + " (each would silence the other)",
                )
            if other not in trail:
                walk(other, trail + [other])

    for start in sorted(edges):
        walk(start, [start])


def load_taxonomy(path: Path | str) -> TaxonomySpec:
    """Load the taxonomy and its lexicons (and the gazetteer it names); every topic id must be present."""
    path = Path(path)
    raw = path.read_bytes() if path.exists() else b""
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise ConfigError(path, None, "", "expected a mapping with version, actors, topics")
    unknown = sorted(set(doc) - TAXONOMY_KEYS, key=str)
    if unknown:
        raise ConfigError(path, doc.line, str(unknown[0]), "unknown key; allowed: " + ", ".join(sorted(TAXONOMY_KEYS)))
    version = doc.get("version")
    if not isinstance(version, (str, int, float)) or not str(version).strip():
        raise ConfigError(path, doc.line, "version", "missing; bump it whenever a lexicon changes")
    actors: _YamlValue = doc.get("actors")
    if not isinstance(actors, dict) or set(actors) != {"russia", "iran"}:
        raise ConfigError(path, getattr(actors, "line", doc.line), "actors", "needs exactly `russia:` and `iran:`")
    topics: _YamlValue = doc.get("topics")
    if not isinstance(topics, dict):
        raise ConfigError(path, doc.line, "topics", "needs a mapping of topic id -> terms")
    missing = [t for t in TOPIC_IDS if t not in topics]
    if missing:
        raise ConfigError(path, topics.line, "topics", f"missing topic ids: {', '.join(missing)}")
    places = doc.get("places") or {}
    if not isinstance(places, dict) or not set(places) <= set(ACTOR_STATES):
        raise ConfigError(path, getattr(places, "line", doc.line), "places", "needs only `russia:` and `iran:`")
    leaders = _parse_leaders(path, doc)
    named = {"leaders": leaders["russia"] + leaders["iran"] + leaders["roles"]}
    entities: tuple[EntitySpec, ...]
    gazetteer_path: Path | None
    entities, gazetteer_path = (), None
    if doc.get("gazetteer"):
        gazetteer_path = path.parent / str(doc["gazetteer"])
        entities = load_gazetteer(gazetteer_path)
        raw += gazetteer_path.read_bytes()
    parsed_topics = tuple(_parse_topic(path, topic_id, node, named) for topic_id, node in topics.items())
    _check_overrides(path, topics, parsed_topics)
    return TaxonomySpec(
        version=str(version).strip(),
        sha256=hashlib.sha256(raw).hexdigest(),
        actors={
            name: _terms(path, actors[name], f"actors.{name}", actors.line) + leaders[name] for name in ACTOR_STATES
        },
        topics=parsed_topics,
        **{key: _terms(path, doc.get(key), key, doc.line) for key in TERM_LISTS},
        leaders=named["leaders"],
        entities=entities,
        gazetteer_path=str(gazetteer_path) if gazetteer_path else None,
        # a non-empty `places` is the file's mapping (with its line); an empty one may be the `{}` put in above
        places={
            name: _terms(path, places.get(name), f"places.{name}", cast(_Mapping, places).line if places else doc.line)
            for name in ACTOR_STATES
        },
        source_path=str(path),
        grammar=_parse_grammar(path, doc),
    )


# ---------------------------------------------------------------- cleaning rules


@dataclass(frozen=True)
class CleaningRules:
    line_patterns: tuple[re.Pattern, ...]  # a whole line matching one of these is boilerplate
    tail_markers: tuple[re.Pattern, ...]  # a line matching one of these ends the article (comments, related)
    min_text_chars: int = 400  # below this, the fallback extractor is tried


def load_cleaning(path: Path | str) -> CleaningRules:
    """Load boilerplate rules; each pattern is a case-insensitive regular expression for a whole line."""
    path = Path(path)
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise ConfigError(path, None, "", "expected a mapping with boilerplate_lines and end_markers")

    def compile_all(key):
        items = doc.get(key) or []
        if not isinstance(items, list):
            raise ConfigError(path, doc.line, key, "must be a list of regular expressions")
        compiled = []
        for index, pattern in enumerate(items):
            try:
                compiled.append(re.compile(rf"(?:{pattern})", re.IGNORECASE))
            except (re.error, TypeError) as exc:
                raise ConfigError(
                    path, _line_of(None, items, index), f"{key}[{index}]", f"bad pattern: {exc}"
                ) from None
        return tuple(compiled)

    minimum = doc.get("min_text_chars", 400)
    if not isinstance(minimum, int) or minimum < 0:
        raise ConfigError(path, doc.line, "min_text_chars", "must be a whole number of characters")
    return CleaningRules(compile_all("boilerplate_lines"), compile_all("end_markers"), minimum)
