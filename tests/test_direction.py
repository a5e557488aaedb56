"""Translation direction from the text itself: the shipped model and the vote's logic."""
import tomllib
from pathlib import Path

import pytest

from provenance import direction
from provenance.direction import DirectionVote, machine_translated, translation_direction

# Written for this test: an English news paragraph and a German rendering of it.
ENGLISH = (
    "The minister said on Tuesday that the government would not raise taxes this year. He added that "
    "the budget, which was approved by parliament last month, already includes enough money for schools "
    "and hospitals. Critics say the plan is not realistic. \"We have heard this before,\" said one "
    "opposition lawmaker, who asked not to be named. The debate is expected to continue next week, when "
    "the finance committee meets again to discuss the details of the spending plan and its consequences "
    "for local councils."
)
GERMAN = (
    "Der Minister sagte am Dienstag, dass die Regierung in diesem Jahr die Steuern nicht erhöhen werde. "
    "Er fügte hinzu, dass der Haushalt, der letzten Monat vom Parlament verabschiedet wurde, bereits genug "
    "Geld für Schulen und Krankenhäuser enthalte. Kritiker sagen, der Plan sei nicht realistisch. „Das "
    "haben wir schon einmal gehört“, sagte ein Abgeordneter der Opposition, der nicht genannt werden "
    "wollte. Die Debatte soll nächste Woche fortgesetzt werden, wenn der Finanzausschuss erneut "
    "zusammentritt, um die Einzelheiten des Ausgabenplans und seine Folgen für die Gemeinden zu besprechen."
)
VIETNAMESE = (
    "Bộ trưởng cho biết hôm thứ Ba rằng chính phủ sẽ không tăng thuế trong năm nay. Ông nói thêm rằng "
    "ngân sách đã được quốc hội thông qua vào tháng trước và có đủ tiền cho trường học và bệnh viện."
)


def test_shipped_model_loads_with_its_languages_and_calibration():
    model = direction.load_model()
    assert {"en", "de", "ru", "zh", "fr"} <= set(model.translated)
    assert {"en", "de"} <= set(model.machine)
    assert 0.5 < model.claim_threshold < 1.0 and model.pair_scale > 0
    english = model.translated["en"]
    assert len(english.weights) == len(english.vocabulary) + 3 == len(english.mean) == len(english.scale)
    assert len(english.calibration) == 3


def test_the_german_rendering_reads_as_the_translation():
    vote = translation_direction(ENGLISH, "en", GERMAN, "de")
    assert vote.original == "a"
    assert vote.probability >= direction.load_model().claim_threshold
    assert "b reads as translated into German" in vote.reason
    swapped = translation_direction(GERMAN, "de", ENGLISH, "en")
    assert swapped.original == "b" and swapped.probability == vote.probability


def test_unsupported_languages_are_undetermined():
    vote = translation_direction(VIETNAMESE, "vi", VIETNAMESE, "ko")
    assert vote == DirectionVote(None, 0.5, vote.reason)
    assert "undetermined" in vote.reason and "Vietnamese" in vote.reason
    assert machine_translated(VIETNAMESE, "vi") is None


def test_one_supported_side_still_votes_or_abstains_with_reason():
    vote = translation_direction(VIETNAMESE, "vi", GERMAN, "de-DE")
    assert vote.original in ("a", None)  # only the German side is read: it reads translated
    assert "a: no model for Vietnamese" in vote.reason
    assert vote.probability == 0.5 if vote.original is None else vote.probability > 0.5


def test_too_little_text_is_undetermined():
    vote = translation_direction("Short headline.", "en", "Kurze Überschrift.", "de")
    assert vote.original is None and vote.probability == 0.5
    assert "too little text" in vote.reason
    assert machine_translated("Short headline.", "en") is None


def test_machine_translated_is_a_probability():
    p = machine_translated(ENGLISH, "en")
    assert p is not None and 0.0 <= p <= 1.0


def test_tokens_mask_numbers_names_and_quote_styles():
    sentences = direction.tokens("On 12 May Olaf Scholz said „no“. Then he left.")
    assert sentences[0] == ["on", "<num>", "<cap>", "<cap>", "<cap>", "said", "<quote>", "no", "<quote>", "."]
    assert sentences[1] == ["then", "he", "left", "."]
    # Chinese: one token per character, sentences end at the full stop.
    assert direction.tokens("他说了。我们走吧！") == [["他", "说", "了", "。"], ["我", "们", "走", "吧", "！"]]


def _toy_model(threshold: float) -> direction.Model:
    """One feature per language: the share of 'of'. More 'of' reads as translated."""
    classifier = {
        "vocabulary": ["of"], "mean": [0.0, 0.0, 0.0, 0.0], "scale": [1.0, 1.0, 1.0, 1.0],
        "weights": [20.0, 0.0, 0.0, 0.0], "bias": -4.0, "calibration": [1.0, 0.0, 0.0], "min_tokens": 5,
    }
    return direction.model_from_json({
        "feature_version": direction.FEATURE_VERSION, "translated": {"en": classifier, "xx": classifier},
        "machine": {}, "claim_threshold": threshold, "pair_scale": 1.0,
    })


def test_the_side_that_reads_less_translated_is_the_original():
    plain = "the cat sat on the mat and the dog sat on the rug"
    heavy = "the cat of the house of the man of the town sat on the mat"
    model = _toy_model(0.6)
    vote = translation_direction(heavy, "en", plain, "xx", model)
    assert vote.original == "b" and vote.probability > 0.6
    assert translation_direction(heavy, "en", heavy, "xx", model).original is None
    strict = translation_direction(heavy, "en", plain, "xx", _toy_model(0.9999))
    assert strict.original is None and strict.probability == 0.5


def test_model_file_ships_in_the_wheel():
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert "data/direction/*" in pyproject["tool"]["setuptools"]["package-data"]["provenance"]
    with pytest.raises(ValueError):
        direction.model_from_json({"feature_version": -1})
