"""Alliance and company folds: behaviour, the time-travel rule, and rebuild == incremental."""
from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from events.codec import canonical_json
from events.envelope import Recorded
from events.landscape import Landscape
from events.rows import company_doc, company_from_doc
from events.types import (
    AliasAdded,
    AllianceCorroborated,
    AllianceEnded,
    AllianceReported,
    CompanyMilestone,
    CompanyRegistered,
    Event,
    ReportCorrected,
    ReportRetracted,
    StageChanged,
    to_payload,
)
from events.values import Citation, FuzzyDate

C1 = Citation("Wire A", "First report", url="https://a.example/1")
C2 = Citation("Wire B", "Second report", url="https://b.example/2")


def rec(position: int, event, valid: str | None = None, key: str | None = None) -> Recorded:
    """A stored-looking event without a database (folds never touch one)."""
    return Recorded(position, "s", 1, event.type_name, event.schema_version, event,
                    FuzzyDate.parse(valid) if valid else None, f"2026-01-01T00:00:{position % 60:02d}.000000Z",
                    key or f"k{position}", None, "0" * 64, "0" * 64)


def fold_all(records) -> dict:
    return Landscape().apply_all(records).alliances


def test_report_starts_an_alliance_with_parties_kind_stage_and_since():
    reported = AllianceReported("x", ("b", "a"), "joint_venture", "agreement_signed", C1, loi=True)
    s = fold_all([rec(1, reported, "2024-05")])["x"]
    assert (s.parties, s.kinds, s.stage, s.loi, s.since, s.updated) == (
        ("a", "b"), ("joint_venture",), "agreement_signed", True, "2024-05", "2024-05")
    assert s.events == 1 and len(s.sources) == 1


def test_stage_follows_the_latest_dated_event_not_the_latest_recorded():
    s = fold_all([
        rec(1, AllianceReported("x", ("a", "b"), "joint_venture", "agreement_signed", C1), "2024-05"),
        rec(2, StageChanged("x", "production", C1), "2025-03"),
        rec(3, StageChanged("x", "established", C2), "2024-09"),  # older news, learned later
    ])["x"]
    assert s.stage == "production" and s.updated == "2025-03" and s.since == "2024-05"


def test_stage_change_can_add_a_kind_and_parties():
    s = fold_all([
        rec(1, AllianceReported("x", ("a", "b"), "strategic_cooperation", "agreement_signed", C1), "2024"),
        rec(2, StageChanged("x", "expanded", C1, kind="technology_supply", parties_added=("c",)), "2025"),
    ])["x"]
    assert s.kinds == ("strategic_cooperation", "technology_supply") and s.parties == ("a", "b", "c")


def test_corroboration_counts_and_adds_a_distinct_source():
    s = fold_all([
        rec(1, AllianceReported("x", ("a", "b"), "joint_venture", "established", C1), "2024"),
        rec(2, AllianceCorroborated("x", C2, corroborates="k1"), "2024-02-01"),
        rec(3, AllianceCorroborated("x", C1, corroborates="k1"), "2024-02-02"),
    ])["x"]
    assert s.corroborations == 2 and len(s.sources) == 2 and s.stage == "established"


def test_ended_alliance_shows_stage_ended():
    s = fold_all([
        rec(1, AllianceReported("x", ("a", "b"), "joint_venture", "established", C1), "2020"),
        rec(2, AllianceEnded("x", C2, reason="partner exited"), "2023-06-30"),
    ])["x"]
    assert s.stage == "ended"


def test_retraction_removes_the_report_it_names():
    s = fold_all([
        rec(1, AllianceReported("x", ("a", "b"), "joint_venture", "established", C1), "2024", key="r1"),
        rec(2, StageChanged("x", "production", C1), "2025", key="r2"),
        rec(3, ReportRetracted("x", supersedes="r2", reason="the plant was another company's")),
    ])["x"]
    assert s.stage == "established" and s.events == 3


def test_retracting_the_only_report_hides_the_alliance():
    model = Landscape().apply_all([
        rec(1, AllianceReported("x", ("a", "b"), "joint_venture", "established", C1), "2024", key="r1"),
        rec(2, ReportRetracted("x", supersedes="r1", reason="never happened")),
    ])
    assert model.as_of(None) == {} and model.as_of(date(2030, 1, 1)) == {}


def test_correction_replaces_the_named_fields_and_keeps_the_rest():
    s = fold_all([
        rec(1, AllianceReported("x", ("a", "b"), "joint_venture", "established", C1), "2024-05", key="r1"),
        rec(2, ReportCorrected("x", supersedes="r1", reason="it was an LOI", stage="agreement_signed", loi=True,
                               date="2024-06")),
    ])["x"]
    assert (s.stage, s.loi, s.kinds, s.since) == ("agreement_signed", True, ("joint_venture",), "2024-06")


def test_month_precision_event_counts_only_once_the_month_has_passed():
    reported = AllianceReported("x", ("a", "b"), "joint_venture", "established", C1)
    model = Landscape().apply_all([rec(1, reported, "2024-05")])
    assert "x" not in model.as_of(date(2024, 5, 15))
    assert "x" in model.as_of(date(2024, 5, 31))


def test_year_precision_event_counts_from_the_last_day_of_the_year():
    reported = AllianceReported("x", ("a", "b"), "joint_venture", "established", C1)
    model = Landscape().apply_all([rec(1, reported, "2021")])
    assert "x" not in model.as_of(date(2021, 12, 30)) and "x" in model.as_of(date(2021, 12, 31))


def test_as_of_shows_the_stage_of_that_date():
    model = Landscape().apply_all([
        rec(1, AllianceReported("x", ("a", "b"), "co_development", "agreement_signed", C1), "2024-05"),
        rec(2, StageChanged("x", "production", C1), "2024-11"),
    ])
    assert model.as_of(date(2024, 8, 1))["x"].stage == "agreement_signed"
    assert model.as_of(date(2024, 12, 1))["x"].stage == "production"


def test_company_fold_keeps_names_aliases_and_milestones():
    model = Landscape().apply_all([
        rec(1, CompanyRegistered("huawei", "Huawei", "华为", aliases=("HW",), country="CN", sector="tech")),
        rec(2, AliasAdded("huawei", "華為")),
        rec(3, CompanyMilestone("huawei", "unit_founded", "car BU set up", C1), "2019-05"),
    ])
    c = model.companies["huawei"]
    assert (c.name, c.name_zh, c.aliases, len(c.milestones)) == ("Huawei", "华为", ("HW", "華為"), 1)
    assert company_from_doc(json.loads(canonical_json(company_doc(c)))) == c


# --- properties -----------------------------------------------------------------------------

DATES = st.builds(lambda y, m, d, p: {0: f"{y}", 1: f"{y}-{m:02d}", 2: f"{y}-{m:02d}-{d:02d}"}[p],
                  st.integers(2019, 2026), st.integers(1, 12), st.integers(1, 28), st.integers(0, 2))
AIDS = st.sampled_from(["x", "y", "z"])
STAGES = st.sampled_from(["talks", "agreement_signed", "established", "production", "expanded", "ended"])
KINDS = st.sampled_from(["joint_venture", "strategic_cooperation", "technology_supply", "equity_investment"])
CITES = st.sampled_from([C1, C2, Citation("Wire C", "Third")])


@st.composite
def event_logs(draw) -> list[Recorded]:
    """Random but well-formed logs: reports, stage changes, corroborations, retractions, corrections."""
    out: list[Recorded] = []
    n = draw(st.integers(1, 40))
    for pos in range(1, n + 1):
        aid = draw(AIDS)
        choice = draw(st.integers(0, 10))
        keys = [r.idempotency_key for r in out if getattr(r.event, "alliance_id", None) == aid]
        ev: Event
        if choice <= 3 or not keys:
            ev, valid = AllianceReported(aid, tuple(draw(st.sampled_from([("a", "b"), ("a", "c"), ("b", "c", "d")]))),
                                         draw(KINDS), draw(STAGES), draw(CITES), loi=draw(st.booleans())), draw(DATES)
        elif choice <= 6:
            ev, valid = StageChanged(aid, draw(STAGES), draw(CITES), kind=draw(st.none() | KINDS)), draw(DATES)
        elif choice == 7:
            ev, valid = AllianceCorroborated(aid, draw(CITES)), draw(DATES)
        elif choice == 8:
            ev, valid = ReportRetracted(aid, supersedes=draw(st.sampled_from(keys)), reason="wrong"), None
        elif choice == 10:
            ev, valid = CompanyMilestone("a", "plant_opened", "a plant", draw(CITES), alliance_id=aid), draw(DATES)
        else:
            ev, valid = ReportCorrected(aid, supersedes=draw(st.sampled_from(keys)), reason="fix",
                                        stage=draw(st.none() | STAGES), date=draw(st.none() | DATES)), None
        out.append(rec(pos, ev, valid))
    return out


def _roundtrip(model: Landscape, log_so_far: list[Recorded]) -> Landscape:
    """What the projector does between batches: alliances refold from their stored rows,
    companies come back from their JSON documents."""
    return Landscape(Landscape.from_rows([_row(r) for r in log_so_far]).alliances,
                     {c: company_from_doc(json.loads(canonical_json(company_doc(s))))
                      for c, s in model.companies.items()},
                     model.position)


@settings(max_examples=150, deadline=None)
@given(log=event_logs(), cuts=st.lists(st.integers(0, 40), max_size=4))
def test_incremental_projection_with_checkpoints_equals_a_rebuild(log, cuts):
    rebuilt = Landscape().apply_all(log)
    model = Landscape()
    for i, r in enumerate(log):
        if i in cuts:
            model = _roundtrip(model, log[:i])
        model.apply(r)
    assert model.alliances == rebuilt.alliances


@settings(max_examples=150, deadline=None)
@given(log=event_logs(), seed=st.integers(0, 10_000))
def test_fold_result_does_not_depend_on_event_order(log, seed):
    """Retractions/corrections after their target, everything else in any order."""
    shuffled = log[:]
    random.Random(seed).shuffle(shuffled)
    bookkeeping = [r for r in shuffled if r.type in ("ReportRetracted", "ReportCorrected")]
    facts = [r for r in shuffled if r not in bookkeeping]
    a = Landscape().apply_all(log).alliances
    b = Landscape().apply_all(facts + bookkeeping).alliances
    def strip(m):  # type: ignore[no-untyped-def]
        return {k: replace(v, entries=tuple(sorted(v.entries, key=lambda e: e.position)), corrections=v.corrections)
                for k, v in m.items()}

    def summary(m):  # type: ignore[no-untyped-def]
        return {k: (v.parties, v.kinds, v.stage, v.loi, v.since, v.updated, set(v.sources), v.corroborations,
                    v.reported) for k, v in strip(m).items()}

    assert summary(a) == summary(b)


def _row(r: Recorded) -> tuple:
    """The undecoded store row of a record, as `EventStore.read_raw` yields it."""
    v = r.valid
    return (r.position, r.type, r.schema_version, canonical_json(to_payload(r.event)),
            v.start.isoformat() if v else None, v.precision.value if v else None, r.recorded_at, r.idempotency_key,
            r.stream_id, r.stream_version)


@settings(max_examples=150, deadline=None)
@given(log=event_logs())
def test_bulk_rebuild_from_rows_equals_folding_one_by_one(log):
    bulk, one_by_one = Landscape.from_rows([_row(r) for r in log]), Landscape().apply_all(log)
    assert bulk.alliances == one_by_one.alliances and bulk.companies == one_by_one.companies
