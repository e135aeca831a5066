"""Display helpers for templates: dates at their precision, stage and kind labels, countries."""
from __future__ import annotations

import calendar
from datetime import date

from flask import Flask

from events.values import Kind, Stage

STAGE_LABELS = {
    "talks": "Talks", "agreement_signed": "Agreement signed", "established": "Established",
    "production": "In production", "expanded": "Expanded", "ended": "Ended",
}
STAGE_ORDER = {s.value: i for i, s in enumerate(Stage)}
KIND_LABELS = {k.value: k.value.replace("_", " ").capitalize() for k in Kind} | {"co_development": "Co-development"}
COUNTRIES = {
    "CN": "China", "DE": "Germany", "FR": "France", "GB": "United Kingdom", "JP": "Japan", "NL": "Netherlands",
    "US": "United States", "KR": "South Korea", "IT": "Italy", "SE": "Sweden", "IN": "India",
}
EVENT_LABELS = {
    "AllianceReported": "Reported", "StageChanged": "Stage changed", "AllianceCorroborated": "Corroborated",
    "AllianceNamed": "Named",
    "AllianceEnded": "Ended", "ReportRetracted": "Retraction", "ReportCorrected": "Correction",
    "CompanyMilestone": "Company milestone",
}


def fuzzy_date(text: str | None) -> str:
    """'2025-09' -> 'September 2025', '2026-05-04' -> '4 May 2026', '2021' -> '2021'."""
    if not text:
        return "undated"
    parts = text.split("-")
    try:
        if len(parts) == 3:
            d = date.fromisoformat(text)
            return f"{d.day} {calendar.month_name[d.month]} {d.year}"
        if len(parts) == 2:
            return f"{calendar.month_name[int(parts[1])]} {parts[0]}"
    except (ValueError, IndexError):
        return text
    return text


def precision(text: str | None) -> str:
    """'day', 'month' or 'year': how exact the source is."""
    if not text:
        return "none"
    return {3: "day", 2: "month"}.get(text.count("-") + 1, "year")


def stage_label(stage: str | None) -> str:
    return STAGE_LABELS.get(stage or "", stage or "Unknown")


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(kind or "", (kind or "").replace("_", " "))


def country_label(code: str | None) -> str:
    return COUNTRIES.get(code or "", code or "")


def has_cjk(text: object) -> bool:
    """True when a string holds Chinese characters (so it gets lang="zh")."""
    return isinstance(text, str) and any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def mostly_cjk(text: object) -> bool:
    """True when most letters of a string are Chinese (a Chinese headline, not an English one quoting a term)."""
    if not isinstance(text, str):
        return False
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(1 for ch in letters if has_cjk(ch)) * 2 > len(letters)


def init(app: Flask) -> None:
    app.jinja_env.tests["cjk"] = has_cjk
    app.jinja_env.tests["mostly_cjk"] = mostly_cjk
    app.jinja_env.filters.update(fuzzy_date=fuzzy_date, precision=precision, stage_label=stage_label,
                                 kind_label=kind_label, country_label=country_label,
                                 event_label=lambda t: EVENT_LABELS.get(t, t))
    app.jinja_env.globals.update(STAGE_LABELS=STAGE_LABELS, KIND_LABELS=KIND_LABELS)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
