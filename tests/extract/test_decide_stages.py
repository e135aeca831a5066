"""Stages never silently go backwards (issue 13, item 4), and alliances' own names become alias events (item 5)."""
from __future__ import annotations

import pytest

from events.envelope import Recorded
from events.errors import MalformedEvent
from events.projections.alliance import AllianceState, fold
from events.types import AllianceCorroborated, AllianceNamed
from feeds.decide import contradicts, decide, is_earlier_stage
from feeds.extract import Deal, alliance_names
from feeds.registry import Registry

ARTICLE = {"id": "a1", "title": "Stellantis and Leapmotor", "summary": "", "content": "", "published": "2026-03-02",
           "url": "https://news.example/a1", "feed_title": "Wire"}


def _recorded(position: int, event: AllianceNamed) -> Recorded:
    return Recorded(position, f"alliance-{event.alliance_id}", position, event.type_name, 1, event, None,
                    "2026-03-02T00:00:00.000000Z", f"k{position}", None, "0" * 64, "1" * 64)


def _alliance(stage: str) -> dict[str, AllianceState]:
    st = AllianceState("leapmotor--stellantis", parties=("leapmotor", "stellantis"), kinds=("joint_venture",),
                       stage=stage, reported=True)
    return {st.alliance_id: st}


def _decide(stage: str, current: str, confidence: float = 0.9, article: dict | None = None) -> list[str]:
    deal = Deal(("Leapmotor", "Stellantis"), "joint_venture", stage, False, None, confidence, "evidence")
    events = decide([deal], article or ARTICLE, alliances=_alliance(current), known_companies={"leapmotor", "stellantis"},
                    registry=Registry.default())
    return [e.event.type_name for e in events]


def test_a_report_of_an_earlier_stage_is_a_corroboration_marked_as_such():
    deal = Deal(("Leapmotor", "Stellantis"), "joint_venture", "agreement_signed", False, None, 0.9, "evidence")
    events = decide([deal], ARTICLE, alliances=_alliance("established"), known_companies={"leapmotor", "stellantis"},
                    registry=Registry.default())
    assert [e.event.type_name for e in events] == ["AllianceCorroborated"]
    corroborated = events[0].event
    assert isinstance(corroborated, AllianceCorroborated)
    summary = corroborated.summary
    assert "earlier stage (agreement signed)" in summary and "stage stays" in summary


def test_a_later_stage_is_still_a_stage_change():
    assert _decide("production", "established") == ["StageChanged"]


def test_an_explicit_reversal_is_an_ending():
    assert _decide("ended", "established") == ["StageChanged"]


def test_a_live_stage_for_an_ended_alliance_goes_to_review():
    assert _decide("production", "ended") == ["DealQueued"]


def test_the_same_stage_is_a_corroboration_as_before():
    assert _decide("established", "established") == ["AllianceCorroborated"]


@pytest.mark.parametrize("stage,current,earlier", [
    ("agreement_signed", "established", True), ("talks", "agreement_signed", True), ("production", "expanded", False),
    ("expanded", "production", False), ("established", "agreement_signed", False), ("ended", "production", False),
    ("agreement_signed", "ended", False), ("talks", None, False)])
def test_earlier_stage_order(stage, current, earlier):
    assert is_earlier_stage(stage, current) is earlier


def test_only_a_live_stage_after_an_ending_contradicts():
    assert contradicts("established", "ended") and not contradicts("ended", "ended") and not contradicts("talks", "production")


def test_alliance_names_in_both_languages_resolve_to_their_parties():
    found = dict(alliance_names("鸿蒙智行 and HIMA; Leapmotor International, 零跑国际; Horse Powertrain; 上汽奥迪 (SAIC Audi)"))
    assert found["鸿蒙智行"] == found["HIMA"] == {"huawei", "seres", "chery", "baic", "jac", "saic-motor"}
    assert found["Leapmotor International"] == found["零跑国际"] == {"stellantis", "leapmotor"}
    assert found["Horse Powertrain"] == {"renault", "geely"} and found["上汽奥迪"] == found["SAIC Audi"] == {"saic-motor", "audi"}


def test_a_name_inside_a_longer_word_is_no_alliance_name():
    assert alliance_names("Himalaya and Shima") == []


def test_an_article_naming_a_known_venture_adds_the_name_once():
    article = dict(ARTICLE, content="Leapmotor International, the venture of Stellantis and Leapmotor, started production.")
    deal = Deal(("Leapmotor", "Stellantis"), "joint_venture", "production", False, None, 0.9, "evidence")
    alliances = _alliance("established")
    events = decide([deal], article, alliances=alliances, known_companies={"leapmotor", "stellantis"}, registry=Registry.default())
    named = [e for e in events if isinstance(e.event, AllianceNamed)]
    assert [(e.event.alliance_id, e.event.name) for e in named if isinstance(e.event, AllianceNamed)] == [
        ("leapmotor--stellantis", "Leapmotor International")]
    assert named[0].idempotency_key == "alliance-name:leapmotor--stellantis:leapmotor international"


def test_a_name_the_alliance_already_carries_is_not_added_again():
    rec = _recorded(1, AllianceNamed("leapmotor--stellantis", "Leapmotor International"))
    state = fold(_alliance("established")["leapmotor--stellantis"], rec)
    assert state.names == ("Leapmotor International",)
    article = dict(ARTICLE, content="Leapmotor International grew.")
    deal = Deal(("Leapmotor", "Stellantis"), "joint_venture", "established", False, None, 0.9, "e")
    events = decide([deal], article, alliances={state.alliance_id: state}, known_companies={"leapmotor", "stellantis"},
                    registry=Registry.default())
    assert "AllianceNamed" not in [e.event.type_name for e in events]


def test_a_name_changes_neither_stage_nor_dates_of_the_alliance():
    start = _alliance("established")["leapmotor--stellantis"]
    rec = _recorded(7, AllianceNamed("leapmotor--stellantis", "零跑国际"))
    state = fold(start, rec)
    assert (state.stage, state.since, state.updated, state.names) == ("established", None, None, ("零跑国际",))


def test_an_alliance_name_must_not_be_empty():
    with pytest.raises(MalformedEvent):
        AllianceNamed("x--y", "  ").validate()
