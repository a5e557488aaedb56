"""Benchmark: which side of a translation pair is the original (provenance.direction).

    python bench/direction.py            # held-out folds + WMT22 dev (trains the models it needs, ~8 min)
    python bench/direction.py --quick    # WMT22 dev only, with the shipped model and a dev-free model

Prints direction accuracy per language pair and length bucket next to the coin-flip
baseline (0.5):
- held-out folds of ../shared/bench-data/wmt-direction-train (contiguous regions of each
  source file, so documents stay apart); each pair is scored by a model trained without its
  fold, and judged with the pair scale and claim threshold fit on the other folds;
- ../shared/bench-data/wmt22-dev: its 60 gold translation pairs, scored by a model trained
  without the WMT22 ru-en, de-fr and en-zh pairs (and every pair sharing their sources), and,
  for reference only, by the shipped model (which saw those documents).
Columns: n pairs; claimed = share the model decides; acc@claimed = accuracy where it decides;
overall = accuracy when undetermined pairs are settled by a coin flip (expected value);
forced = accuracy of the sign alone, no threshold.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import train_direction as td  # noqa: E402
from provenance import direction  # noqa: E402

DEV = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "wmt22-dev"


def summarise(rows: list[tuple[str, float, float, float]]) -> dict:
    """rows: (group, log-odds that the true original is the original, scale, threshold)."""
    z = np.array([r[1] for r in rows])
    scale = np.array([r[2] for r in rows])
    threshold = np.array([r[3] for r in rows])
    known = ~np.isnan(z)
    p = np.where(known, 1 / (1 + np.exp(-scale * np.nan_to_num(z))), 0.5)
    claimed = np.maximum(p, 1 - p) >= threshold
    claimed &= known
    correct = p > 0.5
    n = len(rows)
    return {
        "n": n,
        "claimed": claimed.mean() if n else float("nan"),
        "acc_claimed": correct[claimed].mean() if claimed.any() else float("nan"),
        "overall": (correct[claimed].sum() + 0.5 * (~claimed).sum()) / n if n else float("nan"),
        "forced": (np.where(known, correct, 0.5)).mean() if n else float("nan"),
    }


def print_table(title: str, groups: dict[str, list]) -> None:
    print(f"\n{title}")
    print(f"  {'group':<24}{'n':>6}{'claimed':>9}{'acc@claimed':>13}{'overall':>9}{'forced':>8}{'coin':>6}")
    for name, rows in groups.items():
        s = summarise(rows)
        print(f"  {name:<24}{s['n']:>6}{s['claimed']:>9.2f}{s['acc_claimed']:>13.2f}{s['overall']:>9.2f}{s['forced']:>8.2f}{0.5:>6.2f}")


def held_out(units: list[td.Unit]) -> None:
    pairs, scores = td.cross_validated_pair_scores(units, log=lambda *a: print(*a, file=sys.stderr))
    folds = {u.key: u.fold for u in units}
    domains = {u.key: u.domain for u in units}
    fold_of = np.array([folds[p.unit] for p in pairs])
    human = np.array([p.kind == "human" for p in pairs])
    groups: dict[str, list] = defaultdict(list)
    for k in range(td.FOLDS):
        # Scale and threshold from the other folds' human pairs: no tuning on the judged fold.
        fit = (fold_of != k) & human & ~np.isnan(scores)
        scale, threshold = td.fit_pairing(scores[fit])
        print(f"  fold {k}: pair scale {scale:.3f}, threshold {threshold}", file=sys.stderr)
        for i in np.where(fold_of == k)[0]:
            pair = pairs[i]
            row = (None, scores[i], scale, threshold)
            tag = f"{pair.src_lang}->{pair.tgt_lang}"
            groups[f"{pair.kind} all"].append(row)
            groups[f"{pair.kind} @{pair.bucket}w"].append(row)
            groups[f"{pair.kind} {tag}"].append(row)
            if pair.kind == "human":
                groups[f"human {tag} @{pair.bucket}w"].append(row)
                groups[f"human domain={domains[pair.unit]}"].append(row)
    order = sorted(groups, key=lambda g: (not g.startswith("human"), g.count(" ") , g))
    print_table("Held-out folds of wmt-direction-train (src->tgt, truth: src is the original)",
                {g: groups[g] for g in order})
    print_calibration(groups["human all"])
    print_machine(pairs)


def print_calibration(rows: list) -> None:
    """Stated probability of the chosen side against how often it is right."""
    z = np.array([r[1] for r in rows])
    scale = np.array([r[2] for r in rows])
    known = ~np.isnan(z)
    p = 1 / (1 + np.exp(-scale[known] * z[known]))
    stated, right = np.maximum(p, 1 - p), p > 0.5
    print("\nCalibration (held-out human pairs): stated p of the chosen side vs accuracy")
    for low in (0.5, 0.6, 0.7, 0.8, 0.9):
        inside = (stated >= low) & (stated < low + 0.1 + (low == 0.9) * 0.01)
        if inside.any():
            print(f"  p {low:.1f}-{low + 0.1:.1f}: n {inside.sum():>5}  mean stated {stated[inside].mean():.2f}  accuracy {right[inside].mean():.2f}")


def print_machine(pairs: list) -> None:
    """machine_translated on the held-out translations: MT vs human translation, P > 0.5."""
    print("\nmachine_translated on held-out translations (MT vs human; P(MT) > 0.5 = MT)")
    print(f"  {'language':<10}{'n human':>9}{'n MT':>7}{'bal. acc':>10}{'mean P(MT) human':>18}{'mean P(MT) MT':>15}")
    by_lang: dict[str, list] = defaultdict(list)
    for pair in pairs:
        if pair.machine_probability is not None:
            by_lang[pair.tgt_lang].append((pair.kind == "machine", pair.machine_probability))
    for lang, rows in sorted(by_lang.items()):
        is_mt = np.array([r[0] for r in rows])
        prob = np.array([r[1] for r in rows])
        if is_mt.all() or not is_mt.any():
            continue
        # Balanced accuracy: held-out pairs have one MT per document, refs may be several.
        accuracy = ((prob[is_mt] > 0.5).mean() + (prob[~is_mt] <= 0.5).mean()) / 2
        print(f"  {lang:<10}{(~is_mt).sum():>9}{is_mt.sum():>7}{accuracy:>10.2f}{prob[~is_mt].mean():>18.2f}{prob[is_mt].mean():>15.2f}")


def dev_pairs() -> list[tuple[str, str, str, str, str]]:
    """(story, original text, its language, translation text, its language) per gold pair."""
    gold = json.loads((DEV / "gold.json").read_text(encoding="utf-8"))
    out = []
    for story, data in gold["stories"].items():
        articles = data["articles"]
        for path, article in sorted(articles.items()):
            if article.get("kind") == "translation" and article.get("parent"):
                parent = articles[article["parent"]]
                out.append((story, (DEV / article["parent"]).read_text(encoding="utf-8"), parent["language"],
                            (DEV / path).read_text(encoding="utf-8"), article["language"]))
    return out


def dev(model: direction.Model, title: str) -> None:
    groups: dict[str, list] = defaultdict(list)
    for story, original, lang_o, translation, lang_t in dev_pairs():
        vote = direction.translation_direction(original, lang_o, translation, lang_t, model)
        za = direction.translation_log_odds(original, lang_o, model)
        zb = direction.translation_log_odds(translation, lang_t, model)
        z = np.nan if za is None and zb is None else (zb or 0.0) - (za or 0.0)
        row = (None, z, model.pair_scale, model.claim_threshold)
        # The vote and the summary must agree; the summary is what is counted.
        assert (vote.original is None) or (vote.original == "a") == (z > 0)
        length = td.words(original, lang_o)
        bucket = "<300w" if length < 300 else "300-600w" if length < 600 else ">=600w"
        groups["all"].append(row)
        groups[story].append(row)
        groups[f"{story} {bucket}"].append(row)
        groups[bucket].append(row)
    order = sorted(groups, key=lambda g: (g != "all", "w" in g and " " not in g, g))
    print_table(title, {g: groups[g] for g in order})


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="WMT22 dev only")
    args = parser.parse_args(argv)
    units = td.read_units()
    if not args.quick:
        held_out(units)
    log = lambda *a: print(*a, file=sys.stderr)  # noqa: E731
    dev_free, _, _ = td.finished_model([u for u in units if not u.dev_pair], log=log)
    dev(direction.model_from_json(td.compact(dev_free)),
        "WMT22 dev, model trained without WMT22 ru-en, de-fr, en-zh (truth: the gold parent is the original)")
    dev(direction.load_model(), "WMT22 dev, shipped model (saw these documents: reference only)")


if __name__ == "__main__":
    main()
