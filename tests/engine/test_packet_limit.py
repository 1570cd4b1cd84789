"""The broker, not the engine, refuses a message larger than any the protocol needs.

The largest message is the retained queue view (``MAX_STATE_PAYLOAD``, 4 MiB);
the branch broker config, the generated one and the private broker all set
``max_packet_size`` just above it, so a 10 MB message never reaches the engine.
"""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from lobbyq.broker import Mosquitto
from lobbyq.device.brokerfiles import MAX_PACKET_SIZE, render_mosquitto_conf
from lobbyq.protocol.messages import MAX_STATE_PAYLOAD

REPO = Path(__file__).resolve().parents[2]


def test_every_broker_config_sets_a_packet_limit_that_fits_the_queue_view() -> None:
    for text in (
        (REPO / "deploy" / "mosquitto" / "lobbyq.conf").read_text(),
        render_mosquitto_conf(),
    ):
        m = re.search(r"^max_packet_size (\d+)$", text, re.M)
        assert m is not None
        assert MAX_STATE_PAYLOAD < int(m.group(1)) == MAX_PACKET_SIZE < 10_000_000


def _client(port: int, received: list[int], got: threading.Event) -> paho.Client:
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}")

    def on_message(client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        received.append(len(msg.payload))
        got.set()

    c.on_message = on_message
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def test_the_private_broker_passes_a_queue_view_and_drops_a_10_mb_message(
    mosquitto: Mosquitto, branch_id: str
) -> None:
    topic = f"lobbyq/v1/{branch_id}/cmd/evil-device-999"
    received: list[int] = []
    got = threading.Event()
    reader = _client(mosquitto.port, received, got)
    sender = _client(mosquitto.port, [], threading.Event())
    try:
        reader.subscribe(topic, qos=1)
        sender.publish(topic, b"x" * 10_000_000, qos=0)
        sender.publish(topic, b"y" * MAX_STATE_PAYLOAD, qos=0)  # may be lost with the link
        sender2 = _client(mosquitto.port, [], threading.Event())
        sender2.publish(topic, b"z" * MAX_STATE_PAYLOAD, qos=1).wait_for_publish(10)
        assert got.wait(10)
        assert 10_000_000 not in received and MAX_STATE_PAYLOAD in received
        sender2.disconnect()
        sender2.loop_stop()
    finally:
        for c in (reader, sender):
            c.disconnect()
            c.loop_stop()
