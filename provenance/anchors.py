"""Language-independent anchors: numbers, dates and names that survive translation.

A translator rewrites every word but keeps the facts: "3,7 tỷ euro" becomes "37억 유로",
"ngày 7/7" becomes "7월 7일", "Alibaba" becomes "알리바바". This module turns such spans
into comparable keys so that two articles in different languages can be paired cheaply
(inverted index over keys) and the pairing can be explained to a journalist.

Keys:
- ``num:<value>``  numbers with scale words resolved (Korean 만/억, Chinese 万/亿,
  Vietnamese triệu/tỷ, "million", "Mrd." ...) and decimal/group separators read with the
  language's CLDR conventions ("3,7" is 3.7 in Vietnamese, "100.000" is 100000).
- ``date:MM-DD`` or ``date:YYYY-MM`` for dates written with CLDR month names or numerals.
- ``name:<ascii>`` capitalised Latin/Cyrillic/Greek words, transliterated with anyascii.
Words in caseless scripts (Hangul, Han, Kana, ...) become ``term`` anchors that are only
compared fuzzily against names (``names_match``), never indexed: transliteration of
"알리바바" is "allibaba", close to but not equal to "alibaba".
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from anyascii import anyascii
from babel import Locale, UnknownLocaleError
from babel.dates import get_date_format, get_month_names
from babel.numbers import get_decimal_symbol
from rapidfuzz import fuzz


@dataclass(frozen=True)
class Anchor:
    kind: str  # "number" | "date" | "name" | "term"
    key: str  # language-independent form, e.g. "num:3700000000"
    surface: str  # the text as written
    start: int  # offsets into the text given to extract_anchors
    end: int


# Scale words: multiplier applied to the number written before them.  Lower-cased;
# Latin words need a word boundary after them, CJK/Hangul ones attach to particles.
_SCALES_WORDS: dict[str, int] = {
    # English
    "thousand": 10**3, "million": 10**6, "millions": 10**6, "mln": 10**6, "mn": 10**6,
    "billion": 10**9, "billions": 10**9, "bn": 10**9, "trillion": 10**12,
    # German
    "tausend": 10**3, "mio": 10**6, "mio.": 10**6, "millionen": 10**6,
    "milliarde": 10**9, "milliarden": 10**9, "mrd": 10**9, "mrd.": 10**9, "billionen": 10**12,
    # French
    "mille": 10**3, "milliard": 10**9, "milliards": 10**9,
    # Spanish / Portuguese / Italian
    "mil": 10**3, "millón": 10**6, "millones": 10**6, "milhão": 10**6, "milhões": 10**6,
    "bilhão": 10**9, "bilhões": 10**9, "milione": 10**6, "milioni": 10**6,
    "miliardo": 10**9, "miliardi": 10**9,
    # Vietnamese
    "nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9,
    # Indonesian / Malay
    "ribu": 10**3, "juta": 10**6, "miliar": 10**9, "triliun": 10**12,
    # Russian / Ukrainian
    "тыс": 10**3, "тыс.": 10**3, "тысяч": 10**3, "тысячи": 10**3, "тысяча": 10**3,
    "млн": 10**6, "млн.": 10**6, "миллион": 10**6, "миллиона": 10**6, "миллионов": 10**6,
    "млрд": 10**9, "млрд.": 10**9, "миллиард": 10**9, "миллиарда": 10**9,
    "миллиардов": 10**9, "трлн": 10**12,
}
# East Asian myriad scales; they combine: "3억 2,600만" = 3*10^8 + 2600*10^4.
_SCALES_CJK: dict[str, int] = {
    "천": 10**3, "만": 10**4, "억": 10**8, "조": 10**12,
    "千": 10**3, "万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "兆": 10**12,
}
# "mil millones" (es) = 10^9 must win over "mil".
_MULTIWORD_SCALES = {"mil millones": 10**9, "mil milhões": 10**9}

_DIGITS = r"\d(?:[\d.,\u00a0\u202f\u2009]*\d)?"
_SPACE = r"[ \u00a0\u202f\u2009]"
_LATIN_SCALE_RE = "|".join(
    re.escape(w) for w in sorted([*_MULTIWORD_SCALES, *_SCALES_WORDS], key=len, reverse=True)
)
_CJK_SCALE_RE = "|".join(re.escape(w) for w in _SCALES_CJK)
# One number group: digits, optionally followed by a scale word.
_NUMBER_RE = re.compile(
    rf"(?<![0-9.,A-Za-z])(?P<num>{_DIGITS})"
    rf"(?:{_SPACE}?(?P<cjk>{_CJK_SCALE_RE})|{_SPACE}(?P<word>{_LATIN_SCALE_RE})(?![\w]))?",
    re.IGNORECASE,
)
# Space used as a thousands separator ("100 000" in ru/fr): only digit groups of three.
_SPACED_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ \u00a0\u202f\u2009]\d{3})+)(?![\d,.]\d)")

_CASELESS_RUN_RE = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    r"\u0e00-\u0e7f\u0600-\u06ff\u0590-\u05ff\u0900-\u097f]+"
)
# Letters of the cased scripts (Latin incl. Vietnamese, Greek, Cyrillic); a word stops at
# a script change, so "Cainiao는" yields the name "Cainiao".
_CASED = "A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u1e00-\u1eff"
_CASED_WORD_RE = re.compile(rf"[{_CASED}](?:[{_CASED}0-9'’\-]*[{_CASED}0-9])?")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?…:»\"”]\s+|\n\s*)$")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_CJK_CHARS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3040-\u30ff]")


class AnchorError(ValueError):
    """A number or date could not be normalised (malformed separators)."""


def extract_anchors(text: str, language: str | None = None) -> list[Anchor]:
    """All anchors in ``text`` (numbers, dates, names, caseless-script terms), in order."""
    dates = _extract_dates(text, language)
    taken = [(a.start, a.end) for a in dates]
    numbers = [
        a for a in _extract_numbers(text, language)
        if not any(s <= a.start < e for s, e in taken)
    ]
    taken += [(a.start, a.end) for a in numbers]
    months = set(_month_names(language))
    names = [
        a for a in _extract_names(text)
        if a.surface.lower().rstrip(".") not in months
        and not any(s < a.end and a.start < e for s, e in taken)
    ]
    terms = [a for a in _extract_terms(text) if not any(s <= a.start < e for s, e in taken)]
    anchors = dates + numbers + names + terms
    anchors.sort(key=lambda a: (a.start, a.end))
    return anchors


def anchor_keys(anchors: list[Anchor]) -> set[str]:
    """Exact keys usable in an inverted index (terms excluded: they only match fuzzily)."""
    return {a.key for a in anchors if a.kind != "term"}


# --- numbers ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _decimal_symbol(language: str | None) -> str:
    try:
        return get_decimal_symbol(Locale.parse(language or "en"))
    except (UnknownLocaleError, ValueError, TypeError):
        return "."


def parse_number(raw: str, language: str | None = None) -> Decimal:
    """Read a digit string with the language's separators: '3,7' (vi) -> 3.7, '100.000' -> 100000.

    Separators are ambiguous only when a single one is followed by exactly three digits
    ("3,700"); then the language's CLDR decimal symbol decides.
    """
    s = re.sub(r"[\u00a0\u202f\u2009 ]", "", raw)
    seps = [c for c in s if c in ".,"]
    try:
        if not seps:
            return Decimal(s)
        if len(set(seps)) == 2:  # "1.234,5" or "1,234.5": the last one is the decimal mark
            decimal_mark = s[max(s.rfind("."), s.rfind(","))]
            group_mark = "," if decimal_mark == "." else "."
            return Decimal(s.replace(group_mark, "").replace(decimal_mark, "."))
        sep = seps[0]
        parts = s.split(sep)
        if len(parts) > 2:  # repeated separator: grouping
            if any(len(p) != 3 for p in parts[1:]):
                raise AnchorError(f"malformed number {raw!r}")
            return Decimal("".join(parts))
        head, tail = parts
        if len(tail) == 3 and sep != _decimal_symbol(language):
            return Decimal(head + tail)
        return Decimal(f"{head}.{tail}")
    except InvalidOperation as exc:
        raise AnchorError(f"malformed number {raw!r}") from exc


def _number_key(value: Decimal) -> str:
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return f"num:{int(normal)}"
    return f"num:{format(normal, 'f')}"


def _extract_numbers(text: str, language: str | None) -> list[Anchor]:
    # Rewrite space-grouped thousands ("100 000") into a parseable form without moving offsets.
    work = _SPACED_THOUSANDS_RE.sub(lambda m: m.group(0).replace(" ", "\u2009"), text)
    groups: list[tuple[int, int, Decimal, bool, bool]] = []  # start, end, value, scaled, cjk
    for m in _NUMBER_RE.finditer(work):
        try:
            value = parse_number(m.group("num"), language)
        except AnchorError:
            continue
        scale = 1
        if m.group("cjk"):
            scale = _SCALES_CJK[m.group("cjk")]
        elif m.group("word"):
            word = m.group("word").lower()
            scale = _MULTIWORD_SCALES.get(word) or _SCALES_WORDS[word]
        groups.append((m.start(), m.end(), value * scale, scale != 1, bool(m.group("cjk"))))

    anchors: list[Anchor] = []
    i = 0
    while i < len(groups):
        start, end, value, scaled, cjk = groups[i]
        # Combine "3억 2,600만": myriad groups separated only by a space, scales decreasing.
        j = i
        while (
            cjk and j + 1 < len(groups) and groups[j + 1][4]
            and work[groups[j][1]:groups[j + 1][0]].strip() == ""
            and groups[j + 1][2] < value
        ):
            j += 1
            value += groups[j][2]
            end = groups[j][1]
        i = j + 1
        # Bare digits below 10 are usually spelled out in the other language: not anchors.
        if not scaled and value < 10 and value == value.to_integral_value():
            continue
        anchors.append(Anchor("number", _number_key(value), text[start:end], start, end))
    return anchors


# --- dates -----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _month_names(language: str | None) -> dict[str, int]:
    """Lower-case CLDR month names (wide and abbreviated, both contexts) of a language and English."""
    month_of: dict[str, int] = {}
    for lang in {language or "en", "en"}:
        try:
            locale = Locale.parse(lang)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    name = name.lower().rstrip(".")
                    if len(name) >= 3 and not _CJK_CHARS.search(name):
                        month_of[name] = number
    return month_of


@lru_cache(maxsize=64)
def _date_patterns(language: str | None) -> list[tuple[re.Pattern[str], dict[str, int]]]:
    """Compiled date patterns for a language, month names from CLDR via babel."""
    month_of = _month_names(language)
    if not month_of:
        return []
    names = "|".join(re.escape(n) for n in sorted(month_of, key=len, reverse=True))
    month = rf"(?P<m>{names})\.?(?![\w])"
    day = r"(?P<d>[0-3]?\d)(?:\.|er|st|nd|rd|th|-?го)?"
    year = r"(?P<y>(?:1[89]|20)\d\d)"
    day_first = _day_first(language)
    numeric = (
        rf"(?<![\d/.])(?P<d>[0-3]?\d)[/.](?P<mm>[01]?\d)[/.]{year}(?![\d/])" if day_first
        else rf"(?<![\d/.])(?P<mm>[01]?\d)/(?P<d>[0-3]?\d)/{year}(?![\d/])"
    )
    raw = [
        rf"(?<!\w){day}\s+(?:de\s+)?{month}(?:\s+(?:de\s+)?{year})?",
        rf"(?<!\w){month}\s+{day}(?:,?\s+{year})?(?![\d])",
        rf"(?<!\w){month},?\s+(?:de\s+|of\s+|năm\s+)?{year}",
        rf"(?<!\w){month}/{year}",  # Vietnamese "tháng 7/2023"
        numeric,
        # Vietnamese "ngày 7/7": a bare d/m is a fraction ("1/5") unless announced as a day.
        r"(?i:ngày)\s+(?P<d>[0-3]?\d)/(?P<mm>[01]?\d)(?![\d/])",
        # Korean / Chinese / Japanese numerals with 년/월/일, 年/月/日.
        r"(?:(?P<y>(?:1[89]|20)\d\d)\s*[년年]\s*)?(?P<mm>[01]?\d)\s*[월月](?:\s*(?P<d>[0-3]?\d)\s*[일日号])?",
    ]
    return [(re.compile(p, re.IGNORECASE), month_of) for p in raw]


@lru_cache(maxsize=64)
def _day_first(language: str | None) -> bool:
    try:
        pattern = get_date_format("short", Locale.parse(language or "en")).pattern
    except (UnknownLocaleError, ValueError, TypeError):
        return True
    return pattern.lower().find("d") < pattern.find("M")


_DIGIT = re.compile(r"\d")


def _extract_dates(text: str, language: str | None) -> list[Anchor]:
    anchors: list[Anchor] = []
    if not _DIGIT.search(text):  # every date pattern holds a digit (\d, as they do)
        return anchors
    taken: list[tuple[int, int]] = []
    for pattern, month_of in _date_patterns(language):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            groups = m.groupdict()
            month = month_of.get(groups["m"].lower()) if groups.get("m") else None
            if month is None and groups.get("mm"):
                month = int(groups["mm"])
            day = int(groups["d"]) if groups.get("d") else None
            year = groups.get("y")
            if month is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
                continue
            if day is not None:
                key = f"date:{month:02d}-{day:02d}"
            elif year:
                key = f"date:{year}-{month:02d}"
            else:
                continue  # a bare month name ("May") is too weak to anchor anything
            anchors.append(Anchor("date", key, m.group(0), m.start(), m.end()))
            taken.append((m.start(), m.end()))
            if year and day is not None:  # the year is an anchor of its own, like any number
                ys = m.start("y")
                anchors.append(Anchor("number", f"num:{year}", year, ys, ys + 4))
    return anchors


# --- names -----------------------------------------------------------------------------


@lru_cache(maxsize=65536)  # names recur across a corpus: each spelling is folded once
def normalise_name(surface: str) -> str:
    """ASCII, lower case, letters only, doubled letters collapsed ('알리바바' -> 'alibaba')."""
    surface = unicodedata.normalize("NFC", surface)
    ascii_form = anyascii(surface).lower()
    ascii_form = re.sub(r"['’]s$", "", ascii_form)
    if _HANGUL.search(surface):
        # Korean inserts 'eu' to close foreign consonant clusters: 홀슬라그 = hol-seul-la-geu.
        ascii_form = ascii_form.replace("eu", "")
    letters = re.sub(r"[^a-z]", "", ascii_form)
    # Fold sounds that transliterations disagree on (c/k, y/i) or that scripts such as
    # Hangul and Kana do not distinguish (r/l, v/b, f/p).
    for old, new in (("ph", "p"), ("f", "p"), ("c", "k"), ("q", "k"), ("y", "i"), ("x", "ks"),
                     ("r", "l"), ("v", "b")):
        letters = letters.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", letters)


def _extract_names(text: str) -> list[Anchor]:
    """Capitalised words and acronyms in cased scripts; sentence-initial words only if
    the same word is also capitalised mid-sentence (otherwise it is just 'The')."""
    found: list[tuple[Anchor, bool]] = []
    for m in _CASED_WORD_RE.finditer(text):
        word = m.group(0)
        if not word[0].isupper() or _CASELESS_RUN_RE.match(word):
            continue
        if len(word) < 3 and not (len(word) >= 2 and word.isupper()):
            continue
        key = normalise_name(word)
        if len(key) < 2:
            continue
        initial = bool(_SENTENCE_START_RE.search(text[max(0, m.start() - 3):m.start()]))
        found.append((Anchor("name", f"name:{key}", word, m.start(), m.end()), initial))
    mid_sentence = {a.key for a, initial in found if not initial}
    return [a for a, initial in found if not initial or a.key in mid_sentence]


def _extract_terms(text: str) -> list[Anchor]:
    """Words in caseless scripts, for fuzzy name matching ('알리바바의' ~ 'Alibaba')."""
    anchors = []
    for m in _CASELESS_RUN_RE.finditer(text):
        key = normalise_name(m.group(0))
        if len(key) >= 3:
            anchors.append(Anchor("term", f"term:{key}", m.group(0), m.start(), m.end()))
    return anchors


def names_match(name: Anchor, other: Anchor) -> bool:
    """Does a name anchor denote the same name as another name or a caseless-script term?

    Cased names match on equal keys. Against a transliterated caseless word the name must
    be close to the word's beginning (Korean particles follow the name: '알리바바의'); in
    unspaced Han text it may sit anywhere in the run.
    """
    if name.kind != "name":
        return False
    a = name.key.removeprefix("name:")
    if other.kind == "name":
        return a == other.key.removeprefix("name:")
    if other.kind != "term" or len(a) < 4:
        return False
    unspaced = bool(_CJK_CHARS.search(other.surface)) and not _HANGUL.search(other.surface)
    return _transliteration_matches(a, other.key.removeprefix("term:"), unspaced)


@lru_cache(maxsize=200_000)
def _transliteration_matches(a: str, b: str, unspaced: bool) -> bool:
    threshold = 85 if len(a) >= 6 else 90
    if unspaced:
        if len(b) > len(a) + 2:
            return fuzz.partial_ratio(a, b) >= threshold + 5
        return fuzz.ratio(a, b) >= threshold
    # A name keeps its first sound; a long compound word is not a name with a particle.
    if a[0] != b[0] or len(b) > len(a) + 6 or len(b) < len(a) - 1:
        return False
    return max(fuzz.ratio(a, b[: len(a) + k]) for k in (-1, 0, 1, 2)) >= threshold


def shared_anchors(a: list[Anchor], b: list[Anchor]) -> list[tuple[Anchor, Anchor]]:
    """Pairs of anchors of ``a`` and ``b`` that denote the same fact, each anchor used once."""
    by_key: dict[str, list[Anchor]] = {}
    for anchor in b:
        if anchor.kind != "term":
            by_key.setdefault(anchor.key, []).append(anchor)
    pairs: list[tuple[Anchor, Anchor]] = []
    used: set[int] = set()
    for anchor in a:
        if anchor.kind == "term":
            continue
        for candidate in by_key.get(anchor.key, []):
            if id(candidate) not in used:
                used.add(id(candidate))
                pairs.append((anchor, candidate))
                break
    # Cross-script names: a's names against b's terms and b's names against a's terms.
    seen_keys = {x.key for x, _ in pairs}
    for names, terms, flip in ((a, b, False), (b, a, True)):
        for name in names:
            if name.kind != "name" or name.key in seen_keys:
                continue
            for term in terms:
                if term.kind == "term" and id(term) not in used and names_match(name, term):
                    used.add(id(term))
                    seen_keys.add(name.key)
                    pairs.append((term, name) if flip else (name, term))
                    break
    return pairs
