"""Attribution extraction: which outlets an article credits, and with which phrase.

Patterns are data (``provenance/data/attribution/<lang>.toml``, format in the README
there). A pattern is a template or regular expression with one outlet slot. Known outlet
names are found once per paragraph with one registry-wide regex (case-sensitively, so "ap"
in prose never counts) and masked with sentinel characters of the same length, so each
pattern's slot stays a tiny regex and offsets stay valid. Where a pattern allows it, the
slot also takes unknown capitalised names that look like a publication ("the Daily Zorb").
Every candidate is then checked, overlapping candidates for one outlet mention are reduced
to the longest phrase, and captions turn into photo credits.
"""
from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable

import regex

from provenance.models import Article, Attribution, Paragraph
from provenance.outlets import OutletRegistry

__all__ = [
    "KINDS",
    "PatternError",
    "PatternSet",
    "default_patterns",
    "extract_attributions",
    "load_patterns",
]

KINDS = frozenset(
    {
        "according_to",
        "credit",
        "dateline",
        "quotes_report",
        "told",
        "first_reported",
        "source_footer",
        "via",
        "photo_credit",
    }
)
# On equally long phrases, the more specific kind wins ("X が最初に報じた" is first_reported).
_KIND_PRIORITY = (
    "source_footer",
    "first_reported",
    "credit",
    "dateline",
    "told",
    "via",
    "according_to",
    "quotes_report",
    "photo_credit",
)
# Boilerplate that never carries a credit for this article.
SKIPPED_BOILERPLATE = frozenset({"comments", "related"})
COMMON_LANGUAGE = "*"

_SLOT_RE = regex.compile(r"\{(outlet|outlets|domain)\}")
_UNKNOWN_POLICIES = ("no", "publication")
_WHERE = ("anywhere", "start", "end", "whole")

# An unknown outlet name: up to six capitalised words, joined by the small words names use.
_NAME_WORD = r"(?:\p{Lu}[\p{L}\p{M}\p{N}&'’.-]*[\p{L}\p{M}\p{N}.]|\p{Lu})"
_NAME_JOINER = r"(?:of|de|del|des|du|la|le|di|der|die|the|and|y|&)"
_UNKNOWN_NAME = rf"{_NAME_WORD}(?:[ \t](?:{_NAME_JOINER}[ \t])?{_NAME_WORD}){{0,5}}"
_UNKNOWN_DOMAIN = r"(?:[\p{L}\p{N}-]+\.)+(?:com|net|org|co|io|news|info|tv|[a-z]{2})(?:\.[a-z]{2})?"
# Words that open a sentence, not a name ("He Financial Times, which first reported...").
_NAME_STOP_WORDS = frozenset(
    """a an and as at but by for from he her his i if in it its my no not of on or our she so
    that the their then there these they this those to we when where while who with you your
    also however meanwhile monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december""".split()
)
_OPEN_WRAPPERS = "«„“\"《「『‹'‘"
_CLOSE_WRAPPERS = "»“”\"》」』›'’"
# A guarded alias (an outlet name that is also an ordinary word) counts only inside these.
_GUARD_QUOTES = {"'": "'’", "‘": "’'", '"': '"', "“": "”\"", "«": "»", "„": "“”"}
_GUARD_BRACKETS = {"(": ")", "（": "）", "[": "]"}


# Sentinels (private-use characters) that stand for known names in the masked text.
_ALIAS_MARK_A, _ALIAS_MARK_B, _DOMAIN_MARK = "\uE000", "\uE001", "\uE002"
_ALIAS_MARKS = (_ALIAS_MARK_A, _ALIAS_MARK_B)
_KNOWN_SLOT = "(?:\uE000+|\uE001+)"
_DOMAIN_SLOT = "\uE002+"


class PatternError(ValueError):
    """An attribution pattern file is malformed."""


# --------------------------------------------------------------------------- patterns
@dataclass
class PatternSpec:
    """One [[pattern]] entry of a language file."""

    kind: str
    source: str  # template or regex text, for error messages
    regex_text: str  # with {outlet}/{outlets}/{domain} still in it
    slot: str | None  # "outlet", "outlets", "domain" or None (fixed outlet)
    unknown: str = "no"
    where: str = "anywhere"
    fixed_outlet: str | None = None
    not_followed_by: str | None = None
    not_preceded_by: str | None = None
    text_source: bool = True
    language: str = COMMON_LANGUAGE
    order: int = 0


@dataclass
class LanguageRules:
    language: str
    prefixes: list[str] = field(default_factory=list)
    nouns: list[str] = field(default_factory=list)
    publication_words: list[str] = field(default_factory=list)
    non_news_words: list[str] = field(default_factory=list)
    list_separators: list[str] = field(default_factory=list)
    patterns: list[PatternSpec] = field(default_factory=list)


@dataclass
class PatternSet:
    """All language files, ready to compile against one registry."""

    languages: dict[str, LanguageRules]

    def for_languages(self, codes: Iterable[str | None]) -> list[LanguageRules]:
        wanted = {_base_language(c) for c in codes if c}
        if not wanted:  # language unknown: every file applies
            return list(self.languages.values())
        return [rules for code, rules in self.languages.items() if code == COMMON_LANGUAGE or code in wanted]

    @property
    def publication_words(self) -> frozenset[str]:
        return frozenset(w.casefold() for r in self.languages.values() for w in r.publication_words)

    @property
    def non_news_words(self) -> frozenset[str]:
        return frozenset(w.casefold() for r in self.languages.values() for w in r.non_news_words)

    @property
    def separators(self) -> list[str]:
        seen: dict[str, None] = {}
        for rules in self.languages.values():
            for sep in rules.list_separators:
                seen.setdefault(sep, None)
        return list(seen)


def _base_language(code: str) -> str:
    return code.replace("_", "-").split("-")[0].lower()


def _template_to_regex(template: str) -> str:
    """Literal text with slots -> regex: case-insensitive, any run of spaces matches."""
    parts = []
    for piece in _SLOT_RE.split(template):
        if piece in ("outlet", "outlets", "domain"):
            parts.append("{" + piece + "}")
        elif piece:
            words = [regex.escape(w) for w in piece.split()]
            body = r"\s+".join(words)
            # Keep the spacing at the edges of the literal ("according to {outlet}").
            parts.append((r"\s+" if piece[:1].isspace() else "") + body + (r"\s+" if piece[-1:].isspace() else ""))
    return "".join(parts)


def _parse_pattern(raw: dict, language: str, order: int, source: str) -> list[PatternSpec]:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise PatternError(f"{source}: pattern #{order}: unknown kind {kind!r}")
    unknown = raw.get("unknown", "no")
    where = raw.get("where", "anywhere")
    if unknown not in _UNKNOWN_POLICIES:
        raise PatternError(f"{source}: pattern #{order}: unknown must be one of {_UNKNOWN_POLICIES}")
    if where not in _WHERE:
        raise PatternError(f"{source}: pattern #{order}: where must be one of {_WHERE}")
    texts: list[tuple[str, str]] = []
    templates = raw.get("template", [])
    for t in [templates] if isinstance(templates, str) else templates:
        texts.append((t, _template_to_regex(t)))
    regexes = raw.get("regex", [])
    for r in [regexes] if isinstance(regexes, str) else regexes:
        texts.append((r, r))
    if not texts:
        raise PatternError(f"{source}: pattern #{order} has neither template nor regex")
    specs = []
    for original, regex_text in texts:
        slots = _SLOT_RE.findall(regex_text)
        fixed = raw.get("outlet")
        if len(slots) > 1 or (not slots and not fixed):
            raise PatternError(f"{source}: {original!r} needs exactly one {{outlet}}, {{outlets}} or {{domain}} slot")
        specs.append(
            PatternSpec(
                kind=kind,
                source=original,
                regex_text=regex_text,
                slot=slots[0] if slots else None,
                unknown=unknown,
                where=where,
                fixed_outlet=fixed,
                not_followed_by=raw.get("not_followed_by"),
                not_preceded_by=raw.get("not_preceded_by"),
                text_source=bool(raw.get("text_source", kind != "photo_credit")),
                language=language,
                order=order,
            )
        )
    return specs


def _parse_language_file(data: dict, source: str) -> LanguageRules:
    language = data.get("language")
    if not isinstance(language, str) or not language:
        raise PatternError(f"{source}: missing 'language'")
    rules = LanguageRules(
        language=COMMON_LANGUAGE if language == COMMON_LANGUAGE else _base_language(language),
        prefixes=list(data.get("outlet_prefixes", [])),
        nouns=list(data.get("outlet_nouns", [])),
        publication_words=list(data.get("publication_words", [])),
        non_news_words=list(data.get("non_news_words", [])),
        list_separators=list(data.get("list_separators", [])),
    )
    for order, raw in enumerate(data.get("pattern", []), start=1):
        rules.patterns.extend(_parse_pattern(raw, rules.language, order, source))
    return rules


def load_patterns(directory: str | Path | None = None) -> PatternSet:
    """Read every ``*.toml`` in the attribution data folder (the packaged one by default)."""
    languages: dict[str, LanguageRules] = {}
    if directory is None:
        files = [
            (f.name, f.read_bytes())
            for f in resources.files("provenance").joinpath("data/attribution").iterdir()
            if f.name.endswith(".toml")
        ]
    else:
        files = [(p.name, p.read_bytes()) for p in Path(directory).glob("*.toml")]
    for name, raw in sorted(files):
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PatternError(f"{name}: {exc}") from exc
        rules = _parse_language_file(data, name)
        if rules.language in languages:
            raise PatternError(f"{name}: language {rules.language!r} defined twice")
        languages[rules.language] = rules
    if not languages:
        raise PatternError(f"no attribution pattern files in {directory or 'provenance/data/attribution'}")
    return PatternSet(languages)


# ------------------------------------------------------------------------ compilation
def _trie_regex(words: Iterable[str]) -> str:
    """One compact alternation for many literal spellings (shared prefixes merged), which
    compiles and matches far faster than a flat list."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        ends = "" in node
        branches = []
        for char in sorted(k for k in node if k):
            # A space in a spelling matches any run of whitespace (or none, between non-Latin words).
            atom = r"\s+" if char == " " else regex.escape(char)
            branches.append(atom + emit(node[char]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            body = "(?:" + body + ")?"
        return body

    return emit(trie)


def _alias_group_regex(aliases: Iterable[str]) -> str:
    """All registry spellings as one regex. Latin edges must not touch letters ("FT" not
    inside "FTIt"); other scripts may carry glued particles ("FT에", "لرويترز")."""
    groups: dict[tuple[bool, bool], list[str]] = {}
    for alias in aliases:
        left = bool(regex.match(r"[\p{Latin}\p{Cyrillic}\p{N}]", alias))
        right = bool(regex.search(r"[\p{Latin}\p{N}.]$", alias))
        groups.setdefault((left, right), []).append(alias)
    parts = []
    for (left, right), members in sorted(groups.items()):
        body = _trie_regex(members)
        # Longest match first: the trie is greedy, and the lookahead rejects "FT" in "FTIt".
        parts.append(
            (r"(?<![\p{Latin}\p{Cyrillic}\p{N}_])" if left else "")
            + "(?:" + body + ")"
            + (r"(?![\p{Latin}\p{N}_])" if right else "")
        )
    return "(?:" + "|".join(parts) + ")"


def _spelling_variants(spelling: str) -> set[str]:
    spelling = unicodedata.normalize("NFKC", spelling).strip()
    if spelling.lower().startswith("the ") and len(spelling) > 4:
        spelling = spelling[4:]  # the slot's optional prefixes take care of "the"
    return {spelling, spelling.upper()} if spelling.isascii() else {spelling}


def _words_regex(words: Iterable[str]) -> str:
    """Optional prefix words ("the", "el diario", "тờ", "صحيفة") before a name."""
    variants = set()
    for word in words:
        variants |= {word, word[:1].upper() + word[1:]}  # "the" and "The", never "the Daily"
    alternatives = []
    for word in sorted(variants, key=len, reverse=True):
        escaped = regex.sub(r"\\ |\\\s", r"\\s+", regex.escape(word))
        # Latin words need a space after them; "'", "l'" and non-Latin clitics glue on.
        tail = r"\s+" if regex.search(r"[\p{Latin}\p{Cyrillic}]$", word) else r"\s*"
        alternatives.append(escaped + tail)
    return "(?-i:" + "|".join(alternatives) + ")" if alternatives else ""


class _Finder:
    """``pattern.finditer`` for a pattern that is an alternation of many literal spellings
    (with lookarounds), run only where one of them can start.

    A regex over a few thousand names tries every position of the text (1.5 ms per
    paragraph); an Aho-Corasick automaton over each spelling's first word finds the few
    positions worth trying in one pass, and the pattern itself decides there, so the
    matches are the pattern's own. ``lowercase``: the pattern ignores case (the automaton
    reads the text lowercased); ``reach_back``: a match may start that many characters
    before the spelling (an optional "www.").
    """

    def __init__(self, pattern: regex.Pattern, spellings: Iterable[str], *, lowercase: bool = False, reach_back: int = 0):
        import ahocorasick  # C automaton; pyahocorasick

        self.pattern = pattern
        self.lowercase = lowercase
        self.reach_back = reach_back
        self._automaton = ahocorasick.Automaton()
        for spelling in spellings:
            first = spelling.split(" ")[0] or spelling
            self._automaton.add_word(first, len(first))
        if len(self._automaton):
            self._automaton.make_automaton()

    def search(self, text: str, pos: int = 0):
        return self.pattern.search(text, pos)

    def finditer(self, text: str):
        haystack = text.lower() if self.lowercase else text
        if len(haystack) != len(text):  # a letter whose lower case is longer: offsets would drift
            yield from self.pattern.finditer(text)
            return
        if not len(self._automaton):
            return
        starts = set()
        for end, length in self._automaton.iter(haystack):
            start = end - length + 1
            starts.add(start)
            if self.reach_back and start >= self.reach_back:
                starts.add(start - self.reach_back)
        reached = 0
        for start in sorted(starts):
            if start < reached:
                continue  # inside the last match: finditer would not look here
            found = self.pattern.match(text, start)
            if found is not None and found.end() > found.start():
                reached = found.end()
                yield found


@dataclass
class _Compiled:
    spec: PatternSpec
    pattern: regex.Pattern
    not_followed_by: regex.Pattern | None
    not_preceded_by: regex.Pattern | None


class _Extractor:
    """Patterns compiled against one registry; built once and cached."""

    def __init__(self, registry: OutletRegistry, patterns: PatternSet):
        self.registry = registry
        self.patterns = patterns
        self.publication_words = patterns.publication_words
        spellings: set[str] = set()
        domains: set[str] = set()
        for entry in registry:
            for spelling in entry.spellings:
                spellings |= _spelling_variants(spelling)
            domains.update(entry.domains)
        self.known_alias_re = _alias_group_regex(spellings)
        guarded = {v for entry in registry for spelling in entry.guarded_aliases for v in _spelling_variants(spelling)}
        self.guarded_finder = _Finder(regex.compile(_alias_group_regex(guarded)), guarded) if guarded else None
        self.non_news_words = patterns.non_news_words
        known_domains = sorted(domains, key=len, reverse=True)
        self.known_domain_re = (
            r"(?<![\w.-])(?:www\.)?(?:" + "|".join(regex.escape(d) for d in known_domains) + r")(?![\w-])"
        )
        self.known_finder = _Finder(regex.compile(self.known_alias_re), spellings)
        self.domain_finder = _Finder(
            regex.compile(self.known_domain_re, regex.IGNORECASE), {d.lower() for d in domains}, lowercase=True,
            reach_back=len("www."),
        )
        separators = sorted(patterns.separators, key=len, reverse=True)
        self.separator_re = "(?:" + "|".join(
            (r"\s*" + regex.escape(s) + r"\s*") if not regex.match(r"\w", s) else (r"\s+" + regex.escape(s) + r"\s+")
            for s in separators
        ) + ")"
        self.separator_finder = regex.compile(self.separator_re, regex.IGNORECASE)
        self._compiled: dict[str, list[_Compiled]] = {}
        self.noun_finders: dict[str, regex.Pattern] = {}
        for code, rules in patterns.languages.items():
            if rules.nouns:
                self.noun_finders[code] = regex.compile(_words_regex(rules.nouns) + r"$")

    # A slot: optional prefix words, optional opening quote, the name, an optional
    # "(FT)"-style abbreviation, optional closing quote.
    def _slot(self, spec: PatternSpec, rules: LanguageRules, group: str | None) -> str:
        prefix_words = list(rules.prefixes) + list(rules.nouns)
        if rules.language != COMMON_LANGUAGE:
            prefix_words += list(self.patterns.languages.get(COMMON_LANGUAGE, LanguageRules("*")).prefixes)
        prefix = _words_regex(prefix_words)
        # Registry domains stand for their outlet in name slots too ("Sumber: vnexpress.net").
        names = [_KNOWN_SLOT, _DOMAIN_SLOT]
        if spec.slot == "domain":
            names = [_DOMAIN_SLOT]
        if spec.unknown != "no":
            names.append(_UNKNOWN_DOMAIN if spec.slot == "domain" else _UNKNOWN_NAME)
        name = "(?-i:" + "|".join(names) + ")"
        if group:
            name = f"(?P<{group}>{name})"
        opener = f"(?:[{regex.escape(_OPEN_WRAPPERS)}]\\s*)?"
        closer = f"(?:\\s*[{regex.escape(_CLOSE_WRAPPERS)}])?"
        abbreviation = r"(?:\s*\((?-i:\p{Lu}[\p{Lu}.&]{1,6}|[\uE000-\uE002]+)\))?"
        return f"(?:{prefix})?{opener}{name}{abbreviation}{closer}"

    def _compile(self, spec: PatternSpec, rules: LanguageRules) -> _Compiled:
        body = spec.regex_text
        if spec.slot == "outlets":
            item = self._slot(spec, rules, None)
            slot = f"(?P<surfaces>{item}(?:{self.separator_re}{item}){{0,6}})"
        elif spec.slot:
            slot = self._slot(spec, rules, "surface")
        else:
            slot = ""
        if spec.slot:
            body = body.replace("{" + spec.slot + "}", slot)
        if spec.where in ("start", "whole"):
            body = r"^\s*(?:" + body + ")"
        if spec.where in ("end", "whole"):
            body = "(?:" + body + r")\s*$"
        try:
            pattern = regex.compile(body, regex.IGNORECASE)
            after = regex.compile(spec.not_followed_by, regex.IGNORECASE) if spec.not_followed_by else None
            before = regex.compile(spec.not_preceded_by, regex.IGNORECASE) if spec.not_preceded_by else None
        except regex.error as exc:
            raise PatternError(f"{spec.language}.toml: pattern {spec.source!r}: {exc}") from exc
        return _Compiled(spec, pattern, after, before)

    def compiled_for(self, languages: Iterable[str | None]) -> list[_Compiled]:
        out: list[_Compiled] = []
        for rules in self.patterns.for_languages(languages):
            if rules.language not in self._compiled:  # compile a language on first use
                self._compiled[rules.language] = [self._compile(spec, rules) for spec in rules.patterns]
            out.extend(self._compiled[rules.language])
        return out

    def mask(self, text: str) -> str:
        """``text`` with every known outlet name replaced by sentinel characters of the same
        length, so patterns match names with a tiny slot regex and offsets stay valid.
        Consecutive names alternate sentinels so "Reuters AFP" stays two names."""
        chars = list(text)
        for found in self.domain_finder.finditer(text):
            chars[found.start() : found.end()] = _DOMAIN_MARK * (found.end() - found.start())
        partly = "".join(chars)
        marks = (_ALIAS_MARK_A, _ALIAS_MARK_B)
        turn = 0
        for found in self.known_finder.finditer(partly):
            if _DOMAIN_MARK in found.group():
                continue
            if self._is_name_tail(partly, found):
                continue
            chars[found.start() : found.end()] = marks[turn] * (found.end() - found.start())
            turn ^= 1
        if self.guarded_finder:
            for found in self.guarded_finder.finditer(partly):
                if self._is_guarded_credit(partly, found.start(), found.end()) and not any(
                    c in _ALIAS_MARKS for c in chars[found.start() : found.end()]
                ):
                    chars[found.start() : found.end()] = marks[turn] * (found.end() - found.start())
                    turn ^= 1
        return "".join(chars)

    @staticmethod
    def _is_guarded_credit(text: str, start: int, end: int) -> bool:
        """A guarded alias names its outlet when quoted ("ने 'भाषा' को बताया") or bracketed
        after a date or at the end of the paragraph ("शिमला, 14 जुलाई (भाषा)", "... (भाषा)"),
        not as a bracketed abbreviation after a full name ("Tehreek-e-Insaf (PTI)")."""
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before in _GUARD_QUOTES:
            return bool(after) and after in _GUARD_QUOTES[before]
        if before in _GUARD_BRACKETS and after == _GUARD_BRACKETS[before]:
            dated = bool(regex.search(r"\d", text[max(0, start - 26) : start]))
            closing = not regex.search(r"[\p{L}\p{N}]", text[end + 1 :])
            return dated or closing
        return False

    def _is_name_tail(self, text: str, found: regex.Match) -> bool:
        """A generic one-word alias ("Times", "Post") that ends a longer capitalised name
        ("Seattle Times") is left to the unknown-name rule."""
        if found.group().casefold() not in self.publication_words:
            return False
        before = regex.search(r"(\p{Lu}[\p{L}.'’-]*)\s+$", text, endpos=found.start(), pos=max(0, found.start() - 40))
        return bool(before and before.group(1).casefold() not in _NAME_STOP_WORDS)

    # ------------------------------------------------------------------ validation
    def _looks_like_publication(self, name: str) -> bool:
        if regex.fullmatch(_UNKNOWN_DOMAIN, name):
            return True
        words = [w.casefold() for w in regex.findall(r"[\p{L}\p{N}]+", name)]
        return any(w in self.publication_words for w in words)

    def check_name(
        self, text: str, start: int, end: int, spec: PatternSpec, typed: bool
    ) -> tuple[str, int, int] | None:
        """(outlet id, surface start, surface end) for a slot's text, or None."""
        if spec.fixed_outlet:
            return self.registry.outlet_for(spec.fixed_outlet).id, start, end
        name = text[start:end]
        entry = self.registry.resolve_entry(name)
        if entry and not entry.news:
            return None  # a weather service or ministry is a source of facts, not of text
        if entry:
            # "The Verge", "The Information": keep the article that is part of the name.
            if entry.name.startswith("The ") and text[max(0, start - 4) : start] in ("The ", "the "):
                start -= 4
            return entry.id, start, end
        # A known name inside a longer capitalised run: "He Financial Times".
        # (Not for generic words: "Hot News" is not "The News", "Seattle Times" not "The Times".)
        found = self.known_finder.search(name)
        inner = self.registry.resolve_entry(found.group()) if found else None
        if inner and found.group().casefold() not in self.publication_words:
            if not inner.news:
                return None
            return inner.id, start + found.start(), start + found.end()
        if spec.unknown == "no":
            return None
        # Drop sentence words glued in front ("He", "In") and trailing joiners.
        words = list(regex.finditer(r"\S+", name))
        while words and words[0].group().casefold().strip(".,") in _NAME_STOP_WORDS:
            words.pop(0)
        while words and (
            words[-1].group().casefold() in _NAME_STOP_WORDS or regex.fullmatch(_NAME_JOINER, words[-1].group())
        ):
            words.pop()
        if not words:
            return None
        # A possessive ends the name: "the NFL Network’s Rich Eisen" -> "NFL Network";
        # so does a sentence end: "by Harbour Wire. Port Daily" -> "Harbour Wire".
        for i, word in enumerate(words):
            if i < len(words) - 1 and (
                regex.search(r"['’]s?$", word.group()) or regex.fullmatch(r"[^.]*\p{Ll}{2}\.", word.group())
            ):
                words = words[: i + 1]
                break
        s, e = start + words[0].start(), start + words[-1].end()
        if text[s:e].lower().startswith("www."):  # "www.example.de" is the outlet example.de
            s += 4
        trimmed = text[s:e]
        if trimmed.endswith(("'s", "’s")):
            e -= 2
        elif trimmed.endswith(("'", "’")):
            e -= 1
        elif trimmed.endswith(".") and "." not in trimmed[:-1]:  # sentence end, not "F.A.Z."
            e -= 1
        trimmed = text[s:e]
        if len(trimmed) < 2 or not regex.match(r"\p{Lu}|[\p{L}\p{N}-]+\.", trimmed):
            return None
        # Generic words alone ("the TV", "News") name no outlet.
        distinctive = [
            w for w in regex.findall(r"[\p{L}\p{N}]+", trimmed)
            if w.casefold() not in self.publication_words and not regex.fullmatch(_NAME_JOINER, w, regex.I)
        ]
        if not distinctive:
            return None
        # "the Korea Meteorological Agency", "the Interior Ministry" are sources of facts.
        if any(w.casefold() in self.non_news_words for w in regex.findall(r"[\p{L}\p{N}]+", trimmed)):
            return None
        if typed or self._looks_like_publication(trimmed):
            return self.registry.outlet_for(trimmed).id, s, e
        return None

    def split_list(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Item spans of an "{outlets}" match ("Reuters and EFE" -> two spans)."""
        spans, cursor = [], start
        for sep in self.separator_finder.finditer(text, start, end):
            spans.append((cursor, sep.start()))
            cursor = sep.end()
        spans.append((cursor, end))
        return [(s, e) for s, e in spans if text[s:e].strip()]

    def strip_item(self, text: str, start: int, end: int, rules: LanguageRules) -> tuple[int, int, bool]:
        """Remove prefix words and quotes around one list item; say if a type noun was there."""
        item = text[start:end]
        typed = False
        prefix_words = list(rules.prefixes) + list(rules.nouns)
        prefix = regex.match(_words_regex(prefix_words), item) if prefix_words else None
        whole = self.registry.resolve_entry(item.strip(_OPEN_WRAPPERS + _CLOSE_WRAPPERS + " "))
        if prefix and whole and self.registry.resolve_entry(item[prefix.end() :]) is not whole:
            prefix = None  # "Le Monde", "la Repubblica": the article belongs to the name
        if prefix and prefix.end() < len(item):
            typed = bool(rules.nouns) and bool(regex.fullmatch(_words_regex(rules.nouns), prefix.group()))
            start += prefix.end()
        while start < end and text[start] in _OPEN_WRAPPERS + " ":
            start += 1
        while end > start and text[end - 1] in _CLOSE_WRAPPERS + " ":
            end -= 1
        abbreviation = regex.search(r"\s*\(\p{Lu}[\p{Lu}.&]{1,6}\)$", text[start:end])
        if abbreviation and abbreviation.start() > 0:
            end = start + abbreviation.start()
        return start, end, typed

    def typed_before(self, text: str, slot_start: int, rules: LanguageRules) -> bool:
        """True when a type noun ("the newspaper", "tờ báo", "газета") introduces the slot."""
        finder = self.noun_finders.get(rules.language)
        if not finder:
            return False
        return bool(finder.search(text, max(0, slot_start - 40), slot_start))


@dataclass
class _Candidate:
    outlet: str
    surface_start: int
    surface_end: int
    start: int
    end: int
    kind: str
    text_source: bool
    language: str | None
    rank: tuple


@lru_cache(maxsize=1)
def default_patterns() -> PatternSet:
    return load_patterns()


# Compiling the patterns against a registry takes a moment; keep one per registry object
# (and per registry size, so outlets added later are seen).
_EXTRACTORS: dict[tuple[int, int], tuple[OutletRegistry, _Extractor]] = {}


def _extractor(registry: OutletRegistry) -> _Extractor:
    key = (id(registry), len(registry))
    cached = _EXTRACTORS.get(key)
    if cached is None or cached[0] is not registry:
        if len(_EXTRACTORS) >= 8:  # a long-lived process that builds many registries
            _EXTRACTORS.clear()
        cached = (registry, _Extractor(registry, default_patterns()))
        _EXTRACTORS[key] = cached
    return cached[1]


def extract_attributions(
    article: Article, registry: OutletRegistry, patterns: PatternSet | None = None
) -> list[Attribution]:
    """Every credit the article gives an outlet, in text order.

    ``article.paragraphs`` must be set (offsets into ``article.text``); boilerplate
    paragraphs of kind "comments" and "related" are skipped, captions yield photo credits.
    """
    extractor = _Extractor(registry, patterns) if patterns is not None else _extractor(registry)
    candidates: list[_Candidate] = []
    for paragraph in article.paragraphs:
        if paragraph.boilerplate in SKIPPED_BOILERPLATE:
            continue
        candidates.extend(_paragraph_candidates(article, paragraph, extractor))
    return _select(article, candidates)


def _paragraph_candidates(article: Article, paragraph: Paragraph, extractor: _Extractor) -> list[_Candidate]:
    text = article.text
    offset = paragraph.start
    # Patterns run on the paragraph alone ("^"/"$" are its edges) with known names masked.
    masked = extractor.mask(text[paragraph.start : paragraph.end])
    rules_by_language = extractor.patterns.languages
    out: list[_Candidate] = []
    for compiled in extractor.compiled_for([paragraph.language, article.language]):
        spec = compiled.spec
        rules = rules_by_language[spec.language]
        for match in compiled.pattern.finditer(masked):
            if match.end() == match.start():
                continue
            if compiled.not_followed_by and compiled.not_followed_by.match(masked, match.end()):
                continue
            if compiled.not_preceded_by and compiled.not_preceded_by.search(
                masked, max(0, match.start() - 40), match.start()
            ):
                continue
            group = _group(spec)
            found = _slot_outlets(text, offset, match, spec, rules, extractor)
            if not found:
                continue
            phrase_start, phrase_end = offset + match.start(), offset + match.end()
            # When the names open or close the phrase, the phrase ends with the names accepted
            # ("According to Yahoo News, Clinton" -> "According to Yahoo News").
            if spec.slot and offset + match.start(group) == phrase_start:
                phrase_start = min(f[1] for f in found)
            if spec.slot and offset + match.end(group) == phrase_end:
                phrase_end = max(f[2] for f in found)
            for outlet, s_start, s_end in found:
                while phrase_start < phrase_end and text[phrase_start].isspace():
                    phrase_start += 1
                while phrase_end > phrase_start and text[phrase_end - 1].isspace():
                    phrase_end -= 1
                kind, text_source = spec.kind, spec.text_source
                if paragraph.boilerplate == "caption":
                    kind, text_source = "photo_credit", False
                out.append(
                    _Candidate(
                        outlet=outlet,
                        surface_start=s_start,
                        surface_end=s_end,
                        start=phrase_start,
                        end=phrase_end,
                        kind=kind,
                        text_source=text_source,
                        language=paragraph.language or article.language,
                        # Longest phrase wins; then the more specific kind; then language
                        # files over common.toml; then file order.
                        rank=(
                            -(phrase_end - phrase_start),
                            _KIND_PRIORITY.index(kind),
                            spec.language == COMMON_LANGUAGE,
                            spec.order,
                        ),
                    )
                )
    return out


def _group(spec: PatternSpec) -> str:
    return "surfaces" if spec.slot == "outlets" else "surface"


def _slot_outlets(
    text: str,
    offset: int,
    match: regex.Match,
    spec: PatternSpec,
    rules: LanguageRules,
    extractor: _Extractor,
) -> list[tuple[str, int, int]]:
    """(outlet id, surface start, surface end) for each name the match's slot holds."""
    if not spec.slot:
        start = offset + match.start()
        checked = extractor.check_name(text, start, offset + match.end(), spec, typed=False)
        return [(checked[0], start, start)] if checked else []
    start, end = (offset + i for i in match.span(_group(spec)))
    if spec.slot != "outlets":
        typed = extractor.typed_before(text, start, rules)
        checked = extractor.check_name(text, start, end, spec, typed)
        return [checked] if checked else []
    results = []
    for item_start, item_end in extractor.split_list(text, start, end):
        s, e, typed = extractor.strip_item(text, item_start, item_end, rules)
        checked = extractor.check_name(text, s, e, spec, typed)
        if checked:
            results.append(checked)
    return results


def _select(article: Article, candidates: list[_Candidate]) -> list[Attribution]:
    """One attribution per outlet mention: the longest phrase that contains it."""
    chosen: list[_Candidate] = []
    taken: list[tuple[int, int]] = []
    for cand in sorted(candidates, key=lambda c: (c.rank, c.start)):
        span = (cand.surface_start, cand.surface_end)
        if span[0] == span[1]:  # fixed-outlet patterns: one per phrase
            span = (cand.start, cand.end)
        if any(s < span[1] and span[0] < e for s, e in taken):
            continue
        # One credit per phrase and outlet: "据伊朗…通讯社 (IRNA) 报道" names IRNA twice.
        if any(c.outlet == cand.outlet and c.start < cand.end and cand.start < c.end for c in chosen):
            continue
        taken.append(span)
        chosen.append(cand)
    chosen.sort(key=lambda c: (c.start, c.surface_start))
    result = []
    for cand in chosen:
        paragraph = article.paragraph_at(cand.start)
        result.append(
            Attribution(
                article=article.id,
                outlet=cand.outlet,
                surface=article.text[cand.surface_start : cand.surface_end],
                phrase=article.text[cand.start : cand.end],
                kind=cand.kind,
                paragraph=paragraph.index if paragraph else -1,
                start=cand.start,
                end=cand.end,
                language=cand.language,
                text_source=cand.text_source,
            )
        )
    return result

