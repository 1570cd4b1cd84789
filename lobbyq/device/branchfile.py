"""The branch file a technician writes once per branch: which devices, where.

It lists devices, not queues: roles, counter numbers, serial ports and bus
addresses, plus where the broker is. Each ``[[devices]]`` entry has the same
tables as a device file (``serial``, ``bus``, ``counter``, ``printer``), so
it is validated by the very code the apps use to load their own files, and
messages name ``devices[3].bus.keypad``. Schema: ``deploy/README.md``;
example: ``deploy/branch.example.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lobbyq.core.errors import ConfigError, Problem
from lobbyq.core.fields import Fields, read_toml
from lobbyq.device.config import (
    BRANCH_ID,
    DEFAULT_DATA_DIR,
    DeviceConfig,
    parse_device_config,
)

HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
DEVICE_TABLES = ("id", "role", "serial", "bus", "counter", "printer", "display")
DEFAULT_CONFIG_DIR = "/etc/lobbyq"
DEFAULT_TLS_PORT = 8883
DEFAULT_LOCAL_PORT = 1883
DEFAULT_BROKER_CONF_DIR = "/etc/mosquitto/lobbyq"
DEFAULT_BROKER_DATA_DIR = "/var/lib/mosquitto"


@dataclass(frozen=True, slots=True)
class BranchFile:
    """A validated branch: broker location and every device's config."""

    branch: str
    broker_host: str
    broker_port: int
    config_dir: str
    data_dir: str
    devices: tuple[DeviceConfig, ...]
    queue_config: Path | None = None
    local_port: int = DEFAULT_LOCAL_PORT
    broker_conf_dir: str = DEFAULT_BROKER_CONF_DIR
    broker_data_dir: str = DEFAULT_BROKER_DATA_DIR
    broker_user: str | None = None

    def device(self, device_id: str) -> DeviceConfig:
        for d in self.devices:
            if d.device_id == device_id:
                return d
        raise KeyError(device_id)

    @property
    def counters(self) -> tuple[str, ...]:
        return tuple(d.counter_id for d in self.devices if d.counter_id is not None)


def load_branch_file(path: str | Path) -> BranchFile:
    """Read and validate a branch file; :class:`ConfigError` lists every problem."""
    p = Path(path)
    data = read_toml(p, fix="pass the branch file, e.g. branch.toml")
    return parse_branch_file(data, source=str(p), base_dir=p.parent.absolute())


def parse_branch_file(
    data: Mapping[str, Any], *, source: str = "<branch file>", base_dir: Path = Path(".")
) -> BranchFile:
    """Validate a parsed branch file. Pure apart from nothing: reads no file."""
    problems: list[Problem] = []
    top = Fields(data, "", problems)
    top.unknown_keys(("branch", "broker", "devices"))
    b = Fields(top.table_of("branch"), "branch", problems)
    b.unknown_keys(
        (
            "id",
            "broker_host",
            "broker_port",
            "local_port",
            "config_dir",
            "data_dir",
            "queue_config",
        )
    )
    branch = b.string(
        "id",
        required=True,
        pattern=BRANCH_ID,
        example="b0101",
        fix="use 1-32 lower-case letters, digits or '-' (the queue config's branch.id)",
    )
    host = b.string(
        "broker_host",
        required=True,
        pattern=HOST,
        example="kiosk-1.local",
        fix="the kiosk Pi's host name or IP address, as in its TLS certificate",
    )
    port = b.integer("broker_port", low=1, high=65535, example=DEFAULT_TLS_PORT)
    port = port or DEFAULT_TLS_PORT
    local_port = b.integer("local_port", low=1, high=65535, example=DEFAULT_LOCAL_PORT)
    local_port = local_port or DEFAULT_LOCAL_PORT
    if local_port == port:
        b.add(
            "local_port",
            f"{local_port} is also broker_port",
            "give the loopback listener and the TLS listener different ports",
        )
    config_dir = b.string("config_dir", example=DEFAULT_CONFIG_DIR) or DEFAULT_CONFIG_DIR
    data_dir = b.string("data_dir", example=DEFAULT_DATA_DIR) or DEFAULT_DATA_DIR
    for key, value in (("config_dir", config_dir), ("data_dir", data_dir)):
        if not value.startswith("/"):
            b.add(key, f"{value!r} is not an absolute path", f"write e.g. {key} = '/etc/lobbyq'")
    queue_config = b.path("queue_config", base_dir, example="queue.toml")
    # Where the broker's own files are on the kiosk Pi (mosquitto.conf names them).
    k = Fields(top.table_of("broker"), "broker", problems)
    k.unknown_keys(("conf_dir", "data_dir", "user"))
    broker_dirs = {}
    for key, default in (
        ("conf_dir", DEFAULT_BROKER_CONF_DIR),
        ("data_dir", DEFAULT_BROKER_DATA_DIR),
    ):
        value = (k.string(key, example=default) or default).rstrip("/") or "/"
        if not value.startswith("/"):
            k.add(key, f"{value!r} is not an absolute path", f"write e.g. {key} = {default!r}")
        broker_dirs[key] = value
    broker_user = k.string(
        "user",
        pattern=USER,
        example="mosquitto",
        fix="the system account mosquitto runs as (Debian: mosquitto)",
    )

    entries = data.get("devices", [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        problems.append(
            Problem(
                "devices",
                "must be a list of [[devices]] tables",
                "write each device as a [[devices]] table",
            )
        )
        entries = []
    if not entries:
        problems.append(
            Problem("devices", "no devices", "add [[devices]] tables (see branch.example.toml)")
        )

    devices: list[DeviceConfig] = []
    if branch is not None and host is not None:
        where = _Where(host, port, local_port, config_dir, data_dir)
        devices = _devices(entries, branch, where, problems)
    _check_whole(devices, problems)
    if problems:
        raise ConfigError(source, problems)
    assert branch is not None and host is not None
    return BranchFile(
        branch,
        host,
        port,
        config_dir,
        data_dir,
        tuple(devices),
        queue_config,
        local_port=local_port,
        broker_conf_dir=broker_dirs["conf_dir"],
        broker_data_dir=broker_dirs["data_dir"],
        broker_user=broker_user,
    )


@dataclass(frozen=True, slots=True)
class _Where:
    """Where every device finds the broker and its own files."""

    host: str
    port: int
    local_port: int
    config_dir: str
    data_dir: str


def device_document(entry: Mapping[str, Any], branch: str, w: _Where) -> dict[str, Any]:
    """The device file a branch entry becomes (what provisioning writes to disk)."""
    host, port, config_dir, data_dir = w.host, w.port, w.config_dir, w.data_dir
    device_id = str(entry.get("id", ""))
    role = entry.get("role")
    local = role in ("engine", "kiosk")
    doc: dict[str, Any] = {
        "device": {"id": device_id, "role": role, "branch": branch, "data_dir": data_dir},
        "broker": {
            # The engine and kiosk share the broker's Pi: loopback, no TLS needed.
            "url": f"mqtt://127.0.0.1:{w.local_port}" if local else f"mqtts://{host}:{port}",
            "credentials_file": f"{config_dir}/{device_id}.cred",
        },
    }
    if not local:
        doc["broker"]["ca_file"] = f"{config_dir}/ca.crt"
    for table in ("serial", "bus", "counter", "printer", "display"):
        if table in entry:
            doc[table] = entry[table]
    if role == "kiosk":
        doc["kiosk"] = {"branch_secret_file": f"{config_dir}/branch.secret"}
    if role in ("engine", "kiosk", "counter", "display"):
        # The display reads its announcement languages ([display] voice) there.
        doc["device"]["queue_config"] = f"{config_dir}/queue.toml"
    if role == "engine":  # who may send what: written beside engine.toml by provisioning
        doc["device"]["roles_file"] = f"{config_dir}/devices.toml"
    return doc


def _devices(
    entries: list[Mapping[str, Any]],
    branch: str,
    where_is: _Where,
    problems: list[Problem],
) -> list[DeviceConfig]:
    out: list[DeviceConfig] = []
    for i, entry in enumerate(entries):
        where = f"devices[{i}]"
        f = Fields(entry, where, problems)
        f.unknown_keys(DEVICE_TABLES)
        doc = device_document(entry, branch, where_is)
        try:
            out.append(parse_device_config(doc, source=where))
        except ConfigError as exc:
            for p in exc.problems:
                name = p.field.removeprefix("device.")
                problems.append(Problem(f"{where}.{name}", p.problem, p.fix))
    return out


def _check_whole(devices: list[DeviceConfig], problems: list[Problem]) -> None:
    """Rules across devices: unique ids and counters, one engine, at least one kiosk."""
    seen: dict[str, int] = {}
    for i, d in enumerate(devices):
        if d.device_id in seen:
            problems.append(
                Problem(
                    f"devices[{i}].id",
                    f"{d.device_id!r} is listed twice",
                    f"remove one of the entries (the first is devices[{seen[d.device_id]}])",
                )
            )
        seen.setdefault(d.device_id, i)
    roles = [d.role for d in devices]
    if devices and roles.count("engine") != 1:
        problems.append(
            Problem(
                "devices",
                f"{roles.count('engine')} engines listed",
                "list exactly one device with role = 'engine' (it runs on the kiosk Pi)",
            )
        )
    if devices and "kiosk" not in roles:
        problems.append(Problem("devices", "no kiosk listed", "add a device with role = 'kiosk'"))


def check_against_queue(bf: BranchFile, queue: Mapping[str, Any], source: str) -> list[Problem]:
    """Counters and branch id must agree with the queue config (``lobbyq.core``)."""
    problems: list[Problem] = []
    qbranch = (
        queue.get("branch", {}).get("id") if isinstance(queue.get("branch"), Mapping) else None
    )
    if qbranch is not None and qbranch != bf.branch:
        problems.append(
            Problem(
                "branch.id",
                f"{bf.branch!r} but {source} says {qbranch!r}",
                "use the same branch id in both files",
            )
        )
    counters = queue.get("counters", [])
    known = (
        {str(c.get("id")) for c in counters if isinstance(c, Mapping)}
        if isinstance(counters, list)
        else set()
    )
    for i, d in enumerate(bf.devices):
        if d.counter_id is not None and d.counter_id not in known:
            problems.append(
                Problem(
                    f"devices[{i}].counter.id",
                    f"counter {d.counter_id!r} is not in {source}",
                    f"add [[counters]] id = {d.counter_id!r} there, or use one of "
                    f"{', '.join(repr(k) for k in sorted(known)) or '(none defined)'}",
                )
            )
    return problems
