"""Translation direction by NMT likelihood: an optional plug-in for users with local models.

A translation is easier to predict from its original than the original from it (Wastl,
Vamvas and Sennrich 2024, "Machine Translation Models are Zero-Shot Detectors of
Translation Direction"). For each aligned paragraph pair (a, b) of a translation match we
compare the mean token log-probability of b given a (model a->b) with that of a given b
(model b->a); the side the pairs mostly translate *from* is voted the original.

Models are CTranslate2 conversions of OPUS-MT/Marian models, one folder per direction,
named by language pair under one root: ``$PROVENANCE_NMT_MODELS/de-en/`` holds
``model.bin``, ``source.spm`` and ``target.spm`` (the layout ``ct2-opus-mt-converter``
writes). Install with ``pip install 'provenance[nmt]'``. Nothing is downloaded: a pair
without both folders falls back to the function-word classifier (``direction.py``), which
stays the default.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from .direction import DirectionVote, normalise_language

MODELS_ENV = "PROVENANCE_NMT_MODELS"
# The share of aligned pairs that must agree before the vote names an original.
MIN_AGREEMENT = 2 / 3
MIN_PAIRS = 2


class NMTError(RuntimeError):
    """The NMT plug-in is configured but cannot run (missing package, broken model)."""


class Scorer(Protocol):
    def covers(self, source_lang: str, target_lang: str) -> bool:
        """True when a model translating source_lang -> target_lang is available."""

    def log_likelihood(self, sources: list[str], targets: list[str], source_lang: str, target_lang: str) -> list[float]:
        """Mean token log-probability of each target given its source."""


@dataclass(frozen=True)
class PairScore:
    forward: float  # mean log P(b | a)
    backward: float  # mean log P(a | b)


def nmt_direction(pairs: list[tuple[str, str]], lang_a: str, lang_b: str, scorer: Scorer) -> DirectionVote:
    """Vote on which side of aligned paragraph pairs ``(text in a, text in b)`` is the original."""
    lang_a, lang_b = normalise_language(lang_a), normalise_language(lang_b)
    if not (scorer.covers(lang_a, lang_b) and scorer.covers(lang_b, lang_a)):
        return DirectionVote(None, 0.5, f"no local NMT models for {lang_a}<->{lang_b}")
    pairs = [(x, y) for x, y in pairs if x.strip() and y.strip()]
    if len(pairs) < MIN_PAIRS:
        return DirectionVote(None, 0.5, "direction undetermined: too few aligned paragraphs for the NMT models")
    a_texts, b_texts = [x for x, _ in pairs], [y for _, y in pairs]
    forward = scorer.log_likelihood(a_texts, b_texts, lang_a, lang_b)
    backward = scorer.log_likelihood(b_texts, a_texts, lang_b, lang_a)
    a_first = sum(1 for f, b in zip(forward, backward) if f > b)
    share = a_first / len(pairs)
    original, agree = ("a", share) if share >= 0.5 else ("b", 1 - share)
    reason = (f"NMT likelihood: {a_first} of {len(pairs)} aligned paragraphs read as translated from "
              f"{lang_a}, {len(pairs) - a_first} from {lang_b}")
    if agree < MIN_AGREEMENT:
        return DirectionVote(None, 0.5, f"direction undetermined, {reason}")
    return DirectionVote(original, round(agree, 3), f"{original} is the original, {reason}")


class CTranslate2Scorer:
    """Scores with CTranslate2 models found under one root folder, one per direction."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._models: dict[str, tuple[object, object, object]] = {}

    def covers(self, source_lang: str, target_lang: str) -> bool:
        folder = self.root / f"{source_lang}-{target_lang}"
        return all((folder / name).is_file() for name in ("model.bin", "source.spm", "target.spm"))

    def log_likelihood(self, sources: list[str], targets: list[str], source_lang: str, target_lang: str) -> list[float]:
        translator, source_spm, target_spm = self._load(f"{source_lang}-{target_lang}")
        src = [source_spm.encode(text, out_type=str) for text in sources]
        tgt = [target_spm.encode(text, out_type=str) for text in targets]
        results = translator.score_batch(src, tgt)
        return [sum(r.log_probs) / max(1, len(r.log_probs)) for r in results]

    def _load(self, pair: str):
        if pair not in self._models:
            try:
                import ctranslate2
                import sentencepiece
            except ImportError as exc:
                raise NMTError("the NMT plug-in needs: pip install 'provenance[nmt]'") from exc
            folder = self.root / pair
            try:
                self._models[pair] = (
                    ctranslate2.Translator(str(folder), device="cpu", inter_threads=1, intra_threads=2),
                    sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm")),
                    sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm")),
                )
            except (OSError, RuntimeError, ValueError) as exc:
                raise NMTError(f"cannot load the NMT model in {folder}: {exc}") from exc
        return self._models[pair]


@lru_cache(maxsize=1)
def configured_scorer() -> CTranslate2Scorer | None:
    """The scorer ``$PROVENANCE_NMT_MODELS`` points at, or None (the classifier is used)."""
    root = os.environ.get(MODELS_ENV)
    return CTranslate2Scorer(root) if root and Path(root).is_dir() else None
