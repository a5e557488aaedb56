"""Stage: who published each article, and how we know.

Metadata first (a JSON ``outlet``, the page's site name, its canonical or fetched URL's
domain), then the text: the page's own masthead, copyright or footer line, reporters'
e-mail domains and desk bylines name the page owner; an agency's byline, sign-off codes
or dateline name who wrote the text. The page owner is the publisher; with no page owner,
the agency that wrote the text is (an agency's own wire copy). A dateline of an agency that
does not publish in the article's language is a credit, not authorship: someone translated
that agency's story.

The cues are data (``provenance/data/publisher.toml``); outlet names are resolved through
the outlet registry. Credits to the publisher become self-credits (never a parent).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .crosslingual import placeholders
from .extract import registered_domain
from .models import Article, Attribution
from .outlets import OutletRegistry, outlet_id

__all__ = ["Publisher", "infer_publisher", "apply_publisher"]

_HEAD_LINES = 8
_TAIL_LINES = 8
_EMAIL = re.compile(r"[\w.+-]+@((?:[\w-]+\.)+[a-z]{2,})\b", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?:www\.)?(?:[\w-]+\.)+[a-z]{2,}$", re.IGNORECASE)
# Agency sign-off codes after the story: "PTI COR ARB NSD", "dpa lrs yyrs a3 kem".
_DESK_CODES = re.compile(r"^(\S+)((?:\s+[A-Za-z0-9]{1,5}){2,8})\s*$")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# A date or a clock time: "19.11.2025", "2025-11-19", "07:35", "14 Ottobre 2025".
_STAMP = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\b\d{1,2}[:.h]\d{2}\b|\b(?:19|20)\d\d\b")


@dataclass
class Publisher:
    outlet: str  # outlet id
    name: str
    evidence: list[str] = field(default_factory=list)
    source: str = "text"  # "metadata" | "text"


@dataclass(frozen=True)
class _Cues:
    copyright_markers: tuple[str, ...]
    separators: tuple[str, ...]
    byline_words: tuple[str, ...]
    with_material_words: tuple[str, ...]
    desk_words: tuple[str, ...]
    breadcrumb_roots: frozenset[str]


@lru_cache(maxsize=1)
def _cues() -> _Cues:
    data = tomllib.loads(resources.files("provenance").joinpath("data/publisher.toml").read_text("utf-8"))
    return _Cues(
        copyright_markers=tuple(m.casefold() for m in data["copyright_markers"]),
        separators=tuple(data["line_separators"]),
        byline_words=tuple(w.casefold() for w in data["byline_words"]),
        with_material_words=tuple(w.casefold() for w in data["with_material_words"]),
        desk_words=tuple(w.casefold() for w in data["desk_words"]),
        breadcrumb_roots=frozenset(w.casefold() for w in data["breadcrumb_roots"]),
    )


def infer_publisher(
    article: Article, attributions: list[Attribution], registry: OutletRegistry
) -> Publisher | None:
    """The article's publisher with the evidence for it, or None when nothing tells."""
    if article.outlet:
        return Publisher(article.outlet, article.outlet_name or article.outlet, _metadata_evidence(article), "metadata")
    if article.domain:
        # A page's address names its site even when the site is not in the registry.
        return Publisher(outlet_id(article.domain), article.domain, [f"page URL is on {article.domain}"], "metadata")

    lines = [line.strip() for line in article.text.splitlines() if line.strip()]
    head, tail = _head(lines), _tail(lines)
    owner = _page_owner(head, tail, registry)
    if owner is not None:
        return owner
    if placeholders(article.text):
        # A copying pipeline's leftover ("[ads_1]") marks a scraped copy: the agency its
        # byline, dateline or "told X" names wrote the original, not this page.
        return None
    writer = _writer(head, tail, registry)
    dateline = _dateline_writer(article, attributions, registry)
    interviewer = _interviewer(attributions, registry)
    for candidate in (writer, dateline, interviewer):
        if candidate is not None and _publishes_in(registry, candidate.outlet, article.language):
            return candidate
    return None


def apply_publisher(article: Article, publisher: Publisher | None, attributions: list[Attribution]) -> None:
    """Set the article's outlet from ``publisher`` and flag credits to it as self-credits."""
    if publisher is not None:
        article.outlet = publisher.outlet
        article.outlet_name = article.outlet_name or publisher.name
        article.publisher_evidence = list(publisher.evidence)
    for attribution in attributions:
        attribution.self = bool(article.outlet) and attribution.outlet == article.outlet


# ---------------------------------------------------------------------------- metadata
def _metadata_evidence(article: Article) -> list[str]:
    out = []
    if article.outlet_name:
        out.append(f"metadata names the site '{article.outlet_name}'")
    if article.domain:
        out.append(f"page URL is on {article.domain}")
    return out or ["metadata"]


# ---------------------------------------------------------------------------- the text
def _is_body(line: str) -> bool:
    if len(_segments(line)) >= 3:
        return False  # a navigation or byline line, however long
    return len(line.split()) >= 15 or len(line) >= 120


def _head(lines: list[str]) -> list[tuple[int, str]]:
    out = []
    for number, line in enumerate(lines[: _HEAD_LINES * 2]):
        if _is_body(line) or len(out) >= _HEAD_LINES:
            break
        out.append((number, line))
    return out


def _tail(lines: list[str]) -> list[tuple[int, str]]:
    out = []
    for number in range(len(lines) - 1, max(-1, len(lines) - 1 - _TAIL_LINES * 2), -1):
        line = lines[number]
        if _is_body(line) and not _has_copyright(line) or len(out) >= _TAIL_LINES:
            break
        out.append((number, line))
    return out


def _segments(line: str) -> list[str]:
    parts = [line]
    for separator in (*_cues().separators, "  "):
        parts = [piece for part in parts for piece in part.split(separator)]
    return [p.strip(" \t-–—:") for p in parts if p.strip(" \t-–—:")]


def _has_copyright(line: str) -> bool:
    folded = line.casefold()
    return any(marker in folded for marker in _cues().copyright_markers)


def _resolve(name: str, registry: OutletRegistry, *, unknown: bool = False) -> tuple[str, str] | None:
    """(outlet id, name) for a name or domain; unknown names only when ``unknown``."""
    name = name.strip(" \t.,;:()<>[]«»\"'“”")
    if not name or len(name) > 60:
        return None
    known = registry.resolve(name)
    if known is not None:
        return known.id, known.name
    if _DOMAIN.match(name):
        domain = registered_domain("http://" + name) or name.lower()
        return outlet_id(domain), name
    # "dpa-infocom" is dpa's: a known name inside one hyphenated word.
    if not any(ch.isspace() for ch in name):
        for token in re.split(r"[-–/]+", name):
            found = registry.resolve(token) if len(token) >= 2 else None
            if found is not None:
                return found.id, found.name
    if unknown and _looks_like_name(name):
        return outlet_id(name), name
    return None


def _looks_like_name(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 4 or _YEAR.search(text):
        return False
    first = words[0]
    return first[:1].isupper() or not first[:1].isascii()


def _is_navigation(segments: list[str]) -> bool:
    """Three or more items, none of them after the first a date or time: "Home | Markets |
    Economy" is navigation; "Jana Novak | 03.03.2025 - 07:35" is a byline with its stamp."""
    return len(segments) >= 3 and not any(_STAMP.search(segment) for segment in segments[1:])


def _page_owner(head, tail, registry) -> Publisher | None:
    """The site whose page this is: masthead, copyright line, e-mail domain, desk byline."""
    found: list[tuple[str, str, str]] = []  # (outlet id, name, evidence)
    for position, (number, line) in enumerate(head[:3]):
        segments = _segments(line)
        if not segments or _is_byline(line) or segments[0].casefold() in _cues().breadcrumb_roots:
            continue
        is_nav = _is_navigation(segments)
        alone = segments[0] == line.strip()
        # A registered outlet opens a short navigation line too ("NTV > Türkiye").
        known_first = len(segments) >= 2 and registry.resolve(segments[0]) is not None
        if not (is_nav or alone or known_first):
            continue
        # An unknown name counts as a masthead only on a navigation line, or alone on the
        # first line right above one ("Business Standard" / "Home | Markets | ...").
        next_is_nav = position + 1 < len(head) and _is_navigation(_segments(head[position + 1][1]))
        unknown = is_nav or (position == 0 and alone and next_is_nav)
        hit = _resolve(segments[0], registry, unknown=unknown)
        if hit is not None:
            found.append((*hit, f"header line '{_short(line)}' (line {number + 1})"))
            break
    for _, line in head:
        hit = _desk_byline(line, registry)
        if hit is not None:
            found.append((*hit, f"desk byline '{_short(line)}'"))
    for _, line in tail:
        if _has_copyright(line):
            hit = _copyright_owner(line, registry)
            if hit is not None:
                found.append((*hit, f"copyright line '{_short(line)}'"))
        for email in _EMAIL.finditer(line):
            hit = _resolve(email.group(1), registry)
            if hit is not None and registry.get(hit[0]) is not None:
                found.append((*hit, f"reporter's e-mail address on {email.group(1)}"))
    if not found:
        return None
    chosen = found[0][0]
    evidence = [why for oid, _, why in found if oid == chosen]
    name = next(n for oid, n, _ in found if oid == chosen)
    known = registry.get(chosen)
    return Publisher(chosen, known.name if known else name, evidence, "text")


def _copyright_owner(line: str, registry) -> tuple[str, str] | None:
    folded = line.casefold()
    best = None
    for marker in _cues().copyright_markers:
        at = folded.find(marker)
        if at < 0:
            continue
        rest = line[at + len(marker):]
        rest = _YEAR.sub(" ", rest)
        rest = re.sub(r"^[\s©ⓒ()c:.,\-]+", "", rest, flags=re.IGNORECASE) if marker != "(c)" else rest.lstrip(" ©:")
        chunk = re.split(r"[,;|<>.。·•](?!\w{2,}\b)|\s[-–—]\s", rest, maxsplit=1)[0].strip()
        words = chunk.split()
        for n in range(min(len(words), 5), 0, -1):  # longest known prefix first
            hit = _resolve(" ".join(words[:n]), registry)
            if hit is not None:
                return hit
        before = line[:at].strip(" <([")
        if before:  # "Kleine Zeitung © 2025"
            hit = _resolve(before.split("|")[-1], registry)
            if hit is not None:
                return hit
        if best is None and words:
            cleaned = " ".join(w for w in words[:4] if w.casefold() not in _cues().copyright_markers)
            best = _resolve(cleaned, registry, unknown=True) if cleaned else None
    return best


def _desk_byline(line: str, registry) -> tuple[str, str] | None:
    folded = line.casefold().strip()
    for desk in _cues().desk_words:
        if folded.endswith(" " + desk) and len(line.split()) <= 6:
            return _resolve(line[: len(line) - len(desk)].strip(), registry)
    return None


def _is_byline(line: str) -> bool:
    first = line.split(maxsplit=1)[0].casefold() if line.split() else ""
    return first in _cues().byline_words


def _writer(head, tail, registry) -> Publisher | None:
    """An agency that signs the text: "AFP | jeudi ...", "By Reuters", "Von N. N., dpa",
    sign-off codes "PTI COR ARB"."""
    cues = _cues()
    for number, line in head:
        folded = line.casefold()
        if any(re.search(rf"(?<!\w){re.escape(w)}\s", folded) for w in cues.with_material_words) and _is_byline(line):
            continue  # "Par V.-M. avec AFP": someone else's text with agency material
        segments = _segments(line)
        candidates = []
        if _is_byline(line):
            body = line.split(maxsplit=1)[1] if len(line.split()) > 1 else ""
            candidates += [body, body.split(",")[-1]]
        elif len(segments) >= 2:
            candidates.append(segments[0])
        for candidate in candidates:
            hit = _resolve(candidate, registry)
            if hit is not None and registry.is_wire(hit[0]):
                return Publisher(hit[0], hit[1], [f"agency byline '{_short(line)}'"], "text")
    for number, line in tail:
        codes = _DESK_CODES.match(line)
        if codes is not None:
            hit = _resolve(codes.group(1), registry)
            if hit is not None and registry.is_wire(hit[0]):
                return Publisher(hit[0], hit[1], [f"agency sign-off codes '{_short(line)}'"], "text")
    return None


def _dateline_writer(article: Article, attributions: list[Attribution], registry) -> Publisher | None:
    """The agency of the story's own dateline (or Reuters-style signature), when the credit
    opens one of the first body paragraphs and the article credits no one else for text."""
    content = [p.index for p in article.paragraphs if p.is_content]
    opening = set(content[:4])
    datelines = [a for a in attributions if a.kind == "dateline" and a.paragraph in opening and a.text_source]
    # "(With information from X)", "Source: X": the text is someone else's, built on X's.
    others = {
        a.outlet for a in attributions
        if a.text_source and a.kind in ("credit", "source_footer", "via")
        and not (a.kind == "credit" and not a.surface)  # a signature names no other outlet
    }
    for attribution in datelines:
        if not registry.is_wire(attribution.outlet) or (others - {attribution.outlet}):
            continue
        name = registry.get(attribution.outlet).name
        return Publisher(attribution.outlet, name, [f"the story's own dateline '{attribution.phrase}'"], "text")
    signatures = [a for a in attributions if a.kind == "credit" and not a.surface]
    if signatures and not others - {signatures[0].outlet}:
        entry = registry.get(signatures[0].outlet)
        if entry is not None:
            return Publisher(entry.id, entry.name, [f"the agency's own signature '{_short(signatures[0].phrase)}'"], "text")
    return None


def _interviewer(attributions: list[Attribution], registry) -> Publisher | None:
    """People told X, and the story credits no one else: X did the reporting."""
    text_credits = [a for a in attributions if a.text_source]
    told = {a.outlet for a in text_credits if a.kind == "told"}
    if len(told) != 1 or any(a.kind != "told" for a in text_credits):
        return None
    outlet = told.pop()
    entry = registry.get(outlet)
    phrase = next(a.phrase for a in text_credits)
    name = entry.name if entry else next(a.surface for a in text_credits)
    return Publisher(outlet, name, [f"sources speak to {name} ('{phrase}') and no other outlet is credited"], "text")


def _publishes_in(registry: OutletRegistry, outlet: str, language: str | None) -> bool:
    entry = registry.get(outlet)
    languages = entry.languages if entry else ()
    if not languages or not language:
        return True
    return language.split("-")[0] in languages


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
