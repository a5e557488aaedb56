"""Candidate engines: band keys, the stored index, incremental tracing, window and prune."""
import hashlib
import importlib.util
import json
import random
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHashLSH

from provenance import align, candidates, pipeline
from provenance.candidates import Signature, band_keys
from provenance.candidates.stored import StoredEngine
from provenance.fingerprint import NUM_PERM, from_hashvalues, minhash
from provenance.store import Store

WORDS = (
    "council harbour vote budget minister river bridge school hospital farmers rain storm "
    "price grain fuel court judge police mayor union strike wage talks report officials "
    "company shares market bank rate loan export import border road rail airport festival "
    "museum library water power grid plant factory workers contract tender audit inquiry"
).split()


def sentence(rng: random.Random, n: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(3))


def edited(rng: random.Random, text: str, share: float = 0.1) -> str:
    words = text.split()
    for i in range(len(words)):
        if rng.random() < share:
            words[i] = rng.choice(WORDS)
    return " ".join(words)


def edited_paragraphs(rng: random.Random, text: str, share: float) -> str:
    """An edited copy that keeps its paragraphs (``edited`` runs them into one)."""
    return "\n\n".join(edited(rng, p, share) for p in text.split("\n\n"))


def write_story(folder, rng, name, day, copies, outlet_base=0):
    """A source article and ``copies`` lightly edited copies a day later, as JSON files."""
    source = [paragraph(rng) for _ in range(4)]
    paths = []
    for k in range(copies + 1):
        paragraphs = source if k == 0 else [edited(rng, p) for p in source[: 3 + (k % 2)]]
        if k:
            paragraphs = paragraphs + [paragraph(rng)]  # each copy adds text of its own
        path = folder / f"{name}-{k}.json"
        path.write_text(json.dumps({
            "title": f"{name} {k}",
            "published": f"2025-03-{day + (1 if k else 0):02d}",
            "outlet": f"Outlet {outlet_base + k}",
            "text": "\n\n".join(paragraphs),
        }))
        paths.append(str(path))
    return paths


def summary(store: Store):
    matches = sorted((m.a, m.b, m.kind, m.score, m.a_score, m.b_score, len(m.pairs)) for m in store.matches())
    edges = sorted((e.parent, e.child, e.kind, e.confidence) for e in store.edges())
    return matches, edges


def dangling_keys(store: Store) -> int:
    """Band keys whose paragraph left the index, and indexed paragraphs short of keys."""
    conn = store._db.conn
    orphans = conn.execute("SELECT COUNT(*) FROM bands WHERE paragraph NOT IN (SELECT id FROM band_paragraphs)").fetchone()[0]
    short = conn.execute(
        "SELECT COUNT(*) FROM band_paragraphs p WHERE (SELECT COUNT(*) FROM bands b WHERE b.paragraph = p.id) != ?",
        [candidates.BANDS],
    ).fetchone()[0]
    return orphans + short


def test_band_keys_are_a_pure_function_of_the_signature():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 2**32, size=NUM_PERM, dtype=np.uint64)
    keys = band_keys(values)
    assert len(keys) == candidates.BANDS and keys == band_keys(values.copy())
    assert all(-(2**47) <= k < 2**47 for k in keys)
    changed = values.copy()
    changed[4] += 1  # row 4 is in band 1 (3 rows a band): only that key changes
    assert [a == b for a, b in zip(keys, band_keys(changed))] == [i != 1 for i in range(candidates.BANDS)]


def test_band_keys_follow_the_stored_format():
    """The format databases, Parquet files and Spark jobs share: BLAKE2b (8 bytes) of the
    band number (2 bytes) and the band's 3 values (uint64), all little-endian, read as a
    signed little-endian integer whose top 48 bits are the key (shifted right by 16)."""
    values = np.random.default_rng(7).integers(0, 2**32, size=NUM_PERM, dtype=np.uint32)
    wide = values.astype("<u8")
    expected = [
        int.from_bytes(hashlib.blake2b(band.to_bytes(2, "little") + wide[band * 3:band * 3 + 3].tobytes(),
                                       digest_size=8).digest(), "little", signed=True) >> 16
        for band in range(candidates.BANDS)
    ]
    assert band_keys(values) == expected


def test_stored_engine_finds_what_datasketch_minhashlsh_finds(tmp_path):
    rng = random.Random(3)
    base = [set(paragraph(rng).split()) for _ in range(30)]
    sets = base + [set(list(s)[: len(s) * 2 // 3]) | {f"x{i}"} for i, s in enumerate(base[:15])]
    signatures = [Signature(f"a{i}", 0, minhash({*s}).hashvalues) for i, s in enumerate(sets)]
    lsh = MinHashLSH(threshold=0.3, num_perm=NUM_PERM)
    for s in signatures:
        lsh.insert(s.article, from_hashvalues(s.hashvalues))
    expected = {
        tuple(sorted((s.article, other))) for s in signatures
        for other in lsh.query(from_hashvalues(s.hashvalues)) if other != s.article
    }
    with Store.memory() as store:
        for s in signatures:
            store._db.table("articles").insert({"id": s.article, "source": s.article, "text": "", "content_hash": s.article})
        found = {(a, b) for (a, _), (b, _) in StoredEngine(store).pairs(signatures)}
    assert expected and found == expected


def test_incremental_trace_equals_a_trace_from_scratch(tmp_path, monkeypatch):
    rng = random.Random(11)
    archive = write_story(tmp_path, rng, "alpha", 3, 2) + write_story(tmp_path, rng, "beta", 10, 2, 10)
    # New articles: a late copy of an archived story and a story of their own.
    alpha_source = json.loads((tmp_path / "alpha-0.json").read_text())
    late = tmp_path / "late.json"
    late.write_text(json.dumps({"title": "late", "published": "2025-03-06", "outlet": "Outlet 40",
                                "text": edited_paragraphs(rng, alpha_source["text"], 0.05)}))
    # ...and the wire story an archived article came from, published a day before it:
    # the archive's own decisions in that story must be redrawn.
    beta_source = json.loads((tmp_path / "beta-0.json").read_text())
    wire = tmp_path / "wire.json"
    wire.write_text(json.dumps({**beta_source, "title": "wire", "published": "2025-03-09", "outlet": "Agency",
                                "text": beta_source["text"] + "\n\n" + paragraph(rng)}))
    new = [str(late), str(wire)] + write_story(tmp_path, rng, "gamma", 20, 1, 20)

    first = tmp_path / "incremental.db"
    pipeline.trace(archive, db_path=str(first), crosslingual=False, engine="stored")
    compared = []
    real_compare = align.compare
    monkeypatch.setattr(align, "compare", lambda a, *rest: compared.append((a.id, rest[1].id)) or real_compare(a, *rest))
    result = pipeline.trace(new, db_path=str(first), crosslingual=False)
    monkeypatch.setattr(align, "compare", real_compare)

    # Only pairs with a new side were aligned: the archive's own pairs were not redone.
    assert compared and all(a in new or b in new for a, b in compared)
    assert any(e.child == str(late) and e.parent == archive[0] for e in result.edges)
    with Store(first) as store:
        assert any(e.child == archive[3] and e.parent == str(wire) for e in store.edges())

    scratch = tmp_path / "scratch.db"
    pipeline.trace(archive + new, db_path=str(scratch), crosslingual=False, engine="stored")
    with Store(first) as a, Store(scratch) as b:
        assert summary(a) == summary(b)
        assert a.undecided_articles() == []


def test_window_keeps_parents_within_days_of_the_child(tmp_path):
    rng = random.Random(5)
    paths = write_story(tmp_path, rng, "story", 1, 1)
    later = tmp_path / "later.json"
    source = json.loads((tmp_path / "story-0.json").read_text())
    later.write_text(json.dumps({**source, "published": "2025-03-25", "outlet": "Outlet 9", "title": "later"}))
    found = pipeline.trace(paths + [str(later)], crosslingual=False)
    assert any(e.child == str(later) for e in found.edges if e.parent in paths)
    windowed = pipeline.trace(paths + [str(later)], crosslingual=False, window_days=7)
    assert {frozenset((m.a, m.b)) for m in windowed.matches} == {frozenset(paths)}


def test_prune_drops_old_band_keys_not_articles(tmp_path):
    rng = random.Random(8)
    paths = write_story(tmp_path, rng, "old", 1, 1) + write_story(tmp_path, rng, "recent", 20, 1, 5)
    db = tmp_path / "p.db"
    pipeline.trace(paths, db_path=str(db), crosslingual=False)
    with Store(db) as store:
        before = store._db["bands"].count
        counts = store.prune_bands("2025-03-10")
        assert counts["articles"] == 2 and counts["keys"] == before - store._db["bands"].count > 0
        assert len(store.articles()) == 4
        assert {a for a, _ in store.banded_paragraphs([p for p in paths])} == set(paths[2:])
        assert not dangling_keys(store)


def test_incremental_trace_finds_a_translation_of_an_archived_article(tmp_path):
    seeds = sorted(str(p) for p in (Path(__file__).parent.parent / "seeds").glob("*.txt"))
    archive, new = seeds[:1] + seeds[2:], seeds[1:2]  # the Vietnamese original comes later
    first = tmp_path / "incremental.db"
    pipeline.trace(archive, db_path=str(first), crosslingual=False, engine="stored")
    result = pipeline.trace(new, db_path=str(first), crosslingual=False)
    assert any(m.kind == "translation" and set(new) <= {m.a, m.b} for m in result.matches)
    scratch = tmp_path / "scratch.db"
    pipeline.trace(archive + new, db_path=str(scratch), crosslingual=False, engine="stored")
    with Store(first) as a, Store(scratch) as b:
        assert summary(a) == summary(b)


def test_prune_sign_and_window_on_the_command_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from provenance.cli import main

    monkeypatch.chdir(tmp_path)
    rng = random.Random(2)
    paths = write_story(tmp_path, rng, "cli", 1, 1)
    runner = CliRunner()
    bad = runner.invoke(main, ["trace", *paths, "--window", "soon", "--no-embeddings"])
    assert bad.exit_code == 2 and "7d or 2w" in bad.output
    assert runner.invoke(main, ["trace", *paths, "--master", "local[1]", "--no-embeddings"]).exit_code == 2
    traced = runner.invoke(main, ["trace", *paths, "--db", "c.db", "--window", "1w", "--no-embeddings"])
    assert traced.exit_code == 0, traced.output
    if importlib.util.find_spec("pyarrow") is not None:
        signed = runner.invoke(main, ["sign", "--db", "c.db", "-o", "signed"])
        assert signed.exit_code == 0 and "2 day(s)" in signed.output
        assert sorted(p.name for p in (tmp_path / "signed" / "bands").iterdir()) == ["day=2025-03-01", "day=2025-03-02"]
    pruned = runner.invoke(main, ["prune", "--before", "2025-03-02", "--db", "c.db"])
    assert pruned.exit_code == 0 and "of 1 articles published before 2025-03-02" in pruned.output
    assert runner.invoke(main, ["prune", "--before", "March", "--db", "c.db"]).exit_code == 2


def test_stored_document_frequencies_follow_ingest_and_replacement(tmp_path):
    from collections import Counter

    rng = random.Random(4)
    paths = write_story(tmp_path, rng, "df", 1, 2)
    db = tmp_path / "df.db"
    with Store(db) as store:
        pipeline.ingest(paths, store)
    replaced = json.loads((tmp_path / "df-2.json").read_text())
    (tmp_path / "df-2.json").write_text(json.dumps({**replaced, "text": paragraph(rng) + "\n\n" + paragraph(rng)}))
    with Store(db) as store:
        assert pipeline.ingest(paths, store).added == [paths[2]]
        expected = Counter()
        for article in store.articles():
            expected.update(align.article_words(article))
        size, df = store.vocabulary(set(expected) | {"absent"})
        assert not dangling_keys(store)  # the replaced text's keys went with it
    assert size == 3 and df == dict(expected)


def test_new_pairs_are_weighed_as_in_a_full_analysis_of_a_large_archive(tmp_path):
    rng = random.Random(21)
    archive = [p for k in range(11) for p in write_story(tmp_path, rng, f"s{k}", 1 + k, 2, 10 * k)]
    source = json.loads((tmp_path / "s3-0.json").read_text())
    late = tmp_path / "late.json"
    late.write_text(json.dumps({"title": "late", "published": "2025-03-06", "outlet": "Outlet 99",
                                "text": edited_paragraphs(rng, source["text"], 0.12)}))
    first, scratch = tmp_path / "incremental.db", tmp_path / "scratch.db"
    pipeline.trace(archive, db_path=str(first), crosslingual=False, engine="stored")
    pipeline.trace([str(late)], db_path=str(first), crosslingual=False)
    pipeline.trace(archive + [str(late)], db_path=str(scratch), crosslingual=False, engine="stored")

    def with_late(store):
        return sorted((m.a, m.b, m.kind, m.a_score, m.b_score, tuple(m.evidence)) for m in store.matches()
                      if str(late) in (m.a, m.b))

    with Store(first) as a, Store(scratch) as b:
        found = with_late(a)
        assert found and found == with_late(b)
        assert any("rarity-weighted" in line for m in found for line in m[-1])  # weighed, not skipped


def test_a_crowded_band_key_is_skipped_and_said(tmp_path, capsys):
    rng = random.Random(9)
    template = paragraph(rng)
    paths = []
    for k in range(5):  # five reports sharing one stock paragraph, nothing else
        path = tmp_path / f"t{k}.json"
        path.write_text(json.dumps({"title": f"t{k}", "published": "2025-03-01", "outlet": f"Outlet {k}",
                                    "text": template + "\n\n" + paragraph(rng)}))
        paths.append(str(path))
    with Store.memory() as store:
        pipeline.ingest(paths, store)
        uncapped = pipeline.analyse(store, crosslingual_embeddings=False, engine=StoredEngine(store, max_bucket=None))[0]
        engine = StoredEngine(store, max_bucket=3)
        matches = pipeline.analyse(store, crosslingual_embeddings=False, engine=engine)[0]
    assert len(uncapped) == 10  # every pair shares the stock paragraph...
    assert matches == [] and engine.capped_keys > 0  # ...which the cap leaves out
    assert "skipped as formulas" in capsys.readouterr().err


def test_the_default_engine_depends_on_the_corpus_size():
    assert candidates.choose(candidates.MEMORY_MAX_ARTICLES).name == "memory"
    with Store.memory() as store:
        big = candidates.choose(candidates.MEMORY_MAX_ARTICLES + 1, store=store)
        try:
            assert big.name == ("duckdb" if importlib.util.find_spec("duckdb") else "stored")
        finally:
            big.close()
    with pytest.raises(ValueError, match="choose one of"):
        candidates.engine("faiss")


def test_a_database_from_before_the_band_index_is_indexed_by_its_first_analysis(tmp_path):
    rng = random.Random(13)
    old = write_story(tmp_path, rng, "old", 1, 1)
    db = tmp_path / "old.db"
    with Store(db) as store:
        pipeline.ingest(old, store)
        # As a database written before migration 0004 is: no keys, no frequencies.
        with store._transaction("forget the index"):
            store._db.execute("DELETE FROM bands")
            store._db.execute("DELETE FROM band_paragraphs")
            store._db.execute("DELETE FROM vocabulary")
            store._db.execute("UPDATE vocabulary_size SET articles = 0")
    pipeline.trace(old[:1], db_path=str(db), crosslingual=False)  # the first analysis
    source = json.loads((tmp_path / "old-0.json").read_text())
    late = tmp_path / "late.json"
    late.write_text(json.dumps({**source, "title": "late", "outlet": "Outlet 7", "published": "2025-03-03"}))
    result = pipeline.trace([str(late)], db_path=str(db), crosslingual=False)  # incremental
    assert any(str(late) in (m.a, m.b) and old[0] in (m.a, m.b) for m in result.matches)
    with Store(db) as store:
        assert store.vocabulary([])[0] == 3
