"""What changed, in words a reader uses: stages, kinds and parties by name, never codes or ids.

Pure functions over documents in the API shapes (`alliance_json`: parties with names; `change_json`
of the change log). The pages, the CSV exports and the status page's "new" marks share them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .formatting import KIND_LABELS, STAGE_LABELS

Doc = Mapping[str, Any]

WHAT_LABELS = {
    "new": "New alliance", "changed": "Changed", "ended": "Ended", "retracted": "Retracted",
    "corrected": "Corrected", "corroborated": "Another source",
}
ASPECT_LABELS = {"stage": "Stage change", "loi": "Stage change", "parties": "Parties changed",
                 "kinds": "Kinds changed", "sources": "Another source"}
MILESTONE_LABELS = {
    "unit_founded": "Unit founded", "company_founded": "Founded", "rd_upgraded": "R&D upgraded",
    "listed": "Listed", "brand_launched": "Brand launched", "plant_opened": "Plant opened", "other": "",
}


def stage_words(stage: str | None, loi: bool = False) -> str:
    """'agreement_signed' -> 'agreement signed'; a letter of intent says so."""
    text = STAGE_LABELS.get(stage or "", (stage or "unknown stage").replace("_", " ")).lower()
    return f"{text} (letter of intent)" if loi else text


def kinds_words(kinds: Iterable[str]) -> str:
    return ", ".join(KIND_LABELS.get(k, k.replace("_", " ")).lower() for k in kinds) or "none"


def party_names(doc: Doc | None) -> list[str]:
    return [p.get("name") or p["id"] for p in (doc or {}).get("parties", ())]


def alliance_name(doc: Doc | None, fallback: str = "") -> str:
    """'Leapmotor + Stellantis': the parties by name (the id only when no document names them)."""
    return " + ".join(party_names(doc)) or fallback


def differences(before: Doc | None, after: Doc | None) -> list[str]:
    """Each reader-facing difference between two documents of one alliance, as a phrase."""
    if before is None and after is None:
        return []
    if before is None:
        return [f"new alliance ({stage_words(after['stage'], after['loi'])})"]  # type: ignore[index]
    if after is None:
        return ["retracted: no longer listed"]
    out = []
    if (before["stage"], before["loi"]) != (after["stage"], after["loi"]):
        was_stage, now_stage = stage_words(before["stage"], before["loi"]), stage_words(after["stage"], after["loi"])
        out.append(f"stage: {was_stage} -> {now_stage}")
    if list(before["kinds"]) != list(after["kinds"]):
        out.append(f"kinds: {kinds_words(before['kinds'])} -> {kinds_words(after['kinds'])}")
    was, now = {p["id"]: p for p in before["parties"]}, {p["id"]: p for p in after["parties"]}
    joined = [now[k].get("name") or k for k in now if k not in was]
    left = [was[k].get("name") or k for k in was if k not in now]
    if joined:
        out.append("joined: " + ", ".join(joined))
    if left:
        out.append("left: " + ", ".join(left))
    if not out and before.get("sources") != after.get("sources"):
        out.append(f"sources: {before.get('sources')} -> {after.get('sources')}")
    return out


def change_label(change: Doc) -> str:
    """The kind of a change-log entry in words: 'New alliance', 'Stage change', 'Ended', 'Corrected'..."""
    what = change["what"]
    if what == "changed":
        aspects: Sequence[str] = change.get("aspects") or ()
        return ASPECT_LABELS.get(aspects[0], "Changed") if aspects else "Changed"
    return WHAT_LABELS.get(what, str(what))


def change_phrase(change: Doc) -> str:
    """What a change-log entry changed: 'stage: agreement signed -> established'; 'ended'; 'corrected: ...'."""
    what = change["what"]
    if what == "new":
        return differences(None, change["after"])[0] if change.get("after") else "new alliance"
    if what == "retracted":
        return "report retracted: no longer listed"
    phrases = differences(change.get("before"), change.get("after"))
    if what == "corroborated":
        sources = (change.get("after") or {}).get("sources")
        return f"another source ({sources} in all)" if sources else "another source"
    if what == "ended":
        return "; ".join(["ended", *(p for p in phrases if not p.startswith("stage:"))])
    text = "; ".join(phrases) or "changed"
    return f"corrected: {text}" if what == "corrected" else text


def change_name(change: Doc) -> str:
    """The alliance a change is about, by its parties' names."""
    return alliance_name(change.get("after") or change.get("before"), change["alliance_id"])


def marks(changes: Iterable[Doc]) -> dict[str, str]:
    """Per alliance, what its changes amount to, for the status page's marks: 'new alliance, stage change'."""
    found: dict[str, list[str]] = {}
    for c in changes:
        label = change_label(c).lower()
        seen = found.setdefault(c["alliance_id"], [])
        if label not in seen:
            seen.append(label)
    return {aid: ", ".join(labels) for aid, labels in found.items()}


def milestone_label(kind: str | None) -> str:
    """A milestone's kind in words; 'other' says nothing, so it shows nothing."""
    return MILESTONE_LABELS.get(kind or "", (kind or "").replace("_", " ").capitalize())


def confidence_words(value: float | None) -> str:
    """'high (0.92)': how sure the extraction or the editor was of an entry."""
    if value is None:
        return ""
    word = "high" if value >= 0.85 else "medium" if value >= 0.6 else "low"
    return f"{word} ({value:.2f})"


def diff_phrases(item: Doc, before: Doc | None) -> list[str]:
    """The /changes page's "what changed" for one item of `Queries.diff`, from the document before."""
    if before is None:
        return ["new alliance" if item["after_stage"] != "ended" else "reported as already ended"]
    if item.get("after_stage") is None:
        return ["retracted: no longer listed"]
    return differences(before, item) or ["changed"]


def init(app: Any) -> None:
    app.jinja_env.filters.update(alliance_name=alliance_name, milestone_label=milestone_label,
                                 confidence_words=confidence_words, change_label=change_label,
                                 change_phrase=change_phrase, change_name=change_name)
