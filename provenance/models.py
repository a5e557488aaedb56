"""Plain dataclasses that flow between the pipeline stages.

ingest -> Document -> extract -> Article (text + metadata) -> segment -> Paragraph
-> fingerprint/align -> Match -> attribution -> Attribution -> lineage -> Edge.

Offsets are always character offsets into ``Article.text``, end exclusive.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Document:
    """One input as read from disk, stdin or the network, before extraction."""

    id: str  # article id as the trace contract defines it (path as given / URL)
    source: str  # the file, "-" or URL the user named
    content: bytes | str  # raw bytes for files/URLs, str for JSON-provided text
    format: str  # "txt" | "html" | "json"
    url: str | None = None  # where it came from (fetched URL or JSON "url")
    meta: dict = field(default_factory=dict)  # JSON fields (title, published, outlet, ...)
    content_type: str | None = None  # HTTP content type, when fetched


@dataclass
class Paragraph:
    index: int
    start: int
    end: int
    text: str
    language: str | None = None
    # None for article content; otherwise why it is boilerplate ("comments", "share",
    # "related", "repeated", ...). Boilerplate never creates an edge.
    boilerplate: str | None = None

    @property
    def is_content(self) -> bool:
        return self.boilerplate is None


@dataclass
class Article:
    id: str
    source: str
    text: str
    title: str | None = None
    published: str | None = None  # ISO 8601 date or datetime
    outlet: str | None = None  # outlet id ("outlet:slug") of the publisher, when known
    outlet_name: str | None = None
    url: str | None = None
    domain: str | None = None  # registered domain of url (tldextract, offline snapshot)
    language: str | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)
    content_hash: str = ""
    format: str = "txt"
    # Why ``outlet`` is the publisher: metadata, or cues in the text (masthead, copyright
    # line, the agency's own dateline...). Empty when the publisher is unknown.
    publisher_evidence: list[str] = field(default_factory=list)
    # Where ``published`` comes from: "metadata", or the text as written ("Stand: 26.08.2025").
    published_evidence: str | None = None

    def content_paragraphs(self) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.is_content]

    def paragraph_at(self, offset: int) -> Paragraph | None:
        for p in self.paragraphs:
            if p.start <= offset < p.end:
                return p
        return None


@dataclass
class Outlet:
    id: str  # "outlet:" + slug of the canonical name
    name: str
    domains: list[str] = field(default_factory=list)
    in_corpus: bool = False


@dataclass
class Attribution:
    article: str
    outlet: str  # outlet id
    surface: str  # the outlet name as written ("FT")
    phrase: str  # the whole credit phrase ("(Theo FT)")
    kind: str  # according_to, credit, dateline, quotes_report, told, first_reported,
    #            source_footer, via, photo_credit
    paragraph: int
    start: int  # offsets of the phrase in the article text
    end: int
    language: str | None = None
    # False for credits that are not a text source (photo credits).
    text_source: bool = True
    # A credit to the article's own publisher ("Kaub (dpa) -" in a dpa story): kept, never a parent.
    self: bool = False


@dataclass
class Span:
    """Text shared by two articles: [a_start, a_end) in a, [b_start, b_end) in b."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    quoted: bool = False  # inside quotation marks on both sides (a third party's words)


@dataclass
class ParagraphPair:
    a_paragraph: int
    b_paragraph: int
    score: float
    spans: list[Span] = field(default_factory=list)
    method: str = "minhash"  # minhash | anchors | embedding


# Match kinds that show derivation (the others are listed, never edges).
DERIVED_KINDS = ("copy", "rewrite", "translation")


@dataclass
class Match:
    """A verified pair of articles that share text, monolingual or across languages."""

    a: str
    b: str
    kind: str  # copy | rewrite | translation | shared_quote
    score: float
    pairs: list[ParagraphPair] = field(default_factory=list)
    method: str = "minhash"
    # Share of each side's content text covered by the aligned material (0-1).
    a_coverage: float = 0.0
    b_coverage: float = 0.0
    # Direction argued by the aligner, when it can (cross-lingual artifacts, etc.):
    # (parent_id, child_id), how sure, and why.
    direction: tuple[str, str] | None = None
    direction_confidence: float = 0.0
    evidence: list[str] = field(default_factory=list)
    # Each side read as the copy: its reuse score, and the kind of copy it would be (None
    # when that side's text does not show derivation). Set by the monolingual aligner;
    # None for translations, which read the same both ways. Lineage uses the child's side.
    a_score: float | None = None
    b_score: float | None = None
    a_kind: str | None = None
    b_kind: str | None = None

    def as_copy(self, article_id: str) -> tuple[str | None, float]:
        """(kind, score) of the match with ``article_id`` read as the copy."""
        if article_id == self.a and self.a_score is not None:
            return self.a_kind, self.a_score
        if article_id == self.b and self.b_score is not None:
            return self.b_kind, self.b_score
        return (self.kind if self.kind in DERIVED_KINDS else None), self.score


@dataclass
class Edge:
    parent: str  # article id or outlet id
    child: str
    kind: str  # copy | rewrite | translation | attributed
    confidence: float
    evidence: list[str] = field(default_factory=list)
    alternatives: list[dict] = field(default_factory=list)


@dataclass
class InputError:
    """A bad input: reported on one line, the batch goes on, the exit code says so."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"
