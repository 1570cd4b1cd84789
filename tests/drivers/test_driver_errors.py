"""Every error the drivers raise for device trouble is a DriverError, and only that."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.errors import DriverError
from drivers.magstripe.codec import TrackError
from drivers.printer.fonts import FontNotFound, find_cjk_font
from drivers.sim.pty import PtyPort, PtyPortError
from drivers.simcli import CommandError, parse_command


@pytest.mark.parametrize("error", [TrackError, CommandError, PtyPortError, FontNotFound])
def test_each_is_a_driver_error_and_no_builtin_kind(error: type[Exception]) -> None:
    assert issubclass(error, DriverError)
    assert not issubclass(error, ValueError | OSError | LookupError)


def test_an_unplugged_pty_raises_a_driver_error(tmp_path: Path) -> None:
    port = PtyPort(tmp_path / "tty")
    port.unplug()
    with pytest.raises(DriverError):
        port.write(b"x")
    port.close()


def test_a_bad_console_line_and_a_missing_font_are_driver_errors(tmp_path: Path) -> None:
    with pytest.raises(DriverError):
        parse_command("fly to the moon")
    with pytest.raises(DriverError):
        find_cjk_font("sc", dirs=[tmp_path])
