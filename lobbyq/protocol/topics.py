"""Every MQTT topic lobbyq uses, built in one place.

Nobody formats a topic by hand: apps call these functions, and the broker ACL
generator (``deploy``) reads the same patterns, so a rename happens once.
The table lives in ``PROTOCOL.md`` beside this file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lobbyq.protocol.errors import ProtocolError

ROOT = "lobbyq"
VERSION = "v1"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TopicError(ProtocolError):
    """A branch, device or event name that cannot be a topic level."""


def check_name(value: str, what: str = "name") -> str:
    """Refuse names that would add levels or wildcards to a topic."""
    if not _NAME.match(value):
        raise TopicError(
            f"{what} {value!r} must be 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return value


@dataclass(frozen=True, slots=True)
class Topics:
    """Topic names for one branch."""

    branch: str

    def __post_init__(self) -> None:
        check_name(self.branch, "branch id")

    @property
    def base(self) -> str:
        return f"{ROOT}/{VERSION}/{self.branch}"

    # device -> engine
    def cmd(self, device: str) -> str:
        return f"{self.base}/cmd/{check_name(device, 'device id')}"

    @property
    def cmd_all(self) -> str:
        return f"{self.base}/cmd/+"

    # engine -> device
    def reply(self, device: str) -> str:
        return f"{self.base}/reply/{check_name(device, 'device id')}"

    # engine -> everyone
    def evt(self, kind: str) -> str:
        return f"{self.base}/evt/{check_name(kind, 'event kind')}"

    @property
    def evt_all(self) -> str:
        return f"{self.base}/evt/+"

    # retained snapshots
    @property
    def state_queue(self) -> str:
        return f"{self.base}/state/queue"

    @property
    def state_calls(self) -> str:
        return f"{self.base}/state/calls"

    @property
    def state_notice(self) -> str:
        return f"{self.base}/state/notice"

    def state_counter(self, counter: str) -> str:
        return f"{self.base}/state/counter/{check_name(counter, 'counter id')}"

    @property
    def state_counter_all(self) -> str:
        return f"{self.base}/state/counter/+"

    @property
    def state_all(self) -> str:
        return f"{self.base}/state/#"

    # device birth, last will, health, alerts
    def status(self, device: str) -> str:
        return f"{self.base}/dev/{check_name(device, 'device id')}/status"

    @property
    def status_all(self) -> str:
        return f"{self.base}/dev/+/status"

    def alert(self, device: str) -> str:
        return f"{self.base}/dev/{check_name(device, 'device id')}/alert"

    @property
    def alert_all(self) -> str:
        return f"{self.base}/dev/+/alert"

    def parse(self, topic: str) -> tuple[str, ...]:
        """Split a topic of this branch into its levels after the base.

        ``Topics("b1").parse("lobbyq/v1/b1/cmd/kiosk-1") == ("cmd", "kiosk-1")``.
        """
        prefix = self.base + "/"
        if not topic.startswith(prefix):
            raise TopicError(f"topic {topic!r} is not under {self.base}")
        return tuple(topic[len(prefix) :].split("/"))

    # ACL patterns (mosquitto syntax, %u = the device's user name)
    def acl_device_write(self) -> list[str]:
        """What a device may publish: its own commands and its own status."""
        return [f"{self.base}/cmd/%u", f"{self.base}/dev/%u/#"]

    def acl_device_read(self) -> list[str]:
        """What a device may read: its replies, events, state, status of others."""
        return [
            f"{self.base}/reply/%u",
            f"{self.base}/evt/#",
            f"{self.base}/state/#",
            f"{self.base}/dev/+/status",
        ]

    def acl_console_read(self) -> list[str]:
        """What the lobby console reads besides a device's: every device's alerts.

        The console turns a printer out of paper or an engine log in trouble
        into an alert a manager acknowledges, so it hears ``dev/+/alert`` like
        the engine does.
        """
        return [self.alert_all]
