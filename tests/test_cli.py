"""The real CLI through click's CliRunner, on small corpora written by the tests."""
import json
import sqlite3

import pytest
from click.testing import CliRunner

from provenance.cli import main

WIRE = """Harbour workers strike over pay

PORTVILLE (Wire Agency) - Dock workers in the port city walked off the job on Monday after talks with the harbour authority collapsed over a proposed pay freeze.

The union said the strike would continue until the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent last year.

Shipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several vessels were already waiting at anchor offshore.
"""

PAPER = {
    "title": "Dockers [bold red]stop[/] work",
    "published": "2024-03-05",
    "outlet": "Daily Paper",
    "text": "Dock workers in the port city walked off the job on Monday after talks with the harbour "
            "authority collapsed over a proposed pay freeze.\n\nThe union said the strike would continue until "
            "the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent "
            "last year.\n\nLocal traders said [bold red]prices[/] were already rising. (Wire Agency)",
}


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "wire.txt").write_text(WIRE, encoding="utf-8")
    (folder / "paper.json").write_text(json.dumps(PAPER), encoding="utf-8")
    return folder


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_DB", str(tmp_path / "default.db"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def trace_json(runner, *args):
    result = runner.invoke(main, ["trace", *args, "--json", "--no-embeddings"])
    return result, json.loads(result.stdout)


def test_trace_json_ids_and_edge(runner, corpus, tmp_path):
    result, data = trace_json(runner, "story")
    assert result.exit_code == 0, result.output
    assert sorted(a["id"] for a in data["articles"]) == ["story/paper.json", "story/wire.txt"]
    edge = next(e for e in data["edges"] if e["child"] == "story/paper.json")
    assert edge["parent"] == "story/wire.txt" and edge["kind"] in ("copy", "rewrite")
    assert edge["evidence"]
    # no database file anywhere: the default was not touched and nothing was written here
    assert not (tmp_path / "default.db").exists()
    assert not list(tmp_path.glob("*.db"))


def test_bad_input_is_one_line_and_the_batch_goes_on(runner, corpus):
    (corpus / "photo.bin").write_bytes(b"\x89PNG\x00\x00\x01binary")
    result = runner.invoke(main, ["trace", "story", "missing.txt", "--no-embeddings"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert any("story/photo.bin" in line for line in errors)
    assert any("missing.txt" in line for line in errors)
    assert "story/paper.json" in result.stdout  # the good inputs were traced


def test_refuses_non_http_urls(runner):
    result = runner.invoke(main, ["trace", "file:///etc/passwd", "--no-embeddings"])
    assert result.exit_code == 1
    assert "file:///etc/passwd" in result.stderr


def test_markup_in_article_text_is_printed_literally(runner, corpus):
    db = "story.db"
    assert runner.invoke(main, ["trace", "story", "--db", db, "--no-embeddings"]).exit_code == 0
    shown = runner.invoke(main, ["show", "story/wire.txt", "story/paper.json", "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "Dock workers in the port city" in shown.stdout
    # rich markup in an article's title or text prints as itself, never as styling
    tree = runner.invoke(main, ["tree", "--db", db])
    assert "Dockers [bold red]stop[/] work" in tree.stdout
    table = runner.invoke(main, ["attributions", "--db", db])
    assert table.exit_code == 0 and "Credits found" in table.stdout


def test_db_ingest_is_idempotent_and_tree_reads_it(runner, corpus):
    db = "archive.db"
    first = runner.invoke(main, ["ingest", "story/wire.txt", "--db", db, "--json"])
    assert json.loads(first.stdout)["added"] == ["story/wire.txt"]
    again = runner.invoke(main, ["ingest", "story/wire.txt", "--db", db, "--json"])
    assert json.loads(again.stdout)["unchanged"] == ["story/wire.txt"]
    # a later trace of the paper finds its parent in the archive
    result, data = trace_json(runner, "story/paper.json", "--db", db)
    assert result.exit_code == 0
    assert {"story/paper.json", "story/wire.txt"} <= {a["id"] for a in data["articles"]}
    assert any(e["parent"] == "story/wire.txt" for e in data["edges"])
    tree = runner.invoke(main, ["tree", "--db", db, "--json"])
    assert any(e["child"] == "story/paper.json" for e in json.loads(tree.stdout)["edges"])
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 2


def test_default_db_comes_from_the_environment(runner, corpus, tmp_path):
    assert runner.invoke(main, ["ingest", "story/wire.txt"]).exit_code == 0
    assert (tmp_path / "default.db").exists()


def test_help_names_the_default_database(runner):
    result = runner.invoke(main, ["ingest", "--help"])
    assert "PROVENANCE_DB" in result.output


def test_stdin(runner):
    result = runner.invoke(main, ["trace", "-", "--json", "--no-embeddings"], input=WIRE)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles"][0]["id"] == "-"


def test_incidental_matches_are_listed_only_when_asked(tmp_path):
    from provenance import pipeline
    from provenance.models import Match

    few = Match(a="a", b="b", kind="incidental", score=0.1)
    copy = Match(a="a", b="c", kind="copy", score=0.9)
    assert pipeline.significant([few, copy]) == [copy]
    assert pipeline.significant([few, copy], incidental=True) == [few, copy]
    # Through the CLI: two unrelated reports sharing one long stock phrase.
    stock = "the ministry said in a statement released late on Monday evening to reporters"
    (tmp_path / "one.txt").write_text(
        "Heavy rain closed roads across the northern provinces on Sunday and Monday, and rivers rose above "
        f"warning levels in four districts. Emergency crews moved families from low ground near the delta, {stock}. "
        "Schools stayed shut in twelve towns while engineers inspected bridges, and farmers counted losses in "
        "flooded rice fields. Forecasters expect more storms later this week along the coast.\n", encoding="utf-8")
    (tmp_path / "two.txt").write_text(
        "Bread prices rose sharply in the capital this month as wheat imports fell and bakers struggled with "
        f"higher energy bills. Officials promised subsidies for flour mills, {stock}. Consumer groups asked for "
        "price caps on basic loaves and called a protest outside parliament. Economists warned inflation could "
        "climb further before the harvest arrives in autumn.\n", encoding="utf-8")
    runner = CliRunner()
    plain = json.loads(runner.invoke(main, ["trace", str(tmp_path), "--no-embeddings", "--json"]).output)
    asked = json.loads(runner.invoke(main, ["trace", str(tmp_path), "--no-embeddings", "--json", "--incidental"]).output)
    assert plain["matches"] == []
    assert [m["kind"] for m in asked["matches"]] == ["incidental"]
