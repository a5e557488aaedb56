"""The bounded-memory analysis of a database file (provenance.streaming) gives what the
in-memory analysis gives: the same matches in the same order, the same edges and outlets,
with work items and lineage batches cut small and on two processes."""
import importlib.util
import json
import random
from pathlib import Path

import pytest

from provenance import align, pipeline, streaming
from provenance.candidates import engine as make_engine
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
