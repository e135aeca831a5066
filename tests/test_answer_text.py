"""The alliances answer as JSON text (`Queries.alliances_json`, what `state --json` and the API send): the same JSON
as the fold of the log and as the documents decoded and shaped one by one, key for key and in the same order, as of
D, known at T and both, on SQLite and PostgreSQL; documents laid out otherwise are shaped the slow way, with the
same result."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from events.queries import Queries, alliance_json, party_json
from events.shape import TextShaper
from events.values import parse_instant
from tests.test_projections import event_logs
from tests.test_readmodel import DAYS, SLOW, _fresh_store, _known_states, _reference_docs


def _ordered(value: Any) -> Any:
    """A JSON value with every object as its list of (key, value) pairs: equal only if the key order is too."""
    return json.loads(json.dumps(value), object_pairs_hook=list)


@SLOW
@given(log=event_logs(), cuts=st.lists(st.integers(1, 44), min_size=1, max_size=4), days=st.lists(DAYS, max_size=3))
def test_the_json_text_answer_equals_the_decoded_answer_as_of_known_at_and_both(db_url, log, cuts, days):
    """Retractions, corrections and late reports included (the logs of `event_logs`); names of the parties as
    known at the same time. Equal to the fold of the log filtered to what was known, and to the documents decoded
    and shaped one by one."""
    store = _fresh_store(db_url)
    q = Queries(store)
    for t, known_at, model, probe in _known_states(store, log, cuts, days):
        companies, memo = q.company_docs(known_at), dict[str, dict[str, Any]]()
        for d in [None, *probe]:
            text = json.loads(q.alliances_json(as_of=d, known_at=known_at), object_pairs_hook=list)
            assert text == _ordered(_reference_docs(model, d)), (t, d)
            docs = q.alliance_docs(as_of=d, known_at=known_at)  # the decoding path, document by document
            assert text == _ordered([alliance_json(doc, companies, memo) for doc in docs]), (t, d)
    store.engine.dispose()


def test_party_names_in_the_json_text_are_those_known_at_the_time_asked(store):
    from tests.factories import company, reported

    first = store.append([company("a", "Alpha"), company("b", "Beta"), reported("a--b", ("a", "b"), when="2024-05")])
    store.append([company("a", "Alpha Motors", zh="阿尔法")])
    q = Queries(store)
    then = orjson.loads(q.alliances_json(as_of=date(2024, 6, 1), known_at=parse_instant(first[-1].recorded_at)))
    now = orjson.loads(q.alliances_json(as_of=date(2024, 6, 1)))
    assert [p["name"] for p in then[0]["parties"]] == ["Alpha", "Beta"]
    assert now[0]["parties"][0] == {"id": "a", "name": "Alpha Motors", "name_zh": "阿尔法"}
    assert now == q.alliances(as_of=date(2024, 6, 1))


def _shaper(companies: dict[str, Any]) -> TextShaper:
    return TextShaper(lambda c: party_json(c, companies), lambda d: alliance_json(d, companies))


DOC = {"id": "a--b", "parties": ["a", "b"], "kinds": ["joint_venture"], "stage": "production", "loi": False,
       "since": "2024-05", "updated": "2025-03", "events": 2, "sources": 1, "corroborations": 0, "reported": True,
       "stage_key": None, "since_key": None, "updated_key": None, "latest": 7}


def test_a_document_laid_out_otherwise_is_shaped_the_slow_way_with_the_same_result():
    companies = {"a": {"name": "A \"quoted\" ],\"kinds\":[", "name_zh": "甲"}}
    reordered = {k: DOC[k] for k in sorted(DOC)}
    shaper = _shaper(companies)
    expected = _ordered([alliance_json(DOC, companies)])
    assert json.loads(shaper.array([orjson.dumps(DOC).decode()]), object_pairs_hook=list) == expected
    assert json.loads(shaper.array([orjson.dumps(reordered).decode()]), object_pairs_hook=list) == expected


def test_a_document_not_reported_is_left_out_of_the_json_text():
    hidden = {**DOC, "id": "c--d", "reported": False}
    out = _shaper({}).array([orjson.dumps(hidden).decode(), orjson.dumps(DOC).decode()])
    assert [a["id"] for a in orjson.loads(out)] == ["a--b"]
