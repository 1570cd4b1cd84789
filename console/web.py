"""The console's pages: server-rendered panels, live by server-sent events, actions by POST.

Every page is rendered whole on the server from one model snapshot, so it
works before any script runs; ``static/console.js`` then opens ``/events``
and swaps in each panel the server re-renders when the model changes, and
posts the action forms without a page load. Every asset is served from the
package (a branch LAN may have no internet), and the Content-Security-Policy
allows nothing else.

Doors: a signed session cookie (HTTP-only, Secure, SameSite=Strict) naming a
server-side session; a CSRF token on every POST (the login form's is a
signed pre-session cookie, the others are the session's); the same-origin
check on ``Origin``; login throttling; managers act, viewers only see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, Signer, TimestampSigner
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import actions, staffing, words
from console.actions import Command, Commander, FormError, Outcome
from console.auth import Accounts, Session
from console.i18n import Catalogs, negotiate
from console.model import BranchModel, Snapshot
from console.throttle import LoginThrottle
from lobbyq.runtime.i18n import LANG_NAMES, LANGS, N_, Translator

SESSION_COOKIE = "lobbyq_console"
LOGIN_COOKIE = "lobbyq_console_login"
LANG_COOKIE = "lobbyq_console_lang"
LOGIN_FORM_TTL_S = 3600
PANELS: tuple[str, ...] = (
    "engine",
    "alerts",
    "staffing",
    "notice",
    "queues",
    "counters",
    "ticket",
    "calls",
    "devices",
    "activity",
    "problems",
)
HERE = Path(__file__).resolve().parent
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


@dataclass
class ConsoleDeps:
    """What the web app is built from; tests pass doubles here."""

    model: BranchModel
    commander: Commander
    accounts: Accounts
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    catalogs: Catalogs = field(default_factory=Catalogs.load)
    clock: Callable[[], float] = time.time
    cookie_secure: bool = True
    heartbeat_s: float = 15.0
    tick_s: float = 5.0  # how often the time-based alert rules look again
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("lobbyq.console"))


class SecurityHeaders:
    """Adds the same protective headers to every response (pure ASGI, so streams stay live)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + list(SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Hub:
    """Wakes every open live stream when the model changes (called from the MQTT thread)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: set[asyncio.Event] = set()

    def bind(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop

    def notify(self) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed under us: nobody listens
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    def join(self) -> asyncio.Event:
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        return waiter

    def leave(self, waiter: asyncio.Event) -> None:
        self._waiters.discard(waiter)

    @property
    def listeners(self) -> int:
        return len(self._waiters)


def fmt_clock(ts: float | None) -> str:
    """A wall-clock time of today, as the branch reads it (the server's local time)."""
    if ts is None:
        return "-"
    return time.strftime("%H:%M:%S", time.localtime(ts))


def fmt_dur(seconds: float | None) -> str:
    """A duration as m:ss or h:mm:ss: the same in every language."""
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class ConsoleWeb:
    """Builds the Starlette app and holds what its handlers share."""

    def __init__(self, deps: ConsoleDeps) -> None:
        self.deps = deps
        self.hub = Hub()
        secret = deps.accounts.secret()
        self._session_signer = Signer(secret, salt="lobbyq-console-session")
        self._login_signer = TimestampSigner(secret, salt="lobbyq-console-login")
        self._env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.globals.update(
            clock=fmt_clock,
            dur=fmt_dur,
            words=words,
            word=words.word,
            lang_names=LANG_NAMES,
        )
        self._staff_cache: tuple[int, staffing.StaffingPanel | None] | None = None
        deps.model.listen(self.hub.notify)

    # -- the app -----------------------------------------------------------------
    def app(self) -> ASGIApp:
        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            self.hub.bind(asyncio.get_running_loop())
            ticker = asyncio.create_task(self._ticker())
            try:
                yield
            finally:
                ticker.cancel()
                self.hub.bind(None)

        routes = [
            Route("/", self.dashboard, methods=["GET"]),
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/events", self.events, methods=["GET"]),
            Route("/notice", self.set_notice, methods=["POST"]),
            Route("/notice/clear", self.clear_notice, methods=["POST"]),
            Route("/counter/{counter}/{action}", self.counter_action, methods=["POST"]),
            Route("/ticket/cancel", self.cancel_ticket, methods=["POST"]),
            Route("/ticket/move", self.move_ticket, methods=["POST"]),
            Route("/alert/ack", self.ack_alert, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        return SecurityHeaders(Starlette(routes=routes, lifespan=lifespan))

    # -- helpers -------------------------------------------------------------------
    def _lang(self, request: Request) -> tuple[str, bool]:
        """The page language, and whether it was chosen now (to remember in a cookie)."""
        asked = request.query_params.get("lang")
        if asked in LANGS:
            return asked, True
        kept = request.cookies.get(LANG_COOKIE)
        if kept in LANGS:
            return kept, False
        return negotiate(request.headers.get("accept-language")), False

    def _tr(self, lang: str) -> Translator:
        return self.deps.catalogs.get(lang)

    def _session(self, request: Request) -> tuple[Session | None, bool]:
        """The live session, and whether the browser presented a cookie at all."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None, False
        try:
            token = self._session_signer.unsign(raw).decode()
        except BadSignature:
            return None, True
        return self.deps.accounts.session(token), True

    def _render(self, name: str, **context: Any) -> str:
        return self._env.get_template(name).render(**context)

    def _page(
        self, request: Request, name: str, lang: str, remember: bool, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        html = self._render(name, _=self._tr(lang), lang=lang, **ctx)
        resp = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
        if remember:
            resp.set_cookie(
                LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", secure=self._secure
            )
        return resp

    @property
    def _secure(self) -> bool:
        return self.deps.cookie_secure

    def panels(self, snap: Snapshot, lang: str, session: Session) -> dict[str, str]:
        """Every panel's HTML for one snapshot, language and session."""
        ctx = {
            "_": self._tr(lang),
            "lang": lang,
            "snap": snap,
            "blocked": snap.blocked,
            "can_act": session.account.can_act,
            "csrf": session.csrf,
            "staff": self._staffing(snap),
        }
        return {pid: self._render(f"panels/{pid}.html", **ctx) for pid in PANELS}

    def _staffing(self, snap: Snapshot) -> staffing.StaffingPanel | None:
        """The advisor's figures, once per snapshot version however many consoles are open."""
        cached = self._staff_cache
        if cached is not None and cached[0] == snap.version:
            return cached[1]
        panel = staffing.advise(snap, snap.at)
        self._staff_cache = (snap.version, panel)
        return panel

    @staticmethod
    def _same_origin(request: Request) -> bool:
        """A POST whose Origin (or Referer) names another site is refused."""
        origin = request.headers.get("origin") or request.headers.get("referer")
        if not origin or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.headers.get("host", "")

    @staticmethod
    async def _form(request: Request) -> dict[str, str]:
        form = await request.form(max_files=0, max_fields=16, max_part_size=4096)
        out: dict[str, str] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile) or key in out:
                raise FormError(f"field {key!r} is not a single text value")
            out[key] = value
        return out

    # -- pages ---------------------------------------------------------------------
    async def dashboard(self, request: Request) -> Response:
        lang, remember = self._lang(request)
        session, had_cookie = self._session(request)
        if session is None:
            return RedirectResponse("/login?expired=1" if had_cookie else "/login", 303)
        snap = self.deps.model.snapshot()
        flash = self.deps.accounts.pop_flash(session.id)
        return self._page(
            request,
            "dashboard.html",
            lang,
            remember,
            now=snap.at,
            panels=self.panels(snap, lang, session),
            session=session,
            csrf=session.csrf,
            flash=flash,
            branch=self.deps.model.topics.branch,
        )

    def _login_form(
        self, request: Request, lang: str, remember: bool, status: int = 200, error: str = ""
    ) -> Response:
        nonce = secrets.token_urlsafe(24)
        expired = request.query_params.get("expired") == "1"
        resp = self._page(
            request,
            "login.html",
            lang,
            remember,
            status,
            now=self.deps.clock(),
            csrf=nonce,
            error=error,
            expired=expired and not error,
        )
        resp.set_cookie(
            LOGIN_COOKIE,
            self._login_signer.sign(nonce).decode(),
            max_age=LOGIN_FORM_TTL_S,
            httponly=True,
            secure=self._secure,
            samesite="strict",
        )
        return resp

    async def login_page(self, request: Request) -> Response:
        lang, remember = self._lang(request)
        session, _ = self._session(request)
        if session is not None:
            return RedirectResponse("/", 303)
        return self._login_form(request, lang, remember)

    async def login(self, request: Request) -> Response:
        lang, remember = self._lang(request)
        tr = self._tr(lang)
        try:
            form = await self._form(request)
        except FormError:
            return self._login_form(
                request, lang, remember, 400, tr(N_("The form was not readable."))
            )
        raw = request.cookies.get(LOGIN_COOKIE, "")
        try:
            nonce = self._login_signer.unsign(raw, max_age=LOGIN_FORM_TTL_S).decode()
        except BadSignature:
            nonce = ""
        given = form.get("csrf", "")
        if not nonce or not secrets.compare_digest(nonce.encode(), given.encode()):
            return self._login_form(
                request, lang, remember, 403, tr(N_("The form had expired. Please try again."))
            )
        name = form.get("name", "").strip().lower()[:64]
        password = form.get("password", "")[:1024]
        address = request.client.host if request.client else "?"
        wait = self.deps.throttle.retry_after(name, address)
        if wait > 0:
            minutes = max(1, int(wait // 60) + (1 if wait % 60 else 0))
            return self._login_form(
                request,
                lang,
                remember,
                429,
                tr.format(N_("Too many attempts. Try again in {minutes} min."), minutes=minutes),
            )
        account = await run_in_threadpool(self.deps.accounts.verify, name, password)
        if account is None:
            self.deps.throttle.failed(name, address)
            self.deps.logger.warning("failed console login from %s", address)
            return self._login_form(request, lang, remember, 401, tr(N_("Wrong name or password.")))
        self.deps.throttle.succeeded(name)
        token, _opened = self.deps.accounts.open_session(account)
        self.deps.logger.info("%s (%s) logged in from %s", account.name, account.role, address)
        resp = RedirectResponse("/", 303)
        resp.set_cookie(
            SESSION_COOKIE,
            self._session_signer.sign(token).decode(),
            max_age=int(self.deps.accounts.session_ttl_s),
            httponly=True,
            secure=self._secure,
            samesite="strict",
        )
        resp.delete_cookie(LOGIN_COOKIE)
        return resp

    async def logout(self, request: Request) -> Response:
        session, _ = self._session(request)
        if session is None:
            return RedirectResponse("/login", 303)
        try:
            form = await self._form(request)
        except FormError:
            form = {}
        if not self._same_origin(request) or not session.csrf_ok(form.get("csrf")):
            return Response("refused: the page is out of date", 403, media_type="text/plain")
        self.deps.accounts.close_session(session.id)
        resp = RedirectResponse("/login", 303)
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    async def _ticker(self) -> None:
        """Time passing, for the rules that depend on how long something lasted."""
        while True:
            await asyncio.sleep(self.deps.tick_s)
            try:
                self.deps.model.tick()
            except Exception:
                self.deps.logger.exception("the console's alert timer failed")

    # -- live ------------------------------------------------------------------------
    async def events(self, request: Request) -> Response:
        lang, _ = self._lang(request)
        session, _ = self._session(request)
        if session is None:
            return Response("log in first", 401, media_type="text/plain")
        token_raw = request.cookies.get(SESSION_COOKIE, "")
        return StreamingResponse(
            self._stream(lang, session, token_raw),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _stream(self, lang: str, session: Session, token_raw: str) -> AsyncIterator[str]:
        waiter = self.hub.join()
        last: dict[str, str] = {}
        sent = -1
        try:
            yield "retry: 2000\n\n"
            while True:
                waiter.clear()
                live, _ = self._session_from_raw(token_raw)
                if live is None:
                    yield "event: expired\ndata: {}\n\n"
                    return
                snap = self.deps.model.snapshot()
                if snap.version != sent:
                    sent = snap.version
                    for pid, html in self.panels(snap, lang, live).items():
                        if last.get(pid) != html:
                            last[pid] = html
                            data = json.dumps({"id": f"p-{pid}", "html": html, "now": snap.at})
                            yield f"event: panel\ndata: {data}\n\n"
                try:
                    await asyncio.wait_for(waiter.wait(), self.deps.heartbeat_s)
                except TimeoutError:
                    yield ": still here\n\n"
        finally:
            self.hub.leave(waiter)

    def _session_from_raw(self, raw: str) -> tuple[Session | None, bool]:
        try:
            token = self._session_signer.unsign(raw).decode()
        except BadSignature:
            return None, True
        return self.deps.accounts.session(token), True

    # -- actions ---------------------------------------------------------------------
    async def _act(
        self, request: Request, build: Callable[[Mapping[str, str]], Command]
    ) -> Response:
        lang, _ = self._lang(request)
        tr = self._tr(lang)
        wants_json = "application/json" in request.headers.get("accept", "")
        session, _ = self._session(request)
        if session is None:
            if wants_json:
                return JSONResponse({"ok": False, "message": tr(N_("Please log in again."))}, 401)
            return RedirectResponse("/login?expired=1", 303)

        def answer(ok: bool, message: str, status: int) -> Response:
            if wants_json:
                return JSONResponse({"ok": ok, "message": message}, status)
            self.deps.accounts.set_flash(session.id, message)
            return RedirectResponse("/", 303)

        try:
            form = await self._form(request)
        except FormError as exc:
            return answer(False, str(exc), 400)
        token = form.pop("csrf", None) or request.headers.get("x-csrf-token")
        if not self._same_origin(request) or not session.csrf_ok(token):
            # Never a flash here: a forged request must not even leave a message behind.
            message = tr(N_("Refused: the page is out of date. Reload it."))
            if wants_json:
                return JSONResponse({"ok": False, "message": message}, 403)
            return Response(message, 403, media_type="text/plain; charset=utf-8")
        if not session.account.can_act:
            return answer(False, tr(N_("Your account can only view.")), 403)
        blocked = self.deps.model.snapshot().blocked
        if blocked is not None:
            return answer(False, tr(N_("Actions are off: the engine cannot be reached.")), 503)
        try:
            command = build(form)
        except FormError as exc:
            return answer(False, tr(str(exc)), 400)
        outcome: Outcome = await run_in_threadpool(self.deps.commander.send, command)
        self.deps.logger.info(
            "%s asked %s %s: %s",
            session.account.name,
            command.op,
            dict(command.fields),
            outcome.code,
        )
        if outcome.ok:
            return answer(True, tr(N_("Done.")), 200)
        if outcome.code == "engine_unavailable":
            return answer(
                False,
                tr(
                    N_("The engine did not answer in time. Check the device board, then try again.")
                ),
                504,
            )
        return answer(
            False,
            tr.format(N_("The engine refused: {reason}"), reason=outcome.reason or outcome.code),
            409,
        )

    async def set_notice(self, request: Request) -> Response:
        return await self._act(request, actions.parse_notice)

    async def clear_notice(self, request: Request) -> Response:
        return await self._act(request, actions.parse_clear_notice)

    async def counter_action(self, request: Request) -> Response:
        counter = request.path_params["counter"]
        action = request.path_params["action"]
        return await self._act(request, lambda form: actions.parse_counter(counter, action, form))

    async def cancel_ticket(self, request: Request) -> Response:
        return await self._act(request, actions.parse_cancel)

    async def move_ticket(self, request: Request) -> Response:
        return await self._act(request, actions.parse_move)

    async def ack_alert(self, request: Request) -> Response:
        session, _ = self._session(request)
        name = session.account.name if session is not None else ""
        return await self._act(
            request, lambda form: actions.parse_ack(form, name, self.deps.model.alert)
        )


def create_app(deps: ConsoleDeps) -> ASGIApp:
    """The console's ASGI app."""
    return ConsoleWeb(deps).app()
