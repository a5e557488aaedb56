"""iter_documents: ids, formats, sniffing, and errors that never stop the batch."""
from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from provenance.fetch import FetchedPage, NotAnArticle
from provenance.ingest import is_url, iter_documents, sniff_format
from provenance.models import Document, InputError

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def documents(results: list) -> list[Document]:
    return [r for r in results if isinstance(r, Document)]


def errors(results: list) -> list[InputError]:
    return [r for r in results if isinstance(r, InputError)]


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the ingest fixtures as ./corpus, the working directory being tmp_path."""
    shutil.copytree(FIXTURES / "corpus", tmp_path / "corpus")
    hidden = tmp_path / "corpus" / ".git"
    hidden.mkdir()
    (hidden / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "corpus" / ".notes.txt").write_text("a hidden note, not an article\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "corpus"


EXPECTED_IDS = ["a_first.txt", "b_page.html", "c_article.json", "nested/d.txt", "nested/deeper/e.md"]


@pytest.mark.parametrize("given", ["corpus", "corpus/", "./corpus/", "corpus//"])
def test_directory_ids_follow_the_contract(corpus: Path, given: str) -> None:
    results = list(iter_documents([given]))
    label = given.rstrip("/")
    assert [d.id for d in documents(results)] == [f"{label}/{name}" for name in EXPECTED_IDS]
    assert all(d.source == d.id for d in documents(results))
    assert errors(results) == []  # hidden files and the .css asset are skipped silently


def test_file_given_directly_keeps_the_path_as_given(corpus: Path) -> None:
    (doc,) = documents(list(iter_documents(["./corpus/nested/../a_first.txt"])))
    assert doc.id == "./corpus/nested/../a_first.txt"
    assert doc.format == "txt"
    assert isinstance(doc.content, bytes)


def test_formats_by_extension(corpus: Path) -> None:
    docs = {d.id: d for d in documents(list(iter_documents(["corpus"])))}
    assert docs["corpus/b_page.html"].format == "html"
    assert docs["corpus/nested/deeper/e.md"].format == "txt"
    article = docs["corpus/c_article.json"]
    assert article.format == "json"
    assert article.url == "https://www.example.org/news/port-review"
    assert article.meta["title"] == "Port reviews contracts"
    assert article.meta["section"] == "business"  # unknown fields are kept too
    assert article.content == article.meta["text"]


def test_same_article_twice_is_yielded_once(corpus: Path) -> None:
    results = list(iter_documents(["corpus", "corpus/a_first.txt", "corpus/"]))
    ids = [d.id for d in documents(results)]
    assert ids.count("corpus/a_first.txt") == 1


def test_jsonl_bad_line_is_one_error_and_the_rest_continue(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "First article body.", "title": "One"}),
        '{"text": "broken',
        "",
        json.dumps({"html": "<p>Third article as HTML.</p>", "url": "https://a.example/3"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "no body"}),
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = list(iter_documents([str(path)]))
    assert [d.id for d in documents(results)] == [f"{path}#1", f"{path}#4"]
    assert [str(e).split(": ", 1)[0] for e in errors(results)] == [
        f"{path}:line 2", f"{path}:line 5", f"{path}:line 6"]
    assert "invalid JSON" in str(errors(results)[0])
    html_doc = documents(results)[1]
    assert html_doc.content == "<p>Third article as HTML.</p>"
    assert "text" not in html_doc.meta


def test_json_array_gives_one_document_per_item(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([{"text": "A."}, {"nope": 1}, {"text": "C."}]), encoding="utf-8")
    results = list(iter_documents([str(path)]))
    assert [d.id for d in documents(results)] == [f"{path}#1", f"{path}#3"]
    assert len(errors(results)) == 1


def test_invalid_json_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"text": "unterminated', encoding="utf-8")
    (error,) = list(iter_documents([str(path)]))
    assert isinstance(error, InputError) and "invalid JSON" in error.message


@pytest.mark.parametrize(
    ("payload", "expected_ids", "expected_format"),
    [
        (b'{"text": "From a pipe.", "outlet": "Example"}', ["-"], "json"),
        (b'{"text": "one"}\n{"text": "two"}\n', ["-#1", "-#2"], "json"),
        (b"<!DOCTYPE html><html><body><p>Hello</p></body></html>", ["-"], "html"),
        (b"Just some text.\n\nSecond paragraph.", ["-"], "txt"),
    ],
)
def test_stdin_is_sniffed(payload: bytes, expected_ids: list[str], expected_format: str) -> None:
    results = list(iter_documents(["-"], stdin=io.BytesIO(payload)))
    assert [d.id for d in documents(results)] == expected_ids
    assert {d.format for d in documents(results)} == {expected_format}
    assert all(d.source == "-" for d in documents(results))


def test_binary_file_is_an_error_and_the_batch_continues(tmp_path: Path) -> None:
    binary = tmp_path / "photo.dat"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    good = tmp_path / "good.txt"
    good.write_text("A readable article.\n", encoding="utf-8")
    results = list(iter_documents([str(binary), str(good)]))
    assert isinstance(results[0], InputError)
    assert results[0].source == str(binary)
    assert "binary file" in results[0].message
    assert [d.id for d in documents(results)] == [str(good)]


def test_empty_missing_special_and_oversized_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n\n")
    big = tmp_path / "big.txt"
    big.write_text("word " * 100, encoding="utf-8")
    results = list(iter_documents([str(empty), str(tmp_path / "missing.txt"), str(big)],
                                  max_file_bytes=100))
    assert [type(r) for r in results] == [InputError, InputError, InputError]
    assert "empty" in results[0].message
    assert "no such file" in results[1].message
    assert "too large" in results[2].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (error,) = list(iter_documents([str(fifo)]))
    assert isinstance(error, InputError) and "not a regular file" in error.message


@pytest.mark.parametrize("url", ["ftp://example.org/a.txt", "file:///etc/passwd", "javascript:alert(1)",
                                 "data:text/plain,hello", "mailto:desk@example.org"])
def test_unsupported_url_schemes(url: str) -> None:
    def must_not_fetch(_url: str) -> FetchedPage:
        raise AssertionError("fetch called for a non-http URL")

    (error,) = list(iter_documents([url], fetch=must_not_fetch))
    assert isinstance(error, InputError)
    assert error.source == url
    assert "unsupported URL scheme" in error.message


def test_is_url_does_not_mistake_paths() -> None:
    assert is_url("https://example.org/x")
    assert is_url("data:text/plain,hi")
    assert not is_url("seeds/000.txt")
    assert not is_url("C:\\news\\a.txt")
    assert not is_url("notes:2023.txt")


def page(url: str, content: bytes, content_type: str | None, final_url: str | None = None) -> FetchedPage:
    return FetchedPage(url=url, final_url=final_url or url, status=200, content_type=content_type,
                       content=content, fetched_at="2026-01-01T00:00:00Z")


def test_url_is_fetched_and_keeps_the_given_url_as_id() -> None:
    url = "https://short.example/abc"
    final = "https://www.example.org/news/2023/story.html"

    def fake_fetch(requested: str) -> FetchedPage:
        return page(requested, b"<html><body><p>Story</p></body></html>", "text/html; charset=utf-8",
                    final)

    (doc,) = list(iter_documents([url], fetch=fake_fetch))
    assert isinstance(doc, Document)
    assert (doc.id, doc.source, doc.url, doc.format) == (url, url, final, "html")
    assert doc.content_type == "text/html; charset=utf-8"
    assert doc.meta["fetched_at"] == "2026-01-01T00:00:00Z"


def test_fetched_json_and_sniffed_content() -> None:
    bodies = {
        "https://a.example/api": (b'{"text": "From an API.", "url": "https://a.example/story"}',
                                  "application/json"),
        "https://a.example/raw": (b"<html><body><p>No content type</p></body></html>", None),
    }
    results = list(iter_documents(list(bodies), fetch=lambda u: page(u, *bodies[u])))
    api, raw = documents(results)
    assert (api.format, api.url) == ("json", "https://a.example/story")
    assert raw.format == "html"


def test_fetch_error_becomes_one_line_input_error() -> None:
    def failing(url: str) -> FetchedPage:
        raise NotAnArticle("content type application/pdf is not an article", url)

    results = list(iter_documents(["https://a.example/report.pdf", "https://a.example/ok"],
                                  fetch=lambda u: failing(u) if u.endswith(".pdf")
                                  else page(u, b"plain words", "text/plain")))
    error, doc = results
    assert isinstance(error, InputError) and error.source == "https://a.example/report.pdf"
    assert "application/pdf" in str(error) and "\n" not in str(error)
    assert isinstance(doc, Document) and doc.format == "txt"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"text": "x"}', "json"),
        ("[{}, {}]", "json"),
        ('{"text": "a"}\n{"text": "b"}', "jsonl"),
        ("<!doctype html><p>x</p>", "html"),
        ("\n  <html lang='fr'><p>x</p></html>", "html"),
        ("{curly} but prose", "txt"),
        ("Plain words < and > signs.", "txt"),
    ],
)
def test_sniff_format(text: str, expected: str) -> None:
    assert sniff_format(text) == expected
