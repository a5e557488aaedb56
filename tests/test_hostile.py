"""Hostile and unlucky input (issue 11): no batch lost, no hang, no traceback, no leak.

Each test reproduces one defect class of the issue; all inputs are written here.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance.cli import main
from provenance.ingest import iter_documents
from provenance.models import Document, InputError
from provenance.store import Store

GOOD = ("Harbour workers strike over pay\n\nDock workers in the port city walked off the job on "
        "Monday after talks with the harbour authority collapsed over a proposed pay freeze.\n")
SHARED = ("The union said the strike would continue until the authority withdrew the freeze and "
          "agreed to index wages to inflation, which reached six percent last year.")


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("PROVENANCE_DB", str(tmp_path / "default.db"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# 1. One bad file loses the batch ----------------------------------------------------------

def test_parser_crashes_cost_one_input_not_the_batch(runner, tmp_path):
    (tmp_path / "good.txt").write_text(GOOD)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "deep.jsonl").write_text('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    (tmp_path / "s.html").write_text("<svg><p><p>")  # lxml AssertionError inside trafilatura
    result = runner.invoke(main, ["ingest", "good.txt", "deep.json", "deep.jsonl", "s.html",
                                  "--db", "x.db"])
    no_traceback(result)
    assert result.exit_code == 1
    assert "1 added" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and "nested too deeply" in errors[0]
    with Store(tmp_path / "x.db") as store:
        assert [a.id for a in store.articles()] == ["good.txt"]


def test_deep_json_on_stdin_is_one_error():
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    import io

    (error,) = list(iter_documents(["-"], stdin=io.BytesIO(deep)))
    assert isinstance(error, InputError) and "nested too deeply" in error.message


# 2. A FIFO inside a directory hangs forever -----------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_fifo_in_a_directory_is_skipped_with_a_note(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.txt").write_text(GOOD)
    os.mkfifo(folder / "p.txt")
    results: list = []
    worker = threading.Thread(target=lambda: results.extend(iter_documents([str(folder)])),
                              daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive(), "reading a directory with a FIFO in it hung"
    assert [type(r) for r in results] == [Document, InputError]
    assert "FIFO" in results[1].message


# 6. Error lines are one line, without raw escapes -----------------------------------------

def test_names_with_newlines_and_escapes_print_as_one_escaped_line(runner, tmp_path):
    hostile = "evil\nerror: forged\x1b]8;;x\x07.txt"
    (tmp_path / hostile).write_bytes(b"\x00\x01\x02\xff" * 100)  # binary: an error naming it
    result = runner.invoke(main, ["ingest", hostile, "--db", "x.db"])
    no_traceback(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "evil\\nerror: forged\\x1b]8;;x\\x07.txt" in lines[0]


def test_duplicate_note_escapes_names(runner, tmp_path):
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "b\x1b[2J.txt").write_text(GOOD)
    result = runner.invoke(main, ["ingest", "a.txt", "b\x1b[2J.txt", "--db", "x.db"])
    assert "note: b\\x1b[2J.txt has the same text as a.txt" in result.stdout
    assert "\x1b" not in result.output


# 7. show interprets ids as rich markup ----------------------------------------------------

@pytest.mark.parametrize("name", ["q[/x]a.txt", "[link=file:/etc/passwd]b[/link].txt"])
def test_show_prints_ids_literally(runner, tmp_path, name):
    (tmp_path / "wire.txt").write_text(GOOD + "\n" + SHARED + "\n")
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)  # "q[/x]a.txt": q[ is a folder
    (tmp_path / name).write_text("Paper reprints the wire\n\n" + SHARED + "\n\nMore local colour.\n")
    traced = runner.invoke(main, ["trace", "wire.txt", name, "--db", "x.db", "--no-embeddings"])
    assert traced.exit_code == 0, traced.output
    result = runner.invoke(main, ["show", "wire.txt", name, "--db", "x.db"])
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "\x1b]8;" not in result.output  # no terminal hyperlink
    assert name[:8] in result.output


# 8. Database problems surface as tracebacks -----------------------------------------------

def _stored_db(runner, tmp_path) -> Path:
    (tmp_path / "a.txt").write_text(GOOD)
    (tmp_path / "b.txt").write_text("Another story\n\n" + SHARED + "\n")
    assert runner.invoke(main, ["ingest", "a.txt", "b.txt", "--db", "ok.db"]).exit_code == 0
    return tmp_path / "ok.db"


def _damage(kind: str, path: Path) -> None:
    data = path.read_bytes()
    if kind == "png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000)
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif kind == "v99":
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 99")
        conn.close()
    elif kind == "garbage-in-the-middle":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes(range(256)) * 256 + data[middle + 65536 :])
    elif kind == "garbage-in-the-articles":  # every page of the articles table, whatever the layout
        conn = sqlite3.connect(path)
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [n for (n,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'articles'")]
        conn.close()
        damaged = bytearray(data)
        for page in pages:
            damaged[(page - 1) * size : page * size] = (bytes(range(256)) * (size // 256 + 1))[:size]
        path.write_bytes(bytes(damaged))


@pytest.mark.parametrize("kind", ["png", "truncated", "v99", "garbage-in-the-middle"])
@pytest.mark.parametrize("command", ["tree", "ingest", "trace", "attributions"])
def test_a_broken_database_is_one_clear_error(runner, tmp_path, kind, command):
    db = _stored_db(runner, tmp_path)
    _damage(kind, db)
    args = {"tree": ["tree"], "ingest": ["ingest", "a.txt"], "attributions": ["attributions"],
            "trace": ["trace", "a.txt", "--no-embeddings"]}[command]
    result = runner.invoke(main, [*args, "--db", str(db)])
    no_traceback(result)
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert "ok.db" in line and "added" not in result.stdout


def test_a_database_past_the_whole_file_check_size_still_fails_on_read_in_one_line(runner, tmp_path, monkeypatch):
    import provenance.store as store_module

    db = _stored_db(runner, tmp_path)
    _damage("garbage-in-the-articles", db)
    monkeypatch.setattr(store_module, "QUICK_CHECK_MAX_BYTES", 0)  # as if it were a large archive
    result = runner.invoke(main, ["tree", "--db", str(db)])
    no_traceback(result)
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert "ok.db" in line


def test_tree_on_a_read_only_database_reads_without_writing(runner, tmp_path, monkeypatch):
    db = _stored_db(runner, tmp_path)
    os.chmod(db, 0o444)
    # Root may write a 0444 file anyway: tell the store what a normal user's access is.
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == db
                        and mode & os.W_OK else real_access(p, mode, **kw))
    before = db.read_bytes()
    result = runner.invoke(main, ["tree", "--db", str(db)])
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "a.txt" in result.stdout and db.read_bytes() == before
    refused = runner.invoke(main, ["ingest", "a.txt", "--db", str(db)])
    assert refused.exit_code == 1 and "read-only" in refused.stderr


# 12. An id collision drops an article silently --------------------------------------------

def test_an_id_clash_is_reported_not_dropped(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join('{"text": "article number %d here"}' % i
                                              for i in range(3)))
    (folder / "a.jsonl#2").write_text(GOOD)
    results = list(iter_documents([str(folder)]))
    assert [r.id for r in results if isinstance(r, Document)] == [
        f"{folder}/a.jsonl#1", f"{folder}/a.jsonl#2", f"{folder}/a.jsonl#3"]
    (clash,) = [r for r in results if isinstance(r, InputError)]
    assert clash.source == f"{folder}/a.jsonl#2" and "id clash" in clash.message


# 5. Concurrent writers --------------------------------------------------------------------

WRITER = """
import sys
from provenance.pipeline import ingest
from provenance.store import Store
folder, db = sys.argv[1], sys.argv[2]
with Store(db) as store:
    report = ingest([folder], store)
sys.exit(1 if report.errors else 0)
"""


def _articles(folder: Path, tag: str, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        (folder / f"{tag}{i:03d}.txt").write_text(
            f"Report {tag} {i}\n\nThe council of district {tag}{i} met on day {i} to vote on "
            f"budget line {i * 7} for the {tag} quarter; {i} members attended.\n")


@pytest.mark.parametrize("count", [300])
def test_two_processes_writing_one_new_database_lose_nothing(tmp_path, count):
    _articles(tmp_path / "x", "x", count)
    _articles(tmp_path / "y", "y", count)
    db = tmp_path / "shared.db"  # new file: both processes also race to create the schema
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / tag), str(db)],
                                env=env, stderr=subprocess.PIPE, text=True)
               for tag in ("x", "y")]
    outcomes = [(w.wait(timeout=60), w.stderr.read()) for w in writers]
    assert outcomes == [(0, ""), (0, "")]
    with Store(db) as store:
        assert len(store.articles()) == 2 * count


# 9. URL credentials are stored and printed ------------------------------------------------

class _Page(__import__("http.server").server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = ("<html><head><title>Harbour strike</title></head><body><article><p>"
                + GOOD.replace("\n", " ") + "</p><p>" + SHARED + "</p></article></body></html>")
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_url_credentials_are_neither_stored_nor_printed(runner, tmp_path):
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://user:pa55@127.0.0.1:{server.server_port}/ok?id=7&token=s3cr3t"
        stored = runner.invoke(main, ["ingest", url, "--db", "x.db"])
        assert stored.exit_code == 0, stored.output
        tree = runner.invoke(main, ["tree", "--db", "x.db"])
    finally:
        server.shutdown()
        server.server_close()
    for output in (stored.output, tree.output):
        assert "pa55" not in output and "s3cr3t" not in output
    with Store(tmp_path / "x.db") as store:
        (article,) = store.articles()
    clean = f"http://127.0.0.1:{server.server_port}/ok?id=7&token=REDACTED"
    assert (article.id, article.source, article.url) == (clean, clean, clean)
    assert b"pa55" not in (tmp_path / "x.db").read_bytes()


# 10. Wrong charset labels, BOM-less UTF-16, a stray NUL, short legacy texts ---------------

from provenance.extract import ExtractError, decode_bytes, extract  # noqa: E402

JAPANESE = "港湾局は木曜日、貨物契約の見直しを始めたと発表した。\n審査は数週間続く見込みだ。"
RUSSIAN = "Портовые рабочие объявили забастовку. Переговоры о зарплате зашли в тупик."
FRENCH = "Les dockers ont cessé le travail après l'échec des négociations, « grève » à 5 €."


@pytest.mark.parametrize(("data", "label", "expected"), [
    (JAPANESE.encode(), "text/html; charset=shift_jis", JAPANESE),  # UTF-8 labelled legacy
    (RUSSIAN.encode(), "text/plain; charset=koi8-r", RUSSIAN),
    (RUSSIAN.encode("cp1251"), "text/html; charset=iso-8859-1", RUSSIAN),  # wrong code page
    (FRENCH.encode("cp1252"), "text/plain; charset=utf-8", FRENCH),  # legacy labelled UTF-8
    (RUSSIAN.encode("koi8-r"), "text/plain; charset=koi8-r", RUSSIAN),  # a true label holds
])
def test_a_charset_label_is_checked_against_the_bytes(data, label, expected):
    assert decode_bytes(data, content_type=label) == expected


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_text_not_binary(tmp_path, encoding):
    path = tmp_path / "ja.txt"
    path.write_bytes(JAPANESE.encode(encoding))
    (doc,) = list(iter_documents([str(path)]))
    assert isinstance(doc, Document), doc
    assert extract(doc).text == JAPANESE


def test_utf8_with_one_nul_byte_is_text_not_binary(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes((GOOD[:40] + "\x00" + GOOD[40:]).encode())
    (doc,) = list(iter_documents([str(path)]))
    assert isinstance(doc, Document), doc
    assert extract(doc).text == GOOD.strip()  # the NUL itself is dropped


@pytest.mark.parametrize(("text", "encoding"), [
    ("北京新闻", "gb18030"), ("港口罢工", "gb18030"), ("港務局宣布審查合約", "big5"),
    ("Привет, мир", "cp1251"), ("Москва заявила", "cp1251"), ("Забастовка в порту", "koi8-r"),
    ("항만청 재검토", "euc-kr"), ("港湾局が発表", "shift_jis"), ("Λιμάνι της Αθήνας", "cp1253"),
    ("إضراب عمال الميناء", "cp1256"), ("Größe", "cp1252"), ("Café à Liège", "cp1252"),
])
def test_short_legacy_texts_decode_right(text, encoding):
    assert decode_bytes(text.encode(encoding)) == text


@pytest.mark.parametrize(("text", "encoding"), [
    ("Les dockers du port ont cessé le travail lundi après l'échec des négociations. Le "
     "syndicat a déclaré que la grève continuerait jusqu'au retrait du gel des salaires.",
     "cp1252"),  # charset_normalizer alone calls this Hungarian in cp1250
    ("עובדי הנמל פתחו היום בשביתה בעקבות כישלון המשא ומתן על השכר. לדברי ההסתדרות, "
     "השביתה תימשך עד שההנהלה תחזור בה מההחלטה להקפיא את השכר.", "cp1255"),
    ("İstanbul limanında işçiler bugün greve başladı. Sendika, ücretlerin dondurulması "
     "kararı geri alınana kadar grevin süreceğini açıkladı.", "cp1254"),
    ("항만 노동자들이 임금 협상 결렬 이후 오늘 파업에 돌입했다. 노조는 임금 동결 결정이 "
     "철회될 때까지 파업을 계속하겠다고 밝혔다.", "euc-kr"),
])
def test_paragraph_legacy_texts_decode_right(text, encoding):
    assert decode_bytes(text.encode(encoding)) == text


@pytest.mark.parametrize("data", [bytes(range(256)) * 8, b"\x00\x01\x02\xff" * 100,
                                  b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))])
def test_binary_stays_binary(data):
    from provenance.extract import DecodeError

    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(data)


# 11. Malformed HTML loses text ------------------------------------------------------------

LEAD = ("Dock workers in the port city walked off the job on Monday after talks with the "
        "harbour authority collapsed over a proposed pay freeze.")
SECOND = ("The union said the strike would continue until the authority withdrew the freeze "
          "and agreed to index wages to inflation.")
THIRD = ("Shipping companies warned that cargo would be diverted to other ports if the "
         "stoppage lasted more than a week.")


def _html_text(html: str) -> str:
    return extract(Document(id="p.html", source="p.html", content=html.encode(),
                            format="html")).text


@pytest.mark.parametrize("html", [
    f"{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p>",  # the first paragraph lost its <p>
    f"<html><body>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p></body></html>",
    f"<html><body>{LEAD[:40]}<b>{LEAD[40:60]}</b>{LEAD[60:]}<p>{SECOND}</p><p>{THIRD}</p>",
    f"<html><body><p>{LEAD}<p>{SECOND}<p>{THIRD}",  # nothing closed at all
])
def test_an_unclosed_first_paragraph_is_kept(html):
    text = _html_text(html)
    assert text.split("\n\n") == [LEAD, SECOND, THIRD]


def test_a_crash_inside_trafilatura_falls_back_to_the_text_pass():
    # "<svg><p><p>" makes lxml assert inside trafilatura's date search (issue item 1); the
    # paragraphs a browser shows after it are still read.
    text = _html_text(f"<svg><p><p>{LEAD}<p>{SECOND}")
    assert text == f"{LEAD}\n\n{SECOND}"
    with pytest.raises(ExtractError, match="no article text"):
        _html_text("<svg><p><p>")


def test_loose_text_with_control_characters_is_kept():
    # Found by test_fuzz.py: lxml parses a form feed it refuses to set on a new element.
    text = _html_text(f"<html><body>{LEAD[:30]}\x0c\x01{LEAD[30:]}<p>{SECOND}</p>")
    assert text.split("\n\n")[1] == SECOND and text.startswith(LEAD[:30])


@pytest.mark.parametrize(("depth", "tag"), [(300, "div"), (10_000, "div"), (10_000, "span")])
def test_deeply_nested_pages_still_give_their_text(depth, tag):
    html = ("<html><head><title>Strike</title></head><body>" + f"<{tag}>" * depth
            + f"<p>{LEAD}</p><p>{SECOND}</p>" + f"</{tag}>" * depth
            + f"<p>{THIRD}</p></body></html>")
    text = _html_text(html)
    for paragraph in (LEAD, SECOND, THIRD):
        assert paragraph in text


def test_the_plain_text_pass_reads_what_no_tree_can():
    from provenance.extract import _plain_text_pass

    html = ("<head><title>T</title><script>var x = '<p>no</p>';</script>"  # head left open
            "<body><nav>Home | World</nav>" + "<div>" * 5000 + f"<p>{LEAD}<p>{SECOND}"
            "<footer>Copyright</footer>")
    assert _plain_text_pass(html) == f"{LEAD}\n\n{SECOND}"
    assert _plain_text_pass("<head><title>T<p>One &amp; two<br>three\n four") == \
        "One & two\nthree four"  # an unclosed head ends at the first block; <br> breaks a line
