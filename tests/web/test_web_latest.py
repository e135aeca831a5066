"""What is new, in words: the Latest page, the status page's marks, and words instead of codes everywhere."""
from __future__ import annotations

import re

from events.envelope import NewEvent
from events.types import AllianceEnded, AllianceNamed, AllianceReported, ReportCorrected, StageChanged
from events.values import Citation, FuzzyDate
from tests.web.conftest import login
from web.editorial import split_note
from web.words import change_phrase, confidence_words, differences

CITE = Citation("Test Wire", "Leapmotor venture goes live", url="https://news.example/leap", published="2026-06-02")


def _status_rows(html: str) -> list[str]:
    return re.findall(r'class="alliance-link" href="/alliances/([^"?]+)', html)


def _stage_change(tracker, alliance_id: str = "leapmotor--stellantis", stage: str = "production") -> None:
    tracker.store.append([NewEvent(StageChanged(alliance_id, stage, CITE), FuzzyDate.parse("2026-06"))])


# --- the Latest page -----------------------------------------------------------------------


def test_latest_is_in_the_navigation_and_lists_changes_newest_learned_first(client) -> None:
    html = client.get("/latest").get_data(as_text=True)
    assert '<a href="/latest" aria-current="page">Latest</a>' in html
    ids = re.findall(r'<li class="change change-\w+" id="change-(\d+)-', html)
    assert len(ids) >= 22 and [int(i) for i in ids] == sorted((int(i) for i in ids), reverse=True)
    assert "New alliance" in html and "new alliance (agreement signed)" in html
    assert "Xinhua News Agency" in html  # each change cites its source


def test_latest_words_a_stage_change_with_names_and_links_its_source(client, tracker) -> None:
    _stage_change(tracker)
    html = client.get("/latest").get_data(as_text=True)
    first = html[html.index('<li class="change'):]
    first = first[:first.index("</li>")]
    assert "Stage change" in first and "Leapmotor + Stellantis" in first
    assert "stage: established -&gt; in production" in first
    assert 'href="https://news.example/leap"' in first and "Test Wire" in first
    assert "leapmotor--stellantis</a>" not in first  # names, not the id


def test_latest_only_since_my_last_visit(client, tracker) -> None:
    client.get("/")  # the first visit: the position seen is remembered
    client.delete_cookie("alliances_since")  # ... and the browser closed
    _stage_change(tracker)
    tracker.store.append([NewEvent(AllianceEnded("bmw--great-wall-motor", CITE, reason="Talks ended"),
                                   FuzzyDate.parse("2026-06"))])
    html = client.get("/latest?since=visit").get_data(as_text=True)
    assert "Only what was learned since your last visit: 2 changes" in html
    items = re.findall(r'<li class="change change-(\w+)"', html)
    assert items == ["ended", "changed"]
    assert "BMW + Great Wall Motor" in html and "Ended" in html
    assert "stage: established -&gt; in production" in html
    everything = client.get("/latest").get_data(as_text=True)
    assert len(re.findall(r'<li class="change ', everything)) > 2


def test_latest_filters_by_what_and_by_name_in_either_script(client, tracker) -> None:
    _stage_change(tracker)
    html = client.get("/latest?what=changed").get_data(as_text=True)
    whats = re.findall(r'<li class="change change-(\w+)"', html)
    assert whats and set(whats) == {"changed"} and 'id="change-' + str(tracker.store.last_position()) in html
    zh = client.get("/latest?q=零跑").get_data(as_text=True)
    assert {m for m in re.findall(r'href="/alliances/([^"?]+)"', zh)} == {"leapmotor--stellantis"}
    assert client.get("/latest?what=nonsense").status_code == 400


def test_a_correction_says_corrected(client, tracker) -> None:
    tracker.store.append([NewEvent(ReportCorrected("alibaba--bmw", "seed:alibaba--bmw:reported",
                                                   "The stage was talks", stage="talks"))])
    html = client.get("/latest?what=corrected").get_data(as_text=True)
    assert "Corrected" in html and "corrected: stage:" in html


# --- the status page's marks ---------------------------------------------------------------


def test_status_marks_say_what_changed_and_filter_only_the_changed(client, tracker) -> None:
    client.get("/")
    _stage_change(tracker)
    tracker.store.append([NewEvent(AllianceReported("bmw--xpeng", ("bmw", "xpeng"), "co_development",
                                                    "agreement_signed", CITE), FuzzyDate.parse("2026-06"))])
    html = client.get("/").get_data(as_text=True)
    assert "2 changed since your last visit" in html
    row = html[html.index('href="/alliances/leapmotor--stellantis"'):]
    assert row[:row.index("</td>")].count("stage change") == 1
    row = html[html.index('href="/alliances/bmw--xpeng"'):]
    assert "new alliance" in row[:row.index("</td>")]
    only = client.get("/?changed=1").get_data(as_text=True)
    assert sorted(_status_rows(only)) == ["bmw--xpeng", "leapmotor--stellantis"]
    assert "Showing only alliances changed since your last visit" in only


def test_status_sorts_last_change_by_when_learned(client, tracker) -> None:
    _stage_change(tracker, "saic-motor--volkswagen", "expanded")  # a 1983 alliance, learned last
    by_date = _status_rows(client.get("/?sort=updated&order=desc").get_data(as_text=True))
    by_learning = _status_rows(client.get("/?sort=learned&order=desc").get_data(as_text=True))
    assert by_learning[0] == "saic-motor--volkswagen"
    assert by_date[0] == "saic-motor--volkswagen"  # dated 2026-06, also the latest date; now one learned early:
    tracker.store.append([NewEvent(StageChanged("momenta--toyota", "production", CITE), FuzzyDate.parse("2022"))])
    assert _status_rows(client.get("/?sort=learned&order=desc").get_data(as_text=True))[0] == "momenta--toyota"
    assert _status_rows(client.get("/?sort=updated&order=desc").get_data(as_text=True))[0] != "momenta--toyota"


# --- words, not codes ----------------------------------------------------------------------


def test_changes_page_says_what_changed_in_words(client) -> None:
    html = client.get("/changes?from=2024-06&to=2024-12").get_data(as_text=True)
    assert "stage: agreement signed -&gt; in production" in html
    shown = re.sub(r"<[^>]+>", " ", html.split("</form>", 1)[1])  # the words a reader sees
    assert "agreement_signed" not in shown and "production ->" not in shown
    assert ">Audi + SAIC Motor</a>" in html and ">audi--saic-motor</a>" not in html


def test_tables_name_alliances_by_their_parties(client) -> None:
    for path in ("/network", "/companies/bmw", "/changes?from=2024&to=2026"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r">[a-z0-9-]+--[a-z0-9-]+</a>", html), path
    assert ">Alibaba + BMW</a>" in client.get("/network").get_data(as_text=True)


def test_milestones_in_words_and_other_not_shown_as_a_type(client) -> None:
    html = client.get("/companies/mercedes-benz").get_data(as_text=True)
    assert "<strong>R&amp;D upgraded</strong>" in html
    assert "<strong>other</strong>" not in html and "<strong>Other</strong>" not in html
    assert "more than 2,000 R&amp;D staff" in html


def test_editorial_notes_are_for_the_admin_only(client) -> None:
    public = client.get("/alliances/audi--saic-motor").get_data(as_text=True)
    assert "Audi unveiled the electric luxury brand AUDI" in public and "resolved to 2024-11" not in public.lower()
    api = client.get("/api/alliances/saic-motor--volkswagen").get_data(as_text=True)
    assert "hence the lower confidence" not in api and "first Santana" in api
    assert login(client).status_code == 302
    admin = client.get("/alliances/audi--saic-motor").get_data(as_text=True)
    assert 'class="editorial-note"' in admin and "Resolved to 2024-11" in admin
    hima = client.get("/alliances/saic-motor--volkswagen").get_data(as_text=True)
    assert "hence the lower confidence" in hima


def test_every_timeline_entry_shows_its_confidence(client) -> None:
    html = client.get("/alliances/saic-motor--volkswagen").get_data(as_text=True)
    assert "Confidence: medium (0.60)" in html
    html = client.get("/alliances/bytedance--mercedes-benz").get_data(as_text=True)
    assert html.count("Confidence: high (0.95)") == 2


def test_a_named_alliance_is_found_by_its_name(client, tracker) -> None:
    tracker.store.append([NewEvent(AllianceNamed("audi--saic-motor", "上汽奧迪", CITE)),
                          NewEvent(AllianceNamed("audi--saic-motor", "SAIC Audi", CITE))])
    for q in ("上汽奥迪", "上汽奧迪", "saic audi", "ＳＡＩＣ　Ａｕｄｉ"):
        assert _status_rows(client.get("/", query_string={"q": q}).get_data(as_text=True)) == ["audi--saic-motor"], q


# --- the pure parts ------------------------------------------------------------------------


def test_split_note_keeps_the_public_words() -> None:
    text, note = split_note("Six months after the May 2024 agreement (resolved to 2024-11) Audi unveiled AUDI; "
                            "its first model is the E5. Dated 2024-11 because the article says six months.")
    assert text == "Six months after the May 2024 agreement Audi unveiled AUDI; its first model is the E5."
    assert note == "Resolved to 2024-11 Dated 2024-11 because the article says six months."
    assert split_note("Plain words. Nothing else.") == ("Plain words. Nothing else.", "")


def test_words_for_changes() -> None:
    p = [{"id": "a", "name": "A", "name_zh": ""}, {"id": "b", "name": "B", "name_zh": ""}]
    before = {"id": "a--b", "parties": p, "kinds": ["co_development"], "stage": "agreement_signed", "loi": False,
              "sources": 1}
    after = {**before, "stage": "established", "kinds": ["co_development", "joint_venture"],
             "parties": [*p, {"id": "c", "name": "C", "name_zh": ""}]}
    assert differences(before, after) == ["stage: agreement signed -> established",
                                          "kinds: co-development -> co-development, joint venture", "joined: C"]
    assert change_phrase({"what": "new", "after": before, "alliance_id": "a--b"}) == "new alliance (agreement signed)"
    assert confidence_words(0.92) == "high (0.92)" and confidence_words(0.55) == "low (0.55)"
    assert confidence_words(None) == ""
