"""Score a trace against a gold lineage: how often is the tracer right?

The metric code is pure: ``evaluate_story(gold_story, trace_json)`` takes plain dicts (one story of a
``gold.json`` as described in bench-data/README.md, and the ``trace --json`` object) and returns a
metrics dict. ``evaluate_corpus`` runs the tracer on a corpus folder and calls it; ``format_report``
renders the dict as tables.

Article ids: gold ids are "<corpus folder name>/<file>", so ``evaluate_corpus`` runs the tracer
with the folder's name as input from inside the folder's parent directory (``os.chdir`` for the
duration of the call, restored after). ``missing_articles`` lists gold articles the trace lacks
(input errors, duplicates); ``unscored_articles`` counts traced articles the gold does not know.

Definitions (a "gold article" is a key of the story's ``articles``; the acceptable parents of a gold
article are its ``parent`` plus its ``accept_parents``, where ``None`` means root):

- **parent_accuracy**: over all gold articles, the share whose predicted parent (the parent of the
  trace edge whose child it is, or ``None`` when it has none) is acceptable. A root predicted as a
  root counts as correct; a root given any parent (article or outlet) counts as wrong. Gold articles
  missing from the trace count as predicted roots. Outlet ids on both sides are canonicalised
  through the outlet registry, so "outlet:ft" and "outlet:financial-times" agree.
  ``parent_accuracy_articles_only`` is the same figure with every outlet parent (gold and
  predicted) read as root: it scores only the article-to-article structure, for corpora whose gold
  does not annotate credited outlets.
- **edges** (directed), separately for ``article`` parents and ``outlet`` parents: precision =
  predicted edges of that type (child a gold article) whose parent is acceptable / predicted edges of
  that type; recall = gold edges of that type whose child got an acceptable parent / gold edges of
  that type; F1 their harmonic mean (0 when one is 0 and the other undefined, e.g. nothing
  predicted; ``None`` when neither gold nor prediction has such an edge). The edge kind is not
  required to agree; ``kind_accuracy`` is the share of correct non-root parents whose predicted kind
  equals the gold kind.
- **pair_recall** (undirected): share of gold article->article edges whose two articles are joined by
  a trace edge in either direction (an acceptable parent in place of the gold one counts).
  **match_recall**: the same, counting any verified pair in the trace's ``matches``.
- **false_links**: predicted article->article edges between two gold articles with no lineage
  relation in gold, i.e. not in the same gold tree (connected component of the graph of gold parent
  and accept_parents links, outlet parents included). Siblings and cousins under one origin are
  related (they share text legitimately); linking two different stories is a false link.
  ``false_matches`` counts trace ``matches`` between unrelated gold articles the same way.
- **direction_accuracy**: among predicted article->article edges whose unordered pair is a gold
  article->article edge (child with its gold parent or an accepted parent), the share pointing the
  gold way. ``None`` when no such edge was predicted.
- **attribution** precision/recall/F1 over distinct (article, outlet id) pairs, gold names resolved
  with the registry. Only gold articles are scored, and only when the story annotates attributions
  (``"annotates": {"attributions": true}`` in the story, or, when unstated, some article has a
  non-empty ``attributions`` list); otherwise the figures are ``None``. A story with
  ``"annotates": {"lineage": false}`` (PolNeAR) gets ``None`` for every lineage figure. Gold
  attributions marked ``optional`` are neither required nor penalised. Photo credits (gold and trace
  kind ``photo_credit``, or trace ``text_source: false``) are scored apart in ``photo_credits``.
  Credits to the article's own outlet (gold ``self: true``, or the outlet named by the gold article's
  ``outlet``) are reported both ways: the main figures count them as gold; ``without_self`` removes
  them from both gold and prediction. ``by_kind`` gives recall per gold attribution kind.
- **wire_credit** (when gold articles carry ``wire``): share of articles whose trace attributions or
  outlet parent name that wire agency.
- **by_kind** / **by_language**: parent accuracy grouped by gold kind (``root`` for no parent) and by
  gold language.
- **reuse_classes** (COUNTER-style corpora, gold entries with ``reuse_class`` and ``pair``): the
  predicted class is WD when the predicted parent is the pair source with kind ``copy``, PD when it
  is the pair source with kind ``rewrite`` or ``translation``, ND otherwise. Reported: per-class
  precision/recall/F1, the macro F1 over WD/PD/ND, accuracy, and the confusion matrix (rows gold,
  columns predicted).
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

__all__ = [
    "EvaluationError",
    "GoldError",
    "OutletIdResolver",
    "evaluate_corpus",
    "evaluate_story",
    "find_gold",
    "format_report",
    "is_brat_folder",
    "load_gold_story",
    "registry_resolver",
    "run_trace",
]

OutletIdResolver = Callable[[str], str]
"""Maps an outlet name, domain or ``outlet:`` id to the canonical ``outlet:`` id."""

REUSE_CLASSES = ("WD", "PD", "ND")
PHOTO_CREDIT = "photo_credit"
OUTLET_PREFIX = "outlet:"


class EvaluationError(Exception):
    """The corpus or the gold file is missing, unreadable or does not fit together."""


class GoldError(EvaluationError):
    """The gold file is malformed or holds no story for the corpus."""


# ---------------------------------------------------------------- outlet resolution


def registry_resolver(registry: Any | None = None) -> OutletIdResolver:
    """The tracer's outlet registry as an id resolver (the packaged registry by default)."""
    if registry is None:
        from provenance.outlets import default_registry

        registry = default_registry()

    @lru_cache(maxsize=None)
    def resolve(value: str) -> str:
        if value.startswith(OUTLET_PREFIX):
            # An id: canonicalise through the registry when its slug names a known outlet.
            known = registry.resolve(value[len(OUTLET_PREFIX):].replace("-", " "))
            return known.id if known is not None else value
        return registry.outlet_for(value).id

    return resolve


def _is_outlet(node: str | None) -> bool:
    return node is not None and node.startswith(OUTLET_PREFIX)


# ---------------------------------------------------------------- small maths


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        # Nothing predicted (or nothing to find): F1 is 0 if the other side shows a miss.
        return 0.0 if 0.0 in (precision, recall) else None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _prf(tp_pred: int, predicted: int, tp_gold: int, gold: int) -> dict:
    precision = _ratio(tp_pred, predicted)
    recall = _ratio(tp_gold, gold)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "true_positives": tp_pred,
        "predicted": predicted,
        "gold": gold,
    }


def _set_prf(predicted: set, gold: set) -> dict:
    tp = len(predicted & gold)
    return _prf(tp, len(predicted), tp, len(gold))


# ---------------------------------------------------------------- gold side


@dataclass
class _Gold:
    articles: dict[str, dict]
    acceptable: dict[str, set[str | None]]  # child -> acceptable parents (canonical)
    component: dict[str, int]  # node -> gold tree id
    kinds: dict[str, str]  # child -> gold kind ("root" for none)
    own_outlet: dict[str, str | None] = field(default_factory=dict)


def _build_gold(story: dict, resolve: OutletIdResolver) -> _Gold:
    articles = story.get("articles")
    if not isinstance(articles, dict) or not articles:
        raise GoldError("gold story has no articles")

    def canon(node: str | None) -> str | None:
        return resolve(node) if _is_outlet(node) else node

    acceptable: dict[str, set[str | None]] = {}
    kinds: dict[str, str] = {}
    own_outlet: dict[str, str | None] = {}
    links: list[tuple[str, str]] = []
    for article_id, entry in articles.items():
        parents = {canon(entry.get("parent"))} | {canon(p) for p in entry.get("accept_parents") or []}
        acceptable[article_id] = parents
        kinds[article_id] = entry.get("kind") or "root"
        own_outlet[article_id] = resolve(entry["outlet"]) if entry.get("outlet") else None
        links.extend((p, article_id) for p in parents if p is not None)
    return _Gold(articles, acceptable, _components(articles, links), kinds, own_outlet)


def _components(articles: Iterable[str], links: list[tuple[str, str]]) -> dict[str, int]:
    """Union-find over gold articles and outlet nodes: one id per gold tree."""
    parent: dict[str, str] = {a: a for a in articles}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    roots: dict[str, int] = {}
    return {node: roots.setdefault(find(node), len(roots)) for node in list(parent)}


# ---------------------------------------------------------------- trace side


def _predicted_parents(trace: dict, resolve: OutletIdResolver) -> dict[str, tuple[str, str]]:
    """child -> (parent, kind) from the trace's edges (a forest: one parent per child)."""
    parents: dict[str, tuple[str, str, float]] = {}
    for edge in trace.get("edges") or []:
        parent = edge["parent"]
        if _is_outlet(parent):
            parent = resolve(parent)
        # The contract promises a forest; if a child appears twice, keep the most confident.
        previous = parents.get(edge["child"])
        if previous is None or edge.get("confidence", 0) > previous[2]:
            parents[edge["child"]] = (parent, edge.get("kind") or "", edge.get("confidence", 0))
    return {child: (p, k) for child, (p, k, _) in parents.items()}


# ---------------------------------------------------------------- the metrics


def evaluate_story(gold_story: dict, trace: dict, *, resolve: OutletIdResolver | None = None) -> dict:
    """Score one trace (``trace --json`` dict) against one gold story; see the module docstring."""
    resolve = resolve or registry_resolver()
    gold = _build_gold(gold_story, resolve)
    predicted = _predicted_parents(trace, resolve)
    traced_ids = {a["id"] for a in trace.get("articles") or []}

    metrics: dict[str, Any] = {
        "description": gold_story.get("description"),
        "articles": len(gold.articles),
        "traced_articles": len(traced_ids),
        "missing_articles": sorted(set(gold.articles) - traced_ids) if "articles" in trace else [],
        "unscored_articles": len(traced_ids - set(gold.articles)),
    }
    if gold_story.get("annotates", {}).get("lineage", True):
        metrics.update(_lineage_metrics(gold, predicted, trace))
    else:
        metrics.update(_empty_lineage_metrics())
    annotated = gold_story.get("annotates", {}).get("attributions")
    metrics["attribution"] = _attribution_metrics(gold, trace, resolve, annotated)
    wire = _wire_metrics(gold, trace, predicted, resolve)
    if wire is not None:
        metrics["wire_credit"] = wire
    return metrics


def _empty_lineage_metrics() -> dict:
    return {
        "lineage_annotated": False,
        "parent_accuracy": None,
        "parent_accuracy_articles_only": None,
        "edges": {},
        "pair_recall": None,
        "match_recall": None,
        "direction_accuracy": None,
        "direction": {"correct": 0, "pairs": 0},
        "kind_accuracy": None,
        "false_links": [],
        "false_matches": 0,
        "by_kind": {},
        "by_language": {},
        "reuse_classes": None,
    }


def _lineage_metrics(gold: _Gold, predicted: dict[str, tuple[str, str]], trace: dict) -> dict:
    correct: dict[str, bool] = {}
    correct_articles_only = 0
    kind_hits = kind_total = 0
    for article_id, acceptable in gold.acceptable.items():
        parent, kind = predicted.get(article_id, (None, ""))
        correct[article_id] = parent in acceptable
        if correct[article_id] and parent is not None:
            kind_total += 1
            kind_hits += kind == gold.kinds[article_id]
        article_parent = None if _is_outlet(parent) else parent
        acceptable_articles = {None if _is_outlet(p) else p for p in acceptable}
        correct_articles_only += article_parent in acceptable_articles

    n = len(gold.articles)
    edges = {t: _edge_prf(gold, predicted, t) for t in ("article", "outlet")}
    direction_correct, direction_pairs = _direction(gold, predicted)
    return {
        "lineage_annotated": True,
        "parent_accuracy": _ratio(sum(correct.values()), n),
        "parent_accuracy_articles_only": _ratio(correct_articles_only, n),
        "edges": edges,
        "pair_recall": _pair_recall(gold, _edge_pairs(predicted)),
        "match_recall": _pair_recall(gold, _match_pairs(trace)),
        "direction_accuracy": _ratio(direction_correct, direction_pairs),
        "direction": {"correct": direction_correct, "pairs": direction_pairs},
        "kind_accuracy": _ratio(kind_hits, kind_total),
        "false_links": _false_links(gold, predicted),
        "false_matches": sum(not _related(gold, a, b) for a, b in _match_pairs(trace)),
        "by_kind": _breakdown(correct, gold.kinds),
        "by_language": _breakdown(
            correct, {a: e.get("language") or "unknown" for a, e in gold.articles.items()}
        ),
        "reuse_classes": _reuse_classes(gold, predicted),
    }


def _parent_type(parent: str | None) -> str | None:
    if parent is None:
        return None
    return "outlet" if _is_outlet(parent) else "article"


def _edge_prf(gold: _Gold, predicted: dict[str, tuple[str, str]], edge_type: str) -> dict:
    predicted_n = tp_predicted = gold_n = tp_gold = 0
    for article_id, acceptable in gold.acceptable.items():
        parent = predicted.get(article_id, (None, ""))[0]
        hit = parent is not None and parent in acceptable
        if _parent_type(parent) == edge_type:
            predicted_n += 1
            tp_predicted += hit
        gold_parent = gold.articles[article_id].get("parent")
        if _parent_type(gold_parent) == edge_type:
            gold_n += 1
            tp_gold += hit
    return _prf(tp_predicted, predicted_n, tp_gold, gold_n)


def _edge_pairs(predicted: dict[str, tuple[str, str]]) -> set[frozenset[str]]:
    return {frozenset((p, c)) for c, (p, _) in predicted.items() if p is not None and not _is_outlet(p)}


def _match_pairs(trace: dict) -> set[frozenset[str]]:
    return {frozenset((m["a"], m["b"])) for m in trace.get("matches") or [] if m["a"] != m["b"]}


def _gold_article_pairs(gold: _Gold, article_id: str) -> list[frozenset[str]]:
    return [
        frozenset((p, article_id))
        for p in gold.acceptable[article_id]
        if p is not None and not _is_outlet(p)
    ]


def _pair_recall(gold: _Gold, found: set[frozenset[str]]) -> float | None:
    gold_edges = [
        a for a, e in gold.articles.items() if _parent_type(e.get("parent")) == "article"
    ]
    hits = sum(any(pair in found for pair in _gold_article_pairs(gold, a)) for a in gold_edges)
    return _ratio(hits, len(gold_edges))


def _direction(gold: _Gold, predicted: dict[str, tuple[str, str]]) -> tuple[int, int]:
    gold_directed = {(p, c) for c in gold.articles for p in gold.acceptable[c] if p and not _is_outlet(p)}
    gold_pairs = {frozenset(e) for e in gold_directed}
    pairs = right = 0
    for child, (parent, _) in predicted.items():
        if parent is None or _is_outlet(parent) or frozenset((parent, child)) not in gold_pairs:
            continue
        pairs += 1
        right += (parent, child) in gold_directed
    return right, pairs


def _related(gold: _Gold, a: str, b: str) -> bool:
    """Unknown articles are not judged: only two gold articles can be a false link."""
    if a not in gold.articles or b not in gold.articles:
        return True
    return gold.component[a] == gold.component[b]


def _false_links(gold: _Gold, predicted: dict[str, tuple[str, str]]) -> list[dict]:
    return [
        {"parent": parent, "child": child, "kind": kind}
        for child, (parent, kind) in sorted(predicted.items())
        if parent is not None and not _is_outlet(parent) and not _related(gold, parent, child)
    ]


def _breakdown(correct: dict[str, bool], groups: dict[str, str]) -> dict[str, dict]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for article_id, ok in correct.items():
        counts[groups[article_id]][0] += ok
        counts[groups[article_id]][1] += 1
    return {
        group: {"correct": c, "n": n, "accuracy": _ratio(c, n)}
        for group, (c, n) in sorted(counts.items())
    }


def _predicted_reuse_class(parent: str | None, kind: str, source: str) -> str:
    if parent != source:
        return "ND"
    if kind == "copy":
        return "WD"
    return "PD" if kind in ("rewrite", "translation") else "ND"


def _reuse_classes(gold: _Gold, predicted: dict[str, tuple[str, str]]) -> dict | None:
    labelled = [(a, e) for a, e in gold.articles.items() if e.get("reuse_class") in REUSE_CLASSES]
    if not labelled:
        return None
    matrix = {g: {p: 0 for p in REUSE_CLASSES} for g in REUSE_CLASSES}
    for article_id, entry in labelled:
        parent, kind = predicted.get(article_id, (None, ""))
        matrix[entry["reuse_class"]][_predicted_reuse_class(parent, kind, entry.get("pair"))] += 1
    per_class = {}
    for label in REUSE_CLASSES:
        tp = matrix[label][label]
        predicted_n = sum(matrix[g][label] for g in REUSE_CLASSES)
        gold_n = sum(matrix[label].values())
        per_class[label] = _prf(tp, predicted_n, tp, gold_n)
    # A class nobody predicted has precision 0 here, not "undefined": it is a miss in the macro F1.
    f1s = [per_class[c]["f1"] or 0.0 for c in REUSE_CLASSES]
    return {
        "n": len(labelled),
        "macro_f1": sum(f1s) / len(f1s),
        "accuracy": sum(matrix[c][c] for c in REUSE_CLASSES) / len(labelled),
        "per_class": per_class,
        "confusion": {
            "labels": list(REUSE_CLASSES),
            "rows": "gold",
            "matrix": [[matrix[g][p] for p in REUSE_CLASSES] for g in REUSE_CLASSES],
        },
    }


# ---------------------------------------------------------------- attributions

_Pair = tuple[str, str]  # (article id, canonical outlet id)


def _attribution_metrics(
    gold: _Gold, trace: dict, resolve: OutletIdResolver, annotated: bool | None = None
) -> dict:
    definition = (
        "distinct (article, outlet) pairs over gold articles; gold names resolved with the outlet "
        "registry; photo credits apart; self credits counted (see without_self)"
    )
    if annotated is None:  # not stated: annotated when some article lists attributions
        annotated = any(e.get("attributions") for e in gold.articles.values())
    if not annotated:
        empty = {"precision": None, "recall": None, "f1": None}
        return {**empty, "annotated": False, "definition": "not annotated in this gold story"}

    required: dict[str, set[_Pair]] = {"text": set(), "photo": set()}
    optional: dict[str, set[_Pair]] = {"text": set(), "photo": set()}
    self_pairs: set[_Pair] = set()
    by_kind: dict[str, set[_Pair]] = defaultdict(set)
    for article_id, entry in gold.articles.items():
        for attribution in entry.get("attributions") or []:
            pair = (article_id, resolve(attribution["outlet"]))
            channel = "photo" if attribution.get("kind") == PHOTO_CREDIT else "text"
            (optional if attribution.get("optional") else required)[channel].add(pair)
            if attribution.get("self"):
                self_pairs.add(pair)
            if not attribution.get("optional") and channel == "text":
                by_kind[attribution.get("kind") or "unknown"].add(pair)
    for channel in ("text", "photo"):
        optional[channel] -= required[channel]
    self_pairs |= {(a, o) for a, o in gold.own_outlet.items() if o is not None}

    predicted: dict[str, set[_Pair]] = {"text": set(), "photo": set()}
    for attribution in trace.get("attributions") or []:
        if attribution["article"] not in gold.articles:
            continue
        photo = attribution.get("kind") == PHOTO_CREDIT or attribution.get("text_source") is False
        predicted["photo" if photo else "text"].add((attribution["article"], resolve(attribution["outlet"])))
    scored = {c: predicted[c] - optional[c] for c in predicted}

    result = _set_prf(scored["text"], required["text"])
    result.update(
        annotated=True,
        definition=definition,
        without_self=_set_prf(scored["text"] - self_pairs, required["text"] - self_pairs),
        photo_credits=_set_prf(scored["photo"], required["photo"]),
        by_kind={
            kind: {"recall": _ratio(len(pairs & scored["text"]), len(pairs)), "gold": len(pairs)}
            for kind, pairs in sorted(by_kind.items())
        },
    )
    result["missed"] = sorted(map(list, required["text"] - scored["text"]))
    result["spurious"] = sorted(map(list, scored["text"] - required["text"]))
    return result


def _wire_metrics(
    gold: _Gold, trace: dict, predicted: dict[str, tuple[str, str]], resolve: OutletIdResolver
) -> dict | None:
    wired = {a: resolve(e["wire"]) for a, e in gold.articles.items() if e.get("wire")}
    if not wired:
        return None
    credited: dict[str, set[str]] = defaultdict(set)
    for attribution in trace.get("attributions") or []:
        credited[attribution["article"]].add(resolve(attribution["outlet"]))
    for child, (parent, _) in predicted.items():
        if _is_outlet(parent):
            credited[child].add(parent)
    hits = sum(outlet in credited[a] for a, outlet in wired.items())
    return {
        "recall": _ratio(hits, len(wired)),
        "found": hits,
        "n": len(wired),
        "definition": "articles whose gold wire agency is among their traced attributions or outlet parent",
    }


# ---------------------------------------------------------------- files and the tracer


def load_gold_story(gold_path: str | Path, story: str) -> dict:
    """The story named ``story`` (the corpus folder's name) from a gold.json file."""
    path = Path(gold_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GoldError(f"gold file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GoldError(f"cannot read gold file {path}: {exc}") from exc
    stories = data.get("stories") if isinstance(data, dict) else None
    if not isinstance(stories, dict):
        raise GoldError(f"{path}: no 'stories' object (see bench-data/README.md for the format)")
    if story not in stories:
        known = ", ".join(sorted(stories)) or "none"
        raise GoldError(f"{path}: no story '{story}' (stories: {known})")
    return stories[story]


def find_gold(corpus_dir: Path) -> Path:
    """gold.json inside the corpus folder, else next to it (in its parent)."""
    for candidate in (corpus_dir / "gold.json", corpus_dir.parent / "gold.json"):
        if candidate.is_file():
            return candidate
    raise GoldError(f"no gold.json in or next to {corpus_dir}; pass --gold")


def run_trace(corpus_dir: Path, *, crosslingual: bool = True) -> tuple[dict, list[str]]:
    """Trace a corpus folder so that article ids are "<folder name>/<file>", as gold ids are.

    The tracer is run with the folder's name as input from inside its parent directory
    (``os.chdir`` for the call, restored afterwards), which is exactly how gold ids are defined.
    Returns the trace JSON and the input errors as one-line strings.
    """
    try:
        from provenance.pipeline import trace
    except ImportError as exc:
        raise EvaluationError(f"the tracer is not available: {exc}") from exc

    corpus_dir = corpus_dir.resolve()
    previous = os.getcwd()
    os.chdir(corpus_dir.parent)
    try:
        result = trace([corpus_dir.name], db_path=None, crosslingual=crosslingual)
    finally:
        os.chdir(previous)
    return result.to_json(), [str(e) for e in result.errors]


def is_brat_folder(path: Path) -> bool:
    return (path / "text").is_dir() and (path / "attributions").is_dir()


def evaluate_corpus(
    corpus_dir: str | Path,
    gold_path: str | Path | None = None,
    *,
    resolve: OutletIdResolver | None = None,
    crosslingual: bool = True,
) -> dict:
    """Trace ``corpus_dir`` and score it against its gold story.

    Without ``gold_path``: a brat/PolNeAR folder (text/ + attributions/) is scored on attributions
    from its annotations; otherwise gold.json is looked for inside or next to the folder.
    """
    corpus = Path(corpus_dir)
    if not corpus.is_dir():
        raise EvaluationError(f"corpus folder not found: {corpus}")
    resolve = resolve or registry_resolver()
    if gold_path is None and is_brat_folder(corpus):
        from provenance.polnear import load_polnear, to_gold_story

        story = to_gold_story(load_polnear(corpus))
        traced_dir, gold_source, name = corpus / "text", "brat annotations", corpus.name
    else:
        gold_file = Path(gold_path) if gold_path is not None else find_gold(corpus)
        story = load_gold_story(gold_file, corpus.name)
        traced_dir, gold_source, name = corpus, str(gold_file), corpus.name
    _check_ids_fit(story, traced_dir.name)
    trace_json, errors = run_trace(traced_dir, crosslingual=crosslingual)
    traced = {a["id"] for a in trace_json.get("articles") or []}
    if traced and not traced & set(story["articles"]):
        example = sorted(traced)[0]
        raise GoldError(f"no gold article was traced: trace ids (e.g. {example!r}) differ from the gold ids")
    metrics = evaluate_story(story, trace_json, resolve=resolve)
    return {"corpus": name, "gold": gold_source, "input_errors": errors, **metrics}


def _check_ids_fit(story: dict, folder_name: str) -> None:
    prefix = folder_name + "/"
    ids = list(story.get("articles") or {})
    if ids and not any(i.startswith(prefix) for i in ids):
        raise GoldError(f"gold article ids do not start with '{prefix}' (e.g. {ids[0]!r})")


# ---------------------------------------------------------------- the readable report


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def format_report(metrics: dict) -> "Any":
    """A rich renderable (a Group of tables) for one corpus's metrics."""
    from rich.console import Group
    from rich.table import Table

    parts: list[Any] = []
    title = f"{metrics.get('corpus', 'corpus')}: {metrics['articles']} gold articles"
    definition = metrics["attribution"].get("definition")
    caption = "; ".join(filter(None, [metrics.get("description"), definition and f"attribution: {definition}"]))
    summary = Table(title=title, caption=caption, caption_justify="left", title_justify="left")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    summary.add_column("note")
    traced = metrics["articles"] - len(metrics["missing_articles"])
    summary.add_row("gold articles traced", f"{traced}/{metrics['articles']}",
                    f"{len(metrics.get('input_errors', []))} input errors")
    if metrics.get("lineage_annotated", True):
        direction = metrics["direction"]
        rows = [
            ("parent accuracy", _fmt(metrics["parent_accuracy"]), "root as root counts"),
            ("parent accuracy (articles only)", _fmt(metrics["parent_accuracy_articles_only"]),
             "outlet parents read as root"),
            ("pair recall (edges)", _fmt(metrics["pair_recall"]), "undirected"),
            ("pair recall (matches)", _fmt(metrics["match_recall"]), "undirected"),
            ("direction accuracy", _fmt(metrics["direction_accuracy"]),
             f"{direction['correct']}/{direction['pairs']} found pairs"),
            ("kind accuracy", _fmt(metrics["kind_accuracy"]), "among correct parents"),
            ("false links", str(len(metrics["false_links"])), "edges across gold trees"),
            ("false matches", str(metrics["false_matches"]), "matches across gold trees"),
        ]
        for row in rows:
            summary.add_row(*row)
    attribution = metrics["attribution"]
    if attribution.get("annotated"):
        summary.add_row("attribution P / R / F1", _prf_cell(attribution), "with self credits")
        summary.add_row("  without self credits", _prf_cell(attribution["without_self"]), "")
        summary.add_row("  photo credits", _prf_cell(attribution["photo_credits"]), "")
    else:
        summary.add_row("attribution", "–", "not annotated")
    if "wire_credit" in metrics:
        wire = metrics["wire_credit"]
        summary.add_row("wire credit recall", _fmt(wire["recall"]), f"{wire['found']}/{wire['n']} articles")
    parts.append(summary)

    if metrics.get("edges"):
        edges = Table(title="directed edges", title_justify="left")
        for column in ("parent type", "precision", "recall", "F1", "correct", "predicted", "gold"):
            edges.add_column(column, justify="right" if column != "parent type" else "left")
        for edge_type, prf in metrics["edges"].items():
            edges.add_row(edge_type, _fmt(prf["precision"]), _fmt(prf["recall"]), _fmt(prf["f1"]),
                          str(prf["true_positives"]), str(prf["predicted"]), str(prf["gold"]))
        parts.append(edges)
    for key, label in (("by_kind", "gold kind"), ("by_language", "language")):
        if metrics.get(key):
            table = Table(title=f"parent accuracy by {label}", title_justify="left")
            table.add_column(label)
            table.add_column("accuracy", justify="right")
            table.add_column("correct / n", justify="right")
            for group, row in metrics[key].items():
                table.add_row(group, _fmt(row["accuracy"]), f"{row['correct']}/{row['n']}")
            parts.append(table)
    if metrics.get("reuse_classes"):
        parts.append(_reuse_table(metrics["reuse_classes"]))
    if metrics.get("false_links"):
        table = Table(title="false links", title_justify="left")
        for column in ("parent", "child", "kind"):
            table.add_column(column)
        for link in metrics["false_links"]:
            table.add_row(link["parent"], link["child"], link["kind"])
        parts.append(table)
    return Group(*parts)


def _prf_cell(prf: dict) -> str:
    return " / ".join(_fmt(prf[k]) for k in ("precision", "recall", "f1"))


def _reuse_table(reuse: dict) -> Any:
    from rich.table import Table

    labels = reuse["confusion"]["labels"]
    table = Table(
        title=f"reuse classes: macro F1 {_fmt(reuse['macro_f1'])}, accuracy {_fmt(reuse['accuracy'])}"
        " (rows gold, columns predicted)",
        title_justify="left",
    )
    table.add_column("gold \\ predicted")
    for label in labels:
        table.add_column(label, justify="right")
    table.add_column("F1", justify="right")
    for label, row in zip(labels, reuse["confusion"]["matrix"]):
        table.add_row(label, *map(str, row), _fmt(reuse["per_class"][label]["f1"]))
    return table
