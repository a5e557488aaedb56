"""The whole tracer, top to bottom: ingest -> extract -> segment -> language -> attribution
-> store, then fingerprint/align (monolingual and cross-lingual) -> lineage -> store.

``ingest`` adds inputs to a store; ``analyse`` traces everything a store holds;
``trace`` does both and returns what concerns the inputs. I/O stays at the edges: the
stages themselves are functions over the dataclasses in models.py.
"""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import BinaryIO

from . import align, crosslingual, dates, fingerprint, lineage, publisher, segment
from .attribution import extract_attributions
from .extract import ExtractError, extract, guess_title
from .ingest import iter_documents
from .language import detect_article
from .models import Article, Attribution, Edge, InputError, Match, Outlet
from .outlets import OutletRegistry, default_registry
from .candidates import CandidateEngine
from .store import Store, StoreError

SCHEMA_VERSION = 1


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)  # ids of the inputs, in input order
    unchanged: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # id -> id stored with same text
    errors: list[InputError] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return self.added + self.unchanged


@dataclass
class TraceResult:
    articles: list[Article]
    outlets: list[Outlet]
    attributions: list[Attribution]
    matches: list[Match]
    edges: list[Edge]
    errors: list[InputError] = field(default_factory=list)
    method: str = "minhash+anchors"

    def to_json(self) -> dict:
        """The ``trace --json`` contract (shared/trace-output.md), schema 1."""
        return {
            "schema": SCHEMA_VERSION,
            "crosslingual_method": self.method,
            "articles": [
                {
                    "id": a.id,
                    "source": a.source,
                    "title": a.title,
                    "language": a.language,
                    "outlet": a.outlet,
                    "published": a.published,
                    "published_evidence": a.published_evidence,
                    "publisher_evidence": a.publisher_evidence,
                    "url": a.url,
                    "paragraphs": len(a.paragraphs),
                    "boilerplate_paragraphs": sum(1 for p in a.paragraphs if not p.is_content),
                }
                for a in self.articles
            ],
            "outlets": [asdict(o) for o in self.outlets],
            "attributions": [
                {
                    "article": x.article,
                    "outlet": x.outlet,
                    "surface": x.surface,
                    "phrase": x.phrase,
                    "kind": x.kind,
                    "paragraph": x.paragraph,
                    "start": x.start,
                    "end": x.end,
                    "text_source": x.text_source,
                    "self": x.self,
                }
                for x in self.attributions
            ],
            "matches": [match_json(m) for m in self.matches],
            "edges": [asdict(e) for e in self.edges],
            "errors": [{"input": e.source, "message": e.message} for e in self.errors],
        }


def match_json(m: Match) -> dict:
    return {
        "a": m.a,
        "b": m.b,
        "kind": m.kind,
        "score": m.score,
        "method": m.method,
        "a_coverage": m.a_coverage,
        "b_coverage": m.b_coverage,
        "a_score": m.a_score,
        "b_score": m.b_score,
        "a_kind": m.a_kind,
        "b_kind": m.b_kind,
        "direction": {"parent": m.direction[0], "child": m.direction[1]} if m.direction else None,
        "direction_confidence": m.direction_confidence,
        "evidence": m.evidence,
        "pairs": [
            {
                "a_paragraph": p.a_paragraph,
                "b_paragraph": p.b_paragraph,
                "score": p.score,
                "method": p.method,
                "spans": [
                    {"a_start": s.a_start, "a_end": s.a_end, "b_start": s.b_start, "b_end": s.b_end,
                     "quoted": s.quoted}
                    for s in p.spans
                ],
            }
            for p in m.pairs
        ],
    }


def prepare(article: Article) -> Article:
    """Segment the text, mark boilerplate and detect languages (in place)."""
    article.paragraphs = segment.segment(article.text)
    detect_article(article)
    if article.published:
        article.published_evidence = article.published_evidence or "metadata"
    else:
        # Plain text and pages without metadata: the stamp line or dateline in the text.
        found = dates.publication_date(article.text, article.language)
        if found is not None and found.precision in ("datetime", "date"):
            article.published = found.value
            article.published_evidence = f"text: '{found.surface}'"
    if article.format == "txt" and article.paragraphs and article.paragraphs[0].boilerplate:
        # The first line was site chrome ("Follow us on Twitter"), not the headline:
        # look for one in the first content paragraph instead.
        first = next((p for p in article.paragraphs if p.is_content), None)
        if article.title == article.paragraphs[0].text.strip():
            article.title = None
        if first is not None and article.title is None:
            article.title = guess_title(article.text[first.start :])
    return article


def ingest(
    inputs: Iterable[str],
    store: Store,
    *,
    registry: OutletRegistry | None = None,
    stdin: BinaryIO | None = None,
    fetch: Callable | None = None,
    on_error: Callable[[InputError], None] | None = None,
) -> IngestReport:
    """Read, extract, segment, credit and store every input; bad inputs become errors.

    Each article is stored in its own transaction, so a failure leaves no half article.
    """
    registry = registry or default_registry()
    report = IngestReport()

    def fail(error: InputError) -> None:
        report.errors.append(error)
        if on_error:
            on_error(error)

    batch: list[tuple[Article, list[Attribution]]] = []
    for item in iter_documents(inputs, stdin=stdin, fetch=fetch):
        if isinstance(item, InputError):
            fail(item)
            continue
        try:
            article = prepare(extract(item, registry=registry))
        except ExtractError as exc:
            fail(InputError(item.id, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a parser's bug on one input (lxml's
            # AssertionError, a RecursionError) must cost that input only, not the batch.
            fail(InputError(item.id, f"cannot extract: {_one_line(exc)}"))
            continue
        credits = extract_attributions(article, registry)
        publisher.apply_publisher(article, publisher.infer_publisher(article, credits, registry), credits)
        batch.append((article, credits))
    # An outlet's own furniture repeats across its articles (this batch and the archive).
    articles = [article for article, _ in batch]
    outlets = {a.outlet for a in articles if a.outlet}
    archive = store.articles(store.article_ids_of_outlets(outlets)) if outlets else []
    segment.mark_repeated(articles + archive)

    for article, credits in batch:
        try:
            units = align.prepare(article)
            signatures = {u.paragraph.index: u.minhash.hashvalues for u in units}
            previous = store.article(article.id)
            result = store.add_article(article, credits, signatures)
            if result.status != "unchanged":  # document frequencies for incremental traces
                if result.status == "replaced" and previous is not None:
                    store.count_words(align.words_of(align.prepare(previous)), -1)
                if units:
                    store.count_words(align.words_of(units), +1)
        except StoreError as exc:
            fail(InputError(article.id, f"not stored: {exc}"))
            continue
        except Exception as exc:  # noqa: BLE001 - as above: one article, one error line
            fail(InputError(article.id, f"not stored: {_one_line(exc)}"))
            continue
        if result.status == "unchanged":
            report.unchanged.append(article.id)
        else:
            report.added.append(article.id)
            if result.status == "duplicate" and result.existing_id:
                report.duplicates[article.id] = result.existing_id
    return report


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def analyse(
    store: Store,
    *,
    registry: OutletRegistry | None = None,
    crosslingual_embeddings: bool = True,
    engine: str | CandidateEngine | None = None,
    window_days: int | None = None,
) -> tuple[list[Match], list[Edge], list[Outlet], str]:
    """Align everything in the store, draw the forest, save it; returns it and the method.

    ``engine``: the candidate engine or its name (``candidates.ENGINES``); default chosen by
    the corpus size (``candidates.choose``). ``window_days``: only pairs published at most
    that many days apart can be parent and child."""
    registry = registry or default_registry()
    articles = store.articles()
    prints = store.fingerprints()
    from .incremental import ensure_index

    ensure_index(store, articles, prints)  # a database from before the band index
    # An engine passed in is the caller's to close; one made here is closed here.
    made = _engine(engine, store, len(articles))
    with contextlib.nullcontext(made) if made is engine else made as candidate_engine:
        matches = align.find_matches(articles, prints, engine=candidate_engine, window_days=window_days)
        note_capped(candidate_engine)
    embedder = None
    if crosslingual_embeddings:
        from .embeddings import load_embedder

        embedder = load_embedder()
    matches += crosslingual.find_translations(articles, embedder=embedder, cache=store)
    edges, outlets = lineage.build_forest(articles, matches, store.attributions(), registry)
    store.save_analysis(outlets, matches, edges)
    if not store.read_only:
        store.save_decisions([a.id for a in articles], edges)
    method = "anchors+embeddings" if embedder is not None else "anchors only (install provenance[crosslingual] for embeddings)"
    return matches, edges, outlets, method


def trace(
    inputs: list[str],
    *,
    db_path: str | None = None,
    crosslingual: bool = True,
    registry: OutletRegistry | None = None,
    stdin: BinaryIO | None = None,
    fetch: Callable | None = None,
    on_error: Callable[[InputError], None] | None = None,
    engine: str | CandidateEngine | None = None,
    window_days: int | None = None,
) -> TraceResult:
    """Ingest ``inputs`` and trace them.

    Without ``db_path`` the work happens in an in-memory database: exactly those inputs,
    no file left behind. With it, the inputs are stored there and traced against every
    article already stored (parents may come from the archive): once the archive has
    been analysed, only the articles not yet traced are aligned against it, through the
    stored band index, and only their part of the forest is redrawn (``incremental``),
    unless another ``engine`` than "stored" is asked for.
    """
    registry = registry or default_registry()
    with Store(db_path or ":memory:") as store:
        report = ingest(inputs, store, registry=registry, stdin=stdin, fetch=fetch, on_error=on_error)
        if db_path and engine in (None, "stored") and store.has_decisions():
            from .incremental import analyse_new

            undecided = store.undecided_articles()
            embedder, method = _embedder(crosslingual) if undecided else (None, "as stored")
            if undecided:
                analyse_new(store, undecided, registry=registry, embedder=embedder, window_days=window_days)
            # Read back only what concerns the inputs and their ancestors, not the archive.
            focus = _with_ancestors(report.ids, store.edges_of(_ancestry(store, report.ids)))
            articles = store.articles(focus)
            keep = {a.id for a in articles}
            edges, outlets = store.edges_of(keep), store.outlets()
            attributions = store.attributions_of(keep)
            matches = _matches_touching(store, keep)
        else:
            matches, edges, outlets, method = analyse(
                store, registry=registry, crosslingual_embeddings=crosslingual, engine=engine, window_days=window_days
            )
            focus = _with_ancestors(report.ids, edges) if db_path else None
            articles = store.articles(focus) if focus is not None else store.articles()
            keep = {a.id for a in articles}
            attributions = [x for x in store.attributions() if x.article in keep]
    return TraceResult(
        articles=articles,
        outlets=[o for o in outlets if _outlet_used(o, articles, attributions, edges, keep)],
        attributions=attributions,
        matches=[m for m in matches if m.a in keep or m.b in keep],
        edges=[e for e in edges if e.child in keep],
        errors=report.errors,
        method=method,
    )


def _engine(engine: str | CandidateEngine | None, store: Store, article_count: int) -> CandidateEngine:
    from . import candidates

    if isinstance(engine, CandidateEngine):
        return engine
    if engine is None:
        return candidates.choose(article_count, store=store)
    return candidates.engine(engine, store=store)


def _embedder(crosslingual_embeddings: bool):
    if not crosslingual_embeddings:
        return None, "anchors only (install provenance[crosslingual] for embeddings)"
    from .embeddings import load_embedder

    embedder = load_embedder()
    if embedder is None:
        return None, "anchors only (install provenance[crosslingual] for embeddings)"
    return embedder, "anchors+embeddings"


def note_capped(engine: CandidateEngine) -> None:
    """Say on stderr when a band engine skipped crowded keys: candidates may be missing."""
    if engine.capped_keys:
        from .candidates.base import MAX_BUCKET

        cap = getattr(engine, "max_bucket", MAX_BUCKET)
        print(
            f"note: {engine.capped_keys} band key(s) shared by more than {cap} paragraphs were "
            "skipped as formulas (candidate cap); pairs sharing only those were not compared",
            file=sys.stderr,
        )


def _ancestry(store: Store, ids: list[str]) -> set[str]:
    """``ids`` and their ancestors, walking the stored edges up one generation a query."""
    seen: set[str] = set()
    frontier = set(ids)
    while frontier:
        seen |= frontier
        parents = {e.parent for e in store.edges_of(frontier)}
        frontier = {p for p in parents if not p.startswith("outlet:")} - seen
    return seen


def _matches_touching(store: Store, ids: set[str]) -> list[Match]:
    """Stored matches with a side in ``ids`` (without loading every match of the archive)."""
    around = {x for pair in store.match_neighbours(ids) for x in pair}
    return [m for m in store.matches(around) if m.a in ids or m.b in ids]


def _with_ancestors(ids: list[str], edges: list[Edge]) -> list[str]:
    parent_of = {e.child: e.parent for e in edges}
    out, seen = [], set()
    for article_id in ids:
        node = article_id
        while node is not None and node not in seen and not node.startswith("outlet:"):
            seen.add(node)
            out.append(node)
            node = parent_of.get(node)
    return out


def _outlet_used(outlet: Outlet, articles, attributions, edges, keep) -> bool:
    return (
        any(a.outlet == outlet.id for a in articles)
        or any(x.outlet == outlet.id for x in attributions)
        or any(e.parent == outlet.id and e.child in keep for e in edges)
    )


def warn(error: InputError) -> None:
    """Default error reporter: one line on stderr naming the input."""
    print(f"error: {error}", file=sys.stderr)
