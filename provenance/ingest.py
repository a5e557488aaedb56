"""Stage 1: turn what the user named (files, directories, "-", URLs) into Documents.

Article ids (the public ``trace --json`` contract):

- a file named directly: the path exactly as given (``./a.txt`` stays ``./a.txt``);
- a file found inside a directory: the directory as given, without trailing slashes,
  joined with "/" to the file's path relative to it (``seeds/`` and ``seeds`` both give
  ``seeds/000_x.txt``; ``./a/b/`` gives ``./a/b/x.txt``);
- a URL: the URL as given (``Document.url`` holds the final URL after redirects);
- stdin: ``-``;
- several articles in one input (a .jsonl file, a JSON array, JSONL on stdin): the
  input's id + ``#`` + the 1-based line number (JSONL) or position (JSON array):
  ``feed.jsonl#3``, ``-#1``.

Formats by extension: .txt/.text/.md -> txt, .html/.htm/.xhtml -> html, .json -> one
article object (or an array of them), .jsonl -> one article object per line. A JSON
article needs a "text" or an "html" string; "url", "title", "published", "outlet" and
any other fields are kept in ``Document.meta``. Other extensions, and stdin, are sniffed.

Directories are walked recursively in sorted order; hidden files and directories (".x")
are skipped, and so are files whose extension marks them as page assets or media
(.css, .js, .png, .pdf...: what "save page as" leaves next to an article) and a corpus's
own README / LICENSE / COPYING files. Named directly, any file is read.

Nothing raises: each bad input (missing, binary, empty, too large, bad JSON line,
unsupported URL scheme, failed fetch, JSON nested too deeply, a FIFO or device) is yielded
as one InputError and the batch goes on. Only regular files are read: a FIFO, socket or
device (named directly, found in a directory, or reached through a symlink) is refused
without being opened for a blocking read. The same article id is yielded once; an id that
a *different* input would also produce (a file named ``a.jsonl#2`` next to ``a.jsonl``)
is reported as a clash, never dropped in silence.
"""
from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from provenance.extract import DecodeError, decode_bytes
from provenance.fetch import FetchedPage, FetchError, media_type, redact_url
from provenance.fetch import fetch as fetch_page
from provenance.models import Document, InputError

DEFAULT_MAX_FILE_BYTES = 20_000_000

TEXT_EXTENSIONS = frozenset({".txt", ".text", ".md"})
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml", ".shtml"})
JSON_EXTENSIONS = frozenset({".json"})
JSONL_EXTENSIONS = frozenset({".jsonl", ".ndjson"})
# Skipped silently inside directories (named directly they are still tried, and fail).
ASSET_EXTENSIONS = frozenset({
    ".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico",
    ".bmp", ".tif", ".tiff", ".avif", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3",
    ".mp4", ".webm", ".ogg", ".wav", ".m4a", ".mov", ".avi", ".pdf", ".zip", ".gz", ".bz2",
    ".xz", ".7z", ".tar", ".rar", ".exe", ".dll", ".so", ".pyc", ".db", ".sqlite",
    ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".swf",
})

# Documentation that sits next to a corpus, not part of it (matched on the name's stem).
CORPUS_DOC_NAMES = frozenset({"readme", "license", "licence", "copying", "changelog"})

# "scheme:" prefixes treated as URLs even without "//" (never as file names).
_OPAQUE_SCHEMES = frozenset({"javascript", "data", "mailto", "about", "blob", "tel", "news",
                             "urn", "view-source"})
_URL_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HTML_START = re.compile(
    r"^(?:<!doctype\s+html|<html|<head|<body|<meta|<title|<!--|<\?xml|<article|<div|<p[\s>])",
    re.I,
)

Fetcher = Callable[[str], FetchedPage]


def iter_documents(
    inputs: Iterable[str],
    *,
    stdin: BinaryIO | None = None,
    fetch: Fetcher | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    on_note: Callable[[str], None] | None = None,
) -> Iterator[Document | InputError]:
    """Yield a Document per article and an InputError per bad input, in input order.

    ``on_note`` hears about what was passed over without being an error (the non-article
    files of a directory), one line per directory."""
    if isinstance(inputs, str):  # a lone path, not an iterable of characters
        inputs = [inputs]
    source_of: dict[str, str] = {}  # article id -> the input it was read from
    given: set[str] = set()
    for item in inputs:
        if item in given:  # "-" twice would read an exhausted stdin
            continue
        given.add(item)
        for result in _documents_for(item, stdin, fetch, max_file_bytes, on_note):
            if isinstance(result, Document):
                first = source_of.get(result.id)
                if first == result.source:
                    continue  # e.g. "seeds seeds/000.txt": one article, not two
                if first is not None:
                    result = InputError(
                        result.source,
                        f"id clash: {result.id} is already the id of an article from {first}; "
                        "not read",
                    )
                else:
                    source_of[result.id] = result.source
            yield result


def is_url(item: str) -> bool:
    """True for "scheme://..." and for opaque schemes such as "javascript:" or "data:"."""
    match = _URL_PREFIX.match(item)
    if not match:
        return False
    scheme = match.group(1).lower()
    if len(scheme) == 1:  # "C:\\file.txt" is a Windows path
        return False
    return item[match.end() :].startswith("//") or scheme in _OPAQUE_SCHEMES


def _documents_for(
    item: str, stdin: BinaryIO | None, fetch: Fetcher | None, max_bytes: int,
    on_note: Callable[[str], None] | None = None,
) -> Iterator[Document | InputError]:
    if item == "-":
        yield from _from_stdin(stdin, max_bytes)
    elif is_url(item) and not os.path.exists(item):
        yield from _from_url(item, fetch)
    elif os.path.isdir(item):
        yield from _from_directory(item, max_bytes, on_note)
    elif os.path.isfile(item) and is_warc_name(item):
        yield from _from_warc(item, item, max_bytes)
    elif os.path.isfile(item):
        yield from _from_file(item, item, max_bytes)
    elif os.path.exists(item):
        yield InputError(item, "not a regular file")
    else:
        yield InputError(item, "no such file or directory")


# ------------------------------------------------------------------------------ sources


def _from_stdin(stdin: BinaryIO | None, max_bytes: int) -> Iterator[Document | InputError]:
    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        data = stream.read(max_bytes + 1)
    except OSError as exc:
        yield InputError("-", f"cannot read stdin: {exc.strerror or exc}")
        return
    if len(data) > max_bytes:
        yield InputError("-", f"input larger than {max_bytes} bytes")
        return
    yield from _from_bytes(data, "-", "-", None)


def _from_url(given: str, fetch: Fetcher | None) -> Iterator[Document | InputError]:
    url = redact_url(given)  # the id, source and messages never carry credentials
    if not url.lower().startswith(("http://", "https://")):
        scheme = url.split(":", 1)[0]
        yield InputError(url, f"unsupported URL scheme {scheme!r} (only http and https)")
        return
    try:
        page = (fetch or fetch_page)(given)
    except (FetchError, OSError, ValueError) as exc:  # OSError/ValueError: injected fetchers
        yield InputError(url, " ".join(str(exc).split()) or type(exc).__name__)
        return
    if not page.content.strip():
        yield InputError(url, "empty response")
        return
    kind = media_type(page.content_type)
    if kind in ("text/html", "application/xhtml+xml"):
        fmt: str | None = "html"
    elif kind is not None and "json" in kind:
        fmt = "json"
    elif kind == "text/plain":
        fmt = "txt"
    else:
        fmt = None  # no usable Content-Type: sniff
    for result in _from_bytes(page.content, url, url, fmt, content_type=page.content_type):
        if isinstance(result, Document):
            if result.format != "json" or not result.url:  # a JSON "url" field wins
                result.url = redact_url(page.final_url)
            result.content_type = page.content_type
            result.meta.setdefault("fetched_at", page.fetched_at)
        yield result


def _from_directory(
    directory: str, max_bytes: int, on_note: Callable[[str], None] | None = None
) -> Iterator[Document | InputError]:
    label = directory.rstrip("/") or "/"
    found: list[tuple[tuple[str, ...], str]] = []
    skipped: list[str] = []
    unreadable: list[InputError] = []

    def on_error(exc: OSError) -> None:
        # os.walk skips what it cannot list; say so instead of staying silent.
        where = str(exc.filename or directory)
        unreadable.append(InputError(where, f"cannot read directory: {exc.strerror or exc}"))

    for root, dirnames, filenames in os.walk(directory, onerror=on_error):
        skipped.extend(os.path.relpath(os.path.join(root, name), directory) + "/"
                       for name in dirnames if name.startswith("."))
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        for name in filenames:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, directory)
            if not is_article_name(name):
                skipped.append(relative)
                continue
            found.append((tuple(relative.split(os.sep)), path))
    yield from unreadable
    if skipped and on_note is not None:
        on_note(_skipped_note(label, skipped))
    prefix = "" if label == "/" else label
    for parts, path in sorted(found):
        article_id = prefix + "/" + "/".join(parts)
        if is_warc_name(path):
            yield from _from_warc(path, article_id, max_bytes)
        else:
            yield from _from_file(path, article_id, max_bytes)


def _from_file(path: str, article_id: str, max_bytes: int) -> Iterator[Document | InputError]:
    try:
        data = _read_regular_file(path, max_bytes)
    except _NotRegular as exc:
        yield InputError(article_id, f"not a regular file ({exc}); skipped")
        return
    except OSError as exc:
        yield InputError(article_id, f"cannot read: {exc.strerror or exc}")
        return
    if len(data) > max_bytes:
        yield InputError(article_id, f"file too large (more than {max_bytes} bytes; the cap)")
        return
    extension = os.path.splitext(path)[1].lower()
    fmt = (
        "txt" if extension in TEXT_EXTENSIONS
        else "html" if extension in HTML_EXTENSIONS
        else "json" if extension in JSON_EXTENSIONS
        else "jsonl" if extension in JSONL_EXTENSIONS
        else None
    )
    yield from _from_bytes(data, article_id, article_id, fmt)


class _NotRegular(Exception):
    """A FIFO, socket or device: reading it could block forever or never end."""


def _read_regular_file(path: str, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``path``, which must be a regular file.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; the
    type is then checked on the open descriptor, so a file swapped in between a check and
    the open (or a symlink to /dev/zero) cannot slip through.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _NotRegular(_file_kind(mode))
        return handle.read(max_bytes + 1)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a file"


# ------------------------------------------------------------------------------ formats


def _from_bytes(
    data: bytes, article_id: str, source: str, fmt: str | None, *, content_type: str | None = None
) -> Iterator[Document | InputError]:
    """Documents from one input's bytes; ``fmt`` None means sniff the content."""
    if not data.strip():
        yield InputError(article_id, "empty file" if source != "-" else "empty input")
        return
    try:
        text = decode_bytes(data, content_type=content_type)
    except DecodeError as exc:
        yield InputError(article_id, str(exc))
        return
    if fmt is None:
        fmt = sniff_format(text)
    if fmt == "txt" and looks_like_input_list(text):
        yield InputError(article_id, "a list of inputs, not an article (every line is a URL or a "
                                     f"path): use --from-file {article_id}")
        return
    if fmt == "json":
        yield from _from_json(text, article_id, source)
    elif fmt == "jsonl":
        yield from _from_jsonl(text, article_id, source)
    else:
        yield Document(id=article_id, source=source, content=data, format=fmt,
                       content_type=content_type)


def sniff_format(text: str) -> str:
    """Guess "json", "jsonl", "html" or "txt" from decoded content."""
    start = text.lstrip("\ufeff \t\r\n")
    if start[:1] in ("{", "["):
        try:
            _parse_json(start)
        except ValueError as exc:
            if str(exc) == _TOO_DEEP:
                return "json"  # JSON all right, hostile: let the JSON reader say so
            first_line = start.split("\n", 1)[0]
            try:
                if isinstance(_parse_json(first_line), dict):
                    return "jsonl"
            except ValueError:
                pass
        else:
            return "json"
    if _HTML_START.match(start) or "<html" in start[:2048].lower():
        return "html"
    return "txt"


def _from_json(text: str, article_id: str, source: str) -> Iterator[Document | InputError]:
    try:
        value = _parse_json(text)
    except ValueError as exc:
        yield InputError(article_id, f"invalid JSON: {_json_reason(exc)}")
        return
    if isinstance(value, list):
        for position, item in enumerate(value, start=1):
            yield _json_document(item, f"{article_id}#{position}", source,
                                 where=f"{article_id}: item {position}")
        return
    yield _json_document(value, article_id, source, where=article_id)


def _from_jsonl(text: str, article_id: str, source: str) -> Iterator[Document | InputError]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = _parse_json(line)
        except ValueError as exc:
            yield InputError(f"{article_id}:line {number}", f"invalid JSON: {_json_reason(exc)}")
            continue
        yield _json_document(value, f"{article_id}#{number}", source,
                             where=f"{article_id}:line {number}")


def _json_document(
    value: object, article_id: str, source: str, *, where: str
) -> Document | InputError:
    if not isinstance(value, dict):
        return InputError(where, f"expected a JSON article object, got {_json_type(value)}")
    text, html = value.get("text"), value.get("html")
    if isinstance(text, str) and text.strip():
        content, fmt_hint = text, "text"
    elif isinstance(html, str) and html.strip():
        content, fmt_hint = html, "html"
    else:
        return InputError(where, 'JSON article needs a non-empty "text" or "html" string')
    url = redact_url(value["url"]) if isinstance(value.get("url"), str) else None
    meta = dict(value)
    if url is not None:
        meta["url"] = url
    if fmt_hint == "html":  # extract reads the HTML path only when "text" is absent
        meta.pop("text", None)
    return Document(id=article_id, source=source, content=content, format="json", url=url,
                    meta=meta)


_TOO_DEEP = "nested too deeply"


def _parse_json(text: str) -> object:
    """json.loads, with hostile nesting ("[[[[..." 100,000 deep) as a ValueError too."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None


def _json_reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        if exc.lineno == 1:
            return f"{exc.msg} at column {exc.colno}"
        return f"{exc.msg} (line {exc.lineno})"
    return str(exc)


def _json_type(value: object) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "null"}.get(type(value), type(value).__name__)


# ------------------------------------------------------------------------------ lists, WARC

# Corpus files that are not articles: annotations and manifests next to the articles
# (matched on the name's stem, for data-file extensions only: "gold.txt" is still read).
CORPUS_DATA_NAMES = frozenset({"gold", "labels", "annotations", "manifest", "metadata"})
DATA_EXTENSIONS = frozenset({".json", ".jsonl", ".csv", ".tsv", ".yaml", ".yml", ".toml", ".xml"})
WARC_SUFFIXES = (".warc", ".warc.gz")
# Media types of WARC response records that can be articles; other records (images,
# scripts, style sheets of a crawl) are passed over.
_ARTICLE_MEDIA = ("text/html", "application/xhtml+xml", "text/plain", "application/json")
_LIST_ITEM = re.compile(
    r"^(?:https?://\S+|\S+\.(?:txt|text|md|html?|xhtml|shtml|json|jsonl|ndjson|warc|warc\.gz))$",
    re.I,
)


def is_warc_name(path: str) -> bool:
    return path.lower().endswith(WARC_SUFFIXES)


def is_article_name(name: str) -> bool:
    """Whether a file found in a directory may be an article (named directly, any file is
    read). Not: dotfiles, page assets and media, a corpus's README/LICENSE, its gold or
    manifest data files."""
    stem, extension = os.path.splitext(name)
    extension = extension.lower()
    if name.startswith("."):
        return False
    if is_warc_name(name):
        return True
    if extension in ASSET_EXTENSIONS or stem.lower() in CORPUS_DOC_NAMES:
        return False
    return not (extension in DATA_EXTENSIONS and stem.lower() in CORPUS_DATA_NAMES)


def _skipped_note(label: str, skipped: list[str]) -> str:
    shown = ", ".join(sorted(skipped)[:5])
    more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    return f"{label}: skipped {len(skipped)} file(s) that are not articles: {shown}{more}"


def looks_like_input_list(text: str) -> bool:
    """True when every non-blank line is one URL or one file name (``urls.txt``): such a
    file is a list of inputs for --from-file, never an article."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("#")]
    return bool(lines) and all(_LIST_ITEM.match(line) for line in lines)


def read_input_list(source: str, stdin: BinaryIO | None = None) -> list[str]:
    """The inputs named in a list file, one per line (``-``: standard input).

    Blank lines and lines starting with "#" are ignored; each line is taken whole
    (surrounding spaces stripped), as a path relative to the current directory or a URL.
    Raises OSError when the list cannot be read.
    """
    if source == "-":
        data = (stdin if stdin is not None else sys.stdin.buffer).read()
    else:
        with open(source, "rb") as handle:
            data = handle.read()
    text = data.decode("utf-8-sig", errors="replace")
    items = (line.strip() for line in text.splitlines())
    return [item for item in items if item and not item.startswith("#")]


def document_from_dict(value: dict, article_id: str) -> Document | InputError:
    """A Document from an article object as a Python dict (the JSON input's fields:
    ``text`` or ``html``, and ``url``, ``title``, ``published``, ``outlet``...)."""
    return _json_document(value, article_id, article_id, where=article_id)


def _from_warc(path: str, article_id: str, max_bytes: int) -> Iterator[Document | InputError]:
    """Every HTTP 200 response record of a WARC (or .warc.gz) whose content can be an
    article becomes one Document: id ``<archive id>#N`` (N counts those records from 1),
    ``url`` the record's WARC-Target-URI, ``meta["captured"]`` its WARC-Date."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        yield InputError(article_id, f"cannot read: {exc.strerror or exc}")
        return
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            yield InputError(article_id, f"not a regular file ({_file_kind(mode)}); skipped")
            return
        number = 0
        try:
            for record in ArchiveIterator(handle):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                if record.http_headers.get_statuscode() != "200":
                    continue
                content_type = record.http_headers.get_header("Content-Type")
                kind = media_type(content_type)
                if kind is not None and kind not in _ARTICLE_MEDIA:
                    continue
                number += 1
                record_id = f"{article_id}#{number}"
                url = record.rec_headers.get_header("WARC-Target-URI")
                payload = record.content_stream().read(max_bytes + 1)
                if len(payload) > max_bytes:
                    yield InputError(record_id, f"record larger than {max_bytes} bytes (the cap)")
                    continue
                fmt = {"text/plain": "txt", "application/json": "json"}.get(kind or "", None)
                if kind in ("text/html", "application/xhtml+xml"):
                    fmt = "html"
                for result in _from_bytes(payload, record_id, article_id, fmt,
                                          content_type=content_type):
                    if isinstance(result, Document):
                        if url and not result.url:
                            result.url = redact_url(url)
                        result.content_type = content_type
                        captured = record.rec_headers.get_header("WARC-Date")
                        if captured:
                            result.meta.setdefault("captured", captured)
                    yield result
        except (ArchiveLoadFailed, OSError, EOFError, ValueError) as exc:
            yield InputError(article_id, f"not a readable WARC archive: {' '.join(str(exc).split())}")
            return
    if number == 0:
        yield InputError(article_id, "WARC archive without an HTML or text response record")
