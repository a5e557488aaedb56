"""Fuzz the read -> extract -> segment -> attribution -> store path (issue 11).

Hypothesis builds hostile and unlucky inputs: random bytes, HTML made of broken tags,
entities and attribution phrases in several scripts, JSON articles with odd fields, all in
assorted encodings and under assorted file names. Each must come out as a stored article,
an InputError or an ExtractError: any other exception is a bug. The run is bounded (a
fixed number of examples, each under a deadline) and deterministic (derandomize: the
same inputs every run, no example database).
"""
from __future__ import annotations

import io
import json
import os
from datetime import timedelta

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from provenance import align, publisher, segment  # noqa: E402
from provenance.attribution import extract_attributions  # noqa: E402
from provenance.extract import ExtractError, extract  # noqa: E402
from provenance.ingest import iter_documents  # noqa: E402
from provenance.models import Document, InputError  # noqa: E402
from provenance.outlets import default_registry  # noqa: E402
from provenance.pipeline import prepare  # noqa: E402
from provenance.store import Store  # noqa: E402

# About 4 s on a quiet machine; PROVENANCE_FUZZ_EXAMPLES=2000 for a deeper run by hand.
EXAMPLES = int(os.environ.get("PROVENANCE_FUZZ_EXAMPLES", "100"))
PER_EXAMPLE = timedelta(seconds=10)  # generous: the machine may be busy

PIECES = [
    "<p>", "</p>", "<div>", "</div>", "<span>", "<b>", "<a href='javascript:x'>", "</a>",
    "<svg>", "<math>", "<table><tr><td>", "<li>", "<br>", "<script>", "</script>", "<style>",
    "<!--", "-->", "<![CDATA[", "]]>", "<html>", "<body>", "</body>", "<head>", "<title>",
    "<meta charset=koi8-r>", "<meta charset='utf-16'>", "<?xml version='1.0' encoding='x'?>",
    "<meta property='og:url' content='http://a.example/x'>", "<link rel=canonical href=//x>",
    "&amp;", "&#0;", "&#xD800;", "&#x110000;", "&nbsp;", "&bogus;", "<", ">", "\"", "'",
    "\n", "\n\n", "\r\n", "\t", "\x00", "\x0c", "\ufeff", "\u200b", "\u202e", "\u2028",
    "According to the FT,", "(With information from Reuters and EFE)", "Theo FT,",
    "FT에 따르면", "menurut Antara", "AFP", "— Reuters", "Photo: AP", "By Jane Doe",
    "2023-10-05", "5 October 2023", "Harbour workers strike over pay.",
    "港口工人周一罢工。", "Портовые рабочие бастуют.", "عمال الميناء", "[", "]", "{", "}",
    '"text": ', '"html": ', ",", ":",
]

words = st.one_of(st.sampled_from(PIECES), st.text(max_size=12))
markup = st.lists(words, max_size=40).map("".join)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                        st.text(max_size=20), markup)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
article_object = st.fixed_dictionaries(
    {}, optional={"text": st.one_of(markup, json_value), "html": st.one_of(markup, json_value),
                  "url": st.one_of(st.sampled_from(["http://u:p@a.example/x?token=1",
                                                    "javascript:alert(1)", "//x", ""]),
                                   json_value),
                  "title": json_value, "published": json_value, "outlet": json_value})
json_text = st.one_of(
    article_object.map(json.dumps),
    st.lists(article_object, max_size=3).map(json.dumps),
    st.lists(article_object, max_size=3).map(lambda items: "\n".join(map(json.dumps, items))),
    json_value.map(json.dumps),
    markup,  # not JSON at all, under a .json name
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1251", "cp1252",
                             "gb18030", "shift_jis", "koi8-r"])


@st.composite
def hostile_input(draw) -> tuple[str, bytes]:
    """(file extension, bytes): what ends up in a file or on stdin."""
    extension = draw(st.sampled_from([".txt", ".html", ".json", ".jsonl", "", ".md"]))
    kind = draw(st.sampled_from(["bytes", "markup", "json", "deep"]))
    if kind == "bytes":
        return extension, draw(st.binary(max_size=600))
    if kind == "deep":  # past libxml2's 256 levels: the flattening path
        opening = draw(st.sampled_from(["<div>", "<span>", "<p>", "<li>", "<blockquote>", "<b>"]))
        text = opening * draw(st.integers(250, 3000)) + draw(markup)
    else:
        text = draw(json_text if kind == "json" else markup)
    return extension, text.encode(draw(encodings), errors="replace")


def _store_one(doc: Document, store: Store, registry) -> None:
    """The pipeline's per-article path, without its catch-all: what may raise, raises."""
    try:
        article = prepare(extract(doc, registry=registry))
    except ExtractError as exc:
        assert "\n" not in str(exc)
        return
    for paragraph in article.paragraphs:  # offsets point into the stored text
        assert article.text[paragraph.start:paragraph.end] == paragraph.text
    credits = extract_attributions(article, registry)
    for credit in credits:
        assert 0 <= credit.start <= credit.end <= len(article.text)
    publisher.apply_publisher(article, publisher.infer_publisher(article, credits, registry),
                              credits)
    segment.mark_repeated([article])
    signatures = {u.paragraph.index: u.minhash.hashvalues for u in align.prepare(article)}
    store.add_article(article, credits, signatures)
    assert article.id in {a.id for a in store.articles([article.id])}


@pytest.fixture(scope="module")
def registry():
    """The outlet registry, with the path warmed up: trafilatura's import and the first
    compile of the attribution patterns (seconds: all languages' for a text of no known
    language, "x7") are not an example's cost."""
    outlets = default_registry()
    with Store(":memory:") as store:
        for fmt, content in (("html", b"<p>Warm up, according to Reuters.</p>"),
                             ("txt", b"Warm up, according to Reuters."), ("txt", b"x7")):
            _store_one(Document(id=fmt, source=fmt, format=fmt, content=content), store, outlets)
    return outlets


# Each example must finish within PER_EXAMPLE: a hang or a blow-up fails the test.
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=PER_EXAMPLE,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(sample=hostile_input(), on_stdin=st.booleans())
def test_hostile_inputs_are_stored_or_refused_in_one_line(tmp_path, registry, sample, on_stdin):
    extension, data = sample
    if on_stdin:
        results = list(iter_documents(["-"], stdin=io.BytesIO(data)))
    else:
        path = tmp_path / f"in{extension}"
        path.write_bytes(data)
        results = list(iter_documents([str(path)]))
    with Store(":memory:") as store:
        for result in results:
            if isinstance(result, InputError):
                assert result.message and "\n" not in result.message
                continue
            _store_one(result, store, registry)

