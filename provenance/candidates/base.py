"""The one interface every candidate engine implements, and the band keys they share.

A candidate engine answers one question: which paragraphs of *different* articles may
share text, so that only those article pairs are verified (``align.compare``). Engines
differ in where the index lives (Python objects, SQLite, Parquet + DuckDB, Spark), not
in what they answer: every engine but ``memory`` joins paragraphs on equal band keys.

Band keys (LSH banding): a paragraph's MinHash signature (NUM_PERM uint64 values) is cut
into ``BANDS`` bands of ``ROWS`` consecutive values; the key of band i is the first 8 bytes
of BLAKE2b over ``i`` (2 bytes, little-endian) followed by the band's values (little-endian
uint64), read as a signed little-endian int64 and shifted right by 16 bits (arithmetic):
a 48-bit key, which SQLite stores in 6 bytes (Parquet and DuckDB as an int64). Two
paragraphs are candidates when any of their keys are equal. The key is a pure function of
the signature, so any process, any engine and any machine computes the same keys. With
BANDS x ROWS = 37 x 3 (datasketch's optimum for Jaccard 0.3 at 128 permutations) the pairs
are exactly those datasketch's MinHashLSH(threshold=0.3) finds, up to 48-bit collisions
(about one false pair in an archive of 2 x 10^7 keys; verification drops it).
"""
from __future__ import annotations

import hashlib
import itertools
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..store import Store

BANDS = 37
ROWS = 3
# A band key shared by more paragraphs than this is a formula (a standard disclaimer, a
# market-report template), not evidence; the band engines skip it, as passim's maxDF
# does, so that one crowded bucket cannot make the join quadratic. ``None``: no cap.
MAX_BUCKET = 1000
_LE_UINT64 = np.dtype("<u8")
KEY_SHIFT = 16  # bits dropped from each 64-bit digest: keys are 48-bit

ParagraphKey = tuple[str, int]  # (article id, paragraph index)
CandidatePair = tuple[ParagraphKey, ParagraphKey]  # ordered: first < second


class EngineUnavailable(RuntimeError):
    """The engine's optional dependency (DuckDB, pyspark, Java) is not installed."""


def band_keys(hashvalues: np.ndarray, bands: int = BANDS, rows: int = ROWS) -> list[int]:
    """The ``bands`` band keys of one signature (signed 48-bit ints), see the module doc."""
    values = np.asarray(hashvalues, dtype=_LE_UINT64)
    if values.shape[0] < bands * rows:
        raise ValueError(f"a signature of {values.shape[0]} values has no {bands} bands of {rows}")
    data, width = values.tobytes(), rows * _LE_UINT64.itemsize
    digests = b"".join(
        hashlib.blake2b(band.to_bytes(2, "little") + data[band * width : (band + 1) * width], digest_size=8).digest()
        for band in range(bands)
    )
    # each digest read as a little-endian signed int, its top 48 bits kept
    return (np.frombuffer(digests, dtype="<i8") >> KEY_SHIFT).tolist()


@dataclass(frozen=True)
class Signature:
    """One content paragraph as the engines see it."""

    article: str
    paragraph: int
    hashvalues: np.ndarray
    size: int = 1  # number of shingles: the containment index (memory engine) needs it
    day: str | None = None  # publication day (YYYY-MM-DD) of the article, if known

    @property
    def key(self) -> ParagraphKey:
        return (self.article, self.paragraph)


@dataclass(frozen=True)
class BandRow:
    """One band key of one paragraph: a row of the ``bands`` table and of ``sign``'s Parquet."""

    article: str
    paragraph: int
    band: int
    key: int
    day: str | None = None


def band_rows(signatures: Iterable[Signature]) -> Iterator[BandRow]:
    for s in signatures:
        for band, key in enumerate(band_keys(s.hashvalues)):
            yield BandRow(s.article, s.paragraph, band, key, s.day)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last shorter): a stream held a part at a time."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def ordered(a: ParagraphKey, b: ParagraphKey) -> CandidatePair:
    return (a, b) if a <= b else (b, a)


def day_of(published: str | None) -> str | None:
    """The YYYY-MM-DD day of an ISO 8601 date or datetime, or None if it is not one."""
    if not published or len(published) < 10:
        return None
    try:
        return date.fromisoformat(published[:10]).isoformat()
    except ValueError:
        return None


class CandidateEngine(ABC):
    """Candidate paragraph pairs from paragraph signatures.

    ``pairs`` yields each pair of paragraphs of different articles that may share text,
    once, ordered (first < second); with ``new``, only the pairs with at least one side in
    an article of ``new`` (an incremental trace: the archive's own pairs were done before).
    """

    name: str = "engine"
    # Band keys left out because more than max_bucket paragraphs share them (band engines;
    # set by ``pairs``, None where the engine does not count them).
    capped_keys: int | None = None

    @abstractmethod
    def pairs(
        self, signatures: Iterable[Signature], *, new: Collection[str] | None = None
    ) -> Iterator[CandidatePair]:
        ...

    def stored_pairs(self, store: Store) -> Iterator[CandidatePair]:
        """Every pair the engine finds among the paragraphs of ``store``'s band index, from
        the stored band keys (the streamed analysis of an archive: no signature is read or
        recomputed). Band engines only; the others raise EngineUnavailable."""
        raise EngineUnavailable(f"the {self.name} engine cannot join a store's band keys")

    def extra_article_pairs(self, shingles_by_article: dict[str, list[np.ndarray]]) -> set[tuple[str, str]]:
        """Article pairs found by other means than paragraph signatures (none by default).
        ``shingles_by_article``: each article's paragraphs' shingle keys, one array each."""
        return set()

    def close(self) -> None:
        """Release what the engine holds (a DuckDB connection, a Spark session)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def keep(pair: CandidatePair, new: Collection[str] | None) -> bool:
    (a, _), (b, _) = pair
    return a != b and (new is None or a in new or b in new)


def bucket_groups(sorted_keys: np.ndarray, members: np.ndarray, max_bucket: int | None, emit) -> int:
    """``emit(i, j, size)`` with the pairs (arrays i, j) of members within the runs of
    equal keys of each size in 2..max_bucket, one call per size; returns the number of
    runs left out as larger. Members within a run keep their order (i before j)."""
    if not len(sorted_keys):
        return 0
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[starts, len(sorted_keys)])
    crowded = int((sizes > max_bucket).sum()) if max_bucket is not None else 0
    for size in np.unique(sizes[(sizes >= 2) & ((sizes <= max_bucket) if max_bucket is not None else True)]):
        size = int(size)
        group = members[starts[sizes == size][:, None] + np.arange(size)]  # buckets x size
        left, right = np.triu_indices(size, 1)
        emit(group[:, left].ravel(), group[:, right].ravel(), size)
    return crowded
