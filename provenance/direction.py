"""Which side of a translation pair is the original, read from the text alone.

Translations carry a trace of their source language ("translationese"): function words,
punctuation and sentence lengths are distributed differently from text first written in
that language. Per language, a small logistic regression reads "original vs translated into
this language" from such features only (words that name topics, digits and mid-sentence
capitalised words are masked or left out), so it does not learn what the news was about.
Applied to both sides of a cross-lingual pair it votes for the side that reads as the
original; a second model per language reads "machine translated or not".

The weights ship in ``data/direction/model.json`` (trained by ``bench/train_direction.py``
on WMT22/23 test sets; see the README there). Run time needs numpy only.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import regex

MODEL_FILE = "data/direction/model.json"
FEATURE_VERSION = 1

# Tokens: single CJK characters (Han, kana: Chinese and Japanese have no spaces, and their
# function words are single characters), words, digit runs, and single punctuation marks.
_TOKEN = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}ー]|[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*|\p{N}+|[^\s\p{L}\p{M}\p{N}]"
)
_SENTENCE_END = regex.compile(r"(?<=[.!?…。！？])\s+|(?<=[。！？])")
# Publishers' house styles differ in quote and dash characters; the kind of mark is the signal.
_QUOTES = set("\"'«»„“”‘’‚‹›「」『』〈〉《》")
_DASHES = set("-–—―−‒")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_STAT_NAMES = ("log_sentence_length", "sentence_length_spread", "mean_word_length")

LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "ru": "Russian", "uk": "Ukrainian",
    "cs": "Czech", "zh": "Chinese", "ja": "Japanese", "he": "Hebrew", "hr": "Croatian",
    "vi": "Vietnamese", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
}


def normalise_language(lang: str | None) -> str:
    """'zh-Hans', 'EN_us' -> 'zh', 'en'."""
    return (lang or "").strip().lower().replace("_", "-").split("-")[0]


def tokens(text: str) -> list[list[str]]:
    """Sentences of masked tokens: digits become <num>, capitalised words inside a sentence
    (names, mostly) become <cap>, quote and dash marks become <quote> and <dash>."""
    sentences = []
    for sentence in _SENTENCE_END.split(text):
        out = []
        for i, token in enumerate(_TOKEN.findall(sentence)):
            if token[0].isdigit():
                out.append("<num>")
            elif token in _QUOTES:
                out.append("<quote>")
            elif token in _DASHES:
                out.append("<dash>")
            elif token[0].isupper() and (i > 0 or len(token) > 1 and token.isupper()):
                out.append("<cap>")
            else:
                out.append(token.lower())
        if out:
            sentences.append(out)
    return sentences


def features(sentences: list[list[str]], vocabulary: dict[str, int]) -> np.ndarray:
    """Square-root relative frequencies of the vocabulary's tokens, then sentence statistics."""
    vector = np.zeros(len(vocabulary) + len(_STAT_NAMES))
    total = sum(len(s) for s in sentences)
    if not total:
        return vector
    for sentence in sentences:
        for token in sentence:
            index = vocabulary.get(token)
            if index is not None:
                vector[index] += 1
    vector[: len(vocabulary)] = np.sqrt(vector[: len(vocabulary)] / total)
    lengths = np.array([len(s) for s in sentences], dtype=float)
    words = [t for s in sentences for t in s if t[0].isalpha() and not _CJK.match(t)]
    vector[len(vocabulary):] = (
        math.log(lengths.mean()),
        lengths.std() / lengths.mean(),
        float(np.mean([len(w) for w in words])) if words else 0.0,
    )
    return vector


@dataclass(frozen=True)
class Classifier:
    """Standardised features -> logistic regression -> length-aware calibration."""

    vocabulary: dict[str, int]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    # calibrated log-odds = (a + b * log(tokens)) * raw log-odds + c
    calibration: tuple[float, float, float]
    min_tokens: int

    @classmethod
    def from_json(cls, data: dict) -> "Classifier":
        vocabulary = {token: i for i, token in enumerate(data["vocabulary"])}
        return cls(
            vocabulary=vocabulary,
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            weights=np.asarray(data["weights"], dtype=float),
            bias=float(data["bias"]),
            calibration=tuple(data["calibration"]),
            min_tokens=int(data["min_tokens"]),
        )

    def raw_log_odds(self, sentences: list[list[str]]) -> float:
        x = (features(sentences, self.vocabulary) - self.mean) / self.scale
        return float(x @ self.weights + self.bias)

    def log_odds(self, text_or_sentences: str | list[list[str]]) -> float | None:
        """Calibrated log-odds of the positive class, None when the text is too short."""
        sentences = tokens(text_or_sentences) if isinstance(text_or_sentences, str) else text_or_sentences
        n = sum(len(s) for s in sentences)
        if n < self.min_tokens:
            return None
        a, b, c = self.calibration
        return (a + b * math.log(n)) * self.raw_log_odds(sentences) + c


@dataclass(frozen=True)
class Model:
    translated: dict[str, Classifier]  # per language: original (0) vs translated into it (1)
    machine: dict[str, Classifier]  # per language: original or human translation (0) vs MT (1)
    claim_threshold: float  # below this probability the pair's direction is undetermined
    pair_scale: float  # shrinks the two sides' summed evidence (their errors correlate)


@lru_cache(maxsize=1)
def load_model() -> Model:
    text = resources.files("provenance").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return model_from_json(json.loads(text))


def model_from_json(data: dict) -> Model:
    if data.get("feature_version") != FEATURE_VERSION:
        raise ValueError(f"direction model has feature version {data.get('feature_version')}, expected {FEATURE_VERSION}")
    return Model(
        translated={lang: Classifier.from_json(c) for lang, c in data["translated"].items()},
        machine={lang: Classifier.from_json(c) for lang, c in data["machine"].items()},
        claim_threshold=float(data["claim_threshold"]),
        pair_scale=float(data["pair_scale"]),
    )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class DirectionVote:
    original: str | None  # "a" | "b" | None (undetermined)
    probability: float  # calibrated P(the side named in `original` is the original); 0.5 if None
    reason: str


def translation_log_odds(text: str, lang: str, model: Model | None = None) -> float | None:
    """Calibrated log-odds that ``text`` was translated into ``lang``; None without a model
    for the language or with too little text."""
    model = model or load_model()
    classifier = model.translated.get(normalise_language(lang))
    return classifier.log_odds(text) if classifier else None


def translation_direction(
    text_a: str, lang_a: str, text_b: str, lang_b: str, model: Model | None = None
) -> DirectionVote:
    """Vote on which of two texts that translate each other is the original.

    Each side with a model for its language says how much it reads as translated; the side
    that reads less translated is voted the original. Below the model's claim threshold the
    vote is undetermined (original None, probability 0.5).
    """
    model = model or load_model()
    sides = {"a": (text_a, normalise_language(lang_a)), "b": (text_b, normalise_language(lang_b))}
    scores = {side: translation_log_odds(text, lang, model) for side, (text, lang) in sides.items()}
    known = {side: z for side, z in scores.items() if z is not None}
    unread = "; ".join(
        f"{side}: no model for {_name(lang) or '?'}" if lang not in model.translated else f"{side}: too little text"
        for side, (_text, lang) in sides.items() if side not in known
    )
    if not known:
        return DirectionVote(None, 0.5, f"direction undetermined ({unread})")
    # Log-odds that a is the original: b reading translated argues for a, a reading translated for b.
    z = model.pair_scale * (known.get("b", 0.0) - known.get("a", 0.0))
    p_a = _sigmoid(z)
    original = "a" if p_a >= 0.5 else "b"
    p = max(p_a, 1.0 - p_a)
    # The most translated-sounding side first: it carries the vote.
    readings = [
        f"{side} reads as {'translated into' if zs > 0 else 'written in'} {_name(sides[side][1])} "
        f"(function-word profile, p translated = {_sigmoid(zs):.2f})"
        for side, zs in sorted(known.items(), key=lambda kv: -kv[1])
    ]
    evidence = "; ".join(readings + ([unread] if unread else []))
    if p < model.claim_threshold:
        return DirectionVote(None, 0.5, f"direction undetermined, p = {p:.2f} < {model.claim_threshold:.2f}: {evidence}")
    return DirectionVote(original, round(p, 3), f"{original} is the original, p = {p:.2f}: {evidence}")


def machine_translated(text: str, lang: str, model: Model | None = None) -> float | None:
    """P(``text`` is machine translated into ``lang``), None without a model for the language
    or with too little text. Trained against originals and human translations alike; weak
    evidence on its own (held-out balanced accuracy 0.58-0.74, see data/direction/README.md)."""
    model = model or load_model()
    classifier = model.machine.get(normalise_language(lang))
    if classifier is None:
        return None
    z = classifier.log_odds(text)
    return None if z is None else round(_sigmoid(z), 3)


def supported_languages(model: Model | None = None) -> dict[str, list[str]]:
    model = model or load_model()
    return {"translated": sorted(model.translated), "machine": sorted(model.machine)}


def _name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, lang)
