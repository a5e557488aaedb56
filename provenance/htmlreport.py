"""The lineage as one self-contained HTML page a journalist can open, save and send.

Everything is in the file: CSS inline, the lineage graph as inline SVG, no script and no
network (a Content-Security-Policy forbids both, so a page that is mailed around cannot
phone home). Article text is hostile input: it only ever reaches the page through Jinja2's
autoescaping, never as markup.

    from provenance import htmlreport
    htmlreport.write_report(result, "report.html")   # result: pipeline.TraceResult
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .models import DERIVED_KINDS, Article, Attribution, Edge, Match, Outlet
from .report import MATCH_KIND_WORDS, clean, plain

KIND_COLOUR = {"copy": "#c0392b", "rewrite": "#b7791f", "translation": "#2b6cb0", "attributed": "#2f855a"}
# Runners-up shown next to an edge when they come this close to the chosen parent.
CLOSE_ALTERNATIVE = 0.15
# The page lists this many of the matches that are not edges, strongest first.
OTHER_MATCHES_SHOWN = 50


def render_report(
    articles: list[Article],
    outlets: list[Outlet],
    edges: list[Edge],
    matches: list[Match],
    attributions: Iterable[Attribution] = (),
    *,
    method: str | None = None,
    title: str = "Where this story came from",
    graph: str = "auto",
) -> str:
    """The report as one HTML string. ``graph``: "auto" (Graphviz ``dot`` when installed,
    else the built-in layout), "dot" or "builtin"."""
    page = _Page(articles, outlets, edges, matches, list(attributions))
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        method=method,
        counts=page.counts(),
        svg=Markup(_lineage_svg(page, engine=graph)),
        trees=page.trees(),
        comparisons=page.comparisons(),
        others=page.other_matches(),
        colours=KIND_COLOUR,
    )


def write_report(result, path: str | Path, **options) -> Path:
    """Write ``result`` (a ``pipeline.TraceResult``) as an HTML report to ``path``."""
    html = render_report(
        result.articles, result.outlets, result.edges, result.matches, result.attributions,
        method=result.method, **options,
    )
    path = Path(path)
    path.write_text(html, encoding="utf-8")
    return path


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("provenance", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda value: f"{value:.0%}"
    return env


# --- what the page shows ----------------------------------------------------------------


@dataclass
class _Node:
    id: str
    anchor: str
    label: str  # short, for the graph
    title: str | None
    is_outlet: bool
    details: list[str] = field(default_factory=list)  # language, outlet, date
    note: str | None = None
    url: str | None = None  # shown as text, never a link (it may be "javascript:")


class _Page:
    def __init__(self, articles, outlets, edges, matches, attributions):
        self.articles = {a.id: a for a in articles}
        self.outlets = {o.id: o for o in outlets}
        self.edges = sorted(edges, key=lambda e: e.child)
        self.matches = matches
        self.attributions = attributions
        self.edge_of = {e.child: e for e in self.edges}
        self.children: dict[str, list[Edge]] = {}
        for edge in self.edges:
            self.children.setdefault(edge.parent, []).append(edge)
        # Anchors come from positions, never from ids: an id is hostile text.
        order = [o.id for o in outlets if o.id in self.children] + [a.id for a in articles]
        for edge in self.edges:
            order += [edge.parent, edge.child]
        self.anchor = {}
        for node_id in order:
            self.anchor.setdefault(node_id, f"n{len(self.anchor)}")
        self.edge_anchor = {e.child: f"e{i}" for i, e in enumerate(self.edges)}

    def counts(self) -> dict:
        return {
            "articles": len(self.articles),
            "edges": len(self.edges),
            "text_edges": sum(1 for e in self.edges if e.kind in DERIVED_KINDS),
            "credited_outlets": len({e.parent for e in self.edges if e.parent in self.outlets}),
            "origins": sum(1 for a in self.articles if a not in self.edge_of),
            "languages": sorted({a.language for a in self.articles.values() if a.language}),
        }

    def node(self, node_id: str) -> _Node:
        anchor = self.anchor.get(node_id, "")
        if node_id in self.articles:
            a = self.articles[node_id]
            details = [a.language or "language unknown"]
            if a.outlet_name or a.outlet:
                details.append(clean(a.outlet_name or a.outlet.removeprefix("outlet:")))
            if a.published:
                details.append(a.published[:10])
            label = clean(a.title) if a.title else _tail(clean(node_id), 34)
            url = clean(a.url) if a.url and a.url != node_id else None
            return _Node(node_id, anchor, label, clean(a.title) if a.title else None, False, details, url=url)
        outlet = self.outlets.get(node_id)
        name = clean(outlet.name if outlet else node_id.removeprefix("outlet:"))
        note = None
        if outlet is not None:
            note = "outlet, also in the corpus" if outlet.in_corpus else "credited outlet, not in the corpus"
        return _Node(node_id, anchor, name, name, True, [], note)

    def roots(self) -> list[str]:
        """Nodes with no parent: credited outlets, origins, and any parent not described."""
        roots = [o for o in self.outlets if o in self.children] + [a for a in self.articles if a not in self.edge_of]
        listed = set(roots)
        roots += [p for p in self.children if p not in self.edge_of and p not in listed]
        return roots

    def trees(self) -> list[dict]:
        def grow(node_id: str, seen: frozenset[str]) -> dict:
            kids = [e for e in self.children.get(node_id, []) if e.child not in seen]
            return {
                "node": self.node(node_id),
                "edge": self.edge_view(self.edge_of[node_id]) if node_id in self.edge_of else None,
                "children": [grow(e.child, seen | {e.child}) for e in kids],
            }

        return [grow(root, frozenset([root])) for root in self.roots()]

    def edge_view(self, edge: Edge) -> dict:
        ids = [i for i in (edge.parent, edge.child) if i in self.articles]
        lines = [plain(line, ids) for line in edge.evidence]
        close = [
            {"node": self.node(alt["parent"]), "kind": alt["kind"], "confidence": alt["confidence"]}
            for alt in edge.alternatives
            if alt["confidence"] >= edge.confidence - CLOSE_ALTERNATIVE
        ]
        return {
            "kind": edge.kind,
            "confidence": edge.confidence,
            "reason": lines[0] if lines else "",
            "more": lines[1:],
            "alternatives": close,
            "anchor": self.edge_anchor[edge.child],
            "parent": self.node(edge.parent),
            "child": self.node(edge.child),
        }

    def match_between(self, x: str, y: str) -> Match | None:
        if not hasattr(self, "_match_index"):
            self._match_index: dict[frozenset, Match] = {}
            for m in self.matches:
                key = frozenset((m.a, m.b))
                if key not in self._match_index or m.score > self._match_index[key].score:
                    self._match_index[key] = m
        return self._match_index.get(frozenset((x, y)))

    def comparisons(self) -> list[dict]:
        out = []
        for edge in self.edges:
            view = self.edge_view(edge)
            child = self.articles.get(edge.child)
            parent = self.articles.get(edge.parent)
            match = self.match_between(edge.parent, edge.child) if parent and child else None
            if match is not None and child is not None and parent is not None:
                parent_first = match.a == parent.id
                coverage = (match.b_coverage, match.a_coverage) if parent_first else (match.a_coverage, match.b_coverage)
                view["coverage"] = {"child": coverage[0], "parent": coverage[1]}
                if match.kind == "translation" or edge.kind == "translation":
                    view["layout"] = "pairs"
                    view["rows"] = _paragraph_pairs(parent, child, match)
                else:
                    view["layout"] = "texts"
                    spans_parent, spans_child = _spans_by_side(match, parent.id)
                    view["columns"] = [_full_text(parent, spans_parent), _full_text(child, spans_child)]
            elif child is not None:
                view["layout"] = "credits"
                credits = [x for x in self.attributions
                           if x.article == child.id and x.outlet == edge.parent and x.text_source]
                view["credits"] = _credit_paragraphs(child, credits)
            else:
                view["layout"] = "none"
            out.append(view)
        return out

    def other_matches(self) -> dict:
        linked = {frozenset((e.parent, e.child)) for e in self.edges}
        other = sorted(
            (m for m in self.matches if frozenset((m.a, m.b)) not in linked),
            key=lambda m: -m.score,
        )
        shown = []
        for m in other[:OTHER_MATCHES_SHOWN]:
            shown.append({
                "a": self.node(m.a), "b": self.node(m.b), "score": m.score,
                "kind": MATCH_KIND_WORDS.get(m.kind, m.kind),
                # The verdict line for what is not derivation, the main line otherwise.
                "why": plain(m.evidence[-1 if m.kind not in DERIVED_KINDS else 0], [m.a, m.b]) if m.evidence else "",
            })
        return {"shown": shown, "more": max(0, len(other) - OTHER_MATCHES_SHOWN)}


# --- the texts, with shared spans marked --------------------------------------------------


def _spans_by_side(match: Match, first_id: str) -> tuple[list, list]:
    """Spans as (start, end, quoted) on the side of ``first_id`` and on the other side."""
    ours, theirs = [], []
    a_is_first = match.a == first_id
    for pair in match.pairs:
        for s in pair.spans:
            a_side, b_side = (s.a_start, s.a_end, s.quoted), (s.b_start, s.b_end, s.quoted)
            ours.append(a_side if a_is_first else b_side)
            theirs.append(b_side if a_is_first else a_side)
    return ours, theirs


def marked(text: str, start: int, end: int, spans: Iterable[tuple[int, int, bool]]) -> list[tuple[str, str]]:
    """``text[start:end]`` cut into (piece, class) runs: "" plain, "shared" reused text,
    "quoted" shared words inside quotation marks (a third party's, not reuse)."""
    classes = [""] * (end - start)
    for s, e, quoted in spans:
        for i in range(max(s, start), min(e, end)):
            # Quoted words keep their own mark wherever a plain run overlaps them.
            if classes[i - start] != "quoted":
                classes[i - start] = "quoted" if quoted else "shared"
    runs: list[tuple[str, str]] = []
    offset = start
    for cls, group in groupby(classes):
        size = sum(1 for _ in group)
        runs.append((text[offset:offset + size], cls))
        offset += size
    return runs


# This many set-aside paragraphs in a row (comments, share lines, teasers) fold away.
_FOLD_BOILERPLATE = 3


def _full_text(article: Article, spans) -> dict:
    """The article's paragraphs with spans marked, runs of boilerplate folded into blocks."""
    blocks: list[dict] = []
    for p in article.paragraphs:
        paragraph = {
            "number": p.index + 1,
            "runs": marked(article.text, p.start, p.end, spans),
            "boilerplate": p.boilerplate,
            "lang": p.language or article.language,
        }
        if p.boilerplate and blocks and blocks[-1]["aside"]:
            blocks[-1]["paragraphs"].append(paragraph)
        else:
            blocks.append({"aside": bool(p.boilerplate), "paragraphs": [paragraph]})
    for block in blocks:
        block["fold"] = block["aside"] and len(block["paragraphs"]) >= _FOLD_BOILERPLATE
        block["reasons"] = sorted({q["boilerplate"] for q in block["paragraphs"] if q["boilerplate"]})
    return {"article": article.id, "blocks": blocks}


def _paragraph_pairs(parent: Article, child: Article, match: Match) -> list[dict]:
    parent_first = match.a == parent.id
    by_index = {"parent": {p.index: p for p in parent.paragraphs}, "child": {p.index: p for p in child.paragraphs}}
    rows = []
    for pair in sorted(match.pairs, key=lambda p: p.b_paragraph if parent_first else p.a_paragraph):
        ip, ic = (pair.a_paragraph, pair.b_paragraph) if parent_first else (pair.b_paragraph, pair.a_paragraph)
        pp, pc = by_index["parent"].get(ip), by_index["child"].get(ic)
        if pp is None or pc is None:
            continue
        rows.append({
            "score": pair.score,
            "method": pair.method,
            "parent": {"number": ip + 1, "text": clean(parent.text[pp.start:pp.end]), "lang": pp.language or parent.language},
            "child": {"number": ic + 1, "text": clean(child.text[pc.start:pc.end]), "lang": pc.language or child.language},
        })
    return rows


def _credit_paragraphs(article: Article, credits: list[Attribution]) -> list[dict]:
    out = []
    for index in sorted({c.paragraph for c in credits}):
        p = next((q for q in article.paragraphs if q.index == index), None)
        if p is None:
            continue
        spans = [(c.start, c.end, False) for c in credits if c.paragraph == index]
        out.append({"number": index + 1, "runs": marked(article.text, p.start, p.end, spans),
                    "kinds": sorted({c.kind.replace("_", " ") for c in credits if c.paragraph == index})})
    return out


# --- the lineage graph as SVG ---------------------------------------------------------------

_NODE_W, _NODE_H, _COL_GAP, _ROW_GAP, _PAD = 230, 44, 120, 14, 12
# A graph up to this wide (px) is shrunk to the page; a wider one keeps its size and
# scrolls, so its labels stay readable.
_FIT_WIDTH = 1600


def _lineage_svg(page: _Page, engine: str = "auto") -> str:
    """The forest as an SVG picture: Graphviz ``dot`` when asked for or found, else a
    layered layout drawn here (roots on the left, one column per generation)."""
    if engine in ("auto", "dot") and shutil.which("dot"):
        drawn = _dot_svg(page)
        if drawn is not None:
            return drawn
    if engine == "dot" and not shutil.which("dot"):
        raise RuntimeError("Graphviz `dot` is not installed")
    return _builtin_svg(page)


def _layout(page: _Page) -> tuple[dict[str, tuple[int, int]], int, int]:
    """(column, row) of every node: a tidy tree per root, trees stacked, children in rows
    under their parent so no two edges cross."""
    place: dict[str, tuple[int, int]] = {}
    next_row = 0
    depth_max = 0

    def visit(node_id: str, depth: int, seen: frozenset[str]) -> float:
        nonlocal next_row, depth_max
        depth_max = max(depth_max, depth)
        kids = [e.child for e in page.children.get(node_id, []) if e.child not in seen and e.child not in place]
        if not kids:
            row = next_row
            next_row += 1
        else:
            rows = [visit(k, depth + 1, seen | {k}) for k in kids]
            row = (rows[0] + rows[-1]) / 2
        place[node_id] = (depth, row)
        return row

    for root in page.roots():
        if root not in place:
            visit(root, 0, frozenset([root]))
    return place, depth_max + 1, next_row


def _builtin_svg(page: _Page) -> str:
    place, columns, rows = _layout(page)
    width = _PAD * 2 + columns * _NODE_W + (columns - 1) * _COL_GAP
    height = _PAD * 2 + max(1, rows) * (_NODE_H + _ROW_GAP)

    def box(node_id: str) -> tuple[float, float]:
        col, row = place[node_id]
        return _PAD + col * (_NODE_W + _COL_GAP), _PAD + row * (_NODE_H + _ROW_GAP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph builtin{" fit" if width <= _FIT_WIDTH else ""}" '
        f'width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="lineage graph">'
    ]
    for edge in page.edges:
        if edge.parent not in place or edge.child not in place:
            continue
        (px, py), (cx, cy) = box(edge.parent), box(edge.child)
        x1, y1, x2, y2 = px + _NODE_W, py + _NODE_H / 2, cx, cy + _NODE_H / 2
        mid = (x1 + x2) / 2
        colour = KIND_COLOUR.get(edge.kind, "#555")
        dash = ' stroke-dasharray="5 4"' if edge.kind == "attributed" else ""
        parts.append(
            f'<a href="#{page.edge_anchor[edge.child]}"><path d="M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} '
            f'{mid:.0f},{y2:.0f} {x2 - 6:.0f},{y2:.0f}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<polygon points="{x2:.0f},{y2:.0f} {x2 - 8:.0f},{y2 - 4:.0f} {x2 - 8:.0f},{y2 + 4:.0f}" fill="{colour}"/>'
            f'<text x="{x2 - 10:.0f}" y="{y2 - 5:.0f}" class="edge-label" fill="{colour}">'
            f"{_xml(edge.kind)} {edge.confidence:.2f}</text></a>"
        )
    for node_id, _ in sorted(place.items(), key=lambda item: (item[1][0], item[1][1])):
        node = page.node(node_id)
        x, y = box(node_id)
        first = _shorten(node.label, 34)
        second = _shorten(" · ".join(node.details) if node.details else (node.note or ""), 40)
        cls = "outlet" if node.is_outlet else "article"
        parts.append(
            f'<a href="#{node.anchor}"><g class="node {cls}"><title>{_xml(clean(node.id))}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{_NODE_W}" height="{_NODE_H}" rx="6"/>'
            # A nested viewport clips what a wide script would push past the box.
            f'<svg x="{x + 6:.0f}" y="{y:.0f}" width="{_NODE_W - 12}" height="{_NODE_H}">'
            f'<text x="2" y="18" class="node-title">{_xml(first)}</text>'
            f'<text x="2" y="35" class="node-details">{_xml(second)}</text></svg></g></a>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _dot_svg(page: _Page) -> str | None:
    lines = ["digraph lineage {", "rankdir=LR;", 'node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=10];',
             'edge [fontname="sans-serif", fontsize=9];']
    nodes = set(page.articles) | {e.parent for e in page.edges}
    for node_id in sorted(nodes, key=lambda n: page.anchor.get(n, "")):
        node = page.node(node_id)
        label = _shorten(node.label, 34) + "\n" + _shorten(" · ".join(node.details) or (node.note or ""), 40)
        fill = "#f3e8ff" if node.is_outlet else "#ffffff"
        lines.append(f'"{node.anchor}" [label={_dot_string(label)}, tooltip={_dot_string(node.id)}, '
                     f'URL="#{node.anchor}", fillcolor="{fill}"];')
    for edge in page.edges:
        colour = KIND_COLOUR.get(edge.kind, "#555")
        style = "dashed" if edge.kind == "attributed" else "solid"
        lines.append(f'"{page.anchor[edge.parent]}" -> "{page.anchor[edge.child]}" '
                     f'[label="{edge.kind} {edge.confidence:.2f}", color="{colour}", fontcolor="{colour}", '
                     f'style={style}, URL="#{page.edge_anchor[edge.child]}"];')
    lines.append("}")
    try:
        done = subprocess.run(["dot", "-Tsvg"], input="\n".join(lines), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or "<svg" not in done.stdout:
        return None
    svg = done.stdout[done.stdout.index("<svg"):]
    # Graphviz writes its own comments and links; anything script-like is dropped all the same.
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<script.*?</script>", "", svg, flags=re.S | re.I)
    width = re.search(r'width="([\d.]+)pt"', svg)
    fits = width is not None and float(width.group(1)) * 4 / 3 <= _FIT_WIDTH
    return svg.replace("<svg ", f'<svg class="graph{" fit" if fits else ""}" ', 1)


def _dot_string(value: str) -> str:
    """A DOT double-quoted string: quotes and backslashes escaped (so "\\N" or "\\l" in
    a title stay text), line breaks as DOT's centred "\\n"."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n") + '"'


def _tail(text: str, limit: int) -> str:
    """The end of a long id (the file name), which tells articles apart."""
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _xml(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))
