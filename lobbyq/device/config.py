"""The device config file every lobbyq app reads: ``/etc/lobbyq/<device>.toml``.

``lobbyq device provision`` writes one per device; the apps load it with
:func:`load_device_config`, which checks everything at start-up and reports
every problem at once, each naming the field and the fix. The schema table is
in ``CONFIG.md`` beside this file; the per-role requirements are ``ROLES``.
Relative paths in the file are taken from the file's own folder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from drivers.bus.codes import MAX_DEVICE_ADDR, MIN_DEVICE_ADDR
from drivers.printer.profiles import PROFILES
from lobbyq.core.errors import ConfigError, Problem
from lobbyq.core.fields import Fields, read_toml
from lobbyq.device.fields import DeviceFields
from lobbyq.protocol.topics import Topics

BRANCH_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
COUNTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_DATA_DIR = "/var/lib/lobbyq"


@dataclass(frozen=True, slots=True)
class RoleRules:
    """What a role needs in its file: device id shape, ports, bus addresses, extras."""

    id_pattern: re.Pattern[str]
    id_example: str
    serial_required: tuple[str, ...] = ()
    serial_optional: tuple[str, ...] = ()
    address_required: tuple[str, ...] = ()
    address_optional: tuple[str, ...] = ()
    needs_queue: bool = True  # reads the branch queue config (services, counters)


ROLES: Mapping[str, RoleRules] = {
    "engine": RoleRules(re.compile(r"^engine$"), "engine"),
    "kiosk": RoleRules(
        re.compile(r"^kiosk-[A-Za-z0-9][A-Za-z0-9_.-]{0,56}$"),
        "kiosk-1",
        serial_required=("printer",),
        serial_optional=("card_reader", "id_reader", "qr_reader"),
    ),
    "counter": RoleRules(
        re.compile(r"^counter-[A-Za-z0-9][A-Za-z0-9-]{0,15}$"),
        "counter-3",
        serial_required=("bus",),
        address_required=("keypad", "strip"),
        address_optional=("rating_pad",),
    ),
    "display": RoleRules(
        re.compile(r"^display-[A-Za-z0-9][A-Za-z0-9_.-]{0,54}$"),
        "display-hall",
        serial_required=("bus",),
        address_required=("hall",),
        needs_queue=False,
    ),
}
RATING_KEYS = (3, 5)
ALL_SERIAL = tuple(
    sorted({k for r in ROLES.values() for k in r.serial_required + r.serial_optional})
)
ALL_ADDRESSES = tuple(
    sorted({k for r in ROLES.values() for k in r.address_required + r.address_optional})
)
TABLES = ("device", "broker", "serial", "bus", "counter", "printer", "kiosk", "display")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A device's MQTT user name (its device id) and password."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """Where the branch broker is and how this device proves who it is."""

    url: str
    credentials_file: Path
    ca_file: Path | None = None


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One device's validated settings; built only by :func:`parse_device_config`."""

    device_id: str
    role: str
    branch: str
    data_dir: Path
    broker: BrokerSettings
    serial: Mapping[str, str] = field(default_factory=dict)
    addresses: Mapping[str, int] = field(default_factory=dict)
    counter_id: str | None = None
    rating_keys: int | None = None
    printer_profile: str | None = None
    branch_secret_file: Path | None = None
    queue_config: Path | None = None
    voice: str | None = None  # a display's --voice: "off" or "zh,en"; None: the queue config's
    roles_file: Path | None = None  # the engine's devices.toml; None: ids' conventional names

    @property
    def topics(self) -> Topics:
        return Topics(self.branch)

    def credentials(self) -> Credentials:
        """Read the credentials file now (it is a secret: kept out of the config)."""
        return read_credentials(self.broker.credentials_file)

    def mqtt_url(self) -> str:
        """The URL ``MqttBus`` takes: credentials and CA folded in. Never log it."""
        return broker_url(self.broker, self.credentials())


def read_credentials(path: Path) -> Credentials:
    """Parse a credentials file (``username = ...``, ``password = ...``)."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            source,
            [
                Problem(
                    "broker.credentials_file",
                    f"{path} does not exist",
                    "copy this device's .cred file from the provisioning output",
                )
            ],
        ) from None
    except PermissionError:
        raise ConfigError(
            source,
            [
                Problem(
                    "broker.credentials_file",
                    f"{path} cannot be read by this user",
                    "chown it to the lobbyq user and chmod 600 (the install script does this)",
                )
            ],
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            source,
            [Problem("broker.credentials_file", f"not a credentials file ({exc})", "re-provision")],
        ) from None
    problems: list[Problem] = []
    f = Fields(data, "", problems)
    f.unknown_keys(("username", "password"))
    user = f.string("username", required=True, pattern=DEVICE_ID, example="counter-3")
    password = f.string("password", required=True, example="<from provisioning>")
    if problems or user is None or password is None:
        raise ConfigError(source, problems)
    return Credentials(user, password)


def broker_url(broker: BrokerSettings, creds: Credentials) -> str:
    """Fold credentials and the CA file into the broker URL for the MQTT adapter."""
    parts = urlsplit(broker.url)
    netloc = f"{quote(creds.username, safe='')}:{quote(creds.password, safe='')}@{parts.netloc}"
    query = f"?ca={quote(str(broker.ca_file))}" if broker.ca_file is not None else ""
    return f"{parts.scheme}://{netloc}{query}"


def load_device_config(path: str | Path) -> DeviceConfig:
    """Read and validate a device file; :class:`ConfigError` lists every problem."""
    p = Path(path)
    data = read_toml(
        p, fix="pass --config /etc/lobbyq/<device>.toml written by `lobbyq device provision`"
    )
    return parse_device_config(data, source=str(p), base_dir=p.parent.absolute())


def parse_device_config(
    data: Mapping[str, Any], *, source: str = "<device config>", base_dir: Path = Path(".")
) -> DeviceConfig:
    """Validate a parsed device file. Pure: reads no file, so tests feed dicts."""
    problems: list[Problem] = []
    top = Fields(data, "", problems)
    top.unknown_keys(TABLES)
    dev = Fields(top.table_of("device"), "device", problems)
    dev.unknown_keys(("id", "role", "branch", "data_dir", "queue_config", "roles_file"))
    role = dev.choice("role", tuple(ROLES), required=True)
    rules = ROLES.get(role) if isinstance(role, str) else None
    device_id = dev.string(
        "id",
        required=True,
        pattern=rules.id_pattern if rules else DEVICE_ID,
        example=rules.id_example if rules else "counter-3",
        fix=(
            f"a {role} id looks like {rules.id_example!r} (letters, digits, '-', '_', '.')"
            if rules
            else "use letters, digits, '-', '_' or '.'"
        ),
    )
    branch = dev.string(
        "branch",
        required=True,
        pattern=BRANCH_ID,
        example="b0101",
        fix="use 1-32 lower-case letters, digits or '-', the same as branch.id in the queue config",
    )
    data_dir = dev.path("data_dir", base_dir, example=DEFAULT_DATA_DIR) or Path(DEFAULT_DATA_DIR)
    queue_config = dev.path(
        "queue_config",
        base_dir,
        required=bool(rules and rules.needs_queue),
        example="/etc/lobbyq/queue.toml",
    )

    roles_file = None
    if role == "engine":
        roles_file = dev.path("roles_file", base_dir, example="/etc/lobbyq/devices.toml")
    elif dev.has("roles_file"):
        dev.add("roles_file", f"only the engine reads one, this device is a {role}", "remove it")

    broker = _broker(Fields(top.table_of("broker"), "broker", problems), base_dir)
    serial = _serial(DeviceFields(top.table_of("serial"), "serial", problems), rules)
    addresses = _addresses(Fields(top.table_of("bus"), "bus", problems), rules)

    counter_id = rating_keys = None
    ctr = Fields(top.table_of("counter"), "counter", problems)
    ctr.unknown_keys(("id", "rating_keys"))
    if role == "counter":
        counter_id = ctr.string(
            "id",
            required=True,
            pattern=COUNTER_ID,
            example="3",
            fix="use the counter id from the queue config's [[counters]] (letters, digits, '-')",
        )
        if (
            counter_id is not None
            and device_id is not None
            and device_id != f"counter-{counter_id}"
        ):
            ctr.add(
                "id",
                f"{counter_id!r} does not match device.id {device_id!r}",
                f"set device.id = 'counter-{counter_id}' or counter.id to match it",
            )
        if "rating_pad" in addresses:
            rating_keys = ctr.choice("rating_keys", RATING_KEYS, default=5)
    else:
        _only_for(ctr, role, "counter")

    prn = Fields(top.table_of("printer"), "printer", problems)
    prn.unknown_keys(("profile",))
    printer_profile = None
    kio = Fields(top.table_of("kiosk"), "kiosk", problems)
    kio.unknown_keys(("branch_secret_file",))
    branch_secret_file = None
    if role == "kiosk":
        printer_profile = prn.choice("profile", sorted(PROFILES), required=True)
        branch_secret_file = kio.path(
            "branch_secret_file", base_dir, required=True, example="/etc/lobbyq/branch.secret"
        )
    else:
        _only_for(prn, role, "kiosk")
        _only_for(kio, role, "kiosk")

    dsp = Fields(top.table_of("display"), "display", problems)
    dsp.unknown_keys(("voice",))
    voice = None
    if role == "display":
        voice = _voice(dsp)
    else:
        _only_for(dsp, role, "display")

    if problems:
        raise ConfigError(source, problems)
    assert device_id is not None and branch is not None and broker is not None
    return DeviceConfig(
        device_id=device_id,
        role=str(role),
        branch=branch,
        data_dir=data_dir,
        broker=broker,
        serial=serial,
        addresses=addresses,
        counter_id=counter_id,
        rating_keys=rating_keys,
        printer_profile=printer_profile,
        branch_secret_file=branch_secret_file,
        queue_config=queue_config,
        voice=voice,
        roles_file=roles_file,
    )


def _voice(f: Fields) -> str | None:
    """``display.voice``: ``"off"`` (no sound card, or a silent hall) or the languages in order."""
    if not f.has("voice"):
        return None
    from display.lexicon import LANGUAGES

    value = f.table["voice"]
    if value == "off":
        return "off"
    fix = f'write voice = "off" or a list like ["zh", "en"] (known: {", ".join(LANGUAGES)})'
    if not isinstance(value, list) or not value or not all(isinstance(x, str) for x in value):
        f.add("voice", f'{value!r} is neither "off" nor a list of languages', fix)
        return None
    unknown = [x for x in value if x not in LANGUAGES]
    if unknown:
        f.add("voice", f"no voice for {', '.join(map(repr, unknown))}", fix)
        return None
    return ",".join(value)


def _only_for(f: Fields, role: object, owner: str) -> None:
    if f.table:
        f.problems.append(
            Problem(
                f.prefix,
                f"only a {owner} uses [{f.prefix}], this device is a {role}",
                f"remove the [{f.prefix}] table or set device.role = {owner!r}",
            )
        )


def _broker(f: Fields, base_dir: Path) -> BrokerSettings | None:
    f.unknown_keys(("url", "ca_file", "credentials_file"))
    url = f.string("url", required=True, example="mqtts://kiosk-1.local:8883")
    ca_file = f.path("ca_file", base_dir, example="/etc/lobbyq/ca.crt")
    creds = f.path(
        "credentials_file", base_dir, required=True, example="/etc/lobbyq/counter-3.cred"
    )
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            f.add(
                "url",
                f"scheme of {url!r} is not mqtts:// or mqtt://",
                "write mqtts://<kiosk host>:8883 (TLS) for the branch broker",
            )
            url = None
        elif not parts.hostname:
            f.add("url", f"{url!r} has no host", "write mqtts://<kiosk host>:8883")
            url = None
        elif parts.username or parts.password or parts.query:
            f.add(
                "url",
                "holds credentials or options",
                "keep the password in broker.credentials_file and the CA in broker.ca_file",
            )
            url = None
        elif parts.scheme == "mqtt" and parts.hostname not in LOOPBACK_HOSTS:
            f.add(
                "url",
                f"plain mqtt:// to {parts.hostname} would send the password in clear",
                f"use mqtts://{parts.hostname}:8883 and set broker.ca_file "
                "(plain mqtt:// is only for 127.0.0.1 on the kiosk itself)",
            )
            url = None
        elif parts.scheme == "mqtts" and ca_file is None and not f.has("ca_file"):
            f.add(
                "ca_file",
                "missing (a TLS broker needs the branch CA to be trusted)",
                "add ca_file = '/etc/lobbyq/ca.crt' (copied by the install script)",
            )
    if url is None or creds is None:
        return None
    return BrokerSettings(url=url, credentials_file=creds, ca_file=ca_file)


def _serial(f: DeviceFields, rules: RoleRules | None) -> dict[str, str]:
    f.unknown_keys(ALL_SERIAL)
    out: dict[str, str] = {}
    if rules is None:
        return out
    keys = _role_keys(f, ALL_SERIAL, rules.serial_required, rules.serial_optional, "port")
    for key, required in keys:
        # The printer driver also opens USB printer-class devices (python-escpos).
        extra = ("usb",) if key == "printer" else ()
        value = f.serial_url(key, required=required, extra_schemes=extra)
        if value is not None:
            out[key] = value
    return out


def _addresses(f: Fields, rules: RoleRules | None) -> dict[str, int]:
    f.unknown_keys(ALL_ADDRESSES)
    out: dict[str, int] = {}
    if rules is None:
        return out
    keys = _role_keys(
        f, ALL_ADDRESSES, rules.address_required, rules.address_optional, "bus device"
    )
    for key, required in keys:
        value = f.integer(
            key, required=required, low=MIN_DEVICE_ADDR, high=MAX_DEVICE_ADDR, example=len(out) + 1
        )
        if value is None:
            continue
        clash = next((k for k, v in out.items() if v == value), None)
        if clash is not None:
            f.add(
                key,
                f"address {value} is already bus.{clash}",
                "give every device on one bus its own address (lobbyq device set-address)",
            )
        else:
            out[key] = value
    return out


def _role_keys(
    f: Fields,
    keys: Iterable[str],
    required: Collection[str],
    optional: Collection[str],
    what: str,
) -> Iterator[tuple[str, bool]]:
    """Each of ``keys`` the role may set, with whether it must; a key it may not is a problem.

    Ports and bus addresses follow this same rule, so a counter's file that
    names a printer port is told so in the same words as one naming a hall display.
    """
    for key in keys:
        if key in required or key in optional:
            yield key, key in required
        elif f.has(key):
            f.add(key, f"this role has no such {what}", "remove it")
