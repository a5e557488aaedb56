"""The SQLite store: round trips, re-ingest rules, transactions and migrations."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils

import provenance.store as store_module
from provenance import align, candidates, pipeline, segment
from provenance import fingerprint as fp
from provenance.db import MigrationError, Migration, load_migrations, migrate, schema_version
from provenance.models import (
    Article,
    Attribution,
    Edge,
    Match,
    Outlet,
    Paragraph,
    ParagraphPair,
    Span,
)
from provenance.extract import content_hash
from provenance.store import AddResult, Store, StoreError, default_db_path


def make_article(article_id: str, paragraphs: list[str], **fields) -> Article:
    """An article whose text is its paragraphs joined by blank lines, offsets to match."""
    text = "\n\n".join(paragraphs)
    parts, offset = [], 0
    for index, paragraph in enumerate(paragraphs):
        parts.append(Paragraph(index, offset, offset + len(paragraph), paragraph, "en"))
        offset += len(paragraph) + 2
    fields.setdefault("content_hash", content_hash(text))
    return Article(id=article_id, source=article_id, text=text, paragraphs=parts, **fields)


def credit(article: Article, paragraph: int, phrase: str, outlet: str = "outlet:wire") -> Attribution:
    p = article.paragraphs[paragraph]
    start = article.text.index(phrase, p.start)
    return Attribution(article.id, outlet, phrase.split()[-1], phrase, "according_to",
                       paragraph, start, start + len(phrase), "en")


@pytest.fixture
def story() -> Article:
    article = make_article(
        "feeds/story.html",
        ["Port authority inspects the cargo hub, according to Wire.",
         "Officials declined to comment on the «inspection».",
         "Share this story"],
        title="Cargo hub inspected", published="2026-01-02T09:00:00Z", outlet="outlet:daily",
        outlet_name="The Daily", url="https://daily.example/story", domain="daily.example",
        language="en", format="html",
    )
    article.paragraphs[1].language = "fr"
    article.paragraphs[2].boilerplate = "share"
    return article


@pytest.fixture
def store(tmp_path):
    """A store in a real file, as users get it."""
    with Store(tmp_path / "provenance.db") as opened:
        yield opened


def signatures(article: Article) -> dict[int, np.ndarray]:
    """What ingest passes: the signatures of the article's unit paragraphs (a store keeps
    their band keys and recomputes them from the text to remove them)."""
    return align.signatures_and_words(article)[0]


def stored_keys(store: Store) -> dict[tuple[str, int], set[int]]:
    """The band keys the store holds, by (article, paragraph): merged (bands) or not yet
    (band_staging, migration 0011)."""
    found: dict[tuple[str, int], set[int]] = {}
    for article_id, index, key in store._db.execute(
        "SELECT a.id, p.paragraph_index, b.key FROM (SELECT key, paragraph FROM bands UNION ALL "
        "SELECT key, paragraph FROM band_staging) b JOIN band_paragraphs p ON p.id = b.paragraph "
        "JOIN articles a ON a.number = p.article"
    ):
        found.setdefault((article_id, index), set()).add(key)
    return found


def key_rows(store: Store) -> int:
    """Rows of both key tables."""
    return count(store, "bands") + count(store, "band_staging")


def keys_of(prints: dict[int, np.ndarray], article_id: str) -> dict[tuple[str, int], set[int]]:
    return {(article_id, i): set(candidates.band_keys(v)) for i, v in prints.items()}


def stored(store: Store, *ids: str) -> None:
    """Store a one-line article under each id: an analysis names stored articles only
    (matches and edges have foreign keys to them)."""
    for article_id in ids:
        store.add_article(make_article(article_id, [f"Report {article_id}."]), [])


def count(store: Store, table: str) -> int:
    return store._db[table].count


# Articles ----------------------------------------------------------------------------------

def test_article_attributions_and_fingerprints_round_trip_through_the_file(tmp_path, story):
    path = tmp_path / "sub" / "p.db"
    attributions = [credit(story, 0, "according to Wire"),
                    Attribution(story.id, "outlet:photo", "Photo", "Photo: Photo", "photo_credit",
                                2, 0, 5, None, text_source=False)]
    fingerprints = signatures(story)
    with Store(path) as store:
        assert store.add_article(story, attributions, fingerprints) == AddResult("added", story.id)
    with Store(path) as store:
        assert store.articles() == [story]
        assert store.article(story.id) == story
        assert store.article("missing") is None
        assert store.attributions() == attributions
        assert store.attributions(story.id) == attributions
        assert store.attributions("missing") == []
        # Band keys, not signatures (migration 0009): those of the signatures passed in.
        assert fingerprints and stored_keys(store) == keys_of(fingerprints, story.id)
        assert "fingerprints" not in store._db.table_names()


def test_articles_by_id_keeps_the_asked_order_and_skips_unknown_ids(store):
    first, second = make_article("a.txt", ["one"]), make_article("b.txt", ["two"])
    store.add_article(first, [])
    store.add_article(second, [])
    assert [a.id for a in store.articles()] == ["a.txt", "b.txt"]
    assert store.articles(["b.txt", "nope", "a.txt", "b.txt"]) == [second, first]
    assert store.articles([]) == []


def test_same_article_again_is_unchanged_and_writes_nothing(store, story):
    store.add_article(story, [credit(story, 0, "according to Wire")], signatures(story))
    changes = store._db.conn.total_changes
    again = store.add_article(story, [], None)
    assert again == AddResult("unchanged", story.id, story.id)
    assert store._db.conn.total_changes == changes
    assert len(store.attributions()) == 1


def test_same_content_under_another_id_is_stored_and_named_a_duplicate(store, story):
    # Two outlets printing one wire story verbatim are two publications: both are kept.
    store.add_article(story, [])
    copy = make_article("mirror/story.txt", [p.text for p in story.paragraphs],
                        content_hash=story.content_hash)
    assert store.add_article(copy, []) == AddResult("duplicate", copy.id, story.id)
    assert store.article(copy.id) == copy
    assert count(store, "articles") == 2


def test_new_content_replaces_the_article_and_drops_what_touched_it(store, story):
    other = make_article("other.txt", ["Another report."])
    store.add_article(story, [credit(story, 0, "according to Wire")], signatures(story))
    store.add_article(other, [])
    stored(store, "third.txt")
    store.save_analysis(
        [],
        [Match(story.id, other.id, "rewrite", 0.4), Match(other.id, "third.txt", "copy", 0.9)],
        [Edge(story.id, other.id, "rewrite", 0.5), Edge("outlet:wire", story.id, "attributed", 0.7),
         Edge("outlet:wire", other.id, "attributed", 0.6)],
    )
    edited = make_article(story.id, ["Port authority inspects the hub, per Wire."])
    assert store.add_article(edited, [credit(edited, 0, "per Wire")]) == AddResult("replaced", story.id)

    assert store.article(story.id) == edited
    assert [a.phrase for a in store.attributions(story.id)] == ["per Wire"]
    # The old version's keys went, recomputed from its stored text; the new one's came.
    assert stored_keys(store) == keys_of(signatures(edited), story.id)
    assert key_rows(store) == sum(map(len, stored_keys(store).values()))  # no orphan keys
    assert [(m.a, m.b) for m in store.matches()] == [(other.id, "third.txt")]
    assert [(e.parent, e.child) for e in store.edges()] == [("outlet:wire", other.id)]


def test_missing_content_hash_is_computed_from_the_text(store):
    bare = make_article("bare.txt", ["Some text."], content_hash="")
    store.add_article(bare, [])
    assert store.article("bare.txt").content_hash == content_hash("Some text.")
    assert store.add_article(bare, []).status == "unchanged"


def test_attribution_of_another_article_is_refused(store, story):
    stray = Attribution("elsewhere.txt", "outlet:wire", "Wire", "per Wire", "according_to", 0, 0, 8)
    with pytest.raises(StoreError, match="elsewhere.txt"):
        store.add_article(story, [stray])
    assert store.articles() == []


# Transactions ------------------------------------------------------------------------------

def test_a_failure_midway_leaves_no_half_article(monkeypatch, tmp_path, story):
    path = tmp_path / "p.db"
    calls = []

    def failing_row(attribution):
        calls.append(attribution)
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        return real_row(attribution)

    real_row = store_module._attribution_row
    monkeypatch.setattr(store_module, "_attribution_row", failing_row)
    attributions = [credit(story, 0, "according to Wire"), credit(story, 0, "Wire")]
    with Store(path) as store, pytest.raises(RuntimeError, match="interrupted"):
        store.add_article(story, attributions, signatures(story))
    assert len(calls) == 2  # the article and its paragraphs were written before the failure
    with Store(path) as store:
        for table in ("articles", "paragraphs", "attributions", "bands", "band_staging", "band_paragraphs"):
            assert count(store, table) == 0, table


def test_a_failed_replacement_keeps_the_old_version(store, monkeypatch, story):
    store.add_article(story, [credit(story, 0, "according to Wire")], signatures(story))
    store.save_analysis([], [], [Edge("outlet:wire", story.id, "attributed", 0.7)])

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module, "_paragraph_row", broken)
    edited = make_article(story.id, ["Entirely new text."])
    with pytest.raises(RuntimeError):
        store.add_article(edited, [])
    assert store.article(story.id) == story
    assert len(store.attributions(story.id)) == 1
    assert stored_keys(store) == keys_of(signatures(story), story.id)
    assert len(store.edges()) == 1


def test_a_database_error_becomes_store_error_and_rolls_back(store, story):
    # An SQLite error midway (the index table gone behind the store's back) is one
    # StoreError naming the article, and nothing of it stays.
    store._db.execute("DROP TABLE band_staging")
    with pytest.raises(StoreError, match=story.id):
        store.add_article(story, [], signatures(story))
    assert store.articles() == []
    assert count(store, "paragraphs") == 0


# Analysis ----------------------------------------------------------------------------------

def sample_analysis() -> tuple[list[Outlet], list[Match], list[Edge]]:
    outlets = [Outlet("outlet:wire", "Wire", ["wire.example", "wire.example.org"], in_corpus=False),
               Outlet("outlet:daily", "The Daily", [], in_corpus=True)]
    matches = [
        Match("a.txt", "b.txt", "translation", 0.91,
              [ParagraphPair(0, 0, 0.93, [Span(0, 40, 3, 51), Span(50, 60, 60, 72, quoted=True)],
                             method="embedding"),
               ParagraphPair(2, 1, 0.7, method="anchors")],
              method="embedding", a_coverage=0.8, b_coverage=0.75, direction=("a.txt", "b.txt"),
              direction_confidence=0.6, evidence=["«Theo FT» kept untranslated", "17 of 19 aligned"]),
        Match("b.txt", "c.txt", "shared_quote", 0.3, [ParagraphPair(4, 5, 0.5, [Span(1, 2, 3, 4, True)])]),
        Match("c.txt", "d.txt", "copy", 1.0),
        Match("d.txt", "e.txt", "copy", 0.7, a_score=0.7, b_score=0.25, a_kind="copy", b_kind=None),
    ]
    edges = [
        Edge("a.txt", "b.txt", "translation", 0.9, ["17 of 19 paragraphs aligned in order"],
             [{"parent": "c.txt", "kind": "rewrite", "confidence": 0.4}]),
        Edge("outlet:wire", "a.txt", "attributed", 0.8, ["'(Theo FT)' in paragraph 18"]),
    ]
    return outlets, matches, edges


ANALYSED = ("a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "x.txt", "y.txt")


def test_analysis_round_trips_through_the_file(tmp_path):
    outlets, matches, edges = sample_analysis()
    with Store(tmp_path / "p.db") as store:
        stored(store, *ANALYSED)
        store.save_analysis(outlets, matches, edges)
    with Store(tmp_path / "p.db") as store:
        assert store.outlets() == outlets
        assert store.matches() == matches
        assert store.edges() == edges


def test_numpy_scalars_are_stored_as_plain_numbers(store):
    match = Match("a.txt", "b.txt", "copy", np.float32(0.5),
                  [ParagraphPair(np.int64(1), np.int64(2), np.float64(0.25),
                                 [Span(np.int64(0), np.int64(3), np.int64(4), np.int64(7))])],
                  a_coverage=np.float32(0.125))
    stored(store, "a.txt", "b.txt")
    store.save_analysis([], [match], [Edge("a.txt", "b.txt", "copy", np.float32(0.75))])
    (back,) = store.matches()
    assert back == match
    assert type(back.score) is float and type(back.pairs[0].a_paragraph) is int
    assert store.edges()[0].confidence == 0.75


def test_saving_an_analysis_replaces_the_previous_one(store):
    stored(store, *ANALYSED)
    store.save_analysis(*sample_analysis())
    newer = ([Outlet("outlet:wire", "Wire")], [Match("x.txt", "y.txt", "copy", 0.99)], [])
    store.save_analysis(*newer)
    assert (store.outlets(), store.matches(), store.edges()) == newer
    assert count(store, "match_pairs") == 0 and count(store, "match_spans") == 0


def test_a_failed_analysis_save_keeps_the_previous_analysis(store):
    stored(store, *ANALYSED)
    store.save_analysis(*sample_analysis())
    clash = [Outlet("outlet:x", "X"), Outlet("outlet:x", "X again")]  # duplicate primary key
    with pytest.raises(StoreError):
        store.save_analysis(clash, [Match("x.txt", "y.txt", "copy", 0.99)], [])
    assert (store.outlets(), store.matches(), store.edges()) == sample_analysis()


# Embedding cache ---------------------------------------------------------------------------

def test_embeddings_are_cached_per_model_as_float32(store):
    vectors = {f"{i:040x}": np.linspace(0, 1, 8) * i for i in range(700)}  # > one query chunk
    store.put_embeddings("e5-small", vectors)
    keys = list(vectors) + ["0" * 40 + "missing"]
    found = store.get_embeddings("e5-small", keys)
    assert found.keys() == vectors.keys()
    assert found[f"{3:040x}"].dtype == np.float32
    np.testing.assert_allclose(found[f"{3:040x}"], vectors[f"{3:040x}"], rtol=1e-6)
    assert store.get_embeddings("other-model", keys) == {}

    store.put_embeddings("e5-small", {f"{3:040x}": np.ones(8)})
    np.testing.assert_array_equal(store.get_embeddings("e5-small", [f"{3:040x}"])[f"{3:040x}"], np.ones(8))


def test_embedding_must_be_a_vector():
    store = Store.memory()
    with pytest.raises(StoreError, match="1-D"):
        store.put_embeddings("m", {"k": np.ones((2, 3))})


# Schema and files --------------------------------------------------------------------------

def test_new_database_is_at_the_latest_schema_version(tmp_path):
    path = tmp_path / "p.db"
    Store(path).close()
    db = sqlite_utils.Database(path)
    assert schema_version(db) == load_migrations()[-1].version
    assert {"articles", "paragraphs", "bands", "attributions", "outlets", "matches",
            "match_pairs", "match_spans", "edges", "embeddings"} <= set(db.table_names())
    db.close()
    Store(path).close()  # reopening migrates nothing and does not fail


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "p.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StoreError, match="999.*newer"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("just some notes, not SQLite " * 50)
    with pytest.raises(StoreError, match="notes.db"):
        Store(path)


def test_migrations_apply_in_order_each_in_its_own_transaction(tmp_path):
    first = Migration(1, "0001_a.sql", "CREATE TABLE t (x INTEGER);")
    second = Migration(2, "0002_b.sql", "ALTER TABLE t ADD COLUMN y TEXT;")
    broken = Migration(3, "0003_c.sql", "CREATE TABLE u (z INTEGER); INSERT INTO nowhere VALUES (1);")
    db = sqlite_utils.Database(tmp_path / "m.db")
    assert migrate(db, [first]) == 1
    with pytest.raises(MigrationError, match="0003_c.sql"):
        migrate(db, [first, second, broken])
    assert schema_version(db) == 2
    assert db["t"].columns_dict == {"x": int, "y": str}
    assert "u" not in db.table_names()  # the failed migration left nothing behind


def test_migration_files_are_numbered_without_gaps(tmp_path):
    (tmp_path / "0001_start.sql").write_text("CREATE TABLE a (x);")
    (tmp_path / "0003_later.sql").write_text("CREATE TABLE b (x);")
    (tmp_path / "README.txt").write_text("not a migration")
    with pytest.raises(MigrationError, match="0003_later.sql"):
        load_migrations(tmp_path)
    (tmp_path / "0002_middle.sql").write_text("CREATE TABLE c (x);")
    assert [m.version for m in load_migrations(tmp_path)] == [1, 2, 3]


def test_default_db_path_prefers_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PROVENANCE_DB", str(tmp_path / "chosen.db"))
    assert default_db_path() == tmp_path / "chosen.db"

    monkeypatch.delenv("PROVENANCE_DB")
    monkeypatch.setattr(store_module.click, "get_app_dir", lambda name: str(tmp_path / "app" / name))
    path = default_db_path()
    assert path == tmp_path / "app" / "provenance" / "provenance.db"
    assert path.parent.is_dir()


def test_a_version_1_database_gains_the_match_sides_and_keeps_its_matches(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    migrate(db, load_migrations()[:1])
    for article_id in ("x.txt", "y.txt"):
        db["articles"].insert({"id": article_id, "source": article_id, "text": "x", "content_hash": article_id})
    db["matches"].insert({"id": 1, "a": "x.txt", "b": "y.txt", "kind": "rewrite", "score": 0.3, "method": "align"})
    db.close()
    with Store(path) as store:
        (match,) = store.matches()
    assert schema_version(sqlite_utils.Database(path)) == load_migrations()[-1].version
    assert (match.a_score, match.b_score, match.a_kind, match.b_kind) == (None, None, None, None)
    # Without sides, a match reads the same both ways: its own kind and score.
    assert match.as_copy("x.txt") == match.as_copy("y.txt") == ("rewrite", 0.3)


# Compact schema ------------------------------------------------------------------------------

def test_paragraph_text_is_stored_once_unless_it_differs_from_the_article_slice(store, story):
    story.paragraphs[1].text = "Officials declined to comment."  # not the slice: kept as written
    store.add_article(story, [])
    stored = dict(store._db.execute("SELECT paragraph_index, text FROM paragraphs").fetchall())
    assert stored == {0: None, 1: "Officials declined to comment.", 2: None}
    assert store.articles() == [story]


def test_signatures_for_paragraphs_the_article_lacks_are_refused(store, story):
    with pytest.raises(StoreError, match="does not have: \\[99\\]"):
        store.add_article(story, [], {**signatures(story), 99: np.zeros(128, dtype=np.uint32)})
    assert store.article(story.id) is None and key_rows(store) == 0


def test_a_database_from_before_the_compact_schema_migrates_with_its_data(tmp_path, story):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db, load_migrations()[:3])  # the schema before the compact one (0005)
    db["articles"].insert({"id": story.id, "source": story.source, "text": story.text,
                           "content_hash": story.content_hash, "format": "txt", "language": "en"})
    db["paragraphs"].insert_all({"article_id": story.id, "paragraph_index": p.index,
                                 "start_offset": p.start, "end_offset": p.end, "text": p.text,
                                 "language": p.language, "boilerplate": p.boilerplate}
                                for p in story.paragraphs)
    db["fingerprints"].insert_all({"article_id": story.id, "paragraph_index": i,
                                   "hashvalues": np.arange(128, dtype="<u8").tobytes()} for i in (0, 1))
    db.conn.commit()
    db.close()

    with Store(path) as store:
        [article] = store.articles()
        assert [p.text for p in article.paragraphs] == [p.text for p in story.paragraphs]
        assert store._db.execute("SELECT count(*) FROM paragraphs WHERE text IS NOT NULL").fetchone()[0] == 0
        # Signatures are not kept (0009); the article, stored before the band index, gets
        # its keys from its text at the next analysis.
        assert "fingerprints" not in store._db.table_names()
        assert store.unbanded_articles() == [story.id]
        pipeline.analyse(store, crosslingual_embeddings=False)
        assert stored_keys(store) == keys_of(signatures(story), story.id) != {}
        # The rebuilt tables keep their cascades: replacing the article replaces its keys.
        replaced = make_article(story.id, ["Replaced text of the story, long enough to be matched on its own."])
        store.add_article(replaced, [])
        assert stored_keys(store) == keys_of(signatures(replaced), story.id)


def test_signatures_of_an_older_hash_are_recomputed_with_their_band_keys_on_open(tmp_path):
    """A database from before migration 0007 holds band keys of SHA-1 signatures: opened
    by this version, its band keys are those the current hash gives (recomputed from the
    text), pruned paragraphs stay out of the index, and new articles find the archive's."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(500)]
    texts = [" ".join(rng.choice(words, 60)) for _ in range(3)]
    source = tmp_path / "in"
    source.mkdir()
    for i, text in enumerate(texts):
        (source / f"a{i}.txt").write_text(f"Title {i}\n\n{text}\n", encoding="utf-8")
    path = tmp_path / "old.db"
    with Store(path) as store:
        pipeline.ingest([str(source)], store)
        pipeline.analyse(store, crosslingual_embeddings=False)
        # As version 6 left it: the setting says SHA-1, and the stored keys are other ones.
        conn = store._db.conn
        current = stored_keys(store)
        conn.execute("UPDATE bands SET key = -key - 7")
        conn.execute("UPDATE settings SET value = 'sha1-32'")
        conn.execute("DELETE FROM band_paragraphs WHERE article = (SELECT number FROM articles WHERE id = ?)",
                     [str(source / "a2.txt")])  # pruned
        conn.commit()
    with Store(path) as store:
        assert store._db.execute("SELECT value FROM settings").fetchone()[0] == fp.HASH
        expected = {}
        for article in store.articles():
            if not article.id.endswith("a2.txt"):
                expected |= keys_of(signatures(article), article.id)
        assert stored_keys(store) == expected == {k: v for k, v in current.items() if not k[0].endswith("a2.txt")}
    # A reprint of a0 traced against the archive is found through the rewritten keys.
    (tmp_path / "new.txt").write_text(f"Reprint\n\n{texts[0]}\n", encoding="utf-8")
    result = pipeline.trace([str(tmp_path / "new.txt")], db_path=str(path), crosslingual=False)
    assert {(e.child, e.parent) for e in result.edges} >= {(str(tmp_path / "new.txt"), str(source / "a0.txt"))}


def test_a_throw_away_store_keeps_no_indexes_and_traces_the_same(tmp_path):
    """``trace`` without --db uses Store.memory(indexed=False): no full-text index, band
    keys or document frequencies are written, and the forest is the same."""
    from pathlib import Path

    from provenance import pipeline

    seeds = Path(__file__).resolve().parents[1] / "seeds"
    results = {}
    for indexed in (True, False):
        with Store.memory(indexed=indexed, full_text=True) as store:
            pipeline.ingest([str(seeds)], store)
            counts = {
                "bands": store._db.execute("SELECT COUNT(*) FROM bands").fetchone()[0],
                "search": store._db.execute(
                    "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'Alibaba'"
                ).fetchone()[0],
                "words": store.vocabulary([])[0],
            }
            _, edges, _, _ = pipeline.analyse(store, crosslingual_embeddings=False)
            results[indexed] = (counts, sorted((e.child, e.parent, e.kind) for e in edges))
    assert all(n > 0 for n in results[True][0].values())
    assert results[False][0] == {"bands": 0, "search": 0, "words": 0}
    assert results[True][1] == results[False][1]
    with pytest.raises(ValueError):
        Store(tmp_path / "kept.db", indexed=False)


def test_a_failed_article_inside_a_batch_leaves_nothing_and_the_rest_is_stored(tmp_path, story):
    with Store(tmp_path / "b.db") as store:
        with store.batch():
            store.add_article(story, [], signatures(story))
            bad = make_article("bad.txt", ["A paragraph long enough to carry a fingerprint of its own."])
            with pytest.raises(StoreError, match="does not have"):  # raised after its rows went in
                store.add_article(bad, [], {7: np.zeros(128, dtype=np.uint32)})
            store.add_article(make_article("good.txt", ["Another paragraph, stored."]), [])
            assert store._db.conn.in_transaction  # one commit for the whole batch
        assert not store._db.conn.in_transaction
    with Store(tmp_path / "b.db") as store:
        assert sorted(a.id for a in store.articles()) == sorted([story.id, "good.txt"])
        # bad.txt's number may be good.txt's now (the rollback freed it): count them all.
        assert count(store, "paragraphs") == len(story.paragraphs) + 1


def test_an_error_inside_a_batch_rolls_the_whole_batch_back(tmp_path, story):
    with Store(tmp_path / "b.db") as store:
        with pytest.raises(RuntimeError):
            with store.batch():
                store.add_article(story, [], signatures(story))
                raise RuntimeError("interrupted")
        assert store.articles() == []


def _furniture_article(folder, name, story, outlet="Daily Bugle"):
    import json

    text = f"{story}\n\nFollow our live coverage on the app for more updates."
    (folder / f"{name}.json").write_text(
        json.dumps({"title": name, "text": text, "outlet": outlet}), encoding="utf-8"
    )
    return folder / f"{name}.json"


def _boilerplate_of(store, article_id):
    return [p.boilerplate for p in store.article(article_id).paragraphs]


# Staged band keys (migration 0011) ----------------------------------------------------------

def reprint(article: Article, article_id: str) -> Article:
    return make_article(article_id, [p.text for p in article.paragraphs])


def test_band_keys_are_staged_and_merged_in_key_order_before_a_lookup(tmp_path, story):
    path = tmp_path / "staged.db"
    with Store(path) as store:
        store.add_article(story, [], signatures(story))
        store.add_article(reprint(story, "copy.txt"), [])
        staged = count(store, "band_staging")
        assert count(store, "bands") == 0 and staged == sum(map(len, stored_keys(store).values())) > 0
    # A later run (or an interrupted ingest's next one) finds them all by lookup.
    with Store(path) as store:
        partners = list(store.band_partners(["copy.txt"]))
        assert {(a[0], b[0]) for a, b in partners} == {("copy.txt", story.id)}
        assert count(store, "band_staging") == 0 and count(store, "bands") == staged
        keys = [k for (k,) in store._db.execute("SELECT key FROM bands")]
        assert keys == sorted(keys) and stored_keys(store) == {
            **keys_of(signatures(story), story.id), **keys_of(signatures(story), "copy.txt")}


def test_staged_keys_merge_on_their_own_once_they_reach_a_share_of_the_index(tmp_path, monkeypatch, story):
    monkeypatch.setattr(store_module, "STAGE_MIN_KEYS", 50)
    monkeypatch.setattr(store_module, "STAGE_SHARE", 0.5)
    per_article = sum(map(len, keys_of(signatures(story), story.id).values()))
    with Store(tmp_path / "s.db") as store:
        sizes = []
        for n in range(8):
            store.add_article(reprint(story, f"copy-{n}.txt"), [])
            sizes.append((count(store, "bands"), count(store, "band_staging")))
        assert sum(sizes[-1]) == 8 * per_article  # nothing lost or doubled by the merges
        merged_after = [n for n, (merged, staged) in enumerate(sizes) if staged == 0]
        assert merged_after and merged_after != list(range(8))  # merges happen, not at every article
        for merged, staged in sizes:  # never more staged than the share (or the minimum) allows
            assert staged < max(50, 0.5 * merged) + per_article


def test_ingest_leaves_no_key_staged_and_a_read_only_file_with_staged_keys_says_so(tmp_path, monkeypatch, story):
    import os

    from click.testing import CliRunner

    from provenance.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(story.text, encoding="utf-8")
    path = tmp_path / "i.db"
    with Store(path) as store:
        pipeline.ingest([str(folder)], store)
        assert count(store, "band_staging") == 0 and count(store, "bands") > 0
        store.add_article(make_article("late.txt", [p.text for p in story.paragraphs] + ["A line of its own."]), [])
        assert count(store, "band_staging") > 0  # as an ingest interrupted after its commit leaves it
    # Root may write a 0444 file anyway: tell the store what a normal user's access is.
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == path
                        and mode & os.W_OK else real_access(p, mode, **kw))
    with Store(path) as store:
        assert store.read_only
        with pytest.raises(StoreError, match="read-only and holds band keys not yet merged"):
            list(store.band_partners(["late.txt"]))
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["tree", "--db", str(path), "--refresh", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "late.txt" in result.stdout and path.read_bytes() == before  # analysed in a copy


def test_an_outlets_furniture_is_found_in_the_archive_by_its_wording_key(tmp_path):
    """The second article of an outlet printing the archive's footer line is marked
    ``repeated`` in a later ingest (two prints of a short line), found through the stored
    wording keys; another outlet's identical line is not; storing an article again under
    its id does not count it twice."""
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    a = _furniture_article(first, "a", "A first story about the harbour strike and the unions in the city.")
    with Store(tmp_path / "s.db") as store:
        pipeline.ingest([str(first)], store)
        assert _boilerplate_of(store, str(a)) == [None, None]  # one print: content for now
        b = _furniture_article(second, "b", "A second story about the election campaign and the polls.")
        other = _furniture_article(second, "c", "A story of another paper on the same harbour strike.", outlet="Other Paper")
        pipeline.ingest([str(second)], store)
        assert _boilerplate_of(store, str(b)) == [None, "repeated"]
        assert _boilerplate_of(store, str(other)) == [None, None]
        assert store.wording_counts("outlet:daily-bugle", None, [segment.wording_key(
            "Follow our live coverage on the app for more updates.")]) == {
            segment.wording_key("follow our LIVE coverage on the app, for more updates"): 2}
        # c, edited and stored again under its id: still the only print of its paper.
        _furniture_article(second, "c", "A story of another paper on the harbour strike, now over.", outlet="Other Paper")
        pipeline.ingest([str(second)], store)
        assert _boilerplate_of(store, str(other)) == [None, None]  # not the old c and the new
        assert _boilerplate_of(store, str(b)) == [None, "repeated"]
        _furniture_article(third, "d", "A story about a storm, from the agency wire.", outlet="Other Paper")
        pipeline.ingest([str(third)], store)
        assert _boilerplate_of(store, str(third / "d.json")) == [None, "repeated"]


def test_a_footer_in_every_article_is_counted_only_as_far_as_the_check_needs(tmp_path, monkeypatch):
    """An outlet's footer is in every one of its articles: the check stops counting at
    segment.REPEATED_PRINTS instead of reading every print of it for each new article."""
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(6):
        _furniture_article(folder, f"s{n}", f"Story number {n} about the harbour, told in its own words.")
    footer = segment.wording_key("Follow our live coverage on the app for more updates.")
    with Store(tmp_path / "f.db") as store:
        pipeline.ingest([str(folder)], store)
        assert store.wording_counts("outlet:daily-bugle", None, [footer]) == {footer: 6}
        assert store.wording_counts("outlet:daily-bugle", None, [footer, 12345], at_most=3) == {footer: 3}
        excluded = [str(folder / f"s{n}.json") for n in range(4)]
        assert store.wording_counts("outlet:daily-bugle", None, [footer], exclude=excluded, at_most=3) == {footer: 2}
        assert store.wording_counts("outlet:other-paper", None, [footer], at_most=3) == {}
        # What ingest asks: the check never needs more than REPEATED_PRINTS.
        asked = []
        real = Store.wording_counts
        monkeypatch.setattr(Store, "wording_counts", lambda self, *a, **kw: asked.append(kw.get("at_most")) or real(self, *a, **kw))
        _furniture_article(folder, "s6", "A seventh story, about the weather.")
        pipeline.ingest([str(folder)], store)
        assert asked and set(asked) == {segment.REPEATED_PRINTS}
        assert _boilerplate_of(store, str(folder / "s6.json")) == [None, "repeated"]


def test_wording_keys_of_an_older_database_are_computed_on_open(tmp_path, story):
    path = tmp_path / "old.db"
    with Store(path) as store:
        store.add_article(story, [])
        store._db.execute("UPDATE paragraphs SET wording = NULL")
        store._db.conn.commit()
    with Store(path) as store:
        rows = store._db.execute("SELECT paragraph_index, wording FROM paragraphs ORDER BY paragraph_index").fetchall()
        assert rows == [(p.index, segment.wording_key(p.text)) for p in story.paragraphs]


def test_the_full_text_index_can_be_dropped_and_built_again(tmp_path):
    """``search-index --off`` drops articles_fts and shrinks the file; articles stored
    meanwhile are found once ``--on`` rebuilds it; Datasette's metadata follows."""
    from pathlib import Path

    from click.testing import CliRunner

    from provenance.cli import main

    seeds = Path(__file__).resolve().parents[1] / "seeds"
    path = tmp_path / "s.db"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(seeds), "--db", str(path)]).exit_code == 0
    with Store(path) as store:
        assert not store.full_text  # a new file goes without, unless asked
    built = runner.invoke(main, ["search-index", "--db", str(path), "--on"])
    assert built.exit_code == 0 and "full-text index kept" in built.output
    before = path.stat().st_size
    done = runner.invoke(main, ["search-index", "--db", str(path), "--off"])
    assert done.exit_code == 0 and "full-text index dropped" in done.output
    assert path.stat().st_size < before * 0.8
    late = tmp_path / "late.txt"
    late.write_text("Harbour strike\n\nDockers in Antwerp walked out over the new Alibaba contract terms.\n")
    assert runner.invoke(main, ["ingest", str(late), "--db", str(path)]).exit_code == 0
    with Store(path) as store:
        assert not store.full_text
        assert "fts_table" not in store.datasette_metadata()["databases"]["s"]["tables"]["articles"]
    assert "dropped" in runner.invoke(main, ["search-index", "--db", str(path)]).output
    assert "already dropped" in runner.invoke(main, ["search-index", "--db", str(path), "--off"]).output
    assert runner.invoke(main, ["search-index", "--db", str(path), "--on"]).exit_code == 0
    with Store(path) as store:
        assert store.full_text
        found = {r[0] for r in store._db.execute(
            "SELECT a.id FROM articles_fts f JOIN articles a ON a.rowid = f.rowid WHERE articles_fts MATCH 'Antwerp'")}
        assert found == {str(late)}
        assert store._db.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'Alibaba'").fetchone()[0] >= 4
        assert store.datasette_metadata()["databases"]["s"]["tables"]["articles"]["fts_table"] == "articles_fts"
        # Kept in step again: a deletion leaves the index too.
        store.add_article(make_article(str(late), ["Replaced: nothing about ports here at all."]), [])
        assert not store._db.execute("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'Antwerp'").fetchone()[0]


def write_old_file(path, version: int, articles: list[Article], *, removed: int = 0) -> dict[str, int]:
    """A database file as schema ``version`` (8 or 9) left it, written row by row in that
    schema's layout: ``articles`` with their paragraphs, band keys (64-bit ones and the
    fingerprints table at version 8, 48-bit ones at 9) and full-text index; ``removed``
    articles stored and deleted (half before them, half after) leave gaps in the rowids
    and in the indexed paragraphs' ids, as replacing articles does. Returns each
    article's rowid."""
    import hashlib

    db = sqlite_utils.Database(path)
    db.execute("PRAGMA foreign_keys = ON")
    migrate(db, load_migrations()[:version])
    db.execute("UPDATE settings SET value = ?", [fp.HASH])
    gone = [make_article(f"gone{i}.txt", [f"Removed article {i}, long enough to carry band keys of its own."])
            for i in range(removed)]
    rowids = {}
    for article in gone[: removed // 2] + articles + gone[removed // 2 :]:
        rowids[article.id] = db["articles"].insert({
            "id": article.id, "source": article.source, "text": article.text, "title": article.title,
            "published": article.published, "content_hash": article.content_hash, "format": article.format,
            "language": article.language, "outlet": article.outlet, "outlet_name": article.outlet_name,
            "url": article.url, "domain": article.domain}).last_rowid
        db["paragraphs"].insert_all({
            "article_id": article.id, "paragraph_index": p.index, "start_offset": p.start, "end_offset": p.end,
            "text": None, "language": p.language, "boilerplate": p.boilerplate,
            "wording": segment.wording_key(p.text)} for p in article.paragraphs)
        for index, values in signatures(article).items():
            paragraph = db["band_paragraphs"].insert({
                "article_id": article.id, "paragraph_index": index,
                "day": candidates.day_of(article.published)}).last_rowid
            if version == 8:
                data = np.asarray(values, dtype="<u8")
                keys = [int.from_bytes(hashlib.blake2b(b.to_bytes(2, "little") + data[b * 3:b * 3 + 3].tobytes(),
                                                       digest_size=8).digest(), "little", signed=True)
                        for b in range(candidates.BANDS)]
                db["fingerprints"].insert({"article_id": article.id, "paragraph_index": index,
                                           "hashvalues": np.asarray(values, dtype="<u4").tobytes()})
            else:
                keys = candidates.band_keys(values)
            db["bands"].insert_all(({"key": k, "paragraph": paragraph} for k in set(keys)), ignore=True)
    for article in gone:  # as Store removed an article: its index rows first
        db.execute("DELETE FROM bands WHERE paragraph IN (SELECT id FROM band_paragraphs WHERE article_id = ?)",
                   [article.id])
        db.execute("DELETE FROM band_paragraphs WHERE article_id = ?", [article.id])
        db.execute("DELETE FROM articles WHERE id = ?", [article.id])
        del rowids[article.id]
    db.conn.commit()
    db.close()
    return rowids


def test_band_keys_of_a_version_8_database_keep_their_top_48_bits_and_still_match(tmp_path):
    """Migration 0009 on a file of the previous schema: the 64-bit keys become their top
    48 bits (what band_keys now gives), the signatures table goes, and a reprint traced
    against the archive is found through the migrated keys."""
    rng = np.random.default_rng(8)
    words = [f"w{i}" for i in range(500)]
    text = " ".join(rng.choice(words, 60))
    original = make_article(str(tmp_path / "a.txt"), ["Title", text], language="en")
    path = tmp_path / "v8.db"
    write_old_file(path, 8, [original])
    with Store(path) as store:
        assert stored_keys(store) == keys_of(signatures(original), original.id) != {}
        assert "fingerprints" not in store._db.table_names()
    (tmp_path / "new.txt").write_text(f"Reprint\n\n{text}\n", encoding="utf-8")
    result = pipeline.trace([str(tmp_path / "new.txt")], db_path=str(path), crosslingual=False)
    assert (str(tmp_path / "new.txt"), original.id) in {(e.child, e.parent) for e in result.edges}


def test_a_version_9_database_names_articles_by_number_and_keeps_everything(tmp_path, story):
    """Migration 0010: articles get their rowid as ``number``, the per-paragraph tables
    and decisions name it, the indexed paragraphs keep their ids and their sequence (an
    id is never reused), the full-text index keeps working (its triggers are put back),
    the views read as before and removing an article still cascades."""
    rng = np.random.default_rng(9)
    words = [f"w{i}" for i in range(500)]
    wire = make_article("wire/a.txt", ["Wire report", " ".join(rng.choice(words, 60)), "Distant harbour strike."],
                        language="en", published="2026-01-01")
    path = tmp_path / "v9.db"
    rowids = write_old_file(path, 9, [story, wire], removed=2)
    before = sqlite_utils.Database(path)
    old_ids = before.execute("SELECT b.id, b.article_id, b.paragraph_index FROM band_paragraphs b").fetchall()
    sequence = before.execute("SELECT seq FROM sqlite_sequence WHERE name = 'band_paragraphs'").fetchone()[0]
    before["decisions"].insert({"article_id": story.id, "parent": None})
    before["edges"].insert({"parent": "outlet:wire", "child": story.id, "kind": "attributed", "confidence": 0.5})
    before.conn.commit()
    before.close()
    assert sequence > max(i for i, _, _ in old_ids)  # the removed articles' ids are past the kept ones

    with Store(path) as store:
        db = store._db
        assert dict(db.execute("SELECT id, number FROM articles").fetchall()) == rowids
        assert store.article_ids() == [story.id, wire.id] and store.articles() == [story, wire]
        assert db.execute("SELECT b.id, a.id, b.paragraph_index FROM band_paragraphs b "
                          "JOIN articles a ON a.number = b.article").fetchall() == old_ids
        assert db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'band_paragraphs'").fetchone()[0] == sequence
        assert stored_keys(store) == {**keys_of(signatures(story), story.id), **keys_of(signatures(wire), wire.id)}
        assert store.decided_articles() == {story.id} and store.undecided_articles() == [wire.id]
        assert db.execute("SELECT child, parent_type FROM edges_readable").fetchall() == [(story.id, "outlet")]
        assert db.execute("SELECT article, hops FROM article_origins ORDER BY article").fetchall() == [
            (story.id, 1), (wire.id, 0)]
        assert store.full_text
        fresh = make_article("late.txt", ["A late bulletin about the lighthouse keepers."])
        store.add_article(fresh, [])
        found = db.execute("SELECT a.id FROM articles_fts JOIN articles a ON a.number = articles_fts.rowid "
                           "WHERE articles_fts MATCH ? ORDER BY a.id", ["harbour OR lighthouse"]).fetchall()
        assert found == [("late.txt",), (wire.id,)]
        # The new article's indexed paragraphs continue the sequence; none reuses an id.
        assert min(i for i, in db.execute("SELECT b.id FROM band_paragraphs b JOIN articles a "
                                          "ON a.number = b.article WHERE a.id = 'late.txt'")) > sequence
        # Cascades: replacing the story drops its paragraphs, index rows and decision.
        store.add_article(make_article(story.id, ["Replaced text of the story, long enough to be matched."]), [])
        assert store.decided_articles() == set()
        assert db.execute("SELECT count(*) FROM paragraphs p JOIN articles a ON a.number = p.article "
                          "WHERE a.id = ?", [story.id]).fetchone()[0] == 1
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    reprint = tmp_path / "reprint.json"
    reprint.write_text(json.dumps({"title": "Reprint", "text": wire.paragraphs[1].text, "published": "2026-01-03"}),
                       encoding="utf-8")
    result = pipeline.trace([str(reprint)], db_path=str(path), crosslingual=False)
    assert (str(reprint), wire.id) in {(e.child, e.parent) for e in result.edges}
