"""The line vote between two extractors (pipeline/extraction/vote.py)."""

from __future__ import annotations

from pipeline.extraction.vote import confirm_lines

ARTICLE = [
    "Russia and Iran signed a comprehensive strategic partnership treaty at the Kremlin on Friday.",
    "The treaty covers defence, energy, finance and transport over the next twenty years.",
    "Officials said nuclear energy projects at Bushehr would continue under the new framework.",
]


def test_lines_only_the_primary_extractor_took_are_dropped():
    primary = "\n".join(["Sign up for our daily newsletter and never miss a story again today", *ARTICLE, "Menu"])
    voter = " ".join(ARTICLE)  # other line breaks, same words
    assert confirm_lines(primary, voter) == "\n".join(ARTICLE)


def test_short_lines_must_appear_whole_in_the_voter():
    primary = "\n".join([ARTICLE[0], "Key points", ARTICLE[1]])
    assert "Key points" in confirm_lines(primary, "Key points\n" + "\n".join(ARTICLE))
    assert "Key points" not in confirm_lines(primary, "\n".join(ARTICLE))


def test_a_voter_that_found_something_else_is_ignored():
    primary = "\n".join(ARTICLE * 3)
    voter = "Cookie notice: we use cookies to improve your experience on this website, accept or reject them."
    assert confirm_lines(primary, voter) == primary
    assert confirm_lines(primary, "") == primary


def test_a_page_of_menus_keeps_only_the_article_both_found():
    menu = [f"Menu entry number {i} of the city portal navigation" for i in range(40)]
    primary = "\n".join(menu[:20] + ARTICLE + menu[20:])
    assert confirm_lines(primary, "\n".join(ARTICLE)) == "\n".join(ARTICLE)


def test_the_voter_wins_when_it_found_the_same_and_much_more():
    from pipeline.extraction.vote import vote

    more = [f"Paragraph {i} of the analysis goes on about the corridor, the railway and the loans." for i in range(12)]
    text, voter_won = vote(ARTICLE[0], "\n".join(ARTICLE + more))
    assert voter_won and text.endswith(more[-1])
    text, voter_won = vote("\n".join(ARTICLE), "\n".join(ARTICLE))
    assert not voter_won and text == "\n".join(ARTICLE)
