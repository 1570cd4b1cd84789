"""The customer directory: format-1 SQLite, hashes and masked names only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from drivers.identity import IdentityHasher
from kiosk.directory import (
    DirectoryError,
    EmptyDirectory,
    SqliteDirectory,
    build_example,
    synthetic_id,
    synthetic_pan,
)

NOW = 1_800_000_000.0


@pytest.fixture
def hasher() -> IdentityHasher:
    return IdentityHasher(b"directory-test-secret-32-bytes!!")


def test_tier_by_card_and_by_id_card(tmp_path: Path, hasher: IdentityHasher) -> None:
    people = build_example(tmp_path / "d.sqlite", hasher, NOW)
    d = SqliteDirectory(tmp_path / "d.sqlite")
    vip = next(p for p in people if p.tier == "vip")
    by_card = d.lookup(hasher.card(vip.pan), NOW)
    by_id = d.lookup(hasher.id_card(vip.id_number, vip.name), NOW)
    assert by_card is not None and by_card.tier == "vip"
    assert by_id is not None and by_id.tier == "vip" and by_id.masked == "王**"


def test_a_stranger_is_not_found(tmp_path: Path, hasher: IdentityHasher) -> None:
    build_example(tmp_path / "d.sqlite", hasher, NOW)
    d = SqliteDirectory(tmp_path / "d.sqlite")
    assert d.lookup(hasher.card(synthetic_pan(999)), NOW) is None
    assert d.lookup(hasher.qr("NOBODY-BOOKED-THIS"), NOW) is None
    assert EmptyDirectory().lookup(hasher.card(synthetic_pan(1)), NOW) is None


def test_another_branch_secret_finds_nobody(tmp_path: Path, hasher: IdentityHasher) -> None:
    people = build_example(tmp_path / "d.sqlite", hasher, NOW)
    other = IdentityHasher(b"another-branch-secret-32-bytes!!")
    d = SqliteDirectory(tmp_path / "d.sqlite")
    assert d.lookup(other.card(people[0].pan), NOW) is None


def test_bookings_by_code_and_by_card(tmp_path: Path, hasher: IdentityHasher) -> None:
    people = build_example(tmp_path / "d.sqlite", hasher, NOW)
    booked = next(p for p in people if p.booking_ref)
    d = SqliteDirectory(tmp_path / "d.sqlite")
    by_code = d.lookup(hasher.qr(str(booked.booking_ref)), NOW)
    by_card = d.lookup(hasher.card(booked.pan), NOW)
    assert by_code is not None and by_code.booking is not None
    assert by_card is not None and by_card.booking == by_code.booking
    assert by_code.booking.service == booked.booking_service
    assert by_code.booking.due == NOW + booked.booking_in_s
    assert len(by_code.booking.ref) == 32 and str(booked.booking_ref) not in by_code.booking.ref


def test_the_file_holds_no_clear_number(tmp_path: Path, hasher: IdentityHasher) -> None:
    people = build_example(tmp_path / "d.sqlite", hasher, NOW)
    raw = (tmp_path / "d.sqlite").read_bytes()
    dump = "\n".join(sqlite3.connect(tmp_path / "d.sqlite").iterdump())
    for p in people:
        for secret in (p.pan, p.id_number, p.pan[6:], p.id_number[6:14]):
            assert secret.encode() not in raw and secret not in dump
        assert p.name not in dump or len(p.name) <= 1


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite")
    db.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    db.commit()
    db.close()
    with pytest.raises(DirectoryError, match="not lobbyq-directory"):
        SqliteDirectory(tmp_path / "x.sqlite")
    with pytest.raises(DirectoryError, match="does not exist"):
        SqliteDirectory(tmp_path / "missing.sqlite")


def test_synthetic_numbers_are_valid_and_obviously_synthetic() -> None:
    from drivers.identity import luhn_ok, normalize_id_number

    assert luhn_ok(synthetic_pan(7)) and synthetic_pan(7).startswith("999999")
    assert normalize_id_number(synthetic_id(7)).startswith("999999")
