"""The HTML report (issue 10, item 2): rendered from real traces, opened in a real browser.

The browser is Debian's chromium, driven headless (``--dump-dom``, ``--screenshot``, its
console on stderr). Without it the browser tests skip and say why; `.ci/run` installs it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance import htmlreport, pipeline
from provenance.cli import main
from provenance.models import Edge

ROOT = Path(__file__).resolve().parent.parent

# A wire story and a paper that copies two of its paragraphs, one of them carrying the
# same quoted words of a third party (a union leader).
WIRE = """Harbour workers strike over pay

PORTVILLE (Wire Agency) - Dock workers in the port city walked off the job on Monday after talks with the harbour authority collapsed over a proposed pay freeze.

The union leader told reporters that "we will stay out until the freeze is gone and wages follow prices again" before leading a march to the harbour office.

Shipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several vessels were already waiting at anchor offshore.
"""
PAPER = {
    "title": "Dockers stop work",
    "published": "2024-03-05",
    "outlet": "Daily Paper",
    "text": "Dock workers in the port city walked off the job on Monday after talks with the harbour "
            "authority collapsed over a proposed pay freeze.\n\nAt a rally outside the gates, a crowd cheered as "
            "she said \"we will stay out until the freeze is gone and wages follow prices again\" to loud applause."
            "\n\nShipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the "
            "region, and several vessels were already waiting at anchor offshore.\n\n"
            "Local traders said prices were already rising. (Wire Agency)",
}
# Hostile: markup in every field a page could carry, inside and around the shared text.
PWN_SCRIPT = "<script>document.title='pwned';document.body.appendChild(document.createElement('pwned-node'))</script>"
PWN_IMG = "<img src=x onerror=\"document.title='pwned-img';document.body.setAttribute('data-pwned','1')\">"
PWN_LINK = "<a id=pwned-link href=\"javascript:document.title='pwned-link'\">read more</a>"
HOSTILE = {
    "title": "Dockers " + PWN_SCRIPT + " strike",
    "published": "2024-03-06",
    "outlet": "Evil <svg onload=\"document.title='pwned-svg'\"> Times",
    "url": "https://evil.example/story?x=\"><b id=pwned-url>bold</b>",
    "text": "Dock workers in the port city " + PWN_IMG + " walked off the job on Monday after talks with the "
            "harbour authority collapsed over a proposed pay freeze.\n\n" + PWN_LINK + " Shipping companies "
            "warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several "
            "vessels were already waiting at anchor offshore. " + PWN_SCRIPT,
}


def write_corpus(folder: Path, hostile: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "wire.txt").write_text(WIRE, encoding="utf-8")
    (folder / "paper.json").write_text(json.dumps(PAPER), encoding="utf-8")
    if hostile:
        # The file name is hostile too: it becomes the article id shown on the page.
        (folder / "<img src=x onerror=alert(1)>.json").write_text(json.dumps(HOSTILE), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def seeds_html(tmp_path_factory) -> Path:
    cwd = os.getcwd()
    os.chdir(ROOT)  # ids "seeds/…" as the contract gives them
    try:
        result = pipeline.trace(["seeds/"], crosslingual=False)
    finally:
        os.chdir(cwd)
    path = tmp_path_factory.mktemp("report") / "seeds.html"
    htmlreport.write_report(result, path, graph="builtin")
    return result, path


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def assert_inert(html: str) -> None:
    """No script, no event handler, no script URL, no link off the page."""
    for tag, attrs in elements(html):
        assert tag not in ("script", "iframe", "object", "embed", "img", "pwned-node"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "xlink:href", "action"):
                assert (value or "").startswith("#"), (tag, name, value)


# --- rendered page, no browser ---------------------------------------------------------


def test_seeds_report_has_the_forest_the_graph_and_every_edge(seeds_html):
    result, path = seeds_html
    html = path.read_text(encoding="utf-8")
    assert_inert(html)
    tags = elements(html)
    comparisons = [a for t, a in tags if t == "article" and "comparison" in a.get("class", "")]
    result_edges = html.count('class="edge-line"')
    assert len(comparisons) == 5  # one side-by-side view per edge of the seeds
    assert result_edges >= 5
    assert sum(1 for t, a in tags if t == "g" and "node" in a.get("class", "")) == 7  # 5 articles, 2 outlets
    # The translation is shown paragraph against paragraph, numbered as a reader counts
    # (the text's first paragraph is 1).
    assert '<table class="pairs">' in html
    translation = next(m for m in result.matches if m.kind == "translation")
    expected = {p.a_paragraph + 1 for p in translation.pairs} | {p.b_paragraph + 1 for p in translation.pairs}
    table = html.split('<table class="pairs">', 1)[1].split("</table>", 1)[0]
    assert {int(n) for n in re.findall(r"¶(\d+)<", table)} == expected
    # Plain words, not the aligners' internal terms.
    for term in ("bridged by position", "decided by: anchors", "shared runs"):
        assert term not in html


def test_shared_spans_and_quoted_words_are_marked_differently(tmp_path):
    result = pipeline.trace([str(write_corpus(tmp_path / "story"))], crosslingual=False)
    # Which way the text went is lineage's business; here: the pair is an edge.
    assert any({Path(e.parent).name, Path(e.child).name} == {"paper.json", "wire.txt"} for e in result.edges)
    html = htmlreport.render_report(result.articles, result.outlets, result.edges, result.matches,
                                    result.attributions, graph="builtin")
    assert '<mark class="shared">' in html
    comparisons = html.split('id="comparisons"', 1)[1]
    quoted = re.findall(r'<mark class="quoted">(.*?)</mark>', comparisons, re.S)
    assert any("freeze is gone" in q for q in quoted)  # the union leader's words: a third party's, not reuse
    assert "Dockers stop work" in html and "Daily Paper" in html


def test_hostile_article_is_text_on_the_page(tmp_path):
    result = pipeline.trace([str(write_corpus(tmp_path / "story", hostile=True))], crosslingual=False)
    hostile_id = next(a.id for a in result.articles if "onerror" in a.id)
    assert any(e.child == hostile_id for e in result.edges)  # its text is on the page, side by side
    html = htmlreport.render_report(result.articles, result.outlets, result.edges, result.matches,
                                    result.attributions, graph="builtin")
    assert_inert(html)
    assert "&lt;script&gt;document.title=" in html
    assert "https://evil.example/story?x=&#34;&gt;&lt;b id=pwned-url&gt;" in html  # the URL, as text only
    assert "javascript:" not in html.replace("javascript:document.title=&#39;pwned", "")


def test_marked_runs_cover_the_text_once():
    text = "aa bb cc dd"
    runs = htmlreport.marked(text, 0, len(text), [(3, 8, False), (6, 11, True)])
    assert "".join(piece for piece, _ in runs) == text
    assert runs == [("aa ", ""), ("bb ", "shared"), ("cc dd", "quoted")]


def test_builtin_layout_puts_children_beside_their_parent_and_survives_a_cycle():
    page = htmlreport._Page([], [], [
        Edge("outlet:wire", "a", "attributed", 0.9),
        Edge("a", "b", "copy", 0.8),
        Edge("a", "c", "rewrite", 0.7),
        Edge("x", "y", "copy", 0.7),
        Edge("y", "x", "copy", 0.7),  # never in a forest; must not hang the drawing
    ], [], [])
    place, columns, rows = htmlreport._layout(page)
    assert "x" not in place and "y" not in place
    assert place["outlet:wire"][0] == 0 and place["a"][0] == 1 and place["b"][0] == place["c"][0] == 2
    assert place["b"][1] < place["c"][1] and place["b"][1] <= place["a"][1] <= place["c"][1]
    assert columns == 3
    svg = htmlreport._builtin_svg(page)
    assert svg.count('<g class="node') == len(place)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (the built-in layout is used)")
def test_graphviz_drawing_when_dot_is_installed(tmp_path):
    result = pipeline.trace([str(write_corpus(tmp_path / "story", hostile=True))], crosslingual=False)
    html = htmlreport.render_report(result.articles, result.outlets, result.edges, result.matches,
                                    result.attributions, graph="dot")
    assert "<svg" in html
    assert_inert(html)


def test_cli_trace_html_and_report_from_a_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_corpus(tmp_path / "story")
    runner = CliRunner()
    done = runner.invoke(main, ["trace", "story", "--no-embeddings", "--html", "one.html", "--db", "s.db"])
    assert done.exit_code == 0, done.output
    assert "Dockers stop work" in (tmp_path / "one.html").read_text(encoding="utf-8")
    done = runner.invoke(main, ["report", "--db", "s.db", "--html", "two.html"])
    assert done.exit_code == 0, done.output
    page = (tmp_path / "two.html").read_text(encoding="utf-8")
    assert "story/paper.json" in page and '<mark class="shared">' in page
    done = runner.invoke(main, ["report", "--db", "s.db", "--html", str(tmp_path / "no" / "such" / "x.html")])
    assert done.exit_code != 0 and "cannot write" in done.output


# --- in a real browser -------------------------------------------------------------------


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


needs_browser = pytest.mark.skipif(
    _browser() is None, reason="no headless chromium on this machine (.ci/run installs Debian's package)"
)


def open_in_browser(page: Path, tmp_path: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """(DOM after load, console messages) of ``page`` in headless chromium."""
    command = [
        _browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--no-first-run", "--disable-extensions", "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
        "--window-size=1280,1600", "--virtual-time-budget=2000", "--dump-dom",
    ]
    if screenshot is not None:
        command.append(f"--screenshot={screenshot}")
    done = subprocess.run([*command, page.resolve().as_uri()], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert "</html>" in done.stdout, done.stderr[-2000:]
    return done.stdout, console


@needs_browser
def test_seeds_report_loads_clean_in_chromium_and_is_photographed(seeds_html, tmp_path):
    shot = tmp_path / "seeds.png"
    dom, console = open_in_browser(seeds_html[1], tmp_path, screenshot=shot)
    assert console == []  # no script errors, no blocked script or load (the CSP would say)
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    assert "<svg" in dom and "Lineage graph" in dom


STORIES = Path(os.environ.get("PROVENANCE_BENCH_DATA", ROOT.parent / "shared" / "bench-data")) / "stories-dev"


@needs_browser
@pytest.mark.skipif(not STORIES.is_dir(), reason="the development stories (../shared/bench-data) are not here")
def test_development_stories_report_loads_clean_in_chromium(tmp_path):
    """Every development story, traced in one run: the page is inert and loads clean."""
    stories = sorted(str(p) for p in STORIES.iterdir() if p.is_dir())
    result = pipeline.trace(stories, crosslingual=False)
    assert result.edges
    page = htmlreport.write_report(result, tmp_path / "stories.html")
    html = page.read_text(encoding="utf-8")
    assert_inert(html)
    assert html.count('class="comparison"') == len(result.edges)
    dom, console = open_in_browser(page, tmp_path)
    assert console == []
    assert_inert(dom)


@needs_browser
def test_hostile_article_runs_nothing_in_chromium(tmp_path):
    result = pipeline.trace([str(write_corpus(tmp_path / "story", hostile=True))], crosslingual=False)
    page = htmlreport.write_report(result, tmp_path / "hostile.html", graph="builtin")
    dom, console = open_in_browser(page, tmp_path)
    assert console == []  # nothing even tried to run: the CSP would have logged it
    title = dom.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title == "Where this story came from"
    assert "pwned-node" not in dom.replace("createElement('pwned-node')", "")
    assert "data-pwned" not in dom.replace("setAttribute('data-pwned'", "")
    assert 'id="pwned-url"' not in dom and 'id="pwned-link"' not in dom  # no element from markup
    assert_inert(dom)
    # The hostile markup is there, as text a reader can see.
    assert "&lt;script&gt;document.title='pwned'" in dom


def test_long_runs_of_set_aside_paragraphs_fold_away(tmp_path):
    comments = "\n\n".join(f"Reader comment {i}: I think the union is right about the pay freeze." for i in range(6))
    (tmp_path / "story").mkdir()
    (tmp_path / "story" / "wire.txt").write_text(WIRE, encoding="utf-8")
    page = dict(PAPER, text=PAPER["text"] + "\n\nComments (6)\n\n" + comments)
    (tmp_path / "story" / "paper.json").write_text(json.dumps(page), encoding="utf-8")
    result = pipeline.trace([str(tmp_path / "story")], crosslingual=False)
    paper = next(a for a in result.articles if a.id.endswith("paper.json"))
    set_aside = [p for p in paper.paragraphs if p.boilerplate]
    assert len(set_aside) >= 3  # the segmenter marks the comment thread
    html = htmlreport.render_report(result.articles, result.outlets, result.edges, result.matches,
                                    result.attributions, graph="builtin")
    folded = html.split('<details class="aside">', 1)[1].split("</details>", 1)[0]
    assert f"{len(set_aside)} paragraphs set aside" in folded
    assert "Reader comment 5" in folded and "Dock workers" not in folded
