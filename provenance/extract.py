"""Stage 2: turn a Document (bytes or str as read) into an Article: clean text + metadata.

Text rules (offsets of every later stage point into this text, so it must be stable):
line endings become "\\n", trailing spaces go, runs of blank lines shrink to one blank
line, control characters other than "\\n" and "\\t" are dropped, and the result is NFC.
Paragraphs are separated by a blank line ("\\n\\n"); for plain text the user's own line
structure is otherwise kept as is. ``content_hash`` is the sha256 of that text, so the
same article ingested twice hashes the same.

HTML goes through trafilatura (main text without navigation, banners, share buttons,
related links or comments) and htmldate; both are imported only when HTML is present,
because a trace of plain-text files must start fast.
"""
from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from provenance.models import Article, Document


class ExtractError(Exception):
    """The document holds no usable article text; the message is one line."""


class DecodeError(ExtractError):
    """The bytes are not text in any encoding we can justify (binary, or garbled)."""


class OutletLookup(Protocol):
    """What extract needs from provenance.outlets.OutletRegistry."""

    def resolve(self, text: str) -> Any: ...

    def outlet_for(self, name: str) -> Any: ...


# --------------------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that browsers map to a superset (WHATWG encoding standard).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "windows-874": "cp874",
    "tis-620": "cp874",
}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I
)
# C0 controls except \t \n (and \r \v \f, which normalisation turns into \n), DEL, C1
# controls, and the BOM / zero-width no-break space.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff]")
_SUSPICIOUS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f\ufffd]")


def declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The charset named by an HTTP Content-Type, an HTML <meta> or an XML declaration."""
    if content_type:
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type, re.I)
        if match:
            return match.group(1)
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii") if match else None


def decode_bytes(data: bytes, *, content_type: str | None = None) -> str:
    """Decode raw bytes to str, or raise DecodeError for binary / undecodable data.

    Order: byte-order mark; UTF-16 without BOM (NULs on one byte lane); a declared
    charset (HTTP header, <meta>, XML declaration) if the bytes fit it; UTF-8 (also with
    a few broken bytes); detection among the web's common legacy encodings. A label is
    checked, not trusted: valid UTF-8 labelled koi8-r is UTF-8, and a decoding that
    reads as garbage ("п÷п╬я─") sends the bytes to detection. A stray NUL byte or two
    do not make a text binary (normalisation drops them).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {encoding} after byte-order mark") from exc

    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return text

    utf8 = data.decode("utf-8") if _is_utf8(data) else None
    declared = _codec_name(declared_charset(data, content_type))
    if declared and not declared.startswith(("utf-16", "utf-32")):
        text = _decode_declared(data, declared, utf8)
        if text is not None:
            return text

    if utf8 is not None:
        if _looks_binary(utf8):
            raise DecodeError("binary file, not an article")
        return utf8
    mostly_utf8 = _mostly_utf8(data)
    if mostly_utf8 is not None:
        return mostly_utf8
    guessed = _guess_legacy(data)
    if guessed is not None:
        return guessed
    raise DecodeError("binary file, not an article (not UTF-8 and no charset fits)")


def _decode_declared(data: bytes, declared: str, utf8: str | None) -> str | None:
    """The bytes in their declared charset, or None when the label does not fit them."""
    if utf8 is not None and (declared == "utf-8" or not utf8.isascii()):
        # Non-ASCII text that is valid UTF-8 is UTF-8 whatever the label says: legacy
        # encodings almost never form valid multi-byte sequences by chance.
        return None if _looks_binary(utf8) else utf8
    try:
        text = data.decode(declared)
    except (UnicodeDecodeError, LookupError):
        return None  # the label lies; detection decides
    if _looks_binary(text) or _garbled(text):
        return None
    return text


def _garbled(text: str) -> bool:
    """Text that reads as mojibake: odd case changes, symbol soup (charset_normalizer)."""
    if text.isascii():
        return False
    from charset_normalizer.md import mess_ratio

    return mess_ratio(text[:_SAMPLE_CHARS], _MAX_MESS) >= _MAX_MESS


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes (a truncated or spliced page), decoded with U+FFFD.

    Legacy single-byte text has almost no valid multi-byte sequences, so requiring five
    good non-ASCII characters per bad byte keeps cp1252 & co. out.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    if bad and good >= 5 * bad and not _looks_binary(text.replace("\ufffd", "")):
        return text
    return None


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    suspicious = len(_SUSPICIOUS.findall(text))
    return suspicious > max(2, len(text) // 100)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: its NULs sit mostly on one byte lane.

    ASCII characters (spaces, digits, punctuation, line breaks) put a NUL on the high
    byte's lane; in CJK text that lane also carries the script's own bytes, so only the
    *share* of NULs on it is checked, and the decoded text must be mostly assigned,
    non-private characters.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls, odd_nuls = data[0::2].count(0), data[1::2].count(0)
    units = len(data) // 2
    if odd_nuls >= max(2, units // 50) and even_nuls <= odd_nuls // 5:
        encoding = "utf-16-le"
    elif even_nuls >= max(2, units // 50) and odd_nuls <= even_nuls // 5:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    sample = text[:_SAMPLE_CHARS]
    unusual = sum(1 for ch in sample if unicodedata.category(ch) in ("Cn", "Co", "Cs"))
    if _looks_binary(text) or unusual > len(sample) // 20 or _garbled(sample):
        return None
    return text


_SAMPLE_CHARS = 4000  # enough text to judge an encoding by
_MAX_MESS = 0.2  # charset_normalizer's own default threshold for "not garbage"
# What the web's legacy pages are written in, most common first (ties go to the earlier).
_LEGACY_CANDIDATES = ("cp1252", "gb18030", "cp1251", "cp932", "cp949", "big5", "euc_jp",
                      "koi8_r", "koi8_u", "cp1250", "cp1253", "cp1254", "cp1255", "cp1256",
                      "cp1257", "cp1258", "cp874", "iso8859_2")


def _guess_legacy(data: bytes) -> str | None:
    """The best decoding among common legacy encodings, or None if none reads as text.

    Each candidate that decodes cleanly and does not read as garbage is scored by how
    ordinary its characters are for that encoding (see _ordinary_share). Among the best
    (within 0.05), charset_normalizer's language fit decides, then the more common
    encoding: its fit is strong evidence on a paragraph (Hebrew in cp1255 against
    Cyrillic in cp1251) but nil on a short text ("Привет, мир" fits a dozen code pages),
    and it calls French in cp1252 Hungarian in cp1250 as readily as in cp1252.
    """
    import charset_normalizer

    fit: dict[str, float] = {}  # codec name -> how well the text fits a language
    for match in charset_normalizer.from_bytes(data):
        fit.setdefault(_canonical_codec(match.encoding), match.coherence)
    candidates = list(dict.fromkeys(
        [_canonical_codec(name) for name in _LEGACY_CANDIDATES] + list(fit)))
    scored: list[tuple[float, float, int, str]] = []
    for rank, encoding in enumerate(candidates):
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_binary(text) or "\ufffd" in text or _garbled(text):
            continue
        share = _ordinary_share(text[:_SAMPLE_CHARS], encoding)
        if share >= 0.5:
            scored.append((share, fit.get(encoding, 0.0), -rank, text))
    if not scored:
        return None
    top = max(share for share, *_ in scored)
    return max((item for item in scored if item[0] >= top - 0.05), key=lambda x: x[1:3])[3]


def _canonical_codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


_WORD = re.compile(r"[^\W\d_]+")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    first = name.split(" ", 1)[0]
    # Japanese writes one word in kanji and kana: one script for this purpose.
    return "CJK" if first in ("HIRAGANA", "KATAKANA", "CJK") else first


def _ordinary_share(text: str, encoding: str) -> float:
    """Share of the non-ASCII characters that real text in ``encoding`` would use.

    Letters count inside a word of one script and ordinary case (a wrong code page mixes
    scripts within a word, "Cafй", or case, "ЪгЗб"); for the CJK encodings a character
    must also be in the everyday part of its character set (see _everyday_cjk).
    """
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if not non_ascii:
        return 1.0
    odd: set[int] = set()  # positions of letters a right decoding would not produce
    for word in _WORD.finditer(text):
        letters = word.group()
        if len({_script(ch) for ch in letters}) > 1 or _odd_case(letters):
            odd.update(range(word.start(), word.end()))
    ordinary = 0
    for index, ch in enumerate(text):
        if ord(ch) <= 127 or index in odd:
            continue
        if ch.isalpha():
            ordinary += _everyday_cjk(ch, encoding, text, index)
        else:
            # Punctuation, spaces and currency signs (、。«» € ₽) are fine; mojibake
            # tends to symbol soup (╬ ¤ ¦) instead.
            ordinary += unicodedata.category(ch).startswith(("P", "Z", "Sc")) or ch in "©®°"
    return ordinary / non_ascii


def _odd_case(word: str) -> bool:
    """A capital after a small letter ("ЪгЗб"): Arabic or Hebrew read as Cyrillic."""
    return not word.isupper() and any(a.islower() and b.isupper() for a, b in zip(word, word[1:]))


def _everyday_cjk(ch: str, encoding: str, text: str, index: int) -> bool:
    """False for a letter that text in this CJK encoding would rarely hold (True for
    the other encodings): outside GB2312 level 1 or Big5's frequent block for Chinese (or
    between spaces: spaced Korean read as Chinese), Hangul outside KS X 1001 or Han for
    Korean, half-width katakana or kanji outside JIS level 1 for Japanese."""
    if encoding.startswith(("gb", "big5", "cp950")):
        if text[index - 1 : index] == " " or text[index + 1 : index + 2] == " ":
            return False
        if encoding.startswith("gb"):
            return b"\xb0" <= ch.encode("gb2312", "ignore")[:1] <= b"\xd7"
        return b"\xa4" <= ch.encode("big5", "ignore")[:1] <= b"\xc6"
    if encoding in ("cp949", "euc_kr"):
        return "HANGUL" in unicodedata.name(ch, "") and bool(ch.encode("euc_kr", "ignore"))
    if encoding in ("cp932", "shift_jis", "euc_jp"):
        if "\uff61" <= ch <= "\uff9f":  # half-width katakana: rare outside old terminals
            return False
        kana = "\u3040" <= ch <= "\u30ff"
        return kana or b"\x88\x9f" <= ch.encode("cp932", "ignore") <= b"\x98\x72"  # JIS level 1
    return True


# ---------------------------------------------------------------------- normalisation

_LINE_BREAKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n",
                              "\u2028": "\n", "\u2029": "\n"})
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """The canonical article text: see the module docstring."""
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- metadata

_TITLE_END_PUNCT = (".", "。", ",", "，", ";", "；", ":", "：", "…", "-", "—", "–")
_MAX_TITLE_CHARS = 200


def guess_title(text: str) -> str | None:
    """The first line of a plain text when it looks like a headline.

    A headline is short, does not end like a sentence (a final period, colon...), and is
    followed by a blank line or by a longer line. A final period is accepted on a
    title-cased line followed by a blank line ("Senator Says No to Budget Deal."), a
    house style of some sites. The line stays in the text.
    """
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    first = lines[0].strip()
    if first.startswith("#"):  # a Markdown heading
        first = first.lstrip("#").strip()
    if not first or len(first) > _MAX_TITLE_CHARS or not any(ch.isalpha() for ch in first):
        return None
    following = lines[1].strip()
    if first.endswith(_TITLE_END_PUNCT):
        if not (first.endswith(".") and not following and _is_title_case(first[:-1])):
            return None
    if following and len(following) <= len(first):
        return None
    return first


def _is_title_case(line: str) -> bool:
    words = [word for word in line.split() if any(ch.isalpha() for ch in word)]
    if len(words) < 3:
        return False
    capitalised = sum(1 for word in words if next(ch for ch in word if ch.isalpha()).isupper())
    one_sentence = re.search(r"[.!?]\s+\S", line) is None
    return one_sentence and capitalised >= 0.6 * len(words)


def normalize_date(value: object) -> str | None:
    """An ISO 8601 date or UTC datetime ("2023-10-05", "2023-10-05T07:00:00Z"), or None.

    Accepts ISO 8601 in its common spellings, RFC 2822 ("Thu, 05 Oct 2023 09:00:00 GMT"),
    and a few unambiguous written forms ("5 October 2023", "October 5, 2023").
    """
    if isinstance(value, datetime):
        return _format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    compact_offset = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", raw)  # "+0200" -> "+02:00"
    for candidate in (raw, compact_offset, compact_offset.replace(" ", "T", 1)):
        try:
            parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        except ValueError:
            continue
        if re.fullmatch(r"\d{4}-\d\d-\d\d", raw):
            return parsed.date().isoformat()
        return _format_datetime(parsed)
    try:
        return _format_datetime(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError):
        pass
    for pattern in ("%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(raw, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def _format_datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
            return moment.date().isoformat()  # a bare date stretched to midnight
        return moment.replace(microsecond=0).isoformat()
    moment = moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
    return moment.isoformat() + "Z"


_TLD_EXTRACTOR = None


def registered_domain(url: str | None) -> str | None:
    """'https://www.news.bbc.co.uk/x' -> 'bbc.co.uk' (offline public-suffix snapshot)."""
    if not url:
        return None
    global _TLD_EXTRACTOR
    if _TLD_EXTRACTOR is None:
        import tldextract

        # No network and no cache writes: the snapshot bundled with tldextract only.
        _TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    parts = _TLD_EXTRACTOR(url)
    domain = getattr(parts, "top_domain_under_public_suffix", None)
    if domain is None:  # tldextract < 5.3
        domain = parts.registered_domain
    return domain.lower() or None


def _http_url(candidate: object, base: str | None = None) -> str | None:
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    url = urljoin(base, candidate.strip()) if base else candidate.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url
    return None


def _clean_field(value: object, limit: int = 500) -> str | None:
    """A metadata string as one tidy line, or None."""
    if not isinstance(value, str):
        return None
    value = " ".join(_CONTROL.sub("", unicodedata.normalize("NFC", value)).split())
    return value[:limit] or None


# ------------------------------------------------------------------------------- HTML


def _html_metadata(tree: Any, base_url: str | None) -> dict[str, str | None]:
    def meta(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name", "itemprop"):
                found = tree.xpath(f'//meta[@{attr}="{name}"]/@content')
                if found and found[0].strip():
                    return found[0]
        return None

    canonical = None
    rel_canonical = '//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]'
    for href in tree.xpath(rel_canonical + "/@href"):
        canonical = _http_url(href, base_url)
        if canonical:
            break
    canonical = canonical or _http_url(meta("og:url"), base_url)
    return {
        "url": canonical,
        "site_name": _clean_field(meta("og:site_name", "application-name")),
        "title": _clean_field(meta("og:title", "twitter:title")),
    }


def _html_published(html: str, url: str | None) -> str | None:
    import htmldate

    iso = "%Y-%m-%dT%H:%M:%S%z"
    try:
        found = htmldate.find_date(html, extensive_search=False, original_date=True,
                                   outputformat=iso)
        if not found and url:
            # A date in the URL ("/2023/10/05/") is a good last resort, date only.
            found = htmldate.find_date(html, extensive_search=False, original_date=True,
                                       url=url)
    except Exception:  # htmldate is best effort; a bad page must not stop the batch
        return None
    return normalize_date(found)


_BLOCK_TAGS = {"p", "head", "list", "quote", "table", "code", "div", "item"}


def _body_blocks(body: Any) -> list[str]:
    """Paragraph texts from trafilatura's XML body (p, head, list, quote, table...)."""
    blocks: list[str] = []
    for element in body:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "list":
            items = [_inline_text(item) for item in element.findall("item")]
            text = "\n".join(item for item in items if item)
        elif tag == "table":
            rows = []
            for row in element.iter("row"):
                cells = [_inline_text(cell) for cell in row.iter("cell")]
                rows.append(" | ".join(cell for cell in cells if cell))
            text = "\n".join(row for row in rows if row)
        elif tag == "quote" and any(child.tag in _BLOCK_TAGS for child in element):
            blocks.extend(_body_blocks(element))
            continue
        else:
            text = _inline_text(element)
        if text:
            blocks.append(text)
    return blocks


_LINE_TAGS = {"lb", "item", "p", "head", "row", "list", "quote"}  # a new line inside a block


def _inline_text(element: Any) -> str:
    """Text of one block, <lb/> as a line break, other whitespace collapsed."""
    pieces: list[str] = []

    def walk(node: Any) -> None:
        if node.tag in _LINE_TAGS:
            pieces.append("\n")
        elif node.tag == "cell":
            pieces.append(" ")
        if node.tag != "lb" and node.text:
            pieces.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(child.tail)

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


_DUMP_SKIP = ("script", "style", "noscript", "template", "nav", "header", "footer",
              "aside", "form", "button", "svg", "iframe", "select")
_DUMP_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
                "td", "th", "dt", "dd", "figcaption")


def _lxml_dump(tree: Any) -> str:
    """Last resort when trafilatura finds nothing: block texts of the page, chrome dropped."""
    for element in tree.xpath("|".join(f"//{tag}" for tag in _DUMP_SKIP)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    body = tree.find("body")
    root = body if body is not None else tree
    blocks = []
    for element in root.iter(*_DUMP_BLOCKS):
        if any(ancestor.tag in _DUMP_BLOCKS for ancestor in element.iterancestors()):
            continue  # already counted with its enclosing block
        text = " ".join(element.text_content().split())
        if text:
            blocks.append(text)
    if not blocks:
        text = root.text_content()
        blocks = [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    return "\n\n".join(blocks)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# libxml2 stops parsing past 256 open elements (the rest of the page is silently lost);
# a page that deep is flattened to an ordinary depth first, keeping all of its text.
_MAX_NESTING = 32


def _parse_html(html: str) -> tuple[Any, bool]:
    """The lxml tree of ``html`` and whether libxml2 hit its nesting limit on it."""
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser()
    tree = lxml_html.document_fromstring(html, parser=parser)
    too_deep = any(entry.type_name == "ERR_RESOURCE_LIMIT" for entry in parser.error_log)
    return tree, too_deep


def _extract_html(html: str, base_url: str | None) -> dict[str, str | None]:
    """Main text and metadata of a page, with fallbacks for malformed HTML.

    trafilatura (precise, then default) -> every text block of the lxml tree -> a plain
    text pass of the tokenizer, which no nesting or broken markup can stop. Prose loose
    in <body> (a first paragraph without its <p>) is put in a block trafilatura reads,
    and pages nested deeper than libxml2 parses are flattened first.
    """
    import trafilatura
    from lxml import html as lxml_html

    # lxml refuses str input that declares its own encoding; we have decoded it already.
    html = _XML_DECLARATION.sub("", html, count=1)

    try:
        tree, too_deep = _parse_html(html)
        if too_deep:
            html = _flatten_html(html, _MAX_NESTING)
            tree, too_deep = _parse_html(html)
    except Exception:  # lxml raises ParserError / ValueError on empty or odd input
        tree = None
    if tree is None:
        text = _plain_text_pass(html)
        if not text:
            raise ExtractError("cannot parse HTML")
        return {"url": None, "site_name": None, "title": None, "text": text,
                "published": None}
    found = _html_metadata(tree, base_url)
    if _wrap_loose_body_text(tree):
        html = lxml_html.tostring(tree, encoding="unicode")

    text = ""
    result = None
    for precise in (True, False):  # precision first; short pages may need the default
        try:
            result = trafilatura.bare_extraction(
                html, url=base_url, favor_precision=precise, include_comments=False,
                include_tables=True, with_metadata=True,
            )
        except Exception:  # noqa: BLE001 - its parsers' bugs on odd markup ("<svg><p><p>"
            result = None  # asserts inside lxml): the fallbacks below still read the page
        if result is not None and result.body is not None:
            text = "\n\n".join(_body_blocks(result.body))
        if text.strip():
            break
    if not text.strip():
        text = _lxml_dump(tree)
    if not any(ch.isalnum() for ch in text):
        text = _plain_text_pass(html)
    if result is not None:
        found["title"] = found["title"] or _clean_field(result.title)
        found["site_name"] = found["site_name"] or _clean_field(result.sitename)
    if not found["title"]:
        found["title"] = _clean_field(tree.findtext(".//title"))
    found["text"] = text
    found["published"] = _html_published(html, found["url"] or base_url)
    return found


_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_LOOSE_PROSE = re.compile(r"\w{2,}.*\w{2,}.*\w{2,}", re.S)  # a few words, not a separator


_INLINE_TAGS = frozenset({"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn",
                          "em", "font", "i", "kbd", "mark", "q", "s", "samp", "small", "span",
                          "strong", "sub", "sup", "time", "u", "var", "wbr"})


def _wrap_loose_body_text(tree: Any) -> bool:
    """Put each run of prose lying directly in <body> into a <p>; True if any was moved.

    trafilatura reads text inside blocks only, so a first paragraph that lost its <p>
    ("Text...</p><p>More</p>") vanished, though a browser shows it. A run is the text
    and inline elements (<b>, <a>...) between two blocks.
    """
    body = tree.find("body")
    if body is None:
        return False
    # (the block before the run or None at the start, the run's leading text, its inlines)
    runs: list[tuple[Any, str, list[Any]]] = []
    anchor, text, inline = None, body.text or "", []
    for child in list(body):
        if isinstance(child.tag, str) and child.tag.lower() in _INLINE_TAGS:
            inline.append(child)
            continue
        runs.append((anchor, text, inline))
        anchor, text, inline = child, child.tail or "", []
    runs.append((anchor, text, inline))
    moved = False
    for anchor, text, inline in runs:
        prose = text + " ".join(el.text_content() + (el.tail or "") for el in inline)
        if not _LOOSE_PROSE.search(prose):
            continue
        paragraph = tree.makeelement("p", {})
        paragraph.text = _XML_INCOMPATIBLE.sub(" ", text)  # lxml parses what it won't set
        if anchor is None:
            body.text = None
            body.insert(0, paragraph)
        else:
            anchor.tail = None
            anchor.addnext(paragraph)
        for element in inline:
            paragraph.append(element)  # with its tail
        moved = True
    return moved


_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                        "meta", "param", "source", "track", "wbr"})


# Tags that carry a page's paragraph structure: kept a little past the flattening depth.
_STRUCTURE_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
                             "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th",
                             "figcaption", "article", "main"})


def _flatten_html(html: str, max_depth: int) -> str:
    """``html`` without the wrapper tags nested deeper than ``max_depth``; text is kept,
    and so are paragraph tags up to 16 levels further (the output stays well inside
    libxml2's limit, however deep the input)."""
    from html import escape
    from html.parser import HTMLParser

    out: list[str] = []
    open_tags: list[tuple[str, bool]] = []  # (tag, written to the output)
    open_count: dict[str, int] = {}  # tag -> how many are open (a stray end tag is 0)
    written = 0  # how many of the open tags were written

    class Flattener(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            nonlocal written
            if tag in _VOID_TAGS:
                out.append(self.get_starttag_text() or "")
                return
            keep = written < max_depth or (tag in _STRUCTURE_TAGS and written < max_depth + 16)
            open_tags.append((tag, keep))
            open_count[tag] = open_count.get(tag, 0) + 1
            if keep:
                written += 1
                out.append(self.get_starttag_text() or "")

        def handle_startendtag(self, tag: str, attrs: list) -> None:
            out.append(self.get_starttag_text() or "")

        def handle_endtag(self, tag: str) -> None:
            nonlocal written
            if not open_count.get(tag):
                return  # a stray end tag
            while open_tags:  # tags left open inside this one close with it (as lxml does)
                name, kept = open_tags.pop()
                open_count[name] -= 1
                if kept:
                    written -= 1
                    out.append(f"</{name}>")
                if name == tag:
                    break

        def handle_data(self, data: str) -> None:
            out.append(escape(data, quote=False))

        def handle_decl(self, decl: str) -> None:
            out.append(f"<!{decl}>")

    flattener = Flattener(convert_charrefs=True)
    flattener.feed(html)
    flattener.close()
    return "".join(out)


_LINE_BREAK = "\ue000"  # <br> while the text pass collects (a private-use character)


def _collapse(text: str) -> str:
    """Whitespace collapsed as a browser does, <br> kept as a line break."""
    lines = (" ".join(line.split()) for line in text.split(_LINE_BREAK))
    return "\n".join(line for line in lines if line)


_TEXT_PASS_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "math", "title",
                             "iframe", "select", "object", "head"})
_ENDED_BY_A_BLOCK = frozenset({"head", "title", "svg", "math"})
_TEXT_PASS_CHROME = frozenset({"nav", "header", "footer", "aside", "form", "button", "menu"})
_TEXT_PASS_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2",
                               "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr",
                               "td", "th", "article", "section", "main", "figure",
                               "figcaption", "hr", "body", "address", "details", "summary"})


def _plain_text_pass(html: str) -> str:
    """The visible text of ``html`` by the tokenizer alone, one block per paragraph.

    The last resort: html.parser keeps no tree, so no nesting depth or broken markup
    stops it. Chrome (nav, footer...) is left out unless nothing else has text. What is
    left open before <body> does not swallow the page, nor does an unclosed <head> or
    <title>, or an <svg> or <math>, before a block (a browser leaves them there too).
    """
    from html.parser import HTMLParser

    blocks: list[tuple[bool, list[str]]] = [(False, [])]
    hidden: list[str] = []  # the open tags whose text is not shown
    chrome = 0

    class TextPass(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            nonlocal chrome
            if tag == "body" or (tag in _TEXT_PASS_BLOCKS
                                 and all(t in _ENDED_BY_A_BLOCK for t in hidden)):
                hidden.clear()
            if tag == "br":
                blocks[-1][1].append(_LINE_BREAK)
            elif tag in _TEXT_PASS_SKIP and tag not in _VOID_TAGS:
                hidden.append(tag)
            elif tag in _TEXT_PASS_CHROME:
                chrome += 1
            if tag in _TEXT_PASS_BLOCKS or tag in _TEXT_PASS_CHROME:
                blocks.append((chrome > 0, []))

        def handle_startendtag(self, tag: str, attrs: list) -> None:
            if tag == "br":
                blocks[-1][1].append(_LINE_BREAK)
            elif tag in _TEXT_PASS_BLOCKS:
                blocks.append((chrome > 0, []))

        def handle_endtag(self, tag: str) -> None:
            nonlocal chrome
            if tag in hidden:
                del hidden[len(hidden) - 1 - hidden[::-1].index(tag):]
            elif tag in _TEXT_PASS_CHROME:
                chrome = max(0, chrome - 1)
            if tag in _TEXT_PASS_BLOCKS or tag in _TEXT_PASS_CHROME:
                blocks.append((chrome > 0, []))

        def handle_data(self, data: str) -> None:
            if not hidden:
                blocks[-1][1].append(data.replace(_LINE_BREAK, ""))

    reader = TextPass(convert_charrefs=True)
    reader.feed(html)
    reader.close()
    texts = [(in_chrome, _collapse("".join(pieces))) for in_chrome, pieces in blocks]
    content = [text for chrome, text in texts if text and not chrome]
    if not any(any(ch.isalnum() for ch in text) for text in content):
        content = [text for _chrome, text in texts if text]
    return "\n\n".join(content)


# ---------------------------------------------------------------------------- extract


def _document_text(doc: Document) -> str:
    if isinstance(doc.content, str):
        return doc.content
    return decode_bytes(doc.content, content_type=doc.content_type)


def _is_html(doc: Document) -> bool:
    if doc.format == "html":
        return True
    if doc.format == "json":
        return isinstance(doc.meta.get("html"), str) and not isinstance(doc.meta.get("text"), str)
    return False


def extract(doc: Document, *, registry: OutletLookup | None = None) -> Article:
    """Clean text and metadata of one document; raises ExtractError if no text is left.

    ``registry`` (provenance.outlets.OutletRegistry), when given, sets ``Article.outlet``
    from the article's domain or site name.
    """
    raw = _document_text(doc)
    meta = doc.meta if doc.format == "json" else {}
    base_url = _http_url(doc.url) or _http_url(meta.get("url"))

    if _is_html(doc):
        found = _extract_html(raw, base_url)
        text = normalize_text(found["text"] or "")
        title = _clean_field(meta.get("title")) or found["title"]
        published = normalize_date(meta.get("published")) or found["published"]
        outlet_name = _clean_field(meta.get("outlet")) or found["site_name"]
        url = _http_url(meta.get("url")) or _page_url(found["url"], base_url)
    else:
        text = normalize_text(raw)
        title = _clean_field(meta.get("title")) or guess_title(text)
        published = normalize_date(meta.get("published"))
        outlet_name = _clean_field(meta.get("outlet"))
        url = base_url
    if not any(ch.isalnum() for ch in text):  # empty, or only punctuation / invisible marks
        raise ExtractError("no article text after extraction")

    domain = registered_domain(url)
    article = Article(
        id=doc.id,
        source=doc.source,
        text=text,
        title=title,
        published=published,
        outlet_name=outlet_name,
        url=url,
        domain=domain,
        content_hash=content_hash(text),
        format=doc.format,
    )
    if registry is not None:
        _set_outlet(article, registry)
    return article


def _page_url(canonical: str | None, fetched: str | None) -> str | None:
    """The canonical URL, unless it leaves the site the page was fetched from.

    A syndicated copy often names the original as canonical; its publisher is still the
    site that served it, so the fetched URL is kept then.
    """
    if canonical and fetched and registered_domain(canonical) != registered_domain(fetched):
        return fetched
    return canonical or fetched


def _set_outlet(article: Article, registry: OutletLookup) -> None:
    # The site's own name first (JSON outlet, og:site_name): one domain can host several
    # outlets (navbharattimes.indiatimes.com is not The Times of India).
    outlet = registry.resolve(article.outlet_name) if article.outlet_name else None
    if outlet is None and article.outlet_name:
        outlet = registry.outlet_for(article.outlet_name)
    for key in (article.url, article.domain):
        if outlet is None and key:
            outlet = registry.resolve(key)
    if outlet is not None:
        article.outlet = outlet.id
        article.outlet_name = article.outlet_name or outlet.name
