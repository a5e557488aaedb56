"""fetch() against a real HTTP server on 127.0.0.1 (ephemeral port, one thread per request)."""
from __future__ import annotations

import gzip
import shutil
import subprocess
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from provenance.fetch import (
    USER_AGENT,
    BadStatus,
    FetchError,
    FetchTimeout,
    NotAnArticle,
    TooLarge,
    UnsupportedScheme,
    fetch,
)
from provenance.ingest import iter_documents
from provenance.models import Document, InputError

PAGE = "<html><head><title>Ok</title></head><body><p>Bonjour, ça va?</p></body></html>".encode()
CAP = 50_000
DRIP_INTERVAL = 0.05  # seconds between two dripped bytes
BOMB_BYTES = 64 << 20  # what a gzip bomb inflates to (the page is a few hundred bytes)


def _gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    return b"".join([packer.compress(block) for _ in range(size >> 20)] + [packer.flush()])


_BOMBS: dict[str, bytes] = {}


def bomb(layers: int) -> bytes:
    """Zeros gzipped ``layers`` times, made once per run."""
    key = str(layers)
    if key not in _BOMBS:
        data = _gzip_of_zeros(BOMB_BYTES)
        for _ in range(layers - 1):
            data = gzip.compress(data, 9)
        _BOMBS[key] = data
    return _BOMBS[key]


class Handler(BaseHTTPRequestHandler):
    seen_user_agents: list[str] = []

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        Handler.seen_user_agents.append(self.headers.get("User-Agent", ""))
        route = {
            "/ok": self._ok,
            "/hop1": lambda: self._redirect("/hop2"),
            "/hop2": lambda: self._redirect("/ok"),
            "/loop": lambda: self._redirect("/loop"),
            "/to-file": lambda: self._redirect("file:///etc/passwd"),
            "/to-javascript": lambda: self._redirect("javascript:alert(1)"),
            "/no-location": self._no_location,
            "/big-declared": lambda: self._big(declare_length=True),
            "/big-undeclared": lambda: self._big(declare_length=False),
            "/slow": self._slow,
            "/image": self._image,
            "/drip-headers": self._drip_headers,
            "/drip-body": self._drip_body,
            "/gzip": lambda: self._encoded(gzip.compress(PAGE), "gzip"),
            "/deflate": lambda: self._encoded(zlib.compress(PAGE), "deflate"),
            "/raw-deflate": lambda: self._encoded(_raw_deflate(PAGE), "deflate"),
            "/gzip-bomb": lambda: self._encoded(bomb(1), "gzip"),
            "/gzip-gzip-bomb": lambda: self._encoded(bomb(2), "gzip, gzip"),
            "/gzip-gzip-small": lambda: self._encoded(gzip.compress(gzip.compress(PAGE)),
                                                      "gzip, gzip"),
            "/brotli": lambda: self._encoded(b"\x0b\x02\x80ok\x03", "br"),
        }.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        try:
            route()
        except OSError:  # broken pipe, reset, a TLS error: what a server thread must not print
            pass  # the client stopped reading on purpose (size cap, deadline)

    def _ok(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _no_location(self) -> None:
        self.send_response(301)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _big(self, *, declare_length: bool) -> None:
        body = b"<p>" + b"x" * (CAP * 3) + b"</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if declare_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()  # without Content-Length, HTTP/1.0 ends the body at close
        for start in range(0, len(body), 8192):
            self.wfile.write(body[start : start + 8192])

    def _slow(self) -> None:
        time.sleep(1.5)
        self._ok()

    def _drip_headers(self) -> None:
        """A status line, then an endless header one byte at a time."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
        self.wfile.flush()
        for _ in range(int(60 / DRIP_INTERVAL)):
            self.wfile.write(b"a")
            self.wfile.flush()
            time.sleep(DRIP_INTERVAL)

    def _drip_body(self) -> None:
        """Honest headers, then the body one byte at a time (a minute's worth)."""
        length = int(60 / DRIP_INTERVAL)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.flush()
        for _ in range(length):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(DRIP_INTERVAL)

    def _encoded(self, body: bytes, encoding: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _image(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"\x89PNG\r\n\x1a\n")


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@dataclass
class Cost:
    seconds: float = 0.0
    peak_mb: float = 0.0  # Python allocations (tracemalloc), all threads


@contextmanager
def measured() -> Iterator[Cost]:
    """Elapsed time and peak Python memory of the block (the fetch under test)."""
    cost = Cost()
    tracemalloc.start()
    started = time.monotonic()
    try:
        yield cost
    finally:
        cost.seconds = time.monotonic() - started
        cost.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    fetch(url + "/ok", timeout=5)  # imports httpx & co.: not a cost the tests measure
    try:
        yield url
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_ok_page(server: str) -> None:
    page = fetch(server + "/ok", timeout=5)
    assert page.status == 200
    assert page.content == PAGE
    assert page.content_type == "text/html; charset=utf-8"
    assert page.url == page.final_url == server + "/ok"
    assert page.fetched_at.endswith("Z")
    assert Handler.seen_user_agents[-1] == USER_AGENT


def test_redirect_chain_is_followed(server: str) -> None:
    page = fetch(server + "/hop1", timeout=5)
    assert page.url == server + "/hop1"
    assert page.final_url == server + "/ok"
    assert page.content == PAGE


def test_redirect_loop_stops(server: str) -> None:
    with measured() as cost, pytest.raises(BadStatus, match="redirects"):
        fetch(server + "/loop", timeout=5)
    assert cost.seconds < 2 and cost.peak_mb < 5, cost


def test_redirect_to_other_scheme_is_refused(server: str) -> None:
    with measured() as cost, pytest.raises(UnsupportedScheme, match="refused redirect to file:"):
        fetch(server + "/to-file", timeout=5)
    assert cost.seconds < 2 and cost.peak_mb < 5, cost


def test_redirect_to_unparsable_location_is_refused(server: str) -> None:
    with measured() as cost, pytest.raises(FetchError, match="refused redirect"):
        fetch(server + "/to-javascript", timeout=5)
    assert cost.seconds < 2 and cost.peak_mb < 5, cost


def test_redirect_without_location(server: str) -> None:
    with pytest.raises(BadStatus) as caught:
        fetch(server + "/no-location", timeout=5)
    assert caught.value.status == 301


@pytest.mark.parametrize("path", ["/big-declared", "/big-undeclared"])
def test_body_is_capped(server: str, path: str) -> None:
    with pytest.raises(TooLarge, match="cap"):
        fetch(server + path, timeout=5, max_bytes=CAP)


def test_big_body_fits_a_larger_cap(server: str) -> None:
    page = fetch(server + "/big-undeclared", timeout=5, max_bytes=CAP * 4)
    assert len(page.content) == CAP * 3 + 7


def test_404(server: str) -> None:
    with pytest.raises(BadStatus, match="404") as caught:
        fetch(server + "/missing", timeout=5)
    assert caught.value.status == 404


def test_timeout(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(server + "/slow", timeout=0.3)
    assert time.monotonic() - started < 1.4


def test_wrong_content_type(server: str) -> None:
    with pytest.raises(NotAnArticle, match="image/png"):
        fetch(server + "/image", timeout=5)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a", "javascript:alert(1)",
                                 "data:text/html,<p>x</p>", "http:///nohost"])
def test_non_http_urls_are_refused_without_network(url: str) -> None:
    with pytest.raises(UnsupportedScheme):
        fetch(url)


def test_connection_refused_is_a_fetch_error() -> None:
    import socket

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        fetch(f"http://127.0.0.1:{port}/", timeout=2)
    assert "\n" not in str(caught.value)


def test_ingest_fetches_urls_for_real(server: str) -> None:
    results = list(iter_documents([server + "/hop1", server + "/image"]))
    doc, error = results
    assert isinstance(doc, Document)
    assert (doc.id, doc.url, doc.format) == (server + "/hop1", server + "/ok", "html")
    assert isinstance(error, InputError) and error.source == server + "/image"
    assert "image/png" in error.message


# ------------------------------------------------- one deadline per URL (issue 11, item 4)


@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"])
def test_a_dripping_server_is_cut_at_the_deadline(server: str, path: str) -> None:
    # Every byte arrives well within any per-read timeout; only a deadline stops this.
    with measured() as cost, pytest.raises(FetchTimeout, match="timed out"):
        fetch(server + path, timeout=0.6)
    assert cost.seconds < 1.5 and cost.peak_mb < 5, cost


def test_the_deadline_covers_all_redirect_hops(server: str) -> None:
    with measured() as cost, pytest.raises(FetchError):
        fetch(server + "/loop", timeout=0.0001)  # the deadline passes before the first reply
    assert cost.seconds < 1 and cost.peak_mb < 5, cost


# --------------------------------------- content encodings, decoded size (issue 11, item 3)


@pytest.mark.parametrize("path", ["/gzip", "/deflate", "/raw-deflate"])
def test_one_content_encoding_layer_is_decoded(server: str, path: str) -> None:
    assert fetch(server + path, timeout=5).content == PAGE


def test_a_gzip_bomb_is_cut_at_the_cap_in_bounded_memory(server: str) -> None:
    bomb(1)  # made before measuring: the server's side is not the cost under test
    with measured() as cost, pytest.raises(TooLarge, match="decoded body exceeds"):
        fetch(server + "/gzip-bomb", timeout=5, max_bytes=4 * CAP)  # the gzip itself fits
    assert cost.seconds < 2 and cost.peak_mb < 5, cost


def test_stacked_gzip_is_refused_in_bounded_time_and_memory(server: str) -> None:
    bomb(2)
    with measured() as cost, pytest.raises(FetchError, match="stacked Content-Encoding"):
        fetch(server + "/gzip-gzip-bomb", timeout=5, max_bytes=10_000_000)
    assert cost.seconds < 2 and cost.peak_mb < 5, cost
    with pytest.raises(FetchError, match="at most one layer"):  # refused even when harmless
        fetch(server + "/gzip-gzip-small", timeout=5)


def test_an_encoding_we_did_not_ask_for_is_refused(server: str) -> None:
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fetch(server + "/brotli", timeout=5)


def test_ingest_reports_a_stacked_encoding_as_one_error_line(server: str) -> None:
    (error,) = list(iter_documents([server + "/gzip-gzip-small"]))
    assert isinstance(error, InputError) and "\n" not in error.message
    assert "stacked Content-Encoding" in error.message


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_the_deadline_holds_over_tls(tmp_path, monkeypatch) -> None:
    """https goes through the same deadline-keeping streams (after the TLS handshake too)."""
    import ssl

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our certificate, for this test
    base = f"https://127.0.0.1:{httpd.server_address[1]}"
    try:
        assert fetch(base + "/ok", timeout=5).content == PAGE
        with measured() as cost, pytest.raises(FetchTimeout):
            fetch(base + "/drip-body", timeout=0.6)
        assert cost.seconds < 1.5, cost
    finally:
        httpd.shutdown()
        httpd.server_close()
