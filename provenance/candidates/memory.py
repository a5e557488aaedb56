"""The in-memory engine, rebuilt per run: band keys joined in numpy (Jaccard), an exact
index of shingles rare in the corpus (heavy rewrites), and for small corpora datasketch's
LSH Ensemble (containment).

- Bands: the same 37 x 3 banding as the stored, DuckDB and Spark engines (the pairs of
  datasketch's MinHashLSH at threshold 0.3), with a 64-bit key mixed in numpy instead of
  BLAKE2b (the key never leaves the process, so it need not be the stored one); all keys
  are sorted once and each bucket of 2..MAX_BUCKET paragraphs gives its pairs.
- Rare shingles: article pairs sharing MIN_SHARED_SHINGLES shingles found in few articles,
  counted with sorts over 64-bit shingle keys rather than Python sets of strings.
- Containment (a quoted paragraph inside a longer one), up to CONTAINMENT_MAX_ARTICLES
  articles: the LSH Ensemble answers for every pair of size ranges with permissive bands,
  so the pairs it proposes grow with the square of the corpus (4,566 of 5,416 candidate
  article pairs in a generated 1,000-article corpus, almost none of them reuse). Past that
  size the rare-shingle index is what finds contained paragraphs.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator

import numpy as np

from .base import BANDS, MAX_BUCKET, ROWS, CandidateEngine, CandidatePair, Signature, bucket_groups, keep, ordered

JACCARD_THRESHOLD = 0.3  # what BANDS x ROWS answers (see base)
CONTAINMENT_THRESHOLD = 0.5
CONTAINMENT_MAX_ARTICLES = 1000
MIN_SHARED_SHINGLES = 4

# Odd 64-bit multipliers for mixing a band's values into one key (splitmix64 constants).
_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB], dtype=np.uint64)


class MemoryEngine(CandidateEngine):
    name = "memory"

    def __init__(self, *, containment: bool | None = None, max_bucket: int | None = MAX_BUCKET):
        # None: the containment index runs when the corpus has at most CONTAINMENT_MAX_ARTICLES.
        self.containment = containment
        self.max_bucket = max_bucket

    def pairs(
        self, signatures: Iterable[Signature], *, new: Collection[str] | None = None
    ) -> Iterator[CandidatePair]:
        items = list(signatures)
        if len(items) < 2:
            return
        article_of = _article_numbers([s.article for s in items])
        found = self._band_pairs(np.stack([np.asarray(s.hashvalues) for s in items]))  # uint32: half the memory
        containment = self.containment
        if containment is None:
            containment = int(article_of.max()) + 1 <= CONTAINMENT_MAX_ARTICLES
        if containment:
            found = np.concatenate([found, _containment_pairs(items)])
        found = found[article_of[found[:, 0]] != article_of[found[:, 1]]]
        found = np.unique(np.sort(found, axis=1), axis=0)
        for i, j in found.tolist():
            candidate = ordered(items[i].key, items[j].key)
            if keep(candidate, new):
                yield candidate

    def _band_pairs(self, hashvalues: np.ndarray) -> np.ndarray:
        """Row pairs (n x 2) sharing a band key; buckets over max_bucket are skipped. One
        band at a time: working memory of a few arrays of n, whatever BANDS is."""
        n = hashvalues.shape[0]
        found, crowded = [], 0
        for band in range(BANDS):
            key = np.full(n, np.uint64(band + 1), dtype=np.uint64)
            for r in range(ROWS):  # uint64 arithmetic wraps: a hash, not a sum
                key = (key ^ hashvalues[:, band * ROWS + r].astype(np.uint64)) * _MIX[r % len(_MIX)]
            key ^= key >> np.uint64(31)
            order = np.argsort(key, kind="stable")  # rows ascending within a key
            pairs, capped = _bucket_pairs(key[order], order, self.max_bucket)
            found.append(pairs)
            crowded += capped
        self.capped_keys = crowded if self.max_bucket is not None else None
        return np.concatenate(found)

    def extra_article_pairs(self, shingles_by_article: dict[str, list[np.ndarray]]) -> set[tuple[str, str]]:
        return shared_shingle_pairs(shingles_by_article)


def _article_numbers(article_ids: list[str]) -> np.ndarray:
    numbers: dict[str, int] = {}
    return np.fromiter((numbers.setdefault(a, len(numbers)) for a in article_ids), dtype=np.int64, count=len(article_ids))


def _bucket_pairs(sorted_keys: np.ndarray, members: np.ndarray, max_bucket: int | None) -> tuple[np.ndarray, int]:
    """Every pair of members within each run of equal keys (sizes 2..max_bucket), as an
    (m x 2) array, and the number of runs left out for being larger."""
    out = [np.empty((0, 2), dtype=np.int64)]
    crowded = bucket_groups(sorted_keys, members, max_bucket, lambda i, j, _: out.append(np.stack([i, j], axis=1)))
    return np.concatenate(out), crowded


def _containment_pairs(items: list[Signature]) -> np.ndarray:
    """Row pairs from datasketch's LSH Ensemble (containment >= CONTAINMENT_THRESHOLD)."""
    # datasketch.lsh imports scipy.integrate (0.3 s): only when this runs.
    from datasketch import LeanMinHash, MinHashLSHEnsemble

    from .. import fingerprint as fp

    hashes = [LeanMinHash(seed=fp.SEED, hashvalues=s.hashvalues, scheme=fp.SCHEME) for s in items]
    ensemble = MinHashLSHEnsemble(threshold=CONTAINMENT_THRESHOLD, num_perm=fp.NUM_PERM, num_part=8)
    ensemble.index((i, m, max(1, s.size)) for i, (s, m) in enumerate(zip(items, hashes)))
    found = [(i, j) for i, (s, m) in enumerate(zip(items, hashes)) for j in ensemble.query(m, max(1, s.size)) if j != i]
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def shared_shingle_pairs(
    shingles_by_article: dict[str, np.ndarray | list[np.ndarray]], max_share: float = 0.05, max_articles: int = 50
) -> set[tuple[str, str]]:
    """Article pairs sharing at least MIN_SHARED_SHINGLES shingles that are rare in the corpus.

    ``shingles_by_article``: each article's shingle keys (integers, see align.shingle_keys),
    as one array or one per paragraph.
    Derivation is judged on shared runs of a few tokens, so a derived pair always shares
    a few shingles: an exact inverted index finds them all, including heavy rewrites whose
    paragraphs are too different for LSH. A shingle found in more than ``max_share`` of
    the articles (or ``max_articles``) is a set phrase, not evidence; skipping those also
    keeps the number of pairs linear in the corpus size.
    """
    ids = sorted(shingles_by_article)
    if len(ids) < 2:
        return set()
    uniques = [np.unique(_keys_of(shingles_by_article[a])) for a in ids]
    lengths = np.fromiter(map(len, uniques), dtype=np.int64, count=len(uniques))
    keys = np.concatenate(uniques) if uniques else np.empty(0, dtype=np.uint64)
    del uniques
    order = np.argsort(keys, kind="stable")  # owners stay ascending within one key
    keys = keys[order]
    owner = np.repeat(np.arange(len(ids), dtype=np.int32), lengths)[order]
    del order
    limit = max(2, min(max_articles, int(max_share * len(ids))))
    # Most shingles are one article's own: only keys held by 2..limit articles go on.
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.empty(0, dtype=np.int64)
    sizes = np.diff(np.r_[starts, len(keys)])
    rare = np.repeat((sizes >= 2) & (sizes <= limit), sizes)
    keys, owner = keys[rare], owner[rare]
    # One code per (pair, shared shingle), as a*n + b: half the memory of pairs of ids.
    n = len(ids)
    found = [np.empty(0, dtype=np.int64)]
    bucket_groups(keys, owner, limit, lambda i, j, _: found.append(i.astype(np.int64) * n + j))
    del keys, owner
    codes = np.concatenate(found)
    del found
    if not len(codes):
        return set()
    codes, counts = np.unique(codes, return_counts=True)
    kept = codes[counts >= MIN_SHARED_SHINGLES]
    return {(ids[c // n], ids[c % n]) for c in kept.tolist()}


def _keys_of(shingles: np.ndarray | list[np.ndarray]) -> np.ndarray:
    if isinstance(shingles, list):
        return np.concatenate(shingles).astype(np.uint64, copy=False) if shingles else np.empty(0, dtype=np.uint64)
    return np.asarray(shingles, dtype=np.uint64)
