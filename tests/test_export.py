"""Exports, read back with the libraries a user would open them with."""
import csv
import json
import os
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from provenance import pipeline
from provenance.cli import main
from provenance.export import FORMATS, TABLES, ExportError, tables, write
from provenance.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
STORIES_DEV = ROOT.parent / "shared" / "bench-data" / "stories-dev"
if not STORIES_DEV.is_dir():  # a worktree sits beside main, not inside it
    STORIES_DEV = Path("/work/shared/bench-data/stories-dev")

WIRE = """Harbour workers strike over pay

PORTVILLE (Wire Agency) - Dock workers in the port city walked off the job on Monday after talks with the harbour authority collapsed over a proposed pay freeze.

The union said the strike would continue until the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent last year.

Shipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several vessels were already waiting at anchor offshore.
"""

PAPER = {
    "title": 'Dockers "stop" work <script>alert(1)</script>',
    "published": "2024-03-05",
    "outlet": "Daily Paper",
    "text": "Dock workers in the port city walked off the job on Monday after talks with the harbour "
            "authority collapsed over a proposed pay freeze.\n\nThe union said the strike would continue until "
            "the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent "
            "last year.\n\nLocal traders said prices were already rising, according to Reuters.",
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("story")
    (folder / "wire.txt").write_text(WIRE, encoding="utf-8")
    (folder / "paper.json").write_text(json.dumps(PAPER), encoding="utf-8")
    return pipeline.trace([str(folder)], crosslingual=False)


@pytest.fixture(scope="module")
def seeds_result():
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return pipeline.trace(["seeds/"], crosslingual=False)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def dev_result():
    if not STORIES_DEV.is_dir():
        pytest.skip(f"development stories not found at {STORIES_DEV}")
    return pipeline.trace([str(STORIES_DEV)], crosslingual=False)


def read_csv_folder(folder: Path) -> dict[str, list[dict]]:
    out = {}
    for name in TABLES:
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            out[name] = list(csv.DictReader(handle))
    return out


def test_csv_round_trip_keeps_every_row_and_the_hostile_title(small, tmp_path):
    write(small, "csv", tmp_path / "out")
    back = read_csv_folder(tmp_path / "out")
    assert len(back["articles"]) == len(small.articles) == 2
    assert len(back["edges"]) == len(small.edges)
    assert len(back["matches"]) == len(small.matches) >= 1
    paper = next(r for r in back["articles"] if r["id"].endswith("paper.json"))
    assert paper["title"] == PAPER["title"]
    assert paper["text"].endswith("according to Reuters.")
    copy_edge = next(r for r in back["edges"] if r["child"].endswith("paper.json"))
    assert copy_edge["parent"].endswith("wire.txt") and copy_edge["kind"] in ("copy", "rewrite")
    assert copy_edge["child_title"] == PAPER["title"]
    assert json.loads(copy_edge["evidence"]) == next(e.evidence for e in small.edges
                                                     if e.child == copy_edge["child"])
    # spans carry offsets and the shared text itself, which is the article text at those offsets
    span = back["spans"][0]
    a_text = next(a.text for a in small.articles if a.id == span["a"])
    assert a_text[int(span["a_start"]):int(span["a_end"])] == span["a_text"]


def test_an_empty_result_still_writes_headers(tmp_path):
    empty = pipeline.TraceResult([], [], [], [], [])
    write(empty, "csv", tmp_path / "out")
    with (tmp_path / "out" / "edges.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[:4] == ["parent", "child", "kind", "confidence"]


def test_graphml_and_gexf_read_back_with_networkx(small, tmp_path):
    write(small, "graphml", tmp_path / "g.graphml")
    write(small, "gexf", tmp_path / "g.gexf")
    for graph in (nx.read_graphml(tmp_path / "g.graphml"), nx.read_gexf(tmp_path / "g.gexf")):
        article_ids = {a.id for a in small.articles}
        assert article_ids <= set(graph.nodes)
        for edge in small.edges:
            data = graph.edges[edge.parent, edge.child]
            assert data["kind"] == edge.kind
            assert float(data["confidence"]) == pytest.approx(edge.confidence)
        paper = next(n for n in article_ids if n.endswith("paper.json"))
        assert graph.nodes[paper]["published"].startswith("2024-03-05")
        assert graph.nodes[paper]["type"] == "article"
        assert any(d["type"] == "outlet" for _, d in graph.nodes(data=True))


def test_dot_quotes_hostile_labels(small, tmp_path):
    write(small, "dot", tmp_path / "g.dot")
    text = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert text.startswith("digraph provenance {") and text.rstrip().endswith("}")
    assert '\\"stop\\"' in text  # the title's quotes are escaped, not ending the label
    assert text.count(" -> ") == len(small.edges)


def test_graphviz_reads_the_dot_file(seeds_result, tmp_path):
    import shutil
    import subprocess

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (Debian package graphviz)")
    write(seeds_result, "dot", tmp_path / "g.dot")
    drawn = subprocess.run(["dot", "-Tsvg", str(tmp_path / "g.dot")], capture_output=True, text=True,
                           timeout=60)
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout.count('class="edge"') == len(seeds_result.edges)


def test_jsonl_lines_are_typed_records(small, tmp_path):
    write(small, "jsonl", tmp_path / "r.jsonl")
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    kinds = {r["type"] for r in records}
    assert {"article", "edge", "match", "span"} <= kinds
    assert sum(r["type"] == "edge" for r in records) == len(small.edges)


def test_parquet_reads_back_with_pyarrow(small, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow not installed (the parquet extra)")
    write(small, "parquet", tmp_path / "pq")
    edges = pq.read_table(tmp_path / "pq" / "edges.parquet").to_pylist()
    assert [(e["parent"], e["child"], e["kind"]) for e in edges] == [
        (e.parent, e.child, e.kind) for e in small.edges
    ]
    assert isinstance(edges[0]["evidence"], list)
    articles = pq.read_table(tmp_path / "pq" / "articles.parquet")
    assert articles.num_rows == 2


def test_parquet_without_pyarrow_says_which_extra(small, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(ExportError, match=r"provenance\[parquet\]"):
        write(small, "parquet", tmp_path / "pq")


def test_unknown_format_and_folder_over_a_file_are_refused(small, tmp_path):
    with pytest.raises(ExportError, match="unknown export format"):
        write(small, "xlsx", tmp_path / "x")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="writes a folder"):
        write(small, "csv", tmp_path / "file")


@pytest.mark.parametrize("which", ["seeds", "stories-dev"])
def test_every_format_from_real_corpora(which, request, tmp_path):
    result = request.getfixturevalue("seeds_result" if which == "seeds" else "dev_result")
    assert result.edges
    for fmt in FORMATS:
        if fmt == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                continue  # covered (and skipped with its reason) by the parquet test
        write(result, fmt, tmp_path / f"out.{fmt}")
    back = read_csv_folder(tmp_path / "out.csv")
    assert len(back["articles"]) == len(result.articles)
    assert len(back["attributions"]) == len(result.attributions)
    graph = nx.read_gexf(tmp_path / "out.gexf")
    assert graph.number_of_edges() == len(result.edges)
    # every article has at most one parent: the forest survives the trip
    assert all(graph.in_degree(a.id) <= 1 for a in result.articles)
    assert nx.read_graphml(tmp_path / "out.graphml").number_of_edges() == len(result.edges)
    languages = {d["language"] for _, d in graph.nodes(data=True) if d["type"] == "article"}
    assert len(languages) >= 2


def test_cli_export_from_a_database_and_trace_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "story").mkdir()
    (tmp_path / "story" / "wire.txt").write_text(WIRE, encoding="utf-8")
    (tmp_path / "story" / "paper.json").write_text(json.dumps(PAPER), encoding="utf-8")
    runner = CliRunner()
    ingest = runner.invoke(main, ["ingest", "story", "--db", "s.db"])
    assert ingest.exit_code == 0, ingest.output
    # nothing analysed yet: export analyses first, as `tree` does
    result = runner.invoke(main, ["export", "--db", "s.db", "--format", "csv", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert len(read_csv_folder(tmp_path / "out")["edges"]) >= 1
    result = runner.invoke(main, ["export", "--db", "s.db", "--format", "graphml"])
    assert result.exit_code == 0
    assert nx.parse_graphml(result.stdout).number_of_nodes() >= 2
    result = runner.invoke(main, ["trace", "story", "--no-embeddings", "--format", "gexf", "-o", "t.gexf"])
    assert result.exit_code == 0, result.output
    assert "t.gexf" in result.stderr
    assert nx.read_gexf(tmp_path / "t.gexf").number_of_edges() >= 1
    # a database export and a one-shot trace agree on the edges
    with Store(tmp_path / "s.db") as store:
        stored = tables(pipeline.TraceResult.from_store(store))["edges"]
    assert {(e["parent"], e["child"]) for e in stored} == set(
        nx.read_gexf(tmp_path / "t.gexf").edges
    )


def test_trace_output_alone_names_its_format_and_json_needs_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wire.txt").write_text(WIRE, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["trace", "wire.txt", "--no-embeddings", "-o", "lineage.graphml"])
    assert result.exit_code == 0, result.output
    assert nx.read_graphml(tmp_path / "lineage.graphml").number_of_nodes() >= 1
    unknown = runner.invoke(main, ["trace", "wire.txt", "--no-embeddings", "-o", "lineage.xyz"])
    assert unknown.exit_code == 2 and "--format" in unknown.output
    both = runner.invoke(main, ["trace", "wire.txt", "--json", "--format", "dot"])
    assert both.exit_code == 2 and "stdout" in both.output
    dot = runner.invoke(main, ["trace", "wire.txt", "--no-embeddings", "--format", "dot"])
    assert dot.exit_code == 0 and dot.stdout.startswith("digraph provenance {")


def test_control_characters_cannot_break_the_xml_graphs(tmp_path):
    from provenance.models import Article

    hostile = Article(id="evil\x1b[2J.txt", source="x", title="Title\x00 with\x0c controls",
                      text="Dock workers in the port city walked off the job on Monday after talks collapsed.")
    result = pipeline.trace([hostile], crosslingual=False)
    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        write(result, fmt, tmp_path / f"g.{fmt}")
        (node, label), = read(tmp_path / f"g.{fmt}").nodes(data="label")
        assert node == "evil\\x1b[2J.txt" and label == "Title\\x00 with\\x0c controls"


def test_trace_format_csv_without_o_writes_the_default_folder_and_still_prints_the_tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wire.txt").write_text(WIRE, encoding="utf-8")
    result = CliRunner().invoke(main, ["trace", "wire.txt", "--no-embeddings", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "1 article:" in result.stdout and "wire.txt" in result.stdout
    assert (tmp_path / "provenance-export" / "articles.csv").is_file()
