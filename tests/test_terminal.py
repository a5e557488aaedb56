"""What a journalist reads in the terminal (issue 10, item 6), through the real CLI."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from rich.console import Console

from provenance import report
from provenance.cli import main
from provenance.models import Article, Match

WIRE = """Harbour workers strike over pay

PORTVILLE (Wire Agency) - Dock workers in the port city walked off the job on Monday after talks with the harbour authority collapsed over a proposed pay freeze.

The union said the strike would continue until the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent last year.

Shipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several vessels were already waiting at anchor offshore.
"""
PAPER = {
    "title": "Dockers stop work in a dispute over pay that has dragged on for months " * 3,
    "published": "2024-03-05",
    "outlet": "Daily Paper",
    "text": "Dock workers in the port city walked off the job on Monday after talks with the harbour "
            "authority collapsed over a proposed pay freeze.\n\nThe union said the strike would continue until "
            "the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent "
            "last year.\n\nLocal traders said prices were already rising. (Wire Agency)",
}
# Written for this test: a Chinese report and its verbatim copy (no spaces to wrap at).
CJK = ("港口工人周一罢工，原因是与港务局就工资冻结问题的谈判破裂。工会表示，罢工将持续到当局撤回冻结决定，"
       "并同意将工资与去年达到百分之六的通货膨胀挂钩为止。航运公司警告说，长时间停工将扰乱该地区的燃料和粮食供应，"
       "已有数艘船只在近海锚地等待。")
CJK_TAIL = "当地商人说，物价已经开始上涨，居民担心冬季取暖燃料短缺。"

# Tree glyphs and table borders the terminal adds around wrapped text.
_FRAME = re.compile(r"[\s│├└─┃┏┓┗┛┡┩╇┳┻━┠┨┼┤┬┴┌┐┘╭╮╯╰|]")


def flat(text: str) -> str:
    """Output with every line break, indent, tree glyph and border taken out."""
    return _FRAME.sub("", text)


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("COLUMNS", "72")
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def story(tmp_path):
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "wire.txt").write_text(WIRE, encoding="utf-8")
    (folder / "paper.json").write_text(json.dumps(PAPER), encoding="utf-8")
    return folder


def trace(runner, *args):
    done = runner.invoke(main, ["trace", *args, "--no-embeddings"])
    assert done.exit_code == 0, done.output
    return done.stdout


def test_header_counts_articles_not_pairs(runner, story):
    out = trace(runner, "story")
    header = " ".join(out.split("\n\n")[0].split())
    assert header.startswith("2 articles: 1 derived from another article, 0 crediting an outlet, 1 with no parent found")
    assert "match(es)" not in out


def test_long_evidence_and_titles_wrap_to_the_terminal_uncut(runner, story):
    # Long folder names make long ids, and evidence lines well over 160 characters.
    deep = "coverage-of-the-harbour-strike-collected-by-the-research-desk-in-march"
    story.rename(story.parent / deep)
    out = trace(runner, deep, "-v")
    assert all(len(line) <= 72 for line in out.splitlines())
    assert "…" not in out
    assert flat(PAPER["title"]) in flat(out)
    # Every evidence line of the edge, whole, with -v.
    data = json.loads(runner.invoke(main, ["trace", deep, "--no-embeddings", "--json"]).stdout)
    edge = data["edges"][0]
    assert [line for line in edge["evidence"] if len(line) > 160]
    for line in edge["evidence"]:
        assert flat(report.plain(line, [edge["parent"], edge["child"]])) in flat(out)


def test_default_is_a_short_reason_quiet_the_forest_verbose_everything(runner, story):
    normal, quiet, verbose = trace(runner, "story"), trace(runner, "story", "-q"), trace(runner, "story", "-v")
    assert len(quiet.splitlines()) < len(normal.splitlines()) < len(verbose.splitlines())
    assert "reuse score" not in quiet and "more line(s) of evidence: -v" in normal
    assert "reuse score" in verbose and "more line(s) of evidence" not in verbose
    assert "copy (confidence" in quiet or "rewrite (confidence" in quiet
    done = runner.invoke(main, ["trace", "story", "-q", "-v"])
    assert done.exit_code == 2 and "contradict" in done.output


def test_paragraphs_are_numbered_from_one(runner, story):
    out = runner.invoke(main, ["show", "story/wire.txt", "story/paper.json"]).stdout
    assert "[1]" in out and "[0]" not in out
    (story / "credit.txt").write_text(
        "Port talks resume\n\nTalks between the union and the harbour authority resumed on Wednesday.\n\n"
        "Both sides said they hoped for a deal by the end of the week. (With information from Reuters)\n",
        encoding="utf-8",
    )
    runner.invoke(main, ["ingest", "story", "--db", "s.db"])
    table = runner.invoke(main, ["attributions", "--db", "s.db"]).stdout
    data = json.loads(runner.invoke(main, ["attributions", "--db", "s.db", "--json"]).stdout)
    credit = next(x for x in data["attributions"] if x["article"] == "story/credit.txt")
    row = next(line for line in table.splitlines() if "credit.txt" in line)
    assert row.rstrip(" │┃").split()[-1] == str(credit["paragraph"] + 1)
    # Evidence that names a paragraph counts the same way.
    assert report.plain("'(Wire Agency)' in paragraph 2 (credit)") == "'(Wire Agency)' in paragraph 3 (credit)"


def test_articles_with_the_same_file_name_are_told_apart(runner, tmp_path):
    for folder, text in (("monday", WIRE), ("tuesday", PAPER["text"])):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(text, encoding="utf-8")
    out = trace(runner, "monday", "tuesday", "-v")
    assert "monday/story.txt" in out and "tuesday/story.txt" in out
    assert not re.search(r"(?<![\w/])story\.txt", out)  # never the bare, ambiguous basename
    # Basenames an aligner wrote are expanded when they name one article only.
    line = "direction: story.txt carries a template placeholder"
    assert report.plain(line, ["monday/story.txt", "tuesday/other.txt"]).startswith("who copied whom: monday/story.txt")
    assert "story.txt carries" in report.plain(line, ["monday/story.txt", "tuesday/story.txt"])


def test_internal_terms_are_said_in_plain_words():
    evidence = [
        "9 paragraph pairs aligned in order (shared numbers, dates and names): 9 of 14 paragraphs of x.txt, "
        "9 of 15 of y.txt; 6 more bridged by position",
        "decided by: anchors",
        "shared runs cover 86% of x.txt and 59% of y.txt",
    ]
    shown = " ".join(report.plain(line, ["d/x.txt", "d/y.txt"]) for line in evidence)
    for term in ("bridged by position", "anchors", "shared runs", "decided by"):
        assert term not in shown
    assert "d/x.txt" in shown and "6 more matched by their place between aligned paragraphs" in shown


def test_show_two_files_without_a_database_wraps_cjk_without_losing_characters(runner, tmp_path):
    (tmp_path / "zh1.txt").write_text("港口罢工\n\n" + CJK + "\n", encoding="utf-8")
    (tmp_path / "zh2.txt").write_text("码头停工\n\n" + CJK + "\n\n" + CJK_TAIL + "\n", encoding="utf-8")
    done = runner.invoke(main, ["show", "zh1.txt", "zh2.txt", "--no-embeddings"])
    assert done.exit_code == 0, done.output
    assert all(len(line) <= 72 for line in done.stdout.splitlines())
    # Both columns hold the whole paragraph, folded over lines, not a character lost.
    left = "".join(line.split("│")[1] for line in done.stdout.splitlines() if line.count("│") >= 3)
    right = "".join(line.split("│")[2] for line in done.stdout.splitlines() if line.count("│") >= 3)
    assert flat(CJK) in flat(left) and flat(CJK) in flat(right)
    assert not list(tmp_path.glob("*.db"))  # compared in memory


def test_show_without_database_says_when_files_share_nothing(runner, tmp_path):
    (tmp_path / "a.txt").write_text(WIRE, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Weather\n\nSunny spells are expected across the north on Sunday.\n", encoding="utf-8")
    done = runner.invoke(main, ["show", "a.txt", "b.txt", "--no-embeddings"])
    assert done.exit_code == 1 and "share no text" in done.output


def test_the_list_of_other_shared_text_is_capped_strongest_first():
    articles = [Article(id=f"corpus/{i:02d}.txt", source="", text="x") for i in range(14)]
    matches = [Match(a=articles[i].id, b=articles[i + 1].id, kind="incidental", score=i / 100) for i in range(13)]
    console = Console(width=100, record=True)
    report.print_trace(console, articles, [], [], matches)
    out = console.export_text()
    listed = re.findall(r"corpus/(\d+)\.txt ~", out)
    assert listed == [f"{i:02d}" for i in range(12, 2, -1)]  # the 10 strongest, in order
    assert "and 3 more; see --json" in out
    console = Console(width=100, record=True)
    report.print_trace(console, articles, [], [], matches, verbosity=report.VERBOSE)
    assert len(re.findall(r"corpus/\d+\.txt ~", console.export_text())) == 13


def test_trace_db_json_names_only_articles_it_lists(runner, story, tmp_path):
    # The archive: the wire story, the paper's copy and an unrelated report.
    assert runner.invoke(main, ["ingest", "story", "--db", "s.db"]).exit_code == 0
    (tmp_path / "late.txt").write_text(WIRE.replace("Monday", "Tuesday"), encoding="utf-8")
    done = runner.invoke(main, ["trace", "late.txt", "--db", "s.db", "--json", "--no-embeddings"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    listed = {a["id"] for a in data["articles"]}
    assert "late.txt" in listed
    named = {m["a"] for m in data["matches"]} | {m["b"] for m in data["matches"]}
    named |= {e["child"] for e in data["edges"]} | {e["parent"] for e in data["edges"]}
    named |= {alt["parent"] for e in data["edges"] for alt in e["alternatives"]}
    assert data["matches"] and {n for n in named if not n.startswith("outlet:")} <= listed
    # The stored articles it shares text with are there, so the match is readable.
    assert any("late.txt" in (m["a"], m["b"]) for m in data["matches"])


def test_tree_caps_the_other_shared_text_through_the_cli(runner, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(14):
        (folder / f"{i:02d}.txt").write_text(f"Report {i}\n\nA short local report number {i} about the weather.\n",
                                             encoding="utf-8")
    assert runner.invoke(main, ["ingest", "many", "--db", "m.db"]).exit_code == 0
    from provenance.store import Store

    ids = [f"many/{i:02d}.txt" for i in range(14)]
    with Store(tmp_path / "m.db") as store:  # stored as an analysis would store them
        store.save_analysis([], [Match(a=ids[i], b=ids[i + 1], kind="shared_quote", score=i / 100) for i in range(13)], [])
    out = runner.invoke(main, ["tree", "--db", "m.db"]).stdout
    assert "14 articles: 0 derived from another article, 0 crediting an outlet, 14 with no parent found" in " ".join(out.split())
    assert len(re.findall(r"many/\d+\.txt ~", out)) == 10 and "and 3 more; see --json" in out
    assert len(re.findall(r"many/\d+\.txt ~", runner.invoke(main, ["tree", "--db", "m.db", "-v"]).stdout)) == 13
    assert "13 pair(s) share text that is not an edge" in runner.invoke(main, ["tree", "--db", "m.db", "-q"]).stdout
