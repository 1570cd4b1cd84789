"""The branch-to-head-office wire format: one JetStream message per logged event.

The branch uplink (``lobbyq.uplink``) encodes, the head-office ingest (``hq``)
decodes; both import this module so the two sides can never drift apart.

Privacy: what leaves the branch is the event *stripped* of the customer's
identity. :data:`PRIVATE_FIELDS` (the keyed identity hash and the masked
card or ID form) are removed before encoding, never re-keyed: head office
counts identified customers by ``identity_kind`` and has no use for a
per-customer key. Stripping happens here, in the encoder, so no caller can
forget it.

| part | value |
|---|---|
| subject | ``lobbyq.hq.events.<branch>`` (1) |
| header ``Nats-Msg-Id`` | ``<branch>:<seq>:<hash[:16]>`` (2) |
| payload | JSON object, UTF-8, keys below |
| ``v`` | format version, ``1`` |
| ``branch`` | branch id (``[a-z0-9][a-z0-9-]{0,31}``), the same as the subject's last token |
| ``seq`` | the event's position in the branch log (gapless from 1) |
| ``at`` | epoch seconds the core was given |
| ``kind`` | event kind (``ticket_issued`` ...) |
| ``body`` | the event as logged, minus :data:`PRIVATE_FIELDS` |
| ``hash`` | SHA-256 hex of the canonical JSON of ``[branch, seq, at, kind, body]`` (3) |

(1) One subject per branch, so a branch's credentials can be limited to its
own. (2) JetStream drops a resend of the same event inside its duplicate
window; an event that *differs* under the same seq (a log restored from an
old backup) has another id, is not dropped, and head office flags it.
(3) Head office recomputes it (a damaged message is refused) and compares it
with what it holds for the same seq. Canonical JSON: sorted keys, no spaces,
UTF-8 unescaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lobbyq.core.errors import LobbyqError

FORMAT_VERSION = 1
SUBJECT_PREFIX = "lobbyq.hq.events"
SUBJECT_WILDCARD = f"{SUBJECT_PREFIX}.*"
PRIVATE_FIELDS = frozenset({"identity_hash", "identity_masked"})
_BRANCH_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class WireError(LobbyqError):
    """A head-office message that is not in this format (or was damaged on the way)."""


def subject_for(branch: str) -> str:
    """The subject a branch publishes its events on."""
    if not _BRANCH_RE.match(branch):
        raise WireError(f"branch id {branch!r} is not [a-z0-9][a-z0-9-]{{0,31}}")
    return f"{SUBJECT_PREFIX}.{branch}"


def strip_private(body: Mapping[str, Any]) -> dict[str, Any]:
    """The event without the fields that identify a customer."""
    return {k: v for k, v in body.items() if k not in PRIVATE_FIELDS}


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def event_hash(branch: str, seq: int, at: float, kind: str, body: Mapping[str, Any]) -> str:
    """The content hash of one stripped event, as both sides compute it."""
    return hashlib.sha256(_canonical([branch, seq, at, kind, body])).hexdigest()


@dataclass(frozen=True, slots=True)
class HqEvent:
    """One branch event as head office receives it (already stripped)."""

    branch: str
    seq: int
    at: float
    kind: str
    body: dict[str, Any]
    hash: str

    @property
    def msg_id(self) -> str:
        return f"{self.branch}:{self.seq}:{self.hash[:16]}"

    @property
    def subject(self) -> str:
        return subject_for(self.branch)

    def encode(self) -> bytes:
        return _canonical(
            {
                "v": FORMAT_VERSION,
                "branch": self.branch,
                "seq": self.seq,
                "at": self.at,
                "kind": self.kind,
                "body": self.body,
                "hash": self.hash,
            }
        )


def make_event(branch: str, seq: int, at: float, kind: str, body: Mapping[str, Any]) -> HqEvent:
    """Build the message for one logged event, stripping the private fields first."""
    subject_for(branch)  # validates the id
    clean = strip_private(body)
    return HqEvent(branch, seq, at, kind, clean, event_hash(branch, seq, at, kind, clean))


def decode_event(subject: str, payload: bytes) -> HqEvent:
    """Parse and verify one message; :class:`WireError` says what is wrong."""
    try:
        d = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"not JSON: {exc}") from exc
    if not isinstance(d, dict) or d.get("v") != FORMAT_VERSION:
        raise WireError(f"not a version {FORMAT_VERSION} event object")
    branch, seq, at, kind, body, digest = (
        d.get("branch"),
        d.get("seq"),
        d.get("at"),
        d.get("kind"),
        d.get("body"),
        d.get("hash"),
    )
    if not isinstance(branch, str) or subject != subject_for(branch):
        raise WireError(f"branch {branch!r} does not match the subject {subject!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise WireError(f"seq must be a positive integer, not {seq!r}")
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise WireError(f"at must be a number, not {at!r}")
    if not isinstance(kind, str) or not kind or not isinstance(body, dict):
        raise WireError("kind must be a string and body an object")
    leaked = PRIVATE_FIELDS & body.keys()
    if leaked:
        raise WireError(f"the event carries private fields {sorted(leaked)}; refused")
    if digest != event_hash(branch, seq, at, kind, body):
        raise WireError(f"hash mismatch for {branch}:{seq}: the message was altered")
    return HqEvent(branch, seq, float(at), kind, body, digest)
