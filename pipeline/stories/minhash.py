"""Near-duplicate detection: syndicated copies of one wire story are grouped into a story with MinHash LSH
(datasketch). Exact copies are caught earlier by the content fingerprint; URL variants by the URL key."""

from __future__ import annotations

import re
import threading

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE_WORDS = 4
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures are only comparable within one scheme
THRESHOLD = 0.6  # estimated Jaccard similarity of word 4-shingles above which two texts are one story
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    words = _WORD.findall(text.casefold())
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def text_minhash(text: str) -> MinHash:
    minhash = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    minhash.update_batch(list(shingles(text)))
    return minhash


def minhash_to_bytes(minhash: MinHash) -> bytes:
    return minhash.hashvalues.astype(np.uint64).tobytes()


def minhash_from_bytes(data: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(data, dtype=np.uint64), scheme=SCHEME)


class StoryIndex:
    """In-memory LSH over the recent articles' MinHashes; maps a new text to the story it belongs to."""

    def __init__(self, threshold: float = THRESHOLD):
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._minhashes: dict[int, MinHash] = {}
        self._story_of: dict[int, int] = {}
        self._lock = threading.Lock()
        self.high_water = 0  # highest article id the index has seen in the warehouse

    def __len__(self) -> int:
        return len(self._story_of)

    def add(self, article_id: int, story_id: int, minhash: MinHash) -> None:
        with self._lock:
            if article_id in self._story_of:
                return
            self._lsh.insert(article_id, minhash)
            self._minhashes[article_id] = minhash
            self._story_of[article_id] = story_id

    def find_story(self, minhash: MinHash, exclude: int | None = None) -> int | None:
        """Story id of the most similar indexed article above the threshold, or None."""
        with self._lock:
            candidates = [c for c in self._lsh.query(minhash) if c != exclude]
            if not candidates:
                return None
            best = max(candidates, key=lambda c: (minhash.jaccard(self._minhashes[c]), -c))
            return self._story_of[best]
