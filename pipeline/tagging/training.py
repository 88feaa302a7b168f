"""Build the topic model from labelled articles (`newsmon train`): deterministic, a minute or less.

Each labelled article is read by the rules, and each of its sentences becomes a row of features. For a topic, the
positive rows are the sentences annotators quoted as its evidence; where no quote exists (the synthetic dev set),
the sentences the rules or the topic's lexicon point at, narrowed in a second round to the one sentence the
first model likes best (multiple-instance learning). Negative rows are every sentence of articles without the
topic. One L2 logistic regression per topic (liblinear, fixed seed); the decision threshold is the one that
gives the best topic micro-F1 on the tuning articles, the same for every topic.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from ..config import TOPIC_IDS, TaxonomySpec
from .features import SentenceFeatures, article_features
from .lexicon import fold
from .model import FORMAT, TopicModel
from .rules import RuleTagger

log = logging.getLogger(__name__)

MIN_FEATURE_COUNT = 2  # a feature seen in fewer training sentences is dropped
REGULARISATION = 1.0  # liblinear's C
NEGATIVE_WEIGHT_IRRELEVANT = 0.5  # sentences of articles that are not relevant at all teach less than near misses
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.20, 0.86, 0.025))
QUOTE_OVERLAP = 0.6  # share of a quote's words a sentence must hold to be the quoted one


@dataclass
class _Article:
    id: str
    relevant: bool
    topics: frozenset[str]
    quotes: dict[str, list[str]]
    rule_relevant: bool
    sentences: list[SentenceFeatures]
    texts: list[str]


def train_model(spec: TaxonomySpec, train: Iterable, tune: Iterable, seed: int = 0,
                progress: Callable[[str], None] | None = None) -> TopicModel:
    """Train on `train` labelled articles, choose the threshold on `tune`; returns the model (not saved)."""
    from sklearn.linear_model import LogisticRegression

    say = progress or (lambda message: None)
    rules = RuleTagger(spec)
    sides = {e.id: e.country for e in spec.entities if e.country}
    train_articles = [_read(rules, sides, a) for a in train]
    tune_articles = [_read(rules, sides, a) for a in tune]
    say(f"read {len(train_articles)} training and {len(tune_articles)} tuning articles")
    vocabulary = _vocabulary(train_articles)
    rows = [s for a in train_articles for s in a.sentences]
    matrix = _matrix(rows, vocabulary)
    offsets = np.cumsum([0] + [len(a.sentences) for a in train_articles])
    weights = np.zeros((len(vocabulary), len(TOPIC_IDS)), dtype=np.float64)
    bias = np.zeros(len(TOPIC_IDS))
    for column, topic in enumerate(TOPIC_IDS):
        chosen = None
        for _round in range(2):
            labels, sample_weight = _labels(train_articles, offsets, topic, chosen)
            keep = labels >= 0
            if labels[keep].min(initial=1) == labels[keep].max(initial=0):
                break  # one class only: the topic keeps zero weights and a very negative bias
            classifier = LogisticRegression(C=REGULARISATION, solver="liblinear", random_state=seed, max_iter=1000)
            classifier.fit(matrix[keep], labels[keep], sample_weight=sample_weight[keep])
            weights[:, column], bias[column] = classifier.coef_[0], classifier.intercept_[0]
            chosen = _best_sentences(train_articles, offsets, matrix, weights[:, column], bias[column], topic)
        if not weights[:, column].any():
            bias[column] = -20.0
        say(f"trained {topic}")
    model = TopicModel(TOPIC_IDS, vocabulary, weights.astype(np.float32), bias.astype(np.float32),
                       np.full(len(TOPIC_IDS), 0.5, dtype=np.float32), {})
    threshold = _choose_threshold(model, tune_articles or train_articles)
    header = {
        "format": FORMAT, "taxonomy_version": spec.version, "taxonomy_sha256": spec.sha256, "seed": seed,
        "regularisation": REGULARISATION, "min_feature_count": MIN_FEATURE_COUNT, "threshold": threshold,
        "training_articles": len(train_articles), "tuning_articles": len(tune_articles),
        "training_sha256": _digest(train_articles), "tuning_sha256": _digest(tune_articles),
    }
    return TopicModel(TOPIC_IDS, vocabulary, model.weights, model.bias,
                      np.full(len(TOPIC_IDS), threshold, dtype=np.float32), header)


def _read(rules: RuleTagger, sides: dict[str, str], article) -> _Article:
    analysis = rules.analyse(article.title, article.text)
    sentences = article_features(analysis, sides)
    sources = [analysis.fields[0].source if s.sentence.field == "title" else analysis.fields[1].source
               for s in sentences]
    texts = [source[s.sentence.start:s.sentence.end] for source, s in zip(sources, sentences)]
    quotes: dict[str, list[str]] = {}
    for topic, quote in article.evidence:
        quotes.setdefault(topic, []).append(quote)
    return _Article(article.id, article.relevant, article.topics if article.relevant else frozenset(), quotes,
                    analysis.relevant, sentences, texts)


def _vocabulary(articles: list[_Article]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for article in articles:
        for sentence in article.sentences:
            for name in sentence.names:
                counts[name] = counts.get(name, 0) + 1
    kept = sorted(name for name, count in counts.items() if count >= MIN_FEATURE_COUNT)
    return {name: index for index, name in enumerate(kept)}


def _matrix(rows: list[SentenceFeatures], vocabulary: dict[str, int]):
    from scipy.sparse import csr_matrix

    indptr, indices = [0], []
    for row in rows:
        ids = sorted({vocabulary[n] for n in row.names if n in vocabulary})
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
        if topic not in article.topics:
            labels[start:end] = 0
            if not article.relevant:
                weights[start:end] = NEGATIVE_WEIGHT_IRRELEVANT
            continue
        quoted = _quoted(article, topic)
        if quoted:
            positives = quoted
        elif chosen is not None and number in chosen:
            positives = [chosen[number]]
        else:
            positives = _candidates(article, topic)
        for index in positives:
            labels[start + index] = 1
    return labels, weights


def _quoted(article: _Article, topic: str) -> list[int]:
    """The sentences an annotator quoted as the topic's evidence."""
    found = []
    for quote in article.quotes.get(topic, ()):
        words = set(_words(quote))
        if not words:
            continue
        for index, text in enumerate(article.texts):
            mine = set(_words(text))
            if mine and (len(words & mine) >= QUOTE_OVERLAP * len(words) or len(words & mine) >= 0.8 * len(mine)):
                found.append(index)
    return sorted(set(found))


def _candidates(article: _Article, topic: str) -> list[int]:
    """Without a quote: the sentences the rules earned the topic from, else those with the topic's words."""
    for prefixes in ((f"rule:{topic}",), (f"term:{topic}", f"combo:{topic}"), (f"weak:{topic}",)):
        hits = [s.index for s in article.sentences if any(p in s.names for p in prefixes)]
        if hits:
            return hits
    return []


def _best_sentences(articles, offsets, matrix, weights, bias, topic) -> dict[int, int]:
    """For positive articles without a quote: the sentence the model scores highest."""
    scores = matrix @ weights + bias
    chosen = {}
    for number, article in enumerate(articles):
        if topic in article.topics and not _quoted(article, topic):
            start, end = offsets[number], offsets[number + 1]
            if end > start:
                chosen[number] = int(np.argmax(scores[start:end]))
    return chosen


def article_topics(model: TopicModel, sentences: list[SentenceFeatures]) -> np.ndarray:
    """The best sentence's probability per topic (zeros for an article without sentences)."""
    probabilities = model.probabilities(sentences)
    return probabilities.max(axis=0) if len(probabilities) else np.zeros(len(model.topics))


def _choose_threshold(model: TopicModel, articles: list[_Article]) -> float:
    """The threshold with the best topic micro-F1 over the articles, as the pipeline decides (rules' relevance)."""
    best = (-1.0, 0.5)
    scores = [article_topics(model, a.sentences) if a.rule_relevant else np.zeros(len(model.topics))
              for a in articles]
    for threshold in THRESHOLDS:
        tp = fp = fn = 0
        for article, score in zip(articles, scores):
            if not article.relevant:
                continue
            predicted = {t for t, s in zip(model.topics, score) if s >= threshold}
            tp += len(predicted & article.topics)
            fp += len(predicted - article.topics)
            fn += len(article.topics - predicted)
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


def training_sets(corpus_path, devset_dir) -> tuple[list, list]:
    """(train, tune): the corpus's train split plus the synthetic dev set; the corpus's dev split for tuning.
    The corpus's test split is never read here."""
    from pathlib import Path

    from ..evaluate import read_devset, read_labelled

    corpus = read_labelled(corpus_path) if corpus_path and Path(corpus_path).exists() else []
    synthetic = read_devset(devset_dir) if devset_dir and Path(devset_dir).exists() else []
    train = [a for a in corpus if a.split == "train"] + synthetic
    tune = [a for a in corpus if a.split == "dev"]
    return train, tune
