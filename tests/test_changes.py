"""The change log: one entry per change a reader cares about, read from the read model's versions.

Run on SQLite and PostgreSQL (the `store` fixture).
"""
from __future__ import annotations

from events.changes import CHANGED, CORRECTED, CORROBORATED, ENDED, NEW, RETRACTED, ChangeLog, classify, describe
from events.envelope import NewEvent
from events.runner import Batch, Runner
from events.subscribers import REGISTRY
from events.types import AllianceCorroborated, AllianceEnded, ReportCorrected, ReportRetracted
from events.values import Citation, FuzzyDate
from tests.factories import CITE, company, reported, staged

OTHER = Citation(publisher="Other Daily", title="Second report", url="https://other.example/a", published="2024-06")


def _seed(store) -> None:  # type: ignore[no-untyped-def]
    store.append([company("leap", "Leapmotor", "零跑"), company("stel", "Stellantis", "斯特兰蒂斯"),
                  company("audi", "Audi", "奥迪"), company("saic", "SAIC", "上汽")])


def _log(store):  # type: ignore[no-untyped-def]
    REGISTRY.runner(store).catch_up()
    return ChangeLog(store)


def test_a_first_report_is_a_new_alliance_with_its_source(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported("leap--stel", ("leap", "stel"), key="r1")])
    [c] = _log(store).changes()
    assert (c.what, c.alliance_id, c.after["stage"], c.before) == (NEW, "leap--stel", "agreement_signed", None)
    assert c.citation == {"url": None, "publisher": CITE.publisher, "title": CITE.title, "published": CITE.published}
    assert c.event_type == "AllianceReported" and c.recorded_at.endswith("Z")
    assert describe(c) == "new alliance (agreement signed)"


def test_a_stage_change_says_from_and_to(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported("leap--stel", ("leap", "stel")), staged("leap--stel", "established", "2024-09")])
    c = _log(store).changes()[-1]
    assert (c.what, c.aspects) == (CHANGED, ("stage",))
    assert describe(c) == "agreement signed -> established"


def test_corroborations_are_left_out_unless_asked_for(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported("leap--stel", ("leap", "stel")),
                  NewEvent(AllianceCorroborated("leap--stel", OTHER), FuzzyDate.parse("2024-06"))])
    log = _log(store)
    assert [c.what for c in log.changes()] == [NEW]
    assert [c.what for c in log.changes(corroborations=True)] == [NEW, CORROBORATED]


def test_an_ending_is_its_own_kind_of_change(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported("audi--saic", ("audi", "saic")),
                  NewEvent(AllianceEnded("audi--saic", OTHER, "dissolved"), FuzzyDate.parse("2025-01"))])
    assert [c.what for c in _log(store).changes()] == [NEW, ENDED]


def test_retracting_the_only_report_removes_the_alliance(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported("audi--saic", ("audi", "saic"), key="only")])
    store.append([NewEvent(ReportRetracted("audi--saic", "only", "misread"))])
    changes = _log(store).changes()
    assert [c.what for c in changes] == [NEW, RETRACTED]
    assert changes[-1].after is None or not changes[-1].after["reported"]


def test_a_correction_is_a_correction_notice(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported("audi--saic", ("audi", "saic"), key="r1")])
    store.append([NewEvent(ReportCorrected("audi--saic", "r1", "stage misread", stage="talks"))])
    c = _log(store).changes()[-1]
    assert (c.what, c.aspects) == (CORRECTED, ("stage",))
    assert describe(c) == "corrected: agreement signed -> talks"


def test_newest_first_after_and_limit_page_through_the_log(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported(f"a{i}", ("audi", "saic")) for i in range(7)])
    log = _log(store)
    every = log.changes()
    assert [c.position for c in log.changes(newest_first=True, limit=3)] == [c.position for c in every[::-1][:3]]
    assert log.changes(after=every[3].position) == every[4:]
    assert log.changes(upto=every[1].position) == every[:2]
    assert [c.alliance_id for c in log.changes(alliances={"a2", "a5"})] == ["a2", "a5"]


def test_ids_survive_a_rebuild(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    store.append([reported("leap--stel", ("leap", "stel")), staged("leap--stel", "production", "2025-03")])
    log = _log(store)
    before = [(c.id, c.what, c.aspects) for c in log.changes()]
    REGISTRY.runner(store).rebuild()
    assert [(c.id, c.what, c.aspects) for c in log.changes()] == before


def test_counters_alone_are_not_a_change() -> None:
    doc = {"reported": True, "stage": "established", "loi": False, "parties": ["a", "b"], "kinds": ["joint_venture"],
           "sources": 1, "corroborations": 0, "events": 1, "latest": 4}
    assert classify(doc, {**doc, "events": 2, "latest": 9}) is None
    assert classify(None, None) is None


class _Reader:
    """A subscriber that must never see events beyond what "alliances" has projected."""

    name, replayable, types, depends_on = "reader", False, None, ("alliances",)

    def __init__(self) -> None:
        self.ends: list[int] = []

    def reset(self, conn) -> None:  # type: ignore[no-untyped-def]
        pass

    def handle(self, conn, batch: Batch) -> None:  # type: ignore[no-untyped-def]
        self.ends.append(batch.end)


def test_a_subscriber_never_runs_ahead_of_those_it_depends_on(store) -> None:  # type: ignore[no-untyped-def]
    _seed(store)
    reader = _Reader()
    runner = Runner(store, [reader])
    runner.catch_up()  # starts at the tail; "alliances" has not run at all
    store.append([reported("leap--stel", ("leap", "stel"))])
    runner.catch_up()
    assert runner.checkpoint("reader") == 4  # held back at the tail it started from
    REGISTRY.runner(store).catch_up()
    runner.catch_up()
    assert runner.checkpoint("reader") == store.tail() == 5


def test_the_json_entry_names_the_parties_in_both_languages(tracker) -> None:  # type: ignore[no-untyped-def]
    _seed(tracker.store)
    tracker.store.append([reported("leap--stel", ("leap", "stel"), key="r1"),
                          staged("leap--stel", "established", "2024-09")])
    newest, first = tracker.queries.changes(limit=2)
    assert newest["title"] == "Leapmotor 零跑 + Stellantis 斯特兰蒂斯: agreement signed -> established"
    assert (newest["what"], newest["before"]["stage"], newest["after"]["stage"]) == (
        "changed", "agreement_signed", "established")
    assert first["before"] is None and first["id"] == f"{first['position']}-leap--stel"
    assert [p["name_zh"] for p in newest["after"]["parties"]] == ["零跑", "斯特兰蒂斯"]


def test_a_party_joining_is_named_not_given_by_id(tracker) -> None:  # type: ignore[no-untyped-def]
    from events.types import StageChanged

    _seed(tracker.store)
    tracker.store.append([reported("leap--stel", ("leap", "stel"), key="r1"),
                          NewEvent(StageChanged("leap--stel", "established", CITE, parties_added=("audi",)),
                                   FuzzyDate.parse("2024-09"))])
    newest = tracker.queries.changes(limit=1)[0]
    assert newest["summary"] == "agreement signed -> established; parties +Audi"
