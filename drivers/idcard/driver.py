"""Host side of a resident ID card reader: it drives the read, hands out identities.

The reader answers commands and never speaks first, so a poll thread runs
the sequence such readers expect, a few times a second:

1. FIND_CARD (20 01): ``9F`` when a card is in the field, ``80`` when not;
2. SELECT_CARD (20 02): ``90`` when the card answered;
3. READ_BASE (30 01): ``90`` with the text block and the photo.

The decisions (what to send next, deliver, reject, report) are the pure
state machine in :mod:`drivers.idcard.session`; this module is its shell:
a poll thread, the serial link, waiting with retries, and performing the
effects. The ID number is hashed the moment the text block is parsed; the
photo is dropped by the codec. A card left on the reader is delivered once.
A reader that stops answering is reported offline (and its flight recorder
dumped) and online again at its next answer.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Unpack

from drivers.errors import DeviceTimeout, LinkDown
from drivers.idcard.codec import (
    BadFrame,
    Command,
    Op,
    Response,
    ResponseDecoder,
    describe,
    encode_command,
)
from drivers.idcard.session import Deliver, Effect, Health, Reject, Send, Session
from drivers.idcard.session import answer as session_answer
from drivers.idcard.session import start as session_start
from drivers.idcard.session import timeout as session_timeout
from drivers.identity import Identity, IdentityHasher
from drivers.readers import HealthCallback, ReaderBase, ReaderOptions

IdentityCallback = Callable[[Identity], None]

_READ_OPS = frozenset({Op.READ_BASE, Op.READ_BASE_FP, Op.READ_NEW_ADDRESS})


class IdCardReader(ReaderBase):
    """A resident ID card reader on a serial port (115200 baud by default).

    ``poll_interval`` is the pause between FIND_CARD polls; ``timeout`` the
    wait for a short answer and ``read_timeout`` for READ_BASE, which takes
    the card itself most of a second on real readers. Each command is tried
    ``attempts`` times before the reader is declared not responding.
    """

    default_name = "id-reader"
    default_baudrate = 115200

    def __init__(
        self,
        url: str,
        hasher: IdentityHasher,
        on_identity: IdentityCallback,
        on_health: HealthCallback | None = None,
        logger: logging.Logger | None = None,
        *,
        poll_interval: float = 0.25,
        timeout: float = 0.5,
        read_timeout: float = 2.0,
        attempts: int = 2,
        **options: Unpack[ReaderOptions],
    ) -> None:
        super().__init__(url, on_health=on_health, logger=logger, **options)
        self._hasher = hasher
        self._on_identity = on_identity
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.read_timeout = read_timeout
        self.attempts = max(1, attempts)
        self._decoder = ResponseDecoder()
        self._decoder_lock = threading.Lock()
        self._responses: queue.Queue[Response | BadFrame] = queue.Queue()
        self._link_up = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._session = Session()
        self.reads = 0
        self.timeouts = 0

    # -- lifecycle ------------------------------------------------------

    def start(self) -> None:
        super().start()
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._poll, name=f"{self.name}-poll", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._link_up.set()  # wake the poll thread so it sees the stop...
        self._responses.put(BadFrame("closing"))  # ...even while it waits for an answer
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=3.0)
        self._thread = None
        super().close()

    # -- link thread ----------------------------------------------------

    def handle_data(self, data: bytes) -> None:
        with self._decoder_lock:
            messages = self._decoder.feed(data)
        for msg in messages:
            self.recorder.note(describe(msg))
            if isinstance(msg, Response | BadFrame):
                self._responses.put(msg)

    def on_link(self, up: bool, reason: str) -> None:
        if up:
            self._link_up.set()  # online is reported at the first answer, not here
        else:
            self._link_up.clear()
            self.report_health(False, reason, force=self.link.gave_up)

    # -- poll thread ----------------------------------------------------

    def _poll(self) -> None:
        while not self._stop.is_set():
            if not self._link_up.wait(0.5) or self._stop.is_set():
                continue
            try:
                self.poll_once()
            except DeviceTimeout:
                self.timeouts += 1  # health was reported by the session
            except LinkDown:
                pass  # the link reports it; we wait for it to come back
            except Exception:  # a bug must not end polling for the day
                self.log.exception("%s: poll failed; polling carries on", self.name)
            self._stop.wait(self.poll_interval)

    def poll_once(self) -> Identity | None:
        """One find/select/read round; returns the identity if one was delivered.

        The decisions are :mod:`drivers.idcard.session`'s; this shell only
        sends, waits and performs the effects. ``DeviceTimeout`` and
        ``LinkDown`` propagate (the poll loop reports them).
        """
        session, effects = session_start(self._session)
        delivered: Identity | None = None
        while True:
            self._session = session
            send: Op | None = None
            for effect in effects:
                if isinstance(effect, Send):
                    send = effect.op
                else:
                    delivered = self._perform(effect) or delivered
            if send is None:
                return delivered
            try:
                resp = self.transact(send)
            except DeviceTimeout:
                self._session, effects = session_timeout(self._session)
                for effect in effects:
                    self._perform(effect)
                raise
            session, effects = session_answer(session, resp, self._hasher)

    def _perform(self, effect: Effect) -> Identity | None:
        if isinstance(effect, Health):
            self.report_health(effect.online, effect.reason)
        elif isinstance(effect, Deliver):
            identity = effect.identity
            self.reads += 1
            self.deliver(
                self._on_identity,
                identity,
                note=f"card {identity.masked}",
                message=f"ID card {identity.masked}",
            )
            return identity
        elif isinstance(effect, Reject):
            self.reject(effect.reason, note="rejected", message="card not read")
        return None

    def transact(self, op: Op) -> Response:
        """Send one command and wait for its answer, retrying a lost one."""
        wait = self.read_timeout if op in _READ_OPS else self.timeout
        frame = encode_command(op)
        for _attempt in range(self.attempts):
            with self._decoder_lock:
                self._decoder.reset()  # stale bytes must not be taken as this answer
                while not self._responses.empty():
                    self._responses.get_nowait()
            self.recorder.record("tx", frame, note=describe(Command(op.cmd, op.para)))
            self.link.write(frame)
            deadline = self._clock() + wait
            while True:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                try:
                    msg = self._responses.get(timeout=remaining)
                except queue.Empty:
                    break
                if isinstance(msg, Response):
                    return msg
                if self._stop.is_set():
                    raise LinkDown(f"{self.name}: closing")
                # a BadFrame: keep waiting, the real answer may follow
            self.recorder.note(f"no answer to {op.name}")
        raise DeviceTimeout(f"{self.name}: no answer to {op.name}")
