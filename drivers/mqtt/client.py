"""The paho-mqtt adapter: a :class:`~drivers.mqtt.bus.Bus` over a real broker.

Why a wrapper: paho kills its network thread when a callback raises, speaks
in result codes, and forgets subscriptions on a clean reconnect. This adapter
catches and logs handler errors, resubscribes on every connect, publishes a
retained birth message and registers a retained last will, and takes broker
URLs (``mqtt://user:pass@host:1883``, ``mqtts://host:8883?ca=/etc/lobbyq/ca.pem``).
"""

from __future__ import annotations

import logging
import socket
import ssl
import sys
import threading
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from drivers.errors import DriverError
from drivers.mqtt.bus import ConnectionHandler, Handler, dispatch


class BrokerUrlError(DriverError):
    """A broker URL this adapter cannot use."""


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    """A parsed broker URL."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp"):
            raise BrokerUrlError(f"broker URL {url!r}: scheme must be mqtt:// or mqtts://")
        if not parts.hostname:
            raise BrokerUrlError(f"broker URL {url!r} has no host")
        tls = parts.scheme == "mqtts"
        query = parse_qs(parts.query)
        ca = query.get("ca", [None])[0]
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as exc:
            raise BrokerUrlError(f"broker URL {url!r}: {exc}") from exc
        return cls(
            host=parts.hostname,
            port=port,
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            ca_file=ca,
        )

    def redacted(self) -> str:
        """The URL as it may be logged: never the password."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def _quiet_while_offline(record: logging.LogRecord) -> bool:
    """Drop paho's per-publish "not connected" errors: the adapter logs the outage once."""
    return "Client is not connected" not in record.getMessage()


def _describe(exc: BaseException) -> str:
    """A connection error as a technician reads it: TLS errors name what failed."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: the broker's certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens on that port)"
    return str(exc) or type(exc).__name__


class MqttBus:
    """A reconnecting MQTT client with handler isolation, birth and last will."""

    def __init__(
        self,
        url: str,
        client_id: str,
        *,
        will: tuple[str, bytes] | None = None,
        birth: tuple[str, bytes] | None = None,
        clean_start: bool = True,
        keepalive: int = 10,
        logger: logging.Logger | None = None,
    ) -> None:
        self.url = BrokerUrl.parse(url)
        self.client_id = client_id
        self._log = logger or logging.getLogger(f"lobbyq.mqtt.{client_id}")
        self._keepalive = keepalive
        self._birth = birth
        self._lock = threading.Lock()
        self._subs: list[tuple[str, Handler]] = []
        self._filters: dict[str, int] = {}
        self._conn_handlers: list[ConnectionHandler] = []
        self._up = threading.Event()
        self._stopping = False
        self._last_error: str | None = None
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_start,
            protocol=paho.MQTTv311,
        )
        paho_log = logging.getLogger(f"lobbyq.mqtt.paho.{client_id}")
        paho_log.addFilter(_quiet_while_offline)
        self._client.enable_logger(paho_log)
        self._client.max_inflight_messages_set(100)
        # Retry every half second, never backing off further: displays and
        # kiosks must be back within 1 s of the broker's return, and a
        # branch's few dozen clients cost a LAN broker nothing while it is down.
        self._client.reconnect_delay_set(min_delay=0.5, max_delay=0.5)  # type: ignore[arg-type]
        if self.url.username:
            self._client.username_pw_set(self.url.username, self.url.password)
        if self.url.tls:
            try:
                self._client.tls_set(ca_certs=self.url.ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
            except (OSError, ValueError) as exc:
                raise BrokerUrlError(
                    f"cannot use the CA file {self.url.ca_file!r} of {self.url.redacted()}: {exc}"
                ) from exc
        if will is not None:
            self._client.will_set(will[0], will[1], qos=1, retain=True)
        self._client.on_socket_open = self._on_socket_open
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    def set_will(self, topic: str, payload: bytes) -> None:
        """Register the retained last will (before ``start``): the app knows its own."""
        self._client.will_set(topic, payload, qos=1, retain=True)

    def set_birth(self, topic: str, payload: bytes) -> None:
        """The retained message published on every (re)connect."""
        self._birth = (topic, payload)

    # -- Bus interface -------------------------------------------------------
    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN):
            self._log.warning(
                "publish to %s refused by the client: %s", topic, paho.error_string(info.rc)
            )

    def subscribe(self, topic_filter: str, handler: Handler, *, qos: int = 1) -> None:
        with self._lock:
            self._subs.append((topic_filter, handler))
            new = topic_filter not in self._filters
            self._filters[topic_filter] = max(qos, self._filters.get(topic_filter, 0))
        if new and self._up.is_set():
            self._client.subscribe(topic_filter, qos=qos)

    def on_connection(self, handler: ConnectionHandler) -> None:
        self._conn_handlers.append(handler)

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    @property
    def last_error(self) -> str | None:
        """Why the last connection attempt failed (a TLS or socket error, a refusal), or None.

        Kept for the app's start-up wait (``lobbyq.runtime.sdnotify.supervise``),
        which logs it and shows it in ``systemctl status``; cleared on connect.
        """
        return self._last_error

    def start(self) -> None:
        self._log.info("connecting to %s as %s", self.url.redacted(), self.client_id)
        self._client.connect_async(self.url.host, self.url.port, keepalive=self._keepalive)
        self._client.loop_start()

    def stop(self) -> None:
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        self._up.clear()

    def wait_connected(self, timeout: float) -> bool:
        """Block until the first connection is up (for start-up ordering)."""
        return self._up.wait(timeout)

    # -- paho callbacks (never let one raise: it would kill the loop thread) --
    def _on_socket_open(self, client: paho.Client, userdata: object, sock: object) -> None:
        """Turn Nagle off: small request/reply packets otherwise wait ~40 ms for ACKs."""
        try:
            # SSLSocket is a socket.socket too, so TLS links get the same.
            if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            self._log.debug("could not set TCP_NODELAY: %s", exc)

    def _on_connect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        try:
            if reason.is_failure:
                self._failed(f"the broker refused the connection: {reason}")
                return
            self._last_error = None
            with self._lock:
                filters = list(self._filters.items())
            if filters:
                client.subscribe([(f, q) for f, q in filters])
            if self._birth is not None:
                client.publish(self._birth[0], self._birth[1], qos=1, retain=True)
            self._up.set()
            self._log.info("connected to %s", self.url.redacted())
            self._notify(True)
        except Exception:
            self._log.exception("error while handling connect")

    def _on_connect_fail(self, client: paho.Client, userdata: object) -> None:
        """A connection attempt failed: paho calls this inside its ``except OSError``."""
        exc = sys.exc_info()[1]
        self._failed(_describe(exc) if exc is not None else "the connection failed")

    def _failed(self, why: str) -> None:
        """Note why; log it at once when it is news (retries every few seconds stay quiet)."""
        if why != self._last_error:
            self._log.error("cannot connect to %s: %s", self.url.redacted(), why)
        self._last_error = why

    def _on_disconnect(
        self,
        client: paho.Client,
        userdata: object,
        flags: paho.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        try:
            was_up = self._up.is_set()
            self._up.clear()
            if was_up and not self._stopping:
                self._log.warning("lost the broker (%s); reconnecting", reason)
            if was_up:
                self._notify(False)
        except Exception:
            self._log.exception("error while handling disconnect")

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            subs = list(self._subs)
        dispatch(subs, msg.topic, bytes(msg.payload), self._log)

    def _notify(self, up: bool) -> None:
        for handler in list(self._conn_handlers):
            try:
                handler(up)
            except Exception:
                self._log.exception("connection handler failed")
