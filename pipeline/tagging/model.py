"""The learned topic model: one logistic regression per topic over sentence features, stored as a small file.

The artefact (`config/tagger-model.npz` by default) is a zip of NumPy arrays written with fixed timestamps, so
the same corpus, taxonomy and seed give the same bytes: the feature vocabulary, a weight matrix (features ×
topics), a bias and a decision threshold per topic, and a JSON header naming the taxonomy version and file hash it
was trained with. A tagger refuses an artefact built for another taxonomy: `newsmon train` rebuilds it.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import SentenceFeatures

FORMAT = "newsmon-topic-model/1"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ModelError(ValueError):
    """The model file is missing, unreadable or was built for another taxonomy; the message says what to run."""


@dataclass(frozen=True)
class TopicModel:
    topics: tuple[str, ...]
    vocabulary: dict[str, int]
    weights: np.ndarray  # (features, topics), float32
    bias: np.ndarray  # (topics,)
    thresholds: np.ndarray  # (topics,): a topic is earned when its best sentence's probability reaches this
    header: dict

    @property
    def taxonomy_version(self) -> str:
        return self.header["taxonomy_version"]

    def feature_ids(self, features: SentenceFeatures) -> np.ndarray:
        vocabulary = self.vocabulary
        return np.fromiter((vocabulary[n] for n in features.names if n in vocabulary), dtype=np.int64)

    def probabilities(self, sentences: list[SentenceFeatures]) -> np.ndarray:
        """P(topic | sentence) for each sentence: (sentences, topics)."""
        if not sentences:
            return np.zeros((0, len(self.topics)), dtype=np.float32)
        ids = [self.feature_ids(s) for s in sentences]
        lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
        logits = np.tile(self.bias, (len(sentences), 1))
        flat = np.concatenate(ids) if lengths.sum() else np.zeros(0, dtype=np.int64)
        if len(flat):
            rows = np.repeat(np.arange(len(sentences)), lengths)
            np.add.at(logits, rows, self.weights[flat])
        return 1.0 / (1.0 + np.exp(-logits))

    def strongest(self, features: SentenceFeatures, topic: str, count: int = 4) -> tuple[str, ...]:
        """The features that pushed this sentence toward the topic most, as 'name +weight'."""
        column = self.topics.index(topic)
        weighted = [(float(self.weights[self.vocabulary[n], column]), n) for n in features.names if n in self.vocabulary]
        weighted.sort(key=lambda item: -item[0])
        return tuple(f"{name} {weight:+.2f}" for weight, name in weighted[:count] if weight > 0)

    def save(self, path: Path | str) -> None:
        """Write the artefact with fixed zip timestamps (the same model gives the same bytes)."""
        names = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        arrays = {
            "header": np.frombuffer(json.dumps(self.header, sort_keys=True, ensure_ascii=False).encode(), dtype=np.uint8),
            "topics": np.array(self.topics),
            "vocabulary": np.array(names),
            "weights": self.weights.astype(np.float32),
            "bias": self.bias.astype(np.float32),
            "thresholds": self.thresholds.astype(np.float32),
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


def load_model(path: Path | str, taxonomy_version: str | None = None, taxonomy_sha256: str | None = None) -> TopicModel:
    """Read an artefact; with a taxonomy version and hash, refuse one that was trained for another taxonomy."""
    path = Path(path)
    rebuild = f"rebuild it with `newsmon train` (writes {path})"
    if not path.exists():
        raise ModelError(f"no tagger model at {path}: {rebuild}")
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            model = TopicModel(tuple(str(t) for t in data["topics"]),
                               {str(name): i for i, name in enumerate(data["vocabulary"])},
                               data["weights"].astype(np.float32), data["bias"].astype(np.float32),
                               data["thresholds"].astype(np.float32), header)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot read the tagger model {path} ({exc}): {rebuild}") from None
    if header.get("format") != FORMAT:
        raise ModelError(f"{path} is not a {FORMAT} file: {rebuild}")
    if taxonomy_version is not None and (header.get("taxonomy_version") != taxonomy_version
                                         or (taxonomy_sha256 and header.get("taxonomy_sha256") != taxonomy_sha256)):
        raise ModelError(f"the tagger model {path} was trained for taxonomy {header.get('taxonomy_version')} "
                         f"(sha256 {str(header.get('taxonomy_sha256'))[:12]}), not for the taxonomy in use "
                         f"({taxonomy_version}, sha256 {str(taxonomy_sha256)[:12]}): {rebuild}")
    return model
