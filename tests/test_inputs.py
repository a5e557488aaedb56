"""Inputs users have: lists of inputs (--from-file), WARC archives, corpus folders with
their README and gold files, and a list file named by mistake as an article."""
import gzip
import io
import json

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from provenance import pipeline
from provenance.cli import main
from provenance.ingest import iter_documents, looks_like_input_list, read_input_list
from provenance.models import Document, InputError

STORY = """Bridge closed after cracks found

Engineers closed the old river bridge on Tuesday after inspectors found cracks in two of its supporting piers during a routine survey.

The city council said traffic would be diverted through the northern ring road for at least three weeks while repairs are planned.
"""

PAGE = """<!doctype html><html><head><title>{title}</title>
<meta property="og:site_name" content="{site}"></head><body><article><h1>{title}</h1>
<p>{body}</p><p>The council said traffic would be diverted through the northern ring road for at least three weeks while repairs are planned and funded.</p>
</article></body></html>"""


def warc_bytes(records, *, gzip_it: bool) -> bytes:
    """A WARC written with warcio, as a crawler would: (url, content type, status, body)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip_it)
    for url, content_type, status, body in records:
        headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                           http_headers=headers)
        writer.write_record(record)
    return buffer.getvalue()


def crawl() -> list:
    first = PAGE.format(title="Bridge closed", site="River Post",
                        body="Engineers closed the old river bridge on Tuesday after inspectors found cracks.")
    second = PAGE.format(title="Cracks shut the bridge", site="Valley News",
                         body="Inspectors found cracks in two piers, and engineers closed the bridge.")
    return [
        ("https://riverpost.example/bridge", "text/html; charset=utf-8", "200 OK", first.encode()),
        ("https://riverpost.example/logo.png", "image/png", "200 OK", b"\x89PNG\r\n"),
        ("https://valleynews.example/old", "text/html", "301 Moved Permanently", b""),
        ("https://valleynews.example/bridge", "text/html", "200 OK", second.encode()),
    ]


@pytest.mark.parametrize("name,gzip_it", [("crawl.warc", False), ("crawl.warc.gz", True)])
def test_every_html_response_of_a_warc_is_an_article_with_its_url_and_date(tmp_path, name, gzip_it):
    path = tmp_path / name
    path.write_bytes(warc_bytes(crawl(), gzip_it=gzip_it))
    found = list(iter_documents([str(path)]))
    assert all(isinstance(d, Document) for d in found), found
    assert [d.id for d in found] == [f"{path}#1", f"{path}#2"]
    assert [d.url for d in found] == ["https://riverpost.example/bridge", "https://valleynews.example/bridge"]
    assert all(d.format == "html" and d.meta["captured"][:4].isdigit() for d in found)

    result = pipeline.trace([str(path)], crosslingual=False)
    assert not result.errors
    by_url = {a.url: a for a in result.articles}
    assert set(by_url) == {"https://riverpost.example/bridge", "https://valleynews.example/bridge"}
    # the pages give no date of their own: the capture date stands in, and says so
    article = by_url["https://riverpost.example/bridge"]
    assert article.published and "WARC-Date" in article.published_evidence


def test_a_warc_inside_a_directory_is_read_and_a_broken_one_is_one_error(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "crawl.warc.gz").write_bytes(warc_bytes(crawl(), gzip_it=True))
    (folder / "broken.warc").write_bytes(b"this is not an archive at all\n" * 3)
    found = list(iter_documents([str(folder)]))
    documents = [d for d in found if isinstance(d, Document)]
    errors = [e for e in found if isinstance(e, InputError)]
    assert [d.id for d in documents] == [f"{folder}/crawl.warc.gz#1", f"{folder}/crawl.warc.gz#2"]
    assert len(errors) == 1 and errors[0].source.endswith("broken.warc")


def test_a_directory_skips_what_is_not_an_article_with_one_note(tmp_path):
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "report.txt").write_text(STORY, encoding="utf-8")
    (folder / "gold.json").write_text(json.dumps({"edges": []}), encoding="utf-8")
    (folder / "README.md").write_text("# About this corpus\n", encoding="utf-8")
    (folder / "LICENSE").write_text("MIT\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    notes = []
    found = list(iter_documents([str(folder)], on_note=notes.append))
    assert [d.id for d in found] == [f"{folder}/report.txt"]
    assert len(notes) == 1
    for name in ("gold.json", "README.md", "LICENSE", ".DS_Store", ".git/"):
        assert name in notes[0]
    # named directly, a file is still read (and gold.json fails as the non-article it is)
    assert isinstance(next(iter_documents([str(folder / "gold.json")])), InputError)


def test_cli_prints_the_note_and_exits_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "story").mkdir()
    (tmp_path / "story" / "report.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "story" / "gold.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["trace", "story", "--no-embeddings"])
    assert result.exit_code == 0, result.output
    assert "note: story: skipped 1 file(s) that are not articles: gold.json" in result.stderr


@pytest.mark.parametrize("text,is_list", [
    ("https://a.example/one\nhttps://b.example/two?x=1\n", True),
    ("# my corpus\nstory/a.txt\n\nhttps://a.example/x\npages/b.html\n", True),
    ("https://a.example/only-a-link-and\nsome words of an article follow here.\n", False),
    (STORY, False),
    ("\n\n", False),
])
def test_a_list_of_inputs_is_recognised(text, is_list):
    assert looks_like_input_list(text) is is_list


def test_tracing_a_list_file_names_it_and_hints_from_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "urls.txt").write_text("https://a.example/one\nhttps://b.example/two\n")
    result = CliRunner().invoke(main, ["trace", "urls.txt", "--no-embeddings", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["articles"] == []
    assert "use --from-file urls.txt" in data["errors"][0]["message"]


def test_from_file_reads_paths_and_stdin_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "b.txt").write_text(STORY.replace("Tuesday", "Wednesday"), encoding="utf-8")
    (tmp_path / "list.txt").write_text("# two reports\na.txt\n\n  b.txt  \n", encoding="utf-8")
    assert read_input_list(str(tmp_path / "list.txt")) == ["a.txt", "b.txt"]
    runner = CliRunner()
    for args, stdin in ((["--from-file", "list.txt"], None), (["--from-file", "-"], "a.txt\nb.txt\n"),
                        (["a.txt", "--from-file", "-"], "b.txt\n")):
        result = runner.invoke(main, ["trace", *args, "--no-embeddings", "--json"], input=stdin)
        assert result.exit_code == 0, result.output
        assert sorted(a["id"] for a in json.loads(result.stdout)["articles"]) == ["a.txt", "b.txt"]
    ingest = runner.invoke(main, ["ingest", "--from-file", "list.txt", "--db", "x.db"])
    assert ingest.exit_code == 0 and ingest.stdout.startswith("2 added")


def test_from_file_errors_are_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(main, ["trace", "--from-file", "nope.txt"])
    assert missing.exit_code != 0 and "cannot read --from-file nope.txt" in missing.output
    assert "no inputs" in runner.invoke(main, ["trace"]).output
    both = runner.invoke(main, ["trace", "-", "--from-file", "-"], input="")
    assert both.exit_code == 2 and "standard input" in both.output


def test_gzip_that_is_not_a_warc_in_a_directory_stays_skipped(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.txt").write_text(STORY, encoding="utf-8")
    (folder / "dump.gz").write_bytes(gzip.compress(b"x"))
    notes = []
    assert [d.id for d in iter_documents([str(folder)], on_note=notes.append)] == [f"{folder}/a.txt"]
    assert "dump.gz" in notes[0]
