"""Device file validation: every bad config names the field and the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lobbyq.core.errors import ConfigError
from lobbyq.device.config import (
    Credentials,
    load_device_config,
    parse_device_config,
    read_credentials,
)

Doc = dict[str, Any]


def test_a_valid_counter_file_loads(counter_config: Doc) -> None:
    cfg = parse_device_config(counter_config)
    assert cfg.device_id == "counter-3"
    assert cfg.role == "counter"
    assert cfg.counter_id == "3"
    assert cfg.addresses == {"keypad": 1, "rating_pad": 2, "strip": 3}
    assert cfg.serial == {"bus": "/dev/lobbyq-bus"}
    assert cfg.rating_keys == 5
    assert cfg.data_dir == Path("/var/lib/lobbyq")
    assert cfg.topics.cmd("counter-3") == "lobbyq/v1/b0101/cmd/counter-3"


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *tables, key = path.split(".")
        target = doc
        for t in tables:
            target = target.setdefault(t, {})
        target[key] = value

    return change


def _drop(path: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *tables, key = path.split(".")
        target = doc
        for t in tables:
            target = target[t]
        del target[key]

    return change


# (what is wrong, the change, the field named, a word the fix must contain)
BAD: list[tuple[str, Callable[[Doc], None], str, str]] = [
    ("missing role", _drop("device.role"), "device.role", "counter"),
    ("unknown role", _set("device.role", "teller"), "device.role", "'counter'"),
    ("id does not fit the role", _set("device.id", "keypad-3"), "device.id", "counter-3"),
    ("missing branch", _drop("device.branch"), "device.branch", "branch"),
    ("branch with capitals", _set("device.branch", "B 01"), "device.branch", "lower-case"),
    ("missing broker url", _drop("broker.url"), "broker.url", "mqtts://"),
    ("http broker", _set("broker.url", "http://kiosk-1:80"), "broker.url", "mqtts://"),
    (
        "password in the url",
        _set("broker.url", "mqtts://u:p@kiosk-1:8883"),
        "broker.url",
        "credentials_file",
    ),
    (
        "plain mqtt across the network",
        _set("broker.url", "mqtt://kiosk-1.local:1883"),
        "broker.url",
        "mqtts://kiosk-1.local:8883",
    ),
    ("tls without a CA", _drop("broker.ca_file"), "broker.ca_file", "ca.crt"),
    ("no credentials file", _drop("broker.credentials_file"), "broker.credentials_file", ".cred"),
    ("missing bus port", _drop("serial.bus"), "serial.bus", "/dev/lobbyq-bus"),
    ("relative port", _set("serial.bus", "ttyUSB0"), "serial.bus", "udev"),
    ("http port url", _set("serial.bus", "http://x"), "serial.bus", "spy://"),
    (
        "printer on a counter",
        _set("serial.printer", "/dev/lobbyq-printer"),
        "serial.printer",
        "remove",
    ),
    ("hall display on a counter", _set("bus.hall", 5), "bus.hall", "remove"),
    ("missing keypad address", _drop("bus.keypad"), "bus.keypad", "keypad ="),
    ("address zero", _set("bus.keypad", 0), "bus.keypad", "1 to 247"),
    ("address too high", _set("bus.strip", 300), "bus.strip", "1 to 247"),
    ("address as text", _set("bus.strip", "3"), "bus.strip", "number"),
    ("two devices on one address", _set("bus.strip", 1), "bus.strip", "set-address"),
    ("misspelt key", _set("bus.ratingpad", 2), "bus.ratingpad", "'rating_pad'"),
    ("unknown table", _set("printers.profile", "cn80"), "printers", "'printer'"),
    ("counter id mismatch", _set("counter.id", "4"), "counter.id", "counter-4"),
    ("missing counter id", _drop("counter.id"), "counter.id", "[[counters]]"),
    ("four rating keys", _set("counter.rating_keys", 4), "counter.rating_keys", "3, 5"),
    ("kiosk table on a counter", _set("kiosk.branch_secret_file", "x"), "kiosk", "remove"),
    ("no queue config", _drop("device.queue_config"), "device.queue_config", "queue.toml"),
    ("table as a value", _set("serial", "/dev/lobbyq-bus"), "serial", "[serial]"),
]


@pytest.mark.parametrize(("what", "change", "field", "fix"), BAD, ids=[b[0] for b in BAD])
def test_every_bad_config_names_the_field_and_the_fix(
    what: str, change: Callable[[Doc], None], field: str, fix: str, counter_config: Doc
) -> None:
    doc = counter_config
    change(doc)
    with pytest.raises(ConfigError) as err:
        parse_device_config(doc, source="counter-3.toml")
    problems = {p.field: p for p in err.value.problems}
    assert field in problems, f"{what}: {err.value}"
    assert fix in problems[field].fix, f"{what}: {problems[field]}"
    text = str(err.value)
    assert text.startswith("counter-3.toml: ")
    assert f"{field}: " in text and "; fix: " in text


def test_all_problems_are_reported_at_once(counter_config: Doc) -> None:
    counter_config["bus"]["keypad"] = 0
    del counter_config["serial"]["bus"]
    counter_config["device"]["branch"] = "Bad Branch"
    with pytest.raises(ConfigError) as err:
        parse_device_config(counter_config)
    assert set(err.value.fields) >= {"bus.keypad", "serial.bus", "device.branch"}
    assert "3 problems" in str(err.value)


def test_kiosk_needs_printer_profile_and_branch_secret() -> None:
    doc: Doc = {
        "device": {"id": "kiosk-1", "role": "kiosk", "branch": "b0101"},
        "broker": {"url": "mqtt://127.0.0.1:1883", "credentials_file": "k.cred"},
        "serial": {"printer": "/dev/lobbyq-printer"},
        "printer": {"profile": "cn81"},
    }
    with pytest.raises(ConfigError) as err:
        parse_device_config(doc)
    by_field = {p.field: p for p in err.value.problems}
    assert "cn80" in by_field["printer.profile"].fix
    assert "kiosk.branch_secret_file" in by_field


def test_engine_and_display_files(tmp_path: Path) -> None:
    engine = parse_device_config(
        {
            "device": {
                "id": "engine",
                "role": "engine",
                "branch": "b0101",
                "queue_config": "queue.toml",
            },
            "broker": {"url": "mqtt://127.0.0.1:1883", "credentials_file": "engine.cred"},
        },
        base_dir=tmp_path,
    )
    assert engine.queue_config == tmp_path / "queue.toml"
    assert engine.broker.credentials_file == tmp_path / "engine.cred"
    with pytest.raises(ConfigError) as err:
        parse_device_config(
            {
                "device": {"id": "display-hall", "role": "display", "branch": "b0101"},
                "broker": {"url": "mqtt://127.0.0.1:1883", "credentials_file": "d.cred"},
                "serial": {"bus": "spy:///dev/lobbyq-hall"},
            }
        )
    assert err.value.fields == ("bus.hall",)


def test_load_reports_toml_syntax_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_device_config(tmp_path / "nope.toml")
    assert "--config" in str(err.value)
    bad = tmp_path / "bad.toml"
    bad.write_text("[device\nid = 1\n")
    with pytest.raises(ConfigError) as err:
        load_device_config(bad)
    assert "line 1" in str(err.value)


def test_credentials_file_and_broker_url(tmp_path: Path, counter_config: Doc) -> None:
    cred = tmp_path / "counter-3.cred"
    cred.write_text('username = "counter-3"\npassword = "p/w:@?x"\n')
    counter_config["broker"]["credentials_file"] = str(cred)
    cfg = parse_device_config(counter_config)
    creds = cfg.credentials()
    assert creds == Credentials("counter-3", "p/w:@?x")
    assert "p/w" not in repr(creds)
    from drivers.mqtt.client import BrokerUrl

    url = BrokerUrl.parse(cfg.mqtt_url())
    assert (url.username, url.password, url.tls) == ("counter-3", "p/w:@?x", True)
    assert (url.host, url.port, url.ca_file) == ("kiosk-1.local", 8883, "/etc/lobbyq/ca.crt")


def test_credentials_problems_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        read_credentials(tmp_path / "missing.cred")
    assert "provisioning output" in str(err.value)
    partial = tmp_path / "p.cred"
    partial.write_text('username = "counter-3"\n')
    with pytest.raises(ConfigError) as err:
        read_credentials(partial)
    assert err.value.fields == ("password",)


def test_a_device_file_lists_every_problem_with_its_fix(tmp_path: Path) -> None:
    path = tmp_path / "counter-3.toml"
    path.write_text(
        '[device]\nid = "counter-3"\nrole = "counter"\nbranch = "b0101"\n'
        'queue_config = "/etc/lobbyq/queue.toml"\n'
        '[broker]\nurl = "mqtt://kiosk-1.local"\ncredentials_file = "c.cred"\n'
        '[serial]\nbus = "lobbyq-bus"\n'
        "[bus]\nkeypad = 1\nstrip = 1\nratingpad = 2\n"
        '[counter]\nid = "4"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_device_config(path)
    by_field = {p.field: p for p in err.value.problems}
    assert set(by_field) == {"broker.url", "serial.bus", "bus.strip", "bus.ratingpad", "counter.id"}
    assert all(p.fix for p in err.value.problems)
    assert "did you mean 'rating_pad'" in by_field["bus.ratingpad"].fix
    assert "mqtts://kiosk-1.local:8883" in by_field["broker.url"].fix
    assert "/dev/lobbyq-bus" in by_field["serial.bus"].fix
    assert str(err.value).startswith(f"{path}: 5 problems\n")
