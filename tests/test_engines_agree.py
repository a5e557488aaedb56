"""The band-join engines (stored, DuckDB, Spark) give the same candidate pairs on a
generated 2,000-article corpus, from signatures and from `provenance sign`'s Parquet."""
import importlib.util
import os
import random
import shutil

import pytest

from provenance import align
from provenance.candidates import Signature, day_of
from provenance.candidates.sign import write_signatures
from provenance.candidates.stored import StoredEngine
from provenance.models import Article, Paragraph
from provenance.store import Store

ARTICLES = 2000
WORDS = [f"w{i}" for i in range(3000)]


def corpus(seed: int = 7) -> list[Article]:
    """Articles of two paragraphs of random words; about one in five reuses a paragraph
    (lightly edited) of an earlier one, as syndicated news does."""
    rng = random.Random(seed)
    articles: list[Article] = []
    for n in range(ARTICLES):
        texts = [" ".join(rng.choice(WORDS) for _ in range(24)) for _ in range(2)]
        if articles and rng.random() < 0.2:
            source = rng.choice(articles).paragraphs[0].text.split()
            texts[0] = " ".join(w if rng.random() > 0.08 else rng.choice(WORDS) for w in source)
        text, paragraphs = "", []
        for i, body in enumerate(texts):
            start = len(text) + (2 if text else 0)
            text = f"{text}\n\n{body}" if text else body
            paragraphs.append(Paragraph(i, start, start + len(body), body, "en"))
        published = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}"
        articles.append(Article(id=f"a{n:04d}", source=f"a{n:04d}", text=text, published=published,
                                language="en", paragraphs=paragraphs))
    return articles


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The corpus stored (band keys written at ingest), its signatures and its Parquet."""
    articles = corpus()
    store = Store.memory()
    signatures = []
    for article in articles:
        units = align.prepare(article)
        prints = {u.paragraph.index: u.minhash.hashvalues for u in units}
        store.add_article(article, [], prints)
        signatures += [Signature(article.id, i, v, day=day_of(article.published)) for i, v in prints.items()]
    parquet = tmp_path_factory.mktemp("signed")
    report = write_signatures(store, parquet)
    assert report.signatures == len(signatures) and report.keys == 37 * len(signatures)
    engine = StoredEngine(store)
    expected = set(engine.pairs(signatures))
    assert engine.capped_keys == 0
    yield store, signatures, parquet, expected
    store.close()


def test_the_generated_corpus_has_candidates(indexed):
    _, _, _, expected = indexed
    reused = {(a, b) for (a, _), (b, _) in expected}
    assert len(reused) > 0.1 * ARTICLES  # the copies are found...
    assert len(reused) < 0.5 * ARTICLES  # ...and independent articles are not paired
    store = indexed[0]
    assert set(StoredEngine(store).stored_pairs(store)) == expected  # the stored keys, joined in SQLite


def capped(store, signatures, cap):
    """The stored engine's pairs when keys held by more than ``cap`` paragraphs are skipped."""
    engine = StoredEngine(store, max_bucket=cap)
    pairs = set(engine.pairs(signatures))
    assert engine.capped_keys > 0
    return pairs


def test_crowded_keys_are_skipped(indexed):
    store, signatures, _, expected = indexed
    fewer = capped(store, signatures, 2)
    assert fewer < expected  # keys of a paragraph copied into 2+ others are dropped


def test_incremental_lookup_is_the_self_join_restricted_to_new_articles(indexed):
    store, signatures, _, expected = indexed
    new = {f"a{n:04d}" for n in range(ARTICLES - 50, ARTICLES)}
    looked_up = set(StoredEngine(store).pairs([s for s in signatures if s.article in new], new=new))
    assert looked_up == {p for p in expected if p[0][0] in new or p[1][0] in new}


@pytest.mark.skipif(importlib.util.find_spec("duckdb") is None, reason="duckdb not installed (extra 'scale')")
def test_duckdb_gives_the_same_pairs(indexed):
    from provenance.candidates.duckdb import DuckDBEngine

    _, signatures, parquet, expected = indexed
    with DuckDBEngine() as engine:
        assert set(engine.pairs(signatures)) == expected
        new = {"a1999", "a1500"}
        assert set(engine.pairs(signatures, new=new)) == {p for p in expected if {p[0][0], p[1][0]} & new}
        assert set(engine.join_parquet(parquet / "bands")) == expected
        assert set(engine.stored_pairs(indexed[0])) == expected  # the stored keys, not the signatures
        engine.max_bucket = 2
        assert set(engine.pairs(signatures)) == capped(indexed[0], signatures, 2)


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None,
    reason="pyspark not installed (extra 'spark'; it also needs Java 17)",
)
@pytest.mark.skipif(shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
                    reason="no Java on this machine: Spark needs Java 17")
def test_spark_gives_the_same_pairs(indexed):
    from provenance.candidates.spark import QUICK_LOCAL, SparkEngine

    _, signatures, parquet, expected = indexed
    # Two jobs (a JVM's queries are slow to start): signatures uncapped, Parquet capped.
    with SparkEngine(master="local[2]", config=QUICK_LOCAL, max_bucket=None) as engine:
        assert set(engine.pairs(signatures)) == expected
        assert set(engine.stored_pairs(indexed[0])) == expected
        engine.max_bucket = 2
        assert set(engine.join_parquet(parquet / "bands")) == capped(indexed[0], signatures, 2)
