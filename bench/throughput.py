"""Throughput of fingerprinting and of the whole tracer on a generated corpus.

    python bench/throughput.py [--articles 10000] [--paragraphs 8]

Prints paragraphs/s for fingerprinting (our tokenise + shingle + batched MinHash) next to
datasketch's plain ``MinHash.update`` loop over the same shingles, measured in the same run,
and articles/s end to end (`provenance.pipeline.trace` on files written to a temp folder,
without embeddings: the corpus is monolingual). Figures, not assertions.
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from datasketch import MinHash

from provenance import fingerprint as fp
from provenance.pipeline import trace

SYLLABLES = ["ka", "lo", "mi", "ter", "va", "sun", "dre", "po", "ang", "bel", "cor", "nis", "tu", "ram", "el", "gio"]


def make_corpus(n_articles: int, n_paragraphs: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(20000)]
    common = vocabulary[:200]  # function words: frequent everywhere

    def sentence(topic: list[str]) -> str:
        words = [rng.choice(topic) if rng.random() < 0.5 else rng.choice(common) for _ in range(rng.randint(8, 20))]
        return " ".join(words).capitalize() + "."

    articles: list[str] = []
    for i in range(n_articles):
        if articles and rng.random() < 0.2:
            # a derived article: most paragraphs of an earlier one, some edited, one added
            source = rng.choice(articles).split("\n\n")
            kept = [p if rng.random() < 0.7 else p.replace(" ", " new ", 2) for p in source if rng.random() < 0.8]
            kept.append(sentence(rng.sample(vocabulary, 50)))
            articles.append("\n\n".join(kept))
        else:
            topic = rng.sample(vocabulary, 60)
            paragraphs = [" ".join(sentence(topic) for _ in range(rng.randint(2, 4))) for _ in range(n_paragraphs)]
            articles.append(f"Headline number {i}\n\n" + "\n\n".join(paragraphs))
    return articles


def bench_fingerprints(paragraphs: list[str]) -> None:
    prepared = [fp.shingles(fp.tokenize(p)) for p in paragraphs]

    start = time.perf_counter()
    for shingle_set in prepared:
        m = MinHash(num_perm=fp.NUM_PERM, seed=fp.SEED)
        for s in shingle_set:
            m.update(s.encode("utf-8"))
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    for shingle_set in prepared:
        fp.minhash(shingle_set)
    ours = time.perf_counter() - start

    start = time.perf_counter()
    for p in paragraphs:
        fp.minhash(fp.shingles(fp.tokenize(p)))
    full = time.perf_counter() - start

    n = len(paragraphs)
    print(f"fingerprinting {n} paragraphs ({fp.NUM_PERM} permutations)")
    print(f"  datasketch MinHash.update loop (baseline): {n / baseline:9.0f} paragraphs/s")
    print(f"  provenance batched MinHash:                {n / ours:9.0f} paragraphs/s  ({baseline / ours:.1f}x baseline)")
    print(f"  provenance tokenise+shingle+MinHash:       {n / full:9.0f} paragraphs/s  ({baseline / full:.1f}x baseline)")


def bench_end_to_end(articles: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        for i, text in enumerate(articles):
            (folder / f"{i:06d}.txt").write_text(text, encoding="utf-8")
        start = time.perf_counter()
        result = trace([str(folder)], crosslingual=False)
        elapsed = time.perf_counter() - start
    derived = sum(1 for e in result.edges if e.kind in ("copy", "rewrite"))
    print(f"end to end: {len(articles)} articles in {elapsed:.1f} s = {len(articles) / elapsed:.1f} articles/s "
          f"({len(result.matches)} matches, {derived} copy/rewrite edges)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--paragraphs", type=int, default=8)
    parser.add_argument("--skip-end-to-end", action="store_true")
    args = parser.parse_args()
    articles = make_corpus(args.articles, args.paragraphs)
    paragraphs = [p for a in articles for p in a.split("\n\n")]
    bench_fingerprints(paragraphs[:20000])
    if not args.skip_end_to_end:
        bench_end_to_end(articles)


if __name__ == "__main__":
    main()
