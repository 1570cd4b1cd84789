"""The keyed hash and masked forms that stand in for card and ID numbers."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import DriverError
from drivers.identity import (
    Identity,
    IdentityError,
    IdentityHasher,
    SecretFileError,
    id_check_char,
    load_secret,
    luhn_ok,
    mask_name,
    normalize_id_number,
)
from tests.drivers.identity.conftest import Synthetic


def test_card_hash_is_hmac_sha256_with_a_kind_domain(hasher: IdentityHasher) -> None:
    pan = "9999990000000006"
    assert luhn_ok(pan)
    expected = hmac.new(
        bytes(range(32)), b"lobbyq/identity/v1/card\x00" + pan.encode(), hashlib.sha256
    )
    ident = hasher.card(pan)
    assert ident == Identity("card", expected.hexdigest(), "**** 0006")
    assert ident.to_dict() == {"kind": "card", "hash": expected.hexdigest(), "masked": "**** 0006"}


def test_same_digits_hash_differently_per_kind_and_per_branch(synth: Synthetic) -> None:
    number = synth.id_number()
    a, b = IdentityHasher(synth.secret), IdentityHasher(bytes(32))
    assert a.id_card(number, "张三").hash != b.id_card(number, "张三").hash
    assert a.qr(number).hash != a.id_card(number, "张三").hash
    assert a.id_card(number, "张三").hash == a.id_card(number.lower(), "李四").hash


def test_card_number_is_luhn_checked_and_error_does_not_echo_it(hasher: IdentityHasher) -> None:
    with pytest.raises(IdentityError) as info:
        hasher.card("9999990000000007")
    assert "9999990000000007" not in str(info.value)
    assert isinstance(info.value, DriverError)
    for bad in ("", "12345678901", "99999900000000000001", "99999900000000a9"):
        with pytest.raises(IdentityError):
            hasher.card(bad)


@given(st.integers(min_value=0, max_value=10**11 - 1), st.integers(12, 19))
def test_luhn_rejects_every_single_digit_error(n: int, length: int) -> None:
    pan = Synthetic(n).pan(length)
    assert luhn_ok(pan)
    i = n % length
    wrong = pan[:i] + str((int(pan[i]) + 1 + n % 9) % 10) + pan[i + 1 :]
    assert wrong != pan
    assert not luhn_ok(wrong)


def test_id_number_check_character_known_answer() -> None:
    # The worked example of the MOD 11-2 scheme: body 11010519491231002 -> X
    assert id_check_char("11010519491231002") == "X"
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"


def test_id_number_checks_length_date_and_check_character(synth: Synthetic) -> None:
    good = synth.id_number()
    assert normalize_id_number(good) == good
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    bad_date = good[:10] + "1399" + good[14:17]
    for bad in (good[:17], wrong_check, bad_date + id_check_char(bad_date), "A" * 18):
        with pytest.raises(IdentityError) as info:
            normalize_id_number(bad)
        assert good not in str(info.value)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张**"),
        ("张三丰", "张**"),
        ("欧阳小明", "欧**"),
        ("买买提·艾力", "买**"),
        ("王", "***"),
        ("Maximilian Alexander Smith", "M**"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_a_masked_name_does_not_tell_its_length() -> None:
    names = ["李四", "诸葛孔明", "Jo Li", "Maximilian Alexander Smith", "买买提·艾力"]
    assert len({len(mask_name(n)) for n in names}) == 1


def test_qr_identity_masks_to_the_tail(hasher: IdentityHasher) -> None:
    assert hasher.qr("AB12").masked == "AB12"
    assert hasher.qr("APPT-2026-000123").masked == "…0123"
    assert hasher.qr("demo-a1") == hasher.qr("DEMO-A1")
    with pytest.raises(IdentityError):
        hasher.qr("has space")


def test_repr_shows_kind_and_masked_form_only(hasher: IdentityHasher, synth: Synthetic) -> None:
    pan = synth.pan()
    ident = hasher.card(pan)
    for text in (repr(ident), str(ident), f"{ident}"):
        assert text == "Identity(kind='card', masked='**** " + pan[-4:] + "')"
        assert ident.hash not in text
    assert "000102" not in repr(hasher)


def test_short_secret_is_refused() -> None:
    with pytest.raises(SecretFileError):
        IdentityHasher(b"short")


def test_load_secret_creates_a_private_random_file_once(tmp_path: Path) -> None:
    path = tmp_path / "branch.secret"
    first = load_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(path) == first
    assert load_secret(tmp_path / "other.secret") != first


def test_load_secret_refuses_a_readable_or_short_file(tmp_path: Path) -> None:
    path = tmp_path / "branch.secret"
    path.write_bytes(os.urandom(32))
    path.chmod(0o644)
    with pytest.raises(SecretFileError, match="chmod 600"):
        load_secret(path)
    path.chmod(0o600)
    assert len(load_secret(path)) == 32
    path.write_bytes(b"x" * 8)
    with pytest.raises(SecretFileError):
        load_secret(path)
    with pytest.raises(SecretFileError):
        load_secret(tmp_path / "missing-dir" / "branch.secret")
