"""The operators' endpoints: /healthz (the process answers; touches nothing), /readyz (ready for traffic) and
/metrics (Prometheus text), plus the request timings behind the latency histogram."""
from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from ..deps import ports
from ..ports import Operations

bp = Blueprint("operations", __name__)


def init(app: Flask, ops: Operations | None) -> None:
    """Serve the endpoints; with an operations port, also time every request by its route."""
    app.register_blueprint(bp)
    if ops is None:
        return

    @app.before_request
    def _start() -> None:
        g.ops_started = time.perf_counter()

    @app.teardown_request
    def _observe(_exc: BaseException | None) -> None:
        started = g.pop("ops_started", None)
        if started is not None:
            ops.observe_request(request.endpoint or "unmatched", time.perf_counter() - started)


def _ops() -> Operations | None:
    return ports().ops


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is alive and answering (no database: a slow database must not get it restarted)."""
    return jsonify({"alive": True})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """200 when every readiness check passes, 503 with the failing checks otherwise."""
    ops = _ops()
    if ops is None:
        return jsonify({"ready": False, "checks": {"operations": "not wired in this app"}}), 503
    r = ops.readiness()
    return jsonify({"ready": r.ready, "checks": dict(r.checks)}), 200 if r.ready else 503


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    ops = _ops()
    if ops is None:
        return Response("operations not wired in this app\n", status=404, mimetype="text/plain")
    body, content_type = ops.metrics()
    return Response(body, content_type=content_type)
