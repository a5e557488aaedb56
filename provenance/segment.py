"""Stage 3: split an article's text into paragraphs with offsets, and mark boilerplate.

Paragraphs are the unit of alignment. A paragraph is a line (or a block of hard-wrapped
lines); a very long paragraph (wire copy pasted without breaks) is cut at sentence ends
into passages of a few sentences, so that reuse of part of it can still be located.

Boilerplate is marked, never dropped: the paragraph keeps its text and offsets, gets a
label (see provenance/data/boilerplate.toml) and is ignored by alignment and lineage.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .models import Article, Paragraph

# Passages of a long paragraph aim for this many characters.
LONG_PARAGRAPH = 1200
PASSAGE_TARGET = 500

_SENTENCE_END = re.compile(r"(?<=[.!?۔।。！？])[\"'”’»)\]]*\s*(?=\S)")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class _Rule:
    label: str
    patterns: tuple[re.Pattern, ...]
    starts_thread: bool
    ends_article: bool


@lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    raw = tomllib.loads(
        resources.files("provenance").joinpath("data", "boilerplate.toml").read_text("utf-8")
    )
    rules = []
    for label, table in raw.items():
        rules.append(
            _Rule(
                label=table.get("label", label),
                patterns=tuple(re.compile(p, re.IGNORECASE) for p in table["patterns"]),
                starts_thread=bool(table.get("starts_thread")),
                ends_article=bool(table.get("ends_article")),
            )
        )
    return tuple(rules)


def segment(text: str) -> list[Paragraph]:
    """Paragraphs of ``text`` with offsets and boilerplate labels (language is set later)."""
    spans = list(_paragraph_spans(text))
    paragraphs = [
        Paragraph(index=i, start=s, end=e, text=text[s:e]) for i, (s, e) in enumerate(spans)
    ]
    _mark_boilerplate(paragraphs)
    return paragraphs


def _paragraph_spans(text: str):
    """Yield (start, end) of each paragraph: non-empty lines, hard-wrapped blocks joined."""
    for block_start, block_end in _blocks(text):
        lines = list(_lines(text, block_start, block_end))
        if _looks_hard_wrapped([text[s:e] for s, e in lines]):
            pieces = [(lines[0][0], lines[-1][1])]
        else:
            pieces = lines
        for s, e in pieces:
            if e - s > LONG_PARAGRAPH:
                yield from _passages(text, s, e)
            else:
                yield s, e


def _blocks(text: str):
    """Blocks of text separated by blank lines."""
    pos = 0
    for m in re.finditer(r"\n[ \t\r\f\v]*\n", text):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(text)


def _lines(text: str, start: int, end: int):
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        s, e = pos, stop
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            yield s, e
        pos = stop + 1


def _looks_hard_wrapped(lines: list[str]) -> bool:
    """A block of 3+ similar-width lines that mostly stop mid-sentence was wrapped by an editor."""
    if len(lines) < 3:
        return False
    widths = [len(line) for line in lines[:-1]]
    if min(widths) < 40 or max(widths) > 100:
        return False
    open_ended = sum(1 for line in lines[:-1] if not re.search(r"[.!?:;。！？۔\"”]$", line))
    return open_ended >= 0.6 * (len(lines) - 1)


def _passages(text: str, start: int, end: int):
    """Cut [start, end) at sentence ends into passages of about PASSAGE_TARGET characters."""
    cuts = [m.end() + start for m in _SENTENCE_END.finditer(text[start:end])]
    piece_start = start
    for cut in cuts:
        if cut - piece_start >= PASSAGE_TARGET and end - cut >= PASSAGE_TARGET // 3:
            yield piece_start, _rstrip(text, piece_start, cut)
            piece_start = cut
    yield piece_start, end


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _mark_boilerplate(paragraphs: list[Paragraph]) -> None:
    rules = _rules()
    in_thread = False
    trailing = False
    seen: set[str] = set()
    total = len(paragraphs)
    first_body = _first_body_index(paragraphs)
    for p in paragraphs:
        stripped = p.text.strip()
        if in_thread:
            p.boilerplate = "comments"
            continue
        matched = None
        for rule in rules:
            if any(pattern.match(stripped) for pattern in rule.patterns):
                matched = rule
                break
        if matched is not None and matched.starts_thread:
            in_thread = True
            p.boilerplate = matched.label
            continue
        if matched is not None and matched.ends_article:
            # A credit line alone, in the last part of the text, closes the story.
            if p.index >= total * 0.5:
                trailing = True
            continue
        if matched is not None:
            p.boilerplate = matched.label
        elif trailing:
            p.boilerplate = "related"
        elif p.index < first_body and _word_count(stripped) <= 3 and not _ends_sentence(stripped):
            p.boilerplate = "chrome"  # menu items, topic tags before the story starts
        key = _normalise(stripped)
        if p.boilerplate is None and key in seen:
            p.boilerplate = "duplicate"  # a headline or caption printed twice
        seen.add(key)


def _first_body_index(paragraphs: list[Paragraph]) -> int:
    for p in paragraphs:
        if _word_count(p.text) >= 15 or len(p.text) >= 120:
            return p.index
    return len(paragraphs)


def _word_count(text: str) -> int:
    words = _WORD.findall(text)
    if any(_is_cjk(ch) for ch in text[:50]):
        return max(len(words), len(text) // 2)
    return len(words)


def _ends_sentence(text: str) -> bool:
    return bool(re.search(r"[.!?。！？۔]['\"”’)]*$", text))


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def wording_key(text: str) -> int:
    """A stable key for a paragraph's wording (case, punctuation and spacing folded): the
    first 8 bytes of its SHA-1 as a signed 64-bit integer, which SQLite stores and indexes
    in place (the store keeps it per paragraph, see ``mark_repeated``)."""
    digest = hashlib.sha1(_normalise(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little", signed=True)


# Counts, for each wording key, the stored articles of an outlet (or, with outlet None,
# of a domain) that print it: ``count(outlet, domain, keys) -> {key: articles}``. It may
# stop counting at REPEATED_PRINTS: more prints decide nothing more, and an outlet's
# footer is in every one of its articles (Store.wording_counts, ``at_most``).
ArchiveCounts = Callable[[str | None, str | None, set[int]], Mapping[int, int]]
REPEATED_PRINTS = 3  # prints of any paragraph that make it the outlet's template


def mark_repeated(articles: list[Article], archive: ArchiveCounts | None = None) -> None:
    """Mark paragraphs that one outlet prints in several articles (its own furniture).

    A short paragraph that recurs in two articles of the same outlet, or any paragraph in
    three or more, is the outlet's template ("Follow us on ..."), not shared reporting.
    Articles of unknown outlet are grouped by domain; with neither, they are not compared.
    ``archive`` counts the outlet's stored articles too (an index lookup per key, so that
    a few new articles are checked against an archive without reading it).
    """
    by_group: dict[tuple[str | None, str | None], list[Article]] = defaultdict(list)
    for article in articles:
        if article.outlet:
            by_group[(article.outlet, None)].append(article)
        elif article.domain:
            by_group[(None, article.domain)].append(article)
    for (outlet, domain), group in by_group.items():
        if len(group) < 2 and archive is None:
            continue
        keys = [[wording_key(p.text) for p in article.paragraphs] for article in group]
        counts: Counter[int] = Counter()
        for article_keys in keys:
            counts.update(set(article_keys))
        if archive is not None:
            counts.update(archive(outlet, domain, set(counts)))
        for article, article_keys in zip(group, keys):
            for p, key in zip(article.paragraphs, article_keys):
                if p.boilerplate is None and _is_repeated(counts[key], len(p.text)):
                    p.boilerplate = "repeated"


def _is_repeated(prints: int, length: int) -> bool:
    """An outlet's template: a short paragraph it prints twice, any paragraph thrice."""
    return prints >= REPEATED_PRINTS or (prints == 2 and length < 200)


# A stored paragraph as ``repeated_labels`` reads it: (article id, outlet, domain,
# paragraph index, wording key, boilerplate label, length in characters).
StoredParagraph = tuple[str, str | None, str | None, int, int, str | None, int]


def repeated_labels(paragraphs: list[StoredParagraph], count: ArchiveCounts) -> dict[str, dict[int, str | None]]:
    """The labels ``mark_repeated`` gives stored paragraphs now that ``count`` (stored
    prints per outlet, the paragraphs' own articles included) sees every print, where
    they differ from the stored ones: {article id: {paragraph index: "repeated" or None}}.
    Other labels (share, related, ...) stand; only "repeated" comes or goes."""
    def group_of(outlet: str | None, domain: str | None):
        return (outlet, None) if outlet else ((None, domain) if domain else None)

    keys: dict[tuple, set[int]] = defaultdict(set)
    for _, outlet, domain, _, key, label, _ in paragraphs:
        if label in (None, "repeated") and (group := group_of(outlet, domain)) is not None:
            keys[group].add(key)
    counts = {group: count(group[0], group[1], wanted) for group, wanted in keys.items()}
    changes: dict[str, dict[int, str | None]] = defaultdict(dict)
    for article, outlet, domain, index, key, label, length in paragraphs:
        group = group_of(outlet, domain)
        if label not in (None, "repeated") or group is None:
            continue
        wanted_label = "repeated" if _is_repeated(counts[group].get(key, 0), length) else None
        if wanted_label != label:
            changes[article][index] = wanted_label
    return dict(changes)
