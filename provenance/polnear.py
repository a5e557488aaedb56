"""PolNeAR (brat standoff) loader, and its outlet credits as a gold story for ``evaluate``.

A PolNeAR folder holds ``text/<name>.txt``, ``attributions/<name>_<annotator>.ann`` (brat standoff:
``T`` lines are spans ``Source|Cue|Content|Attribution start end[;start end] text`` with character
offsets into the text, end exclusive; ``E`` lines tie one attribution's spans together) and
``metadata.tsv`` (publisher, date, title, ``credit`` hat-tips and the ``wire`` agency, "None"/"NA"
when unknown).

Gold outlet credits (``outlet_credits``), two kinds, both resolved through the outlet registry:

- **source**: the Source span of an attribution names an outlet: the whole span (after dropping a
  leading "the", quotes and a trailing possessive) resolves, or its possessor does ("CNN's Jake
  Tapper" -> CNN). "according to The Washington Post", "The New York Post reports".
- **told**: PolNeAR annotates the speaker as the Source of "X told Reuters", so the outlet sits after
  the cue: when the cue is or contains "told", "tells", "interview with/on", "said on", "speaking
  to/with", the capitalised name right after that word is tried, longest first.

A short form "the <Word>" is read as the known outlet the same article names in full ("the Times"
in an article that mentions "The New York Times") before the registry is asked; when the article
names two such outlets the short form is ambiguous and not gold. (A fuller name the registry does not
know, "Tampa Bay Times", is not seen: "the Times" then resolves as the registry says.)

An article with several annotator files keeps a credit when at least ``min_agreement`` of its
annotators produced it (default one half; with one annotator every credit counts). A credit to the
article's own publisher is marked ``self``.

The ``wire`` column is carried as the gold article's ``wire`` field, which ``evaluate`` scores apart
as an article-level credit (``wire_credit``). The wire agency and a hat-tip outlet in ``credit`` are
also added as *optional* attributions: a tracer that finds such a credit (a dateline "(AP)") is right
but PolNeAR has no span for it, so it is neither rewarded nor penalised in the span-based figures.
"""
from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "AttributionRelation",
    "BratSpan",
    "OutletCredit",
    "PolnearArticle",
    "PolnearError",
    "load_polnear",
    "outlet_credits",
    "parse_brat",
    "read_metadata",
    "to_gold_story",
]

GOLD_FOLDER = "text"  # gold ids are "text/<name>.txt": trace is run on text/ from the corpus folder

# metadata.tsv publisher codes -> outlet names the registry knows.
PUBLISHER_NAMES = {
    "breitbart": "Breitbart",
    "huff-post": "HuffPost",
    "nyt": "The New York Times",
    "politico": "Politico",
    "usa-today": "USA Today",
    "wash-post": "The Washington Post",
    "west-journal": "Western Journalism",
}
_MISSING = {"", "none", "na", "n/a", "null"}

_ADDRESSEE_CUE = re.compile(
    r"\b(?:told|tells|telling|interviews? (?:with|on)|said on|speaking (?:to|with)|talking to)\s+",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"[\w.&’'-]+")
_POSSESSIVE = re.compile(r"['’]s?$")
_LOOKAHEAD = 80  # characters after a cue searched for the addressee's name
_MAX_NAME_WORDS = 6


class PolnearError(Exception):
    """The folder is not a PolNeAR/brat corpus, or an annotation file is malformed."""


class OutletLookup(Protocol):
    def resolve(self, text: str) -> Any | None: ...  # an Outlet (with .id, .name) or None


@dataclass
class BratSpan:
    id: str
    type: str  # Source | Cue | Content | Attribution | ...
    segments: list[tuple[int, int]]
    text: str

    @property
    def start(self) -> int:
        return self.segments[0][0]

    @property
    def end(self) -> int:
        return self.segments[-1][1]


@dataclass
class AttributionRelation:
    id: str
    trigger: str  # "Attribution" or "Attribution-no-source"
    source: BratSpan | None = None
    cue: BratSpan | None = None
    content: list[BratSpan] = field(default_factory=list)


@dataclass
class PolnearArticle:
    name: str
    text: str
    publisher: str | None = None
    published: str | None = None
    title: str | None = None
    author: str | None = None
    credit: str | None = None  # hat-tip credit line ("h/t: ...")
    wire: str | None = None  # news agency the article came from (AP, UPI, Reuters)
    annotations: dict[str, list[AttributionRelation]] = field(default_factory=dict)  # by annotator

    @property
    def gold_id(self) -> str:
        return f"{GOLD_FOLDER}/{self.name}.txt"

    @property
    def outlet_name(self) -> str | None:
        if self.publisher is None:
            return None
        return PUBLISHER_NAMES.get(self.publisher, self.publisher)


@dataclass
class OutletCredit:
    outlet: str  # outlet id
    surface: str  # the outlet name as written
    kind: str  # source-derived kind (according_to, quotes_report, source) or "told"
    phrase: str
    start: int
    end: int
    annotators: set[str] = field(default_factory=set)


# ---------------------------------------------------------------- reading


def parse_brat(ann: str, *, where: str = "<ann>") -> list[AttributionRelation]:
    """The attribution relations (``E`` lines) of one brat standoff file."""
    spans: dict[str, BratSpan] = {}
    events: list[tuple[str, list[str]]] = []
    for number, line in enumerate(ann.splitlines(), 1):
        if not line.strip() or line[0] not in "TE":
            continue  # attributes, notes, relations: not used
        parts = line.split("\t")
        try:
            if line[0] == "T":
                span_type, offsets = parts[1].split(" ", 1)
                segments = [tuple(map(int, seg.split())) for seg in offsets.split(";")]
                if any(len(seg) != 2 for seg in segments):
                    raise ValueError("bad offsets")
                spans[parts[0]] = BratSpan(parts[0], span_type, segments, parts[2] if len(parts) > 2 else "")
            else:
                events.append((parts[0], parts[1].split()))
        except (IndexError, ValueError) as exc:
            raise PolnearError(f"{where}:{number}: malformed brat line: {line[:60]!r}") from exc

    relations = []
    for event_id, arguments in events:
        relation = AttributionRelation(event_id, trigger="")
        for argument in arguments:
            role, _, span_id = argument.partition(":")
            span = spans.get(span_id)
            if span is None:
                raise PolnearError(f"{where}: {event_id} refers to unknown span {span_id}")
            role = role.rstrip("0123456789")  # "Content2" is a second content span
            if not relation.trigger:
                relation.trigger = role
            elif role == "Source":
                relation.source = span
            elif role == "Cue":
                relation.cue = span
            elif role == "Content":
                relation.content.append(span)
        if relation.trigger.startswith("Attribution"):
            relations.append(relation)
    return relations


def _clean(value: str | None) -> str | None:
    if value is None or value.strip().lower() in _MISSING:
        return None
    return value.strip()


def read_metadata(path: Path) -> dict[str, dict[str, str | None]]:
    """metadata.tsv rows keyed by file name (without .txt), "None"/"NA" read as None."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        if rows.fieldnames is None or "filename" not in rows.fieldnames:
            raise PolnearError(f"{path}: no 'filename' column")
        return {row["filename"]: {k: _clean(v) for k, v in row.items()} for row in rows}


def load_polnear(folder: str | Path) -> list[PolnearArticle]:
    """Every article of a PolNeAR folder with its metadata and annotations, sorted by name."""
    root = Path(folder)
    text_dir, ann_dir = root / "text", root / "attributions"
    if not text_dir.is_dir() or not ann_dir.is_dir():
        raise PolnearError(f"{root}: not a PolNeAR folder (needs text/ and attributions/)")
    metadata_path = root / "metadata.tsv"
    metadata = read_metadata(metadata_path) if metadata_path.is_file() else {}

    articles = {}
    for text_path in sorted(text_dir.glob("*.txt")):
        name = text_path.stem
        meta = metadata.get(name, {})
        articles[name] = PolnearArticle(
            name=name,
            text=text_path.read_text(encoding="utf-8"),
            publisher=meta.get("publisher"),
            published=meta.get("publication_date"),
            title=meta.get("title"),
            author=meta.get("author"),
            credit=meta.get("credit"),
            wire=meta.get("wire"),
        )
    for ann_path in sorted(ann_dir.glob("*.ann")):
        name, _, annotator = ann_path.stem.rpartition("_")
        article = articles.get(name)
        if article is None:
            raise PolnearError(f"{ann_path}: no text/{name}.txt for this annotation file")
        relations = parse_brat(ann_path.read_text(encoding="utf-8"), where=str(ann_path))
        for relation in relations:
            for span in filter(None, (relation.source, relation.cue)):
                if " ".join(article.text[s:e] for s, e in span.segments) != span.text:
                    raise PolnearError(f"{ann_path}: span {span.id} does not match the text at its offsets")
        article.annotations[annotator] = relations
    return list(articles.values())


# ---------------------------------------------------------------- outlet credits


def _clean_name(text: str) -> str:
    """Quotes, punctuation, a possessive and "a"/"an" off; a leading "the" is kept (see below)."""
    text = text.strip().strip("\"“”‘’'()[],.;:").strip()
    text = _POSSESSIVE.sub("", text)
    return re.sub(r"^(?:a|an)\s+", "", text, flags=re.IGNORECASE).strip()


def _strip_name(text: str) -> str:
    return re.sub(r"^the\s+", "", _clean_name(text), flags=re.IGNORECASE).strip()


def _resolve(registry: OutletLookup, text: str) -> Any | None:
    name = _clean_name(text)
    return registry.resolve(name) if _strip_name(name) else None


def _source_outlet(registry: OutletLookup, source: str) -> tuple[Any, str] | None:
    outlet = _resolve(registry, source)
    if outlet is not None:
        return outlet, source.strip()
    possessor = re.split(r"['’]s\s", source, maxsplit=1)
    if len(possessor) == 2:
        outlet = _resolve(registry, possessor[0])
        if outlet is not None:
            return outlet, possessor[0].strip()
    return None


def _source_kind(cue: str) -> str:
    cue = cue.lower()
    if "according to" in cue:
        return "according_to"
    if "report" in cue:
        return "quotes_report"
    return "source"


def _leading_name_words(text: str) -> list[str]:
    """Words of the capitalised name at the start of ``text`` ("the" allowed first)."""
    words: list[str] = []
    previous_end = 0
    for match in _NAME_WORD.finditer(text):
        if text[previous_end : match.start()].strip():
            break  # punctuation between words ends the name
        word = match.group()
        starts_name = not words and word.lower() == "the"
        if not (starts_name or word[:1].isupper() or word[:1].isdigit()):
            break
        words.append(word)
        previous_end = match.end()
        if _POSSESSIVE.search(word) or len(words) == _MAX_NAME_WORDS:
            break
    return words


def _addressee_outlet(registry: OutletLookup, text: str, cue: BratSpan) -> tuple[Any, str, int, int] | None:
    window = text[cue.start : cue.end + _LOOKAHEAD]
    for match in _ADDRESSEE_CUE.finditer(window):
        if match.start() >= cue.end - cue.start:
            break  # the keyword must belong to the cue
        words = _leading_name_words(window[match.end():])
        for n in range(len(words), 0, -1):
            surface = " ".join(words[:n])
            outlet = _resolve(registry, surface)
            if outlet is not None:
                end = cue.start + match.end() + len(surface)
                return outlet, surface, cue.start, end
    return None


def _relation_credits(article: PolnearArticle, relation: AttributionRelation, registry: OutletLookup):
    cue_text = relation.cue.text if relation.cue else ""
    if relation.source is not None:
        found = _source_outlet(registry, relation.source.text)
        if found is not None:
            outlet, surface = found
            bounds = [relation.source.start, relation.source.end]
            if relation.cue:
                bounds += [relation.cue.start, relation.cue.end]
            start, end = min(bounds), max(bounds)
            yield OutletCredit(outlet.id, surface, _source_kind(cue_text), article.text[start:end], start, end)
    if relation.cue is not None:
        found = _addressee_outlet(registry, article.text, relation.cue)
        if found is not None:
            outlet, surface, start, end = found
            yield OutletCredit(outlet.id, surface, "told", article.text[start:end], start, end)


class _ShortFormLookup:
    """Resolves a short form through an outlet the article names in full ("the Times" after "a New
    York Times article", "The Post" after "The New York Post"), then through the registry."""

    def __init__(self, registry: OutletLookup, text: str):
        self.registry = registry
        self.text = text

    def _full_forms(self, short: str) -> dict[str, Any]:
        """Known outlets the article names in full with this last word."""
        pattern = r"((?:[A-Z][\w.&’'-]*\s+){1,%d})%s\b" % (_MAX_NAME_WORDS - 1, re.escape(short))
        found = {}
        for match in re.finditer(pattern, self.text):
            words = match.group(1).split()
            while words and words[0].lower() in ("the", "a", "an"):
                words = words[1:]  # "The Times" itself is no fuller form
            for i in range(len(words)):  # longest name first: "The New York Times" before "York Times"
                outlet = self.registry.resolve(" ".join(words[i:] + [short]))
                if outlet is not None:
                    found[outlet.id] = outlet
                    break
        return found

    def resolve(self, text: str) -> Any | None:
        short = _strip_name(text)
        if re.match(r"the\s", text, flags=re.IGNORECASE) and short and " " not in short:
            named = self._full_forms(short)
            if len(named) == 1:
                return next(iter(named.values()))
            if named:
                return None  # "The Post" in an article naming two Posts: ambiguous, no gold
        return self.registry.resolve(text)


def _all_credits(article: PolnearArticle, registry: OutletLookup):
    for annotator, relations in sorted(article.annotations.items()):
        for relation in relations:
            for credit in _relation_credits(article, relation, registry):
                yield annotator, credit


def outlet_credits(
    article: PolnearArticle, registry: OutletLookup, *, min_agreement: float = 0.5
) -> list[OutletCredit]:
    """The article's credits to outlets, one per outlet, kept when enough annotators agree."""
    lookup = _ShortFormLookup(registry, article.text)
    by_outlet: dict[str, OutletCredit] = {}
    annotators: dict[str, set[str]] = defaultdict(set)
    for annotator, credit in _all_credits(article, lookup):
        by_outlet.setdefault(credit.outlet, credit)
        annotators[credit.outlet].add(annotator)
    needed = max(1, math.ceil(min_agreement * len(article.annotations)))
    kept = []
    for outlet_id, credit in by_outlet.items():
        credit.annotators = annotators[outlet_id]
        if len(credit.annotators) >= needed:
            kept.append(credit)
    return sorted(kept, key=lambda c: c.start)


def _metadata_credits(article: PolnearArticle, registry: OutletLookup, annotated: set[str]) -> list[dict]:
    """The wire agency and a hat-tip outlet as optional credits: true, but not annotated as spans."""
    names = [("wire", article.wire)]
    if article.credit:
        names.append(("credit", re.sub(r"^\s*h/?t\s*:?\s*", "", article.credit, flags=re.IGNORECASE)))
    credits = []
    for column, name in names:
        outlet = _resolve(registry, name) if name else None
        if outlet is not None and outlet.id not in annotated:
            annotated.add(outlet.id)
            credits.append({"outlet": outlet.id, "kind": "credit", "surface": name, "self": False,
                            "optional": True, "from": f"metadata.tsv {column}"})
    return credits


def to_gold_story(
    articles: list[PolnearArticle], registry: Any | None = None, *, min_agreement: float = 0.5
) -> dict:
    """A gold story (bench-data README format) scoring attributions only: lineage is not annotated."""
    if registry is None:
        from provenance.outlets import default_registry

        registry = default_registry()
    entries = {}
    for article in articles:
        own = _resolve(registry, article.outlet_name) if article.outlet_name else None
        credits = outlet_credits(article, registry, min_agreement=min_agreement)
        entries[article.gold_id] = {
            "language": "en",
            "outlet": article.outlet_name,
            "published": article.published,
            "parent": None,
            "kind": None,
            "accept_parents": [],
            "attributions": [
                {
                    "outlet": credit.outlet,
                    "kind": credit.kind,
                    "surface": credit.surface,
                    "phrase": credit.phrase,
                    "start": credit.start,
                    "end": credit.end,
                    "self": own is not None and own.id == credit.outlet,
                    "optional": False,
                }
                for credit in credits
            ]
            + _metadata_credits(article, registry, {c.outlet for c in credits}),
            "wire": article.wire,
            "credit": article.credit,
        }
    return {
        "description": "PolNeAR: outlet credits from brat Source spans and told-cues (wire and hat-tip "
        "credits optional); lineage not annotated",
        "annotates": {"lineage": False, "attributions": True},
        "articles": entries,
    }
