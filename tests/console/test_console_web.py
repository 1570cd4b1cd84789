"""The console's doors and forms over HTTP (Starlette's TestClient, no browser)."""

from __future__ import annotations

import pytest

from console.actions import Outcome
from console.web import SESSION_COOKIE
from lobbyq.protocol.messages import StateMsg
from tests.console.conftest import PASSWORD, Rig

JSON = {"accept": "application/json"}


def test_pages_need_a_login(rig: Rig) -> None:
    resp = rig.client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert rig.client.get("/events").status_code == 401


def test_login_sets_a_hardened_session_cookie(rig: Rig) -> None:
    assert rig.login() == 303
    cookie = next(h for h in rig.client.cookies.jar if h.name == SESSION_COOKIE)
    assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "strict"
    page = rig.client.get("/")
    assert page.status_code == 200 and 'id="p-queues"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"


def test_wrong_password_is_refused(rig: Rig) -> None:
    assert rig.login(password="wrong password") == 401
    assert rig.client.get("/", follow_redirects=False).status_code == 303


def test_login_without_its_csrf_token_is_refused(rig: Rig) -> None:
    rig.client.get("/login")
    resp = rig.client.post("/login", data={"csrf": "forged", "name": "mgr", "password": PASSWORD})
    assert resp.status_code == 403


def test_login_is_throttled_per_account_even_with_the_right_password(rig: Rig) -> None:
    for _ in range(5):
        assert rig.login(password="wrong password") == 401
    assert rig.login() == 429
    rig.clock.t += 901
    assert rig.login() == 303


def test_a_tampered_cookie_is_no_session(rig: Rig) -> None:
    rig.login()
    value = rig.client.cookies[SESSION_COOKIE]
    rig.client.cookies.clear()
    rig.client.cookies.set(SESSION_COOKIE, value[:-2] + "xx")
    resp = rig.client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and "expired" in resp.headers["location"]


def test_an_expired_session_is_refused(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    csrf = rig.csrf()
    rig.clock.t += rig.accounts.session_ttl_s + 1
    assert rig.client.get("/", follow_redirects=False).status_code == 303
    resp = rig.client.post("/notice/clear", data={"csrf": csrf}, headers=JSON)
    assert resp.status_code == 401 and rig.commander.sent == []


def test_an_action_without_the_csrf_token_is_refused(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    resp = rig.client.post("/notice", data={"notice": "power_cut"}, headers=JSON)
    assert resp.status_code == 403
    resp = rig.client.post("/notice", data={"notice": "power_cut", "csrf": "x" * 43})
    assert resp.status_code == 403
    assert rig.commander.sent == []


def test_a_cross_site_post_is_refused_even_with_the_token(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    csrf = rig.csrf()
    resp = rig.client.post(
        "/notice",
        data={"notice": "power_cut", "csrf": csrf},
        headers={**JSON, "origin": "https://evil.example"},
    )
    assert resp.status_code == 403 and rig.commander.sent == []


def test_a_manager_sets_the_notice(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    resp = rig.client.post(
        "/notice", data={"notice": "power_cut", "csrf": rig.csrf()}, headers=JSON
    )
    assert resp.status_code == 200 and resp.json()["ok"]
    assert [(c.op, dict(c.fields)) for c in rig.commander.sent] == [
        ("set_notice", {"notice": "power_cut"})
    ]


def test_without_js_the_answer_comes_back_on_the_page(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    rig.commander.outcome = Outcome(False, "not_paused", "Counter 1 is not paused.")
    resp = rig.client.post("/counter/1/resume", data={"csrf": rig.csrf()}, follow_redirects=False)
    assert resp.status_code == 303
    page = rig.client.get("/")
    assert "The engine refused: Counter 1 is not paused." in page.text
    assert "Counter 1 is not paused." not in rig.client.get("/").text  # shown once


def test_a_viewer_cannot_act_and_sees_no_forms(rig: Rig) -> None:
    rig.engine_online()
    rig.login("view")
    page = rig.client.get("/")
    assert 'action="/notice"' not in page.text and "data-action" not in page.text
    resp = rig.client.post(
        "/notice", data={"notice": "power_cut", "csrf": rig.csrf()}, headers=JSON
    )
    assert resp.status_code == 403 and rig.commander.sent == []


@pytest.mark.parametrize(
    ("path", "data", "says"),
    [
        ("/notice", {"notice": "flood"}, "notice must be one of"),
        ("/notice", {"notice": "custom"}, "custom notice needs its text"),
        ("/notice", {"notice": "power_cut", "extra": "1"}, "unexpected field"),
        ("/counter/1/pause", {"reason": "nap"}, "reason must be one of"),
        ("/counter/1/explode", {}, "unknown counter action"),
        ("/ticket/cancel", {"ticket": "A-7; drop"}, "ticket's number"),
    ],
)
def test_wrong_forms_are_refused_with_a_reason(
    rig: Rig, path: str, data: dict[str, str], says: str
) -> None:
    rig.engine_online()
    rig.login()
    resp = rig.client.post(path, data={**data, "csrf": rig.csrf()}, headers=JSON)
    assert resp.status_code == 400 and says in resp.json()["message"]
    assert rig.commander.sent == []


def test_engine_offline_disables_actions_and_says_since_when(rig: Rig) -> None:
    rig.engine_online(False, at=rig.clock.t - 120)
    rig.login()
    page = rig.client.get("/?lang=en")
    assert "The queue engine is offline since" in page.text
    assert "disabled" in page.text
    resp = rig.client.post("/notice/clear", data={"csrf": rig.csrf()}, headers=JSON)
    assert resp.status_code == 503 and rig.commander.sent == []


def test_the_engines_refusal_and_silence_are_shown(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    rig.commander.outcome = Outcome(False, "no_notice", "There is no notice to clear.")
    resp = rig.client.post("/notice/clear", data={"csrf": rig.csrf()}, headers=JSON)
    assert resp.status_code == 409
    assert resp.json()["message"] == "The engine refused: There is no notice to clear."
    rig.commander.outcome = Outcome(False, "engine_unavailable")
    resp = rig.client.post("/notice/clear", data={"csrf": rig.csrf()}, headers=JSON)
    assert resp.status_code == 504 and "did not answer" in resp.json()["message"]


def test_languages_declare_their_script_and_translate(rig: Rig) -> None:
    rig.login()
    page = rig.client.get("/?lang=zh-Hant")
    assert '<html lang="zh-Hant">' in page.text and "大堂管理台" in page.text
    assert '<html lang="zh-Hant">' in rig.client.get("/").text  # remembered
    page = rig.client.get("/", headers={"accept-language": "es-ES,es;q=0.9"})
    assert '<html lang="zh-Hant">' in page.text  # the choice beats the header
    rig.client.cookies.delete("lobbyq_console_lang")
    page = rig.client.get("/", headers={"accept-language": "es-ES,es;q=0.9"})
    assert '<html lang="es">' in page.text and "Colas" in page.text


def test_a_malformed_view_is_shown_not_fatal(rig: Rig) -> None:
    rig.login()
    rig.bus.publish(rig.topics.state_queue, StateMsg(1, {"services": 3}).encode(), retain=True)
    page = rig.client.get("/?lang=en")
    assert page.status_code == 200 and "Unreadable messages" in page.text
    assert rig.topics.state_queue in page.text


def test_no_customer_identity_on_the_page(rig: Rig) -> None:
    from lobbyq.core.events import TicketIssued
    from lobbyq.protocol.events import LoggedEvent

    rig.login()
    event = TicketIssued(
        1.0, "2026-11-23-1", "A001", 1, 1, "A", "normal", 0, None,
        identity_kind="card", identity_masked="6222 **** 9876", identity_hash="cd" * 16,
    )  # fmt: skip
    rig.bus.publish(rig.topics.evt("ticket_issued"), LoggedEvent(1, event).encode())
    page = rig.client.get("/")
    assert "A001" in page.text and "9876" not in page.text and "cd" * 16 not in page.text
    assert "Unreadable messages" not in page.text or "ticket_issued" not in page.text


def test_assets_are_local(rig: Rig) -> None:
    rig.login()
    page = rig.client.get("/").text
    assert "http://" not in page and "https://" not in page
    for asset in ("/static/console.js", "/static/console.css", "/static/icon.svg"):
        assert rig.client.get(asset).status_code == 200
