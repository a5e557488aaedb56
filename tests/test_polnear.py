"""The brat/PolNeAR loader and its gold outlet credits, on a tiny invented corpus."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provenance.evaluate import evaluate_story
from provenance.models import Outlet
from provenance.polnear import (
    PolnearArticle,
    PolnearError,
    load_polnear,
    outlet_credits,
    parse_brat,
    to_gold_story,
)

BRAT = Path(__file__).parent / "fixtures" / "evaluate" / "brat"


class FakeRegistry:
    """Resolves a handful of names (case and a leading "the" ignored), like the real registry."""

    NAMES = {
        "daily planet": "outlet:daily-planet",
        "reuters": "outlet:reuters",
        "cnn": "outlet:cnn",
        "washington post": "outlet:the-washington-post",
        "usa today": "outlet:usa-today",
        "ap": "outlet:associated-press",
        "times": "outlet:times-of-elsewhere",
        "harbour times": "outlet:harbour-times",
        "valley times": "outlet:valley-times",
    }

    def resolve(self, text: str) -> Outlet | None:
        key = text.strip().lower().removeprefix("the ")
        outlet_id = self.NAMES.get(key)
        return Outlet(id=outlet_id, name=text) if outlet_id else None

    def outlet_for(self, name: str) -> Outlet:
        return self.resolve(name) or Outlet(id="outlet:" + name.lower().replace(" ", "-"), name=name)


def by_name(articles):
    return {a.name: a for a in articles}


def test_load_reads_text_metadata_and_every_annotator():
    articles = by_name(load_polnear(BRAT))
    budget = articles["wash-post_2024-01-02_budget-vote"]
    turnout = articles["usa-today_2024-01-03_turnout"]
    assert budget.outlet_name == "The Washington Post" and budget.wire is None
    assert turnout.wire == "AP" and turnout.credit == "h/t: Daily Planet"
    assert sorted(turnout.annotations) == ["bbbb", "cccc", "dddd"]
    assert len(budget.annotations["aaaa"]) == 5
    first = budget.annotations["aaaa"][0]
    assert first.source.text == "the Daily Planet" and first.cue.text == "according to"
    assert budget.text[first.source.start : first.source.end] == "the Daily Planet"
    assert turnout.annotations["dddd"][0].source is None  # Attribution-no-source


def test_outlet_credits_source_told_possessor_and_self():
    budget = by_name(load_polnear(BRAT))["wash-post_2024-01-02_budget-vote"]
    credits = {c.outlet: c for c in outlet_credits(budget, FakeRegistry())}
    assert set(credits) == {
        "outlet:daily-planet", "outlet:reuters", "outlet:cnn", "outlet:the-washington-post"
    }
    assert credits["outlet:daily-planet"].kind == "according_to"
    assert credits["outlet:reuters"].kind == "told"  # the outlet follows the cue, outside the Source
    assert credits["outlet:reuters"].phrase == "told Reuters"
    assert credits["outlet:cnn"].surface == "CNN"  # possessor of "CNN's Jane Doe"
    for credit in credits.values():
        assert budget.text[credit.start : credit.end] == credit.phrase
    gold = to_gold_story([budget], FakeRegistry())
    entry = gold["articles"]["text/wash-post_2024-01-02_budget-vote.txt"]
    selfs = {a["outlet"]: a["self"] for a in entry["attributions"]}
    assert selfs["outlet:the-washington-post"] is True and selfs["outlet:reuters"] is False
    assert gold["annotates"] == {"lineage": False, "attributions": True}


def test_credits_need_half_of_the_annotators():
    turnout = by_name(load_polnear(BRAT))["usa-today_2024-01-03_turnout"]
    # Daily Planet: 2 of 3 annotators; CNN ("said in an interview with CNN"): only 1 of 3.
    assert [c.outlet for c in outlet_credits(turnout, FakeRegistry())] == ["outlet:daily-planet"]
    everyone = outlet_credits(turnout, FakeRegistry(), min_agreement=0.0)
    assert [c.outlet for c in everyone] == ["outlet:daily-planet", "outlet:cnn"]


def test_gold_story_scores_with_the_common_metrics():
    story = to_gold_story(load_polnear(BRAT), FakeRegistry())
    ids = {"text/wash-post_2024-01-02_budget-vote.txt", "text/usa-today_2024-01-03_turnout.txt"}
    assert set(story["articles"]) == ids
    budget, turnout = sorted(ids, reverse=True)
    trace = {
        "edges": [],
        "attributions": [
            {"article": budget, "outlet": "outlet:reuters", "kind": "told"},
            {"article": turnout, "outlet": "outlet:daily-planet", "kind": "credit"},
            {"article": turnout, "outlet": "outlet:associated-press", "kind": "dateline"},
        ],
    }
    registry = FakeRegistry()

    def resolve(value: str) -> str:
        return value if value.startswith("outlet:") else registry.outlet_for(value).id

    m = evaluate_story(story, trace, resolve=resolve)
    # The turnout article's wire (AP) is an optional credit; its hat-tip (Daily Planet) is annotated.
    optional = [a for a in story["articles"][turnout]["attributions"] if a["optional"]]
    assert [(a["outlet"], a["from"]) for a in optional] == [("outlet:associated-press", "metadata.tsv wire")]
    # gold: 4 credits in the budget article + Daily Planet in the turnout one = 5; the AP credit is
    # optional, so 2 of 2 scored predictions are right.
    assert (m["attribution"]["precision"], m["attribution"]["recall"]) == (1.0, 0.4)
    # the Washington Post's own "has learned" is a self credit: without it 2 of 4 gold.
    assert m["attribution"]["without_self"]["recall"] == 0.5
    assert m["wire_credit"]["found"] == 1 and m["wire_credit"]["n"] == 1
    assert m["parent_accuracy"] is None


def test_parse_brat_discontinuous_spans_and_errors():
    relations = parse_brat(
        "T1\tSource 0 3\tAna\nT2\tCue 4 8\tsaid\nT3\tContent 9 12;20 24\tabc wxyz\n"
        "T4\tAttribution 4 8\tsaid\n#1\tAnnotatorNotes T1\tnote\n"
        "E1\tAttribution:T4 Source:T1 Cue:T2 Content:T3\n"
    )
    assert relations[0].content[0].segments == [(9, 12), (20, 24)]
    assert relations[0].content[0].end == 24
    with pytest.raises(PolnearError, match="malformed"):
        parse_brat("T1\tSource zero 3\tAna\n")
    with pytest.raises(PolnearError, match="unknown span"):
        parse_brat("E1\tAttribution:T9 Source:T1\n")


def test_load_rejects_offsets_that_do_not_match(tmp_path):
    copy = tmp_path / "corpus"
    shutil.copytree(BRAT, copy)
    ann = copy / "attributions" / "usa-today_2024-01-03_turnout_bbbb.ann"
    ann.write_text(ann.read_text(encoding="utf-8").replace("Source 22 38", "Source 23 39"), encoding="utf-8")
    with pytest.raises(PolnearError, match="does not match"):
        load_polnear(copy)
    with pytest.raises(PolnearError, match="not a PolNeAR folder"):
        load_polnear(tmp_path)


def article_with_source(text: str, source: str, cue: str) -> PolnearArticle:
    """One annotator, one attribution: the first occurrences of ``source`` and ``cue``."""
    s, c = text.index(source), text.index(cue)
    ann = (f"T1\tSource {s} {s + len(source)}\t{source}\nT2\tCue {c} {c + len(cue)}\t{cue}\n"
           f"T3\tAttribution {c} {c + len(cue)}\t{cue}\nE1\tAttribution:T3 Source:T1 Cue:T2\n")
    return PolnearArticle(name="x", text=text, annotations={"a": parse_brat(ann)})


def test_short_form_reads_as_the_outlet_named_in_full():
    text = "A Harbour Times story set the tone. The Times said the count was late."
    credits = outlet_credits(article_with_source(text, "The Times", "said"), FakeRegistry())
    assert [c.outlet for c in credits] == ["outlet:harbour-times"]
    alone = "The Times said the count was late."
    credits = outlet_credits(article_with_source(alone, "The Times", "said"), FakeRegistry())
    assert [c.outlet for c in credits] == ["outlet:times-of-elsewhere"]
    both = "The Harbour Times and the Valley Times disagree. The Times said the count was late."
    assert outlet_credits(article_with_source(both, "The Times", "said"), FakeRegistry()) == []
