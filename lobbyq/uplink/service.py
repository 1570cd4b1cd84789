"""The uplink loop: log rows out, JetStream acknowledgements in, cursor forward.

Guarantees, and why they hold:

- **In order, from the cursor.** Each round reads the next rows after the
  cursor and publishes them on one connection; the cursor moves only over
  the unbroken prefix JetStream acknowledged, and is fsynced before the next
  round. A crash between a publish and the cursor save resends those events:
  JetStream drops them by ``Nats-Msg-Id`` inside its duplicate window and
  head office drops them by ``(branch, seq)`` after it.
- **A branch without head office loses nothing.** The log is the outbox:
  while the link is down the uplink only waits (exponential backoff) and
  says why at most once per ``log_interval``; the engine never waits for it.
  When the link returns, the backlog follows from the cursor.
- **A log that went backwards is not papered over.** Before each round the
  event at the cursor must still be there with the hash the cursor
  remembers. If it is not (the log was restored from an older backup), the
  uplink logs an error and resends the whole log from seq 1: head office
  keeps what matches and flags every seq whose content differs, so nothing
  is merged silently and nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext

from lobbyq.core.errors import LobbyqError
from lobbyq.protocol.uplink import HqEvent, make_event
from lobbyq.uplink.cursor import Cursor, CursorError, CursorFile
from lobbyq.uplink.source import LogReader

LINK_ERRORS: tuple[type[BaseException], ...] = (nats.errors.Error, asyncio.TimeoutError, OSError)


class UplinkError(LobbyqError):
    """The uplink cannot run at all (wrong branch, unreadable cursor)."""


class Throttled:
    """Logs a recurring problem once per interval, with how often it recurred."""

    def __init__(self, log: logging.Logger, interval: float, clock: Callable[[], float]) -> None:
        self._log, self._interval, self._clock = log, interval, clock
        self._since: float | None = None
        self._last_logged = 0.0
        self._repeats = 0

    @property
    def failing_since(self) -> float | None:
        return self._since

    def complain(self, what: str) -> None:
        now = self._clock()
        if self._since is None:
            self._since = now
        if self._repeats == 0 or now - self._last_logged >= self._interval:
            more = (
                f" ({self._repeats} more failures since the last report)" if self._repeats else ""
            )
            self._log.warning("%s; the branch keeps its log and retries%s", what, more)
            self._last_logged = now
            self._repeats = 1
        else:
            self._repeats += 1

    def clear(self, what: str) -> None:
        if self._since is not None:
            self._log.info("%s after %.0f s", what, self._clock() - self._since)
        self._since, self._repeats = None, 0


@dataclass(slots=True)
class UplinkSettings:
    """Tuning; the defaults suit a branch on a WAN link."""

    batch: int = 1000
    ack_timeout_s: float = 10.0
    poll_s: float = 0.2
    backoff_min_s: float = 0.5
    backoff_max_s: float = 30.0
    log_interval_s: float = 60.0
    connect_timeout_s: float = 3.0
    connect_options: dict[str, Any] = field(default_factory=dict)


class Uplink:
    """Sends one branch's event log to head office over NATS JetStream."""

    def __init__(
        self,
        reader: LogReader,
        cursors: CursorFile,
        servers: Sequence[str],
        *,
        branch: str | None = None,
        settings: UplinkSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self.reader, self.cursors, self.servers = reader, cursors, list(servers)
        self.settings = settings or UplinkSettings()
        self._log = logger or logging.getLogger("lobbyq.uplink")
        self._clock = clock
        self._link = Throttled(self._log, self.settings.log_interval_s, clock)
        self._want_branch = branch
        self.branch = ""
        self.cursor = Cursor("")
        self.acked = 0
        self._nc: Client | None = None

    def _open(self) -> None:
        logged = self.reader.branch()
        if self._want_branch and logged and logged != self._want_branch:
            raise UplinkError(
                f"the event log {self.reader.path} belongs to branch {logged!r}, "
                f"not {self._want_branch!r}"
            )
        branch = self._want_branch or logged
        if not branch:
            raise UplinkError(f"the event log {self.reader.path} names no branch; pass --branch")
        self.branch = branch
        self.cursor = self.cursors.load(branch)

    async def _connect(self) -> JetStreamContext:
        """The live connection; while the client is reconnecting, a link error to back off on.

        The client reconnects on its own once connected, but its first connect
        would retry forever with every server down: that one is bounded here,
        so the loop keeps control (and says why it waits).
        """
        if self._nc is not None and not self._nc.is_closed:
            if self._nc.is_connected:
                return self._nc.jetstream()
            raise nats.errors.ConnectionReconnectingError
        await self._close()

        async def quiet(_: Exception) -> None:  # the loop reports, once per interval
            return None

        first = nats.connect(
            servers=self.servers,
            name=f"lobbyq-uplink-{self.branch}",
            connect_timeout=int(max(1, self.settings.connect_timeout_s)),
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            error_cb=quiet,
            **self.settings.connect_options,
        )
        budget = self.settings.connect_timeout_s * max(1, len(self.servers)) + 1.0
        self._nc = await asyncio.wait_for(first, budget)
        return self._nc.jetstream()

    async def _close(self) -> None:
        nc, self._nc = self._nc, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.close()

    def _check_rewind(self) -> None:
        cur = self.cursor
        if cur.seq == 0:
            return
        row = self.reader.row(cur.seq)
        now = None if row is None else make_event(cur.branch, row.seq, row.at, row.kind, row.body)
        if now is not None and now.hash == cur.hash:
            return
        self._log.error(
            "the event log went backwards: head office acknowledged seq %d (hash %s) but the "
            "log now %s; was it restored from an older backup? Resending the whole log so "
            "head office flags every event that differs",
            cur.seq,
            cur.hash[:16],
            "ends before it" if now is None else f"holds a different event there ({now.hash[:16]})",
        )
        self.cursor = Cursor(cur.branch)
        self.cursors.save(self.cursor)

    async def _send(self, js: JetStreamContext, events: list[HqEvent]) -> None:
        """Publish a batch, then move the cursor over the acknowledged prefix.

        The publishes are queued together so the client writes them in a few
        socket writes rather than one per event; the acknowledgements are
        awaited together. Only an unbroken prefix of acknowledged events moves
        the cursor: an event after a failed one is sent again next round (and
        dropped there as a duplicate).
        """
        timeout = self.settings.ack_timeout_s
        futures: list[asyncio.Future[Any]] = []
        try:
            futures = await asyncio.gather(
                *(
                    js.publish_async(
                        ev.subject, ev.encode(),
                        headers={"Nats-Msg-Id": ev.msg_id},
                    )
                    for ev in events
                )
            )  # fmt: skip
            await asyncio.wait(futures, timeout=timeout)
            done = 0
            for fut in futures:
                if not fut.done() or fut.cancelled() or fut.exception() is not None:
                    break
                done += 1
            if done:
                last = events[done - 1]
                self.cursor = Cursor(self.branch, last.seq, last.hash)
                self.cursors.save(self.cursor)
                self.acked += done
            if done < len(events):
                failed = futures[done]
                if failed.done() and not failed.cancelled() and failed.exception() is not None:
                    raise failed.exception()  # type: ignore[misc]
                raise TimeoutError(f"no publish acknowledgement within {timeout:.0f} s")
        finally:
            for fut in futures:
                fut.cancel()

    async def step(self) -> bool:
        """One round: send the next batch. True when there was something to send."""
        self._check_rewind()
        rows = self.reader.rows(self.cursor.seq, self.settings.batch)
        if not rows:
            return False
        js = await self._connect()
        events = [make_event(self.branch, r.seq, r.at, r.kind, r.body) for r in rows]
        await self._send(js, events)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; only a wrong branch or a broken cursor end it early.

        A log that does not exist yet (the engine has not started) is waited for.
        """
        backoff = self.settings.backoff_min_s
        opened = False
        try:
            while not stop.is_set():
                try:
                    if not opened:
                        self._open()
                        opened = True
                        self._log.info(
                            "uplink for branch %s from seq %d to %s",
                            self.branch, self.cursor.seq, ", ".join(self.servers),
                        )  # fmt: skip
                    busy = await self.step()
                except LobbyqError as exc:
                    if isinstance(exc, UplinkError | CursorError):
                        raise
                    self._link.complain(str(exc))
                except LINK_ERRORS as exc:
                    self._link.complain(
                        f"head office not reachable ({type(exc).__name__}: {exc or 'timeout'}); "
                        f"acknowledged up to seq {self.cursor.seq}"
                    )
                else:
                    if busy:
                        self._link.clear(
                            f"head office link up, acknowledged up to {self.cursor.seq}"
                        )
                    else:
                        await _wait(stop, self.settings.poll_s)
                    backoff = self.settings.backoff_min_s
                    continue
                await _wait(stop, backoff)
                backoff = min(backoff * 2, self.settings.backoff_max_s)
        finally:
            await self._close()
            self.reader.close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
