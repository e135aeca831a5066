"""Error pages: a clear message in HTML, or JSON under /api/."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

from events.errors import BadDate

log = logging.getLogger(__name__)
TITLES = {400: "Bad request", 401: "Login required", 403: "Not allowed", 404: "Not found",
          405: "Method not allowed", 413: "Too large", 429: "Too many requests", 500: "Something went wrong"}


def _render(code: int, message: str) -> ResponseReturnValue:
    if request.path.startswith("/api/"):
        return jsonify(error=TITLES.get(code, "Error"), message=message, status=code), code
    return render_template("error.html", code=code, title=TITLES.get(code, "Error"), message=message), code


def _http(e: HTTPException) -> ResponseReturnValue:
    code = e.code or 500
    if code == 500:
        return _render(500, "The server hit an internal error. It has been logged.")
    return _render(code, e.description or TITLES.get(code, "Error"))


def _bad_date(e: BadDate) -> ResponseReturnValue:
    return _render(400, f"Bad date: {e}.")


def _crash(e: Exception) -> ResponseReturnValue:
    if isinstance(e, HTTPException):
        return _http(e)
    log.exception("unhandled error on %s", request.path)
    return _render(500, InternalServerError.description)


def init(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(BadDate, _bad_date)
    if not app.testing:
        app.register_error_handler(Exception, _crash)
