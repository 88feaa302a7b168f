"""Relation rules: how strongly a sentence puts Russia and Iran in relation to each other (`RelationRules`),
and the word-order helpers behind them (coordination, direction, alternatives, sources, lists of states)."""

from __future__ import annotations

import re

from pipeline.tagging.labels import PLACE_IRAN, PLACE_RUSSIA, PLACES, Kind
from pipeline.tagging.lexicon import Match
from pipeline.tagging.sentences import Field, Sentence

RELEVANCE_THRESHOLD = 0.6  # a sentence relating the two states scores at least this
CUE_BEFORE, CUE_AFTER, CUE_AFTER_VERB_FINAL, CUE_CLOSE_AFTER = (
    4,
    12,
    25,
    4,
)  # a relation cue this many words before/after the two actor mentions joins them
BOTH_NAMED_LINK = 0.35  # both named in one sentence with nothing relating them, and nothing against it either
PLACE_LINK = 0.65  # one side's actor and the other side's place, related: relevant, a little less sure
CORROBORATED_LINK = 0.6  # such a sentence under a headline that relates the two
ADJACENT_LINK = 0.55  # Russia in one sentence, Iran in the next: context for topics, not relevance on its own
LIST_MARKER_REACH = 3  # "including Russia and Iran": a list marker this close before the pair
COORDINATION_REACH = 6  # "the Russian Caspian Flotilla and the Iranian navy": names inside two noun phrases


DIRECTED_GAP = 4  # at most this many words from the first state to the direction word before the second
PUNCTUATION = re.compile(r"[,;:.!?()،؛«»\"]")
CLAUSE_PUNCTUATION = re.compile(r"[;:.!?()]")
_CLAUSE_BREAK = re.compile(r"[;؛]")
_COORDINATION_GAP = re.compile(r"^[\s,]*(?:and|и|و|,)?[\s,]*$", re.IGNORECASE)


def link_rule(sentence: Sentence) -> str:
    """The name of the relation rule behind a relating sentence's score."""
    if sentence.corroborated:
        return "relation.headline_corroborates"
    if sentence.adjacent and sentence.link <= ADJACENT_LINK:
        return "relation.adjacent_sentences"
    return {
        0.9: "relation.pair_term",
        0.75: "relation.cue_joins_actors",
        PLACE_LINK: "relation.place_with_cue",
        0.6: "relation.weak_cue_between",
    }.get(sentence.link, f"relation.score_{sentence.link:.2f}")


def mentioned_in_passing(sentence: Sentence, fields: list[Field]) -> bool:
    """The only sentence relating the two, in a story whose headline names a third state and not both of them, and
    whose paragraph names the state the headline leaves out nowhere else, and not the lede: the pair is mentioned,
    not discussed (a digest item or a paragraph about the pair inside another story is discussed)."""
    if fields[1].sentences and sentence is fields[1].sentences[0]:
        return False  # the lede is what the story is about ("The EU sanctioned Iranian firms for supplying Russia")

    def names(hits: dict, state: str) -> bool:
        return state in hits or PLACES[state] in hits

    title = [s.hits for s in fields[0].sentences]
    if not any(Kind.OTHER_STATE in h for h in title) or any(Kind.PAIR in h for h in title):
        return False
    missing = [state for state in (Kind.RUSSIA, Kind.IRAN) if not any(names(h, state) for h in title)]
    paragraph = [s.hits for s in fields[1].sentences if s.paragraph == sentence.paragraph]
    return bool(missing) and not any(sum(names(h, state) for h in paragraph) >= 2 for state in missing)


def _cue_relates(
    cue: int, bilateral: bool, left: Match, right: Match, f: Field, after_counts: bool, directed: bool = False
) -> bool:
    """Whether a relation cue at token `cue` joins the two actor mentions: between them ("Russia will supply
    Iran"); after both when they are coordinated or the sentence is verb-final ("Russia and Iran signed", Persian
    word order); or just before them as their head when the cue is bilateral by nature ("cooperation between
    Russia and Iran", «сотрудничество России и Ирана», «رزمایش مشترک ایران و روسیه» — but not "supply from Iran
    and Russia", which is two sources); or before them when it heads a flow from one to the other and no third
    state is named (`directed`: «экспорт российской пшеницы в Иран», «صادرات گندم روسیه به ایران»)."""
    if left.last < cue < right.first:
        return True
    if left is right and left.first <= cue <= left.last:
        return True  # "стороны договорились"
    if after_counts and right.last < cue <= right.last + (CUE_AFTER_VERB_FINAL if verb_final(f, left) else CUE_AFTER):
        return True
    if right.last < cue <= right.last + CUE_CLOSE_AFTER:  # "thanked Roscosmos for its cooperation"
        return not PUNCTUATION.search(f.source[f.tokens[right.last].end : f.tokens[cue].start])
    if bilateral and left.first - CUE_BEFORE <= cue < left.first:
        return not any(f.tokens[k].word in f.grammar.cue_blockers for k in range(cue + 1, left.first))
    # a flow headed by its cue, from one to the other: «экспорт российской пшеницы в Иран»
    return bool(
        directed
        and left.first - CUE_BEFORE <= cue < left.first
        and left is not right
        and _directed_to(left, right, f, DIRECTED_GAP)
        and not CLAUSE_PUNCTUATION.search(f.source[f.tokens[cue].end : f.tokens[right.first].start])
    )


def _outside(mentions: list[Match], other_state: list[Match]) -> list[Match]:
    """Mentions of one state that are not part of a longer name of the other state."""
    if not other_state:
        return mentions
    return [
        m
        for m in mentions
        if not any(o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start for o in other_state)
    ]


def _distinct(mentions) -> list[Match]:
    """One mention per starting word ("Iran" and "Iran Khodro" start at the same word): the longest."""
    by_first: dict[int, Match] = {}
    for m in mentions:
        if m.first not in by_first or m.last > by_first[m.first].last:
            by_first[m.first] = m
    return list(by_first.values())


def left_first(pairs) -> int:
    return min(left.first for left, _ in pairs)


def verb_final(f: Field, mention: Match) -> bool:
    """Persian puts the verb last: a cue may come long after the two names."""
    return f.tokens[mention.first].word[0] >= "\u0600"


def _coordinated(left: Match, right: Match, f: Field) -> bool:
    """ "Russia and Iran", "Moscow, Tehran", "Moscow State University and Tehran University": two mentions joined
    by a conjunction (or a comma) with at most a few words of their noun phrases around it."""
    gap = right.first - left.last
    if gap > COORDINATION_REACH:
        return False
    between = f.source[f.tokens[left.last].end : f.tokens[right.first].start]
    if gap <= 2:
        return bool(_COORDINATION_GAP.match(between))
    words = [f.tokens[k].word for k in range(left.last + 1, right.first)]
    return any(w in f.grammar.conjunctions for w in words) and not CLAUSE_PUNCTUATION.search(between)


def _persian_clauses(left: Match, right: Match, f: Field) -> bool:
    tokens = f.tokens
    return any(
        tokens[k].word in f.grammar.persian_clause_verbs and tokens[k + 1].word == "و"
        for k in range(left.last + 1, right.first - 1)
    )


def _quantity_after(index: int, f: Field) -> bool:
    """A number right after the word at `index`, or after "about", "more than"…: a quantity."""
    for token in f.tokens[index + 1 : index + 4]:
        if token.word[0].isdigit():
            return True
        if token.word not in f.grammar.approximately:
            return False
    return False


def _alternatives(left: Match, right: Match, f: Field) -> bool:
    """ "Iranian or Russian exports": two alternatives, not partners."""
    return right.first - left.last <= 2 and f.tokens[left.last + 1].word in f.grammar.alternatives


def _two_sources(left: Match, right: Match, f: Field) -> bool:
    """ "from Russia ... from Iran": both named as where something comes from, side by side."""
    return (
        left.first > 0
        and f.tokens[left.first - 1].word in f.grammar.sources
        and f.tokens[right.first - 1].word in f.grammar.sources
        and right.first - 1 > left.last
    )


def _directed_to(left: Match, right: Match, f: Field, gap: int = DIRECTED_GAP + 2) -> bool:
    """A direction word just before the second mention, at most `gap` words after the first: "Russian supplies of
    gas to Iran"."""
    return right.first - left.last <= gap and any(
        f.tokens[k].word in f.grammar.directions for k in (right.first - 1, right.first - 2) if k > left.last
    )


def _adjectival(mention: Match, f: Field) -> bool:
    """ "Russian", «иранская»: a state named by its adjective, which qualifies the word after it."""
    word = f.tokens[mention.last].word
    return word.endswith("ian") or word.startswith(("российск", "иранск", "русск"))


def _inside_actor(cue: Match, sentence: Sentence) -> bool:
    """A cue word that is part of a name ("Iran Air", "Russian Railways") relates nothing."""
    for label in (Kind.RUSSIA, Kind.IRAN, Kind.OTHER_STATE):
        for m in sentence.hits.get(label, ()):
            if m.start <= cue.start and cue.end <= m.end and (m.end - m.start) > (cue.end - cue.start):
                return True
    return False


def focus_after(sentence: Sentence, pair_in_focus: bool) -> bool:
    """Whether "the two countries" after this sentence still means Russia and Iran."""
    ru, ir, others = sentence.has(Kind.RUSSIA), sentence.has(Kind.IRAN), sentence.has(Kind.OTHER_STATE)
    if sentence.has(Kind.PAIR) or (ru and ir and (not others or sentence.link >= RELEVANCE_THRESHOLD)):
        return True
    if (ru or ir) and others and not (ru and ir):
        return False  # Russia and North Korea, Iran and China
    if others and len({m.term for m in sentence.hits[Kind.OTHER_STATE]}) >= 2:
        return False
    return pair_in_focus


def _grouped_with_other(left: Match, right: Match, sentence: Sentence, f: Field) -> bool:
    """One of the pair coordinated with a third state that the other is not part of: "Russia has close ties with
    both Tehran and Riyadh" relates Russia to a group, not to Iran alone."""
    if not sentence.crowded or left is right:
        return False
    for mention, partner in ((left, right), (right, left)):
        for other in sentence.hits.get(Kind.OTHER_STATE, ()):
            a, b = (mention, other) if mention.first < other.first else (other, mention)
            if _coordinated(a, b, f) and not (min(a.first, b.first) <= partner.first <= max(a.last, b.last)):
                return True
    return False


def in_state_list(lo: int, hi: int, sentence: Sentence, f: Field) -> bool:
    """Russia and Iran as items of a list of states ("India, Russia, Iran and Turkey")."""
    if not sentence.crowded:
        return False
    states = sorted(
        {
            (m.first, m.last, label)
            for label in (Kind.RUSSIA, Kind.IRAN, Kind.OTHER_STATE)
            for m in sentence.hits.get(label, ())
        }
    )
    chains: list[list[tuple[int, int, str]]] = []
    for state in states:
        if chains and state[0] <= chains[-1][-1][1]:
            chains[-1].append(state)  # overlapping names ("Iran" inside "Iran Khodro")
            continue
        if chains:
            previous = chains[-1][-1]
            gap = f.source[f.tokens[previous[1]].end : f.tokens[state[0]].start]
            if state[0] - previous[1] <= 2 and _COORDINATION_GAP.match(gap):
                chains[-1].append(state)
                continue
        chains.append([state])
    for chain in chains:
        firsts = {s[0] for s in chain}
        if lo in firsts and hi in firsts and len(firsts) >= 3 and any(s[2] == Kind.OTHER_STATE for s in chain):
            return True
    return False


class RelationRules:
    """Relevance: every sentence's relation score (`link`), adjacent sentences, the headline's corroboration. Mixed into
    RuleTagger, whose compiled lexicon and overrides it reads."""

    # -- relevance
    def _link(self, fields: list[Field]) -> None:
        """Score every sentence for Russia and Iran acting toward each other; resolve "the two countries"."""
        pair_in_focus = False
        for f in fields:
            for sentence in f.sentences:
                refers = pair_in_focus and sentence.has(Kind.REFERENCE)
                sentence.link = self._sentence_link(sentence, f, refers)
                pair_in_focus = focus_after(sentence, pair_in_focus)
            self._adjacent_links(f)
        self._corroborate(fields)

    @staticmethod
    def _corroborate(fields: list[Field]) -> None:
        """A headline that relates the pair, and a sentence of the text that names both side by side with no third
        state, list or contrast ("Moscow and Tehran say the corridor could carry 15m tonnes"): the text sentence
        is read in the headline's light. The headline alone never makes an article relevant."""
        if not any(s.link >= RELEVANCE_THRESHOLD for s in fields[0].sentences):
            return
        for sentence in fields[1].sentences:
            if (
                BOTH_NAMED_LINK <= sentence.link < RELEVANCE_THRESHOLD
                and (sentence.both_named or sentence.adjacent)
                and not sentence.crowded
                and not sentence.has(Kind.PARALLEL)
                and not sentence.has(Kind.LIST_MARKER)
            ):
                sentence.link, sentence.corroborated = CORROBORATED_LINK, True

    def _sentence_link(self, sentence: Sentence, f: Field, refers: bool) -> float:
        hits = sentence.hits
        if (
            Kind.PAIR not in hits
            and not (refers and Kind.REFERENCE in hits)
            and not ((Kind.RUSSIA in hits or PLACE_RUSSIA in hits) and (Kind.IRAN in hits or PLACE_IRAN in hits))
        ):
            sentence.crowded = Kind.OTHER_STATE in hits
            return 0.0  # nothing that could name both (most sentences)
        ru, ir = _distinct(hits.get(Kind.RUSSIA, ())), _distinct(hits.get(Kind.IRAN, ()))
        ru, ir = _outside(ru, ir), _outside(ir, ru)  # «بانک مرکزی» inside «بانک مرکزی روسیه» is not Iran
        others = sentence.positions(Kind.OTHER_STATE)
        sentence.crowded = bool(others)
        if sentence.has(Kind.PAIR):
            sentence.both_named = True
            return 0.9
        pairs = [(r, i) if r.first < i.first else (i, r) for r in ru for i in ir if r.first != i.first]
        place_pairs = []
        if PLACE_RUSSIA in sentence.hits or PLACE_IRAN in sentence.hits:
            # one side's actor and the other side's place ("Russian warships arrived in Bandar Abbas"), or the two
            # sides' places ("Ferdowsi University of Mashhad and St Petersburg State University signed")
            places = {}
            for label in (PLACE_RUSSIA, PLACE_IRAN):
                # "Iran's Bushehr", "Russian Railways": a place that is part of an actor's name is that actor
                places[label] = [
                    p
                    for p in _distinct(hits.get(label, ()))
                    if not any(a.first <= p.first <= a.last or p.first <= a.first <= p.last for a in (*ru, *ir))
                ]
            for one, other in (
                (ru, places[PLACE_IRAN]),
                (ir, places[PLACE_RUSSIA]),
                (places[PLACE_RUSSIA], places[PLACE_IRAN]),
            ):
                place_pairs += [(a, b) if a.first < b.first else (b, a) for a in one for b in other]
        if refers and not others:  # "a bilateral treaty between Yerevan and Moscow": the pair named is another
            pairs += [(m, m) for m in sentence.hits["ref"]]
        pairs += place_pairs
        if not pairs:
            return 0.0
        sentence.both_named = len(pairs) > len(place_pairs)
        bilateral = {m.first for m in sentence.hits.get(Kind.BILATERAL_CUE, ())}
        cues = [
            (m.first, m.first in bilateral)
            for m in [*sentence.hits.get(Kind.CUE, ()), *sentence.hits.get(Kind.BILATERAL_CUE, ())]
            if not _inside_actor(m, sentence)
        ]
        # "with 47 trillion cubic metres", "with about 5,600": a quantity, not a partner
        weak_cues = [c for c in sentence.positions(Kind.WEAK_CUE) if not _quantity_after(c, f)]
        compared = Kind.COMPARISON in hits
        markers = sentence.positions(Kind.LIST_MARKER)
        tails = sentence.positions(Kind.LIST_TAIL)
        parallel = sentence.positions(Kind.PARALLEL)
        verb_final = f.tokens[left_first(pairs)].word[0] >= "\u0600"
        best = 0.0
        for left, right in pairs:
            lo, hi = left.first, right.first
            is_reference = left is right
            if not is_reference and f.name == "text" and _CLAUSE_BREAK.search(f.source[left.end : right.start]):
                continue  # "...; producers such as Russia and Iran": two clauses (a headline's ";" joins one story)
            coordinated = is_reference or _coordinated(left, right, f)
            pair_cues, side_by_side = cues, False
            reach = CUE_AFTER_VERB_FINAL if verb_final else 3  # Persian puts "compete", "defeated" at the end
            if not is_reference and (compared or _alternatives(left, right, f) or _two_sources(left, right, f)):
                # "…, by comparison, …", "Iranian or Russian exports", "imports gas from Russia, and its contract for
                # gas from Iran ends": compared, alternatives, two sources of one buyer
                pair_cues, side_by_side = [], True
            elif coordinated and not is_reference and any(lo - 1 <= p <= right.last + reach for p in parallel):
                # "both Russia and Iran", "Russian and Iranian oil compete for buyers": side by side
                coordinated, pair_cues, side_by_side = False, [(c, b) for c, b in cues if c < lo], True
            elif not coordinated and any(
                left.last < p < right.first or (verb_final and right.last < p <= right.last + reach) for p in parallel
            ):
                # "..., while Iranian ...", "Russia competes with Iran for the same buyers"
                pair_cues, side_by_side = [(c, b) for c, b in cues if c < lo], True
            elif coordinated and not is_reference and _adjectival(left, f) and _adjectival(right, f):
                # "Russian and Iranian exports": the word the two adjectives qualify is two flows, not a relation
                pair_cues = [(c, b) for c, b in cues if b or c != right.last + 1]
            if not is_reference and _adjectival(left, f) and not _directed_to(left, right, f):
                # "Iranian exports are under pressure, and Russia's fleet...": the noun after an adjective is its own
                # ("Russian-built", "Iranian-made" are one word: built by Russia)
                pair_cues = [
                    (c, b)
                    for c, b in pair_cues
                    if b or c != left.last + 1 or f.source[left.end : f.tokens[c].start] not in (" ", "\u00a0")
                ]
            score = BOTH_NAMED_LINK
            # a Persian verb ends its clause: a cue after the next clause's verb is not this pair's
            after_counts = coordinated or (verb_final and not is_reference and not _persian_clauses(left, right, f))
            if verb_final and not after_counts and not coordinated:
                pair_cues = [(c, b) for c, b in pair_cues if c < right.first]
            if any(
                _cue_relates(c, is_bilateral, left, right, f, after_counts, directed=not others)
                for c, is_bilateral in pair_cues
            ):
                score = 0.75
            elif lo != hi and not side_by_side and any(lo < c < hi for c in weak_cues):
                score = 0.6
            if score <= best:
                continue  # the checks below only lower a score
            if others and (any(lo < o < hi for o in others) or _grouped_with_other(left, right, sentence, f)):
                score -= 0.3
            if (
                any(lo - LIST_MARKER_REACH <= m < lo for m in markers)
                or any(right.last < t <= right.last + 5 for t in tails)
                # "…, including Iran": one of them an example of a group
                or any(left.last < m < right.first and right.first - m <= 2 for m in markers)
                or (others and in_state_list(lo, hi, sentence, f))
            ):
                score = min(score, 0.3)
            if place_pairs and (left, right) in place_pairs:
                score = PLACE_LINK if score >= 0.75 else 0.0  # a place needs a real relation cue
            best = max(best, score)
            if best >= 0.75:
                break  # no pair scores higher
        return best

    def _adjacent_links(self, f: Field) -> None:
        """Russia in one sentence and Iran in the next (same paragraph, no third state), with a relation cue:
        the pair relation spans the two sentences."""
        for first, second in zip(f.sentences, f.sentences[1:]):
            if first.paragraph != second.paragraph or first.both_named or second.both_named:
                continue
            if first.crowded or second.crowded or first.has(Kind.OTHER_STATE) or second.has(Kind.OTHER_STATE):
                continue
            states = {(s.has(Kind.RUSSIA), s.has(Kind.IRAN)) for s in (first, second)}
            if states != {(True, False), (False, True)}:
                continue
            cued = [s for s in (first, second) if s.has(Kind.CUE)]
            if cued:
                for s in (first, second):
                    s.adjacent = True
                    s.link = max(s.link, ADJACENT_LINK if len(cued) == 2 else ADJACENT_LINK - 0.05)
