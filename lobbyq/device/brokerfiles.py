"""The branch broker's ACL and mosquitto configuration, generated from the device list.

Rights are written per user (``user <id>`` then ``topic`` lines) from the
``Topics.acl_device_*`` patterns with ``%u`` filled in, rather than as global
``pattern`` lines: a pattern applies to every account, so the technician's
read-only account and any account added to the password file by hand would
get device rights too. Here an account absent from the branch file can do
nothing. The rights table (also in ``deploy/README.md``):

| account | may publish | may read |
|---|---|---|
| every device | cmd/<self>, dev/<self>/# | reply/<self>, evt/#, state/#, dev/+/status |
| engine (also a device) | reply/+, evt/#, state/# | cmd/+, dev/+/alert |
| tech (technician tools) | nothing | dev/#, state/#, evt/# |

Nobody else, and no anonymous client, can connect (``allow_anonymous false``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lobbyq.protocol.messages import MAX_STATE_PAYLOAD
from lobbyq.protocol.topics import Topics

TECH_USER = "tech"
ENGINE_ID = "engine"
CONSOLE_ID = "console"

MAX_PACKET_SIZE = MAX_STATE_PAYLOAD + 64 * 1024
"""Broker limit on one MQTT packet: the 4 MiB queue view plus room for topic and header."""


@dataclass(frozen=True, slots=True)
class BrokerLayout:
    """Where the broker's files live and which ports it listens on."""

    conf_dir: str = "/etc/mosquitto/lobbyq"
    data_dir: str = "/var/lib/mosquitto/"
    tls_port: int = 8883
    tls_bind: str = ""
    local_port: int | None = 1883
    local_bind: str = "127.0.0.1"
    log_dest: str = "stderr"
    user: str | None = None  # the account mosquitto drops to; None: its own default

    @property
    def passwd(self) -> str:
        return f"{self.conf_dir}/passwd"

    @property
    def acl(self) -> str:
        return f"{self.conf_dir}/acl"


def _fill(pattern: str, user: str) -> str:
    return pattern.replace("%u", user)


def render_acl(branch: str, device_ids: Iterable[str]) -> str:
    """The ACL file for one branch's devices, the engine and the technician account."""
    t = Topics(branch)
    lines = [
        f"# lobbyq broker ACL for branch {branch}; written by `lobbyq device provision`.",
        "# Edit the branch file and provision again rather than this file.",
        "# A device publishes only its own commands and status; only the engine",
        "# publishes replies, events and state.",
    ]
    for device in sorted(set(device_ids)):
        lines += ["", f"user {device}"]
        lines += [f"topic write {_fill(p, device)}" for p in t.acl_device_write()]
        lines += [f"topic read {_fill(p, device)}" for p in t.acl_device_read()]
        if device == CONSOLE_ID:
            lines += [f"topic read {p}" for p in t.acl_console_read()]
        if device == ENGINE_ID:
            lines += [
                f"topic read {t.cmd_all}",
                f"topic write {t.base}/reply/+",
                f"topic write {t.base}/evt/#",
                f"topic write {t.state_all}",
                f"topic read {t.alert_all}",
            ]
    lines += [
        "",
        f"user {TECH_USER}",
        f"topic read {t.base}/dev/#",
        f"topic read {t.state_all}",
        f"topic read {t.base}/evt/#",
    ]
    return "\n".join(lines) + "\n"


def render_mosquitto_conf(layout: BrokerLayout = BrokerLayout()) -> str:
    """The whole mosquitto.conf of a branch broker (it replaces Debian's default).

    A whole file rather than a ``conf.d`` snippet: mosquitto 2.0 refuses a
    second ``persistence_location`` or ``password_file``, which Debian's
    default file already sets.
    """
    lines = [
        "# lobbyq branch broker; written by `lobbyq device provision` (see deploy/README.md).",
        "# Passwords and ACL are generated per branch; no anonymous access.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {layout.passwd}",
        f"acl_file {layout.acl}",
        "",
        "# Retained status and queued QoS 1 messages survive a broker restart.",
        "persistence true",
        f"persistence_location {layout.data_dir}",
        "autosave_interval 30",
        "max_queued_messages 10000",
        "# The largest message is the retained queue view at a very busy peak (4 MiB);",
        "# anything larger is refused here, before it reaches the engine.",
        f"max_packet_size {MAX_PACKET_SIZE}",
        "",
        "# stderr goes to journald under systemd; journald adds the time.",
        f"log_dest {layout.log_dest}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_timestamp false",
        "connection_messages true",
    ]
    if layout.user is not None:
        lines += ["", "# The account mosquitto runs as once its ports open.", f"user {layout.user}"]
    if layout.local_port is not None:
        lines += [
            "",
            "# The engine and the kiosk on this Pi: loopback only, still password and ACL.",
            f"listener {layout.local_port} {layout.local_bind}".rstrip(),
        ]
    lines += [
        "",
        "# Counters and displays on the branch network: TLS only.",
        f"listener {layout.tls_port} {layout.tls_bind}".rstrip(),
        f"cafile {layout.conf_dir}/ca.crt",
        f"certfile {layout.conf_dir}/server.crt",
        f"keyfile {layout.conf_dir}/server.key",
        "tls_version tlsv1.2",
    ]
    return "\n".join(lines) + "\n"
