"""Fetch one web page over http(s), carefully.

The only network access the tool makes, and only for URLs a user names. Rules:
http and https only (also for every redirect hop), at most ``MAX_REDIRECTS`` hops,
the body is streamed and cut at ``max_bytes`` whatever Content-Length claims (both as
sent and as decoded: at most one gzip or deflate layer, decompressed under the same
cap, so a gzip bomb costs at most ``max_bytes``), the whole fetch of one URL (connect,
headers, body, every redirect hop) is bounded by one wall-clock deadline ``timeout``
seconds after the call (a server dripping a byte a second is cut then), and only
content types that can hold an article (HTML, plain text, JSON) are accepted.

Every failure is a :class:`FetchError` subclass with a one-line message.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:  # httpx is imported lazily: a trace of local files never needs it.
    import httpx

USER_AGENT = "provenance/0.1 (+research)"
MAX_REDIRECTS = 5
ALLOWED_SCHEMES = ("http", "https")
# Content types that can hold an article; a missing Content-Type is sniffed by ingest.
ARTICLE_CONTENT_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/json",
    "application/ld+json",
    "text/json",
)
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_CHUNK_SIZE = 65536
# What we ask for and can decode, one layer at most (see _Decoder).
ACCEPT_ENCODING = "gzip, deflate"


class FetchError(Exception):
    """A URL could not be fetched as an article.

    The message is one line and does not repeat the requested URL (callers print it next
    to the URL); ``url`` is the URL that failed (a redirect target, possibly).
    """

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class UnsupportedScheme(FetchError):
    """The URL, or a redirect target, is not http(s)."""


class TooLarge(FetchError):
    """The body is larger than the cap."""


class BadStatus(FetchError):
    """The server answered with a non-success status (or a broken redirect)."""

    def __init__(self, message: str, status: int, url: str | None = None) -> None:
        super().__init__(message, url)
        self.status = status


class FetchTimeout(FetchError):
    """The server did not answer (completely) in time."""


class NotAnArticle(FetchError):
    """The content type cannot hold an article (an image, a PDF, a zip...)."""


@dataclass
class FetchedPage:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str | None  # the full header value, e.g. "text/html; charset=utf-8"
    content: bytes
    fetched_at: str  # ISO 8601, UTC


def check_scheme(url: str) -> None:
    """Raise UnsupportedScheme unless ``url`` is an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = parts.scheme or "(none)"
        raise UnsupportedScheme(f"unsupported URL scheme {shown!r}", url)
    if not parts.netloc:
        raise UnsupportedScheme("URL has no host", url)


# Query parameters that carry secrets by convention (lower-cased names).
SECRET_QUERY_PARAMETERS = frozenset({
    "access_token", "api_key", "apikey", "auth", "key", "password", "passwd", "pwd", "secret",
    "session", "sessionid", "sig", "signature", "token", "x-amz-credential", "x-amz-security-token",
    "x-amz-signature",
})


def redact_url(url: str) -> str:
    """``url`` without user:password and with secret query values replaced by REDACTED:
    what may be stored, used as an id, or printed. Fetching still uses the URL as given."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in SECRET_QUERY_PARAMETERS for name, _ in pairs):
            query = urlencode([(n, "REDACTED" if n.lower() in SECRET_QUERY_PARAMETERS else v)
                               for n, v in pairs])
    if netloc == parts.netloc and query == parts.query:
        return url  # unchanged, byte for byte
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def media_type(content_type: str | None) -> str | None:
    """'text/html; charset=utf-8' -> 'text/html'."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def fetch(
    url: str,
    *,
    timeout: float = 20.0,
    max_bytes: int = 10_000_000,
    client: httpx.Client | None = None,
) -> FetchedPage:
    """GET ``url`` following at most 5 http(s) redirects; see the module docstring.

    ``timeout`` is one deadline for the whole fetch. A ``client`` of your own is used as
    given: its sockets do not know the deadline, which is then checked between reads only.
    """
    import httpx

    check_scheme(url)
    deadline = time.monotonic() + timeout
    own_client = client is None
    if client is None:
        client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )
        _keep_deadline(client, deadline)
    current = url
    last_redirect = 0
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                httpx.URL(current)
            except (httpx.InvalidURL, UnicodeError) as exc:
                raise FetchError(f"invalid URL: {exc}", current) from exc
            try:
                with client.stream(
                    "GET",
                    current,
                    headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
                    follow_redirects=False,
                    timeout=httpx.Timeout(max(0.01, deadline - time.monotonic())),
                ) as response:
                    if response.status_code in _REDIRECT_STATUSES:
                        last_redirect = response.status_code
                        current = _redirect_target(current, response)
                        continue
                    return _read_page(url, current, response, max_bytes, deadline)
            except httpx.TimeoutException as exc:
                raise FetchTimeout(f"timed out after {timeout:g} s", current) from exc
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, UnicodeError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if isinstance(exc, httpx.InvalidURL) or "location header" in reason.lower():
                    # httpx parses a redirect's Location before we see it: the URL itself
                    # was checked above, so this is an unusable target (javascript:...).
                    raise FetchError(f"refused redirect to an invalid Location: {reason}",
                                     current) from exc
                raise FetchError(f"cannot fetch: {reason}", current) from exc
        raise BadStatus(f"more than {MAX_REDIRECTS} redirects", last_redirect, url)
    finally:
        if own_client:
            client.close()


def _keep_deadline(client: httpx.Client, deadline: float) -> None:
    """Make every socket operation of ``client`` end by ``deadline``.

    httpx's timeouts bound each read, so a server sending one byte a second never trips
    them; here each read, write and connect gets at most the time left until the deadline.
    httpx < 1 keeps an httpcore pool in each transport, proxies from the environment
    included (the drip tests fail if that changes).
    """
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            pool._network_backend = _DeadlineBackend(pool._network_backend, deadline)


def _time_left(deadline: float, timeout: float | None) -> float:
    import httpcore

    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """An httpcore network stream whose operations share one deadline."""

    def __init__(self, stream: object, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(self._deadline, timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(self._deadline, timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: object, server_hostname: str | None = None,
                  timeout: float | None = None) -> _DeadlineStream:
        tls = self._stream.start_tls(ssl_context, server_hostname,
                                     _time_left(self._deadline, timeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    """httpcore's network backend, with streams that keep the deadline."""

    def __init__(self, backend: object, deadline: float) -> None:
        self._backend = backend
        self._deadline = deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: object = None
                    ) -> _DeadlineStream:
        stream = self._backend.connect_tcp(host, port, _time_left(self._deadline, timeout),
                                           local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: object = None) -> _DeadlineStream:
        stream = self._backend.connect_unix_socket(path, _time_left(self._deadline, timeout),
                                                   socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _redirect_target(current: str, response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        raise BadStatus(
            f"HTTP {response.status_code} redirect without Location", response.status_code, current
        )
    target = urljoin(current, location.strip())
    try:
        check_scheme(target)
    except UnsupportedScheme as exc:
        raise UnsupportedScheme(f"refused redirect to {_short(target)}: {exc}", target) from exc
    return target


def _read_page(
    requested: str, current: str, response: httpx.Response, max_bytes: int, deadline: float
) -> FetchedPage:
    status = response.status_code
    if not 200 <= status < 300:
        phrase = response.reason_phrase or ""
        where = "" if current == requested else f" (at {_short(current)})"
        raise BadStatus(f"HTTP {status} {phrase}".rstrip() + where, status, current)
    content_type = response.headers.get("content-type")
    kind = media_type(content_type)
    if kind is not None and kind not in ARTICLE_CONTENT_TYPES:
        raise NotAnArticle(f"content type {kind} is not an article", current)
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"body of {int(declared)} bytes exceeds the {max_bytes}-byte cap", current)
    decoder = _Decoder(response.headers.get("content-encoding", ""), max_bytes, current)
    body = bytearray()
    received = 0
    # Content-Length can lie or be absent (chunked): count what actually arrives, as sent
    # and as decoded. iter_raw: httpx would inflate a whole chunk in memory before we see it.
    for chunk in response.iter_raw(_CHUNK_SIZE):
        received += len(chunk)
        if received > max_bytes:
            raise TooLarge(f"body exceeds the {max_bytes}-byte cap", current)
        body.extend(decoder.decode(chunk, max_bytes - len(body)))
        if time.monotonic() > deadline:
            raise FetchTimeout("timed out while reading the body", current)
    body.extend(decoder.flush(max_bytes - len(body)))
    return FetchedPage(
        url=requested,
        final_url=str(response.url),
        status=status,
        content_type=content_type,
        content=bytes(body),
        fetched_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


class _Decoder:
    """Undo at most one Content-Encoding layer (gzip or deflate), output capped.

    Stacked encodings ("gzip, gzip") are refused: no browser-facing server needs them,
    and each layer multiplies what a few kilobytes can inflate to.
    """

    def __init__(self, header: str, max_bytes: int, url: str) -> None:
        layers = [c.strip().lower() for c in header.split(",") if c.strip()]
        layers = [c for c in layers if c != "identity"]
        self._url = url
        self._max_bytes = max_bytes
        self._zlib: zlib._Decompress | None = None
        self._first = True
        if len(layers) > 1:
            raise FetchError(f"refused stacked Content-Encoding {', '.join(layers)!r} "
                             "(at most one layer)", url)
        self._encoding = layers[0] if layers else None
        if self._encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._encoding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self._encoding is not None:
            raise FetchError(f"unsupported Content-Encoding {self._encoding!r}", url)

    def decode(self, chunk: bytes, room: int) -> bytes:
        """The decoded bytes of ``chunk``; TooLarge once they would pass ``room``."""
        if self._zlib is None:
            return chunk
        if self._first and self._encoding == "deflate" and chunk:
            self._first = False
            header = chunk[:2]  # a zlib header: method 8, and a multiple of 31
            if not (len(header) == 2 and header[0] & 0x0F == 8
                    and int.from_bytes(header, "big") % 31 == 0):
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some send
        out = bytearray()
        pending = chunk
        try:
            while pending and not self._zlib.eof:
                # max_length bounds each step, so one chunk never inflates past the cap.
                out.extend(self._zlib.decompress(pending, room - len(out) + 1))
                if len(out) > room:
                    raise TooLarge(f"decoded body exceeds the {self._max_bytes}-byte cap",
                                   self._url)
                pending = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise FetchError(f"cannot decode {self._encoding} body: {exc}", self._url) from exc
        return bytes(out)

    def flush(self, room: int) -> bytes:
        if self._zlib is None:
            return b""
        tail = self._zlib.flush()
        if len(tail) > room:
            raise TooLarge(f"decoded body exceeds the {self._max_bytes}-byte cap", self._url)
        return tail


def _short(url: str, limit: int = 200) -> str:
    """URLs go into one-line messages: no newlines, bounded length."""
    flat = " ".join(redact_url(url).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
