"""Hand the tracer's findings to the tools researchers already use.

Everything here is a function over a ``TraceResult`` (from ``provenance.trace`` or read
back from a database with ``TraceResult.from_store``):

- ``tables(result)``: the findings as plain rows (lists of dicts), one list per table:
  articles, outlets, edges, matches, spans, attributions. CSV, Parquet and pandas are
  written from these, so every format has the same columns (see docs/formats.md).
- ``to_graph(result)``: a networkx DiGraph, nodes = articles and outlets, edges = the
  lineage forest (parent -> child), ready for GraphML / GEXF (Gephi).
- ``write(result, fmt, path)``: one call per format, ``FORMATS`` lists them.

Paragraph numbers are 0-based indexes and offsets are character offsets into the article's
text, end exclusive: the same values as ``trace --json``.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO


if TYPE_CHECKING:  # pipeline imports the whole tracer; export only needs its dataclass
    import networkx as nx

    from .pipeline import TraceResult

# Formats written as a folder of one file per table, and formats written as one file.
FOLDER_FORMATS = ("csv", "parquet")
FILE_FORMATS = ("jsonl", "graphml", "gexf", "dot")
FORMATS = FOLDER_FORMATS + FILE_FORMATS
TABLES = ("articles", "outlets", "edges", "matches", "spans", "attributions")


class ExportError(Exception):
    """An export cannot be written as asked (unknown format, missing optional library)."""


# ------------------------------------------------------------------------------- tables


def tables(result: TraceResult) -> dict[str, list[dict]]:
    """The findings as rows, one list of dicts per table (names in ``TABLES``).

    Lists (evidence lines, publisher evidence, domains) stay Python lists here; CSV writes
    them as JSON text, Parquet as list columns.
    """
    articles = {a.id: a for a in result.articles}
    outlets = {o.id: o for o in result.outlets}

    def name_of(node: str) -> str | None:
        if node in articles:
            return articles[node].title
        return outlets[node].name if node in outlets else None

    article_rows = [
        {
            "id": a.id,
            "title": a.title,
            "language": a.language,
            "outlet": a.outlet,
            "outlet_name": a.outlet_name,
            "published": a.published,
            "published_evidence": a.published_evidence,
            "url": a.url,
            "domain": a.domain,
            "source": a.source,
            "format": a.format,
            "paragraphs": len(a.paragraphs),
            "boilerplate_paragraphs": sum(1 for p in a.paragraphs if not p.is_content),
            "publisher_evidence": list(a.publisher_evidence),
            "content_hash": a.content_hash,
            "text": a.text,
        }
        for a in result.articles
    ]
    outlet_rows = [
        {"id": o.id, "name": o.name, "domains": list(o.domains), "in_corpus": bool(o.in_corpus)}
        for o in result.outlets
    ]
    edge_rows = [
        {
            "parent": e.parent,
            "child": e.child,
            "kind": e.kind,
            "confidence": float(e.confidence),
            "parent_type": "outlet" if e.parent.startswith("outlet:") else "article",
            "parent_title": name_of(e.parent),
            "child_title": name_of(e.child),
            "evidence": list(e.evidence),
            "alternatives": json.dumps(e.alternatives, ensure_ascii=False),
        }
        for e in result.edges
    ]
    match_rows, span_rows = [], []
    for match_id, m in enumerate(result.matches, start=1):
        match_rows.append(
            {
                "match_id": match_id,
                "a": m.a,
                "b": m.b,
                "kind": m.kind,
                "score": float(m.score),
                "method": m.method,
                "a_coverage": float(m.a_coverage),
                "b_coverage": float(m.b_coverage),
                "a_score": None if m.a_score is None else float(m.a_score),
                "b_score": None if m.b_score is None else float(m.b_score),
                "a_kind": m.a_kind,
                "b_kind": m.b_kind,
                "direction_parent": m.direction[0] if m.direction else None,
                "direction_child": m.direction[1] if m.direction else None,
                "direction_confidence": float(m.direction_confidence),
                "paragraph_pairs": len(m.pairs),
                "evidence": list(m.evidence),
            }
        )
        a_text = articles[m.a].text if m.a in articles else None
        b_text = articles[m.b].text if m.b in articles else None
        for pair in m.pairs:
            for s in pair.spans:
                span_rows.append(
                    {
                        "match_id": match_id,
                        "a": m.a,
                        "b": m.b,
                        "a_paragraph": int(pair.a_paragraph),
                        "b_paragraph": int(pair.b_paragraph),
                        "pair_score": float(pair.score),
                        "a_start": int(s.a_start),
                        "a_end": int(s.a_end),
                        "b_start": int(s.b_start),
                        "b_end": int(s.b_end),
                        "quoted": bool(s.quoted),
                        "a_text": a_text[s.a_start : s.a_end] if a_text is not None else None,
                        "b_text": b_text[s.b_start : s.b_end] if b_text is not None else None,
                    }
                )
    attribution_rows = [
        {
            "article": x.article,
            "outlet": x.outlet,
            "outlet_name": outlets[x.outlet].name if x.outlet in outlets else None,
            "surface": x.surface,
            "phrase": x.phrase,
            "kind": x.kind,
            "paragraph": int(x.paragraph),
            "start": int(x.start),
            "end": int(x.end),
            "language": x.language,
            "text_source": bool(x.text_source),
            "self": bool(x.self),
        }
        for x in result.attributions
    ]
    return {
        "articles": article_rows,
        "outlets": outlet_rows,
        "edges": edge_rows,
        "matches": match_rows,
        "spans": span_rows,
        "attributions": attribution_rows,
    }


# Column order of each table, also for an empty table (a CSV header still says what is
# there): learnt once from a one-row sample, so it cannot drift from ``tables``.
def _columns(name: str) -> list[str]:
    return list(_COLUMNS[name])


def _sample_columns() -> dict[str, tuple[str, ...]]:
    from types import SimpleNamespace

    from .models import Article, Attribution, Edge, Match, Outlet, ParagraphPair, Span

    sample = SimpleNamespace(
        articles=[Article(id="a", source="a", text="x")],
        outlets=[Outlet(id="outlet:x", name="x")],
        attributions=[Attribution("a", "outlet:x", "x", "x", "credit", 0, 0, 1)],
        matches=[Match("a", "a", "copy", 1.0, pairs=[ParagraphPair(0, 0, 1.0, [Span(0, 1, 0, 1)])])],
        edges=[Edge("outlet:x", "a", "attributed", 1.0)],
    )
    return {name: tuple(rows[0]) for name, rows in tables(sample).items()}


_COLUMNS = _sample_columns()


# ------------------------------------------------------------------------------- graphs


def to_graph(result: TraceResult) -> nx.DiGraph:
    """The lineage forest as a networkx DiGraph.

    Nodes are the articles (``type="article"``) and the outlets (``type="outlet"``), with
    ``label`` (title or outlet name), ``language``, ``outlet``, ``outlet_name``,
    ``published``, ``url`` and ``in_corpus``; edges run parent -> child with ``kind``,
    ``confidence`` and ``evidence`` (the lines joined by newlines). Missing values are
    empty strings, as GraphML and GEXF have no null.
    """
    import networkx as nx  # on use: `provenance --help` imports this module for its formats

    graph = nx.DiGraph(name="provenance lineage")
    outlet_names = {o.id: o.name for o in result.outlets}
    for o in result.outlets:
        graph.add_node(
            o.id, type="outlet", label=o.name, language="", outlet=o.id, outlet_name=o.name,
            published="", url="", in_corpus=bool(o.in_corpus),
        )
    for a in result.articles:
        graph.add_node(
            a.id,
            type="article",
            label=a.title or a.id,
            language=a.language or "",
            outlet=a.outlet or "",
            outlet_name=a.outlet_name or outlet_names.get(a.outlet or "", ""),
            published=a.published or "",
            url=a.url or "",
            in_corpus=True,
        )
    for e in result.edges:
        for node in (e.parent, e.child):
            if node not in graph:  # a parent outside the result (archive article, unknown outlet)
                is_outlet = node.startswith("outlet:")
                graph.add_node(node, type="outlet" if is_outlet else "article", label=node,
                               language="", outlet=node if is_outlet else "", outlet_name="",
                               published="", url="", in_corpus=not is_outlet)
        graph.add_edge(e.parent, e.child, kind=e.kind, confidence=float(e.confidence),
                       evidence="\n".join(e.evidence))
    return graph


# Characters XML 1.0 cannot hold (GraphML and GEXF are XML): control characters but tab
# and newlines, and the non-characters U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: str) -> str:
    """``value`` with what XML cannot hold written as a visible escape (ESC -> \\x1b), so a
    hostile title or file name cannot make the whole graph file unreadable."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", value)


def _xml_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``graph`` whose node ids and string attributes are all XML-safe."""
    def clean(data: dict) -> dict:
        return {key: _xml_safe(value) if isinstance(value, str) else value for key, value in data.items()}

    import networkx as nx

    safe = nx.DiGraph(**clean(graph.graph))
    safe.add_nodes_from((_xml_safe(node), clean(data)) for node, data in graph.nodes(data=True))
    safe.add_edges_from((_xml_safe(u), _xml_safe(v), clean(data)) for u, v, data in graph.edges(data=True))
    return safe


def write_dot(result: TraceResult, out: TextIO) -> None:
    """Graphviz DOT of the lineage forest: articles as boxes, outlets as ellipses."""
    graph = to_graph(result)
    out.write("digraph provenance {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n")
    for node, data in graph.nodes(data=True):
        details = ", ".join(x for x in (data["language"], data["published"][:10]) if x)
        label = data["label"] + (f"\n{details}" if details else "")
        shape = "ellipse" if data["type"] == "outlet" else "box"
        out.write(f"  {_dot_quote(node)} [label={_dot_quote(label)}, shape={shape}];\n")
    for parent, child, data in graph.edges(data=True):
        label = f"{data['kind']} {data['confidence']:.2f}"
        out.write(f"  {_dot_quote(parent)} -> {_dot_quote(child)} [label={_dot_quote(label)}];\n")
    out.write("}\n")


def _dot_quote(value: str) -> str:
    """A DOT string literal: article text and ids are hostile, so escape what DOT reads."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r", "").replace("\n", "\\n")
    return f'"{escaped}"'


# ------------------------------------------------------------------------------- writers


def write_csv(result: TraceResult, folder: str | os.PathLike) -> list[Path]:
    """One UTF-8 CSV per table (``articles.csv``, ``edges.csv``, ...) into ``folder``.

    List values are written as JSON text. Returns the files written.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in tables(result).items():
        path = target / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=_columns(name))
            writer.writeheader()
            for row in rows:
                writer.writerow({key: _csv_value(value) for key, value in row.items()})
        written.append(path)
    return written


def _csv_value(value: object) -> object:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def write_parquet(result: TraceResult, folder: str | os.PathLike) -> list[Path]:
    """One Parquet file per table into ``folder`` (needs pyarrow: the ``parquet`` extra)."""
    pa, pq = _pyarrow()
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in tables(result).items():
        columns = _columns(name)
        table = pa.Table.from_pylist(rows) if rows else pa.table({c: pa.array([], pa.string()) for c in columns})
        path = target / f"{name}.parquet"
        pq.write_table(table, path)
        written.append(path)
    return written


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ExportError(
            "Parquet export needs pyarrow, which is not installed: "
            "pip install 'provenance[parquet]'"
        ) from exc
    return pa, pq


def write_jsonl(result: TraceResult, out: TextIO) -> None:
    """One JSON object per line, each with ``"type"``: article, outlet, edge, match, span or
    attribution, and the columns of that table (docs/formats.md)."""
    singular = {"articles": "article", "outlets": "outlet", "edges": "edge", "matches": "match",
                "spans": "span", "attributions": "attribution"}
    for name, rows in tables(result).items():
        for row in rows:
            out.write(json.dumps({"type": singular[name], **row}, ensure_ascii=False) + "\n")


def write(result: TraceResult, fmt: str, path: str | os.PathLike | None = None,
          *, stdout: TextIO | None = None) -> list[Path]:
    """Write ``result`` as ``fmt`` (one of ``FORMATS``).

    csv and parquet write a folder (``path``, default ``provenance-export``); jsonl,
    graphml, gexf and dot write the file ``path``, or to ``stdout`` when ``path`` is None.
    Returns the files written (empty when written to ``stdout``).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in FOLDER_FORMATS:
        folder = path if path is not None else "provenance-export"
        if Path(folder).exists() and not Path(folder).is_dir():
            raise ExportError(f"{folder}: {fmt} export writes a folder, and this is a file")
        return (write_csv if fmt == "csv" else write_parquet)(result, folder)
    if fmt in ("graphml", "gexf"):
        import networkx as nx

        writer = nx.write_graphml if fmt == "graphml" else nx.write_gexf
        graph = _xml_graph(to_graph(result))
        if path is None:
            buffer = io.BytesIO()
            writer(graph, buffer)
            (stdout or _stdout()).write(buffer.getvalue().decode("utf-8"))
            return []
        writer(graph, str(path))
        return [Path(path)]
    text_writer: Callable[[TraceResult, TextIO], None] = write_jsonl if fmt == "jsonl" else write_dot
    if path is None:
        text_writer(result, stdout or _stdout())
        return []
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        text_writer(result, handle)
    return [Path(path)]


def _stdout() -> TextIO:
    import sys

    return sys.stdout
