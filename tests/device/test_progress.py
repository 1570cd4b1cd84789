"""The progress bar redraws in place on a terminal and prints steps elsewhere."""

from __future__ import annotations

import io

from lobbyq.device.progress import ProgressBar


def test_not_a_tty_prints_one_line_per_ten_percent() -> None:
    out = io.StringIO()
    bar = ProgressBar("flashing", out=out)
    for done in range(0, 3073, 128):
        bar(done, 3072)
    bar.finish("done")
    lines = out.getvalue().splitlines()
    assert lines[0] == "flashing: 0% (0/3072 B)"
    assert lines[-2] == "flashing: 100% (3072/3072 B)"
    assert lines[-1] == "done"
    assert len(lines) == 12  # 0, 10, ..., 100 and the final message
    assert "\r" not in out.getvalue()


def test_a_tty_redraws_one_line() -> None:
    out = io.StringIO()
    clock = iter([0.0, 1.0, 2.0, 3.0])
    bar = ProgressBar("flashing", out=out, tty=True, width=10, clock=lambda: next(clock))
    bar(0, 2048)
    bar(1024, 2048)
    bar(2048, 2048)
    bar.finish()
    text = out.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "[#####-----]  50% 1024/2048B" in text
    assert "[##########] 100%" in text
