"""Stage 8b: what a journalist reads in the terminal.

Article text is hostile input: everything from an article goes through ``rich.text.Text``
objects (never markup strings), so "[bold]" or escape codes in a page print as themselves.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .models import Article, Attribution, Edge, Match, Outlet

KIND_STYLE = {"copy": "red", "rewrite": "yellow", "translation": "cyan", "attributed": "green"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    """A name (path, URL, id) as one visible line: control, line-break and bidi characters
    become escapes (a newline shows as \\n, ESC as \\x1b), so a file name can neither
    split an error line in two nor send escape sequences to the terminal."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
        if named:
            return named
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(escape, str(value))


def clean(value: object, limit: int | None = None) -> str:
    """Printable one-line text: control and bidi-override characters removed, shortened."""
    text = _CONTROL.sub("", " ".join(str(value).split()))
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


# Internal terms of the aligners' evidence lines, in words a reader knows (display only:
# the JSON keeps the lines as the stages wrote them).
_PLAIN_TERMS = [
    (re.compile(r"\bmore bridged by position\b"), "more matched by their place between aligned paragraphs"),
    (re.compile(r"^decided by: anchors$"), "paragraphs matched by the numbers, dates and names they share"),
    (re.compile(r"^decided by: embeddings?$"), "paragraphs matched by meaning (multilingual sentence model)"),
    (re.compile(r"^decided by: (.+)$"), r"paragraphs matched by: \1"),
    (re.compile(r"\(shared numbers, dates and names\)"), "(by the numbers, dates and names they share)"),
    (re.compile(r"\(embedding margin\)"), "(by meaning, multilingual sentence model)"),
    (re.compile(r"\bwords in shared runs\b"), "words in passages shared word for word"),
    (re.compile(r"^shared runs cover\b"), "passages shared word for word cover"),
    (re.compile(r"\bshared runs\b"), "passages shared word for word"),
    (re.compile(r"\banchors\b"), "shared numbers, dates and names"),
    (re.compile(r"^direction undecided: "), "who copied whom is undecided: "),
    (re.compile(r"^direction: "), "who copied whom: "),
    (re.compile(r"\bnot derived\)"), "not a copy)"),
]
_PARAGRAPH_NUMBER = re.compile(r"\b(in paragraph) (\d+)\b")
MATCH_KIND_WORDS = {
    "shared_quote": "only a third party's quoted words in common",
    "incidental": "a few phrases in common",
    "copy": "copy",
    "rewrite": "rewrite",
    "translation": "translation",
}


def plain(line: str, ids: Iterable[str] = ()) -> str:
    """An evidence line in plain words: paragraphs numbered from 1 as a reader counts them,
    internal terms replaced, and file basenames the aligners print expanded to the full
    article ids in ``ids`` (two articles in different folders may share a basename)."""
    text = _PARAGRAPH_NUMBER.sub(lambda m: f"{m.group(1)} {int(m.group(2)) + 1}", line)
    for pattern, words in _PLAIN_TERMS:
        text = pattern.sub(words, text)
    by_base: dict[str, list[str]] = {}
    for article_id in set(ids):
        by_base.setdefault(article_id.rsplit("/", 1)[-1], []).append(article_id)
    for base, full in by_base.items():
        # Two ids with one basename cannot be told apart from the line: left as written.
        if len(full) == 1 and base != full[0]:
            text = re.sub(rf"(?<![\w/.-]){re.escape(base)}(?![\w.-])", lambda _m, f=full[0]: f, text)
    return text


# How much the terminal says: -q the forest only, default a short reason per edge, -v
# every evidence line, the runners-up and every pair that shares text.
QUIET, NORMAL, VERBOSE = 0, 1, 2
# Default cap of the "shared text that is not an edge" list (strongest first).
OTHER_MATCHES_SHOWN = 10


def forest(
    articles: list[Article],
    outlets: list[Outlet],
    edges: list[Edge],
    matches: list[Match],
    verbosity: int = NORMAL,
) -> list[Tree]:
    """One rich Tree per root: outlets credited by the corpus and articles with no parent."""
    by_id = {a.id: a for a in articles}
    outlet_by_id = {o.id: o for o in outlets}
    children: dict[str, list[Edge]] = {}
    for edge in edges:
        children.setdefault(edge.parent, []).append(edge)
    has_parent = {e.child for e in edges}
    roots = [o.id for o in outlets if o.id in children]
    roots += [a.id for a in articles if a.id not in has_parent]
    names = {**{a.id: _name(a) for a in articles}, **{o.id: clean(o.name) for o in outlets}}

    def grow(node: Tree, node_id: str, seen: set[str]) -> None:
        for edge in sorted(children.get(node_id, []), key=lambda e: e.child):
            if edge.child in seen:
                continue
            child = node.add(_edge_label(edge, by_id.get(edge.child), verbosity, names))
            grow(child, edge.child, seen | {edge.child})

    trees = []
    for root in roots:
        if root in outlet_by_id:
            tree = Tree(_outlet_label(outlet_by_id[root]))
        else:
            tree = Tree(_article_label(by_id[root], root=True))
        grow(tree, root, {root})
        trees.append(tree)
    return trees


def _name(article: Article) -> str:
    """How an article is named in a line: its title with its id, or the id alone."""
    return f"'{clean(article.title)}' ({clean(article.id)})" if article.title else clean(article.id)


def _outlet_label(outlet: Outlet) -> Text:
    label = Text(clean(outlet.name), style="bold magenta")
    label.append("  " + ("outlet, also in the corpus" if outlet.in_corpus else "credited outlet, not in the corpus"), style="dim")
    return label


def _article_label(article: Article, root: bool = False) -> Text:
    label = Text(clean(article.id), style="bold")
    details = [article.language or "?"]
    if article.outlet_name or article.outlet:
        details.append(clean(article.outlet_name or article.outlet.removeprefix("outlet:")))
    if article.published:
        details.append(article.published[:10])
    label.append("  " + " · ".join(details), style="dim")
    if article.title:
        label.append("\n" + clean(article.title), style="italic")
    if root:
        label.append("\norigin as far as the evidence shows (no parent found)", style="dim")
    return label


def _edge_label(edge: Edge, child: Article | None, verbosity: int, names: dict[str, str]) -> Text:
    label = _article_label(child) if child else Text(clean(edge.child), style="bold")
    label.append("\n")
    label.append(f"{edge.kind} ", style=KIND_STYLE.get(edge.kind, ""))
    label.append(f"(confidence {edge.confidence:.2f})", style="dim")
    if verbosity <= QUIET:
        return label
    ids = [edge.parent, edge.child]
    lines = [clean(plain(line, ids)) for line in edge.evidence]
    if not lines:
        return label
    label.append(": " + lines[0])
    rest = lines[1:]
    if verbosity >= VERBOSE:
        shown = rest
    else:
        # A short reason: the main line, and how the direction was argued.
        shown = [line for line in rest if line.startswith("who copied whom")][:1]
    for line in shown:
        label.append("\n  " + line, style="dim")
    hidden = len(rest) - len(shown)
    if hidden:
        label.append(f"\n  (+{hidden} more line(s) of evidence: -v)", style="dim")
    if verbosity >= VERBOSE and edge.alternatives:
        others = "; ".join(
            f"{names.get(a['parent'], clean(a['parent']))} ({a['kind']}, {a['confidence']:.2f})"
            for a in edge.alternatives
        )
        label.append("\n  also considered: " + others, style="dim")
    return label


def headline(articles: list[Article], edges: list[Edge]) -> str:
    """What the forest says, counted in articles (never in pairs)."""
    derived = sum(1 for e in edges if e.kind != "attributed")
    credited = sum(1 for e in edges if e.kind == "attributed")
    origins = len(articles) - len({e.child for e in edges})
    n = len(articles)
    return (
        f"{n} article{'s' if n != 1 else ''}: {derived} derived from another article, "
        f"{credited} crediting an outlet, {origins} with no parent found"
    )


def print_trace(
    console: Console,
    articles: list[Article],
    outlets: list[Outlet],
    edges: list[Edge],
    matches: list[Match],
    method: str | None = None,
    verbosity: int = NORMAL,
) -> None:
    console.print(Text(headline(articles, edges), style="bold"))
    if method and verbosity > QUIET:
        console.print(Text(f"cross-lingual method: {method}", style="dim"))
    console.print()
    for tree in forest(articles, outlets, edges, matches, verbosity):
        console.print(tree)
        console.print()
    linked = {frozenset((e.parent, e.child)) for e in edges}
    other = sorted((m for m in matches if frozenset((m.a, m.b)) not in linked), key=lambda m: (-m.score, m.a, m.b))
    if not other:
        return
    if verbosity <= QUIET:
        console.print(Text(f"{len(other)} pair(s) share text that is not an edge (-v or --json to list them)", style="dim"))
        return
    shown = other if verbosity >= VERBOSE else other[:OTHER_MATCHES_SHOWN]
    console.print(Text(f"Shared text that is not an edge ({len(other)} pair(s), strongest first):", style="bold"))
    for m in shown:
        line = Text(f"  {clean(m.a)} ~ {clean(m.b)}: ")
        line.append(MATCH_KIND_WORDS.get(m.kind, m.kind))
        line.append(f" (score {m.score:.2f})", style="dim")
        if verbosity >= VERBOSE:
            for evidence in m.evidence:
                line.append("\n      " + clean(plain(evidence, [m.a, m.b])), style="dim")
        console.print(line)
    if len(other) > len(shown):
        console.print(Text(f"  and {len(other) - len(shown)} more; see --json (or -v)", style="dim"))


def attributions_table(attributions: list[Attribution], outlets: dict[str, Outlet]) -> Table:
    table = Table(title="Credits found")
    for column in ("article", "outlet", "kind", "phrase", "¶"):
        table.add_column(column, overflow="fold")
    for a in attributions:
        name = outlets[a.outlet].name if a.outlet in outlets else a.outlet
        table.add_row(
            Text(clean(a.article)),
            Text(clean(name)),
            Text(a.kind.replace("_", " ") + ("" if a.text_source else " (not a text source)")),
            Text(clean(a.phrase)),
            Text(str(a.paragraph + 1)),
        )
    return table


def side_by_side(a: Article, b: Article, match: Match, verbosity: int = NORMAL) -> Table:
    """The two articles' aligned paragraphs, shared spans highlighted. Paragraphs are
    numbered from 1; long words and scripts without spaces (CJK) fold, never cut."""
    # Ids are text, not markup: "[link=file:...]" or "q[/x]" in an id must print as itself.
    title = Text(f"{clean(a.id)} ~ {clean(b.id)}: {MATCH_KIND_WORDS.get(match.kind, match.kind)} (score {match.score:.2f})")
    caption = None
    if verbosity >= VERBOSE and match.evidence:
        caption = Text("\n".join(clean(plain(line, [a.id, b.id])) for line in match.evidence), justify="left")
    table = Table(title=title, caption=caption, show_lines=True)
    table.add_column(Text(f"¶ {clean(a.id)}"), ratio=1, overflow="fold")
    table.add_column(Text(f"¶ {clean(b.id)}"), ratio=1, overflow="fold")
    table.add_column("score", justify="right", no_wrap=True)
    a_is_first = match.a == a.id
    for pair in match.pairs:
        ia, ib = (pair.a_paragraph, pair.b_paragraph) if a_is_first else (pair.b_paragraph, pair.a_paragraph)
        pa, pb = _paragraph(a, ia), _paragraph(b, ib)
        if pa is None or pb is None:
            continue
        spans_a = [(s.a_start, s.a_end, s.quoted) if a_is_first else (s.b_start, s.b_end, s.quoted) for s in pair.spans]
        spans_b = [(s.b_start, s.b_end, s.quoted) if a_is_first else (s.a_start, s.a_end, s.quoted) for s in pair.spans]
        table.add_row(
            _highlight(a.text, pa.start, pa.end, spans_a, ia),
            _highlight(b.text, pb.start, pb.end, spans_b, ib),
            f"{pair.score:.2f}",
        )
    return table


def _paragraph(article: Article, index: int):
    return next((p for p in article.paragraphs if p.index == index), None)


def _highlight(text: str, start: int, end: int, spans, index: int) -> Text:
    out = Text(f"[{index + 1}] ", style="dim")
    body = Text(_CONTROL.sub(" ", text[start:end]))
    for s, e, quoted in spans:
        if start <= s < e <= end:
            body.stylize("italic blue" if quoted else "bold reverse", s - start, e - start)
    out.append_text(body)
    return out


def make_console() -> Console:
    return Console(highlight=False, soft_wrap=False)
