"""Near-duplicate detection: syndicated copies of one wire story are grouped into a story with MinHash signatures
(datasketch) and LSH band keys, which the warehouse indexes (pipeline.warehouse.story_index). Exact copies are
caught earlier by the content fingerprint; URL variants by the URL key."""

from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
SHINGLE_WORDS = 4
SCHEME = "affine32"  # datasketch's permutation scheme; stored signatures are only comparable within one scheme
THRESHOLD = 0.6  # estimated Jaccard similarity of word 4-shingles above which two texts are one story
_WORD = re.compile(r"\w+", re.UNICODE)
# LSH bands: the (bands, rows) datasketch's MinHashLSH chooses for THRESHOLD and NUM_PERM; two texts are candidates
# when all the rows of one band are equal
BANDS, ROWS = 18, 7


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


def band_keys(minhash: MinHash) -> list[int]:
    """One signed 64-bit key per LSH band of `minhash` (the band's number and its rows, hashed): two MinHashes share
    a key exactly when datasketch's MinHashLSH would make them candidates, so an indexed table of keys can stand in
    for the in-memory index."""
    values = minhash.hashvalues.astype(np.uint64)
    return [
        int.from_bytes(
            hashlib.blake2b(bytes([band]) + values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        for band in range(BANDS)
    ]
