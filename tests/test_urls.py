from pipeline.fetching.urls import clean_url, normalize_url, url_hash


def test_tracking_fragment_and_order_are_folded():
    a = "HTTP://Example.COM:80/news/a/../story.html?b=2&utm_source=rss&a=1#comments"
    assert clean_url(a) == "http://example.com/news/story.html?a=1&b=2"
    assert url_hash(a) == url_hash("https://www.example.com/news/story.html?a=1&b=2&fbclid=x")


def test_amp_and_mobile_variants_fold_onto_the_article():
    base = normalize_url("https://example.com/news/story.html")
    assert normalize_url("https://example.com/amp/news/story.html") == base
    assert normalize_url("https://m.example.com/news/story.html") == base
    assert normalize_url("https://example.com/news/story.amp.html") == base
    assert normalize_url("https://example.com/news/story/amp") == normalize_url("https://example.com/news/story")


def test_different_articles_stay_different():
    assert url_hash("https://example.com/a?id=1") != url_hash("https://example.com/a?id=2")
    assert url_hash("https://example.com/a") != url_hash("https://example.org/a")
