"""The head-office JetStream stream and the ingest workers' durable consumer.

| name | value |
|---|---|
| stream | ``LOBBYQ_EVENTS`` on ``lobbyq.hq.events.*`` (``lobbyq.protocol.uplink``) |
| replicas | 3 by default (``--replicas``), at most the cluster's size |
| duplicate window | 2 min |
| retention | limits, 7 days |
| consumer | durable pull ``ingest``, explicit ack, ``ack_wait`` 30 s |

Three replicas survive the loss of one node. A resend after a lost publish
ack is dropped by ``Nats-Msg-Id`` inside the window, later ones by
``(branch, seq)`` in PostgreSQL. The branch log stays the truth; the stream
is a buffer head office can replay. Any number of workers fetch from the one
consumer and compete; a message not acked within ``ack_wait`` goes to
another worker.

The head office creates both; a branch only publishes.
"""

from __future__ import annotations

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig

from lobbyq.protocol.uplink import SUBJECT_WILDCARD

STREAM = "LOBBYQ_EVENTS"
CONSUMER = "ingest"


async def ensure_stream(
    js: JetStreamContext,
    *,
    replicas: int = 3,
    duplicate_window_s: float = 120.0,
    max_age_s: float = 7 * 86400.0,
) -> None:
    """Create the stream when it does not exist yet (an existing one is left as configured)."""
    try:
        await js.stream_info(STREAM)
        return
    except nats.js.errors.NotFoundError:
        pass
    await js.add_stream(
        StreamConfig(
            name=STREAM,
            subjects=[SUBJECT_WILDCARD],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=duplicate_window_s,
            max_age=max_age_s,
        )
    )


def consumer_config(ack_wait_s: float = 30.0, max_ack_pending: int = 20000) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=CONSUMER,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait_s,
        max_ack_pending=max_ack_pending,
        filter_subject=SUBJECT_WILDCARD,
    )
