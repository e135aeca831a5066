"""CSV of every table, and the "Data as JSON / CSV" links that keep the page's filters.

A page asked for with `format=csv` answers with the rows its table shows, every page of them
(the filters, search, sort and dates of the query apply; the pagination does not). Cells that a
spreadsheet would run as a formula (starting with = + - @) get a leading apostrophe.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Response, request, url_for

from .formatting import KIND_LABELS, STAGE_LABELS
from .words import alliance_name, change_label, change_name, change_phrase

DROP = ("format", "page")  # the export is the whole filtered table, not one page of it
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def wants_csv() -> bool:
    return request.args.get("format", "") == "csv"


def query_string(drop: Sequence[str] = DROP) -> str:
    """The request's query (every value of every key) without `drop`, as '?a=b' or ''."""
    pairs = [(k, v) for k, vs in request.args.lists() if k not in drop for v in vs]
    return "?" + urlencode(pairs) if pairs else ""


def data_links(json_endpoint: str | None, **values: Any) -> dict[str, str]:
    """The JSON (the API route for the same data) and CSV links of this page, with its query string."""
    qs = query_string()
    links = {"csv": request.path + (qs + "&" if qs else "?") + "format=csv"}
    if json_endpoint:
        links["json"] = url_for(json_endpoint, **values) + qs
    return links


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> Response:
    """A UTF-8 CSV download (with a BOM, so spreadsheets read the Chinese names right)."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows([cell(v) for v in row] for row in rows)
    resp = Response(buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return resp


ALLIANCE_HEADER = ("id", "parties", "parties_zh", "party_ids", "kinds", "stage", "stage_code", "loi", "since",
                   "last_change", "sources", "corroborations", "events")


def alliance_row(a: Mapping[str, Any]) -> list[Any]:
    parties = a["parties"]
    return [a["id"], alliance_name(a), " + ".join(p.get("name_zh") or p["name"] for p in parties),
            " ".join(p["id"] for p in parties), "; ".join(KIND_LABELS.get(k, k) for k in a["kinds"]),
            STAGE_LABELS.get(a["stage"] or "", a["stage"] or ""), a["stage"], a["loi"], a["since"], a["updated"],
            a["sources"], a["corroborations"], a["events"]]


def alliances_csv(alliances: Iterable[Mapping[str, Any]], name: str) -> Response:
    return csv_response(ALLIANCE_HEADER, (alliance_row(a) for a in alliances), name)


CHANGE_HEADER = ("learned_at", "position", "alliance", "alliance_id", "change", "what_changed", "what", "source_title",
                 "source_publisher", "source_url", "source_published")


def changes_csv(changes: Iterable[Mapping[str, Any]], name: str = "latest") -> Response:
    def row(c: Mapping[str, Any]) -> list[Any]:
        src = c.get("source") or {}
        return [c["recorded_at"], c["position"], change_name(c), c["alliance_id"], change_label(c), change_phrase(c),
                c["what"], src.get("title"), src.get("publisher"), src.get("url"), src.get("published")]
    return csv_response(CHANGE_HEADER, (row(c) for c in changes), name)


DIFF_HEADER = ("section", "alliance", "alliance_id", "stage_before", "stage_after", "what_changed")


def diff_csv(d: Mapping[str, Any], words: Callable[[Mapping[str, Any]], list[str]], name: str) -> Response:
    """The /changes page as CSV; `words` says what changed of one item (the page's `diff_phrases`)."""
    def rows() -> Iterable[list[Any]]:
        for section in ("added", "changed", "ended"):
            for a in d[section]:
                yield [section, alliance_name(a, a["id"]), a["id"], STAGE_LABELS.get(a["before_stage"] or "", ""),
                       STAGE_LABELS.get(a["after_stage"] or "", ""), "; ".join(words(a))]
    return csv_response(DIFF_HEADER, rows(), name)


EVENT_HEADER = ("position", "recorded_at", "valid", "type", "stream_id", "source_publisher", "source_title",
                "source_url", "hash")


def events_csv(events: Iterable[Mapping[str, Any]], name: str = "events") -> Response:
    def row(e: Mapping[str, Any]) -> list[Any]:
        cite = (e.get("payload") or {}).get("citation") or {}
        return [e["position"], e["recorded_at"], e.get("valid"), e["type"], e["stream_id"], cite.get("publisher"),
                cite.get("title"), cite.get("url"), e["hash"]]
    return csv_response(EVENT_HEADER, (row(e) for e in events), name)
