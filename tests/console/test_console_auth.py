"""Accounts, sessions and login throttling, with a settable clock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.auth import AccountError, Accounts
from console.throttle import Limit, LoginThrottle
from tests.console.conftest import FAST_HASHER, PASSWORD, Clock


@pytest.fixture
def accounts(tmp_path: Path, clock: Clock) -> Accounts:
    acc = Accounts(tmp_path / "a.db", clock=clock, hasher=FAST_HASHER, session_ttl_s=600)
    acc.add_user("mgr", "manager", PASSWORD)
    return acc


def test_passwords_are_argon2_hashes_in_a_private_file(accounts: Accounts) -> None:
    raw = accounts.path.read_bytes()
    assert PASSWORD.encode() not in raw and b"$argon2id$" in raw
    assert os.stat(accounts.path).st_mode & 0o077 == 0


def test_verify_right_wrong_and_unknown(accounts: Accounts) -> None:
    account = accounts.verify("mgr", PASSWORD)
    assert account is not None and account.role == "manager" and account.can_act
    assert accounts.verify("mgr", PASSWORD + "x") is None
    assert accounts.verify("nobody", PASSWORD) is None


@pytest.mark.parametrize(
    ("name", "role", "password", "says"),
    [
        ("Bad Name", "manager", PASSWORD, "account name"),
        ("ok", "admin", PASSWORD, "role"),
        ("ok", "viewer", "short", "at least"),
        ("mgr", "viewer", PASSWORD, "exists"),
    ],
)
def test_add_user_refuses_with_a_reason(
    accounts: Accounts, name: str, role: str, password: str, says: str
) -> None:
    with pytest.raises(AccountError, match=says):
        accounts.add_user(name, role, password)


def test_sessions_expire_and_a_new_password_ends_them(accounts: Accounts, clock: Clock) -> None:
    account = accounts.verify("mgr", PASSWORD)
    assert account is not None
    token, session = accounts.open_session(account)
    assert token not in accounts.path.read_bytes().decode("latin-1")
    live = accounts.session(token)
    assert live is not None and live.csrf == session.csrf and live.account == account
    clock.t += 601
    assert accounts.session(token) is None
    token, _ = accounts.open_session(account)
    accounts.add_user("mgr", "viewer", PASSWORD + "2", replace=True)
    assert accounts.session(token) is None


def test_flash_is_read_once(accounts: Accounts) -> None:
    account = accounts.verify("mgr", PASSWORD)
    assert account is not None
    _, session = accounts.open_session(account)
    accounts.set_flash(session.id, "Done.")
    assert accounts.pop_flash(session.id) == "Done."
    assert accounts.pop_flash(session.id) is None


def test_throttle_per_account_then_it_lets_go(clock: Clock) -> None:
    throttle = LoginThrottle(per_account=Limit(3, 60), per_address=Limit(100, 60), clock=clock)
    for _ in range(3):
        assert throttle.retry_after("mgr", "10.0.0.1") == 0
        throttle.failed("mgr", "10.0.0.1")
    assert throttle.retry_after("MGR", "10.0.0.2") == pytest.approx(60)
    assert throttle.retry_after("other", "10.0.0.1") == 0
    clock.t += 61
    assert throttle.retry_after("mgr", "10.0.0.1") == 0


def test_throttle_per_address_across_accounts(clock: Clock) -> None:
    throttle = LoginThrottle(per_account=Limit(100, 60), per_address=Limit(4, 60), clock=clock)
    for i in range(4):
        throttle.failed(f"user{i}", "10.0.0.9")
    assert throttle.retry_after("fresh", "10.0.0.9") > 0
    assert throttle.retry_after("fresh", "10.0.0.8") == 0


def test_success_clears_the_account_count(clock: Clock) -> None:
    throttle = LoginThrottle(per_account=Limit(2, 60), clock=clock)
    throttle.failed("mgr", "a")
    throttle.succeeded("mgr")
    throttle.failed("mgr", "a")
    assert throttle.retry_after("mgr", "a") == 0
