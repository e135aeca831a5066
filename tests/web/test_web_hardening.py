"""Web hardening (issue 10, findings 8, 9 and 11): 400 not 500, logout ends the session, Secure cookies, aliases."""
from __future__ import annotations

from typing import Any

import pytest

from .conftest import csrf_of, login

COOKIE = "alliances_session"


# --- 8: numbers beyond 64 bits are bad requests -----------------------------------------------

@pytest.mark.parametrize("path", ["/api/events?after=9223372036854775808", "/events?after=99999999999999999999999",
                                  "/?page=9223372036854775808"])
def test_a_position_beyond_64_bits_is_a_400_not_a_500(client, path):
    r = client.get(path)
    assert r.status_code == 400 and "must lie between" in r.get_data(as_text=True)


def test_the_largest_64_bit_position_is_still_a_valid_question(client):
    r = client.get("/api/events?after=9223372036854775807")
    assert r.status_code == 200 and r.get_json() == []


# --- 9: sessions end on the server; Secure cookies over HTTPS -----------------------------------

def test_a_cookie_saved_before_logout_no_longer_works(app, admin, tracker):
    token = csrf_of(admin, "/companies/momenta")
    saved = admin.get_cookie(COOKIE).value
    admin.post("/logout", data={"csrf_token": token})
    replay = app.test_client()
    replay.set_cookie(COOKIE, saved)
    r = replay.post("/companies/momenta/aliases", data={"alias": "Mmta Robotics", "csrf_token": token})
    assert r.status_code == 403
    assert not any(rec.type == "AliasAdded" for rec in tracker.store.read())
    assert replay.get("/review").status_code == 302  # to the login page: no admin page either


def test_logging_in_again_after_logout_works(admin):
    token = csrf_of(admin, "/companies/momenta")
    admin.post("/logout", data={"csrf_token": token})
    assert login(admin).status_code == 302
    token = csrf_of(admin, "/companies/momenta")
    assert admin.post("/companies/momenta/aliases", data={"alias": "Mmta Robotics", "csrf_token": token}
                      ).status_code == 303


def _set_cookie(r: Any) -> str:
    return next((v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith(COOKIE)), "")


def test_the_session_cookie_is_secure_over_https_and_not_over_plain_http(client):
    assert "; Secure" in _set_cookie(client.get("/login", base_url="https://tracker.example"))
    plain = _set_cookie(client.get("/login"))
    assert plain and "; Secure" not in plain


def test_behind_a_configured_proxy_the_forwarded_scheme_decides(tmp_path, seed_template):
    import shutil

    from service.bootstrap import build
    from service.config import Settings
    from service.webapp import web_app

    shutil.copy(seed_template, tmp_path / "alliances.db")
    for proxies, secure in (("1", True), ("0", False)):
        t = build(Settings.from_env({"ALLIANCES_DATA_DIR": str(tmp_path), "ALLIANCES_ADMIN_PASSWORD": "pw",
                                     "ALLIANCES_TRUSTED_PROXIES": proxies}))
        try:
            c = web_app(t, testing=True).test_client()
            r = c.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
            assert ("; Secure" in _set_cookie(r)) is secure
        finally:
            t.close()


# --- 11: alias limits and removal on the company page ------------------------------------------

def test_an_admin_sees_a_remove_button_per_alias_and_removal_is_an_event(admin, tracker):
    token = csrf_of(admin, "/companies/momenta")
    admin.post("/companies/momenta/aliases", data={"alias": "Mmta Robotics", "csrf_token": token})
    page = admin.get("/companies/momenta").get_data(as_text=True)
    assert 'action="/companies/momenta/aliases/remove"' in page and 'value="Mmta Robotics"' in page
    r = admin.post("/companies/momenta/aliases/remove", data={"alias": "Mmta Robotics", "csrf_token": token},
                   follow_redirects=True)
    assert "removed" in r.get_data(as_text=True)
    assert [rec.type for rec in tracker.store.read() if rec.type.startswith("Alias")] == ["AliasAdded", "AliasRemoved"]
    assert "Mmta Robotics" not in admin.get("/companies/momenta").get_data(as_text=True)


def test_removing_an_alias_needs_a_login_and_a_csrf_token(client, admin, tracker):
    assert admin.post("/companies/momenta/aliases/remove", data={"alias": "Momenta Global"}).status_code == 400
    anon = admin.application.test_client()
    r = anon.post("/companies/momenta/aliases/remove", data={"alias": "Momenta Global", "csrf_token": csrf_of(anon)})
    assert r.status_code == 403
    assert not any(rec.type == "AliasRemoved" for rec in tracker.store.read())


def test_a_stop_word_alias_from_the_form_is_refused_with_a_message(admin, tracker):
    token = csrf_of(admin, "/companies/audi")
    r = admin.post("/companies/audi/aliases", data={"alias": "the", "csrf_token": token}, follow_redirects=True)
    assert "common word" in r.get_data(as_text=True)
    assert not any(rec.type == "AliasAdded" for rec in tracker.store.read())
