"""The bounded-memory analysis of a database file (provenance.streaming) gives what the
in-memory analysis gives: the same matches in the same order, the same edges and outlets,
with work items and lineage batches cut small and on two processes."""
import hashlib
import importlib.util
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from provenance import align, crosslingual, pipeline, streaming
from provenance.candidates import engine as make_engine
from provenance.embeddings import MemoryEmbeddingCache
from provenance.models import Article, Paragraph
from provenance.store import Store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
WORDS = [f"word{i}" for i in range(400)] + "the of and to in a is that for on was with".split() * 20
OUTLETS = ["Daily Bugle", "Evening Star", "Harbour Times", "Morning Post", "City Wire"]


def write_corpus(folder: Path, n: int = 90, seed: int = 5) -> None:
    """News in one language: a third rewrites part of an earlier article (words swapped,
    a paragraph dropped, a credit line added), each outlet prints its own footer line."""
    rng = random.Random(seed)
    written: list[dict] = []
    for i in range(n):
        outlet = rng.choice(OUTLETS)
        if written and rng.random() < 0.35:
            source = rng.choice(written)
            paragraphs = [p for p in source["text"].split("\n\n")[:-1] if rng.random() < 0.8] or ["Short note."]
            paragraphs = [" ".join(w if rng.random() > 0.06 else rng.choice(WORDS) for w in p.split()) for p in paragraphs]
            if rng.random() < 0.5:
                paragraphs.insert(0, f"According to {source['outlet']}, the story went on.")
            day = int(source["published"][-2:]) + rng.randint(0, 2)
        else:
            paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 45))) + "." for _ in range(4)]
            day = rng.randint(1, 25)
        paragraphs.append(f"Follow {outlet} on the app for more updates.")
        article = {"title": f"Story {i}", "text": "\n\n".join(paragraphs), "outlet": outlet,
                   "published": f"2025-03-{day:02d}"}
        written.append(article)
        (folder / f"story{i:03d}.json").write_text(json.dumps(article), encoding="utf-8")


def outcome(matches, edges, outlets):
    return (
        [(m.a, m.b, m.kind, round(m.score, 6), m.method, [(p.a_paragraph, p.b_paragraph) for p in m.pairs]) for m in matches],
        [(e.child, e.parent, e.kind, e.confidence, e.evidence, e.alternatives) for e in edges],
        [(o.id, o.name, o.in_corpus) for o in outlets],
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("news")
    write_corpus(folder)
    return [str(folder), str(SEEDS)]


@pytest.fixture(scope="module")
def in_memory(corpus):
    """The reference: the in-memory analysis (a throw-away store holds no file to stream)."""
    with Store.memory() as store:
        pipeline.ingest(corpus, store)
        engine = make_engine("stored", store=store)
        assert not streaming.streams(store, engine)
        result = pipeline.analyse(store, crosslingual_embeddings=False, engine=engine)
    return outcome(*result[:3])


@pytest.mark.parametrize("engine_name", ["stored", "duckdb"])
def test_a_stored_archive_streams_to_the_in_memory_result(corpus, in_memory, engine_name, tmp_path, monkeypatch):
    if engine_name == "duckdb" and importlib.util.find_spec("duckdb") is None:
        pytest.skip("duckdb is not installed (extra 'scale')")
    monkeypatch.setattr(streaming, "ITEM_ARTICLES", 7)  # many work items, components cut
    monkeypatch.setattr(streaming, "LINEAGE_ARTICLES", 5)
    monkeypatch.setattr(align, "PARALLEL_MIN_PAIRS", 1)  # the forked workers, each its own connection
    with Store(tmp_path / "archive.db") as store:
        pipeline.ingest(corpus, store)
        with make_engine(engine_name, store=store) as engine:
            assert streaming.streams(store, engine)
            result = pipeline.analyse(store, crosslingual_embeddings=False, engine=engine, jobs=2)
        got = outcome(*result[:3])
        assert got == in_memory
        assert any(kind == "translation" for _, _, kind, *_ in got[0])  # the seeds: two languages
        assert sum(1 for e in got[1] if not e[1].startswith("outlet:")) >= 10
        # What was saved is what came back, and every article has its decision.
        assert outcome(store.matches(), store.edges(), store.outlets()) == got
        assert store.undecided_articles() == []


def test_work_items_keep_linked_articles_together_within_the_limit():
    pairs = sorted([("a", "b"), ("b", "c"), ("d", "e"), ("f", "g"), ("c", "h"), ("x", "y")])
    items = streaming.work_items(pairs, limit=4)
    assert sorted(i for item in items for i in item) == list(range(len(pairs)))
    for item in items:
        assert len({x for i in item for x in pairs[i]}) <= 4
    touched = [{x for i in item for x in pairs[i]} for item in items]
    assert {"a", "b", "c", "h"} in touched  # one component, whole
    big = streaming.work_items([(f"a{i}", f"a{i + 1}") for i in range(10)], limit=3)
    assert [len(item) for item in big] == [2, 2, 2, 2, 2]  # a chain cut every 3 articles


def stored_state(store: Store):
    """What ingest leaves that the analysis reads: labels, band keys, counts."""
    db = store._db
    return {
        "paragraphs": db.execute(
            "SELECT a.id, p.paragraph_index, p.boilerplate, p.wording FROM paragraphs p "
            "JOIN articles a ON a.number = p.article ORDER BY 1, 2").fetchall(),
        "bands": db.execute(
            "SELECT a.id, p.paragraph_index, b.key FROM bands b JOIN band_paragraphs p ON p.id = b.paragraph "
            "JOIN articles a ON a.number = p.article ORDER BY 1, 2, 3").fetchall(),
        "vocabulary": db.execute("SELECT word, articles FROM vocabulary ORDER BY 1").fetchall(),
        "articles": db.execute("SELECT articles FROM vocabulary_size").fetchall(),
    }


def write_furniture(folder: Path, prefix: str, lines: dict[str, int], outlet: str = "Daily Bugle") -> None:
    """Articles of one outlet, each printing one of ``lines`` as its last paragraph, the
    line's count of them; the stories themselves differ."""
    rng = random.Random(len(prefix))
    n = 0
    for line, times in lines.items():
        for _ in range(times):
            story = " ".join(rng.choice(WORDS) for _ in range(30)) + "."
            (folder / f"{prefix}{n:02d}.json").write_text(json.dumps(
                {"title": f"{prefix} {n}", "text": f"{story}\n\n{line}", "outlet": outlet}), encoding="utf-8")
            n += 1


def test_ingest_in_small_chunks_stores_what_one_chunk_would(tmp_path, monkeypatch):
    """Repeated paragraphs are found across chunks: the first prints of a template, read
    before the later ones, get the label too, with their signatures, band keys and
    document frequencies as a single-chunk ingest writes them."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_furniture(folder, "a", {"Follow us on the app for more updates.": 2,  # short, twice
                                  "A long disclaimer that this outlet prints under its stories, " * 4: 3,
                                  "Printed once only by this outlet, so still content here.": 1})
    write_corpus(folder, n=12, seed=9)
    states = {}
    for size in (1000, 2):
        monkeypatch.setattr(pipeline, "STORE_BATCH", size)
        with Store(tmp_path / f"s{size}.db") as store:
            report = pipeline.ingest([str(folder)], store)
            assert not report.errors
            states[size] = stored_state(store)
            labels = {(a, i): b for a, i, b, _ in states[size]["paragraphs"]}
    assert states[2] == states[1000]
    repeated = sorted(a.rsplit("/", 1)[-1] for (a, i), b in labels.items() if b == "repeated")
    assert [name for name in repeated if name.startswith("a")] == ["a00.json", "a01.json", "a02.json", "a03.json", "a04.json"]
    assert len(repeated) > 5  # the generated stories' footers too


def test_a_later_chunk_replacing_an_article_unmarks_what_its_old_version_swayed(tmp_path, monkeypatch):
    """A short line printed by an outlet's old article and one new article counts twice
    while the old version is stored; once a later chunk replaces it without the line, the
    new article's line is content again."""
    monkeypatch.setattr(pipeline, "STORE_BATCH", 1)
    folder = tmp_path / "in"
    folder.mkdir()
    line = "Follow us on the app for more updates."
    write_furniture(folder, "b", {line: 1})  # b00: story + line
    (folder / "z.json").write_text(json.dumps(
        {"title": "z", "text": "An old story of the outlet with many words in it.\n\n" + line, "outlet": "Daily Bugle"}))
    with Store(tmp_path / "s.db") as store:
        pipeline.ingest([str(folder / "z.json")], store)
        (folder / "z.json").write_text(json.dumps(
            {"title": "z", "text": "The story rewritten, without the line, and with many words.", "outlet": "Daily Bugle"}))
        pipeline.ingest([str(folder)], store)  # b00 (counted with the old z), then z replaced
        labels = {a.rsplit("/", 1)[-1]: [p.boilerplate for p in store.article(a).paragraphs] for a in store.article_ids()}
        assert labels["b00.json"] == [None, None]
        b00 = str(folder / "b00.json")
        assert {p for (a, p) in store.banded_paragraphs([b00])} == {0, 1}


# --- translations (crosslingual.search over the store) --------------------------------

SENTENCES = {
    "en": ("The {noun} of {a} reported {n} new cases in {y}, {b} said on the radio.",
           ["council", "harbour", "museum", "railway", "clinic"],
           "Residents were asked to stay calm while the work goes on."),
    "es": ("El {noun} de {a} informó de {n} casos nuevos en {y}, dijo {b} en la radio.",
           ["consejo", "puerto", "museo", "ferrocarril", "hospital"],
           "Se pidió a los vecinos que mantuvieran la calma mientras siguen las obras."),
    "de": ("Der {noun} von {a} meldete {n} neue Fälle im Jahr {y}, sagte {b} im Radio.",
           ["Rat", "Hafen", "Verein", "Bahnhof", "Betrieb"],
           "Die Anwohner wurden gebeten, ruhig zu bleiben, während die Arbeiten weitergehen."),
}
NAMES = ["Valmora", "Teodor Brask", "Kesswick", "Ilsa Marron", "Dunhollow", "Piet Arvelo", "Sorrel Bay",
         "Agna Vitt", "Corran", "Mirela Oszt"]


def multilingual_articles(n: int = 36, seed: int = 3):
    """Stories in English, Spanish and German built around numbers, years and names (the
    anchors): some translated in full or in part into another language, some translated
    loosely (numbers rounded, names spelled otherwise: only the years and the meaning are
    left), some retold there with a few of the same facts (not a translation)."""
    rng = random.Random(seed)

    def article(ident, language, facts, rng_words):
        lines = []
        for k, (a, b, number, year) in enumerate(facts):
            template, nouns, filler = SENTENCES[language]
            lines.append(template.format(noun=nouns[k % len(nouns)], a=a, b=b, n=number, y=year) + " " + filler)
        text, paragraphs, offset = "\n\n".join(lines), [], 0
        for k, line in enumerate(lines):
            paragraphs.append(Paragraph(k, offset, offset + len(line), line, language, None))
            offset += len(line) + 2
        return Article(id=ident, source=ident, text=text, language=language, paragraphs=paragraphs,
                       title=ident, published=f"2025-04-{rng_words.randint(1, 28):02d}")

    out = []
    while len(out) < n:
        language = rng.choice(list(SENTENCES))
        facts = [(rng.choice(NAMES), rng.choice(NAMES), rng.randint(100, 99_999), rng.randint(1990, 2024))
                 for _ in range(rng.randint(4, 6))]
        out.append(article(f"story{len(out):02d}-{language}", language, facts, rng))
        other = rng.choice([x for x in SENTENCES if x != language])
        roll = rng.random()
        if roll < 0.4:  # a translation, sometimes without its last paragraph
            kept = facts if rng.random() < 0.5 else facts[:-1]
            out.append(article(f"story{len(out) - 1:02d}-to-{other}", other, kept, rng))
        elif roll < 0.6:
            loose = [(a[::-1].title(), b[::-1].title(), round(number, -2), year) for a, b, number, year in facts]
            out.append(article(f"story{len(out) - 1:02d}-loosely-{other}", other, loose, rng))
        elif roll < 0.8:  # the same story retold: two facts kept, the rest new
            retold = rng.sample(facts, 2) + [(rng.choice(NAMES), rng.choice(NAMES), rng.randint(100, 99_999), 2025)] * 3
            out.append(article(f"story{len(out) - 1:02d}-retold-{other}", other, retold, rng))
    return out


class FactEmbedder:
    """A stand-in model: a paragraph's vector depends on its years alone, so a translation
    (loose or not) and its original get the same vectors, unrelated texts nearly
    orthogonal ones."""

    name = "facts-test"

    def embed(self, texts):
        rows = []
        for text in texts:
            digits = " ".join(re.findall(r"\b(?:19|20)\d\d\b", text))
            v = np.random.default_rng(int(hashlib.sha1(digits.encode()).hexdigest()[:8], 16)).normal(size=24)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


@pytest.mark.parametrize("with_embedder", [False, True])
def test_translations_searched_over_the_store_are_those_found_in_memory(tmp_path, monkeypatch, with_embedder):
    """``crosslingual.search`` through the store, read 5 articles a batch and verified 7
    articles a group, on two processes, finds what ``find_translations`` finds holding
    every article: the same matches, in the same order (and openings compared in blocks
    of rows as in one block)."""
    articles = multilingual_articles()
    embedder = FactEmbedder() if with_embedder else None
    expected = crosslingual.find_translations(articles, embedder=embedder, cache=MemoryEmbeddingCache())
    assert len(expected) >= 6
    assert any(m.method == "embedding" for m in expected) == with_embedder
    assert not any("retold" in m.a or "retold" in m.b for m in expected)
    monkeypatch.setattr(streaming, "ITEM_ARTICLES", 7)
    monkeypatch.setattr(streaming, "LINEAGE_ARTICLES", 5)
    monkeypatch.setattr(streaming, "TASK_ARTICLES", 3)  # anchors extracted by forked workers
    monkeypatch.setattr(crosslingual, "BLOCK_CELLS", 1)  # openings compared 16 rows at a time
    with Store(tmp_path / "multilingual.db") as store:
        for a in articles:
            store.add_article(a, [])
        with streaming._StoredCorpus(store, jobs=2) as stored:
            got = crosslingual.search(stored, embedder=embedder, cache=store)
    key = lambda m: (m.a, m.b, m.kind, m.method, round(m.score, 6), [(p.a_paragraph, p.b_paragraph) for p in m.pairs],
                     m.evidence)
    assert [key(m) for m in got] == [key(m) for m in expected]
