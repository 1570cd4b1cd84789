"""Provisioning: from a branch file, every file each Pi and the broker need.

Output folder (copy each device's folder to its Pi's ``/etc/lobbyq``; the
install script does it)::

    OUT/
      branch.secret            the branch's identity-hash key (kept forever)
      tech.cred                read-only account for `lobbyq device status`
      broker/mosquitto.conf    the broker config (TLS, no anonymous, ACL): ports and
                               paths from the branch file ([branch] broker_port,
                               local_port; [broker] conf_dir, data_dir, user)
      broker/passwd            hashed passwords of every account
      broker/acl               per-account rights
      broker/ca.crt, server.*  (when OUT has them: the broker's TLS files)

The broker's secret files (passwd, server.key) are mode 640 with the
group of the broker's account (``mosquitto``, or ``[broker] user``) when
that group exists here, so the broker can read them after it drops root;
otherwise 600, and ``install.sh`` sets the group where it installs them.
      <device>/<device>.toml   the device file (lobbyq.device.config)
      <device>/<device>.cred   its MQTT user name and password (mode 600)
      <device>/ca.crt          (when OUT/ca.crt exists: the branch CA)
      kiosk-N/branch.secret    a copy for each kiosk
      <device>/queue.toml      the queue config, when one was given, for the
                               engine, kiosks and counters
      engine/devices.toml      every device's role and counter, for the engine
                               (``lobbyq.core.roles``): it refuses any op or
                               counter outside a device's role

Running it again after adding a device keeps every existing password and
the branch secret, so the rest of the branch keeps working; ``rotate=True``
issues new passwords for all. The branch secret is never replaced: it keys
the customer identity hashes, and a new one would orphan every stored hash.
"""

from __future__ import annotations

import grp
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lobbyq.core.config import BranchConfig
from lobbyq.core.errors import ConfigError
from lobbyq.device import tomlout
from lobbyq.device.branchfile import BranchFile, check_against_queue
from lobbyq.device.brokerfiles import (
    CONSOLE_ID,
    TECH_USER,
    BrokerLayout,
    render_acl,
    render_mosquitto_conf,
)
from lobbyq.device.config import Credentials, DeviceConfig, read_credentials
from lobbyq.device.errors import ProvisionError
from lobbyq.device.passwd import new_password, password_line

SECRET_BYTES = 32
ROLES_FILE = "devices.toml"  # in the engine's folder, beside engine.toml
BROKER_USER = "mosquitto"


def broker_layout(bf: BranchFile) -> BrokerLayout:
    """Where the branch file says the broker's files are, and the ports it listens on."""
    return BrokerLayout(
        conf_dir=bf.broker_conf_dir,
        data_dir=bf.broker_data_dir.rstrip("/") + "/",  # mosquitto wants the slash
        tls_port=bf.broker_port,
        local_port=bf.local_port,
        user=bf.broker_user,
    )


def _broker_gid(bf: BranchFile) -> int | None:
    """The group of the broker's account, if it exists on this machine."""
    try:
        return grp.getgrnam(bf.broker_user or BROKER_USER).gr_gid
    except KeyError:
        return None


@dataclass
class ProvisionResult:
    """What was written, and which accounts got a new password."""

    out: Path
    written: list[Path] = field(default_factory=list)
    new_credentials: list[str] = field(default_factory=list)
    kept_credentials: list[str] = field(default_factory=list)


def write_file(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Write atomically with the final mode set before the name appears."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        os.write(fd, raw)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise


def device_toml(cfg: DeviceConfig, config_dir: str) -> str:
    """The device file text; it parses back to an equal ``DeviceConfig``."""
    doc: dict[str, dict[str, tomlout.Scalar]] = {
        "device": {
            "id": cfg.device_id,
            "role": cfg.role,
            "branch": cfg.branch,
            "data_dir": cfg.data_dir,
        },
        "broker": {"url": cfg.broker.url, "credentials_file": cfg.broker.credentials_file},
        "serial": dict(cfg.serial),
        "bus": dict(cfg.addresses),
        "counter": {},
        "printer": {},
        "kiosk": {},
        "display": {},
    }
    if cfg.voice is not None:
        doc["display"]["voice"] = "off" if cfg.voice == "off" else cfg.voice.split(",")
    if cfg.broker.ca_file is not None:
        doc["broker"]["ca_file"] = cfg.broker.ca_file
    if cfg.counter_id is not None:
        doc["counter"]["id"] = cfg.counter_id
        if cfg.rating_keys is not None:
            doc["counter"]["rating_keys"] = cfg.rating_keys
    if cfg.printer_profile is not None:
        doc["printer"]["profile"] = cfg.printer_profile
    if cfg.branch_secret_file is not None:
        doc["kiosk"]["branch_secret_file"] = cfg.branch_secret_file
    if cfg.queue_config is not None:
        doc["device"]["queue_config"] = cfg.queue_config
    if cfg.roles_file is not None:
        doc["device"]["roles_file"] = cfg.roles_file
    header = (
        f"lobbyq {cfg.role} {cfg.device_id} of branch {cfg.branch}.\n"
        "Written by `lobbyq device provision` from the branch file; edit that and provision\n"
        f"again. Install as {config_dir}/{cfg.device_id}.toml (schema: lobbyq/device/CONFIG.md)."
    )
    return tomlout.dumps(doc, header)


def roles_toml(bf: BranchFile) -> str:
    """The engine's roles file: every device of the branch file, the console and the tech account.

    Schema in ``lobbyq/core/roles.py``. The console (``console``) and the
    technician's read-only account (``tech``) are listed with their fixed
    ids, so the engine knows them whenever they have an account.
    """
    entries: list[tuple[str, str, str | None]] = [
        (d.device_id, d.role, d.counter_id) for d in bf.devices
    ]
    entries += [(CONSOLE_ID, "console", None), (TECH_USER, "technician", None)]
    lines = [
        f"# lobbyq device roles of branch {bf.branch}: which ops each device may send.",
        "# Written by `lobbyq device provision` from the branch file; edit that and",
        "# provision again. Schema and op table: lobbyq/core/roles.py.",
    ]
    for device, role, counter in entries:
        lines += [
            "",
            "[[device]]",
            f"id = {tomlout.value(device)}",
            f"role = {tomlout.value(role)}",
        ]
        if counter is not None:
            lines.append(f"counter = {tomlout.value(counter)}")
    return "\n".join(lines) + "\n"


def credentials_toml(creds: Credentials) -> str:
    """A credentials file: the account name and its clear password (mode 600)."""
    return (
        "# MQTT account of this device; keep it secret (mode 600, owner lobbyq).\n"
        f"username = {tomlout.value(creds.username)}\n"
        f"password = {tomlout.value(creds.password)}\n"
    )


def _credentials(path: Path, user: str, rotate: bool, result: ProvisionResult) -> Credentials:
    if path.exists() and not rotate:
        try:
            creds = read_credentials(path)
        except ConfigError as exc:
            raise ProvisionError(
                f"{path} is damaged ({exc}); move it away or pass --rotate"
            ) from None
        if creds.username != user:
            raise ProvisionError(f"{path} is for {creds.username!r}, not {user!r}; move it away")
        result.kept_credentials.append(user)
        return creds
    creds = Credentials(user, new_password())
    write_file(path, credentials_toml(creds), 0o600)
    result.written.append(path)
    result.new_credentials.append(user)
    return creds


def provision(
    bf: BranchFile,
    out: Path,
    *,
    queue_text: str | None = None,
    rotate: bool = False,
    layout: BrokerLayout | None = None,
) -> ProvisionResult:
    """Write every device's files and the broker's; returns what changed.

    ``layout`` overrides the broker's ports and paths (tests); by default
    they come from the branch file, the same ones the device files name.
    """
    layout = layout or broker_layout(bf)
    result = ProvisionResult(out)
    out.mkdir(parents=True, exist_ok=True)

    secret = out / "branch.secret"
    if not secret.exists():
        write_file(secret, secrets.token_bytes(SECRET_BYTES), 0o600)
        result.written.append(secret)
    secret_bytes = secret.read_bytes()
    if len(secret_bytes) < 16:
        raise ProvisionError(f"{secret} is shorter than 16 bytes; restore it from the backup")
    ca = out / "ca.crt"

    accounts: list[Credentials] = []
    for cfg in bf.devices:
        folder = out / cfg.device_id
        creds = _credentials(folder / f"{cfg.device_id}.cred", cfg.device_id, rotate, result)
        accounts.append(creds)
        files: dict[Path, tuple[bytes | str, int]] = {
            folder / f"{cfg.device_id}.toml": (device_toml(cfg, bf.config_dir), 0o644),
        }
        if cfg.role == "kiosk":
            files[folder / "branch.secret"] = (secret_bytes, 0o600)
        if cfg.role == "engine":
            files[folder / ROLES_FILE] = (roles_toml(bf), 0o644)
        if cfg.queue_config is not None and queue_text is not None:
            files[folder / "queue.toml"] = (queue_text, 0o644)
        if ca.exists():
            files[folder / "ca.crt"] = (ca.read_bytes(), 0o644)
        for path, (data, mode) in files.items():
            write_file(path, data, mode)
            result.written.append(path)

    accounts.append(_credentials(out / "tech.cred", TECH_USER, rotate, result))
    gid = _broker_gid(bf)
    secret_mode = 0o600 if gid is None else 0o640
    broker: dict[str, tuple[bytes | str, int]] = {
        "passwd": (
            "\n".join(password_line(c.username, c.password) for c in accounts) + "\n",
            secret_mode,
        ),
        "acl": (render_acl(bf.branch, [d.device_id for d in bf.devices]), 0o644),
        "mosquitto.conf": (render_mosquitto_conf(layout), 0o644),
    }
    for name, mode in (("ca.crt", 0o644), ("server.crt", 0o644), ("server.key", secret_mode)):
        if (out / name).exists():
            broker[name] = ((out / name).read_bytes(), mode)
    for name, (data, mode) in broker.items():
        path = out / "broker" / name
        write_file(path, data, mode)
        if gid is not None and mode == secret_mode:
            _chgrp(path, gid)
        result.written.append(path)
    return result


def _chgrp(path: Path, gid: int) -> None:
    """Give the broker's group read access; only root (or a member) may, so try."""
    try:
        os.chown(path, -1, gid)
    except PermissionError:
        path.chmod(0o600)  # nobody else may read it then


def queue_problems(bf: BranchFile, queue_doc: Mapping[str, Any], source: str) -> list[str]:
    """Validate the queue config with the core's own rules, then against the devices."""
    out: list[str] = []
    try:
        BranchConfig.from_dict(queue_doc, source)
    except ConfigError as exc:
        out += [f"{source}: {p}" for p in exc.problems]
    out += [f"{p}" for p in check_against_queue(bf, queue_doc, source)]
    return out
