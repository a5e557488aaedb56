"""Metric code on hand-made gold/trace pairs; every expected figure is computed by hand below."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from provenance import evaluate as ev
from provenance.cli import main
from provenance.evaluate import GoldError, evaluate_story, load_gold_story

FIXTURES = Path(__file__).parent / "fixtures" / "evaluate"

ALIASES = {
    "ft": "outlet:financial-times",
    "financial times": "outlet:financial-times",
    "ft.com": "outlet:financial-times",
    "outlet:ft": "outlet:financial-times",
}


def resolve(value: str) -> str:
    """A stand-in for the registry: a few aliases, else a slug of the name."""
    key = value.lower()
    if key in ALIASES:
        return ALIASES[key]
    if key.startswith("outlet:"):
        return key
    return "outlet:" + key.replace(" ", "-")


def entry(parent=None, kind=None, language="en", **extra) -> dict:
    return {"language": language, "parent": parent, "kind": kind,
            "accept_parents": [], "attributions": [], **extra}


# a <- b (copy), a <- c (translation), b <- f (rewrite, a also accepted), FT <- d, e unrelated.
STORY = {
    "articles": {
        "s/a.txt": entry(outlet="Wire A"),
        "s/b.txt": entry("s/a.txt", "copy", outlet="Daily B"),
        "s/c.txt": entry("s/a.txt", "translation", language="fr"),
        "s/d.txt": entry("outlet:financial-times", "attributed"),
        "s/e.txt": entry(language="de"),
        "s/f.txt": {**entry("s/b.txt", "rewrite"), "accept_parents": ["s/a.txt"]},
    }
}
PERFECT_EDGES = [
    {"parent": "s/a.txt", "child": "s/b.txt", "kind": "copy"},
    {"parent": "s/a.txt", "child": "s/c.txt", "kind": "translation"},
    {"parent": "outlet:ft", "child": "s/d.txt", "kind": "attributed"},
    {"parent": "s/b.txt", "child": "s/f.txt", "kind": "rewrite"},
]


def trace(edges, attributions=(), matches=()) -> dict:
    articles = [{"id": a} for a in STORY["articles"]]
    return {"schema": 1, "articles": articles, "edges": list(edges),
            "attributions": list(attributions), "matches": list(matches)}


def score(edges, story=STORY, **kw) -> dict:
    return evaluate_story(story, trace(edges, **kw), resolve=resolve)


def test_perfect_prediction():
    m = score(PERFECT_EDGES)
    assert m["parent_accuracy"] == 1.0
    assert m["parent_accuracy_articles_only"] == 1.0
    assert m["edges"]["article"]["precision"] == 1.0 and m["edges"]["article"]["recall"] == 1.0
    assert m["edges"]["outlet"]["f1"] == 1.0  # "outlet:ft" canonicalised to the gold id
    assert m["pair_recall"] == 1.0
    assert m["direction_accuracy"] == 1.0 and m["direction"] == {"correct": 3, "pairs": 3}
    assert m["kind_accuracy"] == 1.0
    assert m["false_links"] == [] and m["false_matches"] == 0
    assert m["missing_articles"] == []
    assert m["by_language"]["fr"] == {"correct": 1, "n": 1, "accuracy": 1.0}


def test_empty_prediction():
    m = evaluate_story(STORY, {"articles": [], "edges": []}, resolve=resolve)
    # Only the two gold roots (a, e) are right; reading outlet parents as roots adds d.
    assert m["parent_accuracy"] == pytest.approx(2 / 6)
    assert m["parent_accuracy_articles_only"] == pytest.approx(3 / 6)
    assert m["edges"]["article"]["precision"] is None
    assert m["edges"]["article"]["recall"] == 0.0
    assert m["edges"]["article"]["f1"] == 0.0
    assert m["pair_recall"] == 0.0
    assert m["direction_accuracy"] is None
    assert m["false_links"] == []
    assert len(m["missing_articles"]) == 6
    assert m["by_kind"]["root"] == {"correct": 2, "n": 2, "accuracy": 1.0}
    assert m["by_kind"]["copy"]["accuracy"] == 0.0


def test_one_wrong_direction():
    edges = [{"parent": "s/b.txt", "child": "s/a.txt", "kind": "copy"}] + PERFECT_EDGES[1:]
    m = score(edges)
    # a (a root) got a parent and b lost its parent: 4 of 6 right.
    assert m["parent_accuracy"] == pytest.approx(4 / 6)
    art = m["edges"]["article"]
    assert (art["true_positives"], art["predicted"], art["gold"]) == (2, 3, 3)
    assert art["precision"] == pytest.approx(2 / 3) and art["recall"] == pytest.approx(2 / 3)
    assert m["pair_recall"] == 1.0  # every gold pair is still joined, one the wrong way round
    assert m["direction"] == {"correct": 2, "pairs": 3}
    assert m["false_links"] == []


def test_one_false_link():
    edges = PERFECT_EDGES + [{"parent": "s/c.txt", "child": "s/e.txt", "kind": "copy"}]
    m = score(edges, matches=[{"a": "s/c.txt", "b": "s/e.txt", "kind": "copy"},
                              {"a": "s/b.txt", "b": "s/c.txt", "kind": "copy"}])
    assert m["false_links"] == [{"parent": "s/c.txt", "child": "s/e.txt", "kind": "copy"}]
    assert m["false_matches"] == 1  # b and c are siblings under a: related, not false
    assert m["parent_accuracy"] == pytest.approx(5 / 6)
    assert m["edges"]["article"]["precision"] == pytest.approx(3 / 4)
    assert m["edges"]["article"]["recall"] == 1.0
    assert m["direction_accuracy"] == 1.0  # c-e is no gold pair, so it is not a direction case


def test_root_predicted_with_a_parent_and_accepted_parent():
    edges = [
        {"parent": "outlet:reuters", "child": "s/a.txt", "kind": "attributed"},
        PERFECT_EDGES[0], PERFECT_EDGES[1], PERFECT_EDGES[2],
        {"parent": "s/a.txt", "child": "s/f.txt", "kind": "copy"},  # an accepted parent, wrong kind
    ]
    m = score(edges)
    assert m["parent_accuracy"] == pytest.approx(5 / 6)
    assert m["parent_accuracy_articles_only"] == 1.0
    outlet = m["edges"]["outlet"]
    assert (outlet["precision"], outlet["recall"]) == (0.5, 1.0)
    assert m["kind_accuracy"] == pytest.approx(3 / 4)
    assert m["direction"] == {"correct": 3, "pairs": 3}


ATTRIBUTED_STORY = {
    "articles": {
        "s/a.txt": {**entry(outlet="Wire A"), "attributions": [
            {"outlet": "Wire A", "kind": "dateline", "self": True},
            {"outlet": "FT", "kind": "according_to"},
        ]},
        "s/b.txt": {**entry("s/a.txt", "copy", outlet="Daily B"), "attributions": [
            {"outlet": "Financial Times", "kind": "first_reported"},
            {"outlet": "Wire A", "kind": "photo_credit"},
        ]},
        "s/c.txt": {**entry("s/a.txt", "translation"), "attributions": [
            {"outlet": "Le Monde", "kind": "according_to", "optional": True},
        ]},
    }
}


def test_attributions_with_photo_and_self_credits():
    predicted = [
        {"article": "s/a.txt", "outlet": "outlet:wire-a", "kind": "dateline"},
        {"article": "s/a.txt", "outlet": "outlet:financial-times", "kind": "according_to"},
        {"article": "s/a.txt", "outlet": "outlet:financial-times", "kind": "told"},  # same pair twice
        {"article": "s/b.txt", "outlet": "outlet:ft", "kind": "first_reported"},
        {"article": "s/b.txt", "outlet": "outlet:wire-a", "kind": "photo_credit", "text_source": False},
        {"article": "s/c.txt", "outlet": "outlet:le-monde", "kind": "according_to"},  # optional
        {"article": "s/c.txt", "outlet": "outlet:bbc", "kind": "according_to"},  # spurious
        {"article": "elsewhere.txt", "outlet": "outlet:bbc", "kind": "according_to"},  # not gold
    ]
    m = evaluate_story(ATTRIBUTED_STORY, {"attributions": predicted, "edges": []}, resolve=resolve)
    a = m["attribution"]
    # gold text pairs: (a,wire-a) (a,ft) (b,ft); scored predictions add (c,bbc): 3 of 4 right.
    assert (a["precision"], a["recall"]) == (0.75, 1.0)
    assert a["f1"] == pytest.approx(2 * 0.75 / 1.75)
    # without the self credit (a, wire-a): 2 of 3 right, all 2 gold found.
    assert a["without_self"]["precision"] == pytest.approx(2 / 3)
    assert a["without_self"]["recall"] == 1.0
    assert a["without_self"]["f1"] == pytest.approx(0.8)
    assert a["photo_credits"]["f1"] == 1.0
    assert a["by_kind"]["first_reported"] == {"recall": 1.0, "gold": 1}
    assert a["spurious"] == [["s/c.txt", "outlet:bbc"]]


def test_attributions_not_annotated_are_not_scored():
    m = score(PERFECT_EDGES, attributions=[{"article": "s/a.txt", "outlet": "outlet:bbc", "kind": "via"}])
    assert m["attribution"]["annotated"] is False
    assert m["attribution"]["precision"] is None


def test_counter_style_reuse_classes():
    story = {"articles": {
        **{f"c/s{i}.json": entry(language="ur") for i in range(1, 5)},
        "c/d1.json": entry("c/s1.json", "copy", language="ur", reuse_class="WD", pair="c/s1.json"),
        "c/d2.json": entry("c/s2.json", "rewrite", language="ur", reuse_class="PD", pair="c/s2.json"),
        "c/d3.json": entry(language="ur", reuse_class="ND", pair="c/s3.json"),
        "c/d4.json": entry("c/s4.json", "rewrite", language="ur", reuse_class="PD", pair="c/s4.json"),
    }}
    edges = [
        {"parent": "c/s1.json", "child": "c/d1.json", "kind": "rewrite"},  # WD seen as PD
        {"parent": "c/s2.json", "child": "c/d2.json", "kind": "rewrite"},  # PD right
        {"parent": "c/s3.json", "child": "c/d3.json", "kind": "copy"},  # ND seen as WD
    ]  # d4 left a root: PD seen as ND
    m = evaluate_story(story, {"edges": edges}, resolve=resolve)
    reuse = m["reuse_classes"]
    assert reuse["confusion"]["labels"] == ["WD", "PD", "ND"]
    assert reuse["confusion"]["matrix"] == [[0, 1, 0], [0, 1, 1], [1, 0, 0]]
    assert reuse["per_class"]["PD"]["f1"] == 0.5
    assert reuse["macro_f1"] == pytest.approx(0.5 / 3)
    assert reuse["accuracy"] == 0.25
    assert m["false_links"] == [{"parent": "c/s3.json", "child": "c/d3.json", "kind": "copy"}]
    assert m["parent_accuracy"] == pytest.approx(6 / 8)  # 4 sources right, d2 right, d3 wrong, d1 right
    assert m["kind_accuracy"] == pytest.approx(1 / 2)


def test_lineage_not_annotated_gives_none():
    story = {"annotates": {"lineage": False, "attributions": True}, "articles": {"t/x.txt": entry()}}
    m = evaluate_story(story, {"edges": [{"parent": "outlet:ap", "child": "t/x.txt"}]}, resolve=resolve)
    assert m["parent_accuracy"] is None and m["false_links"] == []
    assert m["attribution"]["annotated"] is True and m["attribution"]["precision"] is None
    assert m["attribution"]["recall"] is None


def test_wire_credit_recall():
    story = {"articles": {"t/x.txt": entry(wire="AP"), "t/y.txt": entry(wire="UPI"), "t/z.txt": entry()}}
    got = {"edges": [{"parent": "outlet:ap", "child": "t/x.txt", "kind": "attributed"}], "attributions": []}
    wire = evaluate_story(story, got, resolve=resolve)["wire_credit"]
    assert (wire["found"], wire["n"], wire["recall"]) == (1, 2, 0.5)


def test_load_gold_story_picks_the_corpus_story_and_reports_mismatches(tmp_path):
    story = load_gold_story(FIXTURES / "gold.json", "mini")
    assert set(story["articles"]) == {"mini/orig.txt", "mini/copy.txt", "mini/other.txt"}
    with pytest.raises(GoldError, match="no story 'maxi'"):
        load_gold_story(FIXTURES / "gold.json", "maxi")
    with pytest.raises(GoldError, match="not found"):
        load_gold_story(tmp_path / "missing.json", "mini")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(GoldError, match="cannot read"):
        load_gold_story(tmp_path / "bad.json", "mini")


def _fake_trace(corpus_dir: Path, *, crosslingual: bool = True):
    assert corpus_dir.name == "mini"
    return {"articles": [{"id": f"mini/{n}.txt"} for n in ("orig", "copy", "other")],
            "edges": [{"parent": "mini/orig.txt", "child": "mini/copy.txt", "kind": "copy"}],
            "attributions": [], "matches": []}, []


def test_cli_evaluate_json_and_table(monkeypatch):
    monkeypatch.setattr(ev, "run_trace", _fake_trace)
    monkeypatch.setattr(ev, "registry_resolver", lambda registry=None: resolve)
    runner = CliRunner()
    result = runner.invoke(main, ["evaluate", str(FIXTURES / "mini"), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["parent_accuracy"] == 1.0
    assert set(metrics) >= {"parent_accuracy", "attribution", "direction_accuracy", "false_links"}
    assert set(metrics["attribution"]) >= {"precision", "recall", "f1"}
    table = runner.invoke(main, ["evaluate", str(FIXTURES / "mini")])
    assert table.exit_code == 0 and "parent accuracy" in table.output


def test_cli_evaluate_errors(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["evaluate", str(tmp_path / "nope")])
    assert missing.exit_code != 0 and "corpus folder not found" in missing.output
    (tmp_path / "lonely").mkdir()
    no_gold = runner.invoke(main, ["evaluate", str(tmp_path / "lonely")])
    assert no_gold.exit_code != 0 and "no gold.json" in no_gold.output
    wrong = runner.invoke(main, ["evaluate", str(tmp_path / "lonely"), "--gold", str(FIXTURES / "gold.json")])
    assert wrong.exit_code != 0 and "no story 'lonely'" in wrong.output


def test_cli_evaluate_rejects_a_trace_that_shares_no_id_with_gold(monkeypatch):
    def stranger_trace(corpus_dir, crosslingual=True):
        return {"articles": [{"id": "x/a.txt"}]}, []

    monkeypatch.setattr(ev, "run_trace", stranger_trace)
    monkeypatch.setattr(ev, "registry_resolver", lambda registry=None: resolve)
    result = CliRunner().invoke(main, ["evaluate", str(FIXTURES / "mini")])
    assert result.exit_code != 0 and "no gold article was traced" in result.output


def test_registry_resolver_makes_names_domains_and_ids_one_outlet():
    canonical = ev.registry_resolver()
    ids = {canonical(v) for v in ("FT", "Financial Times", "ft.com", "outlet:financial-times", "outlet:ft")}
    assert len(ids) == 1
    assert canonical("Daily Zorb") != canonical("FT")
