"""Verification work is bounded per pair, and the output says when a cap was hit."""
from __future__ import annotations

import random

from provenance import align
from provenance.models import Article
from provenance.pipeline import prepare

REPORT = """Harbour workers strike over pay

Dock workers in the port city walked off the job on Monday after talks with the harbour authority collapsed over a proposed pay freeze.

The union said the strike would continue until the authority withdrew the freeze and agreed to index wages to inflation, which reached six percent last year.

Shipping companies warned that a long stoppage would disrupt supplies of fuel and grain to the region, and several vessels were already waiting at anchor offshore.
"""


def article(article_id: str, text: str) -> Article:
    return prepare(Article(id=article_id, source=article_id, text=text))


def test_ordinary_articles_hit_no_cap():
    notes: list[str] = []
    [match] = align.find_matches([article("a", REPORT), article("b", REPORT)], notes=notes)
    assert match.kind == "copy"
    assert not [line for line in match.evidence if "capped" in line]
    assert notes == []


def test_a_long_pair_is_aligned_on_its_first_tokens_and_the_evidence_says_so(monkeypatch):
    monkeypatch.setattr(align, "MAX_ALIGN_TOKENS", 40)
    [match] = align.find_matches([article("a", REPORT), article("b", REPORT)])
    capped = [line for line in match.evidence if line.startswith("alignment capped")]
    assert len(capped) == 2  # both sides are longer than 40 tokens
    assert "only the first 40 of" in capped[0] and "tokens of a" in capped[0]
    # Only the first 40 tokens of each side were aligned.
    assert sum(s.b_end - s.b_start for p in match.pairs for s in p.spans) < len(" ".join(REPORT.split()[:40]))


def test_a_low_vocabulary_pair_costs_little_and_the_notes_say_a_cap_was_hit(monkeypatch):
    monkeypatch.setattr(align, "POPULAR_TOKEN", 30)
    rng = random.Random(4)
    words = "alpha beta gamma delta epsilon".split()
    texts = [
        "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) for _ in range(20)) for _ in range(2)
    ]
    notes: list[str] = []
    matches = align.find_matches([article("a", texts[0]), article("b", texts[1])], notes=notes)
    lines = [line for m in matches for line in m.evidence] + notes
    assert any("repeated over 30 times in b cannot start a shared run" in line for line in lines)
