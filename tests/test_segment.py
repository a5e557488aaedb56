from provenance.segment import mark_repeated, segment
from provenance.models import Article


def labels(text):
    return [(p.text, p.boilerplate) for p in segment(text)]


def test_paragraph_offsets_slice_back_to_the_text():
    text = "Title line\n\nFirst paragraph here.\nSecond one, on its own line.\n\n  Third.  \n"
    paragraphs = segment(text)
    assert [p.text for p in paragraphs] == [
        "Title line", "First paragraph here.", "Second one, on its own line.", "Third."]
    for p in paragraphs:
        assert text[p.start:p.end] == p.text


def test_hard_wrapped_block_is_one_paragraph():
    body = ("This is a long sentence that an editor wrapped at about seventy\n"
            "characters so that it continues on the next line without any\n"
            "punctuation at the end of each line until the very end of it.\n")
    paragraphs = segment(body)
    assert len(paragraphs) == 1
    assert paragraphs[0].text.endswith("end of it.")


def test_long_paragraph_is_cut_into_passages_at_sentence_ends():
    text = " ".join(f"Sentence number {i} says something about the event." for i in range(60))
    paragraphs = segment(text)
    assert len(paragraphs) > 3
    assert all(p.text.endswith(".") for p in paragraphs)
    assert paragraphs[-1].end == len(text)


def test_comment_thread_and_everything_after_it_is_boilerplate():
    text = ("Headline\n\nThe story itself is told here in a long enough paragraph to count as body text.\n\n"
            "Comments Filter:\n\nby someone on Friday\n\nI disagree with this article entirely.")
    got = labels(text)
    assert got[1][1] is None
    assert [b for _, b in got[2:]] == ["comments"] * 3


def test_chrome_share_ads_and_captions():
    text = ("Menu\n\nTopics\n\nBelgium monitors the hub, officials said on Thursday in a statement to reporters here.\n\n"
            "Share this article\n\n[광고_2]\n\nAlibaba logo in Beijing (Reuters)\n\nLeave a Reply\n\n"
            "The rest of the story continues with more detail about the investigation.")
    got = dict(labels(text))
    assert got["Menu"] == "chrome" and got["Topics"] == "chrome"
    assert got["Share this article"] == "share"
    assert got["[광고_2]"] == "ad"
    assert got["Alibaba logo in Beijing (Reuters)"] == "caption"
    assert got["Leave a Reply"] == "newsletter"
    assert got["The rest of the story continues with more detail about the investigation."] is None


def test_teasers_after_a_closing_credit_line_are_related():
    body = "\n".join(f"Paragraph {i} of the story, with enough words to be body text here." for i in range(6))
    text = body + "\n(Theo FT)\nAnother headline about something else\nIts teaser sentence."
    got = labels(text)
    assert got[6] == ("(Theo FT)", None)  # the credit line itself stays content
    assert got[7][1] == "related" and got[8][1] == "related"


def test_a_mid_article_parenthesis_does_not_end_the_story():
    text = "(Updated)\n" + "\n".join(f"Paragraph {i} of the story goes on and on for a while." for i in range(6))
    assert all(b is None for _, b in labels(text)[1:])


def test_repeated_lines_of_one_outlet_are_marked():
    def article(i, story):
        text = f"{story}\nFollow our live coverage on the app for more updates."
        a = Article(id=f"a{i}", source=f"a{i}", text=text, outlet="outlet:daily")
        a.paragraphs = segment(text)
        return a

    one = article(1, "A first story about the harbour strike and the unions in the city.")
    two = article(2, "A second story about the election campaign and the new polls today.")
    other = Article(id="b", source="b", text=one.text, outlet="outlet:other")
    other.paragraphs = segment(other.text)
    mark_repeated([one, two, other])
    assert one.paragraphs[1].boilerplate == "repeated"
    assert two.paragraphs[1].boilerplate == "repeated"
    assert one.paragraphs[0].boilerplate is None
    assert other.paragraphs[1].boilerplate is None  # another outlet: reuse, not furniture
