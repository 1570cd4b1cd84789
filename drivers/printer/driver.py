"""``TicketPrinter``: the kiosk's ticket printer driver.

Transport: python-escpos drives the printer through ``LinkEscpos``, an
``Escpos`` subclass whose ``open``/``_raw``/``_read``/``close`` go through
the shared ``SerialLink`` (``serial.serial_for_url``), so a serial device
path, a simulator's pty, ``spy:///dev/lobbyq-printer`` (hex dump for a
technician), ``rfc2217://`` and ``socket://host:9100`` all work; a network
printer's ``tcp://host:9100`` is mapped to ``socket://``. ``usb://VVVV:PPPP``
uses python-escpos' ``Usb`` with an explicit timeout (its ``timeout=0``
would mean "wait forever"); it needs pyusb installed.

Status: the four DLE EOT queries go out in one write and their four answers
are decoded by ``status.decode_status``. A printer that does not answer
within ``timeout`` is offline; python-escpos' own ``paper_status()`` would
call it "plenty", which is why it is not used.

Printing: ``print_ticket`` renders (pure), checks the status, and sends the
ticket only to a ready printer, within ``deadline`` seconds; otherwise it
raises the ``PrinterError`` subclass that says why, so the kiosk keeps the
number on screen and raises the right alert. The link reconnects by itself
after an unplug (backoff, see ``SerialLink``); ``on_status`` hears every
change of status, including the link going away and coming back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from escpos.escpos import Escpos
from PIL import Image

from drivers.errors import DriverError, LinkDown
from drivers.printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    PrinterTimeout,
)
from drivers.printer.profiles import PrinterProfile
from drivers.printer.status import QUERY_ALL, PrinterStatus, decode_status, describe, is_answer
from drivers.printer.stream import describe as describe_stream
from drivers.printer.ticket import TicketData, render_ticket
from drivers.recorder import FlightRecorder
from drivers.transport import SerialLink

_QUERY_ATTEMPTS = 3

# The I/O boundary: SerialLink already turns pyserial's errors into LinkDown,
# but python-escpos' USB backend raises pyusb's own exception types, which
# share no base class with ours; at this boundary any of them means "offline".
_IO_ERRORS: tuple[type[Exception], ...] = (Exception,)
StatusCallback = Callable[[PrinterStatus], None]


def normalize_url(url: str) -> str:
    """Map a network printer's ``tcp://host:port`` to pyserial's ``socket://``."""
    if url.startswith("tcp://"):
        return "socket://" + url[len("tcp://") :]
    return url


class LinkEscpos(Escpos):
    """python-escpos over a ``SerialLink``: every URL pyserial knows, with timeouts.

    Status answers arrive on the link's reader thread and wait in a small
    buffer; bytes that cannot be a DLE EOT answer (noise) are dropped there.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str,
        baudrate: int,
        write_timeout: float,
        read_timeout: float,
        recorder: FlightRecorder | None,
        logger: logging.Logger,
        on_state: Callable[[bool, str], None],
        reconnect_deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.url = url
        self.read_timeout = read_timeout
        self._answers = bytearray()
        self._cond = threading.Condition()
        self.noise_bytes = 0
        self.link = SerialLink(
            url,
            name=name,
            on_data=self._on_data,
            on_state=on_state,
            baudrate=baudrate,
            recorder=recorder,
            logger=logger,
            backoff_initial=0.02,
            backoff_max=0.5,
            reconnect_deadline=reconnect_deadline,
            clock=clock,
            open_kwargs={"write_timeout": write_timeout},
        )

    def open(self) -> None:
        self.link.start()
        self.device = self.link

    def close(self) -> None:
        link = getattr(self, "link", None)
        if link is not None:
            link.close()
        self._device = False

    def _raw(self, msg: bytes) -> None:
        self.link.write(msg)

    def _read(self) -> bytes:
        """Answer bytes received so far, waiting up to ``read_timeout`` for the first."""
        with self._cond:
            if not self._answers:
                self._cond.wait(self.read_timeout)
            data = bytes(self._answers)
            self._answers.clear()
            return data

    def discard_answers(self) -> None:
        with self._cond:
            self._answers.clear()

    def _on_data(self, data: bytes) -> None:
        answers = bytes(b for b in data if is_answer(b))
        with self._cond:
            self.noise_bytes += len(data) - len(answers)
            if answers:
                self._answers += answers
                self._cond.notify_all()


def _usb_escpos(url: str, timeout: float) -> Any:
    """python-escpos' USB printer with a real timeout (``usb://04b8:0202``)."""
    try:
        from escpos.printer import Usb
    except ImportError as exc:  # pragma: no cover - depends on pyusb being installed
        raise PrinterOffline(f"USB printing needs pyusb: {exc}") from exc
    parts = urlsplit(url)
    try:
        vid, pid = (int(x, 16) for x in parts.netloc.split(":"))
    except ValueError:
        raise PrinterError(f"bad USB printer URL {url!r}, expected usb://VVVV:PPPP") from None

    class _Usb(Usb):
        """Closing a USB printer that never opened must not raise (escpos calls it on gc)."""

        def close(self) -> None:
            with contextlib.suppress(Exception):
                super().close()

    return _Usb(vid, pid, timeout=max(1, int(timeout * 1000)))


class TicketPrinter:
    """One ticket printer: status, printing, reconnects. Thread-safe.

    ``timeout``: how long a status answer may take before the printer counts
    as silent (offline). ``deadline``: how long ``print_ticket`` may spend
    before the ticket is on its way; a slower printer raises
    ``PrinterTimeout`` instead of printing a ticket the customer no longer
    waits for. ``logo`` is printed at the top of every ticket.
    ``reconnect_deadline``: stop retrying a vanished port after this many
    seconds (``None``, the default for a kiosk, retries forever with backoff).
    """

    def __init__(
        self,
        url: str,
        profile: PrinterProfile,
        *,
        timeout: float = 0.5,
        deadline: float = 0.3,
        baudrate: int = 19200,
        logo: Image.Image | None = None,
        name: str = "printer",
        logger: logging.Logger | None = None,
        recorder: FlightRecorder | None = None,
        on_status: StatusCallback | None = None,
        reconnect_deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = normalize_url(url)
        self.profile = profile
        self.timeout = timeout
        self.deadline = deadline
        self.logo = logo
        self.name = name
        self.log = logger or logging.getLogger(f"lobbyq.drivers.{name}")
        self.recorder = recorder or FlightRecorder(name, clock=clock)
        self._on_status = on_status
        self._clock = clock
        self._lock = threading.RLock()
        self._link_up = False
        self._link_event = threading.Event()
        self.last_status: PrinterStatus | None = None
        self._watch_stop = threading.Event()
        self._watch_thread: threading.Thread | None = None
        self._escpos: Any
        if self.url.startswith("usb://"):
            self._escpos = _usb_escpos(self.url, timeout)
        else:
            self._escpos = LinkEscpos(
                self.url,
                name=name,
                baudrate=baudrate,
                write_timeout=timeout,
                read_timeout=timeout,
                recorder=self.recorder,
                logger=self.log,
                on_state=self._on_link_state,
                reconnect_deadline=reconnect_deadline,
                clock=clock,
            )
        self._opened = False

    @property
    def escpos(self) -> Any:
        """The python-escpos printer underneath, for a command lobbyq does not wrap."""
        return self._escpos

    # -- lifecycle --------------------------------------------------------

    def open(self, wait: float | None = None) -> bool:
        """Start the link; wait up to ``wait`` (default ``timeout``) for the port."""
        with self._lock:
            if not self._opened:
                self._opened = True
                try:
                    self._escpos.open()
                except _IO_ERRORS as exc:  # USB: no device, no permission, no pyusb
                    self._opened = False
                    self._on_link_state(False, f"open failed: {exc}")
                    return False
                if not isinstance(self._escpos, LinkEscpos):
                    self._on_link_state(True, "connected")
        return self._link_event.wait(self.timeout if wait is None else wait)

    def close(self) -> None:
        self.stop_watch()
        with self._lock, contextlib.suppress(Exception):
            self._escpos.close()
        self._opened = False

    def __enter__(self) -> TicketPrinter:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._link_up

    # -- status -----------------------------------------------------------

    def status(self) -> PrinterStatus:
        """The printer's status now; a silent printer or a down link is offline."""
        with self._lock:
            st, _elapsed = self._query(self.timeout)
        self._publish(st)
        return st

    def _query(self, timeout: float) -> tuple[PrinterStatus, float]:
        """Ask DLE EOT 1..4 and decode; retry once the line was noisy during the exchange."""
        if not self._opened:
            self.open()
        start = self._clock()
        if not self._link_up:
            return PrinterStatus.silent("link down"), 0.0
        st = PrinterStatus.silent()
        for _attempt in range(_QUERY_ATTEMPTS):
            left = timeout - (self._clock() - start)
            if left <= 0:
                break
            st, clean = self._query_once(left)
            if clean:
                break
            self.recorder.note("noise on the line during a status query; asking again")
        return st, self._clock() - start

    def _query_once(self, timeout: float) -> tuple[PrinterStatus, bool]:
        """One exchange; ``clean`` is false when noise arrived with the answers."""
        start = self._clock()
        esc = self._escpos
        noise_before = 0
        if isinstance(esc, LinkEscpos):
            esc.discard_answers()
            noise_before = esc.noise_bytes
        try:
            esc._raw(QUERY_ALL)
        except _IO_ERRORS as exc:
            self._io_failed(exc)
            return PrinterStatus.silent(f"status query not sent: {exc}"), True
        got = bytearray()
        while len(got) < 4:
            left = timeout - (self._clock() - start)
            if left <= 0:
                break
            if isinstance(esc, LinkEscpos):
                esc.read_timeout = left
            try:
                chunk = esc._read()
            except _IO_ERRORS as exc:
                self._io_failed(exc)
                return PrinterStatus.silent(f"status read failed: {exc}"), True
            got += bytes(chunk)
        noisy = len(got) > 4 or (isinstance(esc, LinkEscpos) and esc.noise_bytes != noise_before)
        if not got:
            self.recorder.note(f"no answer to DLE EOT within {timeout:.3f}s")
            return PrinterStatus.silent(f"no answer within {timeout * 1000:.0f} ms"), True
        try:
            st = decode_status(bytes(got[:4]))
        except DriverError as exc:
            self.recorder.note(f"bad status answer: {exc}")
            return PrinterStatus(
                False, "unknown", False, True, f"incomplete status: {exc}"
            ), not noisy
        return st, not noisy and _plausible(st)

    def _io_failed(self, exc: Exception) -> None:
        """USB has no self-healing link: drop the device so the next call reopens it."""
        if isinstance(self._escpos, LinkEscpos):
            return  # SerialLink notices and reconnects by itself
        with contextlib.suppress(Exception):
            self._escpos.close()
        self._opened = False
        self._on_link_state(False, f"I/O failed: {exc}")

    # -- printing ---------------------------------------------------------

    def print_ticket(self, ticket: TicketData) -> None:
        """Print one ticket or raise the ``PrinterError`` that says why not."""
        data = render_ticket(ticket, self.profile, logo=self.logo)
        self.print_bytes(data)

    def print_bytes(self, data: bytes) -> None:
        """Send already rendered ticket bytes to a ready printer (checked first)."""
        with self._lock:
            start = self._clock()
            st, elapsed = self._query(self.timeout)
            self._publish(st)
            try:
                self._check(st, elapsed)
                try:
                    self._escpos._raw(data)
                except LinkDown as exc:
                    if "timeout" in str(exc).lower():
                        raise PrinterTimeout(f"printer did not take the ticket: {exc}", st) from exc
                    raise PrinterOffline(f"link lost while printing: {exc}", st) from exc
                except _IO_ERRORS as exc:
                    self._io_failed(exc)
                    raise PrinterOffline(f"print failed: {exc}", st) from exc
            except PrinterError as exc:
                self.log.warning("%s: ticket not printed: %s", self.name, exc)
                self.recorder.dump_to(self.log, _describe_chunk, reason=str(exc))
                raise
            self.log.debug(
                "%s: ticket sent, %d bytes in %.1f ms",
                self.name,
                len(data),
                (self._clock() - start) * 1000,
            )

    def _check(self, st: PrinterStatus, elapsed: float) -> None:
        if st.paper == "out":
            raise PaperOut(f"paper out ({st.detail})", st)
        if st.cover_open:
            raise CoverOpen(f"cover open ({st.detail})", st)
        if st.error and st.paper == "unknown":
            raise PrinterTimeout(f"printer answered only in part: {st.detail}", st)
        if st.error:
            raise PrinterFault(f"printer error: {st.detail}", st)
        if not st.online:
            raise PrinterOffline(f"printer offline: {st.detail}", st)
        if elapsed > self.deadline:
            raise PrinterTimeout(
                f"status took {elapsed * 1000:.0f} ms, over the {self.deadline * 1000:.0f} ms"
                " deadline",
                st,
            )

    # -- health -----------------------------------------------------------

    def start_watch(self, interval: float = 5.0) -> None:
        """Poll the status every ``interval`` seconds so ``on_status`` hears changes
        (paper near end before it runs out, cover opened, printer gone quiet)."""
        if self._watch_thread is not None:
            return
        self._watch_stop.clear()

        def run() -> None:
            while not self._watch_stop.wait(interval):
                try:
                    self.status()
                except Exception:  # the watch must outlive any surprise
                    self.log.exception("%s: status poll failed", self.name)

        self._watch_thread = threading.Thread(target=run, name=f"{self.name}-watch", daemon=True)
        self._watch_thread.start()

    def stop_watch(self) -> None:
        self._watch_stop.set()
        thread, self._watch_thread = self._watch_thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    def _on_link_state(self, up: bool, reason: str) -> None:
        self._link_up = up
        if up:
            self._link_event.set()
        else:
            self._link_event.clear()
            self._publish(PrinterStatus.silent(f"link down: {reason}"))

    def _publish(self, st: PrinterStatus) -> None:
        previous, self.last_status = self.last_status, st
        if previous is not None and _same(previous, st):
            return
        level = logging.INFO if st.ready else logging.WARNING
        self.log.log(level, "%s: status %s", self.name, _summary(st))
        if self._on_status is not None:
            try:
                self._on_status(st)
            except Exception:
                self.log.exception("%s: on_status handler failed", self.name)


def _plausible(st: PrinterStatus) -> bool:
    """Paper end and an open cover always take a real printer offline."""
    return st.online is False or (st.paper != "out" and not st.cover_open)


def _same(a: PrinterStatus, b: PrinterStatus) -> bool:
    return (a.online, a.paper, a.cover_open, a.error) == (b.online, b.paper, b.cover_open, b.error)


def _summary(st: PrinterStatus) -> str:
    return (
        f"online={st.online} paper={st.paper} cover_open={st.cover_open} error={st.error}"
        f" ({st.detail or 'ok'})"
    )


def _describe_chunk(data: bytes) -> str:
    """Flight recorder decoding: status answers read as status, the rest as ESC/POS."""
    if len(data) == 4 and all(is_answer(b) for b in data):
        return describe(data)
    return describe_stream(data)
