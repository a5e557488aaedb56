"""The in-memory engine: datasketch's MinHashLSH (Jaccard) and LSH Ensemble (containment),
plus an exact index of shingles rare in the corpus (heavy rewrites), all rebuilt per run.

The most thorough engine and the default for corpora that fit in memory (see
``candidates.choose``): the containment index finds a quoted paragraph inside a longer
one, and the rare-shingle index finds rewrites too different for any band to agree.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator

from .base import CandidateEngine, CandidatePair, Signature, keep, ordered

JACCARD_THRESHOLD = 0.3
CONTAINMENT_THRESHOLD = 0.5
MIN_SHARED_SHINGLES = 4


class MemoryEngine(CandidateEngine):
    name = "memory"

    def pairs(
        self, signatures: Iterable[Signature], *, new: Collection[str] | None = None
    ) -> Iterator[CandidatePair]:
        # datasketch.lsh imports scipy.integrate (0.3 s): only when this engine runs.
        from datasketch import LeanMinHash, MinHashLSH, MinHashLSHEnsemble

        from .. import fingerprint as fp

        items = list(signatures)
        if len(items) < 2:
            return
        hashes = [LeanMinHash(seed=fp.SEED, hashvalues=s.hashvalues, scheme=fp.SCHEME) for s in items]
        lsh = MinHashLSH(threshold=JACCARD_THRESHOLD, num_perm=fp.NUM_PERM)
        with lsh.insertion_session() as session:
            for i, m in enumerate(hashes):
                session.insert(i, m, check_duplication=False)
        ensemble = MinHashLSHEnsemble(threshold=CONTAINMENT_THRESHOLD, num_perm=fp.NUM_PERM, num_part=8)
        ensemble.index((i, m, max(1, s.size)) for i, (s, m) in enumerate(zip(items, hashes)))

        seen: set[tuple[int, int]] = set()
        for i, (s, m) in enumerate(zip(items, hashes)):
            found = set(lsh.query(m))
            found.update(ensemble.query(m, max(1, s.size)))
            for j in found:
                pair = (i, j) if i < j else (j, i)
                if j == i or pair in seen:
                    continue
                seen.add(pair)
                candidate = ordered(s.key, items[j].key)
                if keep(candidate, new):
                    yield candidate

    def extra_article_pairs(self, shingles_by_article: dict[str, set[str]]) -> set[tuple[str, str]]:
        return shared_shingle_pairs(shingles_by_article)


def shared_shingle_pairs(
    shingles_by_article: dict[str, set[str]], max_share: float = 0.05, max_articles: int = 50
) -> set[tuple[str, str]]:
    """Article pairs sharing at least MIN_SHARED_SHINGLES shingles that are rare in the corpus.

    Derivation is judged on shared runs of a few tokens, so a derived pair always shares
    a few shingles: an exact inverted index finds them all, including heavy rewrites whose
    paragraphs are too different for LSH. A shingle found in more than ``max_share`` of
    the articles (or ``max_articles``) is a set phrase, not evidence; skipping those also
    keeps the number of pairs linear in the corpus size.
    """
    postings: dict[str, list[str]] = defaultdict(list)
    for article_id, article_shingles in shingles_by_article.items():
        for shingle in article_shingles:
            postings[shingle].append(article_id)
    limit = max(2, min(max_articles, int(max_share * len(shingles_by_article))))
    shared: Counter[tuple[str, str]] = Counter()
    for ids in postings.values():
        if 2 <= len(ids) <= limit:
            ids.sort()
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    shared[(a, b)] += 1
    return {pair for pair, n in shared.items() if n >= MIN_SHARED_SHINGLES}
