"""Stage 7: lineage — one best parent per article, argued from evidence, as a forest.

Candidate parents of an article C:
- text parents: corpus articles P that share derived text with C (a copy, rewrite or
  translation match). Which way the text went is argued from evidence (``direction``):
  publication dates, credits (C credits P's outlet), a wire agency's text being the
  source, containment (C is mostly P's text while P has more of its own) and what the
  cross-lingual aligner found (carried-over artifacts). Never from file order.
- credited outlets: outlets C credits (according to, credit lines, datelines, ...) that
  are not C's own outlet. They become ``attributed`` edges from the outlet node: the outlet
  may be absent from the corpus, or present without any text C shares.

A text parent whose direction is argued beats a credit; a text match whose direction the
evidence does not decide loses to a credit both could share (siblings under one source).
The per-article choices are made consistent (no cycles) by a maximum branching (networkx).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import networkx as nx

from .models import DERIVED_KINDS, Article, Attribution, Edge, Match, Outlet
from .outlets import OutletRegistry

# How much one credit of each kind says "my text comes from that outlet".
CREDIT_WEIGHT = {
    "credit": 0.9,  # (With information from Reuters and EFE)
    "dateline": 0.85,  # LONDON (Reuters) -
    "source_footer": 0.85,  # (Theo FT), Source: ...
    "quotes_report": 0.85,  # quotes a report from the Financial Times
    "via": 0.75,  # (ft.com), via The Verge
    "according_to": 0.7,
    "first_reported": 0.6,  # names who broke the story, not necessarily who was copied
    "told": 0.5,  # someone told that outlet: it did the reporting
}
# News is reused within days: shared text published further apart than this is more
# likely a formula or a background paragraph, and its edge confidence is halved.
RECENCY_DAYS = 7
# One outlet's two reports this far apart that share sentences are its template or stock
# background (a 2023 landslide bulletin and a 2025 one), not a copy of each other.
SAME_OUTLET_TEMPLATE_DAYS = 30
# A direction is "argued" when its confidence reaches this; below, it is undecided.
ARGUED = 0.6
MIN_CONFIDENCE = 0.35


@dataclass
class Candidate:
    parent: str
    child: str
    kind: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    argued: bool = False  # a text parent with a decided direction

    @property
    def weight(self) -> float:
        # Argued text parents rank above every credit; the rest compete on confidence.
        return self.confidence + (1.0 if self.argued else 0.0)


def build_forest(
    articles: list[Article],
    matches: list[Match],
    attributions: list[Attribution],
    registry: OutletRegistry,
) -> tuple[list[Edge], list[Outlet]]:
    """The lineage forest (one edge per article that has a parent) and the outlets involved."""
    by_id = {a.id: a for a in articles}
    credits = _credits_by_article(attributions, by_id)
    candidates: dict[str, list[Candidate]] = defaultdict(list)

    for match in matches:
        if match.kind not in DERIVED_KINDS or match.a not in by_id or match.b not in by_id:
            continue
        a, b = by_id[match.a], by_id[match.b]
        confidence_a_parent, reasons = direction(a, b, match, credits, registry)
        for parent, child, dir_conf in ((a, b, confidence_a_parent), (b, a, 1 - confidence_a_parent)):
            if dir_conf < 0.5:
                continue  # the evidence points the other way: this one is the copy
            kind, score = match.as_copy(child.id)
            if kind is None:
                continue  # little of the child's own text comes from the other article
            strength = _text_strength(kind, score)
            # The aligner's own direction lines are restated below, weighed with the rest.
            evidence = [e for e in match.evidence if not e.startswith("direction")]
            gap = _days_apart(parent, child)
            if gap is not None and gap > SAME_OUTLET_TEMPLATE_DAYS and parent.outlet and parent.outlet == child.outlet:
                continue
            if gap is not None and gap > RECENCY_DAYS:
                strength *= 0.5
                evidence.append(f"published {gap} days apart: reuse this late is less likely")
            if dir_conf >= ARGUED:
                evidence += [f"direction: {r}" for r in reasons[parent.id]]
            else:
                evidence.append(
                    "direction undecided: "
                    + ("; ".join(reasons[parent.id] + reasons[child.id]) or "no dates, credits or artifacts tell")
                )
            candidates[child.id].append(
                Candidate(
                    parent=parent.id,
                    child=child.id,
                    kind=kind,
                    confidence=round(strength * (0.5 + 0.5 * dir_conf), 3),
                    evidence=evidence,
                    argued=dir_conf >= ARGUED,
                )
            )

    for article_id, outlet_credits in credits.items():
        for outlet_id, items in outlet_credits.items():
            candidates[article_id].append(_credit_candidate(article_id, outlet_id, items))

    edges = _branching(candidates)
    outlets = _outlets(articles, attributions, edges, registry)
    return edges, outlets


def direction(
    a: Article,
    b: Article,
    match: Match,
    credits: dict[str, dict[str, list[Attribution]]],
    registry: OutletRegistry,
) -> tuple[float, dict[str, list[str]]]:
    """How sure we are that ``a`` is the parent of ``b`` (0.5 = undecided), with reasons.

    Reasons are keyed by the article they argue *for* as parent.
    """
    score = 0.0
    reasons: dict[str, list[str]] = {a.id: [], b.id: []}

    def argue(for_parent: Article, weight: float, why: str) -> None:
        nonlocal score
        score += weight if for_parent is a else -weight
        reasons[for_parent.id].append(why)

    if a.published and b.published and a.published[:10] != b.published[:10]:
        earlier, later = (a, b) if a.published < b.published else (b, a)
        argue(earlier, 0.35, f"{earlier.id} published {earlier.published[:10]}, {later.id} {later.published[:10]}")
    for parent, child in ((a, b), (b, a)):
        if parent.outlet and parent.outlet in credits.get(child.id, {}):
            phrase = credits[child.id][parent.outlet][0].phrase
            argue(parent, 0.3, f"{child.id} credits {parent.outlet_name or parent.outlet} ('{phrase}')")
    a_wire = bool(a.outlet) and registry.is_wire(a.outlet)
    b_wire = bool(b.outlet) and registry.is_wire(b.outlet)
    if a_wire != b_wire:
        wire, other = (a, b) if a_wire else (b, a)
        argue(wire, 0.15, f"{wire.outlet_name or wire.outlet} is a news agency, {other.outlet_name or other.id} is not")
    if match.direction is not None and match.direction_confidence > 0.5:
        parent_id = match.direction[0]
        parent = a if parent_id == a.id else b
        why = [e.removeprefix("direction: ") for e in match.evidence if e.startswith("direction")]
        argue(parent, 0.9 * (match.direction_confidence - 0.5), "; ".join(why) or "aligner's direction cues")
    if match.kind != "translation":
        # The copy is mostly made of the source's text; the source has more of its own.
        a_cov, b_cov = match.a_coverage, match.b_coverage
        if abs(a_cov - b_cov) >= 0.2:
            source, copy = (a, b) if b_cov > a_cov else (b, a)
            argue(source, 0.1, f"{copy.id} is mostly text it shares with {source.id}, not the other way round")
    confidence = 0.5 + max(-0.45, min(0.45, score))
    return confidence, reasons


def _days_apart(a: Article, b: Article) -> int | None:
    try:
        first = date.fromisoformat(a.published[:10])  # type: ignore[index]
        second = date.fromisoformat(b.published[:10])  # type: ignore[index]
    except (TypeError, ValueError):
        return None
    return abs((second - first).days)


def _text_strength(kind: str, score: float) -> float:
    """0.5-0.95: how strongly the shared text alone says the child derives from the parent."""
    if kind == "translation":
        return 0.5 + 0.45 * min(1.0, score)
    return 0.5 + 0.45 * min(1.0, score / 0.5)


def _credits_by_article(
    attributions: list[Attribution], by_id: dict[str, Article]
) -> dict[str, dict[str, list[Attribution]]]:
    """Credits that name a text source other than the article's own outlet."""
    out: dict[str, dict[str, list[Attribution]]] = defaultdict(lambda: defaultdict(list))
    for attribution in sorted(attributions, key=lambda x: (x.article, x.start)):
        article = by_id.get(attribution.article)
        if article is None or not attribution.text_source:
            continue
        if attribution.kind not in CREDIT_WEIGHT or attribution.outlet == article.outlet:
            continue
        out[attribution.article][attribution.outlet].append(attribution)
    return out


def _credit_candidate(article_id: str, outlet_id: str, items: list[Attribution]) -> Candidate:
    best = max(CREDIT_WEIGHT[i.kind] for i in items)
    confidence = min(0.95, best + 0.05 * min(2, len(items) - 1))
    evidence = [f"'{i.phrase}' in paragraph {i.paragraph} ({i.kind.replace('_', ' ')})" for i in items[:3]]
    if len(items) > 3:
        evidence.append(f"and {len(items) - 3} more credit(s)")
    evidence.append("no text of this outlet in the corpus: credited, not compared")
    return Candidate(outlet_id, article_id, "attributed", round(confidence, 3), evidence)


def _branching(candidates: dict[str, list[Candidate]]) -> list[Edge]:
    graph = nx.DiGraph()
    chosen: dict[tuple[str, str], Candidate] = {}
    for child, items in candidates.items():
        for c in items:
            if c.confidence < MIN_CONFIDENCE:
                continue
            key = (c.parent, c.child)
            # Two candidates for one pair (a text match and a credit): keep the stronger.
            if key not in chosen or c.weight > chosen[key].weight:
                chosen[key] = c
                graph.add_edge(c.parent, c.child, weight=c.weight)
    edges = []
    for parent, child in sorted(_maximum_branching(graph), key=lambda e: e[1]):
        best = chosen[(parent, child)]
        others = sorted(
            (c for c in candidates[child] if c.parent != parent and c.confidence >= MIN_CONFIDENCE),
            key=lambda c: -c.weight,
        )
        edges.append(
            Edge(
                parent=parent,
                child=child,
                kind=best.kind,
                confidence=best.confidence,
                evidence=best.evidence,
                alternatives=[
                    {"parent": c.parent, "kind": c.kind, "confidence": c.confidence} for c in others[:3]
                ],
            )
        )
    return edges


def _maximum_branching(graph: nx.DiGraph) -> list[tuple[str, str]]:
    """The edges of a maximum branching, found per weakly connected component.

    A branching never links two components, so the union of the components' branchings
    is the whole graph's; Edmonds' algorithm is superlinear, the components are small.
    Each component is rebuilt with its nodes and edges in the whole graph's order, so that
    ties between equal-weight branchings are broken as over the whole graph (and never by
    the iteration order of a set).
    """
    component_of: dict[str, int] = {}
    for number, nodes in enumerate(nx.weakly_connected_components(graph)):
        for node in nodes:
            component_of[node] = number
    parts: dict[int, nx.DiGraph] = {}
    for node in graph:
        parts.setdefault(component_of[node], nx.DiGraph()).add_node(node)
    for parent, child, data in graph.edges(data=True):
        parts[component_of[parent]].add_edge(parent, child, **data)
    chosen: list[tuple[str, str]] = []
    for part in parts.values():
        if part.number_of_edges() == 1:
            chosen.extend(part.edges())  # one edge: it is the branching
        elif part.number_of_edges():
            chosen.extend(nx.maximum_branching(part, attr="weight").edges())
    return chosen


def _outlets(
    articles: list[Article], attributions: list[Attribution], edges: list[Edge], registry: OutletRegistry
) -> list[Outlet]:
    in_corpus = {a.outlet for a in articles if a.outlet}
    names = {a.outlet: a.outlet_name for a in articles if a.outlet}
    ids = set(in_corpus)
    for attribution in attributions:
        ids.add(attribution.outlet)
        names.setdefault(attribution.outlet, attribution.surface)
    ids.update(e.parent for e in edges if e.parent.startswith("outlet:"))
    outlets = []
    for outlet_id in sorted(ids):
        known = registry.get(outlet_id)
        outlets.append(
            Outlet(
                id=outlet_id,
                name=known.name if known else (names.get(outlet_id) or outlet_id.removeprefix("outlet:")),
                domains=list(known.domains) if known else [],
                in_corpus=outlet_id in in_corpus,
            )
        )
    return outlets
