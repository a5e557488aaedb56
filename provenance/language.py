"""Stage 4: language of each article and paragraph (py3langid: its model ships in the wheel)."""
from __future__ import annotations

import threading

from .models import Article

# Below this many letters a paragraph's own guess is noise; it takes the article's language.
MIN_LETTERS = 40

# py3langid loads its bundled model on first use; the lock makes a classification wait for
# a load already under way (see warm_up) instead of starting a second one.
_model_lock = threading.Lock()


def _classify(text: str) -> tuple[str, float]:
    with _model_lock:
        import py3langid

        return py3langid.classify(text)


def warm_up() -> None:
    """Load the language model in a background thread.

    Loading is mostly xz decompression, which releases the GIL: a command line that starts
    it first gets it in parallel with importing the rest of the pipeline (~0.25 s saved).
    """
    global _warm_up_thread
    _warm_up_thread = threading.Thread(target=_classify, args=("warm up",), name="provenance-langid", daemon=True)
    _warm_up_thread.start()


_warm_up_thread: threading.Thread | None = None


def wait_warm_up() -> None:
    """Wait for a warm-up under way (before forking: a child must not inherit its locks)."""
    if _warm_up_thread is not None:
        _warm_up_thread.join()


def detect(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when there is too little text to tell."""
    letters = sum(map(str.isalpha, text))
    if letters < 8:
        return None
    code, _score = _classify(text)
    return code


def detect_article(article: Article) -> None:
    """Set article.language (from its content) and each paragraph's language."""
    content = [p for p in article.content_paragraphs()] or article.paragraphs
    article.language = article.language or detect("\n".join(p.text for p in content))
    for p in article.paragraphs:
        letters = sum(map(str.isalpha, p.text))
        p.language = detect(p.text) if letters >= MIN_LETTERS else article.language
