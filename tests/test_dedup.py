from pipeline.stories.minhash import StoryIndex, minhash_from_bytes, minhash_to_bytes, text_minhash

WIRE = (
    "Russia will lend Iran 1.3 billion euros to build the Rasht–Astara railway, the missing link of the "
    "International North–South Transport Corridor, officials in Moscow and Tehran said on Monday. The 162-kilometre "
    "line will connect the Caspian port of Astara with Rasht and is due to be completed within four years."
)


def test_syndicated_copy_joins_the_story_and_other_text_does_not():
    index = StoryIndex()
    index.add(1, 1, text_minhash(WIRE))
    copy = WIRE.replace("on Monday", "on Monday, according to state media") + " Editing by a regional desk."
    assert index.find_story(text_minhash(copy)) == 1
    other = (
        "Iran's football team beat Uzbekistan two goals to one in an under-23 qualifier played in Tashkent on Friday."
    )
    assert index.find_story(text_minhash(other)) is None


def test_minhash_round_trips_through_bytes():
    minhash = text_minhash(WIRE)
    assert minhash_from_bytes(minhash_to_bytes(minhash)).jaccard(minhash) == 1.0
