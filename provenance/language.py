"""Stage 4: language of each article and paragraph (py3langid: its model ships in the wheel)."""
from __future__ import annotations

from .models import Article

# Below this many letters a paragraph's own guess is noise; it takes the article's language.
MIN_LETTERS = 40


def _classify(text: str) -> tuple[str, float]:
    import py3langid  # loads its bundled model on first use

    return py3langid.classify(text)


def detect(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when there is too little text to tell."""
    letters = sum(1 for ch in text if ch.isalpha())
    if letters < 8:
        return None
    code, _score = _classify(text)
    return code


def detect_article(article: Article) -> None:
    """Set article.language (from its content) and each paragraph's language."""
    content = [p for p in article.content_paragraphs()] or article.paragraphs
    article.language = article.language or detect("\n".join(p.text for p in content))
    for p in article.paragraphs:
        letters = sum(1 for ch in p.text if ch.isalpha())
        p.language = detect(p.text) if letters >= MIN_LETTERS else article.language
