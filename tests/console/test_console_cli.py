"""``lobbyq console add-user`` writes an account; the server refuses to start half-configured."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from console.auth import Accounts
from lobbyq.cli import main


def test_add_user_reads_the_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "accounts.db"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long secret\n"))
    assert main(["console", "add-user", "boss", "--role", "manager", "--accounts", str(path)]) == 0
    assert "boss (manager)" in capsys.readouterr().out
    accounts = Accounts(path)
    try:
        account = accounts.verify("boss", "a long secret")
        assert account is not None and account.can_act
    finally:
        accounts.close()
    monkeypatch.setattr("sys.stdin", io.StringIO("another secret\n"))
    assert main(["console", "add-user", "boss", "--accounts", str(path)]) == 1
    assert "exists already" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["console", "--broker", "mqtt://127.0.0.1:1"], "--accounts"),
        (["console", "--accounts", "{a}"], "--broker and --branch"),
        (["console", "--accounts", "{a}", "--broker", "mqtt://h", "--branch", "a/b"], "branch id"),
    ],
)
def test_serve_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    argv = [a.replace("{a}", str(tmp_path / "a.db")) for a in argv]
    assert main(argv) == 2
    assert says in capsys.readouterr().err
