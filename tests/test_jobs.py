"""--jobs N: extraction, language id, credits and verification on N processes give the same
output as one."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from provenance import align, pipeline

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
WORDS = ("harbour council budget river police strike vote minister school hospital market storm "
         "election court bridge farmers museum festival train airport union prices water energy").split()


def write_corpus(folder: Path, n: int, seed: int = 2) -> None:
    """n short news articles; about one in five copies most of an earlier one and credits it."""
    rng = random.Random(seed)
    texts: list[str] = []
    for i in range(n):
        if texts and rng.random() < 0.2:
            source = rng.randrange(len(texts))
            paragraphs = texts[source].split("\n\n")[1:]
            text = f"Report {i}\n\n" + "\n\n".join(paragraphs[:3]) + f"\n\n(With information from Agency {source % 3})"
        else:
            topic = rng.sample(WORDS, 8)
            paragraphs = [
                " ".join(rng.choice(topic) if rng.random() < 0.6 else rng.choice(WORDS) for _ in range(25)).capitalize() + "."
                for _ in range(4)
            ]
            text = f"Report {i}\n\n" + "\n\n".join(paragraphs)
        texts.append(text)
        (folder / f"{i:03d}.txt").write_text(text, encoding="utf-8")


def traced(inputs: list[str], jobs: int) -> dict:
    return pipeline.trace(inputs, crosslingual=False, jobs=jobs).to_json()


@pytest.mark.parametrize("corpus", ["seeds", "generated"])
def test_two_processes_give_the_same_json_as_one(tmp_path, monkeypatch, corpus):
    # The pools run even on 5 seeds: reading documents and verifying candidate pairs.
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_DOCUMENTS", 2)
    monkeypatch.setattr(align, "PARALLEL_MIN_PAIRS", 1)
    if corpus == "seeds":
        inputs = [str(SEEDS)]
    else:
        write_corpus(tmp_path, 40)
        (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")  # an error, in order
        inputs = [str(tmp_path)]
    one, two = traced(inputs, jobs=1), traced(inputs, jobs=2)
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)
    assert one["articles"] and one["matches"] and (corpus == "seeds" or one["errors"])


def test_crosslingual_anchors_on_two_processes_give_the_same_translations(monkeypatch):
    from provenance import crosslingual
    from provenance.store import Store

    with Store.memory(indexed=False) as store:
        pipeline.ingest([str(SEEDS)], store)
        articles = store.articles()
    one = crosslingual.find_translations(articles, jobs=1)
    monkeypatch.setattr(crosslingual, "PARALLEL_MIN_ARTICLES", 2)  # the seeds are five
    two = crosslingual.find_translations(articles, jobs=2)
    assert one, "the seeds hold a translation"
    assert [(m.a, m.b, m.score, m.evidence) for m in one] == [(m.a, m.b, m.score, m.evidence) for m in two]
