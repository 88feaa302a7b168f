"""The learned part of the tagger: two linear heads over the rules' features, stored as one small file.

- the relevance head: one logistic regression over article features (the rules' verdict and rule, how the best
  sentences relate the two states, where each is named, the words near them);
- the topic heads: per topic, one logistic regression over sentence features (its best sentence is the evidence)
  and one over the article's pooled sentence features; a topic is earned when the mean of the two reaches the
  threshold.

The artefact (`config/tagger-model.npz` by default) is a zip of NumPy arrays written with fixed timestamps, so the
same corpus, taxonomy and seed give the same bytes, with a JSON header naming the taxonomy version and file hash
it was trained with. A tagger refuses an artefact built for another taxonomy: `newsmon train` rebuilds it.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = "newsmon-tagger-model/3"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ModelError(ValueError):
    """The model file is missing, unreadable or was built for another taxonomy; the message says what to run."""


@dataclass(frozen=True)
class LinearHead:
    """Logistic regressions sharing one vocabulary: `labels[k]` is predicted when P >= `thresholds[k]`."""

    labels: tuple[str, ...]
    vocabulary: dict[str, int]
    weights: np.ndarray  # (features, labels), float32
    bias: np.ndarray  # (labels,)
    thresholds: np.ndarray  # (labels,)

    def ids(self, names: Iterable[str]) -> np.ndarray:
        """The vocabulary ids of the known names among `names`."""
        found = list(map(self.vocabulary.get, names))  # in C; the misses (None) are dropped below
        return np.array([i for i in found if i is not None], dtype=np.int64)

    def probabilities(self, rows: list[np.ndarray]) -> np.ndarray:
        """P(label | row) for each row of feature ids (see `ids`): (rows, labels)."""
        logits = np.tile(self.bias, (len(rows), 1))
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        filled = np.flatnonzero(lengths)
        if len(filled):
            flat = np.concatenate([rows[i] for i in filled])
            starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
            logits[filled] += np.add.reduceat(self.weights[flat], starts, axis=0)
        return 1.0 / (1.0 + np.exp(-logits))

    def strongest(self, row: np.ndarray, label: str, count: int = 4) -> tuple[str, ...]:
        """The features of a row (ids) that pushed it toward the label most, as 'name +weight'."""
        if not len(row):
            return ()
        weights = self.weights[row, self.labels.index(label)]
        top = np.argsort(-weights, kind="stable")[:count]
        names = self.names
        return tuple(f"{names[row[i]]} {weights[i]:+.2f}" for i in top if weights[i] > 0)

    @functools.cached_property
    def names(self) -> list[str]:
        """Feature names by id (for traces)."""
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        names = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            f"{prefix}_labels": np.array(self.labels),
            f"{prefix}_vocabulary": np.array(names),
            f"{prefix}_weights": self.weights.astype(np.float32),
            f"{prefix}_bias": self.bias.astype(np.float32),
            f"{prefix}_thresholds": self.thresholds.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, data, prefix: str) -> LinearHead:
        return cls(
            tuple(str(t) for t in data[f"{prefix}_labels"]),
            {str(name): i for i, name in enumerate(data[f"{prefix}_vocabulary"])},
            data[f"{prefix}_weights"].astype(np.float32),
            data[f"{prefix}_bias"].astype(np.float32),
            data[f"{prefix}_thresholds"].astype(np.float32),
        )


@dataclass(frozen=True)
class TaggerModel:
    relevance: LinearHead  # one label, "relevant"
    topics: LinearHead  # one label per topic id, over sentence features; its thresholds decide
    articles: LinearHead  # the same labels over an article's pooled sentence features
    header: dict

    @property
    def taxonomy_version(self) -> str:
        return self.header["taxonomy_version"]

    def save(self, path: Path | str) -> None:
        """Write the artefact with fixed zip timestamps (the same model gives the same bytes)."""
        header = json.dumps(self.header, sort_keys=True, ensure_ascii=False).encode()
        arrays = {
            "header": np.frombuffer(header, dtype=np.uint8),
            **self.relevance.arrays("relevance"),
            **self.topics.arrays("topics"),
            **self.articles.arrays("articles"),
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, buffer.getvalue())


def load_model(
    path: Path | str, taxonomy_version: str | None = None, taxonomy_sha256: str | None = None
) -> TaggerModel:
    """Read an artefact; with a taxonomy version and hash, refuse one that was trained for another taxonomy."""
    path = Path(path)
    rebuild = f"rebuild it with `newsmon train` (writes {path})"
    if not path.exists():
        raise ModelError(f"no tagger model at {path}: {rebuild}")
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            if header.get("format") != FORMAT:
                raise ModelError(f"{path} is a {header.get('format')} file, not {FORMAT}: {rebuild}")
            model = TaggerModel(
                LinearHead.from_arrays(data, "relevance"),
                LinearHead.from_arrays(data, "topics"),
                LinearHead.from_arrays(data, "articles"),
                header,
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        if isinstance(exc, ModelError):
            raise
        raise ModelError(f"cannot read the tagger model {path} ({exc}): {rebuild}") from None
    if taxonomy_version is not None and (
        header.get("taxonomy_version") != taxonomy_version
        or (taxonomy_sha256 and header.get("taxonomy_sha256") != taxonomy_sha256)
    ):
        raise ModelError(
            f"the tagger model {path} was trained for taxonomy {header.get('taxonomy_version')} "
            f"(sha256 {str(header.get('taxonomy_sha256'))[:12]}), not for the taxonomy in use "
            f"({taxonomy_version}, sha256 {str(taxonomy_sha256)[:12]}): {rebuild}"
        )
    return model
