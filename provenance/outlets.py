"""Outlet alias registry: turns "the FT", "FT's", "파이낸셜 타임스" or "https://www.ft.com/..."
into one canonical outlet ("outlet:financial-times").

The data lives in ``provenance/data/outlets.toml`` so researchers can add outlets and
spellings without touching code.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tldextract
from anyascii import anyascii

from provenance.models import Outlet

__all__ = [
    "OutletEntry",
    "OutletRegistry",
    "RegistryError",
    "default_registry",
    "normalize_alias",
    "outlet_id",
    "slugify",
]

OUTLET_ID_PREFIX = "outlet:"

# Offline only: the suffix list bundled with tldextract, never a download.
_TLD = tldextract.TLDExtract(suffix_list_urls=())

_LEADING_ARTICLES = ("the ",)
# Possessive / clitic endings that are not part of a name: "FT's", "Times'", "Reuters’".
_POSSESSIVE_RE = re.compile(r"(?:['’]s|['’])$")
# Korean particles glued to a name ("FT에", "파이낸셜 타임스는"); tried only when the exact
# form is unknown, longest first so "에서" wins over "에".
_HANGUL_PARTICLES = ("에서", "와의", "과의", "에게", "에", "의", "는", "은", "이", "가", "와", "과", "로", "도")
_DOMAIN_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[\w-]+\.)+[a-z]{2,}(?:[/:?#].*)?$", re.IGNORECASE)


class RegistryError(ValueError):
    """The outlet registry file is missing or malformed."""


def slugify(name: str) -> str:
    """Lowercase ASCII slug: "Financial Times" -> "financial-times", "El País" -> "el-pais".

    Non-Latin names are transliterated ("Коммерсантъ" -> "kommersant").
    """
    ascii_text = anyascii(unicodedata.normalize("NFKC", name)).lower()
    ascii_text = ascii_text.replace("&", " and ").replace("'", "")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug or "unknown"


def outlet_id(name: str) -> str:
    """The id for an outlet name: "outlet:" + slug, without a leading "The"
    ("The Guardian" and "Guardian" get the same id)."""
    name = unicodedata.normalize("NFKC", name).strip()
    if name.lower().startswith("the ") and len(name) > 4:
        name = name[4:]
    return OUTLET_ID_PREFIX + slugify(name)


def normalize_alias(text: str) -> str:
    """The comparison key for an outlet name: case, spacing, punctuation, a leading
    "the" and a possessive ending do not matter."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = text.strip(" \t\"“”‘’«»„《》「」『』()[]:;,.!?—–-")
    text = _POSSESSIVE_RE.sub("", text)
    text = text.casefold()
    for article in _LEADING_ARTICLES:
        if text.startswith(article):
            text = text[len(article):]
    # Punctuation inside names varies ("F.A.Z.", "France-Presse", "Nawa-i-Waqt").
    text = re.sub(r"[\s\W_]+", " ", text, flags=re.UNICODE).strip()
    return text


@dataclass(frozen=True)
class OutletEntry:
    """One outlet as the registry file describes it."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    wire: bool = False
    # Languages an agency publishes in (ISO 639-1); empty = not stated. A dateline of an
    # agency in a language it does not publish in marks a translation by someone else.
    languages: tuple[str, ...] = ()
    # False for organisations patterns may catch that publish no news (weather services,
    # ministries, police, companies): they are sources of facts, never of an article's text.
    news: bool = True
    # Spellings that are also ordinary words or another body's abbreviation ("भाषा" is
    # "language"): they name this outlet only when quoted or bracketed as a credit.
    guarded_aliases: tuple[str, ...] = ()
    # The id of the outlet this one is a service of (PTI-Bhasha is PTI's Hindi service):
    # a credit to one is a credit to the other's text.
    part_of: str | None = None

    def to_outlet(self) -> Outlet:
        return Outlet(id=self.id, name=self.name, domains=list(self.domains))

    @property
    def spellings(self) -> tuple[str, ...]:
        """Canonical name and every alias (not the guarded ones), as written in the file."""
        return (self.name, *self.aliases)


@dataclass
class OutletRegistry:
    """Known outlets, looked up by alias, id, domain or URL."""

    entries: list[OutletEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id: dict[str, OutletEntry] = {}
        self._by_alias: dict[str, OutletEntry] = {}
        self._by_domain: dict[str, OutletEntry] = {}
        for entry in self.entries:
            self._add(entry)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path | None = None) -> OutletRegistry:
        """Read the registry TOML (the packaged ``data/outlets.toml`` by default)."""
        try:
            if path is None:
                raw = resources.files("provenance").joinpath("data/outlets.toml").read_bytes()
                source = "provenance/data/outlets.toml"
            else:
                raw = Path(path).read_bytes()
                source = str(path)
            data = tomllib.loads(raw.decode("utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RegistryError(f"cannot read outlet registry {path or 'data/outlets.toml'}: {exc}") from exc
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>") -> OutletRegistry:
        entries = []
        for number, raw in enumerate(data.get("outlet", []), start=1):
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
                raise RegistryError(f"{source}: outlet #{number} has no name")
            aliases = raw.get("aliases", [])
            domains = raw.get("domains", [])
            guarded = raw.get("guarded_aliases", [])
            if not all(isinstance(a, str) for a in [*aliases, *domains, *guarded]):
                raise RegistryError(
                    f"{source}: outlet {raw['name']!r}: aliases, guarded_aliases and domains must be strings"
                )
            if not isinstance(raw.get("news", True), bool) or not isinstance(raw.get("wire", False), bool):
                raise RegistryError(f"{source}: outlet {raw['name']!r}: news and wire must be true or false")
            name = raw["name"].strip()
            entries.append(
                OutletEntry(
                    id=raw.get("id") or outlet_id(name),
                    name=name,
                    aliases=tuple(a.strip() for a in aliases if a.strip()),
                    domains=tuple(d.strip().lower() for d in domains if d.strip()),
                    wire=bool(raw.get("wire", False)),
                    languages=tuple(str(code).lower() for code in raw.get("languages", [])),
                    news=raw.get("news", True),
                    guarded_aliases=tuple(a.strip() for a in guarded if a.strip()),
                    part_of=_part_of(raw, source),
                )
            )
        registry = cls(entries)
        for entry in entries:
            if entry.part_of is not None and entry.part_of not in registry._by_id:
                raise RegistryError(f"{source}: outlet {entry.name!r}: part_of names no registered outlet")
        return registry

    def _add(self, entry: OutletEntry) -> None:
        if entry.id in self._by_id:
            raise RegistryError(f"duplicate outlet id {entry.id} ({entry.name})")
        self._by_id[entry.id] = entry
        for spelling in (*entry.spellings, *entry.guarded_aliases):
            # First entry wins: an alias listed twice stays with the outlet listed first.
            self._by_alias.setdefault(normalize_alias(spelling), entry)
        for domain in entry.domains:
            self._by_domain.setdefault(domain, entry)

    def add(self, entry: OutletEntry) -> None:
        """Register one more outlet (e.g. the corpus' own publishers)."""
        self.entries.append(entry)
        self._add(entry)

    # ------------------------------------------------------------------ look-ups
    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, outlet_id: str) -> OutletEntry | None:
        return self._by_id.get(outlet_id)

    def resolve(self, text: str) -> Outlet | None:
        """The known outlet ``text`` names (alias, id, domain or URL), else None."""
        entry = self.resolve_entry(text)
        return entry.to_outlet() if entry else None

    def resolve_entry(self, text: str) -> OutletEntry | None:
        if not text or not text.strip():
            return None
        stripped = text.strip()
        if stripped.startswith(OUTLET_ID_PREFIX) and stripped in self._by_id:
            return self._by_id[stripped]
        key = normalize_alias(stripped)
        if key in self._by_alias:
            return self._by_alias[key]
        domain_entry = self._resolve_domain(stripped)
        if domain_entry:
            return domain_entry
        for particle in _HANGUL_PARTICLES:
            if key.endswith(particle) and len(key) > len(particle):
                found = self._by_alias.get(key[: -len(particle)].strip())
                if found:
                    return found
        return None

    def _resolve_domain(self, text: str) -> OutletEntry | None:
        candidate = text.strip().strip("()[]<>\"'").rstrip(".,;")
        if " " in candidate or not _DOMAIN_RE.match(candidate):
            return None
        if "://" not in candidate:
            candidate = "http://" + candidate
        host = candidate.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
        if host.startswith("www."):
            host = host[4:]
        parts = _TLD(host)
        # Never climb above the registered domain ("bbc.co.uk", not "co.uk"); hosts on
        # unlisted suffixes are tried down to their last two labels.
        registered = f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else ""
        labels = host.split(".")
        for i in range(len(labels) - 1):  # most specific first: "asia.nikkei.com", "nikkei.com"
            candidate = ".".join(labels[i:])
            found = self._by_domain.get(candidate)
            if found:
                return found
            if candidate == registered:
                break
        return None

    def outlet_for(self, name: str) -> Outlet:
        """The registry's outlet for ``name``, or a new one with an id made from it."""
        known = self.resolve(name)
        if known:
            return known
        cleaned = unicodedata.normalize("NFKC", name).strip().strip("\"“”‘’«»„《》「」()[]:;,.")
        cleaned = _POSSESSIVE_RE.sub("", cleaned).strip()
        if cleaned.lower().startswith("the ") and len(cleaned) > 4:
            cleaned = cleaned[4:]
        return Outlet(id=outlet_id(cleaned), name=cleaned)

    def is_wire(self, outlet_id: str) -> bool:
        entry = self._by_id.get(outlet_id)
        return bool(entry and entry.wire)

    def same_family(self, a: str | None, b: str | None) -> bool:
        """True when ``a`` and ``b`` are one outlet, or one is a service of the other
        (``part_of``), or both are services of one outlet."""
        if not a or not b:
            return False
        return a == b or bool(self._family(a) & self._family(b))

    def _family(self, outlet_id: str) -> set[str]:
        out = {outlet_id}
        entry = self._by_id.get(outlet_id)
        while entry is not None and entry.part_of and entry.part_of not in out:
            out.add(entry.part_of)
            entry = self._by_id.get(entry.part_of)
        return out

    def is_news(self, outlet_id: str) -> bool | None:
        """True for a registered news outlet, False for a registered organisation that
        publishes no news (``news = false``: a weather service, a ministry), None when
        ``outlet_id`` is not in the registry."""
        entry = self._by_id.get(outlet_id)
        return None if entry is None else entry.news


def _part_of(raw: dict, source: str) -> str | None:
    value = raw.get("part_of")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{source}: outlet {raw['name']!r}: part_of must be an outlet name")
    return value.strip() if value.startswith("outlet:") else outlet_id(value.strip())


@lru_cache(maxsize=1)
def default_registry() -> OutletRegistry:
    """The packaged registry, loaded once per process."""
    return OutletRegistry.load()
