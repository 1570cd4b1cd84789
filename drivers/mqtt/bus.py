"""The bus interface apps program against, and an in-process implementation.

Apps take a :class:`Bus` at construction, so tests pass :class:`MemoryBus`
and production passes the paho adapter (``drivers.mqtt.client.MqttBus``)
without any "am I in a test?" branch. Handlers run on the bus's delivery
thread; a handler that raises is logged and the bus carries on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from paho.mqtt.client import topic_matches_sub

Handler = Callable[[str, bytes], None]
ConnectionHandler = Callable[[bool], None]


class Bus(Protocol):
    """What an app needs from MQTT: publish, subscribe, and connection news."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Queue a message; QoS 1 messages are kept and sent after a reconnect."""

    def subscribe(self, topic_filter: str, handler: Handler, *, qos: int = 1) -> None:
        """Deliver matching messages (including retained ones) to ``handler``."""

    def on_connection(self, handler: ConnectionHandler) -> None:
        """Be told when the link to the broker comes up or goes down."""

    @property
    def connected(self) -> bool:
        """Whether the broker link is up now."""

    @property
    def last_error(self) -> str | None:
        """Why the link is not up (a TLS, socket or broker refusal), or None."""

    def start(self) -> None:
        """Connect (and keep reconnecting) in the background."""

    def stop(self) -> None:
        """Publish nothing more and disconnect."""


def dispatch(
    subs: list[tuple[str, Handler]], topic: str, payload: bytes, log: logging.Logger
) -> None:
    """Call every handler whose filter matches; one failing handler never stops the rest."""
    for topic_filter, handler in subs:
        if topic_matches_sub(topic_filter, topic):
            try:
                handler(topic, payload)
            except Exception:
                log.exception("handler for %s failed on a message from %s", topic_filter, topic)


class MemoryBus:
    """An in-process broker and client in one, for unit tests of apps.

    Retained messages and wildcard filters behave like a broker's; delivery is
    synchronous on the publishing thread, which keeps tests deterministic.
    Several apps may share one ``MemoryBus`` to talk to each other.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("lobbyq.mqtt.memory")
        self._lock = threading.RLock()
        self._subs: list[tuple[str, Handler]] = []
        self._retained: dict[str, bytes] = {}
        self._conn_handlers: list[ConnectionHandler] = []
        self._up = False
        self.published: list[tuple[str, bytes, bool]] = []

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        with self._lock:
            self.published.append((topic, payload, retain))
            if retain:
                if payload:
                    self._retained[topic] = payload
                else:
                    self._retained.pop(topic, None)
            subs = list(self._subs)
        dispatch(subs, topic, payload, self._log)

    def subscribe(self, topic_filter: str, handler: Handler, *, qos: int = 1) -> None:
        with self._lock:
            self._subs.append((topic_filter, handler))
            retained = [
                (t, p) for t, p in self._retained.items() if topic_matches_sub(topic_filter, t)
            ]
        for topic, payload in retained:
            dispatch([(topic_filter, handler)], topic, payload, self._log)

    def on_connection(self, handler: ConnectionHandler) -> None:
        self._conn_handlers.append(handler)

    @property
    def connected(self) -> bool:
        return self._up

    @property
    def last_error(self) -> str | None:
        return None

    def start(self) -> None:
        self._up = True
        for handler in list(self._conn_handlers):
            handler(True)

    def stop(self) -> None:
        self._up = False
        for handler in list(self._conn_handlers):
            handler(False)

    def retained(self, topic: str) -> bytes | None:
        """The retained payload of a topic, for assertions."""
        with self._lock:
            return self._retained.get(topic)
