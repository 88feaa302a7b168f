"""Build the topic model from labelled articles (`newsmon train`): deterministic, a minute or less.

Each labelled article is read by the rules, and each of its sentences becomes a row of features. For a topic, the
positive rows are the sentences annotators quoted as its evidence; where no quote exists (the synthetic dev set),
the sentences the rules or the topic's lexicon point at, narrowed in a second round to the one sentence the
first model likes best (multiple-instance learning). Negative rows are every sentence of articles without the
topic. One L2 logistic regression per topic (liblinear, fixed seed); the decision threshold is the one that
gives the best topic micro-F1 on the tuning articles, the same for every topic. The relevance head is one more
logistic regression over article features, its threshold the one with the best relevance F1 on the tuning set.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from pipeline.config import TOPIC_IDS, TaxonomySpec
from pipeline.tagging.features import SentenceFeatures, article_features, pooled_features, relevance_features
from pipeline.tagging.lexicon import fold
from pipeline.tagging.model import FORMAT, LinearHead, TaggerModel
from pipeline.tagging.rules import RuleTagger

log = logging.getLogger(__name__)

MIN_FEATURE_COUNT = 2  # a feature seen in fewer training rows is dropped
REGULARISATION = 1.0  # liblinear's C
SYNTHETIC_WEIGHT = 0.25  # the synthetic dev set speaks the taxonomy's words (and the rules were tuned on it)
NEGATIVE_WEIGHT_IRRELEVANT = 0.5  # sentences of articles that are not relevant at all teach less than near misses
THRESHOLDS = tuple(round(float(t), 3) for t in np.arange(0.05, 0.951, 0.025))
QUOTE_OVERLAP = 0.6  # share of a quote's words a sentence must hold to be the quoted one
RULE_FEATURES = ("rule:", "rule_article:", "rules:")  # the rules' own verdicts; left out of a "learned" model


@dataclass
class _Article:
    id: str
    relevant: bool
    topics: frozenset[str]
    quoted: dict[str, list[int]]  # topic -> the sentences an annotator quoted as its evidence
    names: tuple[str, ...]  # the article's relevance features
    sentences: list[SentenceFeatures]
    texts: list[str]
    weight: float = 1.0  # synthetic articles teach less than real ones
    predicted_relevant: bool = False


def train_model(
    spec: TaxonomySpec,
    train: Iterable,
    tune: Iterable,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    synthetic: Iterable = (),
    use_rules: bool = False,
) -> TaggerModel:
    """Train on `train` labelled articles (and `synthetic` ones, weighted down), choose the thresholds on `tune`;
    returns the model (not saved). `use_rules=False` leaves out the rules' own verdicts (a purely learned model
    over the lexicons, relations and words; the hybrid keeps them as features)."""
    say = progress or (lambda message: None)
    rules = RuleTagger(spec)
    sides = {e.id: e.country for e in spec.entities if e.country}
    keep = (lambda name: True) if use_rules else (lambda name: not name.startswith(RULE_FEATURES))
    train_articles = [_read(rules, sides, a, keep, use_rules) for a in train]
    for article in synthetic:
        train_articles.append(_read(rules, sides, article, keep, use_rules))
        train_articles[-1].weight = SYNTHETIC_WEIGHT
    tune_articles = [_read(rules, sides, a, keep, use_rules) for a in tune] or train_articles
    say(f"read {len(train_articles)} training and {len(tune_articles)} tuning articles")
    relevance = _train_relevance(train_articles, tune_articles, seed)
    say(f"trained relevance (threshold {relevance.thresholds[0]:.3f})")
    for article in tune_articles:
        article.predicted_relevant = bool(
            relevance.probabilities([relevance.ids(article.names)])[0, 0] >= relevance.thresholds[0]
        )
    topics, articles = _train_topics(train_articles, tune_articles, seed, say)
    header = {
        "format": FORMAT,
        "taxonomy_version": spec.version,
        "taxonomy_sha256": spec.sha256,
        "seed": seed,
        "regularisation": REGULARISATION,
        "min_feature_count": MIN_FEATURE_COUNT,
        "synthetic_weight": SYNTHETIC_WEIGHT,
        "features": "hybrid: rule verdicts, lexicons, relations, words"
        if use_rules
        else "learned: lexicons, relations, words",
        "rule_verdicts": use_rules,
        "relevance_threshold": float(relevance.thresholds[0]),
        "topic_threshold": float(topics.thresholds[0]),
        "training_articles": len(train_articles),
        "tuning_articles": len(tune_articles),
        "training_sha256": _digest(train_articles),
        "tuning_sha256": _digest(tune_articles),
    }
    return TaggerModel(relevance, topics, articles, header)


def _fit(matrix, labels, weights, seed: int):
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression(C=REGULARISATION, solver="liblinear", random_state=seed, max_iter=1000)
    classifier.fit(matrix, labels, sample_weight=weights)
    return classifier.coef_[0], classifier.intercept_[0]


def _train_relevance(train: list[_Article], tune: list[_Article], seed: int) -> LinearHead:
    vocabulary = _vocabulary([a.names for a in train])
    matrix = _matrix([a.names for a in train], vocabulary)
    labels = np.array([int(a.relevant) for a in train])
    coef, intercept = _fit(matrix, labels, np.array([a.weight for a in train]), seed)
    head = LinearHead(
        ("relevant",),
        vocabulary,
        coef.reshape(-1, 1).astype(np.float32),
        np.array([intercept], dtype=np.float32),
        np.array([0.5], dtype=np.float32),
    )
    scores = head.probabilities([head.ids(a.names) for a in tune])[:, 0]

    def counts(threshold: float) -> tuple[int, int, int]:
        return (
            sum(1 for a, p in zip(tune, scores) if p >= threshold and a.relevant),
            sum(1 for a, p in zip(tune, scores) if p >= threshold and not a.relevant),
            sum(1 for a, p in zip(tune, scores) if p < threshold and a.relevant),
        )

    threshold = _best_threshold(counts)
    return LinearHead(head.labels, vocabulary, head.weights, head.bias, np.array([threshold], dtype=np.float32))


def _train_topics(train: list[_Article], tune: list[_Article], seed: int, say) -> tuple[LinearHead, LinearHead]:
    vocabulary = _vocabulary([s.names for a in train for s in a.sentences])
    rows = [s for a in train for s in a.sentences]
    matrix = _matrix([s.names for s in rows], vocabulary)
    offsets = np.cumsum([0] + [len(a.sentences) for a in train])
    weights = np.zeros((len(vocabulary), len(TOPIC_IDS)), dtype=np.float64)
    bias = np.full(len(TOPIC_IDS), -20.0)  # a topic with one class only keeps zero weights and never fires
    for column, topic in enumerate(TOPIC_IDS):
        chosen = None
        for _round in range(2):  # multiple-instance learning: the second round narrows unquoted positives
            labels, sample_weight = _labels(train, offsets, topic, chosen)
            keep = labels >= 0
            if labels[keep].min(initial=1) == labels[keep].max(initial=0):
                break
            weights[:, column], bias[column] = _fit(matrix[keep], labels[keep], sample_weight[keep], seed)
            chosen = _best_sentences(train, offsets, matrix, weights[:, column], bias[column], topic)
        say(f"trained {topic}")
    head = LinearHead(
        TOPIC_IDS,
        vocabulary,
        weights.astype(np.float32),
        bias.astype(np.float32),
        np.full(len(TOPIC_IDS), 0.5, dtype=np.float32),
    )
    articles = _train_articles(train, seed)
    threshold = _choose_threshold(head, articles, tune)
    return (
        LinearHead(
            TOPIC_IDS, vocabulary, head.weights, head.bias, np.full(len(TOPIC_IDS), threshold, dtype=np.float32)
        ),
        articles,
    )


def _train_articles(train: list[_Article], seed: int) -> LinearHead:
    """The article-level topic head: relevant articles' pooled sentence features, one regression per topic."""
    relevant = [a for a in train if a.relevant]
    rows = [pooled_features(a.sentences) for a in relevant]
    vocabulary = _vocabulary(rows)
    matrix = _matrix(rows, vocabulary)
    weights = np.zeros((len(vocabulary), len(TOPIC_IDS)), dtype=np.float64)
    bias = np.full(len(TOPIC_IDS), -20.0)
    for column, topic in enumerate(TOPIC_IDS):
        labels = np.array([int(topic in a.topics) for a in relevant])
        if 0 < labels.sum() < len(labels):
            weights[:, column], bias[column] = _fit(matrix, labels, np.array([a.weight for a in relevant]), seed)
    return LinearHead(
        TOPIC_IDS,
        vocabulary,
        weights.astype(np.float32),
        bias.astype(np.float32),
        np.full(len(TOPIC_IDS), 0.5, dtype=np.float32),
    )


def _read(rules: RuleTagger, sides: dict[str, str], article, keep=lambda name: True, verdicts: bool = True) -> _Article:
    analysis = rules.analyse(article.title, article.text, topics=verdicts)
    every = [replace(s, names=tuple(filter(keep, s.names))) for s in article_features(analysis, sides)]
    relevance = tuple(filter(keep, relevance_features(analysis, every)))
    sentences = [s for s in every if s.candidate]  # the topic heads see what the tagger scores
    sources = [
        analysis.fields[0].source if s.sentence.field == "title" else analysis.fields[1].source for s in sentences
    ]
    texts = [source[s.sentence.start : s.sentence.end] for source, s in zip(sources, sentences)]
    quotes: dict[str, list[str]] = {}
    for topic, quote in article.evidence:
        quotes.setdefault(topic, []).append(quote)
    quoted = {topic: _quoted(texts, topic_quotes) for topic, topic_quotes in quotes.items()}
    return _Article(
        article.id,
        article.relevant,
        article.topics if article.relevant else frozenset(),
        quoted,
        relevance,
        sentences,
        texts,
    )


def _vocabulary(rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    for names in rows:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    kept = sorted(name for name, count in counts.items() if count >= MIN_FEATURE_COUNT)
    return {name: index for index, name in enumerate(kept)}


def _matrix(rows, vocabulary: dict[str, int]):
    from scipy.sparse import csr_matrix

    indptr, indices = [0], []
    for names in rows:
        ids = sorted({vocabulary[n] for n in names if n in vocabulary})
        indices.extend(ids)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    return csr_matrix((data, np.array(indices, dtype=np.int64), np.array(indptr)), shape=(len(rows), len(vocabulary)))


def _labels(articles: list[_Article], offsets, topic: str, chosen: dict[int, int] | None):
    """Per sentence: 1 positive, 0 negative, -1 left out; and sample weights."""
    total = offsets[-1]
    labels = np.full(total, -1, dtype=np.int64)
    weights = np.ones(total)
    for number, article in enumerate(articles):
        start, end = offsets[number], offsets[number + 1]
        weights[start:end] = article.weight
        if topic not in article.topics:
            labels[start:end] = 0
            if not article.relevant:
                weights[start:end] *= NEGATIVE_WEIGHT_IRRELEVANT
            continue
        quoted = article.quoted.get(topic)
        if quoted:
            positives = quoted
        elif chosen is not None and number in chosen:
            positives = [chosen[number]]
        else:
            positives = _candidates(article, topic)
        for index in positives:
            labels[start + index] = 1
    return labels, weights


def _quoted(texts: list[str], quotes: list[str]) -> list[int]:
    """The sentences (of `texts`) that the quotes are: most of a quote's words, or most of the sentence's."""
    found = []
    for quote in quotes:
        words = set(_words(quote))
        if not words:
            continue
        for index, text in enumerate(texts):
            mine = set(_words(text))
            if mine and (len(words & mine) >= QUOTE_OVERLAP * len(words) or len(words & mine) >= 0.8 * len(mine)):
                found.append(index)
    return sorted(set(found))


def _candidates(article: _Article, topic: str) -> list[int]:
    """Without a quote: the sentences the rules earned the topic from, else those with the topic's words."""
    for prefixes in ((f"rule:{topic}",), (f"term:{topic}", f"combo:{topic}"), (f"weak:{topic}",)):
        hits = [position for position, s in enumerate(article.sentences) if any(p in s.names for p in prefixes)]
        if hits:
            return hits
    return []


def _best_sentences(articles, offsets, matrix, weights, bias, topic) -> dict[int, int]:
    """For positive articles without a quote: the sentence the model scores highest."""
    scores = matrix @ weights + bias
    chosen = {}
    for number, article in enumerate(articles):
        if topic in article.topics and not article.quoted.get(topic):
            start, end = offsets[number], offsets[number + 1]
            if end > start:
                chosen[number] = int(np.argmax(scores[start:end]))
    return chosen


def _choose_threshold(head: LinearHead, pooled: LinearHead, articles: list[_Article]) -> float:
    """The threshold with the best topic micro-F1 over the articles, as the pipeline decides (topics only for
    articles the relevance head calls relevant; the mean of the best sentence's and the article's probability)."""
    scores = [
        (
            head.probabilities([head.ids(s.names) for s in a.sentences]).max(axis=0)
            + pooled.probabilities([pooled.ids(pooled_features(a.sentences))])[0]
        )
        / 2
        if a.predicted_relevant and a.sentences
        else np.zeros(len(head.labels))
        for a in articles
    ]

    def counts(threshold: float) -> tuple[int, int, int]:
        tp = fp = fn = 0
        for article, score in zip(articles, scores):
            if article.relevant:
                predicted = {t for t, s in zip(head.labels, score) if s >= threshold}
                tp += len(predicted & article.topics)
                fp += len(predicted - article.topics)
                fn += len(article.topics - predicted)
        return tp, fp, fn

    return _best_threshold(counts)


def _best_threshold(counts: Callable[[float], tuple[int, int, int]]) -> float:
    """The threshold of THRESHOLDS whose (true positives, false positives, false negatives) give the best F1; the
    lowest such one on a tie."""
    best = (-1.0, 0.5)
    for threshold in THRESHOLDS:
        tp, fp, fn = counts(threshold)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[0] + 1e-9:
            best = (f1, threshold)
    return float(best[1])


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def _digest(articles: list[_Article]) -> str:
    digest = hashlib.sha256()
    for article in articles:
        digest.update(f"{article.id}|{article.relevant}|{sorted(article.topics)}|{article.texts}\n".encode())
    return digest.hexdigest()


def training_sets(corpus_path, devset_dir) -> tuple[list, list, list]:
    """(train, tune, synthetic): the corpus's train split, its dev split for tuning, and the synthetic dev set.
    The corpus's test split is never read here."""
    from pathlib import Path

    from pipeline.tagging.labelled import read_devset, read_labelled

    corpus = read_labelled(corpus_path) if corpus_path and Path(corpus_path).exists() else []
    synthetic = read_devset(devset_dir) if devset_dir and Path(devset_dir).exists() else []
    train = [a for a in corpus if a.split == "train"]
    tune = [a for a in corpus if a.split == "dev"]
    return train, tune, synthetic
