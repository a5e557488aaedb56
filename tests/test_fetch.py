"""fetch() against a real HTTP server on 127.0.0.1 (ephemeral port, one thread per request)."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
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
        }.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        try:
            route()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading on purpose (size cap, timeout)

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

    def _image(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"\x89PNG\r\n\x1a\n")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
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
    with pytest.raises(BadStatus, match="redirects"):
        fetch(server + "/loop", timeout=5)


def test_redirect_to_other_scheme_is_refused(server: str) -> None:
    with pytest.raises(UnsupportedScheme, match="refused redirect to file:"):
        fetch(server + "/to-file", timeout=5)


def test_redirect_to_unparsable_location_is_refused(server: str) -> None:
    with pytest.raises(FetchError, match="refused redirect"):
        fetch(server + "/to-javascript", timeout=5)


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
