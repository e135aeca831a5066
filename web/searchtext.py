"""Search text in one form: NFKC (full-width letters and digits become plain ones), traditional
Chinese as simplified (大眾 finds 大众), case folded. The rows and the query both pass through it."""
from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")
_lock = threading.Lock()  # the library says nothing about sharing a converter between threads


@lru_cache(maxsize=65536)  # company names recur on every alliance they are party to
def fold(text: str) -> str:
    """The form search compares: NFKC, simplified Chinese, case folded, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        with _lock:
            text = _T2S.convert(text)
    return " ".join(text.casefold().split())
