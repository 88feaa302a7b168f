"""Property-based tests (hypothesis): URL normalization and text cleaning are idempotent and their output is
storable; the tagger's evidence offsets always slice back to the evidence text. Example counts and deadlines
are fixed so that the run is deterministic and bounded in time (derandomize: the same examples every run)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlsplit

import pytest

pytest.importorskip("hypothesis", reason="hypothesis is a test dependency: pip install -e '.[test]'")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extraction.clean import clean_text, normalize_text
from pipeline.fetching.urls import TRACKING_PARAMS, clean_url, normalize_url, url_hash
from pipeline.textutil import plain_text

BOUNDED = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
MARKUP = re.compile(r"</?[a-zA-Z]")

# ------------------------------------------------------------------ URLs
labels = st.sampled_from(
    [
        "www",
        "m",
        "mobile",
        "amp",
        "news",
        "example",
        "tass",
        "irna",
        "xn--e1afmkfd",
        "ru",
        "com",
        "ir",
        "org",
        "EXAMPLE",
        "Пример",
        "co",
    ]
)
segments = st.one_of(
    st.sampled_from(
        [
            "amp",
            "AMP",
            "article",
            "2025",
            "01",
            "..",
            ".",
            "",
            "index.html",
            "story.amp.html",
            "a b",
            "%41%2F",
            "новости",
            "خبر",
            "~user",
            "a;b=c",
            "x.amp",
            "%7e",
            "%ZZ",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
)
params = st.tuples(
    st.sampled_from(["utm_source", "utm_medium", "fbclid", "id", "page", "q", "ref", "amp", "lang", "ID", "a b"]),
    st.text(alphabet="abcXYZ019 %&=/?+é", max_size=5),
)


@st.composite
def urls(draw) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = ".".join(draw(st.lists(labels, min_size=2, max_size=4)))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(segments, max_size=5)))
    query = "&".join(f"{k}={v}" for k, v in draw(st.lists(params, max_size=4)))
    fragment = draw(st.sampled_from(["", "#top", "#", "#a=b"]))
    return f"{scheme}://{host}{port}/{path}" + (f"?{query}" if query else "") + fragment


@BOUNDED
@given(urls())
def test_clean_url_is_idempotent(url):
    once = clean_url(url)
    assert clean_url(once) == once


@BOUNDED
@given(urls())
def test_the_dedup_key_of_a_clean_url_is_the_urls_own(url):
    assert normalize_url(normalize_url(url)) == normalize_url(url)
    assert url_hash(clean_url(url)) == url_hash(url)


@BOUNDED
@given(urls())
def test_clean_urls_carry_no_tracking_parameters_or_fragment(url):
    once = clean_url(url)
    assert "#" not in once
    assert not {key for key, _ in parse_qsl(urlsplit(once).query)} & set(TRACKING_PARAMS)


# ------------------------------------------------------------------ text
hostile_text = st.one_of(
    st.text(max_size=200),  # any code point, surrogates and controls included
    st.lists(
        st.sampled_from(
            [
                "Russia",
                " and ",
                "Iran",
                "<b>",
                "</b>",
                "<script>alert(1)</script>",
                "&lt;i&gt;",
                "&amp;lt;p&amp;gt;",
                "&amp;",
                "&#xD800;",
                "&#0;",
                "\x00",
                "\x1b",
                "\r\n",
                "\n",
                "\u2028",
                "\u00a0",
                "Ã©",
                "Ã¨",
                "â€™",
                "Ð Ð¾",
                "e\u0301",
                "\u0418\u0306",
                "ي",
                "\u200c",
                "\ufeff",
                "<!-- c -->",
                "<",
                ">",
                "&",
                "Share on:",
                "  ",
                "Follow us on Telegram, Facebook and X.",
                "café",
                "\U0001f600",
                "<br/>",
                "&nbsp;",
                "<p>",
            ]
        ),
        max_size=30,
    ).map("".join),
)


def storable(value: str) -> bool:
    return not UNSTORABLE.search(value) and unicodedata.is_normalized("NFC", value) and not MARKUP.search(value)


@BOUNDED
@given(hostile_text)
def test_plain_text_is_idempotent_and_storable(value):
    once = plain_text(value)
    assert plain_text(once) == once
    assert storable(once)


@BOUNDED
@given(hostile_text)
def test_normalize_text_is_idempotent_and_storable(value):
    once = normalize_text(value)
    assert normalize_text(once) == once
    assert storable(once.replace("\n", " "))


@BOUNDED
@given(hostile_text)
def test_cleaning_is_idempotent(rules, value):
    once = clean_text(value, rules)
    assert clean_text(once, rules) == once


# ------------------------------------------------------------------ tagger offsets
words = st.sampled_from(
    [
        "Russia",
        "Iran",
        "Russian",
        "Iranian",
        "Moscow",
        "Tehran",
        "Putin",
        "Pezeshkian",
        "Kremlin",
        "treaty",
        "signed",
        "agreed",
        "gas",
        "oil",
        "drone",
        "drones",
        "Su-35",
        "S-300",
        "Bushehr",
        "nuclear",
        "railway",
        "Rasht–Astara",
        "sanctions",
        "wheat",
        "bank",
        "Mir",
        "Shetab",
        "satellite",
        "Soyuz",
        "ISIS-K",
        "defence",
        "Россия",
        "России",
        "Иран",
        "Ирана",
        "Москва",
        "Тегеран",
        "газ",
        "договор",
        "подписали",
        "ёлка",
        "ایران",
        "روسیه",
        "تهران",
        "مسکو",
        "قرارداد",
        "پهپاد",
        "مي\u200cشود",
        "ك",
        "ي",
        "۱۴۰۳",
        "İstanbul",
        "ß",
        "ﬁ",
        "e\u0301",
        "Ⅻ",
        "\U0001f680",
        "and",
        "with",
        "the",
        ",",
        ".",
        ";",
        " — ",
        "\n",
        "  ",
    ]
)


@st.composite
def articles(draw) -> tuple[str, str]:
    title = " ".join(draw(st.lists(words, max_size=8)))
    text = " ".join(draw(st.lists(words, min_size=1, max_size=60)))
    return title, text


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(articles())
def test_tagger_evidence_offsets_slice_back_to_the_evidence(tagger, article):
    title, text = article
    result = tagger.tag(title, text)
    spans = [result.evidence] if result.evidence else []
    spans += [topic.evidence for topic in result.topics]
    spans += list(getattr(result, "entities", ()))
    for span in spans:
        source = title if span.field == "title" else text
        assert source[span.start : span.end] == span.text, (span, source)
