"""extract(): main text without page chrome, metadata, normalisation, decoding."""
from __future__ import annotations

import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from provenance.extract import (
    DecodeError,
    ExtractError,
    decode_bytes,
    extract,
    guess_title,
    normalize_date,
    normalize_text,
    registered_domain,
)
from provenance.models import Document

HTML = Path(__file__).parent / "fixtures" / "html"


def html_doc(name: str, url: str | None = None) -> Document:
    path = HTML / name
    return Document(id=str(path), source=str(path), content=path.read_bytes(), format="html", url=url)


def text_doc(content: bytes | str, **kwargs: object) -> Document:
    return Document(id="t.txt", source="t.txt", content=content, format="txt", **kwargs)


# ------------------------------------------------------------------------------- HTML

CHROME = {
    "en_dailyexample.html": ["cookies", "Accept all", "Subscribe", "Share on", "Related stories",
                             "Rail freight strike", "scandal", "harbourwatcher", "All rights reserved"],
    "vi_tinvidu.html": ["cookie", "Trang chủ", "Chia sẻ", "Tin liên quan", "Giá cước",
                        "Ý kiến bạn đọc", "trách nhiệm", "Bản quyền"],
    "ko_yesiilbo_euckr.html": ["쿠키", "정치", "페이스북", "관련 기사", "철도 화물", "댓글",
                               "선거", "무단 전재"],
    "fr_lexemple.xhtml": ["cookies", "Accueil", "Partager", "À lire aussi", "Grève", "Réactions",
                          "opaques"],
}
BODY = {
    "en_dailyexample.html": ["opened a review of every long-term cargo contract",
                             "publish its own audit in the spring",
                             "according to figures published by the regional statistics office"],
    "vi_tinvidu.html": ["rà soát xuất phát từ lo ngại", "công bố kết quả kiểm toán độc lập"],
    "ko_yesiilbo_euckr.html": ["장기 화물 계약에 대한 재검토", "자체 감사 결과를 공개하겠다고"],
    "fr_lexemple.xhtml": ["réexaminait l'ensemble des contrats", "publier son propre audit"],
}


@pytest.mark.parametrize("name", sorted(CHROME))
def test_html_main_text_without_chrome(name: str) -> None:
    article = extract(html_doc(name))
    for phrase in BODY[name]:
        assert phrase in article.text
    for phrase in CHROME[name]:
        assert phrase not in article.text, phrase
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) >= 3
    assert all(p.strip() == p and p for p in paragraphs)
    assert article.format == "html"
    assert article.paragraphs == [] and article.language is None  # later stages set these


def test_html_metadata_english() -> None:
    article = extract(html_doc("en_dailyexample.html", url="https://www.dailyexample.co.uk/x?utm=1"))
    assert article.title == "Harbour authority reviews cargo contracts"
    assert article.published == "2023-10-05T07:15:00Z"  # published, not modified; in UTC
    assert article.outlet_name == "The Daily Example"
    assert article.url == "https://www.dailyexample.co.uk/world/2023/harbour-review"  # canonical
    assert article.domain == "dailyexample.co.uk"


def test_canonical_on_another_site_does_not_replace_the_fetched_url() -> None:
    syndicated = "https://aggregator.example.com/story/123"
    article = extract(html_doc("en_dailyexample.html", url=syndicated))
    assert (article.url, article.domain) == (syndicated, "example.com")


def test_html_metadata_vietnamese_json_ld_and_og_url() -> None:
    article = extract(html_doc("vi_tinvidu.html"))
    assert article.title == "Cảng biển rà soát hợp đồng vận tải"
    assert article.published == "2023-10-06T00:30:00Z"
    assert article.outlet_name == "Tin Ví Dụ"
    assert article.url == "https://tinvidu.vn/kinh-doanh/cang-bien-ra-soat-hop-dong-4512.html"
    assert article.domain == "tinvidu.vn"


def test_html_legacy_charset_and_relative_canonical() -> None:
    article = extract(html_doc("ko_yesiilbo_euckr.html", url="https://news.yesiilbo.co.kr/view?id=42"))
    assert article.title == "항만청, 화물 계약 전면 재검토"
    assert article.outlet_name == "예시일보"
    assert article.published == "2023-10-06T05:00:00Z"
    assert article.url == "https://news.yesiilbo.co.kr/news/article/20231006-0042"
    assert article.domain == "yesiilbo.co.kr"


def test_xhtml_with_xml_declaration() -> None:
    article = extract(html_doc("fr_lexemple.xhtml"))
    assert article.title == "Le port réexamine ses contrats de fret"
    assert (article.published, article.outlet_name, article.domain) == (
        "2023-10-05", "L'Exemple", "lexemple.fr")


def test_html_tiny_page_still_gives_its_text() -> None:
    article = extract(html_doc("es_minimal.html"))
    assert article.text == "Puerto revisa contratos."
    assert article.title == "Nota breve"
    assert article.published is None and article.url is None and article.domain is None


def test_html_without_text_is_an_extract_error() -> None:
    doc = Document(id="x.html", source="x.html", format="html",
                   content=b"<html><head><script>var a = 1;</script></head><body> </body></html>")
    with pytest.raises(ExtractError):
        extract(doc)


def test_same_page_same_hash() -> None:
    first = extract(html_doc("en_dailyexample.html"))
    second = extract(html_doc("en_dailyexample.html"))
    assert first.content_hash == second.content_hash and len(first.content_hash) == 64


# ------------------------------------------------------------------------------- JSON


def test_json_text_article_uses_its_fields() -> None:
    doc = Document(
        id="a.json", source="a.json", format="json", content="Body line one.\r\nBody line two.\n",
        url="https://www.bbc.co.uk/news/world-1",
        meta={"title": "  A  headline ", "published": "Thu, 05 Oct 2023 09:00:00 GMT",
              "outlet": "BBC News", "url": "https://www.bbc.co.uk/news/world-1",
              "text": "Body line one.\r\nBody line two.\n"},
    )
    article = extract(doc)
    assert article.text == "Body line one.\nBody line two."
    assert (article.title, article.published, article.outlet_name) == (
        "A headline", "2023-10-05T09:00:00Z", "BBC News")
    assert (article.url, article.domain, article.format) == (
        "https://www.bbc.co.uk/news/world-1", "bbc.co.uk", "json")


def test_json_html_article_runs_the_html_path() -> None:
    html = (HTML / "vi_tinvidu.html").read_text(encoding="utf-8")
    doc = Document(id="b.json", source="b.json", format="json", content=html,
                   meta={"html": html, "title": "Given title", "published": "2023-10-09"})
    article = extract(doc)
    assert "rà soát xuất phát từ lo ngại" in article.text and "Chia sẻ" not in article.text
    assert article.title == "Given title"  # the JSON field wins over the page
    assert article.published == "2023-10-09"
    assert article.outlet_name == "Tin Ví Dụ"


# -------------------------------------------------------------------------- plain text


def test_text_normalisation() -> None:
    decomposed = unicodedata.normalize("NFD", "Thành phố Liège")
    # str content, as JSON-provided text arrives (raw bytes with a NUL are refused as binary)
    raw = f"Title here  \r\n\r\n\r\n\r\n{decomposed}\x00 said\x07 it.\t \r\nNext\u2028line\x0cpage\n\n"
    article = extract(text_doc(raw))
    assert article.text == "Title here\n\nThành phố Liège said it.\nNext\nline\npage"
    assert unicodedata.is_normalized("NFC", article.text)
    assert article.title == "Title here"
    assert article.published is None and article.url is None


def test_crlf_and_lf_copies_hash_the_same() -> None:
    lf = extract(text_doc("Headline\n\nSome text.\n".encode()))
    crlf = extract(text_doc("Headline\r\n\r\nSome text.\r\n".encode()))
    assert lf.text == crlf.text and lf.content_hash == crlf.content_hash


def test_text_keeps_user_line_structure() -> None:
    text = "First paragraph line.\nSecond line of the same text.\n\n  Indented quote."
    assert normalize_text(text) == text


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Port reviews cargo contracts\n\nThe harbour authority said...", "Port reviews cargo contracts"),
        ("Is the port safe?\nThe harbour authority said on Thursday it had opened a review.", "Is the port safe?"),
        ("항만청, 화물 계약 전면 재검토\n\n한 해안 도시의 항만청은 재검토에 착수했다.", "항만청, 화물 계약 전면 재검토"),
        ("The authority said it was reviewing contracts.\n\nMore text.", None),  # a sentence
        ("A longer first line\nthen shorter", None),  # followed by a shorter line: not a headline
        ("Only one line without a break", None),
        ("x" * 250 + "\n\nbody", None),
        ("Notes:\n\nfirst item", None),
        ("## Port Review\n\nText of the note.", "Port Review"),
        ("Senator Says No to the Budget Deal.\n\nThe senator said on Monday...",
         "Senator Says No to the Budget Deal."),
        ("The senator said no to the budget deal on Monday.\n\nShe added...", None),  # a lede
        ("Senator Says No. Budget Deal Dies.\n\nText.", None),  # two sentences
    ],
)
def test_guess_title(text: str, title: str | None) -> None:
    assert guess_title(text) == title


@pytest.mark.parametrize("content", ["\x00\x01 \n \x02\ufeff", "\u200b\n\n— …"])
def test_empty_text_is_an_extract_error(content: str) -> None:
    with pytest.raises(ExtractError, match="no article text"):
        extract(text_doc(content))


# ---------------------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        ("\ufeffcafé".encode(), None, "café"),
        ("café au lait".encode("utf-16"), None, "café au lait"),  # with BOM
        ("Plain café text, long enough".encode("utf-16-le"), None, "Plain café text, long enough"),
        ("Œuvre – “quoted” €5".encode("cp1252"), None, "Œuvre – “quoted” €5"),
        ("Größe".encode("cp1252"), "text/plain; charset=ISO-8859-1", "Größe"),
        ("naïve".encode(), "text/html; charset=iso-8859-1", "naïve"),  # mislabelled UTF-8
        ('<meta charset="windows-1251"><p>Привет, мир</p>'.encode("cp1251"), None,
         '<meta charset="windows-1251"><p>Привет, мир</p>'),
        ("中国日报报道了这个消息，港口正在审查合同。".encode("gb18030"), None,
         "中国日报报道了这个消息，港口正在审查合同。"),
        ("Thành phố Liège, thứ năm, hợp đồng".encode() + b"\xff", "text/html; charset=utf-8",
         "Thành phố Liège, thứ năm, hợp đồng\ufffd"),  # one broken byte does not make it cp1252
    ],
)
def test_decode_bytes(data: bytes, content_type: str | None, expected: str) -> None:
    assert decode_bytes(data, content_type=content_type) == expected


@pytest.mark.parametrize("data", [b"GIF89a\x00\x01\x00\x01\x80\x00\x00" + bytes(range(256)),
                                  bytes(range(0, 32)) * 20])
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(data)


# ---------------------------------------------------------------------- small helpers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-10-05", "2023-10-05"),
        ("2023-10-05T09:00:00Z", "2023-10-05T09:00:00Z"),
        ("2023-10-05T11:00:00+0200", "2023-10-05T09:00:00Z"),
        ("2023-10-05 09:00", "2023-10-05T09:00:00"),
        ("5 October 2023", "2023-10-05"),
        ("October 5, 2023", "2023-10-05"),
        ("yesterday", None),
        ("", None),
        (20231005, None),
    ],
)
def test_normalize_date(value: object, expected: str | None) -> None:
    assert normalize_date(value) == expected


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.ft.com/content/abc", "ft.com"),
        ("https://news.bbc.co.uk/2/hi", "bbc.co.uk"),
        ("http://edition.cnn.com/2023/10/05/x.html", "cnn.com"),
        ("http://127.0.0.1:8000/x", None),
        (None, None),
    ],
)
def test_registered_domain(url: str | None, domain: str | None) -> None:
    assert registered_domain(url) == domain


@dataclass
class FakeOutlet:
    id: str
    name: str


class FakeRegistry:
    def resolve(self, text: str) -> FakeOutlet | None:
        return FakeOutlet("outlet:bbc", "BBC") if "bbc.co.uk" in text else None

    def outlet_for(self, name: str) -> FakeOutlet:
        return FakeOutlet("outlet:" + name.lower().replace(" ", "-"), name)


def test_registry_sets_the_publisher_outlet() -> None:
    known = extract(text_doc(b"Text.", url="https://www.bbc.co.uk/news/1"), registry=FakeRegistry())
    assert (known.outlet, known.outlet_name) == ("outlet:bbc", "BBC")
    doc = Document(id="j", source="j", format="json", content="Text.",
                   meta={"text": "Text.", "outlet": "Daily Zorb"})
    unknown = extract(doc, registry=FakeRegistry())
    assert (unknown.outlet, unknown.outlet_name) == ("outlet:daily-zorb", "Daily Zorb")
    assert extract(text_doc(b"Text.")).outlet is None


def test_plain_text_does_not_import_trafilatura() -> None:
    code = (
        "import sys\n"
        "from provenance.ingest import iter_documents\n"
        "from provenance.extract import extract\n"
        "docs = list(iter_documents(['tests/fixtures/ingest/corpus/a_first.txt']))\n"
        "extract(docs[0])\n"
        "heavy = [m for m in ('trafilatura', 'htmldate', 'httpx', 'lxml') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == ""
