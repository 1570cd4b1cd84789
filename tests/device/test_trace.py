"""The bus tracer: direction, decoding, gaps, missing replies and noise."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from drivers.bus.codes import Cmd
from drivers.bus.frame import encode
from drivers.sim.pty import PtyPort
from lobbyq.device.trace import Tracer
from tests.device.conftest import device_cli

KEY_CALL = encode(1, Cmd.EVENT, 3, bytes((3, 1, 1)))


def test_frames_are_decoded_with_direction_gap_and_missing_replies() -> None:
    tracer = Tracer()
    lines = tracer.feed(encode(1, Cmd.PING, 5), 100.0)
    assert "host->@01" in lines[0] and "PING seq=5" in lines[0] and "Ping()" in lines[0]
    lines = tracer.feed(KEY_CALL[:4], 100.001)
    assert lines == []  # half a frame: wait for the rest
    lines = tracer.feed(KEY_CALL[4:], 100.002)
    assert "@01->host" in lines[0] and "Key.CALL" in lines[0] and "+2.0ms" in lines[0]
    tracer.feed(encode(3, Cmd.PING, 6), 100.010)
    lines = tracer.feed(encode(3, Cmd.PING, 7), 100.100)
    assert lines[0].endswith("!! no reply from @03 to seq 6")
    lines = tracer.feed(b"\xa5\x01\x02garbage" + encode(2, Cmd.PING, 8), 100.2)
    assert "!! " in lines[0] and "bad" in lines[0]
    assert "PING seq=8" in lines[-1]
    summary = tracer.summary()
    # PING seq 5 got an unsolicited event, not its IDENT: three requests unanswered
    assert "5 frames" in summary and "3 requests without reply" in summary


def test_replay_of_a_capture_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "bus.bin"
    capture.write_bytes(encode(1, Cmd.PING, 1) + KEY_CALL)
    assert device_cli("trace", "--replay", str(capture), "--hex") == 0
    out = capsys.readouterr().out
    assert "host->@01" in out and "Key.CALL" in out and "| 03 01 01" in out
    assert "2 frames" in out


def test_live_trace_of_a_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = PtyPort(tmp_path / "sniffer")
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            device_cli("trace", port.url, "--count", "2", "--duration", "5")
        )
    )
    try:
        worker.start()
        deadline = time.monotonic() + 5
        while "listening" not in capsys.readouterr().err and time.monotonic() < deadline:
            time.sleep(0.01)  # the tracer says when its port is open
        port.write(encode(1, Cmd.PING, 9))
        port.write(KEY_CALL)
        worker.join(6)
    finally:
        port.close()
    assert result == [0]
    out = capsys.readouterr().out
    assert "PING seq=9" in out and "Key.CALL" in out


def test_replay_of_a_spy_dump_with_its_times_and_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import serial

    from drivers.sim.pty import PtyPort

    far = PtyPort(tmp_path / "bus")
    dump = tmp_path / "bus-spy.txt"
    port = serial.serial_for_url(f"spy://{far.url}?file={dump}", timeout=1)
    long = encode(3, Cmd.STRIP_SHOW, 9, bytes(range(40)))  # more than one 16-byte row
    port.write(encode(1, Cmd.PING, 1))
    port.write(long)
    port.write(encode(2, Cmd.PING, 2))
    port.close()
    far.close()
    assert device_cli("trace", "--replay", str(dump)) == 0
    out = capsys.readouterr().out
    assert "3 frames" in out and "bad" in out and "0 bad byte runs" in out
    assert "host->@03" in out
    assert device_cli("trace", "--replay", str(dump), "--count", "1") == 0
    out = capsys.readouterr().out
    assert "host->@01" in out and "host->@03" not in out and "1 frames" in out
