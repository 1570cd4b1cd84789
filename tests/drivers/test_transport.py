"""SerialLink over loop:// and over a pty that is unplugged and replugged."""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

import pytest

from drivers.errors import LinkDown
from drivers.recorder import FlightRecorder
from drivers.sim.pty import PtyPort
from drivers.transport import SerialLink
from tests.support import eventually


class Sink:
    def __init__(self) -> None:
        self.data = bytearray()
        self.states: list[tuple[bool, str]] = []
        self.got = threading.Event()

    def on_data(self, chunk: bytes) -> None:
        self.data += chunk
        self.got.set()

    def on_state(self, up: bool, reason: str) -> None:
        self.states.append((up, reason))


def test_loop_url_echoes_written_bytes() -> None:
    sink = Sink()
    rec = FlightRecorder("loop")
    with SerialLink("loop://", name="loop", on_data=sink.on_data, recorder=rec) as link:
        assert link.wait_connected(2)
        link.write(b"\x02hello\x03")
        assert eventually(lambda: bytes(sink.data) == b"\x02hello\x03")
    dirs = [r.direction for r in rec.records() if r.data]
    assert "tx" in dirs and "rx" in dirs


def test_pty_data_both_ways(pty_port: PtyPort) -> None:
    sink = Sink()
    with SerialLink(pty_port.url, name="t", on_data=sink.on_data) as link:
        assert link.wait_connected(2)
        pty_port.write(b"abc")
        assert eventually(lambda: bytes(sink.data) == b"abc")
        link.write(b"xyz")
        got = bytearray()

        def read_xyz() -> bool:
            got.extend(pty_port.read(0.1))
            return bytes(got) == b"xyz"

        assert eventually(read_xyz, 2)


def test_callback_exception_does_not_kill_reader(
    pty_port: PtyPort, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[bytes] = []

    def explode(chunk: bytes) -> None:
        seen.append(chunk)
        if chunk.startswith(b"!"):
            raise ValueError("bad frame")

    with SerialLink(pty_port.url, name="t", on_data=explode) as link:
        assert link.wait_connected(2)
        with caplog.at_level(logging.ERROR):
            pty_port.write(b"!")
            assert eventually(lambda: len(seen) == 1)
            pty_port.write(b"ok")
            assert eventually(lambda: b"ok" in b"".join(seen))
        assert link.callback_errors == 1
        assert "on_data handler failed" in caplog.text


def test_unplug_reports_down_raises_linkdown_and_recovers(pty_port: PtyPort) -> None:
    sink = Sink()
    link = SerialLink(
        pty_port.url, name="t", on_data=sink.on_data, on_state=sink.on_state, backoff_max=0.05
    )
    link.start()
    try:
        assert link.wait_connected(2)
        pty_port.unplug()
        assert eventually(lambda: not link.connected)
        with pytest.raises(LinkDown):
            link.write(b"x")
        t0 = time.monotonic()
        pty_port.replug()
        assert link.wait_connected(2)
        assert time.monotonic() - t0 < 0.5
        pty_port.write(b"back")
        assert eventually(lambda: bytes(sink.data).endswith(b"back"))
        ups = [up for up, _ in sink.states]
        assert ups == [True, False, True]
        assert link.reconnects == 1
    finally:
        link.close()


def test_absent_port_gives_up_after_deadline(tmp_path: Path) -> None:
    sink = Sink()
    link = SerialLink(
        str(tmp_path / "nothing-here"),
        name="t",
        on_data=sink.on_data,
        on_state=sink.on_state,
        backoff_initial=0.01,
        backoff_max=0.02,
        reconnect_deadline=0.1,
    )
    link.start()
    try:
        assert eventually(lambda: link.gave_up, 2)
        assert sink.states[0][0] is False
        assert sink.states[-1] == (False, "gave up reconnecting")
        with pytest.raises(LinkDown):
            link.write(b"x")
    finally:
        link.close()


def test_port_appearing_later_connects(tmp_path: Path) -> None:
    sink = Sink()
    link = SerialLink(
        str(tmp_path / "late"),
        name="t",
        on_data=sink.on_data,
        on_state=sink.on_state,
        backoff_max=0.05,
    )
    link.start()
    port: PtyPort | None = None
    try:
        assert eventually(lambda: bool(sink.states))
        port = PtyPort(tmp_path / "late")
        assert link.wait_connected(2)
        assert sink.states[-1] == (True, "connected")
    finally:
        link.close()
        if port is not None:
            port.close()


def test_byte_reaches_callback_within_a_few_ms(pty_port: PtyPort) -> None:
    arrivals: list[float] = []
    sent: list[float] = []
    got = threading.Event()

    def on_data(chunk: bytes) -> None:
        arrivals.append(time.perf_counter())
        got.set()

    with SerialLink(pty_port.url, name="t", on_data=on_data) as link:
        assert link.wait_connected(2)
        for _ in range(50):
            got.clear()
            sent.append(time.perf_counter())
            pty_port.write(b"k")
            assert got.wait(1)
    lat = sorted(a - s for a, s in zip(arrivals, sent, strict=True))
    # goal is ~1 ms; the bound leaves room for a loaded two-core test machine
    assert lat[len(lat) // 2] < 0.005


def test_close_is_prompt_and_idempotent(pty_port: PtyPort) -> None:
    link = SerialLink(pty_port.url, name="t", on_data=lambda b: None)
    link.start()
    assert link.wait_connected(2)
    t0 = time.monotonic()
    link.close()
    link.close()
    assert time.monotonic() - t0 < 0.5
    assert not link.connected


def test_recorder_ring_keeps_last_and_redacts() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 0.5
        return now[0]

    rec = FlightRecorder("reader", size=3, clock=clock)
    secret = "6222" + "0" * 11 + "7"  # synthetic card-like number made here
    rec.record("tx", b"\x01")
    rec.record("rx", b"\x02\x03", note="ack")
    rec.record("rx", secret.encode(), note="track2", redact=True)
    rec.record("tx", b"\x04")
    lines = rec.dump(lambda b: f"len={len(b)}")
    assert len(lines) == 3
    assert "02 03 => len=2  # ack" in lines[0]
    assert "<redacted 16 bytes>  # track2" in lines[1]
    assert all(secret not in ln and secret.encode().hex() not in ln for ln in lines)
    assert lines[0].startswith("reader +  0.000000s rx")


def test_recorder_dump_survives_bad_decoder(caplog: pytest.LogCaptureFixture) -> None:
    rec = FlightRecorder("x")
    rec.record("rx", b"\xff")

    def bad(b: bytes) -> str:
        raise ValueError("nope")

    with caplog.at_level(logging.WARNING):
        rec.dump_to(logging.getLogger("t"), bad, reason="crc run")
    assert "undecodable: nope" in caplog.text
    assert "crc run" in caplog.text


def test_spy_url_hexdumps_traffic_for_technicians(pty_port: PtyPort, tmp_path: Path) -> None:
    dump = tmp_path / "spy.txt"
    sink = Sink()
    url = f"spy://{pty_port.url}?file={dump}"
    with SerialLink(url, name="spy", on_data=sink.on_data) as link:
        assert link.wait_connected(2)
        pty_port.write(b"\xa5\x01")
        assert eventually(lambda: bytes(sink.data) == b"\xa5\x01")
        link.write(b"\x5a")
    lines = dump.read_text().upper().splitlines()
    assert any(" RX " in ln and " A5 " in ln for ln in lines)
    assert any(" TX " in ln and " 5A " in ln for ln in lines)


def test_redacting_link_never_records_the_bytes(pty_port: PtyPort) -> None:
    secret = "".join(str((7 * i) % 10) for i in range(16)).encode()  # synthetic, made here
    rec = FlightRecorder("reader")
    sink = Sink()
    with SerialLink(
        pty_port.url, name="r", on_data=sink.on_data, recorder=rec, redact=True
    ) as link:
        assert link.wait_connected(2)
        pty_port.write(secret)
        assert eventually(lambda: bytes(sink.data) == secret)
        link.write(secret)
    assert all(r.data == b"" for r in rec.records())
    dump = "\n".join(rec.dump(lambda b: b.decode()))
    assert secret.decode() not in dump and secret.hex(" ").upper() not in dump
    assert "<redacted" in dump


class SteppedWaits:
    """The link's backoff waits on a fake clock, let through one at a time by the test."""

    def __init__(self) -> None:
        self.now = 0.0
        self._asked: queue.Queue[float] = queue.Queue()
        self._go = threading.Semaphore(0)
        self._closed = False

    def clock(self) -> float:
        return self.now

    def __call__(self, delay: float) -> bool:
        self._asked.put(delay)
        self._go.acquire()
        self.now += delay
        return self._closed

    def next_delay(self) -> float:
        """The delay the link now sits in (it stays there until ``resume``)."""
        return self._asked.get(timeout=3)

    def resume(self) -> None:
        self._go.release()

    def close(self) -> None:
        self._closed = True
        for _ in range(4):
            self._go.release()


def test_reconnect_backoff_doubles_to_its_cap_and_resets_after_a_good_connection(
    tmp_path: Path,
) -> None:
    waits = SteppedWaits()
    path = tmp_path / "ttyLATE"
    link = SerialLink(
        str(path),
        name="t",
        on_data=lambda b: None,
        backoff_initial=0.1,
        backoff_max=0.5,
        clock=waits.clock,
        wait=waits,
    )
    link.start()
    port: PtyPort | None = None
    try:
        # the port is absent: each failed open waits twice as long, up to the cap
        grown = []
        for _ in range(5):
            grown.append(waits.next_delay())
            if len(grown) < 5:
                waits.resume()
        assert grown == [0.1, 0.2, 0.4, 0.5, 0.5]
        port = PtyPort(path)
        waits.resume()
        assert link.wait_connected(2)
        # a connection that stayed up (two seconds on the link's clock) earns a fresh backoff
        waits.now += 2.0
        port.unplug()
        assert waits.next_delay() == 0.1
        # one that fails as soon as it opens does not: the delay keeps growing
        port.replug()
        waits.resume()
        assert link.wait_connected(2)
        port.unplug()
        assert waits.next_delay() == 0.2
        waits.resume()
        assert waits.next_delay() == 0.4
    finally:
        waits.close()
        link.close()
        if port is not None:
            port.close()
