"""An ingest worker: fetch a batch from the durable consumer, commit it, then ack.

Offset after write: a batch is acknowledged only after its transaction has
committed, so a worker killed at any point loses nothing (JetStream hands the
unacknowledged messages to another worker after ``ack_wait``) and the
redelivered events change nothing (``ON CONFLICT DO NOTHING``). Workers are
competing consumers of one durable pull consumer: start another process and
it takes its share of the batches.

A message that is not a valid event is stored in ``rejected`` with the
reason and acknowledged: it is kept for a person to look at, and it does not
come back forever. When PostgreSQL is unreachable the worker acks nothing,
reconnects with backoff, and the messages wait in the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import nats
import nats.errors
import psycopg
from nats.aio.client import Client
from nats.aio.msg import Msg

from hq.schema import migrate
from hq.store import HqStore
from hq.stream import CONSUMER, STREAM, consumer_config, ensure_stream
from lobbyq.protocol.uplink import SUBJECT_WILDCARD, HqEvent, WireError, decode_event


@dataclass(slots=True)
class IngestSettings:
    batch: int = 500
    fetch_timeout_s: float = 1.0
    sweep_interval_s: float = 0.5
    ack_wait_s: float = 30.0
    replicas: int = 3
    backoff_max_s: float = 10.0


@dataclass(slots=True)
class IngestStats:
    batches: int = 0
    inserted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0


class IngestWorker:
    """One competing consumer writing to PostgreSQL."""

    def __init__(
        self,
        servers: Sequence[str],
        dsn: str,
        *,
        name: str = "ingest",
        settings: IngestSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self.servers, self.dsn, self.name = list(servers), dsn, name
        self.settings = settings or IngestSettings()
        self._clock = clock
        self._log = logger or logging.getLogger("hq.ingest")
        self.stats = IngestStats()
        self._dirty: set[str] = set()
        self._last_sweep = 0.0

    async def run(self, stop: asyncio.Event, on_ready: Callable[[], None] | None = None) -> None:
        """Consume until ``stop``; ``on_ready`` is called each time the worker is subscribed."""
        backoff = 0.5
        nc: Client | None = None
        store: HqStore | None = None
        try:
            while not stop.is_set():
                try:
                    if store is None:
                        with psycopg.connect(self.dsn) as conn:
                            migrate(conn)
                        store = await HqStore.connect(self.dsn, self._log)
                    if nc is None:
                        nc = await self._connect()
                    sub = await self._subscribe(nc)
                    if on_ready is not None:
                        on_ready()
                    self._log.info("%s consuming %s/%s", self.name, STREAM, CONSUMER)
                    backoff = 0.5
                    try:
                        await self._loop(stop, sub, store)
                    finally:
                        with contextlib.suppress(Exception):
                            await sub.unsubscribe()
                except psycopg.Error as exc:
                    self._log.warning("%s: database unavailable (%s); retrying", self.name, exc)
                    if store is not None:
                        with contextlib.suppress(Exception):
                            await store.close()
                    store = None
                except (TimeoutError, nats.errors.Error, OSError) as exc:
                    self._log.warning(
                        "%s: NATS unavailable (%s: %s); retrying",
                        self.name,
                        type(exc).__name__,
                        exc,
                    )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, self.settings.backoff_max_s)
        finally:
            if nc is not None:
                with contextlib.suppress(Exception):
                    await nc.close()
            if store is not None:
                with contextlib.suppress(Exception):
                    await store.close()

    async def _connect(self) -> Client:
        async def quiet(_: Exception) -> None:
            return None

        return await nats.connect(
            servers=self.servers,
            name=f"lobbyq-hq-{self.name}",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            error_cb=quiet,
        )

    async def _subscribe(self, nc: Client) -> nats.js.JetStreamContext.PullSubscription:
        js = nc.jetstream()
        await ensure_stream(js, replicas=self.settings.replicas)
        return await js.pull_subscribe(
            SUBJECT_WILDCARD,
            durable=CONSUMER,
            stream=STREAM,
            config=consumer_config(self.settings.ack_wait_s, max(20000, self.settings.batch * 8)),
        )

    async def _loop(
        self, stop: asyncio.Event, sub: nats.js.JetStreamContext.PullSubscription, store: HqStore
    ) -> None:
        while not stop.is_set():
            try:
                msgs = await sub.fetch(self.settings.batch, timeout=self.settings.fetch_timeout_s)
            except nats.errors.TimeoutError:
                await self._sweep(store, force=True)
                continue
            await self.handle(msgs, store)
            await self._sweep(store, force=False)

    async def handle(self, msgs: list[Msg], store: HqStore) -> None:
        """Write one fetched batch, then acknowledge it."""
        events: list[HqEvent] = []
        rejected: list[tuple[str, bytes, str]] = []
        for m in msgs:
            try:
                events.append(decode_event(m.subject, m.data))
            except WireError as exc:
                self._log.error("%s: refused a message on %s: %s", self.name, m.subject, exc)
                rejected.append((m.subject, bytes(m.data), str(exc)))
        result = await store.write(events, rejected)
        for m in msgs:
            await m.ack()
        self._dirty.update(e.branch for e in events)
        st = self.stats
        st.batches += 1
        st.inserted += result.inserted
        st.duplicates += result.duplicates
        st.conflicts += len(result.conflicts)
        st.rejected += len(rejected)

    async def _sweep(self, store: HqStore, *, force: bool) -> None:
        now = self._clock()
        if not self._dirty or (
            not force and now - self._last_sweep < self.settings.sweep_interval_s
        ):
            return
        self._last_sweep = now
        for branch in sorted(self._dirty):
            if await store.sweep(branch):
                self._dirty.discard(branch)
