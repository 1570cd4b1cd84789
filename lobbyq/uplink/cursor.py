"""The uplink's cursor: the last event head office acknowledged, in a small file.

File format (JSON, one object, replaced atomically: written beside, fsynced,
renamed over):

| key | meaning |
|---|---|
| ``branch`` | the branch the cursor belongs to |
| ``seq`` | the last log position JetStream acknowledged (0: nothing sent yet) |
| ``hash`` | that event's content hash (``lobbyq.protocol.uplink.event_hash``), or "" at 0 |

Why the hash: it lets the uplink notice that the log under it went backwards
(restored from an old backup) even when the cursor file was not restored
with it: the event at ``seq`` is missing or different.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from lobbyq.core.errors import LobbyqError


class CursorError(LobbyqError):
    """The cursor file is unreadable or belongs to another branch."""


@dataclass(frozen=True, slots=True)
class Cursor:
    branch: str
    seq: int = 0
    hash: str = ""


class CursorFile:
    """Load and durably save the cursor."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self, branch: str) -> Cursor:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return Cursor(branch)
        except OSError as exc:
            raise CursorError(f"cannot read the uplink cursor {self.path}: {exc}") from exc
        try:
            d = json.loads(text)
            cur = Cursor(str(d["branch"]), int(d["seq"]), str(d["hash"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CursorError(
                f"the uplink cursor {self.path} is damaged ({exc}); move it away to resend "
                "the whole log (head office drops what it already holds)"
            ) from exc
        if cur.branch != branch or cur.seq < 0:
            raise CursorError(
                f"the uplink cursor {self.path} belongs to branch {cur.branch!r}, not {branch!r}"
            )
        return cur

    def save(self, cursor: Cursor) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps({"branch": cursor.branch, "seq": cursor.seq, "hash": cursor.hash})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as exc:
            raise CursorError(f"cannot save the uplink cursor {self.path}: {exc}") from exc
