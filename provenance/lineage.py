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
from functools import lru_cache

import networkx as nx
import regex

from . import dates
from .crosslingual import placeholders
from .direction import translation_direction
from .nmt import NMTError, configured_scorer, nmt_direction
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
# Votes of publication dates: days apart, or hours apart on one day.
DATE_WEIGHT = 0.35
SAME_DAY_DATE_WEIGHT = 0.2
# A copying pipeline's leftover placeholder ("[ads_1]") says "copy" more surely than a
# stamp, which a content farm sets as it likes.
PLACEHOLDER_WEIGHT = 0.45
# The translationese model's calibrated p (direction.py) votes (p - 0.5) x this: at most
# 0.2, weaker than a date or a credit, as its held-out accuracy (0.82 on news) asks.
TEXT_DIRECTION_WEIGHT = 0.4
# A text parent that covers less of the child than this does not overrule the child's own
# credit to another news outlet.
CREDIT_OVERRULED_COVERAGE = 0.9
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
    closest: bool = False  # of several versions, the one whose own words the child carries
    yields_to_credit: bool = False  # the child credits another outlet over this text parent

    @property
    def weight(self) -> float:
        # Argued text parents rank above every credit, the closest version above the other
        # versions; the rest compete on confidence.
        return self.confidence + (1.0 if self.argued else 0.0) + (0.5 if self.closest else 0.0)


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
            if _agency_original(child, parent, credits, registry):
                continue
            strength = _text_strength(kind, score)
            # The aligner's own direction lines are restated below, weighed with the rest.
            evidence = [e for e in match.evidence if not e.startswith("direction")]
            gap = _days_apart(parent, child)
            if gap is not None and gap > SAME_OUTLET_TEMPLATE_DAYS and parent.outlet and parent.outlet == child.outlet:
                continue
            if gap is not None and gap > RECENCY_DAYS:
                strength *= 0.5
                evidence.append(f"published {gap} days apart: reuse this late is less likely")
            argued = dir_conf >= ARGUED
            confidence = round(strength * (0.5 + 0.5 * dir_conf), 3)
            contradicted = _contradicts_credit(child, parent, match, credits, registry)
            if contradicted is not None:
                # C names its source, and this text parent is neither by it nor credits
                # it, and shares only part of C: the stated credit wins.
                credited_items, why = contradicted
                argued = False
                confidence = min(confidence, round(_credit_confidence(credited_items) - 0.05, 3))
                evidence.append(f"the credit comes first: {why}")
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
                    confidence=confidence,
                    evidence=evidence,
                    argued=argued,
                    yields_to_credit=contradicted is not None,
                )
            )

    words: dict[str, set[str]] = {}  # each article's words, read once
    for child_id, items in candidates.items():
        _mark_closest_version(by_id[child_id], items, by_id, words)

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

    first = dates.order(trusted_date(a), trusted_date(b))
    if first:
        earlier, later = (a, b) if first < 0 else (b, a)
        # Hours apart on one day say less than days apart: a site's clock, its time zone
        # and a content farm's backdating all move a stamp by hours.
        same_day = a.published[:10] == b.published[:10]  # type: ignore[index]
        argue(
            earlier,
            SAME_DAY_DATE_WEIGHT if same_day else DATE_WEIGHT,
            f"{earlier.id} published {_stamp(earlier.published)}, {later.id} {_stamp(later.published)}",
        )
    home = _home_service(a, b, registry)
    if home is not None:
        original, translation = home
        argue(
            original,
            0.3,
            f"{original.outlet_name or original.outlet}'s home service is in {original.language}: "
            f"its {translation.language} text is the translation",
        )
    for parent, child in ((a, b), (b, a)):
        credit = credit_to(child, parent.outlet, credits, registry)
        if credit is not None:
            argue(parent, 0.3, f"{child.id} credits {parent.outlet_name or parent.outlet} ('{credit.phrase}')")
    a_wire = bool(a.outlet) and registry.is_wire(a.outlet)
    b_wire = bool(b.outlet) and registry.is_wire(b.outlet)
    if a_wire != b_wire:
        wire, other = (a, b) if a_wire else (b, a)
        argue(wire, 0.15, f"{wire.outlet_name or wire.outlet} is a news agency, {other.outlet_name or other.id} is not")
    # The aligner's own direction (match.direction) weighs dates and placeholders too;
    # they are weighed here instead, once, with the date checked against the text.
    for parent, child in ((a, b), (b, a)):
        found = placeholders(child.text)
        if found and not placeholders(parent.text):
            argue(parent, PLACEHOLDER_WEIGHT, f"{child.id} carries a template placeholder '{found[0]}' left by a copying pipeline")
    if match.kind == "translation":
        vote = _text_direction(a, b, match)
        if vote is not None:
            original, p, how = vote
            argue(original, TEXT_DIRECTION_WEIGHT * (p - 0.5), f"{original.id} reads as the original: {how}")
        # A partial translation is almost wholly covered by its original, not the reverse.
        a_cov, b_cov = match.a_coverage, match.b_coverage
        if max(a_cov, b_cov) >= 0.9 and min(a_cov, b_cov) <= 0.75:
            source, copy = (b, a) if a_cov >= 0.9 else (a, b)
            argue(source, 0.2, f"{copy.id} is almost wholly contained in {source.id}, which has content it lacks (partial translation)")
    else:
        # The copy is mostly made of the source's text; the source has more of its own.
        a_cov, b_cov = match.a_coverage, match.b_coverage
        if abs(a_cov - b_cov) >= 0.2:
            source, copy = (a, b) if b_cov > a_cov else (b, a)
            argue(source, 0.1, f"{copy.id} is mostly text it shares with {source.id}, not the other way round")
    confidence = 0.5 + max(-0.45, min(0.45, score))
    return confidence, reasons


def _text_direction(a: Article, b: Article, match: Match) -> tuple[Article, float, str] | None:
    """The side the text reads as the original, its p and how that was read: local NMT
    models when configured for the pair (nmt.py), else the function-word classifier."""
    scorer = configured_scorer()
    if scorer is not None:
        text_a = {p.index: p.text for p in a.paragraphs}
        text_b = {p.index: p.text for p in b.paragraphs}
        pairs = [(text_a.get(x.a_paragraph, ""), text_b.get(x.b_paragraph, "")) for x in match.pairs]
        if match.a != a.id:
            pairs = [(y, x) for x, y in pairs]
        try:
            vote = nmt_direction(pairs, a.language or "", b.language or "", scorer)
        except NMTError:
            vote = None
        if vote is not None and vote.original is not None:
            return (a if vote.original == "a" else b), vote.probability, vote.reason.split(", ", 1)[-1]
    vote = translation_direction(_content_text(a), a.language or "", _content_text(b), b.language or "")
    if vote.original is None:
        return None
    original = a if vote.original == "a" else b
    return original, vote.probability, (
        f"written in {original.language}, the other reads as translated "
        f"(function words and punctuation, p = {vote.probability:.2f})"
    )


def _content_text(article: Article) -> str:
    return "\n".join(p.text for p in article.paragraphs if p.is_content)


def trusted_date(article: Article) -> str | None:
    """The publication date as evidence: None when the article's own dateline names a later
    day than its stamp (a backdated copy, or a stamp that is not the publication's)."""
    if not article.published:
        return None
    day = _dateline_day(article.text[:DATELINE_WINDOW], article.language)
    if day is None:
        return article.published
    stamp = article.published[:10]
    if day.startswith("--"):  # day and month only: compare within the stamp's month
        later = stamp[5:7] == day[2:4] and day[2:] > stamp[5:]
    else:
        later = day > stamp
    return None if later else article.published


@lru_cache(maxsize=4096)
def _dateline_day(head: str, language: str | None) -> str | None:
    """The day of the first dateline in ``head`` ("2025-08-26", or "--08-26" without a year)."""
    for found in dates.dates_in_text(head, language):
        if found.role == "dateline":
            return found.value[:10] if found.precision != "day" else found.value
    return None


DATELINE_WINDOW = 600  # characters at the top where an article's own dateline stands


def _stamp(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


def _home_service(a: Article, b: Article, registry: OutletRegistry) -> tuple[Article, Article] | None:
    """(original, translation) for two versions of one agency's report in two languages,
    when one is in the agency's home language (the first of its registered languages)."""
    if not a.outlet or a.outlet != b.outlet or not a.language or not b.language:
        return None
    entry = registry.get(a.outlet)
    if entry is None or not entry.wire or not entry.languages:
        return None
    home = entry.languages[0]
    lang_a, lang_b = a.language.split("-")[0], b.language.split("-")[0]
    if lang_a == lang_b or home not in (lang_a, lang_b):
        return None
    return (a, b) if lang_a == home else (b, a)


def _mark_closest_version(
    child: Article, items: list[Candidate], by_id: dict[str, Article], cache: dict[str, set[str]]
) -> None:
    """Of several versions in other languages the child may translate, mark the one whose
    words it carries untranslated (words of that version no other version has): in a chain
    a -> b -> c, c keeps b's leftovers, not a's."""
    if any(_base(by_id[c.parent].language) == _base(child.language) for c in items):
        return  # a version in the child's own language is closer than any translation
    # One candidate per version: a Spanish page may match a Portuguese child both as a
    # translation and as a rewrite (the languages share words).
    best_of: dict[str, Candidate] = {}
    for c in items:
        if c.parent not in best_of or c.weight > best_of[c.parent].weight:
            best_of[c.parent] = c
    versions = list(best_of.values())
    if len(versions) < 2:
        return
    def words_of(article: Article) -> set[str]:
        if article.id not in cache:
            cache[article.id] = _words(article)
        return cache[article.id]

    own = words_of(child)
    words = {c.parent: words_of(by_id[c.parent]) for c in versions}
    carried = {}
    for c in versions:
        others = set().union(*(w for p, w in words.items() if p != c.parent))
        carried[c.parent] = sorted((own & words[c.parent]) - others)
    ranked = sorted(versions, key=lambda c: -len(carried[c.parent]))
    best, runner_up = ranked[0], ranked[1]
    n, m = len(carried[best.parent]), len(carried[runner_up.parent])
    if n < MIN_LEFTOVER_WORDS or n < 2 * m + 1 or best.yields_to_credit:
        return
    best.closest = True
    sample = ", ".join(f"'{w}'" for w in carried[best.parent][:4])
    best.evidence.append(
        f"closest version: {child.id} keeps {n} words of {best.parent} untranslated that no other "
        f"version has ({sample}); {runner_up.parent}, the runner-up, has {m}"
    )


MIN_LEFTOVER_WORDS = 3
_LETTERS = regex.compile(r"[\p{L}\p{M}]{3,}")


def _words(article: Article) -> set[str]:
    """Letter-only words of 3+ characters of the article's content, casefolded."""
    return {w.casefold() for p in article.paragraphs if p.is_content for w in _LETTERS.findall(p.text)}


def _base(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


def credit_to(
    article: Article, outlet_id: str | None, credits: dict[str, dict[str, list[Attribution]]], registry: OutletRegistry
) -> Attribution | None:
    """The article's first credit to ``outlet_id`` or to a service of the same outlet."""
    if not outlet_id:
        return None
    for credited, items in credits.get(article.id, {}).items():
        if registry.same_family(credited, outlet_id):
            return items[0]
    return None


def _agency_original(
    child: Article, parent: Article, credits: dict[str, dict[str, list[Attribution]]], registry: OutletRegistry
) -> bool:
    """An agency's own report takes text from another outlet only with a credit: without
    one, shared text with another outlet's article is the same event reported twice."""
    if not child.outlet or not registry.is_wire(child.outlet) or not child.publisher_evidence:
        return False
    if registry.same_family(parent.outlet, child.outlet):
        return False  # the agency's own service in another language, or its update
    return credit_to(child, parent.outlet, credits, registry) is None


def _contradicts_credit(
    child: Article,
    parent: Article,
    match: Match,
    credits: dict[str, dict[str, list[Attribution]]],
    registry: OutletRegistry,
) -> tuple[list[Attribution], str] | None:
    """The child's credits to a registered news outlet that speak against this text parent,
    and why; None when there are none. They do when the text is a translation, and the parent
    is not by that outlet, does not credit it, and covers only part of the child."""
    named = credits.get(child.id, {})
    if match.kind != "translation" or not named or credit_to(child, parent.outlet, credits, registry) is not None:
        # Shared runs of words prove a copy whatever it credits (a credit there is for the
        # facts of an added line); an alignment across languages is an inference.
        return None
    coverage = match.a_coverage if match.a == child.id else match.b_coverage
    if coverage >= CREDIT_OVERRULED_COVERAGE:
        return None
    for outlet_id, items in named.items():
        if credit_to(parent, outlet_id, credits, registry) is not None or not registry.is_news(outlet_id):
            continue
        # "told X" credits X's reporting, and a dateline is often carried over from the
        # parent's own source: neither names the text's source the way these do.
        if any(i.kind not in ("told", "dateline") for i in items):
            return items, (
                f"{child.id} credits {items[0].surface} ('{items[0].phrase}'), which {parent.id} "
                f"neither is nor credits, and shares {coverage:.0%} of {child.id}'s text"
            )
    return None


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


def _credit_confidence(items: list[Attribution]) -> float:
    """The strongest credit's weight, a little more for each repeat (up to two)."""
    best = max(CREDIT_WEIGHT[i.kind] for i in items)
    return min(0.95, best + 0.05 * min(2, len(items) - 1))


def _credit_candidate(article_id: str, outlet_id: str, items: list[Attribution]) -> Candidate:
    confidence = _credit_confidence(items)
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
                evidence=best.evidence + ([_why_not(best, others[0])] if others else []),
                alternatives=[
                    {"parent": c.parent, "kind": c.kind, "confidence": c.confidence} for c in others[:3]
                ],
            )
        )
    return edges


def _why_not(best: Candidate, runner_up: Candidate) -> str:
    """One plain line: why the chosen parent and not the runner-up."""
    other = f"{runner_up.parent} ({runner_up.kind}, confidence {runner_up.confidence:.2f})"
    if runner_up.weight > best.weight:
        why = "taking it would make a cycle: it derives from this article itself"
    elif best.closest and not runner_up.closest:
        why = "the child keeps words only this version has"
    elif best.argued and not runner_up.argued:
        why = ("the direction of this text match is argued, the runner-up's is not"
               if runner_up.kind != "attributed" else "shared text whose direction is argued outweighs a credit alone")
    elif runner_up.yields_to_credit and best.kind == "attributed":
        why = "the child credits this outlet, and the runner-up neither is it nor credits it"
    else:
        why = f"its evidence is stronger ({best.confidence:.2f} against {runner_up.confidence:.2f})"
    return f"chosen over {other}: {why}"


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
    return outlets_of([(a.outlet, a.outlet_name) for a in articles if a.outlet], attributions, edges, registry)


def outlets_of(
    publishers: list[tuple[str, str | None]],
    attributions: list[Attribution],
    edges: list[Edge],
    registry: OutletRegistry,
) -> list[Outlet]:
    """The outlets of a forest: the corpus's publishers ((outlet id, name as found), in
    corpus order), the outlets credited and those that are parents."""
    in_corpus = {outlet for outlet, _ in publishers}
    names = dict(publishers)
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
