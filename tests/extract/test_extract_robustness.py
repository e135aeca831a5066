"""extract is total: any text gives a list of well-formed deals, never an exception."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.extract import extract
from feeds.extract.lexicon import STAGES
from feeds.registry import Registry

_NAMES = [c.name for c in Registry.default().companies()] + [c.name_zh for c in Registry.default().companies()]
_WORDS = ["与", "和", "签署", "合资", "协议", "joint venture", "with", "and", "signed", "上个月", "on Tuesday", "，", "。", ". ", "否认", "could"]


@settings(max_examples=200, deadline=None, database=None)
@given(parts=st.lists(st.one_of(st.sampled_from(_NAMES), st.sampled_from(_WORDS), st.text(max_size=8)), max_size=14),
       published=st.dates().map(lambda d: d.isoformat()))
def test_extract_never_raises_and_returns_valid_deals(parts, published):
    text = " ".join(parts)
    for deal in extract({"id": "p", "published": published, "title": text[:40], "summary": text}):
        assert len(deal.parties) >= 2 and list(deal.parties) == sorted(deal.parties)
        assert deal.stage in STAGES and 0.0 <= deal.confidence <= 1.0
        assert deal.date is None or len(deal.date) in (4, 7, 10)
