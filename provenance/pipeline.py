"""The whole tracer, top to bottom: ingest -> extract -> segment -> language -> attribution
-> store, then fingerprint/align (monolingual and cross-lingual) -> lineage -> store.

``ingest`` adds inputs to a store; ``analyse`` traces everything a store holds;
``trace`` does both and returns what concerns the inputs. I/O stays at the edges: the
stages themselves are functions over the dataclasses in models.py.
"""
from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import BinaryIO

from . import align, crosslingual, dates, fingerprint, lineage, publisher, segment
from .attribution import extract_attributions
from .extract import ExtractError, extract, guess_title
from .ingest import iter_documents
from .language import detect_article
from .models import Article, Attribution, Edge, InputError, Match, Outlet
from .outlets import OutletRegistry, default_registry
from .progress import SILENT, Progress, TrackedEmbedder
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
    # Where a work cap cut the analysis short (see align.MAX_ALIGN_TOKENS), one line each.
    notes: list[str] = field(default_factory=list)

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
            "notes": list(self.notes),
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


# Fewer documents than this are read in this process: starting worker processes costs
# more than it saves on a handful of articles.
PARALLEL_MIN_DOCUMENTS = 32


def read_document(item, registry: OutletRegistry) -> tuple[Article, list[Attribution]] | InputError:
    """Extract, segment, identify languages and credits of one document (CPU-bound, no I/O)."""
    if isinstance(item, InputError):
        return item
    try:
        article = prepare(extract(item, registry=registry))
    except ExtractError as exc:
        return InputError(item.id, str(exc))
    except Exception as exc:  # noqa: BLE001 - a parser's bug on one input (lxml's
        # AssertionError, a RecursionError) must cost that input only, not the batch.
        return InputError(item.id, f"cannot extract: {_one_line(exc)}")
    credits = extract_attributions(article, registry)
    publisher.apply_publisher(article, publisher.infer_publisher(article, credits, registry), credits)
    return article, credits


_worker_registry: OutletRegistry | None = None


def _init_worker(registry: OutletRegistry) -> None:
    global _worker_registry
    _worker_registry = registry


def _read_in_worker(item):
    return read_document(item, _worker_registry)


def read_documents(items: Iterable, registry: OutletRegistry, jobs: int = 1) -> Iterator:
    """``read_document`` over ``items``, in input order, on ``jobs`` processes.

    The order of results is the order of inputs whatever ``jobs`` is, and each document is
    read on its own, so the output does not depend on ``jobs``. Workers are forked (cheap,
    and no __main__ re-run as spawn would do), once the language model's warm-up thread is
    done so that no lock is copied half-held; they get the registry once.
    """
    import multiprocessing

    items = iter(items)
    head = list(itertools.islice(items, PARALLEL_MIN_DOCUMENTS))
    can_fork = "fork" in multiprocessing.get_all_start_methods()  # not on Windows
    if jobs <= 1 or len(head) < PARALLEL_MIN_DOCUMENTS or not can_fork:
        yield from (read_document(item, registry) for item in itertools.chain(head, items))
        return
    from concurrent.futures import ProcessPoolExecutor

    from . import language

    language.wait_warm_up()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(registry,)) as pool:
        yield from pool.map(_read_in_worker, itertools.chain(head, items), chunksize=4)


def ingest(
    inputs: Iterable[str],
    store: Store,
    *,
    registry: OutletRegistry | None = None,
    stdin: BinaryIO | None = None,
    fetch: Callable | None = None,
    on_error: Callable[[InputError], None] | None = None,
    jobs: int = 1,
    progress: Progress = SILENT,
) -> IngestReport:
    """Read, extract, segment, credit and store every input; bad inputs become errors.

    Each article is stored in its own transaction, so a failure leaves no half article.
    Extraction, language id and credits run on ``jobs`` processes (see read_documents).
    """
    registry = registry or default_registry()
    report = IngestReport()

    def fail(error: InputError) -> None:
        report.errors.append(error)
        if on_error:
            on_error(error)

    batch: list[tuple[Article, list[Attribution]]] = []
    documents = read_documents(iter_documents(inputs, stdin=stdin, fetch=fetch), registry, jobs)
    for item in progress.track(documents, "ingest (read)"):
        if isinstance(item, InputError):
            fail(item)
            continue
        batch.append(item)
    # An outlet's own furniture repeats across its articles (this batch and the archive).
    articles = [article for article, _ in batch]
    outlets = {a.outlet for a in articles if a.outlet}
    archive = [a for a in store.articles() if a.outlet in outlets] if outlets else []
    segment.mark_repeated(articles + archive)

    for article, credits in progress.track(batch, "ingest (store)"):
        try:
            signatures = {u.paragraph.index: u.minhash.hashvalues for u in align.prepare(article)}
            result = store.add_article(article, credits, signatures)
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
    notes: list[str] | None = None,
    jobs: int = 1,
    progress: Progress = SILENT,
) -> tuple[list[Match], list[Edge], list[Outlet], str]:
    """Align everything in the store, draw the forest, save it; returns it and the method.
    ``notes`` (if given) gets a line for each work cap that cut a comparison short."""
    registry = registry or default_registry()
    articles = store.articles()
    matches = align.find_matches(articles, store.fingerprints(), notes, jobs=jobs, progress=progress)
    embedder = None
    if crosslingual_embeddings:
        from .embeddings import load_embedder

        embedder = load_embedder()
        if embedder is not None and progress is not SILENT:
            embedder = TrackedEmbedder(embedder, progress)
    matches += crosslingual.find_translations(articles, embedder=embedder, cache=store)
    edges, outlets = lineage.build_forest(articles, matches, store.attributions(), registry)
    store.save_analysis(outlets, matches, edges)
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
    jobs: int = 1,
    progress: Progress = SILENT,
) -> TraceResult:
    """Ingest ``inputs`` and trace them.

    Without ``db_path`` the work happens in an in-memory database: exactly those inputs,
    no file left behind. With it, the inputs are stored there and traced against every
    article already stored (parents may come from the archive).
    """
    registry = registry or default_registry()
    with Store(db_path or ":memory:") as store:
        report = ingest(inputs, store, registry=registry, stdin=stdin, fetch=fetch, on_error=on_error, jobs=jobs,
                        progress=progress)
        notes: list[str] = []
        matches, edges, outlets, method = analyse(
            store, registry=registry, crosslingual_embeddings=crosslingual, notes=notes, jobs=jobs,
            progress=progress,
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
        notes=notes,
    )


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
