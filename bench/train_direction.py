"""Train the translation-direction and machine-translation models (provenance.direction).

Reads the WMT22/WMT23 general test sets in ../shared/bench-data/wmt-direction-train/ by path
(never copied into the repository) and writes provenance/data/direction/model.json.

    python bench/train_direction.py                      # the shipped model, all allowed data
    python bench/train_direction.py --exclude-wmt22-dev  # without WMT22 ru-en, de-fr, en-zh

Per language L the "translated" model separates originals written in L (the source side of
an L-x pair) from translations into L (human references and, as many again at most,
machine translations of x-L pairs); the "machine" model separates machine translations
into L from originals and human translations. Features: provenance.direction.features.
Held-out folds are contiguous regions of each source file (WMT keeps a document's segments
together), so a document's segments never sit on both sides of a split; a source text shared
by several pairs (WMT22 en-cs, en-de, ... share one English source) keeps one fold.
WMT21 is not read. Pairs whose documents are not written in their source language
(liv, sah) are skipped.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from provenance import direction  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "wmt-direction-train"
OUT = Path(__file__).resolve().parent.parent / "provenance" / "data" / "direction" / "model.json"
FOLDS = 5
SKIP_LANGUAGES = {"liv", "sah"}  # tiny, and their "sources" are themselves translations
# The three WMT22 pairs bench-data/wmt22-dev was drawn from.
DEV_SOURCES = ("generaltest2022.ru-en.src.ru", "generaltest2022.de-fr.src.de", "generaltest2022.en-zh.src.en")
VOCABULARY_SIZE = {"zh": 400, "ja": 400}
DEFAULT_VOCABULARY = 250
MIN_TOKENS = 40
TRAIN_TARGETS = (80, 150, 300, 500)  # words per training chunk, cycled
HYPS_PER_UNIT = 2  # machine translations per document unit in the training data
REGULARISATION = 3.0
MIN_CLAIM = 0.65


@dataclass
class Unit:
    """A document (XML) or a block of consecutive segments (text files) with its translations."""

    key: str
    year: int
    src_lang: str
    tgt_lang: str
    fold: int
    source: list[str]
    refs: dict[str, list[str]] = field(default_factory=dict)
    hyps: dict[str, list[str]] = field(default_factory=dict)
    dev_pair: bool = False  # from one of the pairs wmt22-dev was drawn from
    domain: str = "unknown"  # news, ecommerce, ... (the document-level files say; text files do not)


# --- reading the data ----------------------------------------------------------------------


def _norm(line: str) -> str:
    return " ".join(line.split())


def _fold_map(root: Path) -> tuple[dict[str, int], set[str]]:
    """Fold of each source line, and the lines of the wmt22-dev pairs' sources."""
    files = [p for year in ("wmt22", "wmt23") for p in sorted((root / year / "txt" / "sources").glob("*.src.*"))]
    files = [p for p in files if p.name.rsplit(".", 1)[1] not in SKIP_LANGUAGES]
    texts = {p: [_norm(x) for x in p.read_text(encoding="utf-8").splitlines()] for p in files}
    folds: dict[str, int] = {}
    # Longest first: a file that repeats another's segments (a subset) inherits its folds.
    for path in sorted(files, key=lambda p: (-len(texts[p]), p.name)):
        lines = texts[path]
        for i, line in enumerate(lines):
            folds.setdefault(line, i * FOLDS // len(lines))
    dev_lines = {line for p in files if p.name in DEV_SOURCES for line in texts[p]}
    return folds, dev_lines


def _majority_fold(lines: list[str], folds: dict[str, int], fallback: str) -> int:
    votes = Counter(folds[line] for line in lines if line in folds)
    if votes:
        return votes.most_common(1)[0][0]
    return int(hashlib.sha1(fallback.encode()).hexdigest(), 16) % FOLDS


def _segments(element) -> list[str]:
    return [_norm(seg.text or "") for seg in element.iter("seg")]


def read_units(root: Path = DATA) -> list[Unit]:
    folds, dev_lines = _fold_map(root)
    units: list[Unit] = []
    xml_pairs = set()
    for year in (2022, 2023):
        for path in sorted((root / f"wmt{year % 100}" / "xml").glob("*.xml")):
            pair = path.name.split(".")[1]
            src_lang, tgt_lang = pair.split("-")
            if {src_lang, tgt_lang} & SKIP_LANGUAGES:
                continue
            xml_pairs.add((year, pair))
            for doc in ET.parse(path).getroot().iter("doc"):
                if doc.get("origlang") != src_lang:
                    continue
                source = _segments(doc.find("src"))
                unit = Unit(
                    key=f"{year}/{pair}/{doc.get('id')}", year=year, src_lang=src_lang, tgt_lang=tgt_lang,
                    fold=_majority_fold(source, folds, doc.get("id", "")), source=source,
                )
                for ref in doc.findall("ref"):
                    unit.refs[ref.get("translator", "A")] = _segments(ref)
                for hyp in doc.findall("hyp"):
                    segs = _segments(hyp)
                    if len(segs) == len(source) and all(segs):
                        unit.hyps[hyp.get("system", "?")] = segs
                unit.dev_pair = any(line in dev_lines for line in source)
                unit.domain = doc.get("domain") or "unknown"
                units.append(unit)
    for year in (2022, 2023):
        txt = root / f"wmt{year % 100}" / "txt"
        for path in sorted((txt / "sources").glob("*.src.*")):
            pair = path.name.split(".")[1]
            src_lang, tgt_lang = pair.split("-")
            if (year, pair) in xml_pairs or {src_lang, tgt_lang} & SKIP_LANGUAGES:
                continue
            source = [_norm(x) for x in path.read_text(encoding="utf-8").splitlines()]
            refs = {
                ref.name.split(".")[-2]: [_norm(x) for x in ref.read_text(encoding="utf-8").splitlines()]
                for ref in sorted((txt / "references").glob(f"generaltest{year}.{pair}.ref.*.{tgt_lang}"))
            }
            refs = {name: lines for name, lines in refs.items() if len(lines) == len(source)}
            # Blocks of consecutive lines within one fold stand in for documents.
            start = 0
            while start < len(source):
                fold = folds.get(source[start], 0)
                end = start
                while end < len(source) and folds.get(source[end], fold) == fold and end - start < 40:
                    end += 1
                end = max(end, start + 1)
                unit = Unit(
                    key=f"{year}/{pair}/{start}", year=year, src_lang=src_lang, tgt_lang=tgt_lang, fold=fold,
                    source=source[start:end], refs={n: lines[start:end] for n, lines in refs.items()},
                )
                unit.dev_pair = any(line in dev_lines for line in unit.source)
                units.append(unit)
                start = end
    return units


# --- chunks and examples -------------------------------------------------------------------


def words(text: str, lang: str) -> float:
    """Length in words; Chinese and Japanese characters count 1/1.6 of a word."""
    if lang in ("zh", "ja"):
        return len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff]", text)) / 1.6 + len(re.findall(r"[A-Za-z]+", text))
    return len(text.split())


def chunks(segments: list[str], lang: str, targets: tuple[int, ...], offset: int = 0) -> list[tuple[int, int]]:
    """Consecutive segment ranges of about the target lengths (cycled), covering the segments."""
    out, start, i = [], 0, offset
    while start < len(segments):
        target, end, length = targets[i % len(targets)], start, 0.0
        while end < len(segments) and length < target:
            length += words(segments[end], lang)
            end += 1
        if length >= 0.6 * target or not out:
            out.append((start, end))
        start, i = end, i + 1
    return out


@dataclass
class Example:
    text: str
    lang: str
    label: str  # "original" | "human" | "machine"
    fold: int


def examples(units: list[Unit]) -> list[Example]:
    seen: set[str] = set()
    out: list[Example] = []
    for n, unit in enumerate(units):
        for start, end in chunks(unit.source, unit.src_lang, TRAIN_TARGETS, n):
            text = " ".join(unit.source[start:end])
            digest = hashlib.sha1(text.encode()).hexdigest()
            if digest not in seen:  # the same original serves several pairs
                seen.add(digest)
                out.append(Example(text, unit.src_lang, "original", unit.fold))
            for lines in unit.refs.values():
                out.append(Example(" ".join(lines[start:end]), unit.tgt_lang, "human", unit.fold))
            systems = sorted(unit.hyps)
            for k in range(min(HYPS_PER_UNIT, len(systems))):
                system = systems[(n + k + start) % len(systems)]
                out.append(Example(" ".join(unit.hyps[system][start:end]), unit.tgt_lang, "machine", unit.fold))
    return out


# --- logistic regression (numpy, Newton steps) ---------------------------------------------


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, regularisation: float) -> tuple[np.ndarray, float]:
    """L2-regularised weighted logistic regression; the intercept is not penalised."""
    X = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(X.shape[1])
    penalty = np.full(X.shape[1], regularisation)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        gradient = X.T @ (weight * (p - y)) + penalty * beta
        hessian = (X * (weight * p * (1 - p))[:, None]).T @ X + np.diag(penalty) + 1e-9 * np.eye(X.shape[1])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta[:-1], float(beta[-1])


def balanced_weights(y: np.ndarray) -> np.ndarray:
    positives = max(1, int(y.sum()))
    negatives = max(1, len(y) - positives)
    return np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))


_TOKEN_CACHE: dict[str, list[list[str]]] = {}


def cached_tokens(text: str) -> list[list[str]]:
    """Tokenise once: every fold re-reads the same texts."""
    if text not in _TOKEN_CACHE:
        _TOKEN_CACHE[text] = direction.tokens(text)
    return _TOKEN_CACHE[text]


def _vocabulary(token_lists: list[list[list[str]]], size: int) -> list[str]:
    document_frequency = Counter()
    for sentences in token_lists:
        document_frequency.update({t for s in sentences for t in s})
    return [t for t, _ in sorted(document_frequency.items(), key=lambda kv: (-kv[1], kv[0]))[:size]]


def _raw_classifier(tokenised, y, lang) -> dict:
    vocabulary = _vocabulary(tokenised, VOCABULARY_SIZE.get(lang, DEFAULT_VOCABULARY))
    index = {t: i for i, t in enumerate(vocabulary)}
    X = np.array([direction.features(s, index) for s in tokenised])
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-6
    weights, bias = fit_logistic((X - mean) / scale, y, balanced_weights(y), REGULARISATION * len(y) / 1000)
    return {
        "vocabulary": vocabulary, "mean": mean.tolist(), "scale": scale.tolist(), "weights": weights.tolist(),
        "bias": bias, "calibration": [1.0, 0.0, 0.0], "min_tokens": MIN_TOKENS,
    }


def train_classifier(tokenised: list, y: np.ndarray, folds: np.ndarray, lang: str) -> dict:
    """Classifier on all the data; its calibration is fit on out-of-fold raw scores."""
    raw = np.zeros(len(y))
    for k in np.unique(folds):
        train = folds != k
        if len(np.unique(y[train])) < 2:
            continue
        c = direction.Classifier.from_json(_raw_classifier([tokenised[i] for i in np.where(train)[0]], y[train], lang))
        for i in np.where(~train)[0]:
            raw[i] = c.raw_log_odds(tokenised[i])
    lengths = np.log([max(1, sum(len(s) for s in t)) for t in tokenised])
    calibration_x = np.stack([raw, raw * lengths], axis=1)
    (a, b), c = fit_logistic(calibration_x, y, balanced_weights(y), 1e-3)
    model = _raw_classifier(tokenised, y, lang)
    model["calibration"] = [float(a), float(b), float(c)]
    return model


def train_model(units: list[Unit], log=print) -> dict:
    """All per-language classifiers (the pair scale and claim threshold are set by fit_pairing)."""
    data = examples(units)
    by_lang: dict[str, list[Example]] = defaultdict(list)
    for e in data:
        by_lang[e.lang].append(e)
    translated, machine = {}, {}
    for lang, items in sorted(by_lang.items()):
        labels = Counter(e.label for e in items)
        tokenised = [cached_tokens(e.text) for e in items]
        keep = [i for i, t in enumerate(tokenised) if sum(len(s) for s in t) >= MIN_TOKENS]
        tokenised = [tokenised[i] for i in keep]
        items = [items[i] for i in keep]
        folds = np.array([e.fold for e in items])
        if labels["original"] >= 50 and labels["human"] + labels["machine"] >= 50:
            y = np.array([e.label != "original" for e in items], dtype=float)
            translated[lang] = train_classifier(tokenised, y, folds, lang)
        if labels["machine"] >= 50:
            y = np.array([e.label == "machine" for e in items], dtype=float)
            machine[lang] = train_classifier(tokenised, y, folds, lang)
        log(f"  {lang}: {dict(labels)}; models: {'translated ' if lang in translated else ''}{'machine' if lang in machine else ''}")
    return {
        "feature_version": direction.FEATURE_VERSION, "translated": translated, "machine": machine,
        "claim_threshold": 0.5, "pair_scale": 1.0,
    }


# --- pairs ---------------------------------------------------------------------------------

PAIR_BUCKETS = (150, 300, 600)


@dataclass
class Pair:
    source: str
    src_lang: str
    translation: str
    tgt_lang: str
    kind: str  # "human" | "machine"
    bucket: int
    unit: str
    machine_probability: float | None = None  # P(MT) of the translation side, when scored


def pairs(units: list[Unit], buckets=PAIR_BUCKETS) -> list[Pair]:
    """Held-out evaluation pairs: an original chunk and the same segments translated."""
    out = []
    for unit in units:
        for bucket in buckets:
            for start, end in chunks(unit.source, unit.src_lang, (bucket,)):
                source = " ".join(unit.source[start:end])
                if words(source, unit.src_lang) < 0.6 * bucket:
                    continue
                for lines in unit.refs.values():
                    out.append(Pair(source, unit.src_lang, " ".join(lines[start:end]), unit.tgt_lang, "human", bucket, unit.key))
                if unit.hyps:
                    system = sorted(unit.hyps)[start % len(unit.hyps)]
                    out.append(Pair(source, unit.src_lang, " ".join(unit.hyps[system][start:end]), unit.tgt_lang, "machine", bucket, unit.key))
    return out


def pair_log_odds(model: direction.Model, pair: Pair) -> float | None:
    """Unscaled log-odds that the pair's source side is the original (None: no evidence)."""
    za = _side_log_odds(model, pair.source, pair.src_lang)
    zb = _side_log_odds(model, pair.translation, pair.tgt_lang)
    if za is None and zb is None:
        return None
    return (zb or 0.0) - (za or 0.0)


def _side_log_odds(model: direction.Model, text: str, lang: str) -> float | None:
    classifier = model.translated.get(lang)
    return classifier.log_odds(cached_tokens(text)) if classifier else None


def fit_pairing(scores: np.ndarray, target_accuracy: float = 0.85) -> tuple[float, float]:
    """Pair scale (one-parameter logistic fit, the truth is always 'source is original') and
    the lowest claim threshold (at least MIN_CLAIM) whose claims reach the target accuracy."""
    # Symmetrise: each pair once as (a=source, b=translation), once swapped.
    x = np.concatenate([scores, -scores])[:, None]
    y = np.concatenate([np.ones(len(scores)), np.zeros(len(scores))])
    X = np.hstack([x, np.zeros_like(x)])  # no intercept: the order of a and b means nothing
    (scale, _), _ = fit_logistic(X, y, np.ones(len(y)), 1e-3)
    p = 1 / (1 + np.exp(-scale * scores))
    confidence = np.maximum(p, 1 - p)
    # A vote weaker than about 2:1 is not worth stating, whatever the average accuracy.
    for threshold in np.arange(MIN_CLAIM, 0.96, 0.01):
        claimed = confidence >= threshold
        if claimed.sum() >= 20 and (p[claimed] >= 0.5).mean() >= target_accuracy:
            return float(scale), round(float(threshold), 2)
    return float(scale), 0.95


def cross_validated_pair_scores(units: list[Unit], log=print) -> tuple[list[Pair], np.ndarray]:
    """Every held-out pair scored by a model trained without its fold."""
    all_pairs, all_scores = [], []
    for k in range(FOLDS):
        log(f"fold {k}:")
        model = direction.model_from_json(train_model([u for u in units if u.fold != k], log=lambda *_: None))
        held_out = pairs([u for u in units if u.fold == k])
        for pair in held_out:
            z = pair_log_odds(model, pair)
            machine = model.machine.get(pair.tgt_lang)
            zm = machine.log_odds(cached_tokens(pair.translation)) if machine else None
            pair.machine_probability = None if zm is None else float(1 / (1 + np.exp(-zm)))
            all_pairs.append(pair)
            all_scores.append(np.nan if z is None else z)
        log(f"  {len(held_out)} pairs")
    return all_pairs, np.array(all_scores)


def finished_model(units: list[Unit], log=print) -> tuple[dict, list[Pair], np.ndarray]:
    """The model on all the given units, its pair scale and threshold set on held-out folds."""
    held_pairs, scores = cross_validated_pair_scores(units, log)
    human = np.array([p.kind == "human" for p in held_pairs]) & ~np.isnan(scores)
    scale, threshold = fit_pairing(scores[human])
    model = train_model(units, log)
    model["pair_scale"], model["claim_threshold"] = round(scale, 4), threshold
    log(f"pair scale {scale:.3f}, claim threshold {threshold}")
    return model, held_pairs, scores


def compact(model: dict) -> dict:
    """Round the floats: 5 significant digits keep the scores, halve the file."""
    def r(v):
        if isinstance(v, float):
            return float(f"{v:.5g}")
        if isinstance(v, list):
            return [r(x) for x in v]
        if isinstance(v, dict):
            return {k: r(x) for k, x in v.items()}
        return v
    return r(model)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--exclude-wmt22-dev", action="store_true",
                        help="leave out the WMT22 ru-en, de-fr, en-zh pairs (and every pair sharing their sources)")
    args = parser.parse_args(argv)
    units = read_units(args.data)
    if args.exclude_wmt22_dev:
        units = [u for u in units if not u.dev_pair]
    print(f"{len(units)} units")
    model, _, _ = finished_model(units)
    model["trained_on"] = "WMT22+WMT23 general test sets" + (" without WMT22 ru-en, de-fr, en-zh" if args.exclude_wmt22_dev else "")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(compact(model), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
