"""The store as people open it: foreign keys, views, full-text search, documented columns,
and Datasette serving it (migration 0004)."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlite_utils
from click.testing import CliRunner

from provenance import pipeline
from provenance.cli import main
from provenance.db import load_migrations, migrate, schema_version
from provenance.models import Article
from provenance.store import Store

ROOT = Path(__file__).resolve().parent.parent

WIRE = {
    "id": "wire.txt", "outlet": "Wire Agency", "published": "2024-03-04", "title": "Harbour strike",
    "text": "PORTVILLE (Wire Agency) - Dock workers in the port city walked off the job on Monday "
            "after talks with the harbour authority collapsed over a proposed pay freeze.\n\n"
            "The union said the strike would continue until the authority withdrew the freeze and "
            "agreed to index wages to inflation, which reached six percent last year.",
}
PAPER = {
    "id": "paper.txt", "outlet": "Daily Paper", "published": "2024-03-05", "title": "Dockers stop work",
    "text": WIRE["text"].replace("PORTVILLE (Wire Agency) - ", "") + "\n\nLocal traders said prices "
            "were already rising, according to Reuters.",
}
BLOG = {
    "id": "blog.txt", "outlet": "Valley Blog", "published": "2024-03-06", "title": "A note on the strike",
    "text": "Traders in the valley expect fuel prices to climb this week, Reuters reported, as "
            "tankers wait outside the harbour.",
}
TOKYO = {"id": "tokyo.txt", "title": "大雨警報", "text": "東京都で大雨警報が出た。気象庁は土砂災害に警戒するよう呼びかけた。"}


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "stories.db"
    Store(path, full_text=True).close()  # a new file has no search index unless asked
    pipeline.trace([WIRE, PAPER, BLOG, TOKYO], db_path=str(path), crosslingual=False)
    return path


def rows(path, sql, *args):
    db = sqlite_utils.Database(path)
    try:
        return [dict(r) for r in db.query(sql, args)]
    finally:
        db.close()


def test_views_answer_the_common_questions(db_path):
    edge = rows(db_path, "select * from edges_readable where child = 'paper.txt'")[0]
    assert (edge["parent"], edge["parent_type"]) == ("wire.txt", "article")
    assert edge["kind"] in ("copy", "rewrite")
    assert edge["parent_title"] == "Harbour strike" and edge["child_title"] == "Dockers stop work"
    assert edge["parent_outlet"] == "Wire Agency" and edge["child_outlet"] == "Daily Paper"
    assert edge["child_published"].startswith("2024-03-05")

    origins = {r["article"]: r for r in rows(db_path, "select * from article_origins")}
    assert (origins["paper.txt"]["origin"], origins["paper.txt"]["hops"]) == ("wire.txt", 1)
    assert (origins["wire.txt"]["origin"], origins["wire.txt"]["hops"]) == ("wire.txt", 0)
    assert origins["blog.txt"]["origin_type"] == "outlet"
    assert origins["blog.txt"]["origin_title"] == "Reuters"

    reuters = rows(db_path, "select * from credits_per_outlet where outlet = 'outlet:reuters'")[0]
    assert reuters["credits"] == 2 and reuters["crediting_articles"] == 2
    assert reuters["parent_of"] == 1  # the blog; the paper's parent is the wire story


def test_full_text_search_follows_every_write(db_path):
    db = sqlite_utils.Database(db_path)
    assert db["articles"].detect_fts() == "articles_fts"
    assert sorted(r["id"] for r in db["articles"].search("harbour authority")) == ["paper.txt", "wire.txt"]
    # any script, without word boundaries: the trigram index finds a run inside a sentence
    assert [r["id"] for r in db["articles"].search("大雨警")] == ["tokyo.txt"]
    db.close()
    with Store(db_path) as store:
        store.add_article(Article(id="wire.txt", source="x", text="Ferries resumed service."), [])
    db = sqlite_utils.Database(db_path)
    assert [r["id"] for r in db["articles"].search("walked off")] == ["paper.txt"]
    assert [r["id"] for r in db["articles"].search("Ferries")] == ["wire.txt"]
    db.close()


def test_foreign_keys_tie_the_analysis_to_its_articles(db_path):
    db = sqlite_utils.Database(db_path)
    assert {fk.other_table for fk in db["matches"].foreign_keys} == {"articles"}
    assert {(fk.column, fk.other_table) for fk in db["edges"].foreign_keys} == {("child", "articles")}
    db.close()
    with Store(db_path) as store:
        # replacing the wire story removes every match and edge that touched it
        store.add_article(Article(id="wire.txt", source="x", text="Ferries resumed service."), [])
        assert all("wire.txt" not in (m.a, m.b) for m in store.matches())
        assert all("wire.txt" not in (e.parent, e.child) for e in store.edges())


def test_a_version_3_database_with_data_migrates_and_keeps_it(tmp_path):
    path = tmp_path / "v3.db"
    db = sqlite_utils.Database(path)
    migrate(db, load_migrations()[:3])
    for article_id, title in (("a.txt", "Harbour strike"), ("b.txt", "Dockers stop work")):
        db["articles"].insert({"id": article_id, "source": article_id, "title": title,
                               "text": f"{title}: dock workers walked off the job.", "content_hash": article_id})
    db["matches"].insert_all([
        {"id": 1, "a": "a.txt", "b": "b.txt", "kind": "copy", "score": 0.9, "method": "align", "a_score": 0.2},
        {"id": 2, "a": "b.txt", "b": "gone.txt", "kind": "rewrite", "score": 0.4, "method": "align"},
    ])
    db["match_pairs"].insert_all([
        {"id": 1, "match_id": 1, "a_paragraph": 0, "b_paragraph": 0, "score": 0.9, "method": "minhash"},
        {"id": 2, "match_id": 2, "a_paragraph": 0, "b_paragraph": 0, "score": 0.4, "method": "minhash"},
    ])
    db["match_spans"].insert_all([
        {"pair_id": 1, "a_start": 0, "a_end": 5, "b_start": 0, "b_end": 5},
        {"pair_id": 2, "a_start": 0, "a_end": 5, "b_start": 0, "b_end": 5},
    ])
    db["edges"].insert_all([
        {"id": 1, "parent": "a.txt", "child": "b.txt", "kind": "copy", "confidence": 0.9, "evidence": '["x"]'},
        {"id": 2, "parent": "outlet:wire", "child": "a.txt", "kind": "attributed", "confidence": 0.6,
         "evidence": "[]"},
        {"id": 3, "parent": "b.txt", "child": "gone.txt", "kind": "rewrite", "confidence": 0.3,
         "evidence": "[]"},
    ])
    db.close()

    with Store(path) as store:
        (match,) = store.matches()
        assert (match.a, match.b, match.a_score, len(match.pairs), len(match.pairs[0].spans)) == \
            ("a.txt", "b.txt", 0.2, 1, 1)
        assert [(e.parent, e.child, e.evidence) for e in store.edges()] == [
            ("a.txt", "b.txt", ["x"]), ("outlet:wire", "a.txt", [])]
    db = sqlite_utils.Database(path)
    assert schema_version(db) == load_migrations()[-1].version
    assert db["match_pairs"].count == 1 and db["match_spans"].count == 1  # the orphan's went with it
    assert [r["id"] for r in db["articles"].search("walked")] == ["a.txt", "b.txt"]  # indexed on the way
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 0  # sqlite-utils' own default, untouched
    db.close()


def test_metadata_documents_every_table_and_view(db_path, tmp_path):
    result = CliRunner().invoke(main, ["datasette-metadata", "--db", str(db_path), "-o", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.output
    metadata = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    documented = metadata["databases"]["stories"]["tables"]
    db = sqlite_utils.Database(db_path)
    shown = [t for t in db.table_names() if not t.startswith(("articles_fts", "_", "sqlite_"))] + db.view_names()
    db.close()
    assert set(shown) <= set(documented)
    assert "offsets" in documented["articles"]["columns"]["text"]
    assert documented["articles"]["fts_table"] == "articles_fts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_datasette_serves_the_views(db_path, tmp_path):
    pytest.importorskip("datasette", reason="datasette is not installed (it is in the test extra)")
    metadata = tmp_path / "metadata.json"
    CliRunner().invoke(main, ["datasette-metadata", "--db", str(db_path), "-o", str(metadata)])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(db_path), "--host", "127.0.0.1",
         "--port", str(port), "-m", str(metadata)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}/stories"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"{base}/edges_readable.json?_shape=array", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"datasette did not start: {server.stderr.read().decode()[-800:]}")
                time.sleep(0.2)
        assert answer.status_code == 200
        edges = {r["child"]: r for r in answer.json()}
        assert edges["paper.txt"]["parent_title"] == "Harbour strike"
        search = httpx.get(f"{base}/articles.json?_search=walked+off&_shape=array&_col=id&_col=title", timeout=5)
        assert sorted(r["id"] for r in search.json()) == ["paper.txt", "wire.txt"]
        origins = httpx.get(f"{base}/article_origins.json?_shape=array&article=blog.txt", timeout=5).json()
        assert origins[0]["origin"] == "outlet:reuters"
    finally:
        server.terminate()
        server.wait(timeout=10)
