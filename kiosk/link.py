"""The kiosk's link to the queue engine: ticket requests and the engine's retained state.

A request runs on its own thread through ``drivers.mqtt.request.Requester``
and its outcome goes to the loop as ``Issued`` / ``IssueFailed``. A request
given up on is remembered, so a ticket the engine issues for it later (it is
on no screen) is cancelled. The retained ``state/queue`` and
``state/notice`` and the engine's status arrive here too and reach the loop
as inbox items.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from drivers.mqtt.bus import Bus
from drivers.mqtt.request import EngineUnavailable, Requester
from kiosk.inbox import Post, QueueChanged
from kiosk.status import SetHealth
from kiosk.ui import engine_io
from kiosk.ui.flow import EngineLink, Issued, IssueFailed, NoticeChanged, RequestTicket
from lobbyq.core.events import TicketIssued
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import ProtocolError, StateMsg, StatusMsg
from lobbyq.protocol.topics import Topics

MAX_ABANDONED = 256


class EngineClient:
    """Asks the engine for tickets and follows its state, for one kiosk."""

    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        device: str,
        *,
        post: Post,
        set_health: SetHealth,
        request_timeout: float,
        logger: logging.Logger,
        clock: Callable[[], float],
    ) -> None:
        self.bus = bus
        self.topics = topics
        self.device = device
        self._post = post
        self._set_health = set_health
        self.request_timeout = request_timeout
        self.log = logger
        self.clock = clock
        # Commands given up on, oldest first; bounded so a long outage cannot grow it.
        self._abandoned: dict[str, None] = {}
        self._abandoned_lock = threading.Lock()
        self._request_pool = ThreadPoolExecutor(1, thread_name_prefix=f"{device}-engine")
        self._requester: Requester | None = None

    def start(self) -> None:
        """Subscribe to replies, tickets issued and the retained state; say how the link is."""
        t = self.topics
        self._requester = Requester(self.bus, t, self.device, logger=self.log, clock=self.clock)
        self.bus.subscribe(t.state_queue, self._on_queue_state)
        self.bus.subscribe(t.state_notice, self._on_notice_state)
        self.bus.subscribe(t.evt("ticket_issued"), self._on_ticket_event)
        self.bus.subscribe(t.status("engine"), self._on_engine_status)
        self.bus.on_connection(self._on_connection)
        # The link may have come up (or failed) before we listened: say how it is now.
        self._post(EngineLink(self.bus.connected and self._engine_online, self.clock()))

    def request(self, eff: RequestTicket) -> None:
        """Ask for a ticket on the engine thread; the answer comes back through the inbox."""
        self._request_pool.submit(self._request, eff)

    def close(self) -> None:
        """Drop the requests not yet sent; one waiting for its reply gives up on its own."""
        self._request_pool.shutdown(wait=False, cancel_futures=True)

    def _request(self, eff: RequestTicket) -> None:
        assert self._requester is not None
        fields = engine_io.command_fields(eff)
        cmd_id, payload = self._requester.submit("issue_ticket", **fields)
        try:
            reply = self._requester.wait(cmd_id, payload, self.request_timeout)
        except EngineUnavailable:
            with self._abandoned_lock:
                self._abandoned[cmd_id] = None
                while len(self._abandoned) > MAX_ABANDONED:
                    self._abandoned.pop(next(iter(self._abandoned)))
            self.log.warning("engine did not answer issue_ticket %s; nothing shown", cmd_id)
            self._set_health("engine", "unreachable")
            self._post(IssueFailed(eff.issue_no, "unavailable", "timeout", self.clock()))
            return
        except Exception:
            self.log.exception("issue_ticket failed")
            self._post(IssueFailed(eff.issue_no, "unavailable", "error", self.clock()))
            return
        self._set_health("engine", "ok")
        ticket = engine_io.ticket_from_reply(reply.events) if reply.ok else None
        if ticket is None:
            reason = reply.code or engine_io.refusal_of(reply.events) or "no ticket in reply"
            self.log.info("engine refused issue_ticket for %s: %s", eff.service, reason)
            self._post(IssueFailed(eff.issue_no, "refused", reason, self.clock()))
            return
        self._post(Issued(eff.issue_no, ticket, self.clock()))

    def _on_ticket_event(self, topic: str, payload: bytes) -> None:
        """A ticket issued for a command we gave up on: cancel it, it is on no screen."""
        try:
            ev = LoggedEvent.decode(payload).expect(TicketIssued)
        except ProtocolError as exc:
            self.log.warning("ignored a bad ticket_issued event: %s", exc)
            return
        cmd_id = ev.command_id
        with self._abandoned_lock:
            orphan = bool(cmd_id) and cmd_id in self._abandoned
            if orphan:
                self._abandoned.pop(cmd_id, None)
        if orphan and self._requester is not None:
            self.log.warning(
                "ticket %s was issued after the kiosk gave up; cancelling it", ev.number
            )
            self._requester.submit("cancel", ticket=ev.number)

    def _on_queue_state(self, topic: str, payload: bytes) -> None:
        try:
            view = engine_io.queue_view(StateMsg.decode(payload).body)
        except ProtocolError as exc:
            self.log.warning("ignored a bad queue state: %s", exc)
            return
        self._post(QueueChanged(view))

    def _on_notice_state(self, topic: str, payload: bytes) -> None:
        if not payload:
            self._post(NoticeChanged(None, self.clock()))
            return
        try:
            notice = engine_io.notice_of(StateMsg.decode(payload).body)
        except ProtocolError as exc:
            self.log.warning("ignored a bad notice: %s", exc)
            return
        self._post(NoticeChanged(notice, self.clock()))

    def _on_engine_status(self, topic: str, payload: bytes) -> None:
        """The engine's retained birth / last will: it is up only when both links are."""
        try:
            st = StatusMsg.decode(payload)
        except ProtocolError:
            return
        self._engine_online = st.online
        self._post(EngineLink(self._engine_online and self.bus.connected, self.clock()))

    def _on_connection(self, up: bool) -> None:
        self._post(EngineLink(up and self._engine_online, self.clock()))

    _engine_online = True  # until the engine's retained status says otherwise
