"""The stored engine: band keys live in the database (table ``bands``, indexed by key),
written at ingest, so candidates for new articles are an index lookup, not a rebuild.

With ``new`` the answer covers everything stored (the archive), not only the signatures
passed in: that is the incremental trace. Without it, the stored keys of the signatures'
articles are joined with each other in SQLite.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING

from .base import MAX_BUCKET, CandidateEngine, CandidatePair, Signature, band_rows, chunks, keep, ordered

if TYPE_CHECKING:
    from ..store import Store


class StoredEngine(CandidateEngine):
    name = "stored"

    def __init__(self, store: Store, *, max_bucket: int | None = MAX_BUCKET):
        self.store = store
        self.max_bucket = max_bucket

    def pairs(
        self, signatures: Iterable[Signature], *, new: Collection[str] | None = None
    ) -> Iterator[CandidatePair]:
        wanted: set = set()
        for chunk in chunks(signatures, 20_000):  # an archive's signatures are not held at once
            self._ensure_stored(chunk)
            wanted.update(s.key for s in chunk)
        fresh = sorted(set(new)) if new is not None else None
        if self.max_bucket is not None:
            self.capped_keys = self.store.crowded_keys(self.max_bucket, fresh)
        if fresh is not None:
            for pair in self.store.band_partners(fresh, self.max_bucket):
                yield ordered(*pair)
            return
        for a, b in self.store.band_pairs(self.max_bucket):
            if a in wanted and b in wanted:
                candidate = ordered(a, b)
                if keep(candidate, None):
                    yield candidate

    def stored_pairs(self, store: Store) -> Iterator[CandidatePair]:
        """The SQLite self-join of the stored keys (``store`` must be this engine's)."""
        if self.max_bucket is not None:
            self.capped_keys = store.crowded_keys(self.max_bucket)
        for a, b in store.band_pairs(self.max_bucket):
            yield ordered(a, b)

    def _ensure_stored(self, items: list[Signature]) -> None:
        """Write the keys of paragraphs stored before the bands table existed (or by hand)."""
        banded = self.store.banded_paragraphs(sorted({s.article for s in items}))
        missing = [s for s in items if s.key not in banded]
        if missing and not self.store.read_only:
            self.store.add_bands(band_rows(missing))
