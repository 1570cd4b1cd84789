"""Request/reply with the engine over MQTT 3.1.1, exactly once per command id.

A device publishes ``{"v":1,"id":..,"op":..}`` on its own ``cmd/<device>``
topic and waits for the reply with the same id on ``reply/<device>``. If no
reply comes within ``resend_after`` it publishes the *same* message again
(the engine answers a known id from its log, so a resend never acts twice),
and gives up at ``timeout`` with :class:`EngineUnavailable`, so a device can
tell its user "offline" instead of staying silent.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from drivers.errors import DriverError
from drivers.mqtt.bus import Bus
from lobbyq.protocol.messages import CommandMsg, ProtocolError, ReplyMsg
from lobbyq.protocol.topics import Topics


class EngineUnavailable(DriverError):
    """The engine did not answer in time (broker down, engine down, or network)."""


def new_command_id() -> str:
    """A fresh command id: random, so two devices never collide."""
    return uuid.uuid4().hex


class Requester:
    """Sends commands as one device and matches the engine's replies."""

    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        device: str,
        *,
        resend_after: float = 1.0,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus = bus
        self._topics = topics
        self._device = device
        self._resend_after = resend_after
        self._log = logger or logging.getLogger(f"lobbyq.request.{device}")
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, Future[ReplyMsg]] = {}
        bus.subscribe(topics.reply(device), self._on_reply)

    def submit(self, op: str, cmd_id: str | None = None, **fields: Any) -> tuple[str, bytes]:
        """Publish a command and return its id and payload (for a later resend)."""
        msg = CommandMsg.build(cmd_id or new_command_id(), op, **fields)
        payload = msg.encode()
        fut: Future[ReplyMsg] = Future()
        with self._lock:
            self._pending[msg.id] = fut
        self._bus.publish(self._topics.cmd(self._device), payload, qos=1)
        return msg.id, payload

    def request(
        self, op: str, *, timeout: float = 3.0, cmd_id: str | None = None, **fields: Any
    ) -> ReplyMsg:
        """Send a command and wait for its reply, resending with the same id."""
        msg_id, payload = self.submit(op, cmd_id, **fields)
        return self.wait(msg_id, payload, timeout)

    def wait(self, msg_id: str, payload: bytes, timeout: float) -> ReplyMsg:
        """Wait for the reply to a submitted command, resending until ``timeout``."""
        with self._lock:
            fut = self._pending.get(msg_id)
        if fut is None:
            raise KeyError(msg_id)
        deadline = self._clock() + timeout
        try:
            while True:
                left = deadline - self._clock()
                if left <= 0:
                    raise EngineUnavailable(f"no reply to command {msg_id} within {timeout:.1f}s")
                try:
                    return fut.result(min(left, self._resend_after))
                except FutureTimeout:
                    if self._clock() < deadline:
                        self._log.info("no reply to %s yet; sending it again", msg_id)
                        self._bus.publish(self._topics.cmd(self._device), payload, qos=1)
        finally:
            with self._lock:
                self._pending.pop(msg_id, None)

    def _on_reply(self, topic: str, payload: bytes) -> None:
        try:
            reply = ReplyMsg.decode(payload)
        except ProtocolError as exc:
            self._log.warning("ignored a malformed reply on %s: %s", topic, exc)
            return
        with self._lock:
            fut = self._pending.get(reply.id)
        if fut is not None and not fut.done():
            fut.set_result(reply)
