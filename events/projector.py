"""Keeps the read-model tables current from a checkpoint, and rebuilds them from position 0.

Rows and checkpoint are written in one transaction, so a crash never leaves the tables
ahead of or behind the checkpoint. Projection has no side effects beyond these tables:
notifications hang off new events elsewhere, so a rebuild never re-sends anything.
"""
from __future__ import annotations

import orjson
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from .landscape import Landscape, alliance_summary, company_from_doc, to_doc
from .store import EventStore

NAME = "landscape"
_LOCK = 0x70726F6A  # "proj"


class Projector:
    """Folds new events into `alliance_view` and `company_view`."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def checkpoint(self) -> int:
        with self.store.engine.connect() as conn:
            return self._checkpoint(conn)

    @staticmethod
    def _checkpoint(conn: Connection) -> int:
        row = conn.execute(text("SELECT position FROM checkpoints WHERE name = :n"), {"n": NAME}).first()
        return int(row[0]) if row else 0

    def _lock(self, conn: Connection) -> None:
        if self.store.is_postgres:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})

    def catch_up(self, batch: int = 20_000) -> int:
        """Apply every event after the checkpoint; returns how many were applied."""
        applied = 0
        while True:
            with self.store.write() as conn:
                self._lock(conn)
                start = self._checkpoint(conn)
                records = list(self.store.read(after=start, batch=batch, conn=conn))[:batch]
                if not records:
                    return applied
                model = self._load_touched(conn, records, start)
                touched: set[tuple[str, str]] = set()
                for rec in records:
                    touched |= model.apply(rec)
                self._save(conn, model, touched, records[-1].position)
                applied += len(records)

    def rebuild(self) -> int:
        """Drop the read models and fold the whole log again; returns the events folded."""
        with self.store.write() as conn:
            self._lock(conn)
            conn.execute(text("DELETE FROM alliance_view"))
            conn.execute(text("DELETE FROM company_view"))
            model = Landscape.from_rows(self.store.read_rows_verified(conn=conn))  # refuses a broken chain
            count = self._count(conn)
            touched = {("alliance", a) for a in model.alliances} | {("company", c) for c in model.companies}
            self._save(conn, model, touched, model.position, fresh=True)
            return count

    @staticmethod
    def _count(conn: Connection) -> int:
        return int(conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one())

    def _load_touched(self, conn: Connection, records: list[Any], start: int) -> Landscape:
        """Touched alliances refolded from their streams up to the checkpoint; companies from their rows."""
        model = Landscape()
        aids = sorted({r.event.alliance_id for r in records if getattr(r.event, "alliance_id", None)})
        cids = {r.event.company_id for r in records if getattr(r.event, "company_id", None)}
        if aids:
            rows = self.store.read_rows(upto=start, conn=conn, streams=[f"alliance-{a}" for a in aids])
            model.alliances = Landscape.from_rows(rows).alliances
        for cid, doc in _docs(conn, "company_view", "company_id", cids):
            model.companies[cid] = company_from_doc(doc)
        return model

    def _save(self, conn: Connection, model: Landscape, touched: set[tuple[str, str]], position: int, fresh: bool = False) -> None:
        for table, col, kind, states in (
            ("alliance_view", "alliance_id", "alliance", model.alliances),
            ("company_view", "company_id", "company", model.companies),
        ):
            ids = sorted(i for k, i in touched if k == kind and i in states)
            if not ids:
                continue
            if not fresh:
                for i in range(0, len(ids), 500):
                    conn.execute(text(f"DELETE FROM {table} WHERE {col} IN :ids").bindparams(
                        bindparam("ids", expanding=True)), {"ids": ids[i : i + 500]})
            to = alliance_summary if kind == "alliance" else to_doc
            rows = [{"id": i, "doc": orjson.dumps(to(states[i])).decode()} for i in ids]
            conn.execute(text(f"INSERT INTO {table} ({col}, doc) VALUES (:id, :doc)"), rows)
        conn.execute(text("DELETE FROM checkpoints WHERE name = :n"), {"n": NAME})
        conn.execute(text("INSERT INTO checkpoints (name, position) VALUES (:n, :p)"), {"n": NAME, "p": position})

    def load(self) -> tuple[dict[str, dict[str, Any]], Landscape]:
        """The read model as stored (call `catch_up` first): alliance summaries, and the companies."""
        model = Landscape()
        with self.store.engine.connect() as conn:
            rows = conn.execute(text("SELECT alliance_id, doc FROM alliance_view")).all()
            summaries = {aid: orjson.loads(doc) for aid, doc in rows}
            for cid, doc in conn.execute(text("SELECT company_id, doc FROM company_view")):
                model.companies[cid] = company_from_doc(orjson.loads(doc))
            model.position = self._checkpoint(conn)
        return summaries, model


def _docs(conn: Connection, table: str, col: str, ids: set[str]):  # type: ignore[no-untyped-def]
    items = sorted(ids)
    for i in range(0, len(items), 500):
        q = text(f"SELECT {col}, doc FROM {table} WHERE {col} IN :ids").bindparams(bindparam("ids", expanding=True))
        for k, doc in conn.execute(q, {"ids": items[i : i + 500]}):
            yield k, orjson.loads(doc)
