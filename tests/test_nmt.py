"""The NMT-likelihood direction plug-in: the vote, its fallbacks, and its place in lineage."""
from __future__ import annotations

import pytest

from provenance import lineage, nmt
from provenance.models import Article, Match, Paragraph, ParagraphPair
from provenance.nmt import CTranslate2Scorer, nmt_direction
from provenance.outlets import OutletRegistry


class FakeScorer:
    """Translating out of ``original`` is likely, into it unlikely; ``noisy`` flips some pairs."""

    def __init__(self, original: str, languages=("de", "en"), noisy: set[int] = frozenset()):
        self.original, self.languages, self.noisy = original, set(languages), noisy

    def covers(self, source_lang, target_lang):
        return {source_lang, target_lang} <= self.languages

    def log_likelihood(self, sources, targets, source_lang, target_lang):
        good = source_lang == self.original
        return [(-1.0 if good != (i in self.noisy) else -3.0) for i in range(len(sources))]


PAIRS = [("Der Fluss stieg.", "The river rose."), ("Die Schulen blieben zu.", "Schools stayed shut."),
         ("Die Fähre fuhr nicht.", "The ferry did not run.")]


@pytest.mark.parametrize("original, side", [("de", "a"), ("en", "b")])
def test_the_side_translated_from_is_the_original(original, side):
    vote = nmt_direction(PAIRS, "de", "en", FakeScorer(original))
    assert vote.original == side and vote.probability == 1.0
    assert "3 of 3" in vote.reason or "0 of 3" in vote.reason


def test_split_pairs_leave_the_direction_undetermined():
    vote = nmt_direction(PAIRS, "de", "en", FakeScorer("de", noisy={1}))
    assert vote.original == "a" and vote.probability == pytest.approx(0.667, abs=0.001)
    vote = nmt_direction(PAIRS[:2], "de", "en", FakeScorer("de", noisy={1}))
    assert vote.original is None and "undetermined" in vote.reason


def test_a_pair_without_both_models_says_so():
    vote = nmt_direction(PAIRS, "de", "fr", FakeScorer("de"))
    assert vote.original is None and "no local NMT models" in vote.reason


def test_ctranslate2_scorer_finds_models_by_folder(tmp_path):
    for name in ("model.bin", "source.spm", "target.spm"):
        (tmp_path / "de-en").mkdir(exist_ok=True)
        (tmp_path / "de-en" / name).write_bytes(b"")
    scorer = CTranslate2Scorer(tmp_path)
    assert scorer.covers("de", "en") and not scorer.covers("en", "de")


def test_lineage_prefers_configured_nmt_models_over_the_classifier(monkeypatch):
    monkeypatch.setattr(lineage, "configured_scorer", lambda: FakeScorer("en"))
    # The classifier would say the German side is the original; the NMT models say English.
    from provenance.direction import DirectionVote

    monkeypatch.setattr(lineage, "translation_direction", lambda *args: DirectionVote("a", 0.9, "model"))
    paragraphs_de = [Paragraph(i, 0, len(t), t, language="de") for i, (t, _) in enumerate(PAIRS)]
    paragraphs_en = [Paragraph(i, 0, len(t), t, language="en") for i, (_, t) in enumerate(PAIRS)]
    de = Article(id="de", source="de", text=" ".join(t for t, _ in PAIRS), language="de", paragraphs=paragraphs_de)
    en = Article(id="en", source="en", text=" ".join(t for _, t in PAIRS), language="en", paragraphs=paragraphs_en)
    match = Match(a="de", b="en", kind="translation", score=0.8, a_coverage=0.9, b_coverage=0.9,
                  pairs=[ParagraphPair(i, i, 0.9, [], method="embedding") for i in range(3)])
    edges, _ = lineage.build_forest([de, en], [match], [], OutletRegistry.from_dict({"outlet": []}))
    assert {e.child: e.parent for e in edges} == {"de": "en"}
    assert any("NMT likelihood" in line for line in edges[0].evidence)


def test_without_the_environment_variable_no_scorer_is_configured(monkeypatch):
    monkeypatch.delenv(nmt.MODELS_ENV, raising=False)
    nmt.configured_scorer.cache_clear()
    assert nmt.configured_scorer() is None
