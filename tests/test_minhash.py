"""Near-duplicate detection (pipeline/stories/minhash.py): signatures, and band keys that find exactly the
candidates datasketch's MinHashLSH finds."""

from datasketch import MinHashLSH

from pipeline.stories.minhash import (
    BANDS,
    NUM_PERM,
    ROWS,
    THRESHOLD,
    band_keys,
    minhash_from_bytes,
    minhash_to_bytes,
    text_minhash,
)

WIRE = (
    "Russia will lend Iran 1.3 billion euros to build the Rasht–Astara railway, the missing link of the "
    "International North–South Transport Corridor, officials in Moscow and Tehran said on Monday. The 162-kilometre "
    "line will connect the Caspian port of Astara with Rasht and is due to be completed within four years."
)
COPY = WIRE.replace("on Monday", "on Monday, according to state media") + " Editing by a regional desk."
OTHER = "Iran's football team beat Uzbekistan two goals to one in an under-23 qualifier played in Tashkent on Friday."


def test_a_syndicated_copy_is_similar_and_other_text_is_not():
    assert text_minhash(WIRE).jaccard(text_minhash(COPY)) >= THRESHOLD
    assert text_minhash(WIRE).jaccard(text_minhash(OTHER)) < 0.1


def test_band_keys_make_the_candidates_datasketch_makes():
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    assert (lsh.b, lsh.r) == (BANDS, ROWS)
    texts = [WIRE, COPY, OTHER, WIRE[:200], " ".join(reversed(WIRE.split())), WIRE.replace("Iran", "Iraq")]
    minhashes = [text_minhash(t) for t in texts]
    for i, minhash in enumerate(minhashes):
        lsh.insert(i, minhash)
    for i, minhash in enumerate(minhashes):
        ours = {j for j, other in enumerate(minhashes) if set(band_keys(minhash)) & set(band_keys(other))}
        assert ours == set(lsh.query(minhash)), texts[i][:40]
    assert set(band_keys(minhashes[0])) & set(band_keys(minhashes[1]))  # the copy is a candidate
    assert not set(band_keys(minhashes[0])) & set(band_keys(minhashes[2]))  # the other text is not


def test_minhash_round_trips_through_bytes():
    minhash = text_minhash(WIRE)
    assert minhash_from_bytes(minhash_to_bytes(minhash)).jaccard(minhash) == 1.0
    assert band_keys(minhash_from_bytes(minhash_to_bytes(minhash))) == band_keys(minhash)
